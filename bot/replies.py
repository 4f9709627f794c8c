"""Rasa's messages as Telegram messages: texts split at Telegram's limit, buttons as inline keyboards."""
from __future__ import annotations

import hashlib
from typing import Any, Optional

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

MAX_TEXT = 4096  # Telegram's limit for one message
MAX_CALLBACK_DATA = 64  # bytes, Telegram's limit for a button's callback data
PAYLOAD = "p:"  # callback data holding the Rasa payload itself
DIGEST = "h:"  # callback data holding a digest of a payload too long to carry


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Pieces of at most `limit` characters, cut at paragraph ends, else line ends, else spaces, else anywhere."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[:limit]
        for separator in ("\n\n", "\n", " "):
            cut = window.rfind(separator)
            if cut > limit // 4:  # not a tiny first piece: better a hard cut than a flood of fragments
                break
        else:
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


class ButtonCodec:
    """Button payloads as callback data; longer payloads travel as a digest remembered here."""

    def __init__(self) -> None:
        self._long: dict[str, str] = {}

    def encode(self, payload: str) -> str:
        data = PAYLOAD + payload
        if len(data.encode("utf-8")) <= MAX_CALLBACK_DATA:
            return data
        digest = DIGEST + hashlib.sha256(payload.encode("utf-8")).hexdigest()[:40]
        self._long[digest] = payload
        return digest

    def decode(self, data: Optional[str]) -> Optional[str]:
        """The payload, or None for data this bot never made (forged, or from before a restart)."""
        if not data:
            return None
        if data.startswith(PAYLOAD) and data[len(PAYLOAD):].startswith("/"):
            return data[len(PAYLOAD):]
        return self._long.get(data)

    def keyboard(self, buttons: list[dict[str, Any]]) -> Optional[InlineKeyboardMarkup]:
        """One button per row: titles in four languages vary in length and must stay readable on a phone."""
        rows = [
            [InlineKeyboardButton(str(b.get("title") or "?")[:64], callback_data=self.encode(str(b.get("payload") or "")))]
            for b in buttons
            if b.get("payload")
        ]
        return InlineKeyboardMarkup(rows) if rows else None


def button_title(markup: Optional[InlineKeyboardMarkup], data: str) -> Optional[str]:
    for row in (markup.inline_keyboard if markup else ()):
        for button in row:
            if button.callback_data == data:
                return button.text
    return None
