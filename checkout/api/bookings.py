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

import base64
import binascii
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import jsonify, request, session
from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import selectinload

from . import bp
from .flights import booking_json
from .support import json_body, require_cookie_call_from_us, text_field
from .. import audit, payments
from ..bookings import amendments, cancellation, passengers
from ..bookings.proof import guesser_wait, normalize_reference, record_failure, wait_message
from ..bookings.service import BookingError, Contact
from ..clock import utc_day_start, utcnow
from ..errors import ApiError
from ..extensions import db, limiter
from ..models import Booking, BookingStatus, Passenger
from ..staff.auth import StaffActor, staff_actor
from ..parsing import Unreadable, as_id, parse_date, parse_int

DEFAULT_LIMIT = 25
MAX_LIMIT = 100
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

def _list_item(booking: Booking) -> dict:
    lead = booking.passengers[0] if booking.passengers else None
    return booking_json(booking) | {
        "contactEmail": booking.contact_email,
        "leadPassenger": lead.full_name if lead and lead.full_name else None,
        "submittedAt": booking.submitted_at.isoformat() if booking.submitted_at else None,
    }


def booking_detail_json(booking: Booking, now: datetime | None = None) -> dict:
    """Everything about one booking a traveller may see. Card data: brand and last4 only."""
    terms = cancellation.cancellation_terms(booking, now)
    return booking_json(booking) | {
        "submittedAt": booking.submitted_at.isoformat() if booking.submitted_at else None,
        "confirmedAt": booking.confirmed_at.isoformat() if booking.confirmed_at else None,
        "passengers": [
            {"position": p.position, "type": p.passenger_type, "firstName": p.first_name, "lastName": p.last_name,
             "passportNumber": p.masked_passport_number,  # never the full number, to staff or traveller
             "seat": p.seat_code, "checkedBags": p.checked_bags}
            for p in booking.passengers
        ],
        "contact": {"email": booking.contact_email, "phone": booking.contact_phone},
        "priceLines": [
            {"kind": line.kind, "description": line.description, "amount": line.amount,
             "passengerPosition": line.passenger_position}
            for line in booking.price_lines
        ],
        "payments": [{"status": a.status, "brand": a.card_brand, "last4": a.card_last4}
                     for a in booking.payment_attempts],
        "refunds": [{"amount": r.amount, "currency": r.currency, "status": r.status,
                     "createdAt": r.created_at.isoformat()} for r in booking.refunds],
        "cancellation": {"allowed": terms.allowed, "refundAmount": terms.refund_amount, "rule": terms.rule,
                         "explanation": terms.explanation},
    }


# -- list and search -----------------------------------------------------------------

def encode_cursor(booking_id: int) -> str:
    return base64.urlsafe_b64encode(f"b{booking_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int | None:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return as_id(raw[1:]) if raw.startswith("b") else None


def _day(name: str, errors: dict) -> date | None:
    try:
        return parse_date(request.args.get(name))
    except Unreadable as err:
        errors[name] = err.message
        return None


@bp.get("/bookings")
def list_bookings():
    """Staff only. Newest first; keyset pagination on the id (the cursor is opaque)."""
    _require_staff()
    args, errors = request.args, {}
    stmt = select(Booking).options(selectinload(Booking.passengers))

    if args.get("status"):
        statuses = [s.strip().upper() for s in args["status"].split(",") if s.strip()]
        unknown = [s for s in statuses if s not in BookingStatus.ALL]
        if unknown:
            errors["status"] = f"Unknown status {', '.join(unknown)}. Use {', '.join(BookingStatus.ALL)}."
        stmt = stmt.where(Booking.status.in_(statuses))
    else:
        stmt = stmt.where(Booking.status != BookingStatus.DRAFT)  # abandoned drafts only on request
    if args.get("email"):
        stmt = stmt.where(func.lower(Booking.contact_email) == args["email"].strip().lower())
    if args.get("reference"):
        stmt = stmt.where(Booking.reference == args["reference"].strip().upper())
    if args.get("q", "").strip():
        q = args["q"].strip()
        stmt = stmt.where(or_(
            Booking.reference.icontains(q, autoescape=True),
            Booking.contact_email.icontains(q, autoescape=True),
            exists().where(Passenger.booking_id == Booking.id, Passenger.last_name.icontains(q, autoescape=True)),
        ))
    start, end = _day("from", errors), _day("to", errors)
    if start and end and start > end:
        errors["to"] = "The end date is before the start date."
    if start:
        stmt = stmt.where(Booking.submitted_at >= utc_day_start(start))
    if end:
        stmt = stmt.where(Booking.submitted_at < utc_day_start(end + timedelta(days=1)))

    limit = DEFAULT_LIMIT
    if args.get("limit"):
        try:
            limit = parse_int(args["limit"], 1, MAX_LIMIT) or DEFAULT_LIMIT
        except Unreadable:
            errors["limit"] = f"Give a whole number from 1 to {MAX_LIMIT}."
    if args.get("cursor"):
        after = decode_cursor(args["cursor"].strip())
        if after is None:
            errors["cursor"] = "This cursor is not valid. Use the nextCursor of the previous page, or leave it out."
        else:
            stmt = stmt.where(Booking.id < after)
    if errors:
        raise ApiError(422, "validation_error", "Some filters are invalid.", errors)

    rows = db.session.execute(stmt.order_by(Booking.id.desc()).limit(limit + 1)).unique().scalars().all()
    page = rows[:limit]
    return jsonify({
        "bookings": [_list_item(b) for b in page],
        "nextCursor": encode_cursor(page[-1].id) if len(rows) > limit else None,
    })


# -- one booking ---------------------------------------------------------------------

# The path parameter is `id`, as documented in the OpenAPI paths ({id}).
@bp.get("/bookings/<int:id>")
@traveller_proof_limit
def get_booking(id: int):  # noqa: A002
    access = _access(id)
    return jsonify(booking_detail_json(access.booking))


@bp.put("/bookings/<int:id>")
@traveller_proof_limit
def amend_booking(id: int):  # noqa: A002
    """Amend `contact` (any time before departure) and/or `passengers` names (only while unpaid)."""
    access = _access(id)
    booking = access.booking
    body = json_body()
    unknown = sorted(set(body) - {"contact", "passengers"})
    if unknown or not body:
        raise ApiError(422, "validation_error", "Send contact and/or passengers to change.",
                       {name: "This cannot be changed here." for name in unknown} or
                       {"contact": "Send contact and/or passengers to change."})
    problem = amendments.amendment_problem(booking, utcnow(), names="passengers" in body)
    if problem:
        raise ApiError(409, "not_amendable", problem)

    fields: dict[str, str] = {}
    contact = _contact_from(body["contact"], booking, fields) if "contact" in body else None
    names = _names_from(body["passengers"], booking, fields) if "passengers" in body else None
    if fields:
        raise ApiError(422, "validation_error", "Some details are missing or invalid.", fields)
    try:
        booking = amendments.amend(booking.id, access.actor[:254], contact=contact, names=names,
                                   may_change_paid_email=access.staff is None or access.staff.can_refund)
    except amendments.AmendmentForbidden as err:
        raise ApiError(403, "forbidden", err.message)
    except amendments.AmendmentRefused as err:
        raise ApiError(409, "not_amendable", err.message)
    return jsonify(booking_detail_json(booking))


def _contact_from(given, booking: Booking, fields: dict) -> Contact | None:
    """A partial contact keeps the booking's other value; both are checked by the step 2 rules."""
    if not isinstance(given, dict) or not given or set(given) - {"email", "phone"}:
        fields["contact"] = "Give contact as an object with email and/or phone."
        return None
    email = text_field(given.get("email"), "contact.email", fields, booking.contact_email or "")
    phone = text_field(given.get("phone"), "contact.phone", fields, booking.contact_phone or "")
    if fields:
        return None
    problems = passengers.contact_problems(email, phone)
    if problems:
        fields |= {f"contact.{name}": message for name, message in problems.items()}
        return None
    return passengers.contact_details(email, phone)


def _names_from(given, booking: Booking, fields: dict) -> list[tuple[str, str]] | None:
    count = len(booking.passengers)
    if not isinstance(given, list) or len(given) != count or not all(isinstance(p, dict) for p in given):
        fields["passengers"] = (f"Give all {count} passengers in the booking's order, "
                                "each as {firstName, lastName}.")
        return None
    names = []
    for i, (entry, passenger) in enumerate(zip(given, booking.passengers)):
        wrong_types: dict[str, str] = {}
        first = text_field(entry.get("firstName"), f"passengers.{i}.firstName", wrong_types, passenger.first_name).strip()
        last = text_field(entry.get("lastName"), f"passengers.{i}.lastName", wrong_types, passenger.last_name).strip()
        problems = {"firstName": passengers.name_problem(first, "first"),
                    "lastName": passengers.name_problem(last, "last")}
        problems |= {path.rsplit(".", 1)[1]: message for path, message in wrong_types.items()}
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
    raw_expected = request.args.get("expectedRefund")
    try:
        expected = parse_int(raw_expected)
        if raw_expected is not None and expected is None:
            raise Unreadable("given, but blank")
    except Unreadable:
        raise ApiError(422, "validation_error", "expectedRefund must be a whole number of minor units.",
                       {"expectedRefund": "Give the quoted refund in minor units, e.g. 59999 for $599.99."})
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
    return jsonify({"bookingId": booking.id, "status": booking.status, "refundAmount": refunded,
                    "currency": booking.currency})
