from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField


class CodeForm(FlaskForm):
    code = StringField(
        _l("Your voting code"),
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false",
                   "inputmode": "text", "maxlength": "40", "class": "code-input"},
    )
    submit = SubmitField(_l("Continue"))


class ReceiptForm(FlaskForm):
    ballot = StringField(
        _l("Your receipt number"),
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false",
                   "maxlength": "40", "class": "code-input"},
    )
    submit = SubmitField(_l("Check"))
