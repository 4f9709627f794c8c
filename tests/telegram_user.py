"""A person in Telegram, for the end-to-end tests: writes, presses buttons, reads what the bot sent."""
from __future__ import annotations

import itertools
import random
import re
import time
from typing import Any, Optional

from tests.botapi import BotApiServer, Sent

_ids = itertools.count(random.randint(10_000_000, 90_000_000) * 10)
QUIET = 0.6  # seconds without a new message: the bot has finished replying


def settle(api: BotApiServer, chat_id: int, after: int, count: int = 1, timeout: float = 30, predicate: Any = None) -> list[Sent]:
    """The bot's messages from index `after`, once at least `count` (matching) arrived and no more follow."""
    api.wait_messages(chat_id, count, after=after, timeout=timeout, predicate=predicate)
    seen = len(api.messages(chat_id))
    while True:
        time.sleep(QUIET)
        now = len(api.messages(chat_id))
        if now == seen:
            return api.messages(chat_id)[after:]
        seen = now


class Person:
    def __init__(self, api: BotApiServer, language_code: str = "de", name: str = "Test") -> None:
        self.api = api
        self.id = next(_ids)
        self.user = api.user(self.id, first_name=name, language_code=language_code)

    @property
    def seen(self) -> int:
        return len(self.api.messages(self.id))

    def say(self, text: str, count: int = 1, predicate: Any = None) -> list[Sent]:
        after = self.seen
        self.api.send_text(self.id, text, self.user)
        return settle(self.api, self.id, after, count, predicate=predicate)

    def send(self, kind: str, **kwargs: Any) -> list[Sent]:
        after = self.seen
        self.api.send_media(self.id, kind, self.user, **kwargs)
        return settle(self.api, self.id, after)

    def press(self, message: Sent, title_part: str, count: int = 1) -> list[Sent]:
        button = next(b for b in message.buttons if title_part.lower() in b["text"].lower())
        after = self.seen
        self.api.press(self.id, message.message_id, button["callback_data"], self.user)
        return settle(self.api, self.id, after, count, predicate=lambda m: m.method != "editMessageText")

    def last_with_buttons(self) -> Sent:
        """The last message with buttons from the dialogue (not the privacy notice of the first contact)."""
        return next(m for m in reversed(self.api.messages(self.id)) if m.buttons and not is_notice(m))

    def last_reply(self) -> Sent:
        return next(m for m in reversed(self.api.messages(self.id)) if not is_notice(m))

    def text(self, messages: Optional[list[Sent]] = None) -> str:
        return "\n".join(m.text for m in (messages if messages is not None else self.api.messages(self.id)))


def is_notice(message: Sent) -> bool:
    """The privacy notice of the first contact (its two buttons: privacy and delete)."""
    return {b.get("callback_data") for b in message.buttons} == {"p:/privacy", "p:/delete"}


def card_for(api: BotApiServer, group: int, words: str, timeout: float = 30) -> Sent:
    """The handover card in a team group whose 'asked so far' holds the user's words."""
    found = api.wait_messages(group, predicate=lambda m: words in m.text and bool(m.buttons), timeout=timeout)
    return next(m for m in found if words in m.text and m.buttons)


def handover_id(card: Sent) -> int:
    return int(re.search(r"#(\d+)", card.text).group(1))
