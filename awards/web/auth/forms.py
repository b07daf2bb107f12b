from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp


class SignInForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired()],
                           render_kw={"autocomplete": "username", "autocapitalize": "none"})
    password = PasswordField(_l("Password"), validators=[DataRequired()],
                             render_kw={"autocomplete": "current-password"})
    submit = SubmitField(_l("Sign in"))


def new_password_field(label) -> PasswordField:
    """A new password: at least 12 characters, filled in by the browser's password manager
    as a new one."""
    return PasswordField(
        label,
        validators=[DataRequired(), Length(min=12, message=_l("Use at least 12 characters."))],
        render_kw={"autocomplete": "new-password"},
    )


def repeat_password_field() -> PasswordField:
    """The same password again, beside :func:`new_password_field` named ``password``."""
    return PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
        render_kw={"autocomplete": "new-password"},
    )


class AcceptInvitationForm(FlaskForm):
    username = StringField(
        _l("Username"),
        validators=[DataRequired(), Regexp(r"^[a-z0-9][a-z0-9._-]{1,63}$",
                                           message=_l("Use lower-case letters, digits, '.', "
                                                      "'_' or '-' (2 to 64 characters)."))],
        render_kw={"autocomplete": "username", "autocapitalize": "none"},
    )
    password = new_password_field(_l("Password"))
    confirm = repeat_password_field()
    submit = SubmitField(_l("Create my account"))


class ResetPasswordForm(FlaskForm):
    password = new_password_field(_l("New password"))
    confirm = repeat_password_field()
    submit = SubmitField(_l("Set my new password"))
