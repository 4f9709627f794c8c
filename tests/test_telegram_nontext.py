"""Non-text messages outside a handover, and the coaches' languages on the card, through the Telegram test server.

A location sets the district (only the district is kept), a voice note is offered a coach, stickers and
emoji-only messages get a friendly word and nothing for review; the card names the coaches who speak the
user's language and reminders name them first. Texts are compared with the catalogues, so the tests prove the
language, not a wording.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from afa.content.queries import TEAM_HEADING
from afa.db import Coach, Handover, Team, UnansweredQuestion, make_engine, utcnow
from afa.i18n import gettext, language_name
from afa.responses import BTN_COACH, EMOJI_ONLY, PRIVACY_NOTICE, RESPONSES
from bot import texts
from tests.conftest import COACHES, HOCHFELD_GROUP, MARXLOH_GROUP, everything_in, new_sender
from tests.telegram_user import Person, card_for, handover_id, settle

pytestmark = pytest.mark.server

# Where people stand when they share their location (latitude, longitude); digits no area of the content uses.
IN_MARXLOH = (51.49873, 6.77412)  # Weseler Straße
IN_HOCHFELD = (51.42046, 6.75583)  # near the Pauluskirche
JUST_OUTSIDE = (51.43227, 6.75861)  # Dellviertel, a few hundred metres north of Hochfeld, south of the centre
FRIENDLY = RESPONSES[EMOJI_ONLY].text


def _first_line(language: str, response: str, **params: object) -> str:
    return gettext(language, RESPONSES[response].text, **params).split("\n")[0][:40]


def _coordinates_kept(database_url: str, *places: tuple[float, float]) -> list[str]:
    """Any latitude or longitude of `places` found in any value of any table (the tracker's events included)."""
    dump = everything_in(database_url)
    return [str(value) for place in places for value in place if str(value) in dump]


def _district_buttons(messages) -> list[str]:  # type: ignore[no-untyped-def]
    return [b["callback_data"] for m in messages for b in m.buttons if '{"district"' in b.get("callback_data", "")]


def _engine(bot):  # type: ignore[no-untyped-def]
    return make_engine(bot.settings.database_url)


def _set_languages(bot, languages: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    """Coach name → comma-separated language codes, as staff enter them ("" for everyone not named)."""
    engine = _engine(bot)
    with Session(engine, future=True) as session, session.begin():
        for team in session.scalars(select(Team)):
            for coach in team.coaches:
                coach.languages = languages.get(coach.name, "")
    engine.dispose()


def _accounts(bot) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Coach name → linked Telegram account, for the coaches that have one."""
    engine = _engine(bot)
    with Session(engine, future=True) as session:
        linked = {c.name: c.telegram_user_id for c in session.scalars(select(Coach)) if c.telegram_user_id}
    engine.dispose()
    return linked


def _unanswered(bot) -> int:  # type: ignore[no-untyped-def]
    engine = _engine(bot)
    with Session(engine, future=True) as session:
        count = session.scalar(select(func.count(UnansweredQuestion.id)))
    engine.dispose()
    return count


def _cancel(person: Person, language: str) -> None:
    replies = person.say("/cancel")
    assert gettext(language, texts.HANDOVER_CANCELLED) in person.text(replies)


@pytest.mark.parametrize(
    ("language", "hello", "place", "district", "group", "asking"),
    [
        ("bg", "Здравейте", IN_MARXLOH, "marxloh", MARXLOH_GROUP, "Искам да говоря с консултант, моля"),
        ("tr", "Merhaba", IN_HOCHFELD, "hochfeld", HOCHFELD_GROUP, "Bir danışmanla konuşmak istiyorum"),
        ("ro", "Bună ziua", IN_MARXLOH, "marxloh", MARXLOH_GROUP, "Vreau să vorbesc cu un consilier"),
    ],
)
def test_a_location_in_a_district_sets_it_for_the_coach_and_only_the_district_is_kept(  # type: ignore[no-untyped-def]
    front_end, telegram_api, bot, language, hello, place, district, group, asking
) -> None:
    api = telegram_api
    person = Person(api, language_code="de")  # the phone says German; the person writes their own language
    person.say(hello)
    replies = person.send("location", latitude=place[0], longitude=place[1])
    if len(replies) < 2:  # the district note, then what the finder says next
        replies += settle(api, person.id, person.seen - 1, count=1)
    shown = person.text(replies)
    assert gettext(language, texts.LOCATION_DISTRICT, district=district.capitalize()) in shown
    # asking for a coach now goes to that district's team, without the district question
    asked = person.say(asking)
    assert _first_line(language, "utter_handover_waiting", district=district.capitalize()) in person.text(asked)
    assert _district_buttons(asked) == []
    card = card_for(api, group, asking)
    assert f"Team {district.capitalize()}" in card.text
    # the coaches' languages are not in the seed content: the card says so, in German
    assert gettext("de", texts.CARD_LANGUAGES_UNKNOWN, language=language_name(language, "de")) in card.text
    # during the handover a location goes to the coach, as every other message does
    kept = person.send("location", latitude=place[0], longitude=place[1])
    assert person.text(kept) == gettext(language, texts.HANDOVER_KEPT)
    _cancel(person, language)
    assert _coordinates_kept(bot.settings.database_url, place) == []


@pytest.mark.parametrize(
    ("language", "hello"),
    [("bg", "zdraveite, imam edin vapros"), ("ro", "Bună ziua, am o întrebare"), ("de", "Guten Tag, ich habe eine Frage")],
)
def test_a_location_just_outside_both_districts_is_said_so_with_both_teams(  # type: ignore[no-untyped-def]
    front_end, telegram_api, bot, language, hello
) -> None:
    api = telegram_api
    person = Person(api, language_code="de")
    person.say(hello)
    sent_at = person.seen
    shared = api.send_media(person.id, "location", person.user, latitude=JUST_OUTSIDE[0], longitude=JUST_OUTSIDE[1])
    replies = settle(api, person.id, sent_at)
    assert len(replies) == 1
    told = replies[0].text
    assert told.startswith(gettext(language, texts.LOCATION_OUTSIDE, contacts="").strip())
    for district in ("Marxloh", "Hochfeld"):
        assert gettext(language, TEAM_HEADING, district=district) in told
    assert "0203/99429-31" in told and "0203/99429-70" in told  # a coach of each team
    # a live location moving on is not a message to answer
    moved = person.seen
    api.move_location(person.id, shared["message"]["message_id"], IN_HOCHFELD[0] + 0.00011, IN_HOCHFELD[1] + 0.00011)
    with pytest.raises(AssertionError):
        api.wait_messages(person.id, after=moved, timeout=1.5)
    # the district was not set: a coach request asks for it
    asked = person.say("/coach")
    assert _district_buttons(asked)
    assert _coordinates_kept(bot.settings.database_url, JUST_OUTSIDE) == []


@pytest.mark.parametrize(
    ("language", "hello", "kind"),
    [("tr", "Merhaba, iş arıyorum", "voice"), ("bg", "Здравейте, търся работа", "voice"), ("ro", "Bună ziua", "video_note"),
     ("bg", "zdraveite, tarsia rabota", "audio")],
)
def test_a_voice_note_gets_a_coach_button_in_the_users_language(front_end, telegram_api, language, hello, kind) -> None:  # type: ignore[no-untyped-def]
    api = telegram_api
    person = Person(api, language_code="de")
    person.say(hello)
    replies = person.send(kind)
    assert [m.text for m in replies] == [gettext(language, texts.VOICE)]
    [button] = replies[0].buttons
    assert button["text"] == gettext(language, BTN_COACH.title)
    # the button asks for a coach: the bot wants the district next, in the same language
    asked = person.press(replies[0], button["text"])
    assert _first_line(language, "utter_ask_district_coach") in person.text(asked)
    assert len(_district_buttons(asked)) == 2


@pytest.mark.parametrize(
    ("language", "hello", "emoji"),
    [("bg", "Здравейте, кой финансира проекта?", "😊😊"), ("tr", "Merhaba, projeyi kim finanse ediyor?", "🤔"),
     ("bg", "zdraveite, koi finansira proekta", "🌹🙂")],
)
def test_stickers_and_emoji_get_a_friendly_word_and_nothing_is_stored(  # type: ignore[no-untyped-def]
    front_end, telegram_api, bot, language, hello, emoji
) -> None:
    api = telegram_api
    person = Person(api, language_code="de")
    person.say(hello)
    before = _unanswered(bot)
    sticker = person.send("sticker", emoji="😂")
    assert [m.text for m in sticker] == [gettext(language, FRIENDLY)]
    assert [b["text"] for b in sticker[0].buttons] == [gettext(language, b.title) for b in RESPONSES[EMOJI_ONLY].buttons]
    emoji_reply = person.say(emoji)
    assert [m.text for m in emoji_reply] == [gettext(language, FRIENDLY)]
    assert gettext(language, RESPONSES["utter_affirm"].text) in person.text(person.say("👍"))  # a trained 👍 is still "yes"
    assert _unanswered(bot) == before


@pytest.mark.parametrize(("language", "emoji"), [("ro", "😍🎉"), ("bg", "🤷‍♀️"), ("de", "😢 !")])
def test_emoji_only_over_the_rest_channel_is_answered_and_not_stored(bot, language: str, emoji: str) -> None:  # type: ignore[no-untyped-def]
    sender = new_sender()
    before = _unanswered(bot)
    replies = bot.say(sender, emoji, language_code=language)
    # the friendly answer; on a first contact the privacy notice follows it, as after any first reply
    assert [r.get("text") for r in replies][0] == gettext(language, FRIENDLY)
    assert [r.get("text") for r in replies][1:] == [gettext(language, RESPONSES[PRIVACY_NOTICE].text, days=90, handover_days=180)]
    assert _unanswered(bot) == before
    # a question the bot cannot answer is still kept for review (the check above can fail)
    unknown = {"ro": "Cât costă un bilet de tren până la Köln?", "bg": "Какво ще бъде времето в Кьолн утре?",
               "de": "Wie wird das Wetter morgen in Köln?"}
    bot.say(sender, unknown[language])
    assert _unanswered(bot) == before + 1


def _backdate(bot, hid: int, minutes: int) -> None:  # type: ignore[no-untyped-def]
    engine = _engine(bot)
    with Session(engine, future=True) as session, session.begin():
        session.execute(update(Handover).where(Handover.id == hid).values(opened_at=utcnow() - timedelta(minutes=minutes)))
    engine.dispose()


def test_the_card_names_the_coaches_who_speak_the_users_language_and_reminders_name_them_first(  # type: ignore[no-untyped-def]
    front_end, telegram_api, bot
) -> None:
    api = telegram_api
    # Hochfeld's coaches in team order: Karen Dietrich (Telegram 7001), Georg Fobbe (7002), Ercan Idik (no account)
    _set_languages(bot, {"Karen Dietrich": "de, ro", "Georg Fobbe": "de,tr", "Ercan Idik": "DE; TR; RO",
                         "Anke Gorres": "de, tr", "Doris Grüning": "de", "Kathrin Rödiger": "de, en"})
    try:
        romanian = Person(api, language_code="ro")
        romanian.say("Bună ziua")
        romanian.send("location", latitude=IN_HOCHFELD[0], longitude=IN_HOCHFELD[1])
        asking = "Aș vrea să vorbesc cu cineva din echipă"
        romanian.say(asking)
        card = card_for(api, HOCHFELD_GROUP, asking)
        speakers = gettext("de", texts.CARD_SPEAKERS, language="Rumänisch", names="Karen Dietrich und Ercan Idik")
        assert speakers in card.text and "Georg Fobbe" not in card.text

        bulgarian = Person(api, language_code="bg")
        bulgarian.say("Здравейте")
        bulgarian.send("location", latitude=IN_MARXLOH[0], longitude=IN_MARXLOH[1])
        asking_bg = "Може ли да говоря с човек от екипа?"
        bulgarian.say(asking_bg)
        card_bg = card_for(api, MARXLOH_GROUP, asking_bg)
        assert gettext("de", texts.CARD_NO_SPEAKER, language="Bulgarisch") in card_bg.text

        # nobody accepted for a while: the reminder names the Romanian speakers first and mentions the linked one
        hid, hid_bg = handover_id(card), handover_id(card_bg)
        groups = {HOCHFELD_GROUP: len(api.messages(HOCHFELD_GROUP)), MARXLOH_GROUP: len(api.messages(MARXLOH_GROUP))}
        _backdate(bot, hid, 20)
        _backdate(bot, hid_bg, 20)
        reminder = api.wait_messages(HOCHFELD_GROUP, after=groups[HOCHFELD_GROUP], predicate=lambda m: f"#{hid} " in m.text)
        reminder = next(m for m in reminder if f"#{hid} " in m.text)
        assert reminder.text.startswith("Karen Dietrich und Ercan Idik: ")
        assert reminder.message.get("message_thread_id") == card.message.get("message_thread_id")
        # every speaker with a linked Telegram account is mentioned (another test may have linked Ercan Idik's)
        accounts = _accounts(bot)
        expected = [(start, len(name), accounts[name]) for start, name in ((0, "Karen Dietrich"), (19, "Ercan Idik"))
                    if accounts.get(name)]
        assert expected[0] == (0, len("Karen Dietrich"), COACHES["hochfeld"][0])
        mentions = [e for e in reminder.params.get("entities") or [] if e["type"] == "text_mention"]
        assert [(e["offset"], e["length"], e["user"]["id"]) for e in mentions] == expected
        # no Bulgarian speaker in Marxloh: the usual reminder, to everyone
        plain = api.wait_messages(MARXLOH_GROUP, after=groups[MARXLOH_GROUP], predicate=lambda m: f"#{hid_bg} " in m.text)
        plain = next(m for m in plain if f"#{hid_bg} " in m.text)
        assert plain.text.startswith(gettext("de", texts.REMINDER, id=hid_bg, language="", since="").split("(")[0])
        assert not plain.params.get("entities")
    finally:
        _set_languages(bot, {})
    _cancel(romanian, "ro")
    _cancel(bulgarian, "bg")
