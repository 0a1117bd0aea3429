"""The remembered select renders exactly what WTForms' own select renders, selection and
escaping included, however often the same options are drawn with different choices."""
import wtforms
from wtforms import Form, SelectChoice

from checkout.form_fields import SelectField

CHOICES = [SelectChoice("", "Choose a country"), SelectChoice("FR", "France"), SelectChoice("GB", "United Kingdom"),
           SelectChoice("TT", "Trinidad & Tobago"), SelectChoice("X<", "<b>not markup</b>")]


class Both(Form):
    ours = SelectField("Nationality", choices=CHOICES, validate_choice=False)
    theirs = wtforms.SelectField("Nationality", choices=CHOICES, validate_choice=False)


def test_the_same_html_as_wtforms_for_every_selection_in_turn():
    for value in ["", "FR", "TT", "X<", "GB", "FR", None]:
        form = Both(data={"ours": value, "theirs": value})
        ours = str(form.ours())
        assert ours == str(form.theirs()).replace('id="theirs" name="theirs"', 'id="ours" name="ours"')
        assert ours.count(" selected ") == (0 if value is None else 1)
    assert "Trinidad &amp; Tobago" in ours and "&lt;b&gt;not markup&lt;/b&gt;" in ours


def test_integer_choices_keep_the_typed_number_selected():
    class Party(Form):
        adults = SelectField("Adults", choices=[SelectChoice(n, str(n)) for n in range(1, 10)], coerce=int, default=1)
    html = str(Party(data={"adults": 3}).adults())
    assert '<option selected value="3">3</option>' in html
    assert html.count("selected") == 1
