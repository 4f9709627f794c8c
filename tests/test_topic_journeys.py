"""Offers by topic over the REST channel against the trained model: the kind of offer asked for comes first, a
target group only when the message states one, "none of these", and the honest answer for a topic missing in the
person's district."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import date
from typing import Iterator

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from afa import LANGUAGES, TARGET_GROUPS
from afa.content.store import save_offer
from afa.content.tables import Row, Tables
from afa.content.validation import validate_tables
from afa.db import Offer, OfferTopic, make_engine
from afa.i18n import gettext
from afa.offers import search
from afa.responses import NONE_OF_THESE, TOPIC_LABELS
from conftest import Bot, new_sender

pytestmark = pytest.mark.server
POSTCODE = {"marxloh": "47169", "hochfeld": "47053"}
GROUP_BUTTONS = [f'/inform{{"target_group": "{g}"}}' for g in (*TARGET_GROUPS, "none")]


def _cards(replies: list[dict]) -> list[str]:
    return [r["text"] for r in replies if "📍" in (r.get("text") or "")]


def _payloads(replies: list[dict]) -> list[str]:
    return [b["payload"] for r in replies for b in r.get("buttons") or []]


def _texts(replies: list[dict]) -> str:
    return "\n".join(r.get("text") or "" for r in replies)


def _offers(bot: Bot, language: str) -> dict[str, Offer]:
    """The bot's offers by their title in `language` (a card's first line)."""
    engine = make_engine(bot.settings.database_url)
    with Session(engine, future=True) as session:
        offers = {o.text(language).title: o for o in session.scalars(select(Offer))}
        session.expunge_all()
    engine.dispose()
    return offers


def _topics_of(offer: Offer) -> set[str]:
    return {t.topic for t in offer.topics}


@contextmanager
def _inactive(bot: Bot, topic: str, district: str) -> Iterator[list[str]]:
    """The offers of `topic` given only in `district` are deactivated for the block (as staff would), then back."""
    engine = make_engine(bot.settings.database_url)
    with Session(engine, future=True) as session, session.begin():
        query = (select(Offer).join(OfferTopic, OfferTopic.offer_id == Offer.id)
                 .where(OfferTopic.topic == topic, Offer.active.is_(True)))
        keys = [o.key for o in session.scalars(query) if {d.district for d in o.districts} == {district}]
        session.execute(update(Offer).where(Offer.key.in_(keys)).values(active=False))
    try:
        yield keys
    finally:
        with Session(engine, future=True) as session, session.begin():
            session.execute(update(Offer).where(Offer.key.in_(keys)).values(active=True))
        engine.dispose()


@contextmanager
def _added(bot: Bot, *keys: str, **columns: str) -> Iterator[None]:
    """Real offers (one per key, `columns` as in a spreadsheet) for the block, written as the console writes them."""
    rows = []
    for key in keys:
        row = {"key": key, "provider": "Träger", "address": "Weg 1, 47169 Duisburg", "languages": "de, tr, bg, ro",
               "contact_email": "kurs@example.org", **columns}
        for field in ("title", "summary", "details"):
            row.update({f"{field}_{lang}": f"{field} {key} {lang}" for lang in LANGUAGES})
        rows.append(Row("test", len(rows) + 2, row))
    validated = validate_tables(Tables(rows={"offers": rows}))
    assert validated.errors == []
    engine = make_engine(bot.settings.database_url)
    with Session(engine, future=True) as session, session.begin():
        for record in validated.records["offers"]:
            save_offer(session, record)
    try:
        yield
    finally:
        with Session(engine, future=True) as session, session.begin():
            for offer in session.scalars(select(Offer).where(Offer.key.in_(keys))):
                session.delete(offer)
        engine.dispose()


@pytest.mark.parametrize(
    ("language", "message", "district", "heading"),
    [
        ("tr", "Merhaba, Almanca kursu var mı? Hochfeld'de oturuyorum", "hochfeld", "Hochfeld semtinde imkânlar – Almanca"),
        ("bg", "Здравейте, търся курс по немски, живея в Марксло", "marxloh", "Предложения в Marxloh – курсове по немски"),
        ("bg", "zdraveite, ima li kurs po nemski v hochfeld", "hochfeld", "Предложения в Hochfeld – курсове по немски"),
        ("ro", "caut un curs de germană, stau în Marxloh", "marxloh", "Oferte în Marxloh – cursuri de germană"),
    ],
)
def test_a_german_course_asked_for_lists_german_courses_first(bot: Bot, language: str, message: str, district: str,
                                                              heading: str) -> None:
    sender = new_sender()
    replies = bot.say(sender, message)
    cards = _cards(replies)
    assert cards, replies
    offers = _offers(bot, language)
    shown = [offers[card.split("\n")[0]] for card in cards]
    assert all("german" in _topics_of(o) for o in shown), [o.key for o in shown]  # the first and every one
    assert all(POSTCODE[district] in card for card in cards)
    assert heading in _texts(replies)  # the heading names the topic and the district, in the user's language
    slots = bot.slots(sender)
    assert (slots["topic"], slots["district"], slots["language"]) == ("german", district, language)
    assert slots["target_group"] is None  # nobody said who they are
    assert "/request_coach" in _payloads(replies)


@pytest.mark.parametrize(
    ("language", "message", "district"),
    [("tr", "50 yaşındayım, Marxloh'ta iş arıyorum", "marxloh"), ("bg", "на 50 години съм, търся работа в Хохфелд", "hochfeld"),
     ("bg", "na 50 godini sam, tarsia rabota v marxloh", "marxloh"), ("de", "Ich bin 52 und suche Arbeit in Hochfeld", "hochfeld")],
)
def test_work_asked_for_at_an_age_shows_job_offers_and_names_no_group(bot: Bot, language: str, message: str,
                                                                      district: str) -> None:
    sender = new_sender()
    replies = bot.say(sender, message)
    slots = bot.slots(sender)
    assert slots["target_group"] is None and slots["topic"] == "jobs"  # work is asked for; nobody said who they are
    assert "target_group" not in {e["entity"] for e in bot.parse(message)["entities"]}
    offers = _offers(bot, language)
    shown = [offers[card.split("\n")[0]] for card in _cards(replies)]
    assert shown and all("jobs" in _topics_of(o) for o in shown), [o.key for o in shown]
    assert all(POSTCODE[district] in card for card in _cards(replies))
    assert not [p for p in _payloads(replies) if "target_group" in p]  # no group question before the offers


@pytest.mark.parametrize(
    ("language", "message"),
    [("tr", "50 yaşındayım, bana uygun bir kurs var mı?"), ("bg", "на 50 години съм, какво можете да ми предложите?"),
     ("bg", "na 50 godini sam, imate li neshto za men"), ("de", "Ich bin 52, habt ihr ein Angebot für mich?")],
)
def test_an_age_is_no_target_group_the_groups_are_asked_with_none_of_these(bot: Bot, language: str, message: str) -> None:
    sender = new_sender()
    replies = bot.say(sender, message)
    assert bot.slots(sender)["target_group"] is None
    parsed = bot.parse(message)
    assert "target_group" not in {e["entity"] for e in parsed["entities"]}
    assert [p for p in _payloads(replies) if "target_group" in p] == GROUP_BUTTONS
    titles = [b["title"] for r in replies for b in r.get("buttons") or [] if "target_group" in b["payload"]]
    assert titles[-1] == gettext(language, NONE_OF_THESE)


@pytest.mark.parametrize(("language", "first", "district"),
                         [("tr", "Merhaba, bir kurs arıyorum", "hochfeld"), ("bg", "Здравейте, търся някакъв курс", "marxloh")])
def test_none_of_these_searches_without_a_group(bot: Bot, language: str, first: str, district: str) -> None:
    sender = new_sender()
    assert '/inform{"target_group": "none"}' in _payloads(bot.say(sender, first))
    asked = bot.say(sender, '/inform{"target_group": "none"}')
    assert _payloads(asked) == ['/inform{"district": "marxloh"}', '/inform{"district": "hochfeld"}']
    replies = bot.say(sender, f'/inform{{"district": "{district}"}}')
    offers = _offers(bot, language)
    shown = [offers[card.split("\n")[0]].key for card in _cards(replies)]
    engine = make_engine(bot.settings.database_url)
    with Session(engine, future=True) as session:
        expected = search(session, None, district, language, today=date.today())
        groups = {g.target_group for o in session.scalars(select(Offer).where(Offer.key.in_(shown))) for g in o.target_groups}
    engine.dispose()
    assert shown == expected.keys and len(shown) == 3  # every offer of the district counts, the user's language first
    assert len(groups) > 1  # not one group's list
    assert "/more_offers" in _payloads(replies)
    assert bot.slots(sender)["target_group"] == "none"
    more = _cards(bot.say(sender, '/more_offers'))
    assert more and not set(more) & set(_cards(replies))


@pytest.mark.parametrize(
    ("language", "message", "honest"),
    [
        ("tr", "Hochfeld'de oturuyorum, Almanca kursu arıyorum", "Şu anda Hochfeld semtinde bu türden bir imkân yok"),
        ("bg", "живея в Хохфелд, търся курс по немски", "В момента в Hochfeld няма такова предложение"),
    ],
)
def test_a_topic_missing_in_the_district_is_said_with_the_other_districts_offers(bot: Bot, language: str, message: str,
                                                                                  honest: str) -> None:
    with _inactive(bot, "german", "hochfeld") as gone:
        assert gone  # the seeded content has German courses only given in Hochfeld
        replies = bot.say(new_sender(), message)
        assert honest in replies[0]["text"] and gettext(language, TOPIC_LABELS["german"]) in replies[0]["text"]
        cards = _cards(replies)
        offers = _offers(bot, language)
        assert cards and all(POSTCODE["marxloh"] in card for card in cards)  # the other district's, of that topic
        assert all("german" in _topics_of(offers[card.split("\n")[0]]) for card in cards)
        assert "/request_coach" in _payloads(replies) and "/more_offers" not in _payloads(replies)
        with _inactive(bot, "german", "marxloh"):  # nowhere at all: said so, with the coach
            nowhere = bot.say(new_sender(), message)
            assert not _cards(nowhere) and "/request_coach" in _payloads(nowhere)
            assert "Marxloh" in nowhere[0]["text"] and "Hochfeld" in nowhere[0]["text"]


@pytest.mark.parametrize(
    ("language", "messages"),
    [
        ("tr", ["özgeçmiş yazmak için yardım lazım", "kadınım", "Hochfeld'de oturuyorum"]),
        ("tr", ["Hochfeld'de oturuyorum", "başvuru konusunda yardım var mı, bekar anneyim"]),
        ("bg", ["jena sam", "jiveq v hochfeld", "tarsia pomosht za CV"]),
        ("bg", ["живея в Хохфелд, самотна майка съм и ми трябва помощ за автобиография"]),
        ("de", ["Ich bin alleinerziehend", "Wer hilft mir beim Lebenslauf? Ich wohne in Hochfeld"]),
    ],
)
def test_topic_district_and_group_in_any_order(bot: Bot, language: str, messages: list[str]) -> None:
    sender = new_sender()
    for message in messages:
        replies = bot.say(sender, message)
    slots = bot.slots(sender)
    assert (slots["topic"], slots["district"], slots["target_group"]) == ("application", "hochfeld", "women")
    offers = _offers(bot, language)
    shown = [offers[c.split("\n")[0]] for c in _cards(replies)]
    engine = make_engine(bot.settings.database_url)
    with Session(engine, future=True) as session:
        expected = search(session, "women", "hochfeld", language, topic="application").keys
    engine.dispose()
    assert [o.key for o in shown] == expected and all("application" in _topics_of(o) for o in shown)
    assert "women" in {g.target_group for g in shown[0].target_groups}  # the topic's offers, the group's first
    heading = gettext(language, "Offers in {district} – {topic}; those for {group} first:", district="Hochfeld",
                      topic=gettext(language, TOPIC_LABELS["application"]), group=gettext(language, "women"))
    assert heading in _texts(replies)


@pytest.mark.parametrize(
    ("language", "first", "more", "correction", "generic"),
    [
        ("tr", "Marxloh'ta özgeçmiş yazmak için yardım arıyorum", "daha fazla göster", "aslında Hochfeld'de oturuyorum",
         "kadınlar için kurs var mı?"),
        ("ro", "stau in Marxloh si am nevoie de ajutor cu CV-ul", "mai multe va rog", "de fapt stau in Hochfeld",
         "aveti cursuri pentru femei?"),
    ],
)
def test_paging_corrections_and_a_new_question_without_topic(bot: Bot, language: str, first: str, more: str,
                                                             correction: str, generic: str) -> None:
    with _added(bot, "bewerbung-extra-1", "bewerbung-extra-2", districts="marxloh", target_groups="benefits",
                topics="application"):
        _paging_corrections_and_a_new_question(bot, language, first, more, correction, generic)


def _paging_corrections_and_a_new_question(bot: Bot, language: str, first: str, more: str, correction: str,
                                           generic: str) -> None:
    sender = new_sender()
    offers = _offers(bot, language)
    replies = bot.say(sender, first)
    cards = _cards(replies)
    assert len(cards) == 3 and "/more_offers" in _payloads(replies)
    assert all("application" in _topics_of(offers[c.split("\n")[0]]) and POSTCODE["marxloh"] in c for c in cards)
    next_cards = _cards(bot.say(sender, more))
    assert next_cards and not set(next_cards) & set(cards)
    assert all("application" in _topics_of(offers[c.split("\n")[0]]) for c in next_cards)
    corrected = _cards(bot.say(sender, correction))
    assert bot.slots(sender)["district"] == "hochfeld" and bot.slots(sender)["topic"] == "application"
    assert corrected and all(POSTCODE["hochfeld"] in c and "application" in _topics_of(offers[c.split("\n")[0]])
                             for c in corrected)
    # A new question that names a group and no topic: the group's offers, the earlier topic no longer applies.
    replies = bot.say(sender, generic)
    assert bot.slots(sender)["topic"] is None and bot.slots(sender)["target_group"] == "women"
    engine = make_engine(bot.settings.database_url)
    with Session(engine, future=True) as session:
        expected = search(session, "women", "hochfeld", language).keys
    engine.dispose()
    assert [offers[c.split("\n")[0]].key for c in _cards(replies)] == expected
