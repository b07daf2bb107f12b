"""Domain exceptions. The error module maps each to an HTTP status and a readable message;
the command line prints the message on one line and exits non-zero."""

from __future__ import annotations


class AwardsError(Exception):
    """Base class: ``str(exc)`` is a message a person can act on."""

    status = 400


class ConfigLoadError(AwardsError):
    """A campaign config file is invalid; nothing was written."""


class LifecycleError(AwardsError):
    """A phase move that skips a state or goes backwards."""

    status = 409


class FrozenError(AwardsError):
    """A change to something frozen (SPEC section 2)."""

    status = 409


class NotFound(AwardsError):
    status = 404


class InvalidInput(AwardsError):
    """Bad input with one or more messages, e.g. ``[(line, message), ...]`` for files."""

    def __init__(self, message: str, errors: list[tuple[int, str]] | None = None):
        super().__init__(message)
        self.errors = errors or []
