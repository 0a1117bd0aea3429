"""The bookings API after creation: list and search (staff), and one booking read, amended
or cancelled by staff or by the traveller who proves it with its reference and email.

Routes on the `api` blueprint (api/__init__.py), like api/flights.py's.
Access to one booking: staff (`Authorization: Bearer`, or the console's session cookie, which
must bring the CSRF token and our Origin to change anything), or the traveller whose
`X-Booking-Reference` and `X-Booking-Email` headers match it (never query parameters, which
access logs keep: those are a 400). A wrong id, reference or email
all answer the same 404, so nobody learns whether someone else's booking exists.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import request, session
from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import selectinload

from . import bp
from . import schemas
from .flights import booked_slices, booking_summary
from .schemas import encode_cursor
from .support import json_body, require_cookie_call_from_us
from .. import audit, payments
from ..bookings import amendments, cancellation, passengers
from ..bookings.proof import guesser_wait, normalize_reference, record_failure, wait_message
from ..bookings.service import BookingError, Contact
from ..clock import utc_day_start, utcnow
from ..errors import ApiError
from ..extensions import db, limiter
from ..models import Booking, BookingStatus, Passenger
from ..staff.auth import StaffActor, staff_actor

NOT_FOUND = "We couldn't find a booking with that id, reference and email."
ACTOR_LENGTH = 80  # transitions and refunds keep the actor in 80 characters


def _staff_credentials() -> bool:
    """Cheap (no query): whether staff credentials were presented. A bad token gets 401
    from _access, never a 404, so this cannot be used to dodge the traveller limits."""
    return bool(request.headers.get("Authorization") or session.get("staff_user_id"))


# Proving a booking by reference + email is guessing-resistant like /manage: failed proofs
# (404s) are limited per address, and count towards the per-reference lock.
traveller_proof_limit = limiter.shared_limit(
    "10 per minute; 50 per hour", scope="api-booking-proof",
    deduct_when=lambda response: response.status_code == 404, exempt_when=_staff_credentials,
    error_message="Too many unsuccessful look-ups from your network. Please wait a few minutes.")


@bp.after_request
def _bearer_challenge(response):
    # RFC 6750: a 401 names the scheme the client should use.
    if response.status_code == 401:
        response.headers.setdefault("WWW-Authenticate", 'Bearer realm="fly2any"')
    return response


# -- who is asking -------------------------------------------------------------------

@dataclass(frozen=True)
class Access:
    booking: Booking
    actor: str  # for audit entries and transitions
    staff: StaffActor | None  # None for the traveller


def _staff_actor() -> StaffActor | None:
    actor = staff_actor()
    if actor is not None and actor.by_cookie:
        require_cookie_call_from_us()
    return actor


def _require_staff() -> StaffActor:
    actor = _staff_actor()
    if actor is None:
        if request.headers.get("Authorization"):
            raise ApiError(401, "unauthorized", "That API token is not valid (or was revoked).")
        raise ApiError(401, "unauthorized",
                       "Sign in as staff, or send an API token as 'Authorization: Bearer <token>'.")
    return actor


PROOF_IN_URL = ("Send the booking reference and email in the X-Booking-Reference and X-Booking-Email headers, "
                "not in the URL: URLs are written to access logs.")


def _access(booking_id: int) -> Access:
    """The booking, for staff or for its traveller; otherwise 404 (401 for a bad token)."""
    if "reference" in request.args or "email" in request.args:
        raise ApiError(400, "proof_in_url", PROOF_IN_URL)
    actor = _staff_actor()
    if actor is not None:
        booking = db.session.get(Booking, booking_id)
        if booking is None:
            raise ApiError(404, "not_found", "There is no booking with that id.")
        return Access(booking, actor.name, actor)
    if request.headers.get("Authorization"):
        raise ApiError(401, "unauthorized", "That API token is not valid (or was revoked).")
    reference = request.headers.get("X-Booking-Reference")
    email = request.headers.get("X-Booking-Email")
    reference = normalize_reference(reference or "")[:20]
    now = utcnow()
    address = request.remote_addr or "unknown"
    wait = guesser_wait(reference, address, now) if reference else None
    if wait:
        raise ApiError(429, "too_many_requests", wait_message(wait), retry_after=wait)
    booking = None
    if reference and email:
        booking = db.session.execute(select(Booking).where(
            Booking.id == booking_id,
            Booking.reference == reference,
            func.lower(Booking.contact_email) == email.strip().lower(),
        )).scalar_one_or_none()
    if booking is None:
        if reference:
            record_failure(reference, address, now)
        raise ApiError(404, "not_found", NOT_FOUND)
    return Access(booking, f"traveller {booking.contact_email}", None)


# -- answers -------------------------------------------------------------------------

def _list_item(booking: Booking) -> schemas.BookingListItem:
    lead = booking.passengers[0] if booking.passengers else None
    return schemas.BookingListItem(**booking_summary(booking), contact_email=booking.contact_email,
                                   lead_passenger=lead.full_name if lead and lead.full_name else None,
                                   submitted_at=booking.submitted_at)


def booking_detail(booking: Booking, now: datetime | None = None) -> schemas.BookingDetail:
    """Everything about one booking a traveller may see. Card data: brand and last4 only."""
    terms = cancellation.cancellation_terms(booking, now)
    return schemas.BookingDetail(
        **booking_summary(booking), submitted_at=booking.submitted_at, confirmed_at=booking.confirmed_at,
        slices=booked_slices(booking),
        passengers=[schemas.Passenger(
            position=p.position, type=p.passenger_type, first_name=p.first_name, last_name=p.last_name,
            passport_number=p.masked_passport_number,  # never the full number, to staff or traveller
            seat=p.seat_code, checked_bags=p.checked_bags) for p in booking.passengers],
        contact=schemas.Contact(email=booking.contact_email, phone=booking.contact_phone),
        price_lines=[schemas.PriceLine(kind=line.kind, description=line.description, amount=line.amount,
                                       passenger_position=line.passenger_position) for line in booking.price_lines],
        payments=[schemas.Payment(status=a.status, brand=a.card_brand, last4=a.card_last4)
                  for a in booking.payment_attempts],
        refunds=[schemas.Refund(amount=r.amount, currency=r.currency, status=r.status, created_at=r.created_at)
                 for r in booking.refunds],
        cancellation=schemas.CancellationQuote(allowed=terms.allowed, refund_amount=terms.refund_amount,
                                               rule=terms.rule, explanation=terms.explanation),
    )


# -- list and search -----------------------------------------------------------------

@bp.get("/bookings")
def list_bookings():
    """Staff only. Newest first; keyset pagination on the id (the cursor is opaque)."""
    _require_staff()
    query = schemas.parse(schemas.BookingQuery, request.args.to_dict(), "Some filters are invalid.")
    # Each item names its trip (offerId): the segments of the page in one more query, not one a booking.
    stmt = select(Booking).options(selectinload(Booking.passengers), selectinload(Booking.segments))
    if query.status:
        stmt = stmt.where(Booking.status.in_(query.status))
    else:
        stmt = stmt.where(Booking.status != BookingStatus.DRAFT)  # abandoned drafts only on request
    if query.email:
        stmt = stmt.where(func.lower(Booking.contact_email) == query.email.lower())
    if query.reference:
        stmt = stmt.where(Booking.reference == query.reference.upper())
    if query.q:
        stmt = stmt.where(or_(
            Booking.reference.icontains(query.q, autoescape=True),
            Booking.contact_email.icontains(query.q, autoescape=True),
            exists().where(Passenger.booking_id == Booking.id, Passenger.last_name.icontains(query.q, autoescape=True)),
        ))
    if query.from_:
        stmt = stmt.where(Booking.submitted_at >= utc_day_start(query.from_))
    if query.to:
        stmt = stmt.where(Booking.submitted_at < utc_day_start(query.to + timedelta(days=1)))
    if query.cursor:
        stmt = stmt.where(Booking.id < query.cursor)

    rows = db.session.execute(stmt.order_by(Booking.id.desc()).limit(query.limit + 1)).unique().scalars().all()
    page = rows[:query.limit]
    return schemas.BookingList(
        bookings=[_list_item(b) for b in page],
        next_cursor=encode_cursor(page[-1].id) if len(rows) > query.limit else None,
    ).answer()


# -- one booking ---------------------------------------------------------------------

# The path parameter is `id`, as documented in the OpenAPI paths ({id}).
@bp.get("/bookings/<int:id>")
@traveller_proof_limit
def get_booking(id: int):  # noqa: A002
    access = _access(id)
    return booking_detail(access.booking).answer()


@bp.put("/bookings/<int:id>")
@traveller_proof_limit
def amend_booking(id: int):  # noqa: A002
    """Amend `contact` (any time before departure) and/or `passengers` names (only while unpaid)."""
    access = _access(id)
    booking = access.booking
    body = schemas.parse(schemas.AmendBooking, json_body())
    if body.contact is None and body.passengers is None:
        raise ApiError(422, "validation_error", "Send contact and/or passengers to change.",
                       {"contact": "Send contact and/or passengers to change."})
    problem = amendments.amendment_problem(booking, utcnow(), names=body.passengers is not None)
    if problem:
        raise ApiError(409, "not_amendable", problem)

    fields: dict[str, str] = {}
    contact = _contact_from(body.contact, booking, fields) if body.contact is not None else None
    names = _names_from(body.passengers, booking, fields) if body.passengers is not None else None
    if fields:
        raise ApiError(422, "validation_error", "Some details are missing or invalid.", fields)
    try:
        booking = amendments.amend(booking.id, access.actor[:254], contact=contact, names=names,
                                   may_change_paid_email=access.staff is None or access.staff.can_refund)
    except amendments.AmendmentForbidden as err:
        raise ApiError(403, "forbidden", err.message)
    except amendments.AmendmentRefused as err:
        raise ApiError(409, "not_amendable", err.message)
    return booking_detail(booking).answer()


def _contact_from(given: schemas.ContactChange, booking: Booking, fields: dict) -> Contact | None:
    """A partial contact keeps the booking's other value; both are checked by the step 2 rules."""
    if given.email is None and given.phone is None:
        fields["contact"] = "Give contact as an object with email and/or phone."
        return None
    email = booking.contact_email or "" if given.email is None else given.email
    phone = booking.contact_phone or "" if given.phone is None else given.phone
    problems = passengers.contact_problems(email, phone)
    if problems:
        fields |= {f"contact.{name}": message for name, message in problems.items()}
        return None
    return passengers.contact_details(email, phone)


def _names_from(given: list[schemas.NameChange], booking: Booking, fields: dict) -> list[tuple[str, str]] | None:
    count = len(booking.passengers)
    if len(given) != count:
        fields["passengers"] = (f"Give all {count} passengers in the booking's order, "
                                "each as {firstName, lastName}.")
        return None
    names = []
    for i, (entry, passenger) in enumerate(zip(given, booking.passengers)):
        first = (passenger.first_name if entry.first_name is None else entry.first_name).strip()
        last = (passenger.last_name if entry.last_name is None else entry.last_name).strip()
        problems = {"firstName": passengers.name_problem(first, "first"),
                    "lastName": passengers.name_problem(last, "last")}
        fields |= {f"passengers.{i}.{camel}": message for camel, message in problems.items() if message}
        if not any(problems.values()):
            names.append((first, last))
    return names if len(names) == count else None


@bp.delete("/bookings/<int:id>")
@traveller_proof_limit
def cancel_booking(id: int):  # noqa: A002
    """Cancel with the refund the rules allow. `?expectedRefund=` (minor units) makes it
    quote-then-confirm: nothing happens unless the rules still give exactly that."""
    access = _access(id)
    if access.staff is not None and not access.staff.can_refund:
        raise ApiError(403, "forbidden", "Only supervisors can cancel and refund bookings.")
    query = schemas.parse(schemas.CancelQuery, request.args.to_dict(),
                          "expectedRefund must be a whole number of minor units.")
    expected = query.expected_refund
    booking = access.booking
    terms = cancellation.cancellation_terms(booking)
    if not terms.allowed:
        raise ApiError(409, "not_cancellable", terms.explanation)
    before = audit.snapshot(booking)
    try:
        booking, refunded = payments.cancel_booking(booking.id, actor=access.actor[:ACTOR_LENGTH],
                                                  expected_refund=expected)
    except BookingError as err:
        db.session.rollback()
        raise ApiError(409, "not_cancellable", err.message)
    audit.record(access.actor[:254], "cancel_booking", booking, before, audit.snapshot(booking),
                 detail=f"{terms.rule}: refunded {refunded} {booking.currency}")
    db.session.commit()
    return schemas.CancelResult(booking_id=booking.id, status=booking.status, refund_amount=refunded,
                                currency=booking.currency).answer()
