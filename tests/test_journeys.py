"""Conversations over real HTTP: `rasa run` (REST channel + HTTP API) and the action server with NLG."""
from __future__ import annotations

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from afa.db import FaqAnswer, UnansweredQuestion, make_engine
from conftest import Bot, new_sender

pytestmark = pytest.mark.server

# (language, greeting, FAQ question, a fact the answer must state, a word of the greeting in that language)
JOURNEYS = [
    ("de", "Hallo!", "Wer finanziert das Projekt?", "Europäischen Sozialfonds", "Hallo"),
    ("tr", "Merhaba", "Projeyi kim finanse ediyor?", "Avrupa Sosyal Fonu", "Merhaba"),
    ("bg", "Здравейте", "Кой финансира проекта?", "Европейския социален фонд", "Здравейте"),
    ("ro", "Bună ziua", "Cine finanțează proiectul?", "Fondul Social European", "Bună"),
]


@pytest.mark.parametrize(("language", "greeting", "question", "fact", "hello"), JOURNEYS)
def test_greet_then_faq_answered_in_the_writers_language(
    bot: Bot, language: str, greeting: str, question: str, fact: str, hello: str
) -> None:
    sender = new_sender()
    replies = bot.say(sender, greeting)
    assert hello in replies[0]["text"]
    assert len(replies[0]["buttons"]) == 4
    answer = bot.text(sender, question)
    assert fact in answer and "ESF" in answer
    assert bot.slots(sender)["language"] == language


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("koi finansira proekta", "bg", "Европейския социален фонд"),
        ("kim finanse ediyor projeyi", "tr", "Avrupa Sosyal Fonu"),
        ("cand a fost proiectul", "ro", "28 februarie 2015"),
        ("wann lief das projekt", "de", "28. Februar 2015"),
        ("kimler katilabilir", "tr", "•"),
        ("telefon numaraniz ne", "tr", "0203/99429-31"),
    ],
)
def test_noisy_questions_without_diacritics(bot: Bot, text: str, language: str, expected: str) -> None:
    sender = new_sender()
    assert expected in bot.text(sender, text)
    assert bot.slots(sender)["language"] == language


def test_parse_and_webhook_agree(bot: Bot) -> None:
    parsed = bot.parse("Кой финансира проекта?")
    assert parsed["intent"]["name"] == "faq"
    assert parsed["response_selector"]["faq"]["response"]["intent_response_key"] == "faq/funding"
    assert parsed["language"]["code"] == "bg"
    assert "Европейския социален фонд" in bot.text(new_sender(), "Кой финансира проекта?")


def test_entities_are_canonical(bot: Bot) -> None:
    parsed = bot.parse("Marxloh'ta oturuyorum, kadınlar için kurs var mı?")
    values = {(e["entity"], e["value"]) for e in parsed["entities"]}
    assert {("district", "marxloh"), ("target_group", "women")} <= values
    parsed = bot.parse("живея в Хохфелд, от Jobcenter получавам пари")
    values = {(e["entity"], e["value"]) for e in parsed["entities"]}
    assert ("district", "hochfeld") in values


def test_short_messages_keep_the_language(bot: Bot) -> None:
    sender = new_sender()
    bot.say(sender, "Merhaba, programınız hakkında bilgi almak istiyorum")
    for short in ("ok", "👍", "Danke"):
        bot.say(sender, short)
        assert bot.slots(sender)["language"] == "tr", short


def test_language_hint_from_metadata_when_the_text_cannot_tell(bot: Bot) -> None:
    sender = new_sender()
    text = bot.text(sender, "👍", language_code="ro-RO")
    assert bot.slots(sender)["language"] == "ro"
    assert text  # answered, in Romanian
    sender = new_sender()
    bot.say(sender, "👋")
    assert bot.slots(sender)["language"] == "de"


def test_change_language_switches_and_sticks(bot: Bot) -> None:
    sender = new_sender()
    bot.say(sender, "Hallo, wer finanziert das?")
    assert "Română" in bot.text(sender, "vreau in romana va rog")
    assert bot.slots(sender)["language"] == "ro"
    bot.say(sender, "Wer organisiert das Projekt?")
    assert bot.slots(sender)["language"] == "ro"


def test_language_buttons(bot: Bot) -> None:
    sender = new_sender()
    replies = bot.say(sender, "/change_language")
    titles = [b["title"] for b in replies[0]["buttons"]]
    assert titles == ["Deutsch", "Türkçe", "Български", "Română"]
    assert "Български" in bot.text(sender, replies[0]["buttons"][2]["payload"])
    assert bot.slots(sender)["language"] == "bg"


@pytest.mark.parametrize("text", ["Hello, I am looking for a job in Duisburg", "مرحبا، أبحث عن عمل", "Dzień dobry, szukam pracy"])
def test_unknown_language_gets_german_and_language_buttons(bot: Bot, text: str) -> None:
    replies = bot.say(new_sender(), text)
    assert "Türkisch, Bulgarisch und Rumänisch" in replies[0]["text"]
    assert [b["title"] for b in replies[0]["buttons"]] == ["Deutsch", "Türkçe", "Български", "Română"]


def test_faq_buttons_work_without_nlu(bot: Bot) -> None:
    sender = new_sender()
    bot.say(sender, "Merhaba")
    assert "0203/99429-70" in bot.text(sender, "/faq/contact")


def test_not_understood_is_honest_and_stored(bot: Bot) -> None:
    sender = new_sender()
    bot.say(sender, "Bună ziua, am o întrebare")
    question = "Cât costă un bilet de tren până la Köln?"
    replies = bot.say(sender, question)
    assert "Îmi pare rău" in replies[0]["text"] or "n-am înțeles" in replies[0]["text"] or "nu am înțeles" in replies[0]["text"]
    assert len(replies[0]["buttons"]) == 4
    engine = make_engine(bot.settings.database_url)
    with Session(engine, future=True) as session:
        row = session.scalar(select(UnansweredQuestion).where(UnansweredQuestion.text == question))
    engine.dispose()
    assert row is not None and row.language == "ro" and row.created_at is not None
    assert row.confidence is not None


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "👍👍👍",
        "<b>bold</b> & <script>alert(1)</script> *x* _y_ `z` [a](http://b)",
        "Merhaba Здравейте Bună ziua Hallo",
        "ış" * 5000,
        "Marxloh " * 1250,
    ],
)
def test_bad_input_gets_a_clear_answer(bot: Bot, text: str) -> None:
    replies = bot.say(new_sender(), text)
    assert replies and all(r.get("text") for r in replies)


def test_empty_message_is_told_so(bot: Bot) -> None:
    replies = bot.say(new_sender(), "")
    assert "leer" in replies[0]["text"]


def test_a_database_edit_shows_in_the_next_reply(bot: Bot) -> None:
    sender = new_sender()
    before = bot.text(sender, "Wer ist der Träger des Projekts?")
    assert "EG DU" in before
    engine = make_engine(bot.settings.database_url)
    with Session(engine, future=True) as session, session.begin():
        old = session.scalar(select(FaqAnswer.text).where(FaqAnswer.key == "organiser", FaqAnswer.language == "de"))
        session.execute(
            update(FaqAnswer)
            .where(FaqAnswer.key == "organiser", FaqAnswer.language == "de")
            .values(text="Geänderte Antwort der Redaktion.")
        )
    try:
        assert bot.text(sender, "Wer ist der Träger des Projekts?") == "Geänderte Antwort der Redaktion."
    finally:
        with Session(engine, future=True) as session, session.begin():
            session.execute(
                update(FaqAnswer).where(FaqAnswer.key == "organiser", FaqAnswer.language == "de").values(text=old)
            )
        engine.dispose()


def test_database_briefly_away_gets_a_clear_answer_and_recovers(bot: Bot) -> None:
    """The tables vanish for a moment (a broken or restarting database): the user is told, then all is normal."""
    from sqlalchemy import text

    engine = make_engine(bot.settings.database_url)
    sender = new_sender()
    bot.say(sender, "Merhaba")
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE faq_answers RENAME TO faq_answers_away"))
        connection.execute(text("ALTER TABLE offers RENAME TO offers_away"))
    try:
        assert "tekrar deneyin" in bot.text(sender, "Projeyi kim finanse ediyor?")
        assert "tekrar deneyin" in bot.text(sender, "Marxloh'ta oturuyorum, kadınlar için kurs var mı?")
    finally:
        with engine.begin() as connection:
            connection.execute(text("ALTER TABLE faq_answers_away RENAME TO faq_answers"))
            connection.execute(text("ALTER TABLE offers_away RENAME TO offers"))
        engine.dispose()
    assert "Avrupa Sosyal Fonu" in bot.text(sender, "Projeyi kim finanse ediyor?")
    assert "📍" in bot.text(sender, "Marxloh'ta oturuyorum, kadınlar için kurs var mı?")
