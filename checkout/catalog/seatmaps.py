"""Seat maps of the two aircraft we fly, generated from their cabin layouts.

A layout is code, not data rows: it never changes per flight. Which seats are taken or
held is per flight, in the seat_holds table.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class Seat:
    code: str  # "12A"
    row: int
    letter: str
    cabin: str  # economy | business
    seat_type: str  # standard | preferred | extra_legroom | exit | business
    price: int  # minor units, before any fare or bundle allowance
    position: str  # window | middle | aisle

    @property
    def is_exit_row(self) -> bool:
        return self.seat_type == "exit"


SEAT_PRICES = {"standard": 1800, "preferred": 2900, "extra_legroom": 4900, "exit": 4900, "business": 0}
SEAT_TYPE_NAMES = {
    "standard": "Standard", "preferred": "Preferred (front of cabin)",
    "extra_legroom": "Extra legroom", "exit": "Exit row (extra legroom)", "business": "Business",
}


@dataclass(frozen=True)
class Aircraft:
    code: str
    name: str
    # (cabin, rows, blocks of letters between aisles)
    cabins: tuple[tuple[str, tuple[int, ...], tuple[str, ...]], ...]
    exit_rows: frozenset[int]
    extra_legroom_rows: frozenset[int]
    preferred_rows: frozenset[int]

    def seat_type(self, cabin: str, row: int) -> str:
        if cabin == "business":
            return "business"
        if row in self.exit_rows:
            return "exit"
        if row in self.extra_legroom_rows:
            return "extra_legroom"
        if row in self.preferred_rows:
            return "preferred"
        return "standard"


AIRCRAFT = {
    "A321": Aircraft(
        code="A321", name="Airbus A321neo (narrow-body)",
        cabins=(("economy", tuple(range(1, 31)), ("ABC", "DEF")),),
        exit_rows=frozenset({12, 13}), extra_legroom_rows=frozenset({1, 2}),
        preferred_rows=frozenset({3, 4, 5, 6}),
    ),
    "B789": Aircraft(
        code="B789", name="Boeing 787-9 (wide-body)",
        cabins=(
            ("business", tuple(range(1, 8)), ("A", "DG", "K")),
            ("economy", tuple(range(20, 46)), ("ABC", "DEG", "HJK")),
        ),
        exit_rows=frozenset({30}), extra_legroom_rows=frozenset({20, 21}),
        preferred_rows=frozenset({22, 23, 24}),
    ),
}


def _position(blocks: tuple[str, ...], block_index: int, letter_index: int) -> str:
    block = blocks[block_index]
    if (block_index == 0 and letter_index == 0) or (block_index == len(blocks) - 1 and letter_index == len(block) - 1):
        return "window"
    if letter_index == 0 or letter_index == len(block) - 1:
        return "aisle"
    return "middle"


@cache
def seat_rows(aircraft_code: str) -> tuple[tuple[str, int, tuple[tuple[Seat, ...], ...]], ...]:
    """(cabin, row, blocks of seats) for drawing the map, front to back."""
    aircraft = AIRCRAFT[aircraft_code]
    rows = []
    for cabin, row_numbers, blocks in aircraft.cabins:
        for row in row_numbers:
            seat_type = aircraft.seat_type(cabin, row)
            row_blocks = tuple(
                tuple(
                    Seat(f"{row}{letter}", row, letter, cabin, seat_type, SEAT_PRICES[seat_type],
                         _position(blocks, b, i))
                    for i, letter in enumerate(block)
                )
                for b, block in enumerate(blocks)
            )
            rows.append((cabin, row, row_blocks))
    return tuple(rows)


@cache
def seats_by_code(aircraft_code: str) -> dict[str, Seat]:
    return {seat.code: seat for _, _, blocks in seat_rows(aircraft_code) for block in blocks for seat in block}


@cache
def neighbours(aircraft_code: str) -> dict[str, frozenset[str]]:
    """Each seat's neighbours: the seats beside it in the same row with no aisle between."""
    beside: dict[str, set[str]] = {}
    for _, _, blocks in seat_rows(aircraft_code):
        for block in blocks:
            for left, right in zip(block, block[1:]):
                beside.setdefault(left.code, set()).add(right.code)
                beside.setdefault(right.code, set()).add(left.code)
    return {code: frozenset(codes) for code, codes in beside.items()}


def find_seat(aircraft_code: str, seat_code: str) -> Seat | None:
    return seats_by_code(aircraft_code).get((seat_code or "").strip().upper())


@cache
def cabin_capacity(aircraft_code: str) -> dict[str, int]:
    """How many seats each cabin has: the most passengers (infants aside) it can carry."""
    capacity: dict[str, int] = {}
    for seat in seats_by_code(aircraft_code).values():
        capacity[seat.cabin] = capacity.get(seat.cabin, 0) + 1
    return capacity


@cache
def placement_order(aircraft_code: str, cabin: str) -> tuple[Seat, ...]:
    """The order in which seats are given to passengers who chose none.

    Seats nobody pays extra for come first, from the back of the cabin, so the seats
    travellers choose and pay for stay free as long as possible; exit rows come last
    because not every passenger may sit there. One fixed order also means two bookings
    taking places at once try seats in the same sequence and never wait on each other in
    a cycle.
    """
    seats = [seat for seat in seats_by_code(aircraft_code).values() if seat.cabin == cabin]
    return tuple(sorted(seats, key=lambda s: (s.is_exit_row, s.price, -s.row, s.letter)))
