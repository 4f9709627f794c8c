"""The front end's only way into the dialogue: Rasa's REST channel, over HTTP."""
from __future__ import annotations

from typing import Any

import httpx


class RasaUnavailable(RuntimeError):
    """Rasa (or the action server behind it) did not answer; the message was not processed."""


class RasaClient:
    """POSTs a user's message with metadata to `/webhooks/rest/webhook` and returns Rasa's messages."""

    def __init__(self, base_url: str, timeout: float = 30.0) -> None:
        self._client = httpx.AsyncClient(base_url=base_url, timeout=timeout)

    async def send(self, sender: str, text: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        body = {"sender": sender, "message": text, "metadata": metadata}
        try:
            response = await self._client.post("/webhooks/rest/webhook", json=body)
        except httpx.HTTPError as exc:
            raise RasaUnavailable(f"Rasa not reachable: {type(exc).__name__}") from exc
        if response.status_code >= 500:
            raise RasaUnavailable(f"Rasa answered {response.status_code}")
        response.raise_for_status()
        messages = response.json()
        # Rasa answers 200 with no messages when the action server is away (the action failed): not processed.
        if not messages:
            raise RasaUnavailable("Rasa answered without a reply")
        return messages

    async def aclose(self) -> None:
        await self._client.aclose()
