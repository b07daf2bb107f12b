"""The application's version and where its files live; imports nothing, so every layer may
use it."""

from __future__ import annotations

from pathlib import Path

__version__ = "0.1.0"

ROOT = Path(__file__).resolve().parent.parent
"""The project folder: templates, migrations and the default ``instance/`` live under it."""
