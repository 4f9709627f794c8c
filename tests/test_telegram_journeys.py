"""Journeys 1, 3 and 4 through Telegram: PTB in its own process makes real HTTP calls to our Bot API server.

Texts are checked against the catalogues (`gettext`) so that a test proves the language, not a wording.
"""
from __future__ import annotations

import threading
import time
from datetime import datetime, timezone

import pytest
from babel.dates import format_time
from sqlalchemy import select
from sqlalchemy.orm import Session

from afa.db import Handover, RelayedMessage, Team, make_engine
from afa.i18n import format_date, gettext
from afa.responses import RESPONSES
from afa.schedule import OfficeHours
from bot import texts
from tests.conftest import COACHES, HOCHFELD_GROUP, MARXLOH_GROUP
from tests.telegram_user import Person, card_for, handover_id, settle

pytestmark = pytest.mark.server


def _first_line(language: str, response: str, **params: object) -> str:
    return gettext(language, RESPONSES[response].text, **params).split("\n")[0][:40]


def _coach(api, district: str, number: int = 0) -> dict:  # type: ignore[no-untyped-def]
    return api.user(COACHES[district][number], first_name=f"Coach{number}", language_code="de")


def _set_hours(database_url: str, district: str, hours: str, closed: str = "") -> None:
    engine = make_engine(database_url)
    with Session(engine, future=True) as session, session.begin():
        team = session.execute(select(Team).where(Team.district == district)).scalar_one()
        team.office_hours, team.closed_days = hours, closed
    engine.dispose()


def _accept(api, group: int, card, coach: dict) -> None:  # type: ignore[no-untyped-def]
    api.press(group, card.message_id, card.buttons[0]["callback_data"], coach)


def _answers(api, query_ids: set[str]) -> list[dict]:  # type: ignore[no-untyped-def]
    call = lambda c: c.method == "answerCallbackQuery" and c.params.get("callback_query_id") in query_ids  # noqa: E731
    return [c.params for c in api.calls if call(c) and not c.failed]


def _wait_answers(api, ids: set[str], timeout: float = 15) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while len(_answers(api, ids)) < len(ids):
        assert time.monotonic() < deadline, f"{len(_answers(api, ids))} of {len(ids)} button presses answered"
        time.sleep(0.05)


def _open_handover(person: Person, api, text: str, district: str, group: int, ask: bool = False):  # type: ignore[no-untyped-def]
    """Asks for a coach; the district comes from a deep link (a poster's QR code) or, with `ask`, from buttons."""
    if not ask:
        person.say(f"/start {district}")
    replies = person.say(text)
    if ask:
        assert person.last_with_buttons().buttons[0]["callback_data"].startswith("p:/request_coach")
        replies = person.press(person.last_with_buttons(), district.capitalize())
    return replies, card_for(api, group, text)


@pytest.mark.parametrize(
    ("language", "deep_link", "message", "group_button"),
    [
        ("tr", "marxloh", "Merhaba, bir kurs arıyorum", "kadın"),
        ("bg", "marxloh_bg", "Здравейте, търся някакъв курс", "жена"),
    ],
)
def test_journey_1_qr_code_to_offers_with_a_coach_button(front_end, telegram_api, language, deep_link, message, group_button) -> None:  # type: ignore[no-untyped-def]
    person = Person(telegram_api, language_code="de")
    greeting = person.say(f"/start {deep_link}")
    assert person.text(greeting)  # greeted (in German until she writes, unless the link names the language)
    asked = person.say(message)
    assert _first_line(language, "utter_ask_target_group") in person.text(asked)
    offers = person.press(asked[-1], group_button, count=2)
    shown = person.text(offers)
    assert "Marxloh" in shown
    coach_button = gettext(language, "Talk to a coach")
    assert any(b["text"] == coach_button for m in offers for b in m.buttons)
    # the pressed button's keyboard is gone and the choice is marked on the question
    question = telegram_api.message(person.id, asked[-1].message_id)
    assert question.buttons == [] and "»" in question.text


@pytest.mark.parametrize(
    ("language", "district", "group", "asking", "coach_words", "user_words"),
    [
        ("ro", "hochfeld", HOCHFELD_GROUP, "Vreau să vorbesc cu un consilier, vă rog", "Bună ziua, sunt aici.", "Am nevoie de ajutor cu CV-ul"),
        ("tr", "marxloh", MARXLOH_GROUP, "Bir danışmanla konuşmak istiyorum lütfen", "Merhaba, buradayım.", "CV konusunda yardım lazım"),
    ],
)
def test_journey_3_handover_accept_relay_say_and_end(  # type: ignore[no-untyped-def]
    front_end, telegram_api, bot, language, district, group, asking, coach_words, user_words
) -> None:
    api = telegram_api
    person = Person(api, language_code=language)
    replies, card = _open_handover(person, api, asking, district, group, ask=(district == "hochfeld"))
    assert _first_line(language, "utter_handover_waiting", district=district.capitalize()) in person.text(replies)
    assert asking in card.text and "Accept" not in card.text  # German card with the user's own words
    assert card.buttons[0]["text"] == gettext("de", texts.BTN_ACCEPT)
    hid = handover_id(card)
    if group == HOCHFELD_GROUP:  # forum group: the card opened its own topic
        assert card.message.get("message_thread_id") in api.topics(group)

    before = person.seen
    _accept(api, group, card, _coach(api, district))
    joined = settle(api, person.id, before)
    assert gettext(language, texts.HANDOVER_ACCEPTED, name="", district=district.capitalize()).split(" ")[1] in person.text(joined)
    coach_name = _handover(bot, hid).coach_name
    assert coach_name in person.text(joined)
    assert api.message(group, card.message_id).buttons == []  # Accept is gone from the card

    # user → coach: in the handover's topic, or as a reply to the card
    group_before = len(api.messages(group))
    api.send_text(person.id, user_words, person.user)
    relayed = api.wait_messages(group, after=group_before, predicate=lambda m: user_words in m.text)[-1]
    if group == HOCHFELD_GROUP:
        assert relayed.message["message_thread_id"] == card.message["message_thread_id"]
    else:
        assert relayed.message["reply_to_message"]["message_id"] == card.message_id

    # coach → user, and Rasa stays out (the coach's words arrive verbatim, nothing else)
    before = person.seen
    thread = card.message.get("message_thread_id")
    api.send_text(group, coach_words, _coach(api, district), reply_to=relayed.message_id, thread_id=thread)
    got = settle(api, person.id, before)
    assert [m.text for m in got] == [coach_words]

    # /say appointment: date and time formatted for the user's locale
    before = person.seen
    api.send_text(group, "/say appointment 2026-12-03 10:30", _coach(api, district), reply_to=relayed.message_id, thread_id=thread)
    said = person.text(settle(api, person.id, before))
    assert format_date(datetime(2026, 12, 3), language, "full") in said
    assert format_time(datetime(2026, 12, 3, 10, 30).time(), "short", locale=language) in said

    # /end: the user is told, the bot takes over again
    before = person.seen
    api.send_text(group, "/end", _coach(api, district), reply_to=relayed.message_id, thread_id=thread)
    assert gettext(language, texts.HANDOVER_ENDED) in person.text(settle(api, person.id, before))
    back = person.say("/help")
    assert _first_line(language, "utter_help") in person.text(back)

    stored = _messages(bot, hid)
    assert [(m.direction, m.text) for m in stored][:2] == [("user", user_words), ("coach", coach_words)]
    assert all(m.delivered_at is not None for m in stored)


def _handover(bot, hid: int) -> Handover:  # type: ignore[no-untyped-def]
    engine = make_engine(bot.settings.database_url)
    with Session(engine, future=True) as session:
        handover = session.get(Handover, hid)
        session.expunge(handover)
    engine.dispose()
    return handover


def _messages(bot, hid: int) -> list[RelayedMessage]:  # type: ignore[no-untyped-def]
    engine = make_engine(bot.settings.database_url)
    with Session(engine, future=True) as session:
        rows = session.execute(select(RelayedMessage).where(RelayedMessage.handover_id == hid).order_by(RelayedMessage.id)).scalars().all()
        session.expunge_all()
    engine.dispose()
    return rows


@pytest.mark.parametrize(
    ("language", "asking", "later"),
    [
        ("bg", "Искам да говоря с консултант", ["Имам въпрос за курс по немски", "Кога мога да дойда?"]),
        ("de", "Ich möchte mit einem Coach sprechen", ["Ich suche einen Deutschkurs", "Wann kann ich kommen?"]),
    ],
)
def test_journey_4_outside_office_hours_the_handover_waits_and_nothing_is_lost(  # type: ignore[no-untyped-def]
    front_end, telegram_api, bot, language, asking, later
) -> None:
    api = telegram_api
    today = datetime.now(timezone.utc).astimezone(OfficeHours.of("", "", "Europe/Berlin").zone).date()
    _set_hours(bot.settings.database_url, "hochfeld", "mon-sun 09:00-16:00", today.isoformat())  # closed today
    try:
        person = Person(api, language_code=language)
        replies, card = _open_handover(person, api, asking, "hochfeld", HOCHFELD_GROUP)
        back = OfficeHours.of("mon-sun 09:00-16:00", today.isoformat(), "Europe/Berlin").next_opening(datetime.now(timezone.utc))
        told = person.text(replies)
        assert format_date(back, language, "full") in told and format_time(back.time(), "short", locale=language) in told
        kept = person.say(later[0])
        assert person.text(kept) == gettext(language, texts.HANDOVER_KEPT)
        after = person.seen
        api.send_text(person.id, later[1], person.user)
        with pytest.raises(AssertionError):  # said once only, not after every message
            api.wait_messages(person.id, after=after, timeout=1.5)
    finally:
        _set_hours(bot.settings.database_url, "hochfeld", "")
    group_before = len(api.messages(HOCHFELD_GROUP))
    _accept(api, HOCHFELD_GROUP, card, _coach(api, "hochfeld", 1))
    delivered = api.wait_messages(HOCHFELD_GROUP, after=group_before, predicate=lambda m: later[1] in m.text)
    texts_in_group = [m.text for m in delivered]
    first, second = (next(i for i, t in enumerate(texts_in_group) if w in t) for w in later)
    assert first < second  # in the order written
    assert any(gettext("de", texts.WAITING_HEADER, id=handover_id(card)) == t for t in texts_in_group)
    api.send_text(HOCHFELD_GROUP, "/end", _coach(api, "hochfeld", 1), thread_id=card.message["message_thread_id"])
    settle(api, person.id, person.seen)


def test_two_coaches_accepting_at_once_exactly_one_wins(front_end, telegram_api, bot) -> None:  # type: ignore[no-untyped-def]
    api = telegram_api
    person = Person(api, language_code="ro")
    _, card = _open_handover(person, api, "Vreau să vorbesc cu un consilier acum", "hochfeld", HOCHFELD_GROUP)
    data = card.buttons[0]["callback_data"]
    first, second = _coach(api, "hochfeld", 0), _coach(api, "hochfeld", 1)
    injected: list[dict] = []
    presses = [
        threading.Thread(target=lambda c=c: injected.append(api.press(HOCHFELD_GROUP, card.message_id, data, c)))
        for c in (first, second)
    ]
    for press in presses:
        press.start()
    for press in presses:
        press.join()
    ids = {update["callback_query"]["id"] for update in injected}
    _wait_answers(api, ids)
    settle(api, person.id, person.seen - 1)
    answers = _answers(api, ids)
    assert len(answers) == 2
    winner = _handover(bot, handover_id(card))
    taken = gettext("de", texts.ACCEPT_TAKEN, name=winner.coach_name)
    assert sorted(a.get("text") == taken for a in answers) == [False, True]
    joined = [m for m in api.messages(person.id) if winner.coach_name in m.text]
    assert len(joined) == 1  # the user is told once


def test_non_coach_and_forged_buttons_change_nothing(front_end, telegram_api, bot) -> None:  # type: ignore[no-untyped-def]
    api = telegram_api
    person = Person(api, language_code="tr")
    _, card = _open_handover(person, api, "Bir danışmanla görüşmek istiyorum", "hochfeld", HOCHFELD_GROUP)
    hid = handover_id(card)
    stranger = api.user(424242, first_name="Passant")
    marxloh_coach = _coach(api, "marxloh")
    presses = [
        (HOCHFELD_GROUP, card.message_id, f"acc:{hid}", stranger),  # not a coach
        (HOCHFELD_GROUP, card.message_id, f"acc:{hid}", marxloh_coach),  # a coach of the other team
        (HOCHFELD_GROUP, card.message_id, "acc:99999999", _coach(api, "hochfeld")),  # no such handover
        (HOCHFELD_GROUP, card.message_id, "p:/request_coach", _coach(api, "hochfeld")),  # not a card button
        (HOCHFELD_GROUP, card.message_id, "acc:1 OR 1=1", _coach(api, "hochfeld")),
    ]
    ids = {api.press(*press)["callback_query"]["id"] for press in presses}
    _wait_answers(api, ids)
    answers = [a.get("text") for a in _answers(api, ids)]
    assert answers.count(gettext("de", texts.ACCEPT_NOT_COACH)) == 2
    assert answers.count(gettext("de", texts.INVALID_BUTTON)) == 3
    assert _handover(bot, hid).status == "waiting"
    # a forged button in a private chat: a clear answer, nothing sent to Rasa
    after = person.seen
    api.press(person.id, person.last_with_buttons().message_id, "p:not-a-payload", person.user)
    assert person.text(settle(api, person.id, after)) == gettext("tr", texts.BUTTON_EXPIRED)
    # the user cancels while waiting: the card says so
    after = person.seen
    api.press(person.id, person.last_with_buttons().message_id, "p:/cancel_handover", person.user)
    assert gettext("tr", texts.HANDOVER_CANCELLED) in person.text(settle(api, person.id, after))
    assert gettext("de", texts.CARD_CANCELLED) in api.message(HOCHFELD_GROUP, card.message_id).text


def test_one_coach_holds_two_handovers_without_mixing_them_up(front_end, telegram_api) -> None:  # type: ignore[no-untyped-def]
    api = telegram_api
    coach = _coach(api, "marxloh", 1)
    people = [Person(api, language_code="tr"), Person(api, language_code="ro")]
    requests = ["Bir danışmanla konuşmak istiyorum", "Vreau să vorbesc cu un consilier, vă rog frumos"]
    cards = [_open_handover(p, api, r, "marxloh", MARXLOH_GROUP)[1] for p, r in zip(people, requests)]
    for person, card in zip(people, cards):
        before = person.seen
        _accept(api, MARXLOH_GROUP, card, coach)
        settle(api, person.id, before)
    for number, (person, card) in enumerate(zip(people, cards)):
        before = person.seen
        api.send_text(MARXLOH_GROUP, f"Antwort {number}", coach, reply_to=card.message_id)
        assert [m.text for m in settle(api, person.id, before)] == [f"Antwort {number}"]
    # not replying to anything while holding two: the coach is asked which one
    group_before = len(api.messages(MARXLOH_GROUP))
    api.send_text(MARXLOH_GROUP, "Hallo?", coach)
    note = api.wait_messages(MARXLOH_GROUP, after=group_before)[-1]
    assert note.text == gettext("de", texts.WHICH_HANDOVER)
    seen = [person.seen for person in people]
    for card in cards:
        api.send_text(MARXLOH_GROUP, "/end", coach, reply_to=card.message_id)
    for person, after, language in zip(people, seen, ("tr", "ro")):  # each is told (then asked "did this help?")
        settle(api, person.id, after, predicate=lambda m, lang=language: m.text == gettext(lang, texts.HANDOVER_ENDED))


def test_relay_survives_a_restart_of_the_front_end(front_end, telegram_api, bot) -> None:  # type: ignore[no-untyped-def]
    api = telegram_api
    person = Person(api, language_code="ro")
    coach = _coach(api, "hochfeld", 0)
    _, card = _open_handover(person, api, "Aș vrea să vorbesc cu un om, nu cu un robot", "hochfeld", HOCHFELD_GROUP)
    thread = card.message["message_thread_id"]
    before = person.seen
    _accept(api, HOCHFELD_GROUP, card, coach)
    settle(api, person.id, before)
    front_end.stop()
    try:  # while the front end is down, both sides write
        api.send_text(person.id, "Mesaj scris cât botul era oprit", person.user)
        api.send_media(person.id, "photo", person.user, caption="o poză")
        api.send_text(HOCHFELD_GROUP, "Nachricht während des Neustarts", coach, thread_id=thread)
    finally:
        group_before = len(api.messages(HOCHFELD_GROUP))
        before = person.seen
        front_end.start()
    assert [m.text for m in settle(api, person.id, before)] == ["Nachricht während des Neustarts"]
    relayed = api.wait_messages(HOCHFELD_GROUP, 2, after=group_before, predicate=lambda m: m.message.get("message_thread_id") == thread)
    assert any("Mesaj scris cât botul era oprit" in m.text for m in relayed)
    assert any(m.method == "copyMessage" for m in relayed)
    api.send_text(HOCHFELD_GROUP, "/end", coach, thread_id=thread)
    settle(api, person.id, person.seen, predicate=lambda m: m.text == gettext("ro", texts.HANDOVER_ENDED))


def test_a_waiting_handover_is_reminded_during_office_hours(front_end, telegram_api, tmp_path) -> None:  # type: ignore[no-untyped-def]
    api = telegram_api
    front_end.stop()  # one poller per bot: a front end that reminds after about a second takes its place
    quick = front_end.variant(tmp_path / "bot.log", AFA_HANDOVER_REMIND_MINUTES="0.02")
    try:
        quick.start()
        person = Person(api, language_code="bg")
        _, card = _open_handover(person, api, "Искам консултант, моля", "hochfeld", HOCHFELD_GROUP)
        hid = handover_id(card)
        reminded = api.wait_messages(HOCHFELD_GROUP, predicate=lambda m: m.text.startswith(f"{_reminder_start(hid)}"))
        reminder = [m for m in reminded if m.text.startswith(_reminder_start(hid))][0]
        assert reminder.message["message_thread_id"] == card.message["message_thread_id"]
        after = person.seen
        api.press(person.id, person.last_with_buttons().message_id, "p:/cancel_handover", person.user)
        settle(api, person.id, after, predicate=lambda m: m.text == gettext("bg", texts.HANDOVER_CANCELLED))
        count = len(api.messages(HOCHFELD_GROUP))
        with pytest.raises(AssertionError):  # a cancelled handover is not reminded again
            api.wait_messages(HOCHFELD_GROUP, after=count, predicate=lambda m: m.text.startswith(_reminder_start(hid)), timeout=3)
    finally:
        quick.stop()
        front_end.start()


def _reminder_start(hid: int) -> str:
    return gettext("de", texts.REMINDER, id=hid, language="", since="").split("(")[0]


def test_media_edits_and_huge_messages_are_relayed_both_ways(front_end, telegram_api, bot) -> None:  # type: ignore[no-untyped-def]
    api = telegram_api
    person = Person(api, language_code="tr")
    coach = _coach(api, "marxloh", 0)
    _, card = _open_handover(person, api, "Danışmanla konuşmak istiyorum, acil", "marxloh", MARXLOH_GROUP)
    before = person.seen
    _accept(api, MARXLOH_GROUP, card, coach)
    settle(api, person.id, before)
    group_before = len(api.messages(MARXLOH_GROUP))
    api.send_media(person.id, "sticker", person.user)
    api.send_media(person.id, "voice", person.user, caption="sesli mesaj")
    sent = api.send_text(person.id, "Yarın gelebilirim", person.user)["message"]
    api.edit_text(person.id, sent["message_id"], "Yarın saat 10'da gelebilirim", person.user)
    api.send_text(person.id, "uzun " * 2000, person.user)  # 10,000 characters
    relayed = api.wait_messages(MARXLOH_GROUP, 7, after=group_before, predicate=lambda m: m.message.get("reply_to_message"))
    kinds = [m.method for m in relayed]
    assert kinds[:2] == ["copyMessage", "copyMessage"]
    assert "sticker" in relayed[0].message and "voice" in relayed[1].message
    assert "Yarın gelebilirim" in relayed[2].text
    assert gettext("de", texts.EDITED_PREFIX, text="Yarın saat 10'da gelebilirim") in relayed[3].text
    long_parts = [m.text for m in relayed[4:]]
    assert len(long_parts) == 3 and all(len(t) <= 4096 for t in long_parts)
    assert sum(t.count("uzun") for t in long_parts) == 2000  # nothing lost in the split
    before = person.seen
    photo = api.send_media(MARXLOH_GROUP, "photo", coach, reply_to=relayed[2].message_id, caption="Adres burada")["message"]
    got = settle(api, person.id, before)
    assert [m.method for m in got] == ["copyMessage"] and got[0].params["message_id"] == photo["message_id"]
    api.send_text(MARXLOH_GROUP, "/end", coach, reply_to=card.message_id)
    settle(api, person.id, person.seen, predicate=lambda m: m.text == gettext("tr", texts.HANDOVER_ENDED))
    kinds_stored = [(m.direction, m.kind) for m in _messages(bot, handover_id(card))]
    assert kinds_stored == [
        ("user", "sticker"), ("user", "voice"), ("user", "text"), ("user", "edited"), ("user", "text"), ("coach", "photo"),
    ]
