"""Status and kind constants are StrEnums whose members are the strings kept in the database,
sent in JSON and shown on pages; their groups (ALL, OPEN...) list every member once."""
import json

from checkout.models import (
    AttemptStatus, Booking, BookingStatus, FunnelStage, PassengerType, RefundStatus, StaffRole,
)
from checkout.notifications.outbox import Kind


def test_a_member_is_its_string_in_json_text_and_lookups():
    assert BookingStatus.PENDING_PAYMENT == "PENDING_PAYMENT" and AttemptStatus.FAILED == "failed"
    assert json.dumps({"status": BookingStatus.CONFIRMED, "role": StaffRole.SUPERVISOR}) == \
        '{"status": "CONFIRMED", "role": "supervisor"}'
    assert f"{RefundStatus.PENDING} {PassengerType.INFANT}" == "pending infant"
    assert {"payment_reached": 1}[FunnelStage.PAYMENT_REACHED] == 1  # a string read back finds it
    assert BookingStatus("EXPIRED") is BookingStatus.EXPIRED


def test_each_group_lists_every_member_in_order():
    assert BookingStatus.ALL == tuple(BookingStatus)
    assert PassengerType.ALL == tuple(PassengerType)
    assert StaffRole.ALL == tuple(StaffRole)
    assert FunnelStage.ORDER == tuple(FunnelStage)
    assert Kind.ALL == tuple(Kind)
    assert AttemptStatus.OPEN + AttemptStatus.FINAL == tuple(AttemptStatus)


def test_the_database_accepts_exactly_the_booking_statuses():
    [check] = [c for c in Booking.__table__.constraints if c.name == "ck_bookings_status"]
    assert str(check.sqltext) == "status IN ({})".format(",".join(f"'{s}'" for s in BookingStatus))
