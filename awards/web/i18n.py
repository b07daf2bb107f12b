"""Language choice: English and Traditional Chinese (Hong Kong)."""

from __future__ import annotations

from flask import request, session

LANGUAGES = {"en": "English", "zh_Hant_HK": "中文"}
# Browser languages that mean Traditional Chinese.
TRADITIONAL = {"zh-hk", "zh-tw", "zh-mo", "zh-hant", "zh-hant-hk", "zh-hant-tw", "zh-yue"}


def select_locale() -> str:
    """The stored choice if any; else the first browser language we can serve."""
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return chosen
    for value, _quality in request.accept_languages:
        tag = value.lower().replace("_", "-")
        if tag in TRADITIONAL or tag.startswith("zh-hant"):
            return "zh_Hant_HK"
        if tag == "en" or tag.startswith("en-"):
            return "en"
    return "en"


def html_lang(locale: str) -> str:
    return "zh-Hant-HK" if locale == "zh_Hant_HK" else "en"
