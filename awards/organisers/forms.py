from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional


class PhaseForm(FlaskForm):
    target = HiddenField(validators=[DataRequired()])
    submit = SubmitField(_l("Move to the next phase"))


class InvitationForm(FlaskForm):
    role = SelectField(_l("Role"), choices=[
        ("coordinator", _l("Department coordinator")),
        ("judge", _l("Judge")),
        ("auditor", _l("Auditor")),
        ("organiser", _l("Organiser")),
    ])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    department_code = StringField(
        _l("Department code (coordinators and judges' own department)"),
        validators=[Optional(), Length(max=32)],
    )
    username = StringField(_l("Username (only for a judge named in a campaign config)"),
                           validators=[Optional(), Length(max=64)])
    submit = SubmitField(_l("Create invitation link"))
