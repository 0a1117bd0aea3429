"""Who is travelling and how to reach them: the rules for passengers' details and the contact.

One set of rules and messages for every way in: the passengers step (its Flask-WTF form
calls these from `validate_<field>` hooks), the JSON API and amendments (API and manage my
booking). Each check takes the value as typed (a string; dates may already be `date`s) and
returns the message to show beside that field, or None. `passenger_problems` and
`contact_problems` collect them as {field: message}; `passenger_details` and `contact_details`
turn values that passed into what the booking service stores.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from functools import cache

import phonenumbers
import pycountry
from email_validator import EmailNotValidError, validate_email

from ..models import GENDERS
from .service import Contact, PassengerDetails

PASSENGER_FIELDS = ("first_name", "last_name", "date_of_birth", "gender", "nationality", "passport_number",
                    "passport_expiry", "redress_number", "known_traveler_number")
CONTACT_FIELDS = ("email", "phone")

NAME_PATTERN = r"^[^\W\d_]+(?:[ '\-’][^\W\d_]+)*$"
NAME_MESSAGE = "Use letters only, with spaces, hyphens or apostrophes between them."
NAME_MAX = 60
PASSPORT_PATTERN = r"^[A-Za-z0-9]+$"
PASSPORT_MIN, PASSPORT_MAX = 5, 20
# Redress numbers: DHS TRIP issues 7 digits today; Secure Flight's field takes up to 13
# letters and digits (older and future numbers). Known Traveler Numbers: 9 characters
# (PreCheck "TT1234567", a Global Entry/NEXUS/SENTRI PASSID of 9 digits) or a 10-digit
# DoD ID. Spaces and hyphens people copy from a card are dropped. See docs/adr 0135.
REDRESS_PATTERN = r"^[A-Z0-9]{7,13}$"
REDRESS_MAX = 13
KTN_PATTERN = r"^[A-Z0-9]{9,10}$"
KTN_MAX = 10
DATE_FORMAT = "%Y-%m-%d"  # what <input type="date"> sends, and the API's dates


@cache
def countries() -> tuple[tuple[str, str], ...]:
    """(ISO 3166 alpha-2 code, name as people say it), sorted by name."""
    listed = sorted(pycountry.countries, key=lambda c: getattr(c, "common_name", c.name))
    return tuple((c.alpha_2, getattr(c, "common_name", c.name)) for c in listed)


@cache
def _country_codes() -> frozenset[str]:
    return frozenset(code for code, _ in countries())


def _text(value) -> str:
    return "" if value is None else str(value)


def parse_date(value) -> date | None:
    """A `date`, or a YYYY-MM-DD string; None for anything else."""
    if isinstance(value, date):
        return value
    try:
        return datetime.strptime(_text(value).strip(), DATE_FORMAT).date()
    except ValueError:
        return None


# -- one field at a time -------------------------------------------------------------

def name_problem(value, which: str) -> str | None:
    """`which` is "first" or "last". Checked as typed: surrounding spaces are not letters."""
    value = _text(value)
    if not value.strip():
        return f"Enter the {which} name as on the passport or ID."
    if len(value) > NAME_MAX:
        return f"Use at most {NAME_MAX} characters."
    if not re.match(NAME_PATTERN, value):
        return NAME_MESSAGE
    return None


def age_on(day: date, born: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def age_problem(born: date, passenger_type: str, travel_date: date, today: date | None = None) -> str | None:
    """Adults are 12+, children 2–11, infants under 2, on the day of travel."""
    if born > (today or date.today()):
        return "The date of birth cannot be in the future."
    if born.year < 1900:
        return "Please check the year of birth."
    age = age_on(travel_date, born)
    if passenger_type == "adult" and age < 12:
        return "Adults must be 12 or older on the day of travel. Search again adding a child instead."
    if passenger_type == "child" and not 2 <= age <= 11:
        return "Children must be 2 to 11 years old on the day of travel."
    if passenger_type == "infant" and age >= 2:
        return "Infants must be under 2 on the day of travel."
    return None


def date_of_birth_problem(value, passenger_type: str, travel_date: date, today: date | None = None) -> str | None:
    if not _text(value).strip():
        return "Enter the date of birth."
    born = parse_date(value)
    if born is None:
        return "Enter the date of birth as year-month-day, like 1985-12-10."
    return age_problem(born, passenger_type, travel_date, today)


def gender_problem(value, required: bool = True) -> str | None:
    """One of Secure Flight's values. Every way in requires it (the step and the API)."""
    value = _text(value)
    if not value.strip():
        return "Choose the gender as on the government ID (or Unspecified or Undisclosed)." if required else None
    if value not in GENDERS:
        return "Choose a gender from the list: Male, Female, Unspecified or Undisclosed."
    return None


def traveller_number(value) -> str:
    """A redress number or KTN as stored: capitals and digits, without spaces or hyphens."""
    return re.sub(r"[\s\-]", "", _text(value)).upper()


def redress_number_problem(value) -> str | None:
    """Optional: most travellers have none."""
    number = traveller_number(value)
    if number and not re.match(REDRESS_PATTERN, number):
        return ("A redress number has 7 to 13 letters and digits, as on your DHS TRIP letter. "
                "Leave it empty if you don't have one.")
    return None


def known_traveler_number_problem(value) -> str | None:
    """Optional: for TSA PreCheck, Global Entry, NEXUS or SENTRI members."""
    number = traveller_number(value)
    if number and not re.match(KTN_PATTERN, number):
        return ("A Known Traveler Number has 9 or 10 letters and digits, like TT1234567 or the PASSID on a "
                "Global Entry card. Leave it empty if you don't have one.")
    return None


def nationality_problem(value) -> str | None:
    value = _text(value)
    if not value.strip():
        return "Choose a nationality."
    if value not in _country_codes():
        return "Choose a nationality from the list (a two-letter country code, like GB)."
    return None


def passport_number_problem(value, international: bool) -> str | None:
    """Required on international flights; checked whenever one is given."""
    value = _text(value).strip()
    if not value:
        return "Enter the passport number: this is an international flight." if international else None
    if not PASSPORT_MIN <= len(value) <= PASSPORT_MAX:
        return f"A passport number has {PASSPORT_MIN} to {PASSPORT_MAX} characters."
    if not re.match(PASSPORT_PATTERN, value):
        return "Use letters and digits only, no spaces."
    return None


def passport_expiry_problem(value, international: bool, travel_date: date) -> str | None:
    """Required on international flights, and must be after the day of travel."""
    if not _text(value).strip():
        return "Enter the passport expiry date." if international else None
    expiry = parse_date(value)
    if expiry is None:
        return "Enter the passport expiry date as year-month-day, like 2031-01-01."
    if international and expiry <= travel_date:
        return "This passport expires before the flight. Travel needs a passport valid after the travel date."
    return None


def email_problem(value) -> str | None:
    value = _text(value).strip()
    if not value:
        return "Enter an email address for your e-ticket and updates."
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return "Enter an email address like name@example.com."
    return None


def _phone_number(value) -> phonenumbers.PhoneNumber:
    return phonenumbers.parse(_text(value), "US")  # numbers without a country code are read as US ones


def phone_problem(value) -> str | None:
    if not _text(value).strip():
        return "Enter a phone number we can reach you on while travelling."
    try:
        number = _phone_number(value)
    except phonenumbers.NumberParseException:
        return "Enter a phone number with its country code, like +44 20 7946 0958."
    if not phonenumbers.is_valid_number(number):
        return "This phone number doesn't look right. Include the country code, like +1 212 555 0100."
    return None


# -- a whole passenger, a whole contact ----------------------------------------------

def passenger_problems(values: dict, passenger_type: str, travel_date: date, international: bool,
                       today: date | None = None, gender_required: bool = False,
                       last_travel_date: date | None = None) -> dict[str, str]:
    """{field: message} for one passenger's values (keys as in PASSENGER_FIELDS).

    Age is on the day the trip starts (`travel_date`); the passport must outlive the trip's
    last flight (`last_travel_date`, the same day for a one-flight trip).

    The step and the API pass `gender_required=True` (Secure Flight); False checks a gender
    only when one is given."""
    problems = {
        "first_name": name_problem(values.get("first_name"), "first"),
        "last_name": name_problem(values.get("last_name"), "last"),
        "date_of_birth": date_of_birth_problem(values.get("date_of_birth"), passenger_type, travel_date, today),
        "gender": gender_problem(values.get("gender"), gender_required),
        "nationality": nationality_problem(values.get("nationality")),
        "passport_number": passport_number_problem(values.get("passport_number"), international),
        "passport_expiry": passport_expiry_problem(values.get("passport_expiry"), international,
                                                   last_travel_date or travel_date),
        "redress_number": redress_number_problem(values.get("redress_number")),
        "known_traveler_number": known_traveler_number_problem(values.get("known_traveler_number")),
    }
    return {name: message for name, message in problems.items() if message}


def passenger_details(values: dict) -> PassengerDetails:
    """What the booking stores for values that passed `passenger_problems`."""
    return PassengerDetails(
        first_name=_text(values.get("first_name")).strip(), last_name=_text(values.get("last_name")).strip(),
        date_of_birth=parse_date(values.get("date_of_birth")), nationality=_text(values.get("nationality")),
        passport_number=_text(values.get("passport_number")).strip().upper() or None,
        passport_expiry=parse_date(values.get("passport_expiry")),
        gender=_text(values.get("gender")) or None,
        redress_number=traveller_number(values.get("redress_number")) or None,
        known_traveler_number=traveller_number(values.get("known_traveler_number")) or None,
    )


def contact_problems(email, phone) -> dict[str, str]:
    problems = {"email": email_problem(email), "phone": phone_problem(phone)}
    return {name: message for name, message in problems.items() if message}


def contact_details(email, phone) -> Contact:
    """For values that passed `contact_problems`: the email normalised, the phone in E.164."""
    normalized = validate_email(_text(email).strip(), check_deliverability=False).normalized
    return Contact(normalized, phonenumbers.format_number(_phone_number(phone), phonenumbers.PhoneNumberFormat.E164))
