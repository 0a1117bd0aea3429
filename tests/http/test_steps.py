"""The three steps over HTTP: no-JS post/redirect/get, htmx fragments, kept input."""
import re

from sqlalchemy import select

from checkout.catalog.seatmaps import find_seat
from checkout.extensions import db
from checkout.models import Booking, Flight
from tests.seats_support import free_seat


def _booking(app):
    with app.app_context():
        booking = db.session.execute(select(Booking)).scalars().one()
        booking.passengers  # load before the session closes
        return booking


def test_select_creates_a_draft_and_redirects_to_step_one(checkout, app):
    checkout.select_first(origin="JFK", destination="LHR", adults=2, children=1)
    html = checkout.get("/customize").get_data(as_text=True)
    assert 'aria-current="step"' in html and "Customise" in html
    assert "Total including taxes" in html
    booking = _booking(app)
    assert booking.status == "DRAFT" and [p.passenger_type for p in booking.passengers] == ["adult", "adult", "child"]
    # Optional services are never pre-selected.
    assert booking.bundle_code is None and not booking.insurance and not booking.priority_boarding
    assert 'name="bundle" value="" checked' in html
    assert not re.search(r'name="seat" value="\w+"[^>]* checked', html) and "Selected: no seat yet" in html
    assert "We recommend" in html


def test_the_session_cookie_carries_only_an_opaque_id(checkout, client):
    checkout.select_first()
    cookie = client.get_cookie("fly2any_session")
    assert cookie is not None and re.fullmatch(r"[A-Za-z0-9_\-]{43}", cookie.value)


def test_no_js_update_and_continue_are_303s(checkout, app):
    checkout.select_first(origin="JFK", destination="LAX")
    response = checkout.post("/customize", {"action": "update", "fare_family": "FLEX", "bundle": "COMFORT",
                                            "extras_shown": "1", "bags-0": "2", "insurance": "y"})
    assert response.status_code == 303 and response.location.startswith("/customize")
    booking = _booking(app)
    assert (booking.fare_family_code, booking.bundle_code, booking.passengers[0].checked_bags, booking.insurance) == \
        ("FLEX", "COMFORT", 2, True)
    response = checkout.post("/customize", {"action": "continue"})
    assert response.status_code == 303 and response.location == "/passengers"


def test_htmx_section_change_returns_panels_and_total_out_of_band(checkout):
    checkout.select_first(origin="JFK", destination="LAX")
    before = re.search(r'data-total="(\d+)"', checkout.get("/customize").get_data(as_text=True)).group(1)
    response = checkout.post("/customize/extras", {"extras_shown": "1", "bags-0": "1"}, headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert 'id="extras-panel"' in html and 'id="price-summary"' in html
    # The two panels, the phone bar's total, and each fare's total for the party with the new choices.
    assert html.count('data-hx-swap-oob="true"') == 3 + html.count('id="fare-total-')
    after = re.search(r'data-total="(\d+)"', html).group(1)
    assert int(after) == int(before) + 3500  # first extra bag


def test_a_taken_seat_is_refused_with_422_and_a_reason(checkout, app):
    checkout.select_first(origin="JFK", destination="LAX")
    html = checkout.get("/customize").get_data(as_text=True)
    taken = re.search(r'name="seat" value="(\w+)" aria-label="[^"]*Already taken', html).group(1)
    response = checkout.post("/customize/seat", {"seat_passenger": "0", "seat": taken}, headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert "has just been taken" in response.get_data(as_text=True)
    assert _booking(app).passengers[0].seat_code is None


def test_child_is_shown_why_exit_rows_are_unavailable(checkout, app):
    checkout.select_first(origin="JFK", destination="LAX", adults=1, children=1)
    with app.app_context():
        flight = db.session.get(Flight, _booking(app).flight_id)
        exit_seat = find_seat(flight.aircraft, free_seat(flight, kind="exit"))  # free for an adult today
    html = checkout.get("/customize?seat_for=1").get_data(as_text=True)
    assert "Exit-row seats are not available for children" in html
    assert (f'value="{exit_seat.code}" aria-label="{exit_seat.code}, {exit_seat.position}, Exit row (extra legroom), '
            'unavailable: Children cannot sit') in html


def test_seat_tab_fragment_for_htmx_and_full_page_without(checkout):
    checkout.select_first(origin="JFK", destination="LAX", adults=2)
    fragment = checkout.get("/customize?seat_for=1", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and "Seat for passenger 2" in fragment
    assert "<html" in checkout.get("/customize?seat_for=1").get_data(as_text=True)


def test_passenger_errors_are_422_and_keep_everything_typed(checkout):
    checkout.select_first()
    checkout.get("/passengers")
    form = checkout.passengers_form([("R2D2", "Lovelace", "2020-01-01")], email="ada@@example", phone="12")
    response = checkout.post("/passengers", form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Use letters only" in html and "Adults must be 12 or older" in html
    assert "Enter an email address like" in html and "phone number" in html
    assert 'value="R2D2"' in html and 'value="Lovelace"' in html and 'value="ada@@example"' in html
    assert re.search(r'<option selected value="GB">', html)


def test_passenger_errors_come_back_as_the_whole_page_however_the_form_is_sent(checkout):
    """The form is boosted, so htmx swaps in the whole page; fields are checked inline one by one."""
    checkout.select_first()
    page = checkout.get("/passengers").get_data(as_text=True)
    form_tag = re.search(r'<form[^>]*id="passenger-form"[^>]*>', page).group(0)
    assert "hx-" not in form_tag  # a normal form (boosted by the page), never a targeted htmx request
    assert 'data-hx-post="/passengers/check?field=passengers-0-last_name"' in page
    for headers in ({}, {"HX-Request": "true", "HX-Boosted": "true"}, {"HX-Request": "true"}):
        response = checkout.post("/passengers", {"passengers-0-first_name": "Ada"}, headers=headers)
        html = response.get_data(as_text=True)
        assert response.status_code == 422 and "<html" in html and 'value="Ada"' in html, headers
        assert "Please correct the highlighted details" in html
        assert "Enter the last name as on the passport or ID." in html


def test_inline_check_returns_just_the_field_error(checkout):
    checkout.select_first()
    checkout.get("/passengers")
    response = checkout.post("/passengers/check?field=passengers-0-first_name", {"passengers-0-first_name": "Ada!"},
                             headers={"HX-Request": "true"})
    assert response.get_data(as_text=True) == "Use letters only, with spaces, hyphens or apostrophes between them."
    response = checkout.post("/passengers/check?field=passengers-0-first_name", {"passengers-0-first_name": "Ada"},
                             headers={"HX-Request": "true"})
    assert response.get_data(as_text=True) == ""


def test_domestic_flights_do_not_ask_for_a_passport(checkout):
    checkout.select_first(origin="JFK", destination="LAX")
    html = checkout.get("/passengers").get_data(as_text=True)
    assert "Passport number" not in html
    assert "Passport number" in _international_page(checkout)


def _international_page(checkout):
    checkout.select_first(origin="JFK", destination="LHR")
    return checkout.get("/passengers").get_data(as_text=True)


def test_review_requires_every_acknowledgement_and_keeps_the_ticked_ones(checkout):
    checkout.select_first()
    checkout.get("/passengers")
    assert checkout.post("/passengers", checkout.passengers_form([("Ada", "Lovelace", "1985-12-10")])).status_code == 303
    html = checkout.get("/review").get_data(as_text=True)
    assert "Total including taxes and fees" in html and "Ada Lovelace" in html
    assert "24-hour policy" in html
    response = checkout.post("/review", {})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Tick “I accept” to accept the notices above before you pay." in html
    assert 'name="accept_all" value="y" id="accept_all"\n' in html or 'checked' not in html.split('id="accept_all"')[1][:80]
    # One box for all four notices, each still shown with its version and recorded when ticked.
    assert html.count('type="checkbox"') == 1
    assert "I accept the 4 notices above: Fare rules, Baggage allowance and fees, Conditions of carriage, " \
           "Hazardous materials." in html
    response = checkout.post("/review", {"accept_all": "y"})
    assert response.status_code == 303


def test_the_whole_flow_ends_in_a_pending_booking_with_its_reference(checkout, app):
    reference = checkout.to_pending(bundle="FAMILY")
    assert re.fullmatch(r"FLY2A-[A-HJ-NP-Z2-9]{6}", reference)
    html = checkout.get(f"/booking/{reference}").get_data(as_text=True)
    assert reference in html and "Awaiting payment" in html and "Total including taxes and fees" in html
    booking = _booking(app)
    assert booking.status == "PENDING_PAYMENT" and booking.total_amount > 0 and booking.bundle_code == "FAMILY"
    # Going back to a step after submitting shows the booking instead of changing it.
    response = checkout.get("/customize")
    assert response.status_code == 303 and response.location == f"/booking/{reference}"


def test_another_browser_cannot_see_the_booking(checkout, app):
    reference = checkout.to_pending()
    assert app.test_client().get(f"/booking/{reference}").status_code == 404


def test_steps_without_a_draft_send_the_traveller_to_search(client):
    response = client.get("/passengers")
    assert response.status_code == 303 and response.location == "/"


def test_review_lists_every_missing_acknowledgement_at_the_top_with_links(checkout):
    checkout.select_first()
    checkout.get("/passengers")
    assert checkout.post("/passengers", checkout.passengers_form([("Ada", "Lovelace", "1985-12-10")])).status_code == 303
    checkout.get("/review")
    html = checkout.post("/review", {"ack_baggage": "y"}).get_data(as_text=True)
    summary = re.search(r'<div class="notice notice-error error-summary"[^>]*data-error-summary>(.*?)</div>', html, re.S).group(1)
    assert "There is a problem" in summary  # the notices have one box, so one problem
    assert 'href="#accept_all"' in summary and 'id="accept_all"' in html


def test_passenger_errors_are_listed_at_the_top_with_links_to_each_field(checkout):
    checkout.select_first()
    checkout.get("/passengers")
    form = checkout.passengers_form([("R2D2", "", "2020-01-01")], email="ada@@example")
    html = checkout.post("/passengers", form).get_data(as_text=True)
    summary = re.search(r'data-error-summary>(.*?)</div>', html, re.S).group(1)
    for field in ("passengers-0-first_name", "passengers-0-last_name", "passengers-0-date_of_birth", "email"):
        assert f'href="#{field}"' in summary and f'id="{field}"' in html, field


# -- Secure Flight: gender, redress and Known Traveler numbers, the privacy notice --------

def _without_gender(form: dict) -> dict:
    return {k: v for k, v in form.items() if not k.endswith("-gender")}


def test_the_privacy_notice_comes_before_the_first_passenger_field(checkout):
    checkout.select_first(origin="JFK", destination="LAX")
    html = checkout.get("/passengers").get_data(as_text=True)
    notice = html.index("Why we ask for these details")
    assert notice < html.index('name="passengers-0-first_name"')
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html[notice:html.index("</section>", notice)]))
    for told in ("date of birth", "gender", "Secure Flight", "Transportation Security Administration",
                 "redress number", "Known Traveler Number", "encrypted", "delete"):
        assert told in text, told
    # Gender, redress and Known Traveler questions on a domestic flight too, with their labels.
    for label in ("Gender", "Redress number", "Known Traveler Number", "Date of birth"):
        assert re.search(rf"<label for=\"passengers-0-\w+\">{label}</label>", html), label
    assert "As on your government ID" in html


def test_a_missing_gender_is_named_and_nothing_typed_is_lost(checkout, app):
    checkout.select_first(origin="JFK", destination="LAX")
    checkout.get("/passengers")
    form = _without_gender(checkout.passengers_form([("Ada", "Lovelace", "1985-12-10")], international=False))
    response = checkout.post("/passengers", form | {"passengers-0-redress_number": "1234567"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'href="#passengers-0-gender"' in html and "Choose the gender as on the government ID" in html
    assert 'value="Ada"' in html and 'value="1985-12-10"' in html and 'value="1234567"' in html
    assert _booking(app).passengers[0].first_name is None  # nothing half-saved

    assert checkout.post("/passengers", form | {"passengers-0-gender": "X"}).status_code == 303
    assert _booking(app).passengers[0].gender == "X"


def test_redress_and_known_traveler_numbers_of_the_wrong_shape_are_422_and_keep_the_form(checkout):
    checkout.select_first(origin="JFK", destination="LAX")
    checkout.get("/passengers")
    form = checkout.passengers_form([("Ada", "Lovelace", "1985-12-10")], international=False)
    response = checkout.post("/passengers", form | {"passengers-0-redress_number": "12-34",
                                                    "passengers-0-known_traveler_number": "TT12<b>"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "A redress number has 7 to 13 letters and digits" in html
    assert "A Known Traveler Number has 9 or 10 letters and digits" in html
    assert 'value="12-34"' in html and 'value="TT12&lt;b&gt;"' in html and 'value="Lovelace"' in html
    assert re.search(r'<option selected value="F">Female</option>', html)


def test_the_numbers_are_stored_clean_and_shown_masked_on_review(checkout, app):
    checkout.select_first(origin="JFK", destination="LAX")
    checkout.get("/passengers")
    form = checkout.passengers_form([("Ada", "Lovelace", "1985-12-10")], international=False)
    assert checkout.post("/passengers", form | {"passengers-0-redress_number": " 765-4321",
                                                "passengers-0-known_traveler_number": "tt 123 4567"}).status_code == 303
    passenger = _booking(app).passengers[0]
    assert (passenger.redress_number, passenger.known_traveler_number) == ("7654321", "TT1234567")

    review = checkout.get("/review").get_data(as_text=True)
    assert "Female" in review and "••••21" in review and "••••67" in review
    assert "7654321" not in review and "TT1234567" not in review
    # Back on the step the traveller sees what they typed, to correct it.
    assert 'value="TT1234567"' in checkout.get("/passengers").get_data(as_text=True)


def test_the_passenger_form_helps_autofill_and_phone_keyboards(checkout):
    """Issue 19: the HTML standard's autofill names, each passenger in a section of their own
    (so the second is not filled with the first's name); email and phone typed for phones'
    keyboards; passport numbers never offered for a browser to remember. (vnu, in
    test_valid_html, checks the tokens are valid.)"""
    checkout.select_first(adults=2)
    html = checkout.get("/passengers").get_data(as_text=True)

    def attributes(name: str) -> str:
        return re.search(rf'<(?:input|select)[^>]*\bname="{re.escape(name)}"[^>]*>', html).group(0)

    for n in (0, 1):
        section = f"section-passenger-{n + 1}"
        assert f'autocomplete="{section} given-name"' in attributes(f"passengers-{n}-first_name")
        assert f'autocomplete="{section} family-name"' in attributes(f"passengers-{n}-last_name")
        assert f'autocomplete="{section} bday"' in attributes(f"passengers-{n}-date_of_birth")
        assert f'autocomplete="{section} sex"' in attributes(f"passengers-{n}-gender")
        assert 'autocomplete="off"' in attributes(f"passengers-{n}-passport_number")
    assert 'type="email"' in attributes("email") and 'autocomplete="email"' in attributes("email")
    assert 'type="tel"' in attributes("phone") and 'autocomplete="tel"' in attributes("phone")


def test_after_a_fare_change_in_the_same_cabin_no_seat_names_the_old_fare(checkout):
    """Issue 19 #15: switching Basic to Standard redraws the legend, not the map, so a seat's
    description must not name the fare; business seats still say why they are not for us."""
    checkout.select_first()
    assert checkout.post("/customize", {"action": "update", "fare_family": "STANDARD"}).status_code == 303
    html = checkout.get("/customize").get_data(as_text=True)
    business = re.findall(r'aria-label="([^"]*business cabin[^"]*)"', html)
    assert business and all("your fare is in economy" in label for label in business), business[:2]
    assert "Basic fare" not in " ".join(business)
