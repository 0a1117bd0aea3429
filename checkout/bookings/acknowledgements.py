"""The notices a traveller must accept before paying, with versioned texts.

Changing a text means a new version: what each booking accepted is stored by key and
version, with the time of acceptance, so support can show exactly what was agreed.
The review page shows these (with the chosen fare's own conditions beside the first
two); API clients read them from GET /api/acknowledgements and send back what the
traveller accepted.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Acknowledgement:
    key: str
    version: str
    title: str
    label: str  # the checkbox's words
    text: str  # the notice itself, whatever the fare


ACKNOWLEDGEMENTS = (
    Acknowledgement(
        "fare_rules", "2026-11-01", "Fare rules",
        "I have read the fare rules: change and cancellation conditions, and the 24-hour policy.",
        "Each fare family has its own conditions: whether changes are allowed, free or for a fee (plus any "
        "fare difference), and whether the fare is refundable, less any fee. 24-hour policy: if you booked at "
        "least 7 days before departure, you can cancel within 24 hours of booking for a full refund, whatever "
        "the fare.",
    ),
    Acknowledgement(
        "baggage", "2026-11-01", "Baggage allowance and fees",
        "I have read the baggage allowance and fees for carry-on, first and second checked bags.",
        "The fare family and bundle set the carry-on allowance and how many checked bags up to 23 kg are "
        "included; checked bags not included are priced by their place (1st, 2nd, 3rd bag).",
    ),
    Acknowledgement(
        "conditions_of_carriage", "2026-11-01", "Conditions of carriage",
        "I accept the conditions of carriage.",
        "Your journey is subject to our conditions of carriage, including check-in deadlines (60 minutes before "
        "departure), identity checks and our liability limits.",
    ),
    Acknowledgement(
        "hazardous_materials", "2026-11-01", "Hazardous materials",
        "I understand that hazardous materials must not be carried in baggage.",
        "Do not pack explosives, flammable liquids, compressed gases, or spare lithium batteries in checked "
        "baggage. Some items are forbidden on board entirely.",
    ),
)

BY_KEY = {a.key: a for a in ACKNOWLEDGEMENTS}


def refusal(accepted: Iterable[tuple[str, str]]) -> str | None:
    """Why `accepted` (key, version pairs) is not enough to book, or None if it is.

    Every current notice must be there at its current version: an older version counts
    as not accepted (the traveller agreed to a text we no longer show), and a key we do
    not know is refused rather than silently ignored.
    """
    accepted = set(accepted)
    keys = {key for key, _ in accepted}
    problems = []
    missing = [a for a in ACKNOWLEDGEMENTS if a.key not in keys]
    if missing:
        problems.append("Not accepted: " + ", ".join(f"{a.key} (version {a.version})" for a in missing) + ".")
    outdated = [a for a in ACKNOWLEDGEMENTS if a.key in keys and (a.key, a.version) not in accepted]
    if outdated:
        problems.append("Outdated: " + ", ".join(f"{a.key} (the current version is {a.version})" for a in outdated)
                        + ".")
    unknown = sorted(keys - BY_KEY.keys())
    if unknown:  # echoed back, so only a few and only their start
        problems.append("Unknown: " + ", ".join(key[:40] for key in unknown[:5]) + (", …" if len(unknown) > 5 else "")
                        + ".")
    return " ".join(problems) or None
