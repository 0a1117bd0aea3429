"""Booking references: the published format, and no pattern a person could guess the next one from."""
from collections import Counter
from statistics import correlation

import pytest

from checkout.bookings.reference import ALPHABET, looks_like_reference, new_reference

CONTRACT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # DESIGN.md: no look-alikes 0/O, 1/I
DRAWS = 2000
# Chi-square, 31 degrees of freedom: 125 is exceeded by chance with p < 1e-12 per position,
# while a counter or a clock puts tens of thousands on its leading positions.
CHI_SQUARE_BOUND = 125


def _as_number(reference: str) -> int:
    """The six characters read as one base-32 number."""
    number = 0
    for char in reference[len("FLY2A-"):]:
        number = number * 32 + CONTRACT_ALPHABET.index(char)
    return number


def _patterns(references: list[str]) -> list[str]:
    """What gives a sequence of references away; empty for a sequence that looks random.

    Every bound sits many standard deviations away from what random draws give, so a good
    generator never trips one by chance, while a counter or a clock trips several.
    """
    problems = []
    numbers = [_as_number(r) for r in references]
    steps = [b - a for a, b in zip(numbers, numbers[1:])]
    step, repeats = Counter(steps).most_common(1)[0]
    if repeats > 3:
        problems.append(f"{repeats} consecutive pairs differ by the same step {step}")
    rising = sum(s > 0 for s in steps) / len(steps)
    if not 0.35 < rising < 0.65:
        problems.append(f"{rising:.0%} of steps go up (random: about half)")
    if abs(correlation(numbers[:-1], numbers[1:])) > 0.2:
        problems.append("each reference is correlated with the one before")
    expected = len(references) / len(CONTRACT_ALPHABET)
    for position in range(6):
        seen = Counter(r[len("FLY2A-") + position] for r in references)
        if len(seen) < len(CONTRACT_ALPHABET):
            problems.append(f"position {position + 1} uses only {len(seen)} of {len(CONTRACT_ALPHABET)} characters")
        chi_square = sum((seen[c] - expected) ** 2 / expected for c in CONTRACT_ALPHABET)
        if chi_square > CHI_SQUARE_BOUND:
            problems.append(f"position {position + 1} is far from uniform (chi-square {chi_square:.0f})")
    return problems


def _encode(number: int) -> str:
    chars = []
    for _ in range(6):
        number, digit = divmod(number, 32)
        chars.append(CONTRACT_ALPHABET[digit])
    return "FLY2A-" + "".join(reversed(chars))


def test_reference_format_and_alphabet_without_look_alikes():
    assert sorted(ALPHABET) == sorted(CONTRACT_ALPHABET) and len(set(ALPHABET)) == len(ALPHABET)
    assert not set("0O1I") & set(ALPHABET)
    references = [new_reference() for _ in range(DRAWS)]
    for reference in references:
        assert reference.startswith("FLY2A-") and len(reference) == 12, reference
        assert set(reference[6:]) <= set(CONTRACT_ALPHABET), reference
        assert looks_like_reference(reference)
    # Every allowed character is actually used (a subset would shrink the space to guess in).
    assert set("".join(r[6:] for r in references)) == set(CONTRACT_ALPHABET)


def test_references_are_not_predictable():
    references = [new_reference() for _ in range(DRAWS)]
    assert len(set(references)) == DRAWS
    assert _patterns(references) == []


@pytest.mark.parametrize("generator", ["counter", "counter with a stride", "microsecond clock"])
def test_the_unpredictability_check_catches_guessable_generators(generator):
    """The check above must be able to fail: it rejects the generators a shortcut would give."""
    start = 123_456_789
    numbers = {
        "counter": [start + i for i in range(DRAWS)],
        "counter with a stride": [start + 7919 * i for i in range(DRAWS)],
        # A clock read every few microseconds, its low 30 bits in base 32.
        "microsecond clock": [(1_760_000_000_000_000 + 3 * i + i % 2) % 32 ** 6 for i in range(DRAWS)],
    }[generator]
    assert _patterns([_encode(n) for n in numbers])


def test_reference_check_rejects_look_alikes_and_other_prefixes():
    assert not looks_like_reference("FLY2A-0O1I23")
    assert not looks_like_reference("ABCDE-ABCDEF")
    assert not looks_like_reference("FLY2A-ABC")
