"""The three checkout steps (customise, passengers, review), one blueprint each.

Shared here: finding this browser's draft booking and renewing its hold.
"""
from __future__ import annotations

from functools import wraps

from flask import flash, g, session, url_for

from ..bookings import service
from ..bookings.service import BookingClosed
from ..extensions import db
from ..models import BookingStatus
from ..presentation import go_to, money

STEPS = (("customize.show", "Customise"), ("passengers.show", "Passengers"), ("review.show", "Review and pay"))


def with_draft(view):
    """Load the draft booking this browser is working on into g.booking.

    No draft: back to search. Already submitted: to its booking page. An expired hold is
    renewed here, and what changed is flashed so the traveller sees it before going on.
    A change that finds the booking closed under its lock (BookingClosed: a submit from
    another tab or click won the race) ends the same way, never in a 500.
    """
    @wraps(view)
    def wrapper(*args, **kwargs):
        booking = service.get_booking(session.get("draft_id"))
        if booking is None:
            flash("Your session has ended. Please search again; nothing was booked.", "info")
            return go_to(url_for("catalog.home"))
        if booking.status != BookingStatus.DRAFT:
            return _draft_closed(booking)
        renewal = service.renew_hold_if_expired(booking)
        if renewal.sold_out:  # the draft is closed: back to this day's flights to choose another
            flash(renewal.sold_out, "warning")
            session.pop("draft_id", None)
            return go_to(_search_again(booking))
        if booking.status != BookingStatus.DRAFT:  # submitted by another request while its hold was renewed
            return _draft_closed(booking)
        for seat in renewal.lost_seats:
            flash(f"Your hold expired and seat {seat} has since been taken. Please choose another seat.", "warning")
        g.booking = booking
        try:
            return view(*args, **kwargs)
        except BookingClosed as err:
            db.session.rollback()  # the booking as it now is (already so: the service rolled back)
            flash(f"{err.message} Nothing was changed.", "warning")
            return _draft_closed(booking)

    return wrapper


def _search_again(booking) -> str:
    """The results page for the booking's first leg (its whole route), day and party."""
    types = [p.passenger_type for p in booking.passengers]
    flight = booking.flight
    destination = booking.legs[0][-1].flight.destination_code
    return url_for("catalog.flights", origin=flight.origin_code, destination=destination,
                   date=flight.departure_date.isoformat(), adults=types.count("adult"),
                   children=types.count("child"), infants=types.count("infant"))


def _draft_closed(booking):
    """Where a browser goes whose draft is no longer one: its booking page, else search."""
    if booking.reference:
        return go_to(url_for("bookings.show", reference=booking.reference))
    return go_to(url_for("catalog.home"))


def price_change_notice(booking) -> str | None:
    if booking.price_change_from is None:
        return None
    direction = "gone up" if booking.price_change_to > booking.price_change_from else "gone down"
    return (f"Your price hold expired and the fare has {direction}: the total was "
            f"{money(booking.price_change_from, booking.currency)} and is now "
            f"{money(booking.price_change_to, booking.currency)}. Continuing accepts the new price.")
