"""A recording fake Telegram Bot API server for end-to-end tests and benchmarks."""
from __future__ import annotations

import asyncio
import copy
import itertools
import json
import re
import threading
import time
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Callable, Dict

import aiohttp
from aiohttp import web

JSON = Dict[str, Any]
BOT_USER: JSON = {"id": 999000, "is_bot": True, "first_name": "AfA Test Bot", "username": "afa_test_bot"}
GET_ME: JSON = {**BOT_USER, "can_join_groups": True, "can_read_all_group_messages": False}
GET_ME.update(supports_inline_queries=False, can_connect_to_business=False, has_main_web_app=False)
GIFT_TYPES = dict.fromkeys(
    ("unlimited_gifts", "limited_gifts", "unique_gifts", "premium_subscription", "gifts_from_channels"), False
)
TEXT_FIELDS = frozenset(
    "text caption callback_data description short_description name title query callback_query_id url secret_token"
    " emoji phone_number first_name last_name icon_custom_emoji_id inline_message_id message_effect_id"
    " photo document voice sticker video audio animation video_note".split()
)
CONTENT_FIELDS = (
    "text entities caption caption_entities photo document voice sticker location video_note contact video"
    " audio animation"
).split()
TOPIC_FIELDS = ("name", "icon_custom_emoji_id")
ADMIN_RIGHTS = (
    "can_manage_chat can_delete_messages can_manage_video_chats can_restrict_members can_promote_members"
    " can_change_info can_invite_users can_post_stories can_edit_stories can_delete_stories can_pin_messages"
).split()
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are exactly the same"
    " as a current content and reply markup of the message"
)


class BotApiError(Exception):
    """A Bot API error answer: HTTP status, description and optional retry_after."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status, self.description, self.retry_after = status, description, retry_after


@dataclass
class Call:
    """One recorded request: method, decoded params, monotonic arrival time, result or failure status."""

    method: str
    params: JSON
    at: float
    result: Any = None
    status: int = 200
    failed: bool = False


@dataclass
class Sent:
    """A message the bot sent (method and params of the sending call); `message` is its current Message dict."""

    method: str
    params: JSON
    message: JSON
    deleted: bool = False

    @property
    def message_id(self) -> int:
        """The message id."""
        return int(self.message["message_id"])

    @property
    def text(self) -> str:
        """Current text, else caption, else ""."""
        return str(self.message.get("text", self.message.get("caption", "")))

    @property
    def buttons(self) -> list[JSON]:
        """The current inline keyboard buttons, row after row."""
        return [b for row in self.message.get("reply_markup", {}).get("inline_keyboard", []) for b in row]


def decode(key: str, value: str) -> Any:
    """Decode a form field as PTB encoded it: JSON for nested values, numbers, booleans; text stays text."""
    if key in TEXT_FIELDS or not value:
        return value
    if value[0] in "{[":
        try:
            return json.loads(value)
        except ValueError:
            return value
    if re.fullmatch(r"-?\d+", value):
        return int(value)
    if re.fullmatch(r"-?\d+\.\d+", value):
        return float(value)
    return {"true": True, "false": False}.get(value, value)


def sticker(ids: JSON, emoji: str) -> JSON:
    """A regular static Sticker."""
    kind = {"type": "regular", "is_animated": False, "is_video": False}
    return {**ids, **kind, "width": 512, "height": 512, "emoji": emoji}



def photo(ids: JSON) -> list[JSON]:
    """A photo as thumbnail and full-size PhotoSize."""
    return [{**ids, "width": 90, "height": 68}, {**ids, "file_id": ids["file_id"] + "-x", "width": 1280, "height": 960}]


class BotApiServer:
    """Fake Bot API on 127.0.0.1 that records calls and lets tests inject updates and failures."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._serial = itertools.count(1)
        self._update_ids = itertools.count(1)
        self._chats: dict[int, JSON] = {}
        self._message_ids: dict[int, int] = {}
        self._topics: dict[int, dict[int, JSON]] = {}
        self._members: dict[int, dict[int, JSON]] = {}  # chat id → user id → ChatMember (the bot: "member" by default)
        self._commands: dict[tuple[str, str], list[Any]] = {}
        self._texts: dict[tuple[str, str], str] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._serving = ""
        self.webhook: JSON = {}
        self.listeners: list[Callable[[Call], None]] = []
        self.base_url = self.base_file_url = ""
        self._methods = {name.lower(): (name, handler) for name, handler in self._handlers().items()}
        self.reset()

    def reset(self) -> None:
        """Forget calls, messages, queued updates, failures and pushes; keep chats, topics, bot settings and id counters."""
        with self._lock:
            self.calls: list[Call] = []
            self.injected_at: dict[int, float] = {}
            self.webhook_statuses: list[int] = []
            self._sent: dict[int, list[Sent]] = {}
            self._messages: dict[int, dict[int, JSON]] = {}
            self._updates: list[JSON] = []
            self._failures: dict[str, list[BotApiError]] = {}
            self._blocked: dict[int, str] = {}  # chat id → the 403 description every call about that chat gets

    def start(self) -> BotApiServer:
        """Serve on a free port from an event loop in a daemon thread."""
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="botapi", daemon=True)
        self._thread.start()
        port = asyncio.run_coroutine_threadsafe(self._startup(), self._loop).result(10)
        self.base_url = f"http://127.0.0.1:{port}/bot"
        self.base_file_url = f"http://127.0.0.1:{port}/file/bot"
        return self

    def stop(self) -> None:
        """Answer pending long polls, shut the server down and join its thread."""
        assert self._loop is not None, "server not started"
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()
        self._loop = None

    def __enter__(self) -> BotApiServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def _startup(self) -> int:
        self._closing = False
        self._wakeup = asyncio.Event()
        self._push_lock = asyncio.Lock()
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        return int(self._runner.addresses[0][1])

    async def _shutdown(self) -> None:
        self._closing = True
        self._wakeup.set()
        await self._session.close()
        await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        at = time.monotonic()
        raw: JSON = dict(request.query)
        if request.content_type == "application/json":
            raw.update(await request.json())
        else:
            for key, value in (await request.post()).items():
                is_file = isinstance(value, web.FileField)
                raw[key] = {"file_name": value.filename, "size": len(value.file.read())} if is_file else value
        params = {key: decode(key, value) if isinstance(value, str) else value for key, value in raw.items()}
        requested = request.match_info["method"]
        name, handler = self._methods.get(requested.lower(), (requested, None))
        result, error = None, None
        try:
            with self._lock:
                failures = self._failures.get(name.lower())
                if failures:
                    raise failures.pop(0)
                if params.get("chat_id") in self._blocked:
                    raise BotApiError(403, self._blocked[params["chat_id"]])
                if handler is None:
                    raise BotApiError(404, "Not Found")
            if asyncio.iscoroutinefunction(handler):
                result = await handler(params)
            else:
                with self._lock:
                    self._serving = name
                    result = copy.deepcopy(handler(params))
                result = True if result is None else result
        except BotApiError as exc:
            error = exc
        except KeyError as exc:
            error = BotApiError(400, f"Bad Request: parameter {exc.args[0]} is required")
        call = Call(name, params, at, result, error.status if error else 200, error is not None)
        with self._lock:
            self.calls.append(call)
        for listener in self.listeners:  # e.g. the benchmark, which waits on queues instead of polling
            listener(call)
        if error is None:
            return web.json_response({"ok": True, "result": result})
        body: JSON = {"ok": False, "error_code": error.status, "description": error.description}
        if error.retry_after is not None:
            body["parameters"] = {"retry_after": error.retry_after}
        return web.json_response(body, status=error.status)

    async def _push(self, update: JSON, url: str, secret: str | None) -> None:
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
        async with self._push_lock:
            try:
                async with self._session.post(url, json=update, headers=headers) as response:
                    status = response.status
            except aiohttp.ClientError:
                status = 0
        with self._lock:
            self.webhook_statuses.append(status)

    def add_chat(self, chat_id: int, type: str = "private", title: str | None = None, is_forum: bool = False,
                 first_name: str | None = None, username: str | None = None) -> JSON:
        """Register a chat and return its Chat dict."""
        chat: JSON = {"id": chat_id, "type": type}
        names = {"first_name": first_name or "Test"} if type == "private" else {"title": title or f"Chat {chat_id}"}
        chat.update(names)
        chat.update({"username": username} if username else {}, **({"is_forum": True} if is_forum else {}))
        with self._lock:
            self._chats[chat_id] = chat
        return chat

    def _chat(self, chat_id: Any) -> JSON:
        if not isinstance(chat_id, int):
            raise BotApiError(400, "Bad Request: chat not found")
        if chat_id not in self._chats:
            self.add_chat(chat_id, "private" if chat_id > 0 else "supergroup")
        return self._chats[chat_id]

    def _new_message(self, chat_id: int, sender: JSON, thread_id: int | None, reply_to: int | None) -> JSON:
        self._message_ids[chat_id] = message_id = self._message_ids.get(chat_id, 0) + 1
        message = {"message_id": message_id, "date": int(time.time()), "chat": self._chat(chat_id), "from": sender}
        if thread_id:
            message.update(message_thread_id=thread_id, is_topic_message=True)
        replied = self._messages.get(chat_id, {}).get(reply_to or 0)
        if replied:
            message["reply_to_message"] = {k: v for k, v in replied.items() if k != "reply_to_message"}
        self._messages.setdefault(chat_id, {})[message_id] = message
        return message

    def _file(self, value: Any) -> JSON:
        """file_id/file_unique_id for a given file id, or fresh ones for an upload or URL."""
        if isinstance(value, str) and "://" not in value:
            return {"file_id": value, "file_unique_id": f"u-{value[-16:]}"}
        serial = next(self._serial)
        return {"file_id": f"file-{serial}", "file_unique_id": f"unique-{serial}"}

    def _send(self, params: JSON, content: JSON) -> JSON:
        """Store a message the bot sends with the method being served, and return it."""
        chat_id, thread_id = params["chat_id"], params.get("message_thread_id")
        self._chat(chat_id)
        if self._topics.get(chat_id, {}).get(thread_id, {}).get("is_closed"):
            raise BotApiError(400, "Bad Request: TOPIC_CLOSED")
        reply_to = params.get("reply_parameters", {}).get("message_id", params.get("reply_to_message_id"))
        message = self._new_message(chat_id, BOT_USER, thread_id, reply_to)
        message.update(content)
        message.update({k: params[k] for k in ("caption", "caption_entities") if k in params})
        if "inline_keyboard" in params.get("reply_markup", {}):
            message["reply_markup"] = params["reply_markup"]
        self._sent.setdefault(chat_id, []).append(Sent(self._serving, params, message))
        return message

    def _handlers(self) -> dict[str, Callable[[JSON], Any]]:
        """Bot API methods by name; sync handlers run under the lock, and returning None answers `true`."""
        return {
            "getMe": lambda p: GET_ME,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": lambda p: self._set_webhook({"drop_pending_updates": p.get("drop_pending_updates")}),
            "getWebhookInfo": lambda p: {
                "url": self.webhook.get("url", ""),
                "has_custom_certificate": False,
                "pending_update_count": 0 if self.webhook else len(self._updates),
            },
            "logOut": lambda p: None,
            "close": lambda p: None,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_text,
            "editMessageReplyMarkup": self._edit_markup,
            "answerCallbackQuery": lambda p: None,
            "deleteMessage": self._delete,
            "copyMessage": lambda p: {"message_id": self._send(p, self._source(p, "copy"))["message_id"]},
            "forwardMessage": self._forward,
            "sendPhoto": lambda p: self._send(p, {"photo": photo(self._file(p["photo"]))}),
            "sendDocument": lambda p: self._send(p, {"document": self._document(p["document"])}),
            "sendVoice": lambda p: self._send(p, {"voice": self._voice(p)}),
            "sendSticker": lambda p: self._send(p, {"sticker": sticker(self._file(p["sticker"]), p.get("emoji", "👍"))}),
            "sendLocation": lambda p: self._send(p, {"location": {k: p[k] for k in ("latitude", "longitude")}}),
            "sendChatAction": lambda p: self._chat(p["chat_id"]) and None,
            "setMyCommands": lambda p: self._commands.update({self._scope(p): p["commands"]}),
            "getMyCommands": lambda p: self._commands.get(self._scope(p), []),
            "deleteMyCommands": lambda p: self._commands.update({self._scope(p): []}),
            "setMyDescription": lambda p: self._my_text("description", p, store=True),
            "getMyDescription": lambda p: self._my_text("description", p, store=False),
            "setMyShortDescription": lambda p: self._my_text("short_description", p, store=True),
            "getMyShortDescription": lambda p: self._my_text("short_description", p, store=False),
            "setChatMenuButton": lambda p: None,
            "getChat": self._get_chat,
            "getChatMember": self._get_chat_member,
            "createForumTopic": self._create_topic,
            "closeForumTopic": lambda p: self._topic(p).update(is_closed=True),
            "reopenForumTopic": lambda p: self._topic(p).update(is_closed=False),
            "editForumTopic": lambda p: self._topic(p).update({k: v for k, v in p.items() if k in TOPIC_FIELDS}),
        }

    async def _get_updates(self, params: JSON) -> list[JSON]:
        offset, limit = params.get("offset", 0), params.get("limit", 100)
        deadline = time.monotonic() + params.get("timeout", 0)
        while True:
            self._wakeup.clear()
            with self._lock:
                if self.webhook:
                    raise BotApiError(409, "Conflict: can't use getUpdates method while webhook is active")
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
                if self._updates or self._closing or time.monotonic() >= deadline:
                    return copy.deepcopy(self._updates[:limit])
            try:
                await asyncio.wait_for(self._wakeup.wait(), deadline - time.monotonic())
            except asyncio.TimeoutError:
                pass

    def _set_webhook(self, params: JSON) -> None:
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self.webhook = {k: params[k] for k in ("url", "secret_token") if params.get(k)}

    def _send_message(self, params: JSON) -> JSON:
        if not str(params.get("text", "")).strip():
            raise BotApiError(400, "Bad Request: message text is empty")
        return self._send(params, {k: params[k] for k in ("text", "entities") if k in params})

    def _editable(self, params: JSON) -> JSON:
        found = [s for s in self._sent.get(params["chat_id"], []) if s.message_id == params["message_id"]]
        if not found or found[0].deleted:
            raise BotApiError(400, "Bad Request: message to edit not found")
        return found[0].message

    def _edit_text(self, params: JSON) -> JSON:
        message = self._editable(params)
        if "text" not in message:
            raise BotApiError(400, "Bad Request: there is no text in the message to edit")
        if message["text"] == params["text"] and message.get("reply_markup") == params.get("reply_markup"):
            raise BotApiError(400, NOT_MODIFIED)
        for key in ("entities", "reply_markup"):  # omitted fields are removed, as on Telegram
            message.pop(key, None)
        message.update({k: params[k] for k in ("text", "entities", "reply_markup") if k in params})
        message["edit_date"] = int(time.time())
        return message

    def _edit_markup(self, params: JSON) -> JSON:
        message = self._editable(params)
        if message.get("reply_markup") == params.get("reply_markup"):
            raise BotApiError(400, NOT_MODIFIED)
        message.pop("reply_markup", None)
        message.update({k: params[k] for k in ("reply_markup",) if k in params}, edit_date=int(time.time()))
        return message

    def _delete(self, params: JSON) -> None:
        chat_id, message_id = params["chat_id"], params["message_id"]
        if not self._messages.get(chat_id, {}).pop(message_id, None):
            raise BotApiError(400, "Bad Request: message to delete not found")
        for sent in self._sent.get(chat_id, []):
            sent.deleted = sent.deleted or sent.message_id == message_id

    def _source(self, params: JSON, verb: str) -> JSON:
        source = self._messages.get(params["from_chat_id"], {}).get(params["message_id"])
        if source is None:
            raise BotApiError(400, f"Bad Request: message to {verb} not found")
        return {k: copy.deepcopy(source[k]) for k in CONTENT_FIELDS if k in source}

    def _forward(self, params: JSON) -> JSON:
        content = self._source(params, "forward")
        source = self._messages[params["from_chat_id"]][params["message_id"]]
        content["forward_origin"] = {"type": "user", "date": source["date"], "sender_user": source["from"]}
        return self._send(params, content)

    def _voice(self, params: JSON) -> JSON:
        return {**self._file(params["voice"]), "duration": params.get("duration", 1)}

    def _document(self, document: Any) -> JSON:
        name = document["file_name"] if isinstance(document, dict) else str(document).rsplit("/", 1)[-1]
        return {**self._file(document), "file_name": name}

    @staticmethod
    def _scope(params: JSON) -> tuple[str, str]:
        return json.dumps(params.get("scope", {"type": "default"}), sort_keys=True), params.get("language_code", "")

    def _my_text(self, key: str, params: JSON, store: bool) -> JSON | None:
        slot = (key, params.get("language_code", ""))
        if store:
            self._texts[slot] = params.get(key, "")
            return None
        return {key: self._texts.get(slot, "")}

    def _get_chat(self, params: JSON) -> JSON:
        if params["chat_id"] not in self._chats:
            raise BotApiError(400, "Bad Request: chat not found")
        extra = {"accent_color_id": 0, "max_reaction_count": 11, "accepted_gift_types": GIFT_TYPES}
        return {"is_forum": False, **self._chats[params["chat_id"]], **extra}

    def _get_chat_member(self, params: JSON) -> JSON:
        chat_id, user_id = params["chat_id"], params["user_id"]
        if chat_id not in self._chats:
            raise BotApiError(400, "Bad Request: chat not found")
        found = self._members.get(chat_id, {}).get(user_id)
        if found is not None:
            return found
        if user_id == BOT_USER["id"]:
            return self.chat_member(BOT_USER, "member")
        return self.chat_member({"id": user_id, "is_bot": False, "first_name": "Test"}, "left")

    @staticmethod
    def chat_member(user: JSON, status: str, can_manage_topics: bool = False) -> JSON:
        """A ChatMember dict: "member", "administrator" (usual rights, topics as given), "left", "kicked"..."""
        member: JSON = {"status": status, "user": user}
        if status == "administrator":
            member.update(dict.fromkeys(ADMIN_RIGHTS, True), can_be_edited=False, is_anonymous=False)
            member["can_manage_topics"] = can_manage_topics
        elif status == "kicked":
            member["until_date"] = 0
        elif status == "restricted":
            member.update(is_member=True, until_date=0)
        return member

    def set_bot_member(self, chat_id: int, status: str, by: JSON, *, can_manage_topics: bool = False,
                       notify: bool = True) -> JSON | None:
        """The bot's membership in a group changes (added, removed, promoted, demoted by the user `by`); with
        `notify` a my_chat_member update tells the bot, as Telegram does."""
        with self._lock:
            chat = self._chat(chat_id)
            old = self._members.get(chat_id, {}).get(BOT_USER["id"]) or self.chat_member(BOT_USER, "left")
            new = self.chat_member(BOT_USER, status, can_manage_topics)
            self._members.setdefault(chat_id, {})[BOT_USER["id"]] = new
            if not notify:
                return None
            changed = {"chat": chat, "from": by, "date": int(time.time()), "old_chat_member": old, "new_chat_member": new}
            return self._inject("my_chat_member", changed)

    def migrate_chat(self, old_id: int, new_id: int, user: JSON) -> JSON:
        """A basic group becomes a supergroup with a new id (e.g. topics switched on): the service message."""
        with self._lock:
            old = self._chat(old_id)
            self.add_chat(new_id, "supergroup", title=old.get("title"), is_forum=bool(old.get("is_forum")))
            self._members[new_id] = copy.deepcopy(self._members.get(old_id, {}))
            message = self._new_message(old_id, user, None, None)
            message["migrate_to_chat_id"] = new_id
            return self._inject("message", message)

    def _topic(self, params: JSON) -> JSON:
        topic = self._topics.get(params["chat_id"], {}).get(params["message_thread_id"])
        if topic is None:
            raise BotApiError(400, "Bad Request: TOPIC_ID_INVALID")
        return topic

    def _create_topic(self, params: JSON) -> JSON:
        chat_id = params["chat_id"]
        if not self._chat(chat_id).get("is_forum"):
            raise BotApiError(400, "Bad Request: the chat is not a forum")
        thread_id = self._new_message(chat_id, BOT_USER, None, None)["message_id"]  # as on Telegram
        topic = {"message_thread_id": thread_id, "name": params["name"]}
        topic["icon_color"] = params.get("icon_color", 7322096)
        self._topics.setdefault(chat_id, {})[thread_id] = {**topic, "is_closed": False}
        return topic

    @staticmethod
    def user(user_id: int, first_name: str = "Test", language_code: str = "de", username: str | None = None) -> JSON:
        """A Telegram User dict for a human."""
        user = {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": language_code}
        return {**user, "username": username} if username else user

    def _sender(self, chat_id: int, user: JSON | None) -> JSON:
        if user is not None:
            return user
        if chat_id <= 0:
            raise ValueError(f"chat {chat_id} is a group: pass the user")
        with self._lock:
            return self.user(chat_id, self._chats.get(chat_id, {}).get("first_name", "Test"))

    def _inject(self, kind: str, payload: JSON) -> JSON:
        """Queue an update for getUpdates or push it to the webhook; callers hold the lock."""
        assert self._loop is not None, "server not started"
        update = {"update_id": next(self._update_ids), kind: copy.deepcopy(payload)}
        self.injected_at[update["update_id"]] = time.monotonic()
        if self.webhook:
            push = self._push(copy.deepcopy(update), self.webhook["url"], self.webhook.get("secret_token"))
            asyncio.run_coroutine_threadsafe(push, self._loop)
        else:
            self._updates.append(copy.deepcopy(update))
            self._loop.call_soon_threadsafe(self._wakeup.set)
        return update

    def _user_message(self, chat_id: int, sender: JSON, reply_to: int | None, thread_id: int | None,
                      content: JSON) -> JSON:
        with self._lock:
            if chat_id > 0 and chat_id not in self._chats:
                self.add_chat(chat_id, first_name=sender["first_name"], username=sender.get("username"))
            if reply_to and reply_to not in self._messages.get(chat_id, {}):
                raise ValueError(f"no message {reply_to} in chat {chat_id}")
            message = self._new_message(chat_id, sender, thread_id, reply_to)
            message.update(content)
            return self._inject("message", message)

    def send_text(self, chat_id: int, text: str, user: JSON | None = None, *, reply_to: int | None = None,
                  thread_id: int | None = None, entities: list[JSON] | None = None) -> JSON:
        """Inject a text message from a user; a leading /command gets its bot_command entity."""
        if entities is None and text.startswith("/"):
            entities = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        content = {"text": text, **({"entities": entities} if entities else {})}
        return self._user_message(chat_id, self._sender(chat_id, user), reply_to, thread_id, content)

    def send_media(self, chat_id: int, kind: str, user: JSON | None = None, *, caption: str | None = None,
                   reply_to: int | None = None, thread_id: int | None = None, latitude: float = 51.4344,
                   longitude: float = 6.7623, emoji: str = "👍") -> JSON:
        """Inject a sticker (with `emoji`), photo, voice, audio, document, location (at `latitude`, `longitude`;
        by default Duisburg's centre), video_note or contact message from a user."""
        sender, ids = self._sender(chat_id, user), self._file(None)
        media = {
            "sticker": sticker(ids, emoji),
            "photo": photo(ids),
            "voice": {**ids, "duration": 3, "mime_type": "audio/ogg"},
            "audio": {**ids, "duration": 42, "mime_type": "audio/mpeg", "file_name": "nachricht.mp3"},
            "document": {**ids, "file_name": "dokument.pdf", "mime_type": "application/pdf"},
            "location": {"latitude": latitude, "longitude": longitude},
            "video_note": {**ids, "length": 240, "duration": 5},
            "contact": {"phone_number": "+49203123456", "first_name": sender["first_name"], "user_id": sender["id"]},
        }
        if kind not in media:
            raise ValueError(f"unknown media kind {kind!r}; use one of {sorted(media)}")
        content = {kind: media[kind], **({"caption": caption} if caption is not None else {})}
        return self._user_message(chat_id, sender, reply_to, thread_id, content)

    def edit_text(self, chat_id: int, message_id: int, new_text: str, user: JSON | None = None) -> JSON:
        """Inject an edited_message update for a message a user sent."""
        with self._lock:
            message = self._messages.get(chat_id, {}).get(message_id)
            if message is None or message["from"]["is_bot"]:
                raise ValueError(f"no user message {message_id} in chat {chat_id}")
            message.update(text=new_text, edit_date=int(time.time()), **({"from": user} if user else {}))
            return self._inject("edited_message", message)

    def move_location(self, chat_id: int, message_id: int, latitude: float, longitude: float) -> JSON:
        """Inject the edited_message update of a live location a user shares, moved to a new place."""
        with self._lock:
            message = self._messages.get(chat_id, {}).get(message_id)
            if message is None or "location" not in message:
                raise ValueError(f"no location message {message_id} in chat {chat_id}")
            message["location"] = {"latitude": latitude, "longitude": longitude, "live_period": 900}
            message["edit_date"] = int(time.time())
            return self._inject("edited_message", message)

    def press(self, chat_id: int, message_id: int, data: str, user: JSON | None = None) -> JSON:
        """Inject a callback_query: a user presses the button with `data` under a bot message."""
        sender = self._sender(chat_id, user)
        with self._lock:
            sent = [s for s in self._sent.get(chat_id, []) if s.message_id == message_id and not s.deleted]
            if not sent:
                raise ValueError(f"no live bot message {message_id} in chat {chat_id}")
            query = {"id": f"cq-{next(self._serial)}", "from": sender, "chat_instance": f"ci{chat_id}", "data": data}
            return self._inject("callback_query", {**query, "message": sent[0].message})

    def fail(self, method: str, status: int, count: int = 1, retry_after: int | None = None,
             description: str | None = None) -> None:
        """Answer the next `count` calls of `method` with HTTP `status` and a Bot API error body."""
        if status == 429:
            retry_after = retry_after or 1
            description = description or f"Too Many Requests: retry after {retry_after}"
        error = BotApiError(status, description or HTTPStatus(status).phrase, retry_after if status == 429 else None)
        with self._lock:
            self._failures.setdefault(method.lower(), []).extend([error] * count)

    def block(self, chat_id: int, description: str | None = None) -> None:
        """Every later call about `chat_id` answers 403 as real Telegram does: the person blocked the bot, or the
        group removed it ("Forbidden: bot was kicked from the group chat"); `unblock` undoes it."""
        if description is None:
            chat = self._chats.get(chat_id, {"type": "private" if chat_id > 0 else "supergroup"})
            kind = {"private": "", "group": "group chat", "supergroup": "supergroup chat", "channel": "channel chat"}
            where = kind.get(chat["type"], "group chat")
            description = f"Forbidden: bot was kicked from the {where}" if where else "Forbidden: bot was blocked by the user"
        with self._lock:
            self._blocked[chat_id] = description

    def unblock(self, chat_id: int) -> None:
        """Calls about `chat_id` succeed again (the person unblocked the bot, or the group added it back)."""
        with self._lock:
            self._blocked.pop(chat_id, None)

    def messages(self, chat_id: int) -> list[Sent]:
        """Messages the bot sent in a chat, in order (deleted ones flagged)."""
        with self._lock:
            return list(self._sent.get(chat_id, []))

    def message(self, chat_id: int, message_id: int) -> Sent:
        """The current state of one bot message."""
        found = [s for s in self.messages(chat_id) if s.message_id == message_id]
        if not found:
            raise KeyError(f"the bot sent no message {message_id} in chat {chat_id}")
        return found[0]

    def topics(self, chat_id: int) -> dict[int, JSON]:
        """Forum topics of a chat by thread id (name, icon_color, is_closed...)."""
        with self._lock:
            return copy.deepcopy(self._topics.get(chat_id, {}))

    def wait_messages(self, chat_id: int, count: int = 1, *, after: int = 0,
                      predicate: Callable[[Sent], bool] | None = None, timeout: float = 15) -> list[Sent]:
        """All bot messages from index `after` in a chat, once at least `count` of them match `predicate`."""
        deadline = time.monotonic() + timeout
        while True:
            messages = self.messages(chat_id)[after:]
            if sum(1 for m in messages if predicate is None or predicate(m)) >= count:
                return messages
            if time.monotonic() > deadline:
                sent = [f"{m.method}: {m.text!r}" for m in self.messages(chat_id)]
                raise AssertionError(f"timeout: {count} bot message(s) in chat {chat_id} from #{after}; sent: {sent}")
            time.sleep(0.01)

    def wait_call(self, method: str, predicate: Callable[[Call], bool] | None = None, timeout: float = 15) -> Call:
        """The first successful recorded call of `method` matching `predicate`."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                calls = list(self.calls)
            for call in calls:
                if call.method.lower() == method.lower() and not call.failed and (predicate is None or predicate(call)):
                    return call
            if time.monotonic() > deadline:
                seen = [f"{c.method}{' (failed)' if c.failed else ''}" for c in calls if c.method != "getUpdates"]
                raise AssertionError(f"timeout waiting for a {method} call; calls: {seen}")
            time.sleep(0.01)
