"""Calls for one address or email take turns (bookings/hold_limits.one_at_a_time): a call
that waits too long is refused, and leaves no lock behind it."""
import psycopg
import pytest
from sqlalchemy import func, select

from checkout.bookings import hold_limits
from checkout.extensions import db
from tests.conftest import _server_url


def _held_elsewhere(key: int):
    """Another server process holding `key`, as a call in the middle of its booking does."""
    other = db.engine.connect()
    other.execute(select(func.pg_advisory_lock(key)))
    other.commit()
    return other


@pytest.mark.parametrize("which", [0, 1])
def test_a_call_that_waits_too_long_is_refused_and_leaves_no_lock_behind(app_ctx, monkeypatch, which):
    monkeypatch.setattr(hold_limits, "TURN_WAIT", "200ms")
    address, email = "10.77.0.1", "turns@example.com"
    keys = sorted({hold_limits._turn_key("address", address), hold_limits._turn_key("email", email)})
    # Holding the second key lets the call take the first before it gives up: that one must not stay held.
    other = _held_elsewhere(keys[which])
    with pytest.raises(hold_limits.NoTurn):
        with hold_limits.one_at_a_time(address, email):
            pytest.fail("ran without its turn")
    other.invalidate()  # the other call ends (closing its connection ends its locks)
    # Nothing is left held: another process (outside the app's pool) takes both keys at once.
    with psycopg.connect(_server_url(db.engine.url.render_as_string(hide_password=False)), autocommit=True) as probe:
        assert [probe.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()[0] for key in keys] == [True, True]
    ran = []
    with hold_limits.one_at_a_time(address, email):
        ran.append(True)
    assert ran == [True]
