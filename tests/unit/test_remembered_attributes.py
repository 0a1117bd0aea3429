"""WTForms' attributes, remembered (checkout/form_fields.html_params): the same HTML as
WTForms draws, byte for byte, and nothing a traveller typed kept after the request."""
import weakref
import pytest
import wtforms
from flask import Flask
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from wtforms import Form, StringField

from checkout import form_fields
from checkout.catalog.forms import SearchForm
from checkout.staff.forms import LoginForm
from checkout.steps.forms import PassengersForm
from tests.conftest import travel_day

ORIGINAL = form_fields._wtforms_html_params
CASES = [
    dict(id="origin", name="origin", type="text", value="", required=True, aria_describedby="origin-error"),
    dict(id="adults", name="adults", aria_invalid="false"),
    dict(for_="date", class_="x"),
    dict(checked=True, disabled=False, value=None, data_focus_after="seat-selected"),
    dict(title=Markup("<b>kept</b>"), alt="<b>escaped</b> & \"quoted\""),
    dict(maxlength=1, minlength=True),
    dict(maxlength="1", minlength="True"),
]


class Typed(str):
    """Text a traveller typed, which the test can watch (a str subclass takes weak references)."""


def test_each_set_of_attributes_renders_as_wtforms_renders_it_first_and_remembered():
    for attributes in CASES * 2:  # the second time from the cache
        assert form_fields.html_params(**attributes) == ORIGINAL(**attributes), attributes


def test_equal_values_of_other_types_are_not_confused():
    for first, second in ((True, 1), (1, True), (False, 0), (Markup("a&amp;b"), "a&amp;b"), ("a&amp;b", Markup("a&amp;b"))):
        for value in (first, second):  # the first one drawn is remembered; the second must not be served it
            assert form_fields.html_params(id="x", title=value) == ORIGINAL(id="x", title=value), value


def test_what_a_traveller_typed_is_not_kept_once_drawn():
    for text in ("Ada Lovelace", "X1234567", "ada@example.com"):
        typed = Typed(text)
        still_held = weakref.ref(typed)
        html = form_fields.html_params(id="passengers-0-last_name", name="passengers-0-last_name", value=typed)
        assert html == ORIGINAL(id="passengers-0-last_name", name="passengers-0-last_name", value=text)
        del typed  # reference counting frees it at once unless something else holds it
        assert still_held() is None, f"{text!r} is still held by something after it was drawn"


def test_a_form_drawn_with_remembered_attributes_is_wtforms_own():
    class Passenger(Form):
        name = StringField("Last name")

    form_fields.remember_attributes()
    for data in ({}, {"name": "Lovelace"}, {"name": "<script>"}):
        form = Passenger(data=data)
        ours = str(form.name(aria_invalid="false")) + str(form.name.label())
        # WTForms' own function, called directly, on the same field.
        theirs = (f'<input {ORIGINAL(id="name", name="name", type="text", value=form.name._value(), aria_invalid="false")}>'
                  f'<label {ORIGINAL(for_="name")}>Last name</label>')
        assert ours == theirs
    assert wtforms.widgets.core.Input.html_params is form_fields.html_params


# The app's own forms, empty and filled in, drawn with the remembered attributes (twice: the
# second time from the cache) and with WTForms' function put back: the same bytes.

@pytest.fixture
def request_context():
    app = Flask(__name__)
    app.config.update(SECRET_KEY="test", WTF_CSRF_ENABLED=True)  # the CSRF token's hidden input too
    with app.test_request_context("/", method="POST"):
        yield


def _drawn(forms) -> str:
    def fields(form):
        for field in form:
            if isinstance(field, wtforms.FieldList):
                for entry in field:
                    yield from fields(entry.form)
            else:
                yield field
    # Each field as the pages draw it: plain, valid, and invalid with its message.
    return "\n".join(str(field.label()) + str(field()) + str(field(aria_invalid="false"))
                     + str(field(aria_invalid="true", aria_describedby=f"{field.id}-error"))
                     for form in forms() for field in fields(form))


def _app_forms(filled: bool):
    typed = MultiDict({
        "origin": "JFK", "destination": "<b>London</b>", "date": travel_day(30).isoformat(), "adults": "2",
        "passengers-0-first_name": "Ada", "passengers-0-last_name": "Lovelace & Byron",
        "passengers-0-date_of_birth": "1985-12-10", "passengers-0-nationality": "GB",
        "passengers-0-passport_number": "X1234567", "passengers-1-first_name": "\"Quoted\"",
        "email": "ada@example.com", "phone": "+44 20 7946 0000", "password": "secret", "next": "/staff",
    }) if filled else MultiDict()
    return lambda: [SearchForm(formdata=typed), LoginForm(formdata=typed),
                    PassengersForm(formdata=typed, passenger_types=["adult", "child"], travel_date=travel_day(30),
                                   international=True)]


@pytest.mark.parametrize("filled", [False, True], ids=["empty", "filled in"])
def test_the_apps_forms_draw_the_same_bytes_as_with_wtforms_own_function(request_context, monkeypatch, filled):
    forms = _app_forms(filled)
    form_fields.remember_attributes()
    first, remembered = _drawn(forms), _drawn(forms)
    monkeypatch.setattr(wtforms.widgets.core, "html_params", ORIGINAL)
    monkeypatch.setattr(wtforms.widgets, "html_params", ORIGINAL)
    monkeypatch.setattr(wtforms.widgets.core.Input, "html_params", staticmethod(ORIGINAL))
    theirs = _drawn(forms)
    assert 'name="csrf_token" type="hidden" value="' in theirs and ('value="X1234567"' in theirs) is filled
    assert first == theirs and remembered == theirs
