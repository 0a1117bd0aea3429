"""Forms for the staff console (Flask-WTF: CSRF on every POST; the search is a plain GET)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, PasswordField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp, ValidationError
from wtforms.widgets import HiddenInput

from ..models import BookingStatus
from ..form_fields import DateField, IntegerField
from ..parsing import as_id
from .bookings import ANOMALIES


class EmptyForm(FlaskForm):
    """Carries only the CSRF token, for button-only POSTs (sign out, resend)."""


class LoginForm(FlaskForm):
    email = StringField("Email", validators=[DataRequired("Enter your staff email address."), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired("Enter your password.")])
    next = HiddenField()


class CodeForm(FlaskForm):
    """The second step: a code from the authenticator app, or a recovery code."""
    code = StringField("Authentication code", validators=[
        DataRequired("Enter the 6-digit code from your authenticator app, or a recovery code."),
        Length(max=32, message="A code has 6 digits; a recovery code looks like ABCDE-FGHJK.")])


class ResetTwoFactorForm(FlaskForm):
    email = StringField("Staff email", validators=[DataRequired("Enter the staff member's email."), Length(max=254)])


STATUS_CHOICES = [SelectChoice("", "Any status")] + [
    SelectChoice(s, s.replace("_", " ").capitalize()) for s in BookingStatus.ALL if s != BookingStatus.DRAFT]
ANOMALY_CHOICES = [SelectChoice("", "None")] + [SelectChoice(key, label) for key, label in ANOMALIES.items()]


class SearchForm(FlaskForm):
    """The bookings page's search and filters: read from the query string, no CSRF (it changes nothing)."""

    class Meta:
        csrf = False

    q = StringField("Search bookings", validators=[Optional(), Length(max=254, message="Use at most 254 characters.")],
                    description="Reference, email, surname, flight number, card last 4 digits or PaymentIntent id (pi_…)")
    status = SelectField("Status", choices=STATUS_CHOICES, default="")
    booked_from = DateField("Booked from", validators=[Optional()])
    booked_to = DateField("Booked to", validators=[Optional()])
    anomaly = SelectField("Anomaly", choices=ANOMALY_CHOICES, default="")
    after = IntegerField("After", validators=[Optional(), NumberRange(min=1, message="That page link is not valid.")])

    def validate_booked_to(self, field):
        if field.data and self.booked_from.data and field.data < self.booked_from.data:
            raise ValidationError("“Booked to” must be on or after “Booked from”.")


def _ids_readable(form, field):
    """Each comma-separated part is a row id (a digit string too long for one is no line of ours)."""
    if any(as_id(part) is None for part in (field.data or "").split(",") if part):
        raise ValidationError("The quoted lines were not understood.")


class RefundConfirmForm(FlaskForm):
    """What the quote page posts back: exactly what was quoted, and its one-time key.

    Hidden inputs, so drawn by the hidden widget: it leaves out `required` and `min`,
    which HTML does not allow on a hidden input (issue 22)."""
    amount = IntegerField("Amount", widget=HiddenInput(),
                          validators=[DataRequired("The quoted amount is missing."), NumberRange(min=1)])
    line_ids = StringField("Lines", widget=HiddenInput(), validators=[
        Optional(), Regexp(r"^\d+(,\d+)*$", message="The quoted lines were not understood."), _ids_readable])
    full = HiddenField()
    key = StringField("Key", widget=HiddenInput(), validators=[
        DataRequired("The refund key is missing."), Regexp(r"^[0-9a-f]{32}$", message="The refund key is not valid.")])
    # Kept in the audit trail: a refund nobody can explain later is a refund nobody can check.
    reason = StringField("Reason", filters=[lambda value: value.strip() if isinstance(value, str) else value],
                         validators=[DataRequired("Say why this refund is made: the reason is kept in the audit trail."),
                                     Length(max=150, message="Use at most 150 characters.")])

    def line_id_list(self) -> list[int]:
        return [as_id(part) for part in (self.line_ids.data or "").split(",") if part]


class CancelConfirmForm(FlaskForm):
    expected_refund = IntegerField("Refund", widget=HiddenInput(),  # a hidden input: see RefundConfirmForm
                                   validators=[InputRequired("The quoted refund is missing."), NumberRange(min=0)])
