"""Where the application keeps files it writes: letters, bundles, reports."""

from __future__ import annotations

from pathlib import Path

from flask import current_app


def exports_dir(slug: str) -> Path:
    """Where a campaign's exports (letters, bundles) are written: ``EXPORTS_DIR/SLUG``
    (default ``instance/exports/SLUG``)."""
    root = current_app.config.get("EXPORTS_DIR") or Path(current_app.instance_path) / "exports"
    path = Path(root) / slug
    path.mkdir(parents=True, exist_ok=True)
    return path
