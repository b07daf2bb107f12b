"""Forms of the results pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField
from wtforms.validators import Length, Optional


class ComputeForm(FlaskForm):
    """Compute (or, after publication, recompute with a reason) the results."""

    reason = StringField(
        _l("Reason (required once the results are published)"),
        validators=[Optional(), Length(max=500)],
    )
    submit = SubmitField(_l("Compute results"))
