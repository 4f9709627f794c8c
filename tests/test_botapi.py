"""The fake Bot API server answers a real python-telegram-bot `Bot` the way Telegram does."""
from __future__ import annotations

import asyncio
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Awaitable, Callable, Iterator, TypeVar

import pytest
import requests
from botapi import BotApiServer
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, ReplyParameters, Update
from telegram.error import BadRequest, Conflict, NetworkError, RetryAfter

TOKEN = "123456:TEST-TOKEN"
KEYBOARD = InlineKeyboardMarkup(
    [[InlineKeyboardButton("Ja", callback_data="yes"), InlineKeyboardButton("7", callback_data="7")]]
)
T = TypeVar("T")


@pytest.fixture()
def api() -> Iterator[BotApiServer]:
    with BotApiServer() as server:
        yield server


def run(api: BotApiServer, scenario: Callable[[Bot], Awaitable[T]]) -> T:
    """Run `scenario` with a real PTB Bot pointed at the fake server."""

    async def main() -> T:
        async with Bot(TOKEN, base_url=api.base_url, base_file_url=api.base_file_url) as bot:
            return await scenario(bot)

    return asyncio.run(main())


def test_get_me_send_edit_and_delete_messages(api: BotApiServer) -> None:
    async def scenario(bot: Bot) -> Any:
        first = await bot.send_message(4711, "42", reply_markup=KEYBOARD)
        second = await bot.send_message(4711, "Antwort", reply_parameters=ReplyParameters(first.message_id))
        edited = await bot.edit_message_text("Danke", chat_id=4711, message_id=first.message_id)
        with pytest.raises(BadRequest, match="not modified"):
            await bot.edit_message_text("Danke", chat_id=4711, message_id=first.message_id)
        assert await bot.delete_message(4711, second.message_id)
        return await bot.get_me(), first, second, edited

    me, first, second, edited = run(api, scenario)
    assert (me.id, me.username, me.is_bot, me.can_join_groups) == (999000, "afa_test_bot", True, True)
    assert (first.text, first.chat.type, first.from_user.id, first.reply_markup) == ("42", "private", 999000, KEYBOARD)
    assert second.message_id == first.message_id + 1 and second.reply_to_message.text == "42"
    assert edited.text == "Danke" and edited.reply_markup is None and edited.edit_date is not None
    call = api.wait_call("sendMessage")
    assert call.params["chat_id"] == 4711 and call.params["text"] == "42" and call.result["message_id"] == 1
    assert call.params["reply_markup"]["inline_keyboard"][0][1] == {"text": "7", "callback_data": "7"}
    assert [(m.text, m.deleted, m.buttons) for m in api.messages(4711)] == [("Danke", False, []), ("Antwort", True, [])]
    assert api.calls[0].method == "getMe" and [c.method for c in api.calls].count("editMessageText") == 2


def test_get_updates_long_polls_for_an_injected_message_and_callback_query(api: BotApiServer) -> None:
    async def scenario(bot: Bot) -> Any:
        question = await bot.send_message(4711, "Frage?", reply_markup=KEYBOARD)
        threading.Timer(0.3, api.send_text, (4711, "/start hallo")).start()
        started = time.monotonic()
        messages = await bot.get_updates(timeout=10)
        waited = time.monotonic() - started
        api.press(4711, question.message_id, "yes")
        queries = await bot.get_updates(offset=messages[-1].update_id + 1, timeout=10)
        await queries[0].callback_query.answer("Gespeichert")
        started = time.monotonic()
        empty = await bot.get_updates(offset=queries[-1].update_id + 1, timeout=1)
        return question, messages, waited, queries, empty, time.monotonic() - started

    question, messages, waited, queries, empty, idle = run(api, scenario)
    assert 0.25 < waited < 2 and 0.9 < idle < 2 and empty == ()
    message = messages[0].message
    assert (message.text, message.chat.id, message.from_user.id, message.from_user.language_code) == (
        "/start hallo", 4711, 4711, "de"
    )
    assert message.message_id == question.message_id + 1 and message.entities[0].type == "bot_command"
    assert message.parse_entity(message.entities[0]) == "/start"
    query = queries[0].callback_query
    assert query.data == "yes" and query.from_user.id == 4711 and query.message.reply_markup == KEYBOARD
    assert api.wait_call("answerCallbackQuery").params == {"callback_query_id": query.id, "text": "Gespeichert"}
    assert set(api.injected_at) == {messages[0].update_id, queries[0].update_id}


def test_injected_failures_raise_the_errors_ptb_expects(api: BotApiServer) -> None:
    api.fail("sendMessage", 429, retry_after=3)
    api.fail("sendMessage", 500)

    async def scenario(bot: Bot) -> int:
        with pytest.raises(RetryAfter, match="Retry in 3 seconds"):
            await bot.send_message(4711, "eins")
        with pytest.raises(NetworkError, match="Internal Server Error") as error:
            await bot.send_message(4711, "zwei")
        assert not isinstance(error.value, RetryAfter)
        return (await bot.send_message(4711, "drei")).message_id

    assert run(api, scenario) == 1
    statuses = [(c.status, c.failed) for c in api.calls if c.method == "sendMessage"]
    assert statuses == [(429, True), (500, True), (200, False)]
    assert [m.text for m in api.messages(4711)] == ["drei"]
    unknown = requests.post(f"{api.base_url}{TOKEN}/noSuchMethod", timeout=5)
    assert unknown.status_code == 404 and unknown.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
    as_json = requests.post(f"{api.base_url}{TOKEN}/sendMessage", json={"chat_id": 4711, "text": "4"}, timeout=5).json()
    assert as_json["ok"] and as_json["result"]["text"] == "4" and as_json["result"]["message_id"] == 2


def test_copy_message_into_a_forum_topic(api: BotApiServer) -> None:
    api.add_chat(-100123, "supergroup", title="Team AfA", is_forum=True)
    asked = api.send_text(4711, "Ich brauche Hilfe")["message"]

    async def scenario(bot: Bot) -> Any:
        topic = await bot.create_forum_topic(-100123, "Anfrage 4711")
        thread = topic.message_thread_id
        copied = await bot.copy_message(-100123, 4711, asked["message_id"], message_thread_id=thread)
        answer = ReplyParameters(copied.message_id)
        reply = await bot.send_message(-100123, "Übernommen", message_thread_id=thread, reply_parameters=answer)
        await bot.close_forum_topic(-100123, thread)
        with pytest.raises(BadRequest, match="(?i)topic_closed"):
            await bot.send_message(-100123, "zu spät", message_thread_id=thread)
        return topic, copied, reply, await bot.get_chat(-100123)

    topic, copied, reply, chat = run(api, scenario)
    assert (topic.name, topic.icon_color) == ("Anfrage 4711", 7322096) and copied.message_id > topic.message_thread_id
    stored = api.message(-100123, copied.message_id)
    assert (stored.method, stored.text, stored.params["from_chat_id"]) == ("copyMessage", "Ich brauche Hilfe", 4711)
    assert stored.message["message_thread_id"] == topic.message_thread_id and stored.message["is_topic_message"]
    assert reply.is_topic_message and reply.reply_to_message.text == "Ich brauche Hilfe"
    assert (chat.id, chat.type, chat.title, chat.is_forum) == (-100123, "supergroup", "Team AfA", True)
    assert api.topics(-100123)[topic.message_thread_id]["is_closed"]


def test_injected_media_and_edits_parse_as_updates(api: BotApiServer) -> None:
    group_user = api.user(55, "Ayşe", "tr")
    kinds = ["sticker", "photo", "voice", "document", "location", "video_note", "contact"]
    injected = [api.send_media(-100777, kind, group_user, caption="x" if kind == "photo" else None) for kind in kinds]
    updates = [Update.de_json(update, None) for update in injected]
    assert all(u.message.effective_attachment for u in updates) and updates[1].message.caption == "x"
    assert updates[0].message.sticker.type == "regular" and updates[2].message.voice.file_id.startswith("file-")
    assert updates[-1].message.contact.first_name == "Ayşe" and updates[0].message.chat.type == "supergroup"
    edited = Update.de_json(api.edit_text(-100777, updates[1].message.message_id, "neu", group_user), None)
    assert edited.edited_message.text == "neu" and edited.edited_message.edit_date is not None
    with pytest.raises(ValueError):
        api.send_text(-100777, "wer?")


def test_webhook_mode_pushes_updates_with_the_secret(api: BotApiServer) -> None:
    received: list[tuple[dict[str, Any], str | None]] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            received.append((body, self.headers.get("X-Telegram-Bot-Api-Secret-Token")))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    with ThreadingHTTPServer(("127.0.0.1", 0), Hook) as hook:
        threading.Thread(target=hook.serve_forever, daemon=True).start()

        async def register(bot: Bot) -> Any:
            await bot.set_webhook(f"http://127.0.0.1:{hook.server_port}/hook", secret_token="s3cret")
            with pytest.raises(Conflict):
                await bot.get_updates()
            return await bot.get_webhook_info()

        assert run(api, register).url.endswith("/hook")
        pushed = api.send_text(4711, "Hallo Webhook")
        deadline = time.monotonic() + 5
        while not api.webhook_statuses and time.monotonic() < deadline:
            time.sleep(0.01)
        hook.shutdown()
    assert api.webhook_statuses == [200] and received == [(pushed, "s3cret")]

    async def poll(bot: Bot) -> Any:
        await bot.delete_webhook()
        api.send_text(4711, "wieder Polling")
        return await bot.get_updates(timeout=5)

    assert [u.message.text for u in run(api, poll)] == ["wieder Polling"]
