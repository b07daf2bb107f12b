"""Where a redirect may go after sign-in or a language switch: only a path on this site.

Browsers read a ``Location`` loosely (the WHATWG URL parser): they drop tabs, line feeds and
carriage returns anywhere, trim leading and trailing control characters and spaces, and treat
a backslash as a slash in http(s) URLs. So ``/\\t/evil.example`` and ``/\\evil.example`` both
become ``//evil.example``, another host. The check below applies the same normalisation first
and judges the result, as Django's ``url_has_allowed_host_and_scheme`` does.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_TAB_OR_NEWLINE = re.compile(r"[\t\n\r]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_C0_OR_SPACE = "".join(chr(c) for c in range(0x21))


def browser_normalised(raw: str) -> str:
    """``raw`` as a browser would read it before resolving it against the current page."""
    text = raw.strip(_C0_OR_SPACE)
    return _TAB_OR_NEWLINE.sub("", text).replace("\\", "/")


def same_site_path(raw: str | None, fallback: str) -> str:
    """The redirect target for ``raw`` (a ``next`` parameter), or ``fallback``.

    Accepted: a path that starts with a single ``/`` once normalised as a browser would,
    without scheme, host or control characters. The normalised path is returned, so the
    ``Location`` header says exactly what the browser will open.
    """
    if not raw:
        return fallback
    target = browser_normalised(raw)
    if not target.startswith("/") or target.startswith("//") or _CONTROL.search(target):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return fallback
    return target
