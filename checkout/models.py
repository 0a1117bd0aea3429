"""Typed SQLAlchemy 2 models. Money is integer minor units with its currency beside it."""
from __future__ import annotations

from datetime import date, datetime, timezone
from enum import StrEnum, nonmember
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BigInteger, Boolean, CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, String, Text,
    TypeDecorator, UniqueConstraint, func, text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .encryption import EncryptedText
from .extensions import db


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC on both PostgreSQL and the demo's SQLite (which drops tzinfo)."""
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime given to a UTC column")
            value = value.astimezone(timezone.utc)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


# Status and kind constants are StrEnums: each member is the very string stored in its String
# column, sent in JSON and shown in templates, so comparing with a string read back from the
# database works and no migration is needed. Groups of members (ALL, OPEN...) are nonmember
# tuples of those strings: in Python 3.11, `"x" in SomeEnum` raises for a non-member.
class BookingStatus(StrEnum):
    DRAFT = "DRAFT"
    PENDING_PAYMENT = "PENDING_PAYMENT"
    CONFIRMED = "CONFIRMED"
    CANCELLED = "CANCELLED"
    EXPIRED = "EXPIRED"
    ALL = nonmember((DRAFT, PENDING_PAYMENT, CONFIRMED, CANCELLED, EXPIRED))


# Secure Flight's gender values (TSA), each with the words the traveller chooses from.
GENDERS = {"M": "Male", "F": "Female", "X": "Unspecified", "U": "Undisclosed"}


class PassengerType(StrEnum):
    ADULT = "adult"
    CHILD = "child"
    INFANT = "infant"
    ALL = nonmember((ADULT, CHILD, INFANT))


class WebSession(db.Model):
    __tablename__ = "web_sessions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the cookie
    data: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class Airport(db.Model):
    __tablename__ = "airports"
    code: Mapped[str] = mapped_column(String(3), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    city: Mapped[str] = mapped_column(String(80))
    country: Mapped[str] = mapped_column(String(2))  # ISO 3166-1 alpha-2
    tz: Mapped[str] = mapped_column(String(64))  # IANA time zone


class FareFamily(db.Model):
    """A fare family's structured conditions. Prices derive from the flight's base fare."""
    __tablename__ = "fare_families"
    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    rank: Mapped[int] = mapped_column(Integer)
    markup_percent: Mapped[int] = mapped_column(Integer)  # over the Basic fare
    cabin: Mapped[str] = mapped_column(String(16))  # economy | business
    refundable: Mapped[bool] = mapped_column(Boolean)
    refund_fee: Mapped[int] = mapped_column(Integer)  # minor units, when refundable
    changeable: Mapped[bool] = mapped_column(Boolean)
    change_fee: Mapped[int] = mapped_column(Integer)
    carry_on: Mapped[bool] = mapped_column(Boolean)
    checked_bags: Mapped[int] = mapped_column(Integer)
    seat_choice: Mapped[str] = mapped_column(String(16))  # paid | standard | any
    priority_boarding: Mapped[bool] = mapped_column(Boolean)


class Bundle(db.Model):
    """A priced set of extras per passenger (infants excluded)."""
    __tablename__ = "bundles"
    code: Mapped[str] = mapped_column(String(24), primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(String(200))
    price: Mapped[int] = mapped_column(Integer)  # per passenger, minor units
    checked_bags: Mapped[int] = mapped_column(Integer)
    seat_choice: Mapped[bool] = mapped_column(Boolean)  # standard and extra-legroom seats
    priority_boarding: Mapped[bool] = mapped_column(Boolean)
    insurance: Mapped[bool] = mapped_column(Boolean)


class Flight(db.Model):
    __tablename__ = "flights"
    id: Mapped[int] = mapped_column(primary_key=True)
    flight_number: Mapped[str] = mapped_column(String(8))
    origin_code: Mapped[str] = mapped_column(ForeignKey("airports.code"))
    destination_code: Mapped[str] = mapped_column(ForeignKey("airports.code"))
    departs_at: Mapped[datetime] = mapped_column(UTCDateTime)
    arrives_at: Mapped[datetime] = mapped_column(UTCDateTime)
    aircraft: Mapped[str] = mapped_column(String(16))  # key into catalog.seatmaps
    base_fare: Mapped[int] = mapped_column(Integer)  # Basic adult fare before taxes
    currency: Mapped[str] = mapped_column(String(3), default="USD")

    origin: Mapped[Airport] = relationship(foreign_keys=[origin_code], lazy="joined")
    destination: Mapped[Airport] = relationship(foreign_keys=[destination_code], lazy="joined")

    __table_args__ = (
        Index("ix_flights_route_departure", "origin_code", "destination_code", "departs_at"),
        UniqueConstraint("flight_number", "departs_at", name="uq_flights_number_departure"),
    )

    @property
    def international(self) -> bool:
        return self.origin.country != self.destination.country

    @property
    def label(self) -> str:
        """"FA100 JFK→LHR": how pages and price lines name a flight of a trip."""
        return f"{self.flight_number} {self.origin_code}→{self.destination_code}"

    @property
    def departure_date(self) -> date:
        """The day of travel: the departure's calendar date where the flight leaves."""
        return self.departs_at.astimezone(ZoneInfo(self.origin.tz)).date()


class Booking(db.Model):
    __tablename__ = "bookings"
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str | None] = mapped_column(String(12), unique=True)
    status: Mapped[str] = mapped_column(String(20), default=BookingStatus.DRAFT, index=True)
    # The trip's FIRST flight (the first segment's): the booking's departure and arrival in
    # the contracts are the first slice's, and the dashboards, staff search and recommendations
    # read it as before. The whole trip is `slices` / `segments` (docs/adr/0130).
    flight_id: Mapped[int] = mapped_column(ForeignKey("flights.id"))
    # The trip's fare family; each slice carries its own (the same unless chosen per slice).
    fare_family_code: Mapped[str] = mapped_column(ForeignKey("fare_families.code"))
    bundle_code: Mapped[str | None] = mapped_column(String(24), ForeignKey("bundles.code"))
    insurance: Mapped[bool] = mapped_column(Boolean, default=False)
    priority_boarding: Mapped[bool] = mapped_column(Boolean, default=False)
    contact_email: Mapped[str | None] = mapped_column(String(254), index=True)
    contact_phone: Mapped[str | None] = mapped_column(String(20))  # E.164
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    # Set when the hold was renewed at a different price, until the traveller goes on.
    price_change_from: Mapped[int | None] = mapped_column(Integer)
    price_change_to: Mapped[int | None] = mapped_column(Integer)
    total_amount: Mapped[int | None] = mapped_column(Integer)  # frozen at PENDING_PAYMENT
    hold_expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When the traveller asked for more time (once per booking: service.extend_hold).
    hold_extended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    channel: Mapped[str] = mapped_column(String(8), default="web")  # web | api | check (the payment page check)
    # The address that created an API booking, for the cap on open holds per address.
    client_address: Mapped[str | None] = mapped_column(String(64), index=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # Set when money and booking disagree and a person should look (late payment refunded...).
    attention_reason: Mapped[str | None] = mapped_column(String(300))
    # When `flask purge-pii` removed the travel documents and phone after the flight.
    pii_purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    flight: Mapped[Flight] = relationship(lazy="joined")  # the first segment's (see flight_id)
    fare_family: Mapped[FareFamily] = relationship(lazy="joined")
    bundle: Mapped[Bundle | None] = relationship(lazy="joined")
    slices: Mapped[list[BookingSlice]] = relationship(
        back_populates="booking", order_by="BookingSlice.position", cascade="all, delete-orphan"
    )
    # Every flight of the trip in travel order (across slices): what holds places and is priced.
    segments: Mapped[list[BookingSegment]] = relationship(
        back_populates="booking", order_by="BookingSegment.position", cascade="all, delete-orphan"
    )
    passengers: Mapped[list[Passenger]] = relationship(
        back_populates="booking", order_by="Passenger.position", cascade="all, delete-orphan"
    )
    seat_holds: Mapped[list[SeatHold]] = relationship(back_populates="booking")
    price_lines: Mapped[list[BookingPriceLine]] = relationship(
        order_by="BookingPriceLine.position", cascade="all, delete-orphan"
    )
    transitions: Mapped[list[BookingTransition]] = relationship(
        order_by="BookingTransition.id", cascade="all, delete-orphan"
    )
    acknowledgements: Mapped[list[BookingAcknowledgement]] = relationship(
        cascade="all, delete-orphan"
    )
    payment_attempts: Mapped[list[PaymentAttempt]] = relationship(
        back_populates="booking", order_by="PaymentAttempt.number", cascade="all, delete-orphan"
    )
    refunds: Mapped[list[Refund]] = relationship(order_by="Refund.id", cascade="all, delete-orphan")

    __table_args__ = (
        CheckConstraint(
            "status IN ('DRAFT','PENDING_PAYMENT','CONFIRMED','CANCELLED','EXPIRED')",
            name="ck_bookings_status",
        ),
        # Staff search by email prefix (migration 0008; text_pattern_ops on PostgreSQL).
        Index("ix_bookings_contact_email_lower", func.lower(contact_email),
              postgresql_ops={"lower_1": "text_pattern_ops"}),
        # The staff list, newest booked first, and its keyset pages (migration 0011).
        Index("ix_bookings_submitted_at_id", submitted_at, id),
        # The staff queue "needs attention" reads only the flagged few (migration 0012).
        Index("ix_bookings_needing_attention", "id", postgresql_where=text("attention_reason IS NOT NULL"),
              sqlite_where=text("attention_reason IS NOT NULL")),
    )

    @property
    def paid_attempt(self) -> PaymentAttempt | None:
        return next((a for a in self.payment_attempts if a.status == AttemptStatus.SUCCEEDED), None)

    @property
    def seated_passengers(self) -> list[Passenger]:
        return [p for p in self.passengers if p.passenger_type != PassengerType.INFANT]

    @property
    def international(self) -> bool:
        """Passports are asked for when any flight of the trip crosses a border."""
        return any(s.flight.international for s in self.segments)

    @property
    def legs(self) -> list[list[BookingSegment]]:
        """The trip's flights slice by slice (read from `segments`, with no query of its own)."""
        legs: dict[int, list[BookingSegment]] = {}
        for segment in self.segments:
            legs.setdefault(segment.slice.position, []).append(segment)
        return [legs[position] for position in sorted(legs)]

    @property
    def last_flight(self) -> Flight:
        """The trip's last flight: travel documents must outlive it, and are kept until it has flown."""
        return self.segments[-1].flight if self.segments else self.flight

    @property
    def first_departure(self) -> datetime:
        """When the trip starts: the 24-hour rule and the cancellation quote run from here.
        `flight` is the first segment's (flight_id), so no segment need be read."""
        return self.flight.departs_at


class BookingSlice(db.Model):
    """One direction or leg of a booked trip, with the fare family it is sold under."""
    __tablename__ = "booking_slices"
    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # 0-based: outbound, return, next leg...
    fare_family_code: Mapped[str] = mapped_column(ForeignKey("fare_families.code"))

    booking: Mapped[Booking] = relationship(back_populates="slices")
    fare_family: Mapped[FareFamily] = relationship(lazy="joined")
    segments: Mapped[list[BookingSegment]] = relationship(
        back_populates="slice", order_by="BookingSegment.position"
    )

    __table_args__ = (UniqueConstraint("booking_id", "position", name="uq_booking_slices_booking_position"),)


class BookingSegment(db.Model):
    """One flight of a booked trip, and its base fare when the hold began: the quoted price
    is honoured until the booking's hold_expires_at, even if the flight's fare moves meanwhile."""
    __tablename__ = "booking_segments"
    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), index=True)
    slice_id: Mapped[int] = mapped_column(ForeignKey("booking_slices.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # 0-based order of travel in the whole trip
    flight_id: Mapped[int] = mapped_column(ForeignKey("flights.id"), index=True)
    held_base_fare: Mapped[int] = mapped_column(Integer)

    booking: Mapped[Booking] = relationship(back_populates="segments")
    slice: Mapped[BookingSlice] = relationship(back_populates="segments", lazy="joined")
    flight: Mapped[Flight] = relationship(lazy="joined")

    __table_args__ = (
        UniqueConstraint("booking_id", "position", name="uq_booking_segments_booking_position"),
        # A trip flies each flight once: a passenger's place on a flight is one seat hold.
        UniqueConstraint("booking_id", "flight_id", name="uq_booking_segments_booking_flight"),
        CheckConstraint("held_base_fare >= 0", name="ck_booking_segments_held_base_fare"),
    )

    @property
    def label(self) -> str:
        return self.flight.label


class Passenger(db.Model):
    __tablename__ = "passengers"
    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # 0-based order in the party
    passenger_type: Mapped[str] = mapped_column(String(8))
    first_name: Mapped[str | None] = mapped_column(String(60))
    last_name: Mapped[str | None] = mapped_column(String(60), index=True)
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    nationality: Mapped[str | None] = mapped_column(String(2))
    passport_number: Mapped[str | None] = mapped_column(EncryptedText)  # ciphertext in the database
    passport_expiry: Mapped[date | None] = mapped_column(Date)
    # Secure Flight: gender as TSA accepts it (M, F, X, U; see GENDERS). NULL only on
    # passengers booked before it was asked (migration 0014).
    gender: Mapped[str | None] = mapped_column(String(1))
    redress_number: Mapped[str | None] = mapped_column(EncryptedText)  # DHS TRIP; ciphertext in the database
    known_traveler_number: Mapped[str | None] = mapped_column(EncryptedText)  # ciphertext in the database
    checked_bags: Mapped[int] = mapped_column(Integer, default=0)

    booking: Mapped[Booking] = relationship(back_populates="passengers")
    # The seats the traveller chose, one per flight at most (docs/adr/0131).
    seats: Mapped[list[PassengerSeat]] = relationship(
        back_populates="passenger", cascade="all, delete-orphan", lazy="selectin"
    )

    __table_args__ = (
        UniqueConstraint("booking_id", "position", name="uq_passengers_booking_position"),
        CheckConstraint("checked_bags BETWEEN 0 AND 3", name="ck_passengers_bags"),
        # Staff search by surname prefix (migration 0008).
        Index("ix_passengers_last_name_lower", func.lower(last_name), postgresql_ops={"lower_1": "text_pattern_ops"}),
    )

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p)

    def seat_on(self, segment: BookingSegment) -> str | None:
        """The seat chosen on this flight of the trip, or None (assigned at check-in)."""
        return next((s.seat_code for s in self.seats if s.segment_id == segment.id), None)

    def set_seat(self, segment: BookingSegment, seat_code: str | None) -> None:
        """Record the choice on this flight (None: no choice), in place when there was one (a
        delete and an insert of the same passenger and flight would meet in one flush)."""
        mine = next((s for s in self.seats if s.segment_id == segment.id), None)
        if seat_code is None:
            if mine is not None:
                self.seats.remove(mine)
        elif mine is not None:
            mine.seat_code = seat_code
        else:
            self.seats.append(PassengerSeat(segment=segment, seat_code=seat_code))

    @property
    def seat_code(self) -> str | None:
        """The seat chosen on the trip's first flight (what pages showed before trips)."""
        return next((s.seat_code for s in self.seats if s.segment is not None and s.segment.position == 0), None)

    @property
    def masked_passport_number(self) -> str | None:
        """Enough to tell passports apart ("••••••567"), not enough to use one (short numbers show 2)."""
        number = self.passport_number
        return None if not number else "••••••" + number[-3 if len(number) >= 8 else -2:]

    @property
    def gender_label(self) -> str | None:
        return GENDERS.get(self.gender or "")

    @property
    def masked_redress_number(self) -> str | None:
        """Staff and the review step see that a number was given, and its last two characters."""
        return _masked_tail(self.redress_number)

    @property
    def masked_known_traveler_number(self) -> str | None:
        return _masked_tail(self.known_traveler_number)


def _masked_tail(number: str | None) -> str | None:
    return None if not number else "••••" + number[-2:]


class PassengerSeat(db.Model):
    """The seat a passenger chose on one flight of the trip: the one record of that choice.

    The claim on the seat is the SeatHold row of (flight, seat); a choice outlives its claim
    when a hold lapses and someone else takes the seat, which is how a renewal can tell the
    traveller which seat was lost. No row: the passenger holds an assigned place instead.
    """
    __tablename__ = "passenger_seats"
    id: Mapped[int] = mapped_column(primary_key=True)
    passenger_id: Mapped[int] = mapped_column(ForeignKey("passengers.id", ondelete="CASCADE"))
    segment_id: Mapped[int] = mapped_column(ForeignKey("booking_segments.id", ondelete="CASCADE"), index=True)
    seat_code: Mapped[str] = mapped_column(String(4))

    passenger: Mapped[Passenger] = relationship(back_populates="seats")
    segment: Mapped[BookingSegment] = relationship()

    __table_args__ = (
        UniqueConstraint("passenger_id", "segment_id", name="uq_passenger_seats_passenger_segment"),
        # Two passengers of one trip never choose the same seat on a flight.
        UniqueConstraint("segment_id", "seat_code", name="uq_passenger_seats_segment_seat"),
    )


class SeatHold(db.Model):
    """One row per occupied seat on a flight.

    Every seated passenger of a live booking holds one on every flight of the trip: the seat
    they chose there (their PassengerSeat), or, when they chose none, a seat we assigned to
    hold their place in the cabin ("assigned at check-in"). So the rows of a cabin count its
    places taken.
    The unique (flight, seat) constraint is what makes two holds on one seat impossible.
    expires_at NULL means sold (a confirmed booking or seat taken before we opened sales);
    a hold whose expires_at has passed may be taken over by one atomic upsert.
    """
    __tablename__ = "seat_holds"
    id: Mapped[int] = mapped_column(primary_key=True)
    flight_id: Mapped[int] = mapped_column(ForeignKey("flights.id"))
    seat_code: Mapped[str] = mapped_column(String(4))
    # The seat's cabin (from the seat map), kept on the row so places left per cabin are one
    # GROUP BY for a whole page of search results.
    cabin: Mapped[str] = mapped_column(String(10))
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id", ondelete="SET NULL"), index=True)
    passenger_id: Mapped[int | None] = mapped_column(ForeignKey("passengers.id", ondelete="SET NULL"))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    booking: Mapped[Booking | None] = relationship(back_populates="seat_holds")

    __table_args__ = (UniqueConstraint("flight_id", "seat_code", name="uq_seat_holds_flight_seat"),)


class BookingPriceLine(db.Model):
    """The price breakdown frozen when the booking moved to PENDING_PAYMENT."""
    __tablename__ = "booking_price_lines"
    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # fare | tax | bundle | bag | seat | priority | insurance
    passenger_position: Mapped[int | None] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(String(160))
    amount: Mapped[int] = mapped_column(Integer)


class BookingTransition(db.Model):
    """Every status change: who or what, when, from, to (the staff timeline)."""
    __tablename__ = "booking_transitions"
    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(80))
    note: Mapped[str | None] = mapped_column(String(400))


class BookingAcknowledgement(db.Model):
    """A notice the traveller accepted: which one, which version of its text, and when."""
    __tablename__ = "booking_acknowledgements"
    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(40))
    version: Mapped[str] = mapped_column(String(20))
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (UniqueConstraint("booking_id", "key", name="uq_booking_ack_key"),)


class AttemptStatus(StrEnum):
    """A payment attempt's own status (one attempt = one PaymentIntent)."""
    # PaymentIntent made, card not yet submitted. Without a payment_intent_id: the attempt
    # number is claimed and its PaymentIntent is being created at Stripe (payments.service).
    CREATED = "created"
    REQUIRES_ACTION = "requires_action"  # 3-D Secure under way
    PROCESSING = "processing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"
    OPEN = nonmember((CREATED, REQUIRES_ACTION, PROCESSING))
    FINAL = nonmember((SUCCEEDED, FAILED, CANCELED))


class PaymentAttempt(db.Model):
    __tablename__ = "payment_attempts"
    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, ... per booking
    payment_intent_id: Mapped[str | None] = mapped_column(String(64), unique=True)  # None while claimed
    status: Mapped[str] = mapped_column(String(20), default=AttemptStatus.CREATED)
    amount: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    failure_code: Mapped[str | None] = mapped_column(String(64))
    failure_message: Mapped[str | None] = mapped_column(String(300))
    card_brand: Mapped[str | None] = mapped_column(String(20))
    card_last4: Mapped[str | None] = mapped_column(String(4), index=True)
    used_3ds: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When the traveller pressed Pay (the page's beacon, as our server received it); the
    # dashboard's payment time runs from here to succeeded_at.
    confirm_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    succeeded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    booking: Mapped[Booking] = relationship(back_populates="payment_attempts")

    __table_args__ = (UniqueConstraint("booking_id", "number", name="uq_payment_attempts_booking_number"),)


class RefundStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class Refund(db.Model):
    """Money given back, its own row with its own status (also refunds made in Stripe's dashboard)."""
    __tablename__ = "refunds"
    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), index=True)
    payment_attempt_id: Mapped[int] = mapped_column(ForeignKey("payment_attempts.id"))
    stripe_refund_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    amount: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(20), default=RefundStatus.PENDING)
    reason: Mapped[str] = mapped_column(String(200))
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        CheckConstraint("amount > 0", name="ck_refunds_amount_positive"),
        # Failed refunds, for "needs attention" (migration 0012).
        Index("ix_refunds_failed", "booking_id", postgresql_where=text("status = 'failed'"),
              sqlite_where=text("status = 'failed'")),
    )


class DisputeStatus:
    """Stripe's dispute statuses. The closed ones are final: a late "still open" event never reopens one."""
    OPEN = ("warning_needs_response", "warning_under_review", "needs_response", "under_review")
    CLOSED = ("won", "lost", "warning_closed", "prevented")


class Dispute(db.Model):
    """A cardholder disputing one of our charges with their bank (a chargeback or an inquiry).

    `booking_id` is NULL when no booking of ours paid with that charge (operations were alerted).
    `created_at` is when the cardholder's bank opened it (Stripe's `created`); `closed_at` when
    Stripe told us it ended, with `outcome` its final status (won, lost, warning_closed...).
    """
    __tablename__ = "disputes"
    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id", ondelete="CASCADE"), index=True)
    stripe_dispute_id: Mapped[str] = mapped_column(String(64), unique=True)
    charge_id: Mapped[str] = mapped_column(String(64))
    payment_intent_id: Mapped[str | None] = mapped_column(String(64), index=True)
    amount: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(40))
    evidence_due_by: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(40))
    # Stripe's `created` of the newest event applied: an older event arriving late changes nothing.
    last_event_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class WebhookEvent(db.Model):
    """Every Stripe event id, stored once: a redelivery of a processed event does nothing."""
    __tablename__ = "webhook_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    stripe_event_id: Mapped[str] = mapped_column(String(80), unique=True)
    event_type: Mapped[str] = mapped_column(String(80))
    payment_intent_id: Mapped[str | None] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(20))  # received | processed | ignored | failed
    error: Mapped[str | None] = mapped_column(String(500))
    deliveries: Mapped[int] = mapped_column(Integer, default=1)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OutboxEmail(db.Model):
    """An email written in the same transaction as the change it reports; sent by a worker.

    `dedupe_key` is unique, so the same news is never queued twice (one confirmation per
    booking, one failure notice per attempt), however many times reconcile runs.
    """
    __tablename__ = "outbox_emails"
    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id", ondelete="SET NULL"), index=True)
    kind: Mapped[str] = mapped_column(String(40))  # confirmation | payment_failed | cancellation | ops_alert
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str | None] = mapped_column(Text)  # only for alerts with no booking to render from
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)  # pending | sent | failed | skipped
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class StaffRole(StrEnum):
    AGENT = "agent"  # views bookings, resends emails
    SUPERVISOR = "supervisor"  # also refunds and cancels
    ALL = nonmember((AGENT, SUPERVISOR))


class StaffUser(db.Model):
    __tablename__ = "staff_users"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))  # argon2id
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Two-factor (staff/two_factor.py): the authenticator's base32 secret once enrolment is
    # confirmed, and the last 30-second step whose code was accepted (no code works twice).
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_last_step: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (CheckConstraint("role IN ('agent','supervisor')", name="ck_staff_users_role"),)

    @property
    def can_refund(self) -> bool:
        return self.role == StaffRole.SUPERVISOR


class StaffRecoveryCode(db.Model):
    """A one-time code that stands in for the authenticator app; only its argon2id hash is kept."""
    __tablename__ = "staff_recovery_codes"
    id: Mapped[int] = mapped_column(primary_key=True)
    staff_user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LoginFailure(db.Model):
    """A failed staff sign-in, counted per account and per address for slow-down and lock-out,
    or, from a browser that signed in to that account before, per that browser (`device`, the
    id in its device cookie; staff/auth.py)."""
    __tablename__ = "login_failures"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    ip_address: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    device: Mapped[str | None] = mapped_column(String(32), index=True)


class ProofFailure(db.Model):
    """A traveller's failed attempt to prove a booking (manage my booking, the bookings API).

    Kept apart from staff sign-in failures (login_failures), so guessing at bookings from an
    address never locks staff sign-in there. Counted per reference and address (bookings/proof.py).
    """
    __tablename__ = "proof_failures"
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20))  # as typed, normalised; may name no booking
    ip_address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

    __table_args__ = (Index("ix_proof_failures_reference_at", "reference", "at"),)


class ApiToken(db.Model):
    """A bearer token for the bookings API (`flask create-api-token`); only its hash is kept."""
    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    staff_user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditEntry(db.Model):
    """Every staff action: who, when, what, the state before and after."""
    __tablename__ = "audit_entries"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(254))  # staff email, "api token <name>", or "traveller"
    action: Mapped[str] = mapped_column(String(60))
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id", ondelete="SET NULL"), index=True)
    before: Mapped[str | None] = mapped_column(Text)  # JSON
    after: Mapped[str | None] = mapped_column(Text)  # JSON
    detail: Mapped[str | None] = mapped_column(String(500))


class FunnelStage(StrEnum):
    SEARCH = "search"
    RESULTS_VIEWED = "results_viewed"
    BOOKING_STARTED = "booking_started"
    PAYMENT_REACHED = "payment_reached"
    PAYMENT_COMPLETED = "payment_completed"
    ORDER = nonmember((SEARCH, RESULTS_VIEWED, BOOKING_STARTED, PAYMENT_REACHED, PAYMENT_COMPLETED))


class FunnelEvent(db.Model):
    """One step of the traveller funnel, at most once per visitor (or booking) and stage."""
    __tablename__ = "funnel_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    stage: Mapped[str] = mapped_column(String(20))
    visitor: Mapped[str] = mapped_column(String(64))  # opaque: a hash of the session id, or "booking-<id>"
    booking_id: Mapped[int | None] = mapped_column(ForeignKey("bookings.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("stage", "visitor", name="uq_funnel_stage_visitor"),
        Index("ix_funnel_events_at_stage", "at", "stage"),
    )


class ErrorEvent(db.Model):
    """A 4xx/5xx answer, a database error or a payment failure, for the monitoring dashboard."""
    __tablename__ = "error_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    kind: Mapped[str] = mapped_column(String(20))  # http_4xx | http_5xx | database
    status: Mapped[int | None] = mapped_column(Integer)
    path: Mapped[str | None] = mapped_column(String(200))


class DashboardDay(db.Model):
    """The dashboard's countable figures of one closed UTC day, as `staff/dashboard_days.py` counts them.

    Written by the sweeper (`dashboard_days.roll_up`) for the last 30 closed days; on PostgreSQL,
    triggers (migration 0012) delete a day's row in the same transaction as any change to
    a row it counts, so a row present is always exact and a missing one is counted from the
    rows again. Today is always counted from the rows.
    """
    __tablename__ = "dashboard_days"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    attempts_succeeded: Mapped[int] = mapped_column(Integer)
    attempts_failed: Mapped[int] = mapped_column(Integer)
    attempts_three_ds: Mapped[int] = mapped_column(Integer)  # finished attempts through 3-D Secure
    webhooks_received: Mapped[int] = mapped_column(Integer)
    webhooks_processed: Mapped[int] = mapped_column(Integer)  # processed or ignored
    webhooks_failed: Mapped[int] = mapped_column(Integer)
    sales_amount: Mapped[int] = mapped_column(BigInteger)  # minor units of REPORTING_CURRENCY
    sales_bookings: Mapped[int] = mapped_column(Integer)
    refunds_amount: Mapped[int] = mapped_column(BigInteger)
    funnel_search: Mapped[int] = mapped_column(Integer)
    funnel_results_viewed: Mapped[int] = mapped_column(Integer)
    funnel_booking_started: Mapped[int] = mapped_column(Integer)
    funnel_payment_reached: Mapped[int] = mapped_column(Integer)
    funnel_payment_completed: Mapped[int] = mapped_column(Integer)
    rolled_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DashboardPaymentTime(db.Model):
    """How many of a closed day's payments took so many milliseconds from the Pay click to
    success: the percentiles of any run of days, from a few rows per day."""
    __tablename__ = "dashboard_payment_times"
    day: Mapped[date] = mapped_column(ForeignKey("dashboard_days.day", ondelete="CASCADE"), primary_key=True)
    milliseconds: Mapped[int] = mapped_column(Integer, primary_key=True)
    payments: Mapped[int] = mapped_column(Integer)
