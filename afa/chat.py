"""A terminal chat over the Rasa REST channel: the same replies a Telegram user gets, buttons as numbers."""
from __future__ import annotations

import os
import sys
import uuid
from typing import Any

import requests

from afa.i18n import normalise_language


def send(url: str, sender: str, text: str, metadata: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    body = {"sender": sender, "message": text, "metadata": metadata or {}}
    response = requests.post(f"{url}/webhooks/rest/webhook", json=body, timeout=60)
    response.raise_for_status()
    return response.json()


def show(messages: list[dict[str, Any]]) -> list[dict[str, str]]:
    buttons: list[dict[str, str]] = []
    for message in messages:
        if message.get("text"):
            print(f"\n🤖 {message['text']}")
        for button in message.get("buttons") or []:
            buttons.append(button)
            print(f"   [{len(buttons)}] {button['title']}")
    return buttons


def chat(url: str) -> int:
    sender = f"cli:{uuid.uuid4().hex[:8]}"  # sender ids carry their channel (DESIGN.md)
    # The terminal's locale plays the part of Telegram's language_code: a hint when the text cannot tell.
    hint = normalise_language((os.environ.get("LANG") or "").split(".")[0])
    metadata = {"language_code": hint} if hint else {}
    print("Chat with the AfA Stadtteil-Bot (Deutsch, Türkçe, Български, Română). Type a number to press a button, "
          "/quit or Ctrl-D to leave.")
    buttons: list[dict[str, str]] = []
    while True:
        try:
            line = input("\n> ")
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if line.strip() in ("/quit", "/exit"):
            return 0
        text = line
        if line.strip().isdigit() and 0 < int(line) <= len(buttons):
            text = buttons[int(line) - 1]["payload"]
        try:
            buttons = show(send(url, sender, text, metadata))
        except requests.RequestException as exc:
            print(f"(the bot is not reachable: {exc})", file=sys.stderr)
