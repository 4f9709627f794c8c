"""Handler logic with an offline `Application` (no polling): updates go in through `process_update`.

The Application still makes real HTTP calls: to the recording Bot API server and to the running Rasa.
"""
from __future__ import annotations

import asyncio
import os
from typing import Any

import pytest
from telegram import Update

from afa.db import make_engine
from afa.handover import remembered_language
from afa.i18n import gettext
from afa.responses import RESPONSES
from afa.settings import Settings
from bot import texts
from bot.app import build_application
from bot.ordering import PerChatOrder, ordering_key
from bot.replies import MAX_CALLBACK_DATA, ButtonCodec, split_text
from tests.conftest import free_port
from tests.telegram_user import Person


def test_split_text_cuts_at_paragraphs_then_lines_then_words() -> None:
    paragraphs = ["A" * 3000, "B" * 3000, "C" * 100]
    pieces = split_text("\n\n".join(paragraphs))
    assert pieces == ["A" * 3000, "B" * 3000 + "\n\n" + "C" * 100]
    words = split_text(" ".join(["wort"] * 3000))
    assert all(len(p) <= 4096 for p in words) and " ".join(words) == " ".join(["wort"] * 3000)
    assert [len(p) for p in split_text("x" * 10000)] == [4096, 4096, 1808]
    assert split_text("kurz") == ["kurz"]


def test_button_codec_keeps_long_payloads_within_telegrams_limit() -> None:
    codec = ButtonCodec()
    short = codec.encode('/inform{"target_group": "women"}')
    assert codec.decode(short) == '/inform{"target_group": "women"}'
    long_payload = '/inform{"target_group": "school_transition", "district": "hochfeld", "x": "' + "y" * 40 + '"}'
    data = codec.encode(long_payload)
    assert len(data.encode()) <= MAX_CALLBACK_DATA and codec.decode(data) == long_payload
    assert codec.decode("h:forged") is None and codec.decode("p:no-slash") is None and codec.decode(None) is None


def _update(kind: str, chat_id: int, user_id: int) -> Update:
    chat = {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"}
    message = {"message_id": 1, "date": 0, "chat": chat, "from": {"id": user_id, "is_bot": False, "first_name": "T"}, "text": "x"}
    return Update.de_json({"update_id": 1, kind: message}, None)


def test_updates_of_one_chat_run_in_order_and_different_chats_in_parallel() -> None:
    async def scenario() -> list[str]:
        processor = PerChatOrder(16)
        log: list[str] = []

        async def work(name: str, pause: float) -> None:
            log.append(f"{name}+")
            await asyncio.sleep(pause)
            log.append(f"{name}-")

        await asyncio.gather(
            processor.do_process_update(_update("message", 1, 1), work("a1", 0.2)),
            processor.do_process_update(_update("message", 1, 1), work("a2", 0.0)),
            processor.do_process_update(_update("message", 2, 2), work("b1", 0.05)),
        )
        return log

    log = asyncio.run(scenario())
    assert log.index("a1-") < log.index("a2+")  # same chat: strictly one after the other
    assert log.index("b1+") < log.index("a1-")  # another chat does not wait
    assert ordering_key(_update("message", -5, 7)) == (-5, 7) and ordering_key(_update("message", 5, 5)) == 5


@pytest.fixture()
def offline(bot, telegram_api) -> Any:  # type: ignore[no-untyped-def]
    """An Application on the recording Bot API server and the running Rasa, initialised but not polling."""
    os.environ.update({"TELEGRAM_BOT_TOKEN": "123456:OFFLINE", "TELEGRAM_API_URL": telegram_api.base_url})
    settings = Settings()
    engine = make_engine(settings.database_url)
    loop = asyncio.new_event_loop()  # one loop for the Application's whole life, as in a running bot
    application = loop.run_until_complete(_built(settings, engine))
    loop.run_until_complete(application.initialize())
    yield application, engine, loop
    loop.run_until_complete(application.shutdown())
    loop.close()
    for name in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_API_URL"):
        os.environ.pop(name, None)


async def _built(settings: Settings, engine: Any) -> Any:
    return build_application(settings, engine)


def _process(offline, update: dict) -> None:  # type: ignore[no-untyped-def]
    application, _, loop = offline
    loop.run_until_complete(application.process_update(Update.de_json(update, application.bot)))


@pytest.mark.server
def test_deep_link_sets_district_and_language(offline, telegram_api, bot) -> None:  # type: ignore[no-untyped-def]
    engine = offline[1]
    person = Person(telegram_api, language_code="de")
    update = telegram_api.send_text(person.id, "/start hochfeld_ro", person.user)
    _process(offline, update)
    greeting = person.last_reply()
    assert greeting.text == gettext("ro", RESPONSES["utter_greet"].text)
    slots = bot.slots(str(person.id))
    assert (slots["district"], slots["language"], slots["language_locked"]) == ("hochfeld", "ro", True)
    from sqlalchemy.orm import Session

    with Session(engine, future=True) as session:
        assert remembered_language(session, str(person.id)) == "ro"


@pytest.mark.server
def test_a_pressed_button_is_marked_and_its_payload_answered(offline, telegram_api) -> None:  # type: ignore[no-untyped-def]
    person = Person(telegram_api, language_code="bg")
    _process(offline, telegram_api.send_text(person.id, "/help", person.user))
    menu = person.last_reply()
    assert menu.text == gettext("bg", RESPONSES["utter_help"].text)
    funding = next(b for b in menu.buttons if b["callback_data"] == "p:/faq/funding")
    _process(offline, telegram_api.press(person.id, menu.message_id, funding["callback_data"], person.user))
    marked = telegram_api.message(person.id, menu.message_id)
    assert marked.buttons == [] and marked.text.endswith("» " + funding["text"])
    assert "ESF" in telegram_api.messages(person.id)[-1].text


@pytest.mark.server
def test_unknown_commands_and_the_language_command(offline, telegram_api) -> None:  # type: ignore[no-untyped-def]
    person = Person(telegram_api, language_code="tr")
    _process(offline, telegram_api.send_text(person.id, "/language", person.user))
    asked = person.last_reply()
    assert [b["text"] for b in asked.buttons] == ["Deutsch", "Türkçe", "Български", "Română"]
    _process(offline, telegram_api.send_text(person.id, "/cancel", person.user))
    assert telegram_api.messages(person.id)[-1].text == gettext("tr", texts.NOTHING_TO_CANCEL)
    _process(offline, telegram_api.send_text(person.id, "/yardim", person.user))
    assert telegram_api.messages(person.id)[-1].text == gettext("tr", RESPONSES["utter_help"].text)


@pytest.mark.server
def test_database_briefly_away_one_moment_then_the_answer(offline, telegram_api) -> None:  # type: ignore[no-untyped-def]
    application, engine, loop = offline
    fe = application.bot_data["afa"]
    fe.engine = make_engine(f"postgresql+psycopg2://postgres@127.0.0.1:{free_port()}/gone")  # nothing listens there
    person = Person(telegram_api, language_code="bg")
    update = Update.de_json(telegram_api.send_text(person.id, "Кой финансира проекта?", person.user), application.bot)

    async def scenario() -> None:
        turn = asyncio.ensure_future(application.process_update(update))
        while not telegram_api.messages(person.id):
            await asyncio.sleep(0.05)
        fe.engine = engine  # the database is back
        await asyncio.wait_for(turn, 60)

    loop.run_until_complete(scenario())
    first, *rest = telegram_api.messages(person.id)
    assert first.text == gettext("bg", texts.ONE_MOMENT)
    assert any("ESF" in m.text for m in rest)


@pytest.mark.server
def test_two_front_ends_post_one_card(offline, telegram_api) -> None:  # type: ignore[no-untyped-def]
    """Several front ends behind a load balancer: the database decides who posts a handover's card."""
    from dataclasses import replace

    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from afa.db import Handover, Team
    from bot.handover import post_card

    application, engine, loop = offline
    group = -100999000777
    telegram_api.add_chat(group, type="supergroup", title="Team")
    with Session(engine, future=True) as session, session.begin():
        team = session.execute(select(Team).where(Team.district == "marxloh")).scalar_one()
        handover = Handover(conversation_id="card-race", team_id=team.id, language="tr", summary="{}", group_chat_id=group)
        session.add(handover)
        session.flush()
        handover_id = handover.id
    first = application.bot_data["afa"]
    second = replace(first, relay_locks={}, forum_groups={}, noticed=set())  # another process's state
    async def race() -> None:
        await asyncio.gather(*(post_card(fe, application.bot, handover_id) for fe in (first, second, first)))

    loop.run_until_complete(race())
    cards = [m for m in telegram_api.messages(group) if m.buttons]
    assert len(cards) == 1 and cards[0].buttons[0]["callback_data"] == f"acc:{handover_id}"
    with Session(engine, future=True) as session:
        assert session.get(Handover, handover_id).card_message_id == cards[0].message_id
