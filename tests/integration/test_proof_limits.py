"""The limits on proving a booking, with the clock given: per address per hour and per day,
and the tighter allowance once a reference has had many wrong guesses from anywhere."""
from datetime import datetime, timedelta, timezone

from checkout.bookings.proof import guesser_wait, record_failure

NOW = datetime(2030, 6, 1, 12, 0, tzinfo=timezone.utc)
REFERENCE = "FLY2A-TEST23"


def test_five_an_hour_then_ten_a_day_per_address(app_ctx):
    for minutes in (300, 290, 280, 270, 260):  # five, five hours ago: the hour is clear again
        record_failure(REFERENCE, "10.1.1.1", NOW - timedelta(minutes=minutes))
    assert guesser_wait(REFERENCE, "10.1.1.1", NOW) is None
    for minutes in (40, 30, 20, 10):
        record_failure(REFERENCE, "10.1.1.1", NOW - timedelta(minutes=minutes))
    assert guesser_wait(REFERENCE, "10.1.1.1", NOW) is None  # 4 this hour, 9 today
    record_failure(REFERENCE, "10.1.1.1", NOW)
    # Tenth today: refused until the first of the ten is a day old (19 hours from now),
    # though the hour alone would free it in 20 minutes.
    wait = guesser_wait(REFERENCE, "10.1.1.1", NOW)
    assert timedelta(hours=18, minutes=59) < timedelta(seconds=wait) <= timedelta(hours=19, seconds=1)
    assert guesser_wait(REFERENCE, "10.1.1.2", NOW) is None  # another address
    assert guesser_wait("FLY2A-OTHER2", "10.1.1.1", NOW) is None  # another reference


def test_after_ten_wrong_guesses_an_hour_each_address_gets_one(app_ctx):
    for n in range(9):
        record_failure(REFERENCE, f"10.2.0.{n + 1}", NOW - timedelta(minutes=30))
    record_failure(REFERENCE, "10.2.1.1", NOW - timedelta(minutes=50))
    assert guesser_wait(REFERENCE, "10.2.1.1", NOW) is not None  # 10 from everyone: one each
    assert guesser_wait(REFERENCE, "10.2.9.9", NOW) is None  # a fresh address is still checked
    # The first failures leave the hour: back to five per address.
    assert guesser_wait(REFERENCE, "10.2.1.1", NOW + timedelta(minutes=11)) is None
