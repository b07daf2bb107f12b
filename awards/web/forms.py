"""Forms shared by several blueprints."""

from flask_wtf import FlaskForm


class EmptyForm(FlaskForm):
    """A button-only POST: carries the CSRF token and nothing else."""
