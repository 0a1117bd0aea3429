"""The seat map, remembered (checkout/steps/customize.seat_cell and seat_map_rows): the same
HTML as templates/steps/_seat.html draws afresh, byte for byte, for every seat state.

The caches are keyed on what the macros read; the price is left out of the key (passed as 0)
because the map never shows it (it is in the legend). "Fresh" here is the macro called
directly with the seat's real price, so a macro that starts reading the price, or anything
else not in the key, fails these tests instead of showing one traveller another's seat.
"""
from itertools import product
from pathlib import Path

import pytest
from flask import Flask
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup

from checkout import pricing, presentation
from checkout.catalog.data import BUNDLES, FARE_FAMILIES
from checkout.catalog.seatmaps import AIRCRAFT, SEAT_TYPE_NAMES, seat_rows
from checkout.steps import customize
from checkout.steps.customize import SeatView
from tests.fuzz.support import fuzz_settings

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"

FARES = [pricing.FareTerms(**{k: f[k] for k in ("code", "name", "markup_percent", "checked_bags", "seat_choice", "priority_boarding")})
         for f in FARE_FAMILIES]
BUNDLE_TERMS = [None] + [pricing.BundleTerms(**{k: b[k] for k in ("code", "name", "price", "checked_bags", "seat_choice", "priority_boarding", "insurance")})
                         for b in BUNDLES]
CABINS = ["economy", "business"]

# (state, reason) as SeatMapView.seat gives them, each reason also as Markup: equal to the str
# and hashed alike, but drawn unescaped, so a cache that does not tell them apart serves one
# as the other (the apostrophe and ampersand are what Jinja escapes).
REASONS = [
    "Already taken",
    "Infants travel on an adult's lap and do not have a seat of their own.",
    "This seat is in the business cabin; your fare is in economy.",
    "This seat is in the economy cabin; your fare is in business.",
    "Children cannot sit in an exit row: passengers there must be able to help in an evacuation.",
    "Passengers travelling with an infant cannot sit in an exit row.",
    "Fare <Basic> & \"friends\"",
]
VARIANTS = [("free", None), ("mine", None)]
for _reason in REASONS:
    for _text in (_reason, Markup(_reason)):
        VARIANTS += [("mine", _text), ("restricted", _text)]
VARIANTS += [("taken", "Already taken"), ("taken", Markup("Already taken"))]
for _n in (2, 3, 9):
    VARIANTS += [("party", f"Chosen for passenger {_n}"), ("party", Markup(f"Chosen for passenger {_n}"))]
VARIANTS += [("party", "Chosen for passenger <&>'"), ("party", Markup("Chosen for passenger <&>'"))]


@pytest.fixture(scope="module")
def seat_app():
    """The app's templates and filters, without its database (the macros read neither)."""
    app = Flask("checkout", template_folder=str(TEMPLATES))
    presentation.init_app(app)
    app.jinja_env.auto_reload = False  # else every call clears the caches and nothing is remembered
    with app.app_context():
        customize._drawn_seat.cache_clear()
        customize._drawn_row.cache_clear()
        yield app


def _fresh_cell(view, fare_cabin, oob=False, macros=None) -> str:
    return str((macros or customize._seat_macros()).seat_cell(view, fare_cabin, oob))


def _fresh_map(rows, fare_cabin) -> str:
    """The rows as seat_map_rows draws them, each drawn afresh by the macro with real prices."""
    macros, drawn, cabin_now = customize._seat_macros(), [], None
    for cabin, row, blocks in rows:
        drawn.append(str(macros.seat_row(cabin != cabin_now, cabin, row, blocks, fare_cabin)))
        cabin_now = cabin
    return "".join(drawn)


def _view(seat, variant, fare, bundle) -> SeatView:
    state, reason = variant
    return SeatView(seat, state, reason, pricing.seat_price(seat, fare, bundle))


def _one_of_each_kind():
    """A seat of each aircraft, cabin and type (exit rows among them), and of each position."""
    kinds = {}
    for code in AIRCRAFT:
        for cabin, _, blocks in seat_rows(code):
            for block in blocks:
                for seat in block:
                    kinds.setdefault((code, cabin, seat.seat_type, seat.position), seat)
    return list(kinds.values())


def test_every_seat_state_is_drawn_from_the_cache_as_the_macro_draws_it(seat_app):
    seats = _one_of_each_kind()
    assert {s.seat_type for s in seats} == set(SEAT_TYPE_NAMES)
    # What fares and bundles make of each seat's price: free (an allowance) or its own price.
    prices = {pricing.seat_price(s, f, b) for s in seats for f in FARES for b in BUNDLE_TERMS}
    assert prices >= {0, 1800, 2900, 4900}
    macros, checked = customize._seat_macros(), 0
    # Twice round: the first draws and remembers, the second is served from the cache, after
    # every other variant of the same seat has been remembered too.
    for _ in range(2):
        for seat, variant, fare_cabin, oob, free in product(seats, VARIANTS, CABINS, (False, True), (True, False)):
            view = SeatView(seat, *variant, 0 if free else seat.price)
            assert str(customize.seat_cell(view, fare_cabin, oob)) == _fresh_cell(view, fare_cabin, oob, macros), (seat, variant, fare_cabin, oob)
            checked += 1
    assert checked > 5000


def test_a_seat_differing_only_in_what_the_macro_reads_is_not_served_the_other(seat_app):
    """State A remembered, then B that differs from A in one thing the macro reads: B's own HTML."""
    customize._drawn_seat.cache_clear()
    customize._drawn_row.cache_clear()
    aircraft = "B789"
    cabin, row, blocks = seat_rows(aircraft)[0]  # business, its first row: the cabin's name is drawn
    seat = blocks[0][0]
    reason = "Infants travel on an adult's lap and do not have a seat of their own."
    pairs = [
        (("restricted", reason, "business"), ("restricted", Markup(reason), "business")),
        (("restricted", Markup(reason), "business"), ("restricted", reason, "business")),
        (("restricted", reason, "business"), ("restricted", "Already taken", "business")),
        (("taken", "Already taken", "business"), ("restricted", "Already taken", "business")),
        (("party", "Chosen for passenger 2", "business"), ("party", "Chosen for passenger 3", "business")),
        (("free", None, "business"), ("free", None, "economy")),
        (("mine", None, "economy"), ("free", None, "economy")),
    ]
    for first, second in pairs:
        for state, why, fare_cabin in (first, second):
            views = [(cabin, row, [[SeatView(s, state, why, s.price) if s is seat else SeatView(s, "free", None, s.price)
                                    for s in block] for block in blocks])]
            assert str(customize.seat_map_rows(aircraft, views, fare_cabin)) == _fresh_map(views, fare_cabin), (first, second)
            view = views[0][2][0][0]
            assert str(customize.seat_cell(view, fare_cabin)) == _fresh_cell(view, fare_cabin), (first, second)
    # The same row, first as a cabin's first row (its name and letters above it), then not.
    later = seat_rows(aircraft)[1]
    free = lambda r: (r[0], r[1], [[SeatView(s, "free", None, 0) for s in block] for block in r[2]])  # noqa: E731
    assert str(customize.seat_map_rows(aircraft, [free(later)], "business")) == _fresh_map([free(later)], "business")
    both = [free(seat_rows(aircraft)[0]), free(later)]
    assert str(customize.seat_map_rows(aircraft, both, "business")) == _fresh_map(both, "business")


def _maps():
    """A whole map: an aircraft, the fare's cabin, the fare and bundle (the seats' prices), and
    each seat's state and reason, as many passengers' choices and other bookings leave them."""
    def build(aircraft, fare_cabin, fare, bundle, picks):
        layout = seat_rows(aircraft)
        seats = [seat for _, _, blocks in layout for block in blocks for seat in block]
        chosen = dict(zip((s.code for s in seats), picks))
        rows = [(cabin, row, [[_view(s, chosen.get(s.code, ("free", None)), fare, bundle) for s in block] for block in blocks])
                for cabin, row, blocks in layout]
        return aircraft, rows, fare_cabin

    return st.sampled_from(sorted(AIRCRAFT)).flatmap(lambda aircraft: st.builds(
        build, st.just(aircraft), st.sampled_from(CABINS), st.sampled_from(FARES), st.sampled_from(BUNDLE_TERMS),
        # Mostly free seats, as on a real flight, with every variant among them.
        st.lists(st.one_of(st.just(("free", None)), st.sampled_from(VARIANTS)),
                 max_size=sum(len(b) for _, _, blocks in seat_rows(aircraft) for b in blocks)),
    ))


@fuzz_settings(max_examples=60)
@given(_maps())
def test_whole_maps_drawn_from_the_cache_are_the_maps_drawn_afresh(seat_app, drawn_map):
    # The cache is not cleared between examples: each map is served rows remembered from the
    # maps before it, which is when a key that leaves something out shows.
    aircraft, rows, fare_cabin = drawn_map
    assert str(customize.seat_map_rows(aircraft, rows, fare_cabin)) == _fresh_map(rows, fare_cabin)
