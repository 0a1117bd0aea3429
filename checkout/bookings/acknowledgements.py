"""The notices a traveller must accept before paying, with versioned texts.

Changing a text means a new version: what each booking accepted is stored by key and
version, with the time of acceptance, so support can show exactly what was agreed.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Acknowledgement:
    key: str
    version: str
    title: str
    label: str  # the checkbox's words


ACKNOWLEDGEMENTS = (
    Acknowledgement(
        "fare_rules", "2026-11-01", "Fare rules",
        "I have read the fare rules: change and cancellation conditions, and the 24-hour policy.",
    ),
    Acknowledgement(
        "baggage", "2026-11-01", "Baggage allowance and fees",
        "I have read the baggage allowance and fees for carry-on, first and second checked bags.",
    ),
    Acknowledgement(
        "conditions_of_carriage", "2026-11-01", "Conditions of carriage",
        "I accept the conditions of carriage.",
    ),
    Acknowledgement(
        "hazardous_materials", "2026-11-01", "Hazardous materials",
        "I understand that hazardous materials must not be carried in baggage.",
    ),
)

BY_KEY = {a.key: a for a in ACKNOWLEDGEMENTS}
