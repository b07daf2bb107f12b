from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    ValidationError,
)

from awards.accounts.invitation_targets import department_choices, judge_choices


class PhaseForm(FlaskForm):
    target = HiddenField(validators=[DataRequired()])
    submit = SubmitField(_l("Move to the next phase"))


class InvitationForm(FlaskForm):
    """Invite a coordinator for a department, or a judge named on a campaign's panel: both
    are picked from lists of what exists (an unknown value is refused, in words)."""

    role = SelectField(_l("Role"), choices=[
        SelectChoice("coordinator", _l("Department coordinator")),
        SelectChoice("judge", _l("Judge")),
        SelectChoice("auditor", _l("Auditor")),
        SelectChoice("organiser", _l("Organiser")),
    ])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    department_code = SelectField(
        _l("Department (coordinators; a judge's own department)"), validate_choice=False)
    username = SelectField(_l("Judge on a campaign's panel (judges named in a campaign's "
                              "set-up)"), validate_choice=False)
    submit = SubmitField(_l("Create invitation link"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.department_code.choices = [SelectChoice("", _l("None"))] + [
            SelectChoice(d.code, f"{d.code} — {d.name_en} · {d.name_zh}")
            for d in department_choices()]
        self.username.choices = [SelectChoice("", _l("A new judge (not named in a set-up)"))] + [
            SelectChoice(j.username, f"{j.username} — {j.name} ({', '.join(j.panels)})")
            for j in judge_choices()]

    def validate_department_code(self, field) -> None:
        known = {choice.value for choice in field.choices}
        if field.data and field.data not in known:
            raise ValidationError(_l("Choose a department from the list."))
        if self.role.data == "coordinator" and not field.data:
            raise ValidationError(_l("A coordinator is invited for a department: choose it."))

    def validate_username(self, field) -> None:
        known = {choice.value for choice in field.choices}
        if field.data and (field.data not in known or self.role.data != "judge"):
            raise ValidationError(_l("Choose a judge from the list (judges only)."))


class FrameForm(FlaskForm):
    frame = FileField(_l("Household frame (CSV: household_id,district,address)"),
                      validators=[FileRequired(_l("Choose a CSV file."))])
    submit = SubmitField(_l("Import the frame"))


class SampleForm(FlaskForm):
    size = IntegerField(_l("Sample size (households)"),
                        validators=[InputRequired(), NumberRange(min=1)])
    seed = StringField(_l("Published seed (at least 20 characters)"),
                       validators=[InputRequired(), Length(min=20, max=200)])
    submit = SubmitField(_l("Draw the sample"))


class ReissueForm(FlaskForm):
    household_id = StringField(_l("Household id of the lost letter"),
                               validators=[InputRequired(), Length(max=64)])
    submit = SubmitField(_l("Void the old code and issue a new letter"))


class ScoreSheetForm(FlaskForm):
    sheet = FileField(_l("Score sheet (CSV: round,judge,department,criterion,score)"),
                      validators=[FileRequired(_l("Choose a CSV file."))])
    dry_run = BooleanField(_l("Check only (write nothing)"))
    submit = SubmitField(_l("Import score sheet"))


class PaperForm(FlaskForm):
    returns = FileField(_l("Paper returns (CSV: code,choices)"),
                        validators=[FileRequired(_l("Choose a CSV file."))])
    dry_run = BooleanField(_l("Check only (write nothing)"))
    submit = SubmitField(_l("Import paper returns"))
