"""Bad input and bad weather through Telegram: media, edits, huge messages, groups, 429/500, Rasa away, webhooks."""
from __future__ import annotations

import json
import socket
import threading
import time

import pytest
import requests

from afa import LANGUAGES
from afa.i18n import gettext
from afa.responses import RESPONSES
from bot import texts
from tests.conftest import free_port
from tests.telegram_user import Person, settle

pytestmark = pytest.mark.server


def test_command_menu_and_descriptions_are_set_in_every_language(front_end, telegram_api) -> None:  # type: ignore[no-untyped-def]
    for language in LANGUAGES:
        call = telegram_api.wait_call("setMyCommands", lambda c, lang=language: c.params.get("language_code") == lang)
        described = {c["command"]: c["description"] for c in call.params["commands"]}
        assert described["coach"] == gettext(language, texts.COMMANDS["coach"])
        description = telegram_api.wait_call("setMyDescription", lambda c, lang=language: c.params.get("language_code") == lang)
        assert description.params["description"] == gettext(language, texts.DESCRIPTION)
    default = telegram_api.wait_call("setMyCommands", lambda c: "language_code" not in c.params)
    assert default.params["commands"][0]["description"] == gettext("de", texts.COMMANDS["start"])


@pytest.mark.parametrize("kind", ["photo", "document", "contact"])
def test_media_outside_a_handover_gets_a_friendly_answer_in_the_users_language(front_end, telegram_api, kind) -> None:  # type: ignore[no-untyped-def]
    # stickers, voice notes and locations have answers of their own: tests/test_telegram_nontext.py
    person = Person(telegram_api, language_code="de")
    person.say("Merhaba, nasılsınız?")  # the conversation is Turkish from here on
    assert person.text(person.send(kind)) == gettext("tr", texts.MEDIA)


def test_edited_message_and_then_the_conversation_goes_on(front_end, telegram_api) -> None:  # type: ignore[no-untyped-def]
    api = telegram_api
    person = Person(api, language_code="ro")
    after = person.seen
    mine = api.send_text(person.id, "Bună ziua", person.user)["message"]["message_id"]
    settle(api, person.id, after)
    after = person.seen
    api.edit_text(person.id, mine, "Bună ziua, cine finanțează proiectul?", person.user)
    assert person.text(settle(api, person.id, after)) == gettext("ro", texts.EDITED)
    answer = person.say("Cine finanțează proiectul?")
    assert "ESF" in person.text(answer)


def test_a_message_of_10000_characters(front_end, telegram_api) -> None:  # type: ignore[no-untyped-def]
    person = Person(telegram_api, language_code="bg")
    person.say("Здравейте")
    reply = person.say("Кой финансира проекта? " * 435)
    assert person.text(reply) == gettext("bg", texts.TOO_LONG)
    assert person.say("Кой финансира проекта?")  # and the conversation goes on


def test_a_group_that_is_no_team_group_is_pointed_to_a_private_chat(front_end, telegram_api) -> None:  # type: ignore[no-untyped-def]
    api = telegram_api
    group = -100555000111
    api.add_chat(group, type="supergroup", title="Nachbarschaft Marxloh")
    api.send_text(group, "/start@afa_test_bot", api.user(8123, language_code="tr"))
    answer = api.wait_messages(group)[-1]
    assert answer.text == gettext("tr", texts.GROUP_ONLY_PRIVATE, link="https://t.me/afa_test_bot")


def test_telegram_answering_429_and_500_loses_no_reply(front_end, telegram_api) -> None:  # type: ignore[no-untyped-def]
    api = telegram_api
    person = Person(api, language_code="de")
    api.fail("sendMessage", 429, retry_after=1)
    started = time.monotonic()
    reply = person.say("Hallo")
    assert time.monotonic() - started >= 1.0  # waited as Telegram asked
    assert RESPONSES["utter_greet"].text and gettext("de", RESPONSES["utter_greet"].text)[:30] in person.text(reply)
    api.fail("sendMessage", 500, count=2)
    reply = person.say("Wer finanziert das Projekt?")
    assert "ESF" in person.text(reply)
    failed = [c for c in api.calls if c.method == "sendMessage" and c.failed]
    assert {c.status for c in failed} >= {429, 500}


class Forwarder:
    """A TCP port that forwards to Rasa once switched on: Rasa 'comes back' at a moment the test chooses."""

    def __init__(self, target_port: int) -> None:
        self.port, self.target = free_port(), target_port
        self.listener: socket.socket | None = None

    def switch_on(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while self.listener is not None:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            sink.close()

    def close(self) -> None:
        if self.listener is not None:
            listener, self.listener = self.listener, None
            listener.close()


def test_rasa_briefly_away_one_moment_then_the_answer(front_end, telegram_api, bot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    api = telegram_api
    forwarder = Forwarder(bot.settings.rasa_port)
    front_end.stop()  # one poller per bot token
    away = front_end.variant(tmp_path / "bot.log", RASA_PORT=str(forwarder.port))
    try:
        away.start()
        person = Person(api, language_code="tr")
        after = person.seen
        api.send_text(person.id, "Projeyi kim finanse ediyor?", person.user)
        api.send_text(person.id, "Teşekkürler", person.user)
        first = api.wait_messages(person.id, after=after)[0]
        assert first.text == gettext("tr", texts.ONE_MOMENT)
        forwarder.switch_on()
        replies = settle(api, person.id, after, count=3, timeout=60)
        answered = [m.text for m in replies[1:]]
        assert "ESF" in answered[0]
        assert answered[-1] == gettext("tr", RESPONSES["utter_thank"].text)
    finally:
        away.stop()
        forwarder.close()
        front_end.start()


def test_webhook_mode_checks_telegrams_secret_token(front_end, telegram_api, tmp_path) -> None:  # type: ignore[no-untyped-def]
    api = telegram_api
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram-hook"
    front_end.stop()
    hooked = front_end.variant(
        tmp_path / "bot.log", AFA_WEBHOOK_URL=url, AFA_WEBHOOK_PORT=str(port), AFA_WEBHOOK_SECRET="s3cret-token"
    )
    try:
        hooked.start(ready_call="setWebhook")
        registered = api.wait_call("setWebhook", lambda c: c.params.get("url") == url)
        assert registered.params["secret_token"] == "s3cret-token"
        person = Person(api, language_code="de")
        update = {
            "update_id": 990001,
            "message": {
                "message_id": 1, "date": int(time.time()), "text": "Hallo",
                "chat": {"id": person.id, "type": "private", "first_name": "Test"},
                "from": person.user,
            },
        }
        _wait_listening(port)
        for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
            answer = requests.post(url, data=json.dumps(update), headers={"Content-Type": "application/json", **headers}, timeout=10)
            assert answer.status_code == 403
        with pytest.raises(AssertionError):  # nothing was processed
            api.wait_messages(person.id, timeout=2)
        good = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": "s3cret-token"}
        assert requests.post(url, data=json.dumps(update), headers=good, timeout=10).status_code == 200
        assert gettext("de", RESPONSES["utter_greet"].text)[:30] in settle(api, person.id, 0)[0].text
    finally:
        hooked.stop()
        front_end.start()


def _wait_listening(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"nothing listens on {port}")


def test_telegram_away_longer_than_the_rate_limiters_retries_still_gets_the_reply(front_end, telegram_api) -> None:  # type: ignore[no-untyped-def]
    api = telegram_api
    person = Person(api, language_code="ro")
    api.fail("sendMessage", 502, count=8)  # the limiter gives up after 6 attempts; the reply waits and goes later
    after = person.seen
    api.send_text(person.id, "Bună ziua! Cine finanțează proiectul?", person.user)
    reply = settle(api, person.id, after, timeout=60)
    assert "ESF" in person.text(reply)
    assert len([c for c in api.calls if c.method == "sendMessage" and c.failed and c.status == 502]) >= 8
