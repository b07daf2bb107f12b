"""The server clock that decides entry deadlines (SPEC 5.1: "the server clock decides").

Everything in :mod:`awards.entries` asks :func:`now`; tests freeze it with :func:`frozen`
instead of waiting for a deadline to pass."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

from awards.models.base import utcnow

_source: Callable[[], datetime] = utcnow


def now() -> datetime:
    """The current time in UTC (timezone-aware)."""
    return _source()


def set_clock(source: Callable[[], datetime] | None) -> None:
    """Use ``source`` as the clock (None: the real one)."""
    global _source
    _source = source or utcnow


@contextmanager
def frozen(at: datetime) -> Iterator[None]:
    """The clock stands at ``at`` inside the block."""
    previous = _source
    set_clock(lambda: at)
    try:
        yield
    finally:
        set_clock(previous)
