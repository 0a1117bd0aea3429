"""WTForms fields that read what was typed with checkout/parsing.py's readers.

Forms are screens, so the fields live here; parsing.py itself knows nothing of WTForms and
is shared with the API and the services.
"""
from __future__ import annotations

import wtforms
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
