"""WTForms fields that read what was typed with checkout/parsing.py's readers, a select
that remembers its rendered options, and attributes remembered once drawn.

Forms are screens, so the fields live here; parsing.py itself knows nothing of WTForms and
is shared with the API and the services.
"""
from __future__ import annotations

from functools import lru_cache

import wtforms
from markupsafe import Markup
from wtforms.fields.choices import Choice
from wtforms.validators import StopValidation

from .parsing import MAX_INT, parse_date, parse_int


class _ReadWith:
    """A field whose text is read by one of the parsing readers.

    Surrounding blanks are dropped from what was typed, so a value of only blanks counts as
    nothing typed for InputRequired and Optional alike. A value it cannot read is a field
    error, and the field's other validators (and validate_<name> hooks) do not run on it:
    they would see None where they expect a value."""

    def process_formdata(self, valuelist):
        if valuelist:
            self.raw_data = [valuelist[0].strip(), *valuelist[1:]]
            self.data = None
            self.data = self.read(self.raw_data[0])  # Unreadable is a ValueError: WTForms keeps its message

    def pre_validate(self, form):
        if self.process_errors:
            raise StopValidation()


class DateField(_ReadWith, wtforms.DateField):
    def read(self, text: str):
        return parse_date(text)


class IntegerField(_ReadWith, wtforms.IntegerField):
    def __init__(self, label=None, validators=None, minimum: int = 0, maximum: int = MAX_INT, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.minimum, self.maximum = minimum, maximum

    def read(self, text: str):
        return parse_int(text, self.minimum, self.maximum)


@lru_cache(maxsize=8192, typed=True)  # typed: 1 and "1", a str and a Markup label are not one option
def _option(value, label, selected: bool) -> Markup:
    return wtforms.widgets.Select.render_option(Choice(value=value, label=label, selected=selected, render_kw={}))


class RememberedSelect(wtforms.widgets.Select):
    """WTForms' Select, with each `<option>` rendered once per process.

    WTForms builds every option through html_params and Markup.format, and looks up
    render_option's signature on each render: the 249-country nationality list cost about
    10 ms per passenger, most of a three-passenger page (docs/PERFORMANCE.md). An option
    with the same value, label and selection always renders the same, so it is remembered.
    """

    @classmethod
    def render_option(cls, choice, **kwargs):
        if choice.render_kw or kwargs or isinstance(choice.value, bool):
            return super().render_option(choice, **kwargs)
        return _option(choice.value, choice.label, bool(choice.selected))

    @classmethod
    def _dispatch_render_option(cls):
        return cls.render_option


class SelectField(wtforms.SelectField):
    widget = RememberedSelect()


# -- attributes ----------------------------------------------------------------------------

_wtforms_html_params = wtforms.widgets.core.html_params


@lru_cache(maxsize=4096)
def _remembered_params(attributes: tuple) -> str:
    return _wtforms_html_params(**{name: value for name, _, value in attributes})


def html_params(**attributes) -> str:
    """WTForms' html_params, remembered for a set of attributes that carries no typed value.

    Every label, input and select WTForms draws goes through it, and it escapes each value
    through Markup.format: on the home page the search form's six fields were about a third
    of the request (bench/profile.py, interleaved runs: 4.7 -> 2.8 ms of CPU). A label's or a
    select's attributes, or an empty input's, are the same for every visitor, so each set is
    drawn once per process. An input holding what someone typed is drawn every time, so no
    name, email or passport number stays in the process after its request.
    """
    if attributes.get("value") not in (None, ""):
        return _wtforms_html_params(**attributes)
    try:
        # Each value's type is in the key: True and 1, or a Markup and the same text as a str,
        # are equal but render differently.
        return _remembered_params(tuple((name, type(value), value) for name, value in attributes.items()))
    except TypeError:  # a value that cannot be a key (a list): drawn as WTForms draws it
        return _wtforms_html_params(**attributes)


def remember_attributes() -> None:
    """Make WTForms' widgets and labels use html_params above (create_app calls it once).

    WTForms looks the function up in three places: the widgets module (selects and
    options), the package (labels) and Input's own attribute (inputs)."""
    wtforms.widgets.core.html_params = html_params
    wtforms.widgets.html_params = html_params
    wtforms.widgets.core.Input.html_params = staticmethod(html_params)
