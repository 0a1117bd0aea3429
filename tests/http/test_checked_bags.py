"""Checked bags are told the same way everywhere (issue 11 #5): with one bag included and
none bought, the bag choice, the review, the booking page and the e-ticket all say
"1 included + 0 extra" (they said 0, "Checked bags 0" and "No checked bag")."""
import re

from sqlalchemy import select

from checkout.extensions import db
from checkout.models import Booking
from checkout.notifications.eticket import render_eticket_html
from tests.conftest import ACKS

ONE_INCLUDED = "1 included + 0 extra"


def test_an_included_bag_is_counted_as_included_on_every_page(checkout, app):
    checkout.select_first(origin="JFK", destination="LAX")
    assert checkout.post("/customize", {"action": "update", "fare_family": "STANDARD", "extras_shown": "1",
                                        "bags-0": "0"}).status_code == 303
    html = checkout.get("/customize").get_data(as_text=True)
    selected = re.search(r'<select name="bags-0".*?<option value="\d+" selected>([^<(]+)', html, re.S).group(1)
    assert selected.strip() == ONE_INCLUDED
    assert ">0<" not in html.split('name="bags-0"')[1].split("</select>")[0]  # no bare "0" left

    checkout.get("/passengers")
    assert checkout.post("/passengers", checkout.passengers_form([("Ada", "Lovelace", "1985-12-10")],
                                                                 international=False)).status_code == 303
    review = checkout.get("/review").get_data(as_text=True)
    assert re.search(rf"<td>{re.escape(ONE_INCLUDED)}</td>", review)

    response = checkout.post("/review", {f"ack_{k}": "y" for k in ACKS})
    reference = response.location.rsplit("/", 1)[-1]
    assert f"checked bags: {ONE_INCLUDED}" in checkout.get(f"/booking/{reference}").get_data(as_text=True)
    with app.app_context():
        booking = db.session.execute(select(Booking).where(Booking.reference == reference)).scalar_one()
        eticket = render_eticket_html(booking)
    assert ONE_INCLUDED in eticket and "No checked bag" not in eticket
