"""Domain errors of adjudication. Each carries a stable ``code`` that
``awards.web.judging_messages`` translates; the command line prints ``str(exc)``."""

from __future__ import annotations

from typing import Any

from awards.exceptions import AwardsError, InvalidInput


class ScorecardInvalid(InvalidInput):
    """A scorecard or conflict form with a value that cannot be stored (not a whole number,
    out of range, control characters, unknown field). Nothing is written."""

    status = 422


class ScorecardRefused(AwardsError):
    """A change the scorecard's state does not allow now: another device changed it first,
    it is submitted, or the round is closed. ``state`` holds the scorecard's current values
    so that the page can show both."""

    status = 409

    def __init__(self, message: str, *, code: str, state: dict[str, Any] | None = None,
                 **params: Any) -> None:
        super().__init__(message, code=code, **params)
        self.state = state or {}


class ScorecardIncomplete(AwardsError):
    """Submit (or amend) without every criterion scored; ``missing`` lists the criteria."""

    status = 422

    def __init__(self, message: str, *, missing: list[str], names: list[str],
                 state: dict[str, Any] | None = None) -> None:
        super().__init__(message, code="scorecard.incomplete", names=", ".join(names),
                         count=len(missing))
        self.missing = missing
        self.state = state or {}


class RoundRefused(AwardsError):
    """A round that cannot close (unsubmitted scorecards) or a change a closed round does
    not allow."""

    status = 409
    code = "round.refused"
