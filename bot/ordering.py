"""Concurrency with order: updates of different people run in parallel, one person's updates in order."""
from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Hashable, Optional

from telegram import Update
from telegram.ext import BaseUpdateProcessor


def ordering_key(update: object) -> Optional[Hashable]:
    """A private chat is one queue; in a group each member is their own queue (two coaches may press at once)."""
    if not isinstance(update, Update) or update.effective_chat is None:
        return None
    chat = update.effective_chat
    if chat.type == chat.PRIVATE:
        return chat.id
    return (chat.id, update.effective_user.id if update.effective_user else None)


class PerChatOrder(BaseUpdateProcessor):
    """PTB's update processor with one lock per ordering key (locks are dropped when nobody waits)."""

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[Hashable, asyncio.Lock] = {}
        self._waiting: dict[Hashable, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = ordering_key(update)
        if key is None:
            await coroutine
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:
                del self._waiting[key], self._locks[key]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""
