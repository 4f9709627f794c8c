"""Privacy in the conversation core, on every channel: the notice after the first reply, `/privacy` and "what do you
store about me?", deletion with a confirmation (erased after Rasa saved the turn), a copy of one's data.

Over the REST channel (the session's servers, SQL tracker store on SQLite), the terminal chat, Rasa's in-memory
store, the erasing tracker store on SQLite and PostgreSQL, and two Rasa servers sharing PostgreSQL and Redis.
Texts are compared with the catalogues, so a test proves the language, not a wording.
"""
from __future__ import annotations

import asyncio
import builtins
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import func, inspect, select, text
from sqlalchemy.orm import Session

from afa.db import ConsentRecord, ConversationPref, Team, UnansweredQuestion, create_schema, make_engine, utcnow
from afa.handover import open_handover, record
from afa import LANGUAGES
from afa.i18n import gettext, language_name, list_of
from afa.privacy import ERASURE_SLOT, pseudonym, purge
from afa.responses import (
    BTN_DATA_COPY, BTN_DELETE, BTN_DELETE_NO, BTN_DELETE_YES, BTN_PRIVACY, COPY_QUESTIONS, COPY_STATUS, COPY_TITLE,
    RESPONSES,
)
from afa.settings import PROJECT_ROOT, Settings
from tests.conftest import Bot, everything_in, free_port, new_sender, seed

PERIODS = {"days": 90, "handover_days": 180}


def title_start(language: str) -> str:
    """The first words of a data copy's title (before its date)."""
    return gettext(language, COPY_TITLE, date="").split("(")[0].strip()


def said(language: str, response: str, **params: Any) -> str:
    spec = RESPONSES[response]
    return gettext(language, spec.text, **(PERIODS if "{days}" in spec.text else {}), **params)


def payloads(message: dict[str, Any]) -> list[str]:
    return [b["payload"] for b in message.get("buttons") or []]


def events_of(database_url: str, sender: str) -> int:
    engine = make_engine(database_url)
    with engine.connect() as connection:
        count = connection.execute(text("SELECT count(*) FROM events WHERE sender_id = :s"), {"s": sender}).scalar()
    engine.dispose()
    return int(count)


def stored_questions(database_url: str, sender: str) -> list[str]:
    engine = make_engine(database_url)
    with Session(engine, future=True) as session:
        key = pseudonym(sender, Settings())
        rows = session.execute(select(UnansweredQuestion.text).where(UnansweredQuestion.conversation_key == key)).scalars()
        found = list(rows)
    engine.dispose()
    return found


def consent_of(database_url: str, sender: str) -> ConsentRecord | None:
    engine = make_engine(database_url)
    with Session(engine, future=True, expire_on_commit=False) as session:
        found = session.get(ConsentRecord, sender)
    engine.dispose()
    return found


# --- over the REST channel ------------------------------------------------------------------------------------------
@pytest.mark.server
@pytest.mark.parametrize(
    ("language", "first", "answer_part"),
    [
        ("de", "Wer finanziert das Projekt?", "Europäischen Sozialfonds"),
        ("bg", "Кой финансира проекта?", "Европейския социален фонд"),
        ("bg", "koi finansira proekta", "Европейския социален фонд"),
        ("tr", "Merhaba", "Merhaba"),
    ],
)
def test_first_contact_gets_the_notice_after_the_first_reply(bot: Bot, language: str, first: str, answer_part: str) -> None:
    sender = new_sender()
    replies = bot.say(sender, first)
    assert answer_part in replies[0]["text"]  # the answer first, as before
    notice = replies[-1]
    assert notice["text"] == said(language, "utter_privacy_notice")
    assert payloads(notice) == ["/privacy", "/delete"]
    assert [b["title"] for b in notice["buttons"]] == [gettext(language, BTN_PRIVACY.title), gettext(language, BTN_DELETE.title)]
    assert consent_of(bot.settings.database_url, sender) is not None  # when it was shown: the consent record
    later = bot.say(sender, first)
    assert said(language, "utter_privacy_notice") not in [m.get("text") for m in later]


@pytest.mark.server
@pytest.mark.parametrize(
    ("language", "question"),
    [
        ("de", "Was speichert ihr eigentlich über mich?"),
        ("ro", "ce date stocati despre mine?"),
        ("bg", "кой чете какво пиша тук?"),
        ("bg", "koi chete saobshteniata mi"),
        ("tr", "mesajlarımı kim okuyor?"),
    ],
)
def test_what_do_you_store_gets_the_privacy_text(bot: Bot, language: str, question: str) -> None:
    sender = new_sender()
    replies = bot.say(sender, question, language_code=language)
    assert replies[0]["text"] == said(language, "utter_privacy")
    assert payloads(replies[0]) == [BTN_DATA_COPY.payload, BTN_DELETE.payload]
    # The full text counts as the notice: not shown on top, nor on the next turn.
    assert len(replies) == 1 and consent_of(bot.settings.database_url, sender) is not None
    assert said(language, "utter_privacy_notice") not in bot.text(sender, "👍")


@pytest.mark.server
def test_privacy_command_and_the_notice_button_on_rest(bot: Bot) -> None:
    sender = new_sender()
    notice = bot.say(sender, "Bună ziua")[-1]
    assert notice["text"] == said("ro", "utter_privacy_notice")
    shown = bot.say(sender, payloads(notice)[0])  # the "Privacy" button
    assert shown[0]["text"] == said("ro", "utter_privacy")
    assert bot.say(sender, "/privacy")[0]["text"] == said("ro", "utter_privacy")
    helped = bot.say(sender, "/help")  # the help offers the privacy text on every channel
    assert "/privacy" in payloads(helped[-1])


@pytest.mark.server
@pytest.mark.parametrize(
    ("language", "request_text"),
    [
        ("de", "Bitte löschen Sie alle meine Daten"),
        ("bg", "Изтрийте всичко, което пазите за мен"),
        ("bg", "iztriite vsichki moi danni molya"),
        ("tr", "/delete"),
    ],
)
def test_delete_my_data_asks_first_then_erases_the_tracker_events(
    bot: Bot, language: str, request_text: str
) -> None:
    url = bot.settings.database_url
    sender, other = new_sender(), new_sender()
    bot.say(other, "Wer finanziert das Projekt?")
    greeting = {"de": "Guten Tag", "bg": "Здравейте", "tr": "Merhaba"}[language]
    bot.say(sender, greeting, language_code=language)
    bot.say(sender, "Ich wohne in Marxloh" if language == "de" else greeting)
    assert bot.slots(sender)["language"] == language
    asked = bot.say(sender, request_text)
    assert [m["text"] for m in asked] == [said(language, "utter_ask_deletion")]
    assert payloads(asked[0]) == [BTN_DELETE_YES.payload, BTN_DELETE_NO.payload]
    assert [b["title"] for b in asked[0]["buttons"]] == [gettext(language, BTN_DELETE_YES.title),
                                                         gettext(language, BTN_DELETE_NO.title)]
    assert events_of(url, sender) > 0 and stored_questions(url, sender) == []  # nothing of it kept for review

    done = bot.say(sender, BTN_DELETE_YES.payload)
    assert [m["text"] for m in done] == [said(language, "utter_deletion_done")]
    # Rasa saved this turn, then the tracker store erased the conversation: no row of it is left.
    assert events_of(url, sender) == 0
    left = everything_in(url)
    assert sender not in left and consent_of(url, sender) is None
    assert events_of(url, other) > 0 and consent_of(url, other) is not None  # someone else's data stays
    again = bot.say(sender, greeting, language_code=language)  # a new conversation, with a new notice
    assert again[-1]["text"] == said(language, "utter_privacy_notice")


@pytest.mark.server
def test_cancelling_keeps_everything(bot: Bot) -> None:
    url = bot.settings.database_url
    sender = new_sender()
    kept = f"Merhaba, ben {sender}, Marxloh'ta oturuyorum"
    bot.say(sender, kept)
    before = events_of(url, sender)
    assert bot.text(sender, "verilerimi silin lütfen") == said("tr", "utter_ask_deletion")
    assert bot.text(sender, BTN_DELETE_NO.payload) == said("tr", "utter_deletion_cancelled")
    assert events_of(url, sender) > before and consent_of(url, sender) is not None
    assert kept in everything_in(url)
    assert bot.slots(sender)[ERASURE_SLOT] is None


@pytest.mark.server
@pytest.mark.parametrize(("language", "request_text", "yes"), [("ro", "ștergeți datele mele", "da"),
                                                               ("bg", "iztrii dannite mi", "da")])
def test_confirming_in_words_erases(bot: Bot, language: str, request_text: str, yes: str) -> None:
    url = bot.settings.database_url
    sender = new_sender()
    bot.say(sender, {"ro": "Bună ziua", "bg": "zdraveite"}[language], language_code=language)
    assert bot.text(sender, request_text) == said(language, "utter_ask_deletion")
    assert bot.text(sender, yes) == said(language, "utter_deletion_done")
    assert events_of(url, sender) == 0 and consent_of(url, sender) is None


@pytest.mark.server
def test_deletion_asked_in_a_language_we_do_not_serve_is_acted_on_in_german(bot: Bot) -> None:
    url = bot.settings.database_url
    sender = new_sender()
    bot.say(sender, "Hi, what's the weather like in Duisburg tomorrow?")
    served = list_of([language_name(code, "de") for code in LANGUAGES], "de")
    assert bot.text(sender, "I'm looking for a cleaning job") == said("de", "utter_unsupported_language", languages=served)
    assert bot.text(sender, "could you please delete all of my data") == said("de", "utter_ask_deletion")
    assert bot.text(sender, BTN_DELETE_YES.payload) == said("de", "utter_deletion_done")
    assert events_of(url, sender) == 0 and consent_of(url, sender) is None


@pytest.mark.server
def test_nothing_written_while_asking_for_deletion_is_kept_for_review(bot: Bot) -> None:
    url = bot.settings.database_url
    sender = new_sender()
    bot.say(sender, "Hallo")
    assert bot.text(sender, "Daten löschen") == said("de", "utter_ask_deletion")
    unclear = "äh wie jetzt, xqzt brmpf??"
    assert bot.text(sender, unclear) == said("de", "utter_ask_deletion")  # asked again, not "noted for review"
    assert stored_questions(url, sender) == []
    assert bot.text(sender, "nein") == said("de", "utter_deletion_cancelled")
    # The control: the same words outside the deletion dialogue are kept for review, as any question not understood.
    bot.say(sender, unclear)
    assert stored_questions(url, sender) == [unclear]


def test_a_doubtful_deletion_request_is_asked_about_not_stored(trained_model: Path) -> None:
    """However unsure NLU is, a message that may ask for deletion never reaches the fallback that stores it."""
    from rasa.core.agent import Agent
    from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    agent = Agent.load(str(trained_model))

    def next_action(ranking: list[tuple[str, float]]) -> str:
        parse = {"text": "alles weg bitte", "intent": {"name": "nlu_fallback", "confidence": 0.3}, "entities": [],
                 "intent_ranking": [{"name": "nlu_fallback", "confidence": 0.3},
                                    *({"name": n, "confidence": c} for n, c in ranking)]}
        tracker = DialogueStateTracker.from_events("doubtful", [
            ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen"),
            UserUttered(parse["text"], parse["intent"], [], parse),
        ], slots=agent.domain.slots)
        action, _prediction = agent.processor.predict_next_with_tracker_if_should(tracker)
        return action.name()

    assert next_action([("request_deletion", 0.22), ("faq/contact", 0.2)]) == "utter_ask_deletion"
    assert next_action([("request_deletion", 0.08), ("greet", 0.07), ("faq/contact", 0.06)]) == "utter_ask_deletion"
    assert next_action([("faq/contact", 0.22), ("request_deletion", 0.21)]) == "action_not_understood"


@pytest.mark.server
def test_a_copy_of_ones_data_over_rest(bot: Bot) -> None:
    url = bot.settings.database_url
    sender, other = new_sender(), new_sender()
    bot.say(other, "Wer finanziert das Projekt? Ich heiße Bogdan")
    bot.say(sender, "Guten Tag, ich wohne in Marxloh")
    question = "Wie backe ich einen Käsekuchen?"
    bot.say(sender, question)
    assert stored_questions(url, sender) == [question]
    # A handover as the Telegram front end keeps it: the person's words, and a coach's, who must not appear.
    engine = make_engine(url)
    with Session(engine, future=True) as session, session.begin():
        team = session.execute(select(Team).where(Team.district == "marxloh")).scalar_one()
        handover, _ = open_handover(session, sender, team, "de", None, "{}")
        record(session, handover, "user", kind="text", text="Meine Nummer ist 0176 5550123", source_chat_id=1,
               source_message_id=1)
        record(session, handover, "coach", kind="text", text="Coach Kathrin hier, ich rufe an", sender_id=7001,
               sender_name="Kathrin", source_chat_id=2, source_message_id=2)
        handover_id = handover.id
    engine.dispose()

    for asked in ("/mydata", "Schicken Sie mir bitte, was Sie über mich gespeichert haben"):
        replies = bot.say(sender, asked)
        assert len(replies) == 1 and payloads(replies[0]) == ["/delete"]  # one text; no file on REST
        copy = replies[0]["text"]
        assert copy.startswith(title_start("de"))
        for expected in ("Guten Tag, ich wohne in Marxloh", question, "Meine Nummer ist 0176 5550123", f"#{handover_id}",
                         gettext("de", COPY_STATUS["waiting"]), gettext("de", COPY_QUESTIONS, count=1),
                         language_name("de", "de"), "Marxloh"):
            assert expected in copy, expected
        for absent in ("Bogdan", "Kathrin", "ich rufe an", "/mydata"):
            assert absent not in copy, absent


@pytest.mark.server
@pytest.mark.parametrize(("language", "asked", "first"), [
    ("ro", "trimiteti-mi ce ati salvat despre mine", "Bună ziua, stau în Hochfeld"),
    ("bg", "Изпратете ми какво пазите за мен", "Здравейте, живея в Хохфелд"),
    ("bg", "iskam kopie ot dannite si", "zdraveite, jiveya v hochfeld"),
])
def test_a_copy_in_the_persons_language(bot: Bot, language: str, asked: str, first: str) -> None:
    sender = new_sender()
    bot.say(sender, first)
    copy = bot.text(sender, asked)
    assert copy.startswith(title_start(language))
    assert first in copy and language_name(language, language) in copy and "Hochfeld" in copy
    assert gettext(language, COPY_QUESTIONS, count=0).split("(")[0] in copy


# --- the terminal chat ---------------------------------------------------------------------------------------------
@pytest.mark.server
def test_delete_in_the_terminal_chat(bot: Bot, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    from afa import chat

    fixed = uuid.uuid4()
    monkeypatch.setattr(chat.uuid, "uuid4", lambda: fixed)
    monkeypatch.delenv("LANG", raising=False)
    sender = f"cli:{fixed.hex[:8]}"
    url = bot.settings.database_url
    seen: dict[str, int] = {}
    lines = iter(["Merhaba", "/delete", "1"])  # "1": the first button, as the chat shows buttons

    def typed(prompt: str = "") -> str:
        line = next(lines, None)
        if line is None:
            raise EOFError  # Ctrl-D
        if line == "/delete":  # the conversation so far is in Rasa's events
            seen["before"] = events_of(url, sender)
        return line

    monkeypatch.setattr(builtins, "input", typed)
    assert chat.chat(bot.settings.rasa_url) == 0
    shown = capsys.readouterr().out
    assert said("tr", "utter_ask_deletion") in shown
    assert f"[1] {gettext('tr', BTN_DELETE_YES.title)}" in shown and f"[2] {gettext('tr', BTN_DELETE_NO.title)}" in shown
    assert said("tr", "utter_deletion_done") in shown
    assert seen["before"] > 0 and events_of(url, sender) == 0 and consent_of(url, sender) is None


# --- Rasa's in-memory tracker store --------------------------------------------------------------------------------
@pytest.mark.server
def test_erasure_with_the_in_memory_tracker_store(trained_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from afa.serve import Services

    url = f"sqlite:///{tmp_path / 'memory.db'}"
    for name, value in {"DATABASE_URL": url, "AFA_TRACKER_STORE": "memory", "RASA_PORT": str(free_port()),
                        "ACTION_PORT": str(free_port())}.items():
        monkeypatch.setenv(name, value)
    engine = make_engine(url)
    create_schema(engine)
    seed(engine)
    engine.dispose()
    settings = Settings()
    sender = "memory-person"
    with Services(settings, trained_model, log_dir=tmp_path / "logs"):
        memory = Bot(settings)
        memory.say(sender, "Hallo, wer finanziert das Projekt?")
        tracker = requests.get(f"{settings.rasa_url}/conversations/{sender}/tracker", timeout=30).json()
        assert [e["text"] for e in tracker["events"] if e["event"] == "user"] == ["Hallo, wer finanziert das Projekt?"]
        assert consent_of(url, sender) is not None
        assert memory.text(sender, "/delete") == said("de", "utter_ask_deletion")
        assert memory.text(sender, BTN_DELETE_YES.payload) == said("de", "utter_deletion_done")
        # Rasa no longer holds the conversation: asked for it, it starts an empty one.
        tracker = requests.get(f"{settings.rasa_url}/conversations/{sender}/tracker", timeout=30).json()
        assert [e for e in tracker["events"] if e["event"] in ("user", "bot")] == []
        assert consent_of(url, sender) is None
        assert memory.say(sender, "Hallo")[-1]["text"] == said("de", "utter_privacy_notice")  # from the beginning
    engine = make_engine(url)
    assert "events" not in inspect(engine).get_table_names()  # the conversation was never on disk
    engine.dispose()


# --- the erasing tracker store itself, on SQLite and PostgreSQL ----------------------------------------------------
def _turn(store: Any, sender: str, words: str, erase: bool = False) -> None:
    """One turn as Rasa saves it: the tracker retrieved (or created), events added, saved."""
    from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered

    async def run() -> None:
        tracker = await store.get_or_create_tracker(sender)
        tracker.update(UserUttered(words, {"name": "greet", "confidence": 1.0}))
        tracker.update(BotUttered("Hallo!"))
        if erase:
            tracker.update(ActionExecuted("action_erase_conversation"))
            tracker.update(SlotSet(ERASURE_SLOT, True))
        await store.save(tracker)

    asyncio.run(run())


def _rasa_sql_store(url: str) -> Any:
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain

    from afa.serve import tracker_store_config

    config = tracker_store_config(url)
    config.pop("type")
    return SQLTrackerStore(Domain.load(str(PROJECT_ROOT / "domain.yml")), host=config.pop("url", None), **config)


def _check_the_store_erases_after_saving(url: str) -> None:
    from afa.serve import sql_tracker_store

    engine = make_engine(url)
    create_schema(engine)
    seed(engine)
    store = sql_tracker_store(url, PROJECT_ROOT)
    with Session(engine, future=True) as session, session.begin():
        for sender in ("ayse", "bogdan"):
            session.add(ConsentRecord(conversation_id=sender))
            session.add(ConversationPref(conversation_id=sender, language="tr"))
    _turn(store, "ayse", "Merhaba")
    _turn(store, "bogdan", "Bună ziua")
    assert events_of(url, "ayse") > 0
    _turn(store, "ayse", "evet, silin", erase=True)
    assert events_of(url, "ayse") == 0 and events_of(url, "bogdan") > 0
    with Session(engine, future=True) as session:
        assert session.get(ConsentRecord, "ayse") is None and session.get(ConversationPref, "ayse") is None
        assert session.get(ConsentRecord, "bogdan") is not None
    # Should the erasure have failed after saving, the saved marker remains, and the purge finishes the job.
    plain = _rasa_sql_store(url)  # Rasa's own store: it saves the marker, and erases nothing
    _turn(plain, "carla", "Bună", erase=True)
    assert events_of(url, "carla") > 0
    with Session(engine, future=True) as session, session.begin():
        counts = purge(session, utcnow(), Settings())
    assert counts["pending erasures"] == 1 and events_of(url, "carla") == 0 and events_of(url, "bogdan") > 0
    store.engine.dispose()
    plain.engine.dispose()
    engine.dispose()


def test_the_erasing_store_on_sqlite(database_url: str) -> None:
    _check_the_store_erases_after_saving(database_url)


@pytest.mark.postgres
def test_the_erasing_store_on_postgresql(postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", postgres_url)
    _check_the_store_erases_after_saving(postgres_url)


# --- two Rasa servers, one PostgreSQL, Rasa's Redis lock store -----------------------------------------------------
@pytest.mark.server
@pytest.mark.postgres
def test_erasure_with_two_rasa_servers(postgres_url: str, trained_model: Path, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from afa.serve import Services

    for name, value in {"DATABASE_URL": postgres_url, "AFA_TRACKER_STORE": "sql",
                        "REDIS_URL": "redis://127.0.0.1:6379/0"}.items():
        monkeypatch.setenv(name, value)
    engine = make_engine(postgres_url)
    create_schema(engine)
    seed(engine)
    servers = []
    for name in ("a", "b"):
        monkeypatch.setenv("RASA_PORT", str(free_port()))
        monkeypatch.setenv("ACTION_PORT", str(free_port()))
        servers.append(Services(Settings(), trained_model, log_dir=tmp_path / name))
    sender = "two-servers-privacy"
    with servers[0], servers[1]:
        a, b = (Bot(server.settings) for server in servers)
        a.say(sender, "Здравейте")
        b.say(sender, "Кой финансира проекта?")
        assert a.text(sender, "Изтрийте данните ми") == said("bg", "utter_ask_deletion")
        assert b.text(sender, BTN_DELETE_YES.payload) == said("bg", "utter_deletion_done")
        assert events_of(postgres_url, sender) == 0
        again = a.say(sender, "Здравейте")  # the other server does not bring it back: a new conversation
        assert again[-1]["text"] == said("bg", "utter_privacy_notice")
    with Session(engine, future=True) as session:
        users = session.execute(text("SELECT data FROM events WHERE sender_id = :s AND type_name = 'user'"),
                                {"s": sender}).scalars().all()
        assert len(users) == 1 and session.scalar(select(func.count()).select_from(ConsentRecord)) == 1
    engine.dispose()
