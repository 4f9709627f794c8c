"""Interface text through Babel/gettext catalogues in `locales/<lang>/LC_MESSAGES/messages.po`.

Message ids are the English source strings, marked with `N_()` where they are defined so that
`pybabel extract` (configured in `babel.cfg`) finds them. English is never shown: every user-facing text
is looked up in the catalogue of the conversation's language, and a missing catalogue fails loudly.
"""
from __future__ import annotations

import logging
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date as _babel_format_date
from babel.dates import format_time as _babel_format_time
from babel.lists import format_list
from babel.support import Translations

from afa import DEFAULT_LANGUAGE, LANGUAGES
from afa.settings import PROJECT_ROOT

DOMAIN = "messages"
LOCALES_DIR = str(PROJECT_ROOT / "locales")  # = Settings.locales_dir, which no variable changes
logger = logging.getLogger(__name__)


class CatalogueError(RuntimeError):
    """A catalogue is missing, not compiled, or lacks a message."""


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated later, in the user's language."""
    return message


def S_(message: str) -> str:
    """Mark a staff text (console domain, German/English) for extraction; translated by the console."""
    return message


def normalise_language(code: str | None) -> str | None:
    """'tr-TR', 'TR', 'tr_TR' → 'tr'; None for a language we do not serve."""
    if not code:
        return None
    base = str(code).replace("_", "-").split("-")[0].strip().lower()
    return base if base in LANGUAGES else None


@lru_cache(maxsize=None)
def _translations(language: str, locales_dir: str, domain: str = DOMAIN) -> Translations:
    mo = Path(locales_dir) / language / "LC_MESSAGES" / f"{domain}.mo"
    if not mo.exists():
        raise CatalogueError(f"compiled catalogue missing: {mo} (run `make locales`)")
    with mo.open("rb") as handle:
        return Translations(handle, domain=domain)


def translations(language: str, domain: str = DOMAIN) -> Translations:
    """The compiled catalogue of `domain` (`messages` for residents, `console` for staff) in `language`."""
    if domain == DOMAIN and language not in LANGUAGES:
        raise CatalogueError(f"no catalogue for language {language!r}")
    return _translations(language, LOCALES_DIR, domain)  # not Settings(): this runs for every text of a page


def translate(catalogue: Translations, message: str, where: str, **params: object) -> str:
    """`message` from `catalogue` with its `{placeholders}` filled; a message missing there fails loudly."""
    translated = catalogue.gettext(message)
    if translated == message and message not in catalogue._catalog:  # noqa: SLF001 - Babel exposes no lookup
        raise CatalogueError(f"message not in the {where} catalogue: {message!r}")
    return translated.format(**params) if params else translated


def gettext(language: str, message: str, /, **params: object) -> str:
    """Translate `message` into `language` and fill its `{placeholders}`."""
    return translate(translations(language), message, language, **params)


def language_name(code: str, in_language: str | None = None) -> str:
    """The language's name as Babel spells it, by default in the language itself ('Türkçe')."""
    name = Locale.parse(code).get_display_name(in_language or code) or code
    return name[:1].upper() + name[1:]


def list_of(items: list[str], language: str) -> str:
    return format_list(items, locale=language)


def format_date(value: date, language: str, fmt: str = "long") -> str:
    return _babel_format_date(value, format=fmt, locale=language)


def day_and_time(moment: datetime, language: str) -> dict[str, str]:
    """{day} and {time} of a local moment as the reader writes them ("Montag, 30. November 2026", "09:00")."""
    return {"day": format_date(moment, language, "full"), "time": _babel_format_time(moment.time(), "short", locale=language)}


def clear_cache() -> None:
    _translations.cache_clear()


__all__ = [
    "CatalogueError",
    "DEFAULT_LANGUAGE",
    "N_",
    "S_",
    "clear_cache",
    "format_date",
    "gettext",
    "language_name",
    "list_of",
    "normalise_language",
    "translations",
]
