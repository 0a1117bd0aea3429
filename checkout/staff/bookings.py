"""What the staff console reads: booking search, filters, keyset pages, one booking, its timeline.

Reading only; nothing here changes a booking. Every list query eager-loads what the
table shows, so the number of SQL statements does not grow with the rows shown.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import product
from datetime import date, datetime, timedelta

from sqlalchemy import and_, exists, func, or_, select, tuple_, union
from sqlalchemy.orm import aliased, selectinload

from ..clock import utc_day_start, utcnow
from ..extensions import db
from ..formatting import date_time
from ..models import (
    AttemptStatus, AuditEntry, Booking, BookingSegment, BookingStatus, Dispute, Flight, OutboxEmail, Passenger,
    PaymentAttempt, Refund, RefundStatus, WebhookEvent,
)

PAGE_SIZE = 25
ANOMALIES = {
    "paid_not_confirmed": "Paid but not confirmed",
    "pending_past_expiry": "Pending past expiry",
    "needs_attention": "Needs attention",
    "webhook_failures": "Webhook failures",
    "disputed": "Disputed",
}
PAYMENT_INTENT = re.compile(r"^pi_\w+$")
LAST4 = re.compile(r"^\d{4}$")
# Two letters (the airline) and one to four digits: "FA100", "fa 100". No surname, email
# prefix or reference looks like it.
FLIGHT_NUMBER = re.compile(r"^([a-z]{2}) ?(\d{1,4})$", re.I)


@dataclass(frozen=True)
class BookingSearch:
    """What the person asked for. `text` is one box: reference, email, surname, last4 or pi_ id."""
    text: str = ""
    status: str | None = None
    booked_from: date | None = None
    booked_to: date | None = None
    anomaly: str | None = None


@dataclass
class BookingPage:
    bookings: list[Booking]
    next_after: int | None  # the `after` of the next page, None on the last page
    disputed: set[int] = field(default_factory=set)  # ids of the bookings shown that have a dispute

    def is_disputed(self, booking: Booking) -> bool:
        return booking.id in self.disputed


def _like_prefix(text: str) -> str:
    return re.sub(r"([\\%_])", r"\\\1", text.lower()) + "%"


def text_alternatives(text: str) -> list | None:
    """Which bookings one search term finds, as conditions any one of which finds a booking
    (None: the term is empty).

    pi_… -> that PaymentIntent; four digits -> card last4; a flight number -> bookings
    flying it on any flight of their trip (any day); otherwise the reference
    (exact), the contact email (exact or prefix) or a passenger surname (prefix), all
    case-insensitive, so typing narrows the list as it goes. Each alternative is read from
    its own index (see find_bookings).
    """
    text = text.strip()
    if not text:
        return None
    if PAYMENT_INTENT.match(text):
        return [Booking.payment_attempts.any(PaymentAttempt.payment_intent_id == text)]
    if LAST4.match(text):
        return [Booking.payment_attempts.any(PaymentAttempt.card_last4 == text)]
    flight_number = FLIGHT_NUMBER.match(text)
    if flight_number:
        return [on_flight_number("".join(flight_number.groups()).upper())]
    pattern = _like_prefix(text)
    found = [Booking.reference == text.upper(), func.lower(Booking.contact_email).like(pattern, escape="\\")]
    if "@" not in text:
        found.append(Booking.passengers.any(func.lower(Passenger.last_name).like(pattern, escape="\\")))
    return found


def on_flight_number(number: str):
    """Bookings with that flight number on ANY flight of their trip, not only the first
    (bookings.flight_id): the flights by number from uq_flights_number_departure, their
    bookings from booking_segments' flight_id index."""
    return Booking.id.in_(select(BookingSegment.booking_id).join(Flight, Flight.id == BookingSegment.flight_id)
                          .where(Flight.flight_number == number))


def trip_route(booking: Booking) -> str:
    """The trip's route at a glance for staff (docs/adr/0136): "JFK → LHR" one way,
    "JFK → LHR → CDG" with a connection, "JFK ⇄ LHR" for a return (" via LHR" naming the
    stops of a return with connections), "JFK → LHR · CDG → JFK" where a leg starts at
    another airport than the last one ended."""
    chains = [[leg[0].flight.origin_code] + [s.flight.destination_code for s in leg] for leg in booking.legs]
    if not chains:  # written before trips, and never migrated (test rows)
        chains = [[booking.flight.origin_code, booking.flight.destination_code]]
    if len(chains) == 2 and chains[1][0] == chains[0][-1] and chains[1][-1] == chains[0][0]:
        stops = list(dict.fromkeys(chains[0][1:-1] + chains[1][1:-1]))
        return f"{chains[0][0]} ⇄ {chains[0][-1]}" + (f" via {', '.join(stops)}" if stops else "")
    joined: list[list[str]] = []
    for chain in chains:
        if joined and joined[-1][-1] == chain[0]:
            joined[-1].extend(chain[1:])
        else:
            joined.append(list(chain))
    return " · ".join(" → ".join(chain) for chain in joined)


def _refunded(attempt_table=PaymentAttempt):
    """Money given back for the attempt in the enclosing query (pending refunds count as gone)."""
    return (select(func.coalesce(func.sum(Refund.amount), 0))
            .where(Refund.payment_attempt_id == attempt_table.id, Refund.status != RefundStatus.FAILED)
            .correlate(attempt_table).scalar_subquery())


def anomaly_condition(name: str, now: datetime):
    """The saved anomaly filters, defined precisely.

    paid_not_confirmed: a succeeded attempt not fully refunded, on a booking that is not CONFIRMED,
        except a CANCELLED booking whose attempt has a refund (cancelled under the fare rules,
        which may keep part of the money; pending refunds count as given back).
    pending_past_expiry: PENDING_PAYMENT whose hold has passed (the sweeper has not run).
    needs_attention: flagged (late or double payment...) or a refund that failed.
    webhook_failures: a failed webhook event for one of the booking's PaymentIntents.
    disputed: a cardholder disputed the booking's payment (open or closed).
    """
    if name == "paid_not_confirmed":
        refunded = _refunded()
        return and_(Booking.status != BookingStatus.CONFIRMED, Booking.payment_attempts.any(and_(
            PaymentAttempt.status == AttemptStatus.SUCCEEDED, PaymentAttempt.amount > refunded,
            or_(Booking.status != BookingStatus.CANCELLED, refunded == 0))))
    if name == "pending_past_expiry":
        return and_(Booking.status == BookingStatus.PENDING_PAYMENT, Booking.hold_expires_at < now)
    if name == "needs_attention":
        return or_(*anomaly_alternatives(name, now))
    if name == "webhook_failures":
        return exists(select(WebhookEvent.id).join(
            PaymentAttempt, PaymentAttempt.payment_intent_id == WebhookEvent.payment_intent_id
        ).where(PaymentAttempt.booking_id == Booking.id, WebhookEvent.status == "failed"))
    if name == "disputed":
        return _has_dispute()
    raise ValueError(f"unknown anomaly filter {name!r}")


def anomaly_alternatives(name: str, now: datetime) -> list:
    """anomaly_condition as conditions any one of which finds a booking, each from its own
    index: "needs attention" is the few flagged bookings or the few failed refunds."""
    if name == "needs_attention":
        return [Booking.attention_reason.is_not(None), Booking.refunds.any(Refund.status == RefundStatus.FAILED)]
    return [anomaly_condition(name, now)]


def _has_dispute():
    return exists(select(Dispute.id).where(Dispute.booking_id == Booking.id))


# The list's order, served by the index ix_bookings_submitted_at_id read backwards.
NEWEST_FIRST = (Booking.submitted_at.desc(), Booking.id.desc())


def _before(after: int):
    """Rows after booking `after` in NEWEST_FIRST order: (submitted_at, id) < that booking's.

    One row comparison, so PostgreSQL reads on along the index from that point. An `after`
    that names no submitted booking gives an empty page, never an error.
    """
    anchor = aliased(Booking)
    cursor = select(anchor.submitted_at, anchor.id).where(anchor.id == after).scalar_subquery()
    return tuple_(Booking.submitted_at, Booking.id) < cursor


def find_bookings(search: BookingSearch, after: int | None = None, limit: int = PAGE_SIZE,
                  now: datetime | None = None) -> BookingPage:
    """Submitted bookings matching `search`, newest first, `limit` at a time after booking id `after`.

    Newest first is by booked time (`submitted_at`, the time the table shows; the id follows the
    draft's creation, which can be long before), the id breaking ties. Keyset pagination on
    (submitted_at, id) from the booking `after`, looked up inside the same statement: a page
    never shifts when new bookings arrive. Always the same few statements, whatever `limit` is.

    A search whose condition is an OR of alternatives (a text term: reference, email or
    surname; "needs attention") reads each alternative on its own, newest first, at most a
    page of it, so PostgreSQL picks the right index for each: a common surname is read down
    the booked-time index until a page is found, a rare one from the surname index. The page
    is the newest of those few ids. (An OR in one scan would test every booking for a rare
    term, and the ids of every match of a common one would be gathered and sorted.)
    """
    now = now or utcnow()
    # Submitted is booked: the reference and submitted_at are set together (bookings.service.submit).
    conditions = [Booking.reference.is_not(None), Booking.submitted_at.is_not(None)]
    if search.status:
        conditions.append(Booking.status == search.status)
    if search.booked_from:
        conditions.append(Booking.submitted_at >= utc_day_start(search.booked_from))
    if search.booked_to:
        conditions.append(Booking.submitted_at < utc_day_start(search.booked_to + timedelta(days=1)))
    if after:
        conditions.append(_before(after))
    either = [text_alternatives(search.text) or [None], anomaly_alternatives(search.anomaly, now) if search.anomaly
              else [None]]
    combinations = [[c for c in combination if c is not None] for combination in product(*either)]
    # Whether each row is disputed comes in the same statement, for the table's badge.
    query = select(Booking, _has_dispute().label("disputed"))
    if len(combinations) == 1:
        query = query.where(*conditions, *combinations[0])
    else:
        pages = [select(Booking.id).where(*conditions, *combination).order_by(*NEWEST_FIRST).limit(limit + 1)
                 .subquery() for combination in combinations]
        query = query.where(Booking.id.in_(union(*[select(page.c.id) for page in pages])))
    query = query.options(selectinload(Booking.passengers), selectinload(Booking.payment_attempts),
                          selectinload(Booking.refunds), selectinload(Booking.segments)).order_by(*NEWEST_FIRST).limit(limit + 1)
    found = list(db.session.execute(query).unique())
    more = len(found) > limit
    rows = [booking for booking, _ in found[:limit]]
    return BookingPage(rows, rows[-1].id if more else None, {booking.id for booking, disputed in found if disputed})


def card_attempt(booking: Booking) -> PaymentAttempt | None:
    """The attempt whose card the table shows: the paid one, else the latest with a card."""
    return booking.paid_attempt or next((a for a in reversed(booking.payment_attempts) if a.card_last4), None)


def needs_attention(booking: Booking) -> bool:
    return bool(booking.attention_reason) or any(r.status == RefundStatus.FAILED for r in booking.refunds)


# -- one booking ------------------------------------------------------------------------

def booking_for_staff(reference: str) -> Booking | None:
    """The booking with everything its page shows, loaded up front."""
    return db.session.execute(
        select(Booking).where(Booking.reference == (reference or "").strip().upper()).options(
            selectinload(Booking.passengers), selectinload(Booking.segments), selectinload(Booking.price_lines),
            selectinload(Booking.transitions),
            selectinload(Booking.acknowledgements), selectinload(Booking.payment_attempts),
            selectinload(Booking.refunds))
    ).scalar_one_or_none()


def webhook_events(booking: Booking) -> list[WebhookEvent]:
    intents = [a.payment_intent_id for a in booking.payment_attempts]
    if not intents:
        return []
    return list(db.session.execute(
        select(WebhookEvent).where(WebhookEvent.payment_intent_id.in_(intents)).order_by(WebhookEvent.received_at)
    ).scalars())


def outbox_emails(booking: Booking) -> list[OutboxEmail]:
    return list(db.session.execute(
        select(OutboxEmail).where(OutboxEmail.booking_id == booking.id).order_by(OutboxEmail.created_at, OutboxEmail.id)
    ).scalars())


def disputes(booking: Booking) -> list[Dispute]:
    return list(db.session.execute(
        select(Dispute).where(Dispute.booking_id == booking.id).order_by(Dispute.created_at, Dispute.id)
    ).scalars())


def audit_entries(booking: Booking) -> list[AuditEntry]:
    return list(db.session.execute(
        select(AuditEntry).where(AuditEntry.booking_id == booking.id).order_by(AuditEntry.at, AuditEntry.id)
    ).scalars())


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # status | payment | refund | dispute | webhook | email | staff
    title: str
    actor: str | None = None
    detail: str | None = None
    amount: int | None = None  # minor units, formatted by the template
    currency: str | None = None
    # "failed", "canceled" or "succeeded" where the entry is the end of something that could go
    # either way (a payment attempt, a refund, a webhook, an email): the page marks it in words.
    outcome: str | None = None
    # Whether the detail is our own words, whose amounts are stored as minor units ("total
    # 212409 USD") and shown as money. A refund's reason holds what staff typed: shown as typed.
    detail_in_minor_units: bool = True


@dataclass
class BookingRecord:
    """Everything the staff booking page shows about one booking."""
    booking: Booking
    webhook_events: list[WebhookEvent] = field(default_factory=list)
    emails: list[OutboxEmail] = field(default_factory=list)
    audit: list[AuditEntry] = field(default_factory=list)
    disputes: list[Dispute] = field(default_factory=list)

    @property
    def open_disputes(self) -> list[Dispute]:
        return [d for d in self.disputes if d.is_open]

    @property
    def timeline(self) -> list[TimelineEntry]:
        return timeline(self.booking, self.webhook_events, self.emails, self.audit, self.disputes)


def booking_record(reference: str) -> BookingRecord | None:
    booking = booking_for_staff(reference)
    if booking is None:
        return None
    return BookingRecord(booking, webhook_events(booking), outbox_emails(booking), audit_entries(booking),
                         disputes(booking))


def _status_words(status: str | None) -> str:
    return (status or "new").replace("_", " ").lower()


def _attempt_entries(attempt: PaymentAttempt) -> list[TimelineEntry]:
    label = f"Payment attempt {attempt.number}"
    entries = [TimelineEntry(attempt.created_at, "payment", f"{label} created", "payment",
                             attempt.payment_intent_id, attempt.amount, attempt.currency)]
    card = f"{(attempt.card_brand or 'card').capitalize()} •••• {attempt.card_last4}" if attempt.card_last4 else None
    if attempt.status == AttemptStatus.SUCCEEDED:
        entries.append(TimelineEntry(attempt.succeeded_at or attempt.updated_at, "payment", f"{label} succeeded",
                                     "payment", ", ".join(filter(None, [card, "3-D Secure" if attempt.used_3ds else None])),
                                     outcome="succeeded"))
    elif attempt.status in (AttemptStatus.FAILED, AttemptStatus.CANCELED):
        entries.append(TimelineEntry(attempt.updated_at, "payment", f"{label} {attempt.status}", "payment",
                                     ": ".join(filter(None, [attempt.failure_code, attempt.failure_message])) or None,
                                     outcome=attempt.status))
    return entries


def _dispute_entries(dispute: Dispute) -> list[TimelineEntry]:
    words = dispute_words(dispute)
    entries = [TimelineEntry(dispute.created_at, "dispute", "Dispute opened by the cardholder's bank", "stripe",
                             f"{dispute.stripe_dispute_id}, reason {words.reason}", dispute.amount, dispute.currency)]
    if dispute.closed_at:
        entries.append(TimelineEntry(dispute.closed_at, "dispute", f"Dispute closed: {words.outcome}", "stripe",
                                     dispute.stripe_dispute_id))
    return entries


@dataclass(frozen=True)
class DisputeWords:
    reason: str
    status: str
    outcome: str | None


def dispute_words(dispute: Dispute) -> DisputeWords:
    """Stripe's codes as support reads them ("product_not_received" -> "product not received")."""
    def words(code: str | None) -> str | None:
        return code.replace("_", " ") if code else None
    return DisputeWords(words(dispute.reason), words(dispute.status), words(dispute.outcome))


_OUTCOMES = {RefundStatus.SUCCEEDED: "succeeded", RefundStatus.FAILED: "failed"}


def timeline(booking: Booking, events: list[WebhookEvent], emails: list[OutboxEmail],
             audit: list[AuditEntry], disputes: list[Dispute] = ()) -> list[TimelineEntry]:
    """State changes, payment attempts, refunds, disputes, webhook events, emails and staff actions, oldest first."""
    entries: list[TimelineEntry] = []
    for change in booking.transitions:
        title = (f"Status {_status_words(change.from_status)} → {_status_words(change.to_status)}"
                 if change.from_status != change.to_status else f"Noted while {_status_words(change.to_status)}")
        entries.append(TimelineEntry(change.at, "status", title, change.actor, change.note))
    for attempt in booking.payment_attempts:
        entries.extend(_attempt_entries(attempt))
    for refund in booking.refunds:
        entries.append(TimelineEntry(refund.created_at, "refund", f"Refund {refund.status}", refund.created_by,
                                     refund.reason, refund.amount, refund.currency, _OUTCOMES.get(refund.status),
                                     detail_in_minor_units=False))
    for dispute in disputes:
        entries.extend(_dispute_entries(dispute))
    for event in events:
        detail = f"{event.payment_intent_id}, {event.deliveries} deliver{'y' if event.deliveries == 1 else 'ies'}"
        entries.append(TimelineEntry(event.received_at, "webhook", f"Webhook {event.event_type}: {event.status}",
                                     "stripe", f"{detail}. {event.error}" if event.error else detail,
                                     outcome="failed" if event.status == "failed" else None))
    for email in emails:
        sent = f", sent {date_time(email.sent_at)}" if email.sent_at else ""
        entries.append(TimelineEntry(email.created_at, "email", f"Email {email.kind.replace('_', ' ')}: {email.status}",
                                     None, f"to {email.to_address}{sent}"
                                           + (f". {email.last_error}" if email.last_error else ""),
                                     outcome="failed" if email.status == "failed" else None))
    for entry in audit:
        entries.append(TimelineEntry(entry.at, "staff", entry.action.replace("_", " ").capitalize(), entry.actor,
                                     entry.detail, outcome="failed" if entry.action.endswith("_failed") else None))
    return sorted(entries, key=lambda e: e.at)
