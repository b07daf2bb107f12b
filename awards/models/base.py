"""Shared column helpers for the models."""

from __future__ import annotations

from datetime import UTC, date, datetime


def utcnow() -> datetime:
    """The current time in UTC, timezone-aware."""
    return datetime.now(UTC)


def utctoday() -> date:
    return utcnow().date()
