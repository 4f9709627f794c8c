"""Outgoing calls to Telegram: its rate limits kept, 429 waited out, 5xx and network errors retried."""
from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Awaitable, Callable, Coroutine, Dict, List, Optional, TypeVar, Union

from telegram.error import BadRequest, NetworkError, RetryAfter
from telegram.ext import AIORateLimiter

logger = logging.getLogger(__name__)


class PatientRateLimiter(AIORateLimiter):
    """PTB's `AIORateLimiter` (limits, and retries after 429 as Telegram asks) plus back-off on 5xx/network errors.

    A 5xx from Telegram reaches PTB as a `NetworkError` (`BadRequest` is one too, but is the caller's fault
    and never retried). A request that still fails after the retries raises, and the caller keeps the message
    for the background job to deliver later.
    """

    def __init__(self, *, overall_max_rate: float, group_max_rate: float, retries: int = 5, backoff: float = 0.5) -> None:
        super().__init__(overall_max_rate=overall_max_rate, group_max_rate=group_max_rate, max_retries=retries)
        self._retries = retries
        self._backoff = backoff

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Union[bool, Dict[str, Any], List[Dict[str, Any]], None]]],
        args: Any,
        kwargs: Dict[str, Any],
        endpoint: str,
        data: Dict[str, Any],
        rate_limit_args: Optional[int],
    ) -> Union[bool, Dict[str, Any], List[Dict[str, Any]], None]:
        delay = self._backoff
        for attempt in range(self._retries + 1):
            try:
                return await super().process_request(callback, args, kwargs, endpoint, data, rate_limit_args)
            except BadRequest:
                raise
            except NetworkError as exc:
                if attempt == self._retries or endpoint == "getUpdates":  # the updater has its own back-off
                    raise
                logger.info("Telegram %s failed (%s); retry %d in %.1f s", endpoint, exc, attempt + 1, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)
        raise AssertionError("unreachable")


T = TypeVar("T")


async def until_delivered(send: Callable[[], Awaitable[T]], patience: float) -> T:
    """Calls `send` until Telegram takes it: after the limiter's own retries, longer pauses up to `patience` s.

    A reply is never given up while Telegram is only away; a refused request (`BadRequest`, `Forbidden`) is
    not retried.
    """
    deadline = time.monotonic() + patience
    delay = 5.0
    while True:
        try:
            return await send()
        except BadRequest:
            raise
        except (NetworkError, RetryAfter) as exc:
            wait = float(exc.retry_after if isinstance(exc, RetryAfter) else delay)  # type: ignore[arg-type]
            if time.monotonic() + wait > deadline:
                raise
            logger.warning("Telegram still unavailable (%s); trying again in %.0f s", type(exc).__name__, wait)
            await asyncio.sleep(wait)
            delay = min(delay * 2, 60.0)
