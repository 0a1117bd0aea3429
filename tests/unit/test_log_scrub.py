"""Error reports never carry a traveller's redress or Known Traveler number: the scrub that
takes passport numbers out takes every shape bookings/passengers.py accepts for them."""
import pytest

from checkout.logging_setup import scrub


@pytest.mark.parametrize("number", ["1234567", "AB12345678901", "TT1234567", "987654321", "1234567890"])
def test_the_scrub_removes_redress_and_known_traveler_numbers(number):
    event = {"message": f"could not save {number}", "extra": {"values": [f"passengers-0-x={number}"]}}
    assert number not in str(scrub(event))
