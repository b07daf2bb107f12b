"""awards: runs a government service-excellence award end to end.

The package itself imports nothing beyond the standard library, so that
``python -m awards.audit.verify`` runs where only numpy is installed (SPEC 7). The web
application is built by :func:`awards.factory.create_app`, also reachable as
``awards.create_app``.
"""

from __future__ import annotations

from typing import Any

from awards.about import ROOT, __version__

__all__ = ["ROOT", "__version__", "create_app", "normalise_database_url"]

_FACTORY_NAMES = frozenset({"create_app", "normalise_database_url"})


def __getattr__(name: str) -> Any:
    """``awards.create_app`` and ``awards.normalise_database_url``, imported on first use
    (PEP 562) so that the verifier never loads the web stack."""
    if name in _FACTORY_NAMES:
        from awards import factory

        return getattr(factory, name)
    raise AttributeError(f"module 'awards' has no attribute {name!r}")
