"""Bookings: storage, the state machine, seat holds and the booking reference."""
