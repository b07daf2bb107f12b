"""Where the application keeps files it writes: letters, bundles, reports, attachments."""

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


def attachments_dir() -> Path:
    """Where entry attachments are stored, one file per SHA-256 (SPEC 5.1):
    ``ATTACHMENTS_DIR`` (default ``instance/attachments``), never inside the web root.

    Raises
    ------
    RuntimeError
        If the configured folder is inside the application's static folder.
    """
    root = (current_app.config.get("ATTACHMENTS_DIR")
            or Path(current_app.instance_path) / "attachments")
    path = Path(root).resolve()
    static = current_app.static_folder
    if static and path.is_relative_to(Path(static).resolve()):
        raise RuntimeError(f"ATTACHMENTS_DIR {path} is inside the static folder; uploads must "
                           "be stored outside the web root")
    path.mkdir(mode=0o750, parents=True, exist_ok=True)
    return path
