"""The e-ticket: one HTML template, printed to PDF by WeasyPrint.

Rendered from the booking as it is now (status, seats, payment), so a re-download
after a change shows the change. Needs an app context (the template uses the app's
money and local time filters), not a request.
"""
from __future__ import annotations

from flask import current_app, render_template

from .. import pricing
from ..catalog import search
from ..models import Booking, FareFamily

ORDINALS = ("1st", "2nd", "3rd")
CARD_BRANDS = {"amex": "American Express", "diners": "Diners Club", "jcb": "JCB", "unionpay": "UnionPay"}


def card_label(attempt) -> str | None:
    """'Visa ending in 4242' for a payment attempt, or None when there is nothing to say."""
    if attempt is None or not attempt.card_last4:
        return None
    brand = attempt.card_brand or "card"
    return f"{CARD_BRANDS.get(brand, brand.capitalize())} ending in {attempt.card_last4}"


def bag_terms(booking: Booking, fare: FareFamily | None = None) -> dict:
    """What the traveller may carry under `fare` (the booking's, unless a slice's is given):
    carry-on, checked bags included, prices of the others.

    Bag prices go by the bag's place in the count: with one included, the next bag is
    the 2nd (pricing.bag_price charges BAG_PRICES[1] for it).
    """
    fare = fare or booking.fare_family
    included = pricing.included_bags(search.fare_terms(fare), search.bundle_terms(booking.bundle))
    extra = [(f"{ORDINALS[n]} checked bag", pricing.BAG_PRICES[n]) for n in range(included, pricing.MAX_CHECKED_BAGS)]
    return {"carry_on": fare.carry_on, "included_checked_bags": included, "extra_bag_prices": extra,
            "fees": pricing.bag_fees(fare.carry_on, included)}


def segment_bag_terms(booking: Booking) -> dict[int, dict]:
    """The allowance on each flight of the trip (segment id -> bag_terms): a slice's fare
    decides what its flights carry (docs/adr/0133)."""
    return {segment.id: bag_terms(booking, segment.slice.fare_family) for segment in booking.segments}


def render_eticket_html(booking: Booking) -> str:
    return render_template(
        "bookings/eticket.html", booking=booking, flight=booking.flight, fare=booking.fare_family,
        bundle=booking.bundle, paid_attempt=booking.paid_attempt, card=card_label(booking.paid_attempt),
        bags=bag_terms(booking), segment_bags=segment_bag_terms(booking),
    )


def render_eticket_pdf(booking: Booking) -> bytes:
    """The booking's e-ticket as PDF bytes (its title, in the PDF metadata, names the reference)."""
    from weasyprint import HTML  # heavy import, only where a PDF is made

    return HTML(string=render_eticket_html(booking), base_url=current_app.root_path).write_pdf()


def eticket_filename(booking: Booking) -> str:
    return f"Fly2Any-e-ticket-{booking.reference}.pdf"


def eticket_response(booking: Booking):
    """The e-ticket as a download; only a confirmed booking has one (409 otherwise)."""
    from flask import abort, make_response

    from ..models import BookingStatus
    if booking.status != BookingStatus.CONFIRMED:
        abort(409, "The e-ticket is ready while the booking is confirmed.")
    response = make_response(render_eticket_pdf(booking))
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'attachment; filename="{eticket_filename(booking)}"'
    return response
