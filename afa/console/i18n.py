"""The console's own catalogue domain (`console`): German, with English as a second language.

Message ids are English, like the residents' catalogues; `_()` translates into the language of the
request (the account's choice, German by default) and fills `{placeholders}`. `_l()` is the lazy form for
texts defined at import time (form labels, validator messages).
"""
from __future__ import annotations

from babel.support import LazyProxy
from flask import g, has_request_context

from afa.catalogues import CONSOLE_DOMAIN, CONSOLE_LANGUAGES
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
