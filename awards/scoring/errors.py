"""Exceptions raised by the scoring engine (SPEC section 6).

Every exception carries a message a person can act on: it names the department, judge,
district or setting at fault and says what to change.
"""

from __future__ import annotations

from collections.abc import Sequence


class ScoringError(ValueError):
    """Inputs cannot be scored as SPEC section 6 requires."""


class DisconnectedJudgeGraph(ScoringError):
    """The judge–department graph of a round is not connected (SPEC 6.4, ``additive``).

    Parameters
    ----------
    round_name : str
        ``"preliminary"`` or ``"final"``.
    parts : sequence of (judges, departments)
        The connected parts, each as sorted judge names and sorted department codes, in
        order of their smallest department code.

    Attributes
    ----------
    parts : tuple of (tuple of str, tuple of str)
        As given.
    """

    def __init__(
        self,
        round_name: str,
        parts: Sequence[tuple[Sequence[str], Sequence[str]]],
    ) -> None:
        self.round_name = round_name
        self.parts = tuple((tuple(j), tuple(d)) for j, d in parts)
        described = "; ".join(
            f"part {i}: judges {', '.join(j) or '(none)'} / departments "
            f"{', '.join(d) or '(none)'}"
            for i, (j, d) in enumerate(self.parts, start=1)
        )
        super().__init__(
            f"the {round_name} judge–department graph is not connected, so the additive "
            f"method cannot compare departments across its {len(self.parts)} parts "
            f"({described}). Assign at least one judge to departments in more than one "
            "part, or choose another judge method."
        )
