"""Deep-link payloads: what a poster's link says about district, language and campaign entry point.

Telegram allows at most 64 characters of `A-Za-z0-9_-` after `?start=`. The plain payloads (`marxloh`,
`hochfeld_tr`, `ro`) name a district and/or a language; a campaign entry point adds `_c<id>` (`marxloh_tr_c12`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from afa import DISTRICTS, LANGUAGES

ALLOWED = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_PATTERN = re.compile(
    r"^(?P<district>" + "|".join(DISTRICTS) + r")?[_-]?(?P<language>" + "|".join(LANGUAGES) + r")?"
    r"(?:(?<=[a-z])[_-]|^)?(?:c(?P<entry>\d{1,9}))?$"
)


@dataclass(frozen=True)
class DeepLink:
    payload: str  # normalised (lower case); "" for a plain /start
    district: Optional[str] = None
    language: Optional[str] = None
    entry_id: Optional[int] = None  # the EntryPoint's id for `..._c12`


def parse(payload: str) -> Optional[DeepLink]:
    """`hochfeld_ro` → district and language; `marxloh_tr_c12` → also entry point 12; "" → a plain start;
    anything else (not a payload of ours) → None."""
    text = (payload or "").strip().lower()
    if not text:
        return DeepLink("")
    if not ALLOWED.match(text):
        return None
    match = _PATTERN.match(text)
    if not match or not any(match.groupdict().values()):
        return None
    entry = match.group("entry")
    return DeepLink(text, match.group("district"), match.group("language"), int(entry) if entry else None)


def make(district: str, language: str, entry_id: int) -> str:
    """The payload of a campaign entry point: `marxloh_tr_c12`."""
    payload = f"{district}_{language}_c{entry_id}"
    assert ALLOWED.match(payload) and parse(payload) == DeepLink(payload, district, language, entry_id)
    return payload


def telegram_link(bot_username: str, payload: str) -> str:
    """`https://t.me/<bot>?start=<payload>` (no `?start=` for a plain start)."""
    base = f"https://t.me/{bot_username.strip().lstrip('@')}"
    return f"{base}?start={payload}" if payload else base
