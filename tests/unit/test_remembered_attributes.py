"""WTForms' attributes, remembered (checkout/form_fields.html_params): the same HTML as
WTForms draws, and nothing a traveller typed kept after the request."""
import wtforms
from markupsafe import Markup
from wtforms import Form, StringField

from checkout import form_fields

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


def test_each_set_of_attributes_renders_as_wtforms_renders_it_first_and_remembered():
    for attributes in CASES * 2:  # the second time from the cache
        assert form_fields.html_params(**attributes) == ORIGINAL(**attributes), attributes


def test_equal_values_of_other_types_are_not_confused():
    for first, second in ((True, 1), (1, True), (False, 0), (Markup("a&amp;b"), "a&amp;b"), ("a&amp;b", Markup("a&amp;b"))):
        for value in (first, second):  # the first one drawn is remembered; the second must not be served it
            assert form_fields.html_params(id="x", title=value) == ORIGINAL(id="x", title=value), value


def test_what_a_traveller_typed_is_never_remembered():
    before = form_fields._remembered_params.cache_info().currsize
    for typed in ("Ada Lovelace", "X1234567", "ada@example.com"):
        html = form_fields.html_params(id="passengers-0-last_name", name="passengers-0-last_name", value=typed)
        assert typed in html
    assert form_fields._remembered_params.cache_info().currsize == before


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

