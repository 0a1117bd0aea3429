"""`flask seed --history`: a month of past demo bookings, so the dashboard has something to show.

Bookings in every state (confirmed, cancelled and refunded, expired, pending payment,
draft) on the seeded flights, with passengers, frozen price lines from `pricing`,
payment attempts (some with 3-D Secure, some declined), refunds, a few disputes, webhook
events, funnel events and a few error events, all dated in the 30 days before `now`.
Its figures fall in the dashboard's expected bands: about 15 % of payments through 3-D
Secure, about 4 % of searches ending in a payment, a median payment time under 3 s.

- Deterministic: the same `now`, `rng_seed` and catalogue give the same rows.
- Idempotent: history bookings have channel "seed"; if any exist, nothing is added.
- Offline: PaymentIntent ids are fake ("pi_hist_<n>") and Stripe is never called. No
  attempt is left open and pending holds end after `now`, so the sweeper never asks
  Stripe about them; only recent drafts stay drafts (older ones are already expired).
- Fast: plain multi-row INSERTs, a second or two even on SQLite.
- Passengers choose no seats, so the history takes no seats from the live demo.

Demo tooling, like demo.py and cli.py (not the catalogue): it writes rows of every area
directly, for speed, and reads decline messages from payments/declines.py, not the gateway.
"""
from __future__ import annotations

import itertools
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import exists, insert, select

from checkout import pricing
from checkout.bookings.acknowledgements import ACKNOWLEDGEMENTS
from checkout.bookings.reference import ALPHABET, LENGTH, PREFIX
from checkout.catalog import search
from checkout.clock import utcnow
from checkout.extensions import db, upsert_insert
from checkout.models import (
    AttemptStatus, Booking, BookingAcknowledgement, BookingPriceLine, BookingSegment, BookingSlice, BookingStatus as S,
    BookingTransition, Bundle,
    Dispute, ErrorEvent, FareFamily, Flight, FunnelEvent, FunnelStage, Passenger, PaymentAttempt, Refund,
    RefundStatus, WebhookEvent,
)
from checkout.payments import decline_message

CHANNEL = "seed"
STATES = ((S.CONFIRMED, 62), (S.CANCELLED, 10), (S.EXPIRED, 20), (S.PENDING_PAYMENT, 3), (S.DRAFT, 5))
DECLINES = ("generic_decline", "insufficient_funds", "expired_card", "incorrect_cvc", "do_not_honor")
CARDS = (("visa", "4242"), ("mastercard", "4444"), ("amex", "8431"), ("visa", "1881"))
FIRST_NAMES = ("Ada", "Grace", "Alan", "Katherine", "Tim", "Margaret", "Linus", "Radia", "Ken", "Frances",
               "Donald", "Barbara", "Edsger", "Hedy", "John", "Sophie", "Yuki", "Amara", "Mateo", "Priya")
LAST_NAMES = ("Lovelace", "Hopper", "Turing", "Johnson", "Berners-Lee", "Hamilton", "Torvalds", "Perlman",
              "Thompson", "Allen", "Knuth", "Liskov", "Dijkstra", "Lamarr", "McCarthy", "Wilson", "Tanaka",
              "Okafor", "García", "Sharma")
NATIONALITIES = ("US", "GB", "CA", "FR", "DE", "JP", "NL", "IN", "BR", "AU")
WEBHOOK_ERRORS = ("OperationalError: server closed the connection unexpectedly",
                  "GatewayUnavailable: Stripe could not be reached")
ERROR_PATHS = {"http_4xx": ((422, "/flights"), (422, "/passengers"), (404, "/booking/FLY2A-ZZZZZZ"),
                            (429, "/api/payments/create-intent"), (400, "/review")),
               "http_5xx": ((500, "/review"), (502, "/api/payments/webhook"), (500, "/booking/FLY2A-ZZZZZZ")),
               "database": ((500, "/api/payments/webhook"), (500, "/select"))}


@dataclass
class HistoryReport:
    skipped: bool = False
    by_status: dict[str, int] = field(default_factory=dict)
    attempts: int = 0
    refunds: int = 0
    webhook_events: int = 0
    funnel_events: int = 0
    error_events: int = 0
    disputes: int = 0

    @property
    def bookings(self) -> int:
        return sum(self.by_status.values())


@dataclass
class _Plan:
    """One history booking and everything that hangs off it, before it has an id."""
    booking: dict
    passengers: list[dict] = field(default_factory=list)
    lines: list[dict] = field(default_factory=list)
    transitions: list[tuple] = field(default_factory=list)  # (at, from, to, actor, note)
    attempts: list[dict] = field(default_factory=list)
    refund: dict | None = None  # of the succeeded attempt
    funnel: list[tuple] = field(default_factory=list)  # (stage, visitor, at, of_this_booking)

    def moved(self, at: datetime, old: str | None, new: str, actor: str, note: str | None = None) -> None:
        self.transitions.append((at, old, new, actor, note))
        self.booking["updated_at"] = max(self.booking.get("updated_at") or at, at)


def seed_history(now: datetime | None = None, count: int = 300, rng_seed: int = 42) -> HistoryReport:
    """Add `count` past bookings, dated in the 30 days before `now`; nothing if already there."""
    now = now or utcnow()
    if db.session.execute(select(exists().where(Booking.channel == CHANNEL))).scalar():
        return HistoryReport(skipped=True)
    flights = db.session.execute(
        select(Flight).where(Flight.departs_at > now + timedelta(days=1))
        .order_by(Flight.departs_at, Flight.flight_number)
    ).scalars().all()
    if not flights:
        raise RuntimeError("No future flights: run `flask seed` first.")
    fares = list(db.session.execute(select(FareFamily).order_by(FareFamily.rank)).scalars())
    bundles = list(db.session.execute(select(Bundle).order_by(Bundle.code)).scalars())
    taken = set(db.session.execute(select(Booking.reference).where(Booking.reference.is_not(None))).scalars())
    rng = random.Random(rng_seed)
    hold = timedelta(minutes=current_app.config["HOLD_MINUTES"])
    intents = itertools.count(1)
    plans = [_plan(n, rng, now, hold, rng.choice(flights), fares, bundles, taken, intents) for n in range(count)]
    report = _insert(plans, rng, now)
    db.session.commit()
    return report


def _reference(rng: random.Random, taken: set[str]) -> str:
    while True:
        reference = PREFIX + "".join(rng.choice(ALPHABET) for _ in range(LENGTH))
        if reference not in taken:
            taken.add(reference)
            return reference


def _weighted(rng: random.Random, choices) -> object:
    values, weights = zip(*choices)
    return rng.choices(values, weights)[0]


def _party(rng: random.Random) -> list[str]:
    adults = _weighted(rng, ((1, 60), (2, 25), (3, 8), (4, 7)))
    children = _weighted(rng, ((0, 85), (1, 10), (2, 5)))
    infants = 1 if rng.random() < 0.05 else 0
    return ["adult"] * adults + ["child"] * children + ["infant"] * infants


def _passengers(rng: random.Random, types: list[str], flight: Flight, named: bool) -> list[dict]:
    """The party; names and documents only once the traveller got past step 2."""
    departs = flight.departs_at.date()
    rows = []
    for position, kind in enumerate(types):
        bags = 0 if kind == "infant" else _weighted(rng, ((0, 75), (1, 20), (2, 5)))
        row = dict(position=position, passenger_type=kind, checked_bags=bags, first_name=None,
                   last_name=None, date_of_birth=None, nationality=None, passport_number=None, passport_expiry=None)
        if named:
            born = {"adult": date(rng.randint(1955, 2003), rng.randint(1, 12), rng.randint(1, 28)),
                    "child": departs - timedelta(days=rng.randint(3 * 365, 11 * 365)),
                    "infant": departs - timedelta(days=rng.randint(60, 600))}[kind]
            row.update(first_name=rng.choice(FIRST_NAMES), last_name=rng.choice(LAST_NAMES), date_of_birth=born,
                       nationality=rng.choice(NATIONALITIES))
            if flight.international:
                row.update(passport_number=f"P{rng.randint(1_000_000, 9_999_999)}",
                           passport_expiry=departs + timedelta(days=rng.randint(400, 3000)))
        rows.append(row)
    return rows


def _began(rng: random.Random, now: datetime, status: str) -> datetime:
    """When the booking began: live holds and drafts are recent, the rest anywhere in the month."""
    minutes = {S.PENDING_PAYMENT: (9, 12),  # submitted minutes ago: its hold outlasts `now`
               S.DRAFT: (1, 90),  # younger than the sweeper's two hours for abandoned drafts
               S.CONFIRMED: (20, 30 * 24 * 60 - 60)}.get(status, (4 * 60, 30 * 24 * 60 - 60))  # room for what followed
    return now - timedelta(minutes=rng.randint(*minutes))


def _plan(n: int, rng: random.Random, now: datetime, hold: timedelta, flight: Flight, fares: list[FareFamily],
          bundles: list[Bundle], taken: set[str], intents) -> _Plan:
    status = _weighted(rng, STATES)
    abandoned = status == S.EXPIRED and rng.random() < 0.5  # a draft nobody finished, closed by the sweeper
    created = _began(rng, now, status)
    submitted = None
    if status != S.DRAFT and not abandoned:
        submitted = created + timedelta(minutes=rng.randint(2, 5), seconds=rng.randint(0, 59))
    fare = _weighted(rng, [(f, {"BASIC": 35, "STANDARD": 35, "FLEX": 18}.get(f.code, 12))
                           for f in search.fare_families_for(flight, fares)])
    bundle = rng.choice(bundles) if rng.random() < 0.3 else None
    insurance, priority = rng.random() < 0.15, rng.random() < 0.1
    plan = _Plan(dict(
        reference=_reference(rng, taken) if submitted else None, status=status, flight_id=flight.id,
        fare_family_code=fare.code, bundle_code=bundle.code if bundle else None, insurance=insurance,
        priority_boarding=priority, currency=flight.currency, held_base_fare=flight.base_fare, price_change_from=None,
        price_change_to=None, total_amount=None, created_at=created, submitted_at=submitted, confirmed_at=None,
        hold_expires_at=(submitted or created) + hold, channel=CHANNEL, attention_reason=None,
        contact_email=f"traveller{n + 1}@example.com" if submitted else None,
        contact_phone=f"+1212555{n % 10000:04d}" if submitted else None,
    ), _passengers(rng, _party(rng), flight, named=submitted is not None))
    visitor = f"hist-{n + 1}"
    _searches(plan, rng, visitor, created)
    plan.moved(created, None, S.DRAFT, "traveller (web)")
    if submitted is None:
        if abandoned:
            plan.moved(plan.booking["hold_expires_at"] + timedelta(hours=2), S.DRAFT, S.EXPIRED, "sweeper",
                       "draft abandoned")
        return plan

    quote = pricing.quote(
        base_fare=flight.base_fare, currency=flight.currency, international=flight.international,
        fare=search.fare_terms(fare), bundle=search.bundle_terms(bundle), insurance=insurance,
        priority_boarding=priority,
        passengers=[pricing.PassengerChoice(p["passenger_type"], p["checked_bags"]) for p in plan.passengers],
    )
    plan.lines = [dict(position=i, kind=line.kind, passenger_position=line.passenger_position,
                       description=line.description, amount=line.amount) for i, line in enumerate(quote.lines)]
    plan.booking["total_amount"] = quote.total
    plan.moved(submitted, S.DRAFT, S.PENDING_PAYMENT, "traveller (web)", f"total {quote.total} {flight.currency}")
    plan.funnel.append((FunnelStage.PAYMENT_REACHED, visitor, submitted, True))
    _payments(plan, rng, intents, pays=status in (S.CONFIRMED, S.CANCELLED))
    if status == S.EXPIRED:
        plan.moved(plan.booking["hold_expires_at"], S.PENDING_PAYMENT, S.EXPIRED, "sweeper", "payment hold expired")
    if plan.booking["confirmed_at"]:
        plan.funnel.append((FunnelStage.PAYMENT_COMPLETED, visitor, plan.booking["confirmed_at"], True))
    if status == S.CANCELLED:
        _cancellation(plan, rng, now, fare, quote)
    return plan


def _searches(plan: _Plan, rng: random.Random, visitor: str, created: datetime) -> None:
    """The booking's own search, plus people who searched around then and went no further
    (most do: about 1 search in 25 ends in a payment)."""
    searched = created - timedelta(minutes=rng.randint(2, 10))
    plan.funnel += [(FunnelStage.SEARCH, visitor, searched, False),
                    (FunnelStage.RESULTS_VIEWED, visitor, searched + timedelta(seconds=rng.randint(5, 40)), False),
                    (FunnelStage.BOOKING_STARTED, visitor, created, True)]
    for k in range(rng.randint(8, 26)):
        at = created - timedelta(minutes=rng.randint(1, 240))
        plan.funnel.append((FunnelStage.SEARCH, f"{visitor}-{k}", at, False))
        if rng.random() < 0.7:  # the rest found no flights that day
            viewed = at + timedelta(seconds=rng.randint(5, 60))
            plan.funnel.append((FunnelStage.RESULTS_VIEWED, f"{visitor}-{k}", viewed, False))


def _payments(plan: _Plan, rng: random.Random, intents, pays: bool) -> None:
    """Declined attempts (unpaid bookings were often declined too), then the one that paid.

    The traveller types the card for 15-90 s after the page made the attempt, then presses Pay;
    payment time (Pay pressed -> succeeded) is 1-3.4 s, or 3-6 s with 3-D Secure (about 15 %).
    """
    booking = plan.booking
    failures = _weighted(rng, ((0, 95), (1, 4), (2, 1)) if pays else ((0, 80), (1, 17), (2, 3)))
    moment = booking["submitted_at"] + timedelta(seconds=rng.randint(5, 40))
    for number in range(1, failures + (2 if pays else 1)):
        succeeds = pays and number == failures + 1
        intent = next(intents)
        used_3ds = intent * 7 % 20 < 3  # 3 in every 20 intents, spread out: the rate is 15 % by construction
        seconds = rng.uniform(3.0, 6.0) if used_3ds else rng.uniform(1.0, 3.4)
        pressed = moment + timedelta(seconds=rng.randint(15, 90))
        finished = pressed + timedelta(milliseconds=round(1000 * seconds))
        brand, last4 = rng.choice(CARDS)
        code = None if succeeds else ("payment_intent_authentication_failure" if used_3ds else rng.choice(DECLINES))
        plan.attempts.append(dict(
            number=number, payment_intent_id=f"pi_hist_{intent}",
            status=AttemptStatus.SUCCEEDED if succeeds else AttemptStatus.FAILED, amount=booking["total_amount"],
            currency=booking["currency"], failure_code=code, failure_message=code and decline_message(code, code),
            card_brand=brand, card_last4=last4, used_3ds=used_3ds, created_at=moment, updated_at=finished,
            confirm_requested_at=pressed, succeeded_at=finished if succeeds else None,
        ))
        if succeeds:
            booking["confirmed_at"] = finished
            plan.moved(finished, S.PENDING_PAYMENT, S.CONFIRMED, "webhook payment_intent.succeeded",
                       f"paid {booking['total_amount']} {booking['currency']}")
        else:
            plan.moved(finished, S.PENDING_PAYMENT, S.PENDING_PAYMENT, "payment", f"attempt {number} failed: {code}")
        moment = finished + timedelta(seconds=rng.randint(20, 90))
    if booking["status"] == S.EXPIRED and rng.random() < 0.3:  # an intent nobody paid, cancelled by the sweeper
        plan.attempts.append(dict(
            number=failures + 1, payment_intent_id=f"pi_hist_{next(intents)}", status=AttemptStatus.CANCELED,
            amount=booking["total_amount"], currency=booking["currency"], failure_code=None, failure_message=None,
            card_brand=None, card_last4=None, used_3ds=False, created_at=moment,
            updated_at=booking["hold_expires_at"], confirm_requested_at=None, succeeded_at=None,
        ))


def _cancellation(plan: _Plan, rng: random.Random, now: datetime, fare: FareFamily, quote: pricing.Quote) -> None:
    """Cancelled by support some time after confirmation, with the refund the fare allows."""
    confirmed = plan.booking["confirmed_at"]
    room = max(60, int((now - confirmed).total_seconds() // 60) - 5)
    cancelled = confirmed + timedelta(minutes=rng.randint(30, min(room, 5 * 24 * 60)))
    refundable = fare.refundable or cancelled - plan.booking["created_at"] < timedelta(hours=24)
    amount = quote.total if refundable else quote.taxes  # taxes go back even on a non-refundable fare
    paid = next(a for a in plan.attempts if a["status"] == AttemptStatus.SUCCEEDED)
    plan.refund = dict(amount=amount, currency=quote.currency, status=RefundStatus.SUCCEEDED,
                       reason="Cancelled at the traveller's request", created_by="support@fly2any.test",
                       created_at=cancelled, updated_at=cancelled, payment_intent_id=paid["payment_intent_id"])
    plan.moved(cancelled, S.CONFIRMED, S.CANCELLED, "support@fly2any.test", f"refunded {amount} {quote.currency}")


def _insert(plans: list[_Plan], rng: random.Random, now: datetime) -> HistoryReport:
    """Plain multi-row INSERTs, parents first; ids come back in the order the rows went in."""
    # The held fare is the trip's one flight's (booking_segments), not a column of the booking.
    booking_ids = db.session.execute(
        insert(Booking).returning(Booking.id, sort_by_parameter_order=True),
        [{k: v for k, v in p.booking.items() if k != "held_base_fare"} for p in plans]
    ).scalars().all()
    # Each a trip of one slice of one flight, as migration 0015 made every booking before it.
    slice_ids = db.session.execute(
        insert(BookingSlice).returning(BookingSlice.id, sort_by_parameter_order=True),
        [dict(booking_id=booking_id, position=0, fare_family_code=plan.booking["fare_family_code"])
         for plan, booking_id in zip(plans, booking_ids)]
    ).scalars().all()
    db.session.execute(insert(BookingSegment), [
        dict(booking_id=booking_id, slice_id=slice_id, position=0, flight_id=plan.booking["flight_id"],
             held_base_fare=plan.booking["held_base_fare"])
        for plan, booking_id, slice_id in zip(plans, booking_ids, slice_ids)])
    rows: dict[type, list[dict]] = {model: [] for model in (Passenger, BookingPriceLine, BookingTransition,
                                                          BookingAcknowledgement, PaymentAttempt, FunnelEvent)}
    for plan, booking_id in zip(plans, booking_ids):
        rows[Passenger] += [dict(row, booking_id=booking_id) for row in plan.passengers]
        rows[BookingPriceLine] += [dict(row, booking_id=booking_id) for row in plan.lines]
        rows[BookingTransition] += [dict(booking_id=booking_id, at=at, from_status=old, to_status=new, actor=actor,
                                         note=note) for at, old, new, actor, note in plan.transitions]
        if plan.booking["submitted_at"]:
            rows[BookingAcknowledgement] += [dict(booking_id=booking_id, key=a.key, version=a.version,
                                                  accepted_at=plan.booking["submitted_at"]) for a in ACKNOWLEDGEMENTS]
        rows[PaymentAttempt] += [dict(row, booking_id=booking_id) for row in plan.attempts]
        rows[FunnelEvent] += [dict(stage=stage, visitor=visitor, at=at, booking_id=booking_id if ours else None)
                              for stage, visitor, at, ours in plan.funnel]
    for model in (Passenger, BookingPriceLine, BookingTransition, BookingAcknowledgement):
        if rows[model]:
            db.session.execute(insert(model), rows[model])
    attempts = rows[PaymentAttempt]
    attempt_ids = db.session.execute(
        insert(PaymentAttempt).returning(PaymentAttempt.id, sort_by_parameter_order=True), attempts
    ).scalars().all() if attempts else []
    attempt_id = {row["payment_intent_id"]: id_ for row, id_ in zip(attempts, attempt_ids)}
    refunds = [dict(plan.refund, booking_id=booking_id, payment_attempt_id=attempt_id[plan.refund["payment_intent_id"]],
                    stripe_refund_id=f"re_hist_{booking_id}", idempotency_key=f"hist-{booking_id}-refund")
               for plan, booking_id in zip(plans, booking_ids) if plan.refund]
    events = _webhook_events(attempts, refunds, rng, now)
    disputes = _disputes(attempts, attempt_id, _booking_ids_by_intent(plans, booking_ids), rng, now)
    if disputes:
        db.session.execute(insert(Dispute), disputes)
    if refunds:
        db.session.execute(insert(Refund), [{k: v for k, v in r.items() if k != "payment_intent_id"} for r in refunds])
    funnel = rows[FunnelEvent]
    if funnel:
        db.session.execute(_insert_new(FunnelEvent, ["stage", "visitor"]), funnel)
    if events:
        db.session.execute(_insert_new(WebhookEvent, ["stripe_event_id"]), events)
    errors = _error_events(len(plans), rng, now)
    if errors:
        db.session.execute(insert(ErrorEvent), errors)
    by_status = Counter(plan.booking["status"] for plan in plans)
    return HistoryReport(False, dict(by_status), len(attempts), len(refunds), len(events), len(funnel), len(errors),
                         len(disputes))


def _booking_ids_by_intent(plans: list[_Plan], booking_ids: list[int]) -> dict[str, int]:
    return {a["payment_intent_id"]: booking_id for plan, booking_id in zip(plans, booking_ids) for a in plan.attempts}


def _disputes(attempts: list[dict], attempt_id: dict[str, int], booking_of: dict[str, int], rng: random.Random,
              now: datetime) -> list[dict]:
    """One payment in 90 disputed by the cardholder's bank some days later (before `now`); the
    newest still open, the others closed, won or lost."""
    rows = []
    paid = sorted((a for a in attempts if a["status"] == AttemptStatus.SUCCEEDED), key=lambda a: a["succeeded_at"])
    chosen = paid[45::90]
    for attempt in chosen:
        opened = attempt["succeeded_at"] + min(timedelta(days=rng.randint(2, 20)), (now - attempt["succeeded_at"]) / 2)
        closed = opened + min(timedelta(days=rng.randint(3, 10)), (now - opened) / 2)
        outcome = rng.choice(("won", "lost")) if attempt is not chosen[-1] else None
        n = attempt_id[attempt["payment_intent_id"]]
        rows.append(dict(
            booking_id=booking_of[attempt["payment_intent_id"]], stripe_dispute_id=f"dp_hist_{n}",
            charge_id=f"ch_hist_{n}", payment_intent_id=attempt["payment_intent_id"], amount=attempt["amount"],
            currency=attempt["currency"], reason=rng.choice(("fraudulent", "product_not_received", "duplicate")),
            status=outcome or "needs_response", evidence_due_by=opened + timedelta(days=7), created_at=opened,
            closed_at=closed if outcome else None, outcome=outcome, last_event_at=closed if outcome else opened,
            updated_at=closed if outcome else opened,
        ))
    return rows


def _insert_new(model, unique: list[str]):
    # Funnel and webhook rows outlive deleted bookings; a re-run must not trip over them.
    return upsert_insert(model).on_conflict_do_nothing(index_elements=unique)


def _webhook_events(attempts: list[dict], refunds: list[dict], rng: random.Random, now: datetime) -> list[dict]:
    """What Stripe would have sent us: one event per finished attempt and per refund."""
    kinds = {AttemptStatus.SUCCEEDED: "payment_intent.succeeded", AttemptStatus.FAILED: "payment_intent.payment_failed",
             AttemptStatus.CANCELED: "payment_intent.canceled"}
    happenings = [(a["updated_at"], kinds[a["status"]], a["payment_intent_id"]) for a in attempts]
    happenings += [(r["created_at"], "charge.refunded", r["payment_intent_id"]) for r in refunds]
    events = []
    for n, (at, event_type, payment_intent_id) in enumerate(sorted(happenings), start=1):
        received = at + timedelta(milliseconds=rng.randint(400, 4000))
        # A few failed for good; none in the last hour, where they would set off the sweeper's alert.
        failed = rng.random() < 0.015 and received < now - timedelta(hours=1)
        events.append(dict(
            stripe_event_id=f"evt_hist_{n}", event_type=event_type, payment_intent_id=payment_intent_id,
            status="failed" if failed else "processed", error=rng.choice(WEBHOOK_ERRORS) if failed else None,
            deliveries=3 if failed else 1, received_at=received,
            processed_at=None if failed else received + timedelta(milliseconds=rng.randint(80, 600)),
        ))
    return events


def _error_events(bookings: int, rng: random.Random, now: datetime) -> list[dict]:
    """A few 4xx, fewer 5xx and a database error or two, spread over the month."""
    rows = []
    for kind, share in (("http_4xx", 12), ("http_5xx", 60), ("database", 150)):
        for _ in range(max(1, bookings // share)):
            status, path = rng.choice(ERROR_PATHS[kind])
            rows.append(dict(at=now - timedelta(minutes=rng.randint(60, 30 * 24 * 60 - 60)), kind=kind,
                             status=status, path=path))
    return rows
