"""The traveller's view of a submitted booking."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, session

from ..presentation import money
from . import service

bp = Blueprint("bookings", __name__, url_prefix="/booking")


@bp.get("/<reference>")
def show(reference: str):
    """Only the browser that made the booking sees it here (manage-my-booking comes later)."""
    booking = service.booking_by_reference(reference)
    if booking is None or booking.id not in session.get("booking_ids", []):
        abort(404, "We couldn't find that booking in this browser.")
    return render_template("bookings/show.html", booking=booking, total=money(booking.total_amount, booking.currency))
