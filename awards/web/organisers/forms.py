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
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional


class PhaseForm(FlaskForm):
    target = HiddenField(validators=[DataRequired()])
    submit = SubmitField(_l("Move to the next phase"))


class InvitationForm(FlaskForm):
    role = SelectField(_l("Role"), choices=[
        SelectChoice("coordinator", _l("Department coordinator")),
        SelectChoice("judge", _l("Judge")),
        SelectChoice("auditor", _l("Auditor")),
        SelectChoice("organiser", _l("Organiser")),
    ])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    department_code = StringField(
        _l("Department code (coordinators and judges' own department)"),
        validators=[Optional(), Length(max=32)],
    )
    username = StringField(_l("Username (only for a judge named in a campaign config)"),
                           validators=[Optional(), Length(max=64)])
    submit = SubmitField(_l("Create invitation link"))


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


class PaperForm(FlaskForm):
    returns = FileField(_l("Paper returns (CSV: code,choices)"),
                        validators=[FileRequired(_l("Choose a CSV file."))])
    dry_run = BooleanField(_l("Check only (write nothing)"))
    submit = SubmitField(_l("Import paper returns"))
