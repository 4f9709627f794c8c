"""The console's own catalogue domain (`console`): German, with English as a second language.

Message ids are English, like the residents' catalogues; `_()` translates into the language of the
request (the account's choice, German by default) and fills `{placeholders}`. `_l()` is the lazy form for
texts defined at import time (form labels, validator messages).
"""
from __future__ import annotations

from datetime import datetime
from typing import Optional
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.support import LazyProxy
from flask import g, has_request_context

from afa.catalogues import CONSOLE_DOMAIN, CONSOLE_LANGUAGES
from afa.db import as_utc
from afa.i18n import translate, translations

DEFAULT = "de"


def current_language() -> str:
    language = getattr(g, "console_language", DEFAULT) if has_request_context() else DEFAULT
    return language if language in CONSOLE_LANGUAGES else DEFAULT


def gettext_in(language: str, message: str, **params: object) -> str:
    return translate(translations(language, CONSOLE_DOMAIN), message, f"{language} console", **params)


def _(message: str, **params: object) -> str:
    return gettext_in(current_language(), message, **params)


def _l(message: str, **params: object) -> LazyProxy:
    return LazyProxy(lambda: _(message, **params), enable_cache=False)


def when(moment: Optional[datetime], fmt: str = "short") -> str:
    """A stored moment (UTC) as staff read it: Duisburg's time, in the console's language ("02.12.26, 09:30")."""
    if moment is None:
        return "–"
    local = as_utc(moment).astimezone(ZoneInfo("Europe/Berlin"))
    return format_datetime(local, fmt, locale=current_language())
