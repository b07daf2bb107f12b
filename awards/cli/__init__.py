"""``flask --app app awards …`` commands (SPEC section 8). Thin: parse, call a service,
report. Messages go to stderr; only ``--json`` output goes to stdout. Bad input exits 1
with a one-line reason and writes nothing."""

from __future__ import annotations

from flask import Flask

from awards.cli import (
    audit,
    commands,  # noqa: F401  (its commands join the group when imported)
    entries,
    judging,
    results,
)
from awards.cli.common import awards_cli


def register_cli(app: Flask) -> None:
    """Add ``flask awards`` and its commands to ``app``."""
    results.register(awards_cli)
    audit.register(awards_cli)
    judging.register(awards_cli)
    entries.register(awards_cli)
    app.cli.add_command(awards_cli)
