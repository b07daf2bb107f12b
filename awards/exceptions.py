"""Domain exceptions. Each carries a stable ``code`` and the ``params`` of its message:
``web/messages.py`` turns the code into a sentence in the reader's language, the error
module maps the exception to an HTTP status, and the command line prints ``str(exc)``, the
English sentence, on one line and exits non-zero."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RefusedChange:
    """A refused change to record in a campaign's audit log once the use case that tried it
    has been rolled back (SPEC section 2: refused changes are audited)."""

    chain: str
    change: str
    reason: str


class AwardsError(Exception):
    """Base class: ``str(exc)`` is an English message a person can act on.

    Parameters
    ----------
    message : str
        The English sentence (command line, logs, and the fallback of the pages).
    code : str, optional
        A stable name of the message (``"lifecycle.skip"``); pages translate by it.
    **params
        The values the translated message needs.
    """

    status = 400
    code = "error"

    def __init__(self, message: str, *, code: str | None = None, **params: Any) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.params = params


class ConfigLoadError(AwardsError):
    """A campaign config file is invalid; nothing was written. ``problems`` lists each
    problem found (English, one line each); the message joins them. ``details`` holds the
    same problems as errors with their own codes and parameters, for the pages."""

    code = "config.invalid"

    def __init__(self, message: str, *, problems: list[str] | None = None,
                 coded: list[tuple[str, str | None, dict[str, Any]]] | None = None,
                 code: str | None = None, **params: Any) -> None:
        super().__init__(message, code=code, detail=message, **params)
        self.problems = problems if problems is not None else [message]
        if coded is None:
            coded = [(line, None, {}) for line in self.problems]
        self.details = [AwardsError(line, code=line_code or "config.problem", **line_params)
                        for line, line_code, line_params in coded]


class LifecycleError(AwardsError):
    """A step that cannot be done in the campaign's present state."""

    status = 409
    code = "lifecycle.refused"


class FrozenError(AwardsError):
    """A change to something frozen (SPEC section 2). ``refused`` is the change to record
    in the audit log after the use case's transaction is rolled back."""

    status = 409
    code = "frozen.refused"

    def __init__(self, message: str, *, code: str | None = None,
                 refused: RefusedChange | None = None, **params: Any) -> None:
        super().__init__(message, code=code, **params)
        self.refused = refused


class NotFound(AwardsError):
    status = 404
    code = "not_found"


class InvalidInput(AwardsError):
    """Bad input with one or more messages, e.g. ``[(line, message), ...]`` for files."""

    code = "input.invalid"

    def __init__(self, message: str, errors: list[tuple[int, str]] | None = None, *,
                 code: str | None = None, **params: Any) -> None:
        super().__init__(message, code=code, **params)
        self.errors = errors or []


class AttachmentRefused(AwardsError):
    """An uploaded attachment is refused (SPEC 5.1) and nothing was stored. ``code`` names
    the reason (``attachment.type``, ``attachment.active_content``, …); ``status`` is 400,
    413 (too large) or 415 (not a PDF, PNG or JPEG)."""

    def __init__(self, message: str, *, code: str, status: int = 400, **params: Any) -> None:
        super().__init__(message, code=code, **params)
        self.status = status
class EntryConflict(AwardsError):
    """A save or submit of an entry that another save changed first, or that is no longer a
    draft. ``current`` holds the server's texts (a plain dict) so the page can show both."""

    status = 409
    code = "entry.conflict"

    def __init__(self, message: str, *, current: dict[str, Any] | None = None,
                 code: str | None = None, **params: Any) -> None:
        super().__init__(message, code=code, **params)
        self.current = current or {}


class EntryIncomplete(AwardsError):
    """A submit with parts missing; ``missing`` lists them as ``(code, params)``."""

    status = 422
    code = "entry.incomplete"

    def __init__(self, message: str, missing: list[tuple[str, dict[str, Any]]], *,
                 code: str | None = None, **params: Any) -> None:
        super().__init__(message, code=code, **params)
        self.missing = missing


class EntryInputError(InvalidInput):
    """A field of an entry form that cannot be stored (too long, a control character)."""

    status = 422
