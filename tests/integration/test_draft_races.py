"""Writes to one draft racing each other, on PostgreSQL (issue 16, findings 1 and 2).

One browser can send several changes to its draft at once (htmx posts on change, a double
click, a second tab). Whatever the interleaving, a booking that leaves the draft must be
priced for exactly what it holds, every seat it holds must be in its fare's cabin, and no
call may fail with anything but a BookingError the traveller can be shown (a deadlock or a
half-read row is a 500).

Each round makes a fresh two-adult draft, lets every worker read it (as a step's view loads
its draft before calling a service), then releases the eight workers at once on their
writes: half run one kind of write, half another, for every pair of kinds.
"""
from __future__ import annotations

import itertools
import random
import threading
from collections import Counter
from datetime import date, timedelta

import pytest
from sqlalchemy import delete, select

from checkout.bookings import seat_holds, service
from checkout.bookings.acknowledgements import ACKNOWLEDGEMENTS
from checkout.bookings.service import BookingError, Contact, PassengerDetails
from checkout.catalog import search
from checkout.catalog.search import Party
from checkout.catalog.seatmaps import find_seat, seat_rows
from checkout.clock import utcnow
from checkout.extensions import db
from checkout.models import Booking, BookingStatus, SeatHold
from tests.capacity_support import flight_on
from tests.conftest import ACKS, Checkout

WORKERS = 8
WIDE = "FA310"  # LAX-HND, 787-9: business and economy, used by no other test
ALL_ACKS = [a.key for a in ACKNOWLEDGEMENTS]
PEOPLE = [PassengerDetails("Ada", "Lovelace", date(1985, 12, 10), "GB", "X1234567", date.today() + timedelta(days=3000), gender="F"),
          PassengerDetails("Charles", "Babbage", date(1981, 12, 26), "GB", "X7654321", date.today() + timedelta(days=3000), gender="F")]
CONTACT = Contact("ada@example.com", "+12125550100")
WRITES = ("fare", "bundle", "extras", "seat", "passengers", "submit", "extend", "renew", "acknowledge")
ROUNDS_PER_PAIR = 4  # 45 pairs (each kind with itself too): 180 rounds, plus the mixed ones
MIXED_ROUNDS = 20


def _write(kind: str, booking: Booking, rng: random.Random, seats: dict[str, list[str]]) -> None:
    """One traveller's change, made on the booking as the view loaded it (before the race)."""
    if kind == "fare":
        service.choose_fare(booking, rng.choice(["BASIC", "STANDARD", "FLEX", "BUSINESS"]))
    elif kind == "bundle":
        service.choose_bundle(booking, rng.choice([None, *(b.code for b in search.all_bundles())]))
    elif kind == "extras":
        service.choose_extras(booking, bags={0: rng.randint(0, 3), 1: rng.randint(0, 3)},
                              insurance=rng.random() < 0.5, priority_boarding=rng.random() < 0.5)
    elif kind == "seat":
        # A seat in the cabin this traveller's page showed: after a fare change elsewhere, maybe the wrong one.
        service.choose_seat(booking, rng.randrange(2), rng.choice([None, *seats[booking.fare_family.cabin]]))
    elif kind == "passengers":
        service.save_passengers(booking, PEOPLE, CONTACT)
    elif kind == "submit":
        service.submit(booking, ALL_ACKS)
    elif kind == "extend":
        service.extend_hold(booking.id)
    elif kind == "renew":  # the page of a traveller whose hold has just lapsed
        service.renew_hold_if_expired(booking, now=booking.hold_expires_at + timedelta(seconds=1))
    elif kind == "acknowledge":
        service.acknowledge_price_change(booking)
    else:
        raise AssertionError(kind)


class Race:
    """WORKERS threads, each with its own app context and session, run one write per round."""

    def __init__(self, app):
        self.app = app
        self.start = threading.Barrier(WORKERS + 1, timeout=60)
        self.loaded = threading.Barrier(WORKERS, timeout=60)  # every worker holds its stale copy
        self.done = threading.Barrier(WORKERS + 1, timeout=60)
        self.booking_id: int | None = None
        self.kinds: list[str] = []
        self.seats: dict[str, list[str]] = {}
        self.outcomes: Counter = Counter()
        self.errors: list[str] = []
        self.stop = False
        self.threads = [threading.Thread(target=self._work, args=(i,), daemon=True) for i in range(WORKERS)]
        for thread in self.threads:
            thread.start()

    def _work(self, i: int) -> None:
        rng = random.Random(i)
        with self.app.app_context():
            while True:
                self.start.wait()
                if self.stop:
                    return
                kind = self.kinds[i]
                booking = None
                try:
                    booking = service.get_booking(self.booking_id)
                except Exception as err:  # noqa: BLE001 - reported below, never a hang
                    self.errors.append(f"loading for {kind}: {err!r}")
                try:
                    self.loaded.wait()
                    if booking is not None:
                        _write(kind, booking, rng, self.seats)
                        self.outcomes[(kind, "done")] += 1
                except BookingError as err:
                    self.outcomes[(kind, type(err).__name__)] += 1
                except threading.BrokenBarrierError:
                    self.errors.append(f"{kind}: a worker never reached the start line")
                except Exception as err:  # noqa: BLE001 - what would be a 500
                    self.errors.append(f"{kind}: {type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}")
                finally:
                    db.session.remove()  # the request ends: a fresh session next round
                self.done.wait()

    def draft(self) -> tuple[int, dict[str, list[str]]]:
        """A two-adult draft ready to submit, and a few seats per cabin nobody else holds (its
        own places among them), so that seat choices collide."""
        with self.app.app_context():
            flight = flight_on(WIDE)
            booking = service.create_draft(flight, Party(2), fare_family_code="BASIC")
            service.save_passengers(booking, PEOPLE, CONTACT)
            others = seat_holds.unavailable_seats(flight.id, booking.id, utcnow())
            seats = {cabin: [s.code for c, _, blocks in seat_rows(flight.aircraft) if c == cabin
                             for block in blocks for s in block if s.code not in others][:4]
                     for cabin in ("economy", "business")}
            db.session.remove()
            return booking.id, seats

    def round(self, draft: tuple[int, dict[str, list[str]]], kinds: list[str], then=None):
        """Race `kinds` on `draft`; `then()` runs meanwhile (the next round's draft is made)."""
        (self.booking_id, self.seats), self.kinds = draft, kinds
        self.start.wait()
        made = then() if then else None
        self.done.wait()
        return made

    def close(self) -> None:
        self.stop = True
        self.start.wait()
        for thread in self.threads:
            thread.join(10)


def _problems(booking_id: int) -> list[str]:
    """What is wrong with the booking as stored: empty when it holds exactly what it is priced for."""
    db.session.remove()
    booking = service.get_booking(booking_id)
    holds = db.session.execute(select(SeatHold).where(SeatHold.booking_id == booking_id)).scalars().all()
    cabin = booking.fare_family.cabin
    problems = []
    aircraft = booking.flight.aircraft
    if sorted(h.passenger_id for h in holds) != sorted(p.id for p in booking.seated_passengers):
        problems.append(f"holds {[(h.seat_code, h.passenger_id) for h in holds]} are not one per passenger")
    for hold in holds:
        if find_seat(aircraft, hold.seat_code).cabin != cabin:
            problems.append(f"holds {hold.seat_code} outside its {booking.fare_family_code} fare's {cabin} cabin")
        if hold.expires_at != booking.hold_expires_at:
            problems.append(f"{hold.seat_code} is held until {hold.expires_at}, the booking until {booking.hold_expires_at}")
    for passenger in booking.passengers:
        if passenger.seat_code and (passenger.seat_code, passenger.id) not in {(h.seat_code, h.passenger_id) for h in holds}:
            problems.append(f"passenger {passenger.position} chose {passenger.seat_code} but does not hold it")
    if booking.status == BookingStatus.PENDING_PAYMENT:
        fresh = service.quote_for(booking)
        frozen = service.frozen_quote(booking)
        if booking.total_amount != fresh.total or frozen.lines != fresh.lines:
            problems.append(f"{booking.fare_family_code} booking charged {booking.total_amount} for what costs "
                            f"{fresh.total}: frozen {frozen.lines} != {fresh.lines}")
    elif booking.status != BookingStatus.DRAFT:
        problems.append(f"left the draft as {booking.status}")
    return problems


def _forget(booking_id: int) -> None:
    """Each round's draft and its places go, so the cabins never fill over hundreds of rounds."""
    db.session.execute(delete(SeatHold).where(SeatHold.booking_id == booking_id))
    db.session.execute(delete(Booking).where(Booking.id == booking_id))
    db.session.commit()


def _run_rounds(app, plans: list[list[str]]) -> tuple[Counter, Counter]:
    race = Race(app)
    statuses: Counter = Counter()
    failures = []  # every round is run, so a failure shows how often and in which races
    try:
        draft = race.draft()
        for n, kinds in enumerate(plans):
            booking_id = draft[0]
            draft = race.round(draft, kinds, then=race.draft if n + 1 < len(plans) else None)
            with app.app_context():
                problems = _problems(booking_id)
                statuses[db.session.get(Booking, booking_id).status] += 1
                _forget(booking_id)
            if race.errors or problems:
                failures.append(f"{sorted(set(kinds))}: {race.errors + problems}")
            race.errors.clear()
    finally:
        race.close()
    assert failures == [], f"{len(failures)} of {len(plans)} rounds went wrong:\n" + "\n".join(failures[:25])
    return race.outcomes, statuses


def test_every_pair_of_draft_writes_racing_leaves_a_booking_priced_for_what_it_holds(app):
    plans = [[first] * (WORKERS // 2) + [second] * (WORKERS // 2)
             for first, second in itertools.combinations_with_replacement(WRITES, 2)
             for _ in range(ROUNDS_PER_PAIR)]
    rng = random.Random(16)
    plans += [rng.sample(WRITES, WORKERS) for _ in range(MIXED_ROUNDS)]
    outcomes, statuses = _run_rounds(app, plans)
    print(f"\n{len(plans)} rounds of {WORKERS} writes: {dict(statuses)}; {dict(sorted(outcomes.items()))}")
    # The races were real: submits won some rounds, and writes arriving after a submit were refused.
    assert statuses[BookingStatus.PENDING_PAYMENT] > 0 and statuses[BookingStatus.DRAFT] > 0
    assert outcomes[("fare", "BookingClosed")] > 0 and outcomes[("seat", "BookingClosed")] > 0


# -- the same race through the browser's requests -------------------------------------------

HTMX = {"HX-Request": "true"}
HTTP_ROUNDS = 10


def _at_review(app) -> tuple[Checkout, Checkout]:
    """One browser at step 3 (JFK-LHR, Basic), and a second handle on the same browser's cookies."""
    browser = Checkout(app.test_client())
    browser.select_first(origin="JFK", destination="LHR")
    assert browser.post("/customize", {"action": "update", "fare_family": "BASIC"}).status_code == 303
    browser.get("/passengers")
    assert browser.post("/passengers", browser.passengers_form([("Ada", "Lovelace", "1985-12-10")])).status_code == 303
    assert browser.get("/review").status_code == 200
    tab = Checkout(app.test_client())
    for name in ("fly2any_session", "fly2any_session_browser"):
        cookie = browser.client.get_cookie(name)
        tab.client.set_cookie(name, cookie.value)
    tab.csrf = browser.csrf
    return browser, tab


def test_review_and_a_fare_change_sent_at_once_never_500_and_price_what_was_booked(app):
    """The issue's reproduction: POST /review and POST /customize/fare (Business, htmx) together."""
    fare_won = 0
    for _ in range(HTTP_ROUNDS):
        browser, tab = _at_review(app)
        barrier = threading.Barrier(2, timeout=60)
        answers = {}

        def send(name, call):
            barrier.wait()
            answers[name] = call()

        threads = [
            threading.Thread(target=send, args=("review", lambda: browser.post("/review", {f"ack_{k}": "y" for k in ACKS}))),
            threading.Thread(target=send, args=("fare", lambda: tab.post("/customize/fare", {"fare_family": "BUSINESS"},
                                                                         headers=HTMX))),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        review, fare = answers["review"], answers["fare"]
        assert review.status_code == 303, review.get_data(as_text=True)[:2000]
        reference = review.location.rsplit("/", 1)[-1]
        assert fare.status_code == 200, fare.get_data(as_text=True)[:2000]
        with app.app_context():
            booking = service.booking_by_reference(reference)
            assert booking.status == BookingStatus.PENDING_PAYMENT
            if fare.headers.get("HX-Redirect"):  # the submit came first: the fare change was refused
                assert fare.headers["HX-Redirect"] == f"/booking/{reference}"
                assert booking.fare_family_code == "BASIC"
            else:  # the fare changed first, and the booking was priced with it
                assert "<html" not in fare.get_data(as_text=True) and "Business" in fare.get_data(as_text=True)
                assert booking.fare_family_code == "BUSINESS"
                fare_won += 1
            assert _problems(booking.id) == []
    print(f"\n{HTTP_ROUNDS} rounds: the fare change came first in {fare_won}")


@pytest.mark.parametrize("change", ["fare (htmx)", "fare (no JavaScript)", "passengers"])
def test_a_change_that_loses_to_a_submit_goes_to_the_booking_page_and_changes_nothing(app, monkeypatch, change):
    """The view has loaded the draft; the other tab's review submits it before the change is
    saved. The change must see that under the booking's lock: nothing saved, and the browser
    sent to the booking page (no 422 about a draft that no longer exists, no 500)."""
    browser, tab = _at_review(app)
    real_renew = service.renew_hold_if_expired
    submitted = []

    def submit_meanwhile(booking, now=None):  # with_draft calls it right after loading the draft
        renewal = real_renew(booking, now)
        if not submitted:
            submitted.append(booking.id)
            with app.app_context():  # the other tab's request, committed before this one goes on
                service.submit(service.get_booking(booking.id), ALL_ACKS)
        return renewal

    monkeypatch.setattr(service, "renew_hold_if_expired", submit_meanwhile)
    if change == "fare (htmx)":
        response = tab.post("/customize/fare", {"fare_family": "BUSINESS"}, headers=HTMX)
    elif change == "fare (no JavaScript)":
        response = tab.post("/customize", {"action": "update", "fare_family": "BUSINESS"})
    else:
        response = tab.post("/passengers", tab.passengers_form([("Grace", "Hopper", "1986-12-09")]))
    with app.app_context():
        booking = service.get_booking(submitted[0])
        page = f"/booking/{booking.reference}"
        if change == "fare (htmx)":
            assert (response.status_code, response.headers.get("HX-Redirect")) == (200, page)
        else:
            assert (response.status_code, response.location) == (303, page)
        assert booking.status == BookingStatus.PENDING_PAYMENT
        assert (booking.fare_family_code, booking.passengers[0].first_name) == ("BASIC", "Ada")
        assert _problems(booking.id) == []
