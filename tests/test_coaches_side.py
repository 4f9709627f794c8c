"""The coaches' side through Telegram (issue 15): /open, /transfer, history on the card, /away, /end with a note.

PTB in its own process (`afa bot`) makes real HTTP calls to the project's recording Bot API server, with real
Rasa and the action server. Texts are compared with the catalogues, so a test proves the language, not a wording.
The database is shared by the whole session: assertions name this test's own handovers.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_datetime
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from afa.db import Coach, Handover, RelayedMessage, Team, as_utc, make_engine, utcnow
from afa.i18n import day_and_time, gettext
from afa.responses import BTN_DELETE_YES, RESPONSES
from bot import texts
from tests.conftest import COACHES, HOCHFELD_GROUP, MARXLOH_GROUP
from tests.telegram_user import Person, card_for, handover_id, settle

pytestmark = pytest.mark.server


def _engine(bot):  # type: ignore[no-untyped-def]
    return make_engine(bot.settings.database_url)


def _coach(api, district: str, number: int = 0) -> dict:  # type: ignore[no-untyped-def]
    return api.user(COACHES[district][number], first_name=f"Coach{number}", language_code="de")


def _coach_names(bot, district: str) -> list[str]:  # type: ignore[no-untyped-def]
    """The names of the team's coaches with the test accounts, in the accounts' order."""
    engine = _engine(bot)
    with Session(engine, future=True) as session:
        found = {c.telegram_user_id: c.name for c in session.execute(select(Coach)).scalars()}
    engine.dispose()
    return [found[user_id] for user_id in COACHES[district]]


def _handover(bot, hid: int) -> Handover:  # type: ignore[no-untyped-def]
    engine = _engine(bot)
    with Session(engine, future=True) as session:
        handover = session.get(Handover, hid)
        session.expunge(handover)
    engine.dispose()
    return handover


def _relayed(bot, hid: int, direction: str = "user") -> list[RelayedMessage]:  # type: ignore[no-untyped-def]
    engine = _engine(bot)
    with Session(engine, future=True) as session:
        query = select(RelayedMessage).where(RelayedMessage.handover_id == hid, RelayedMessage.direction == direction)
        rows = session.execute(query.order_by(RelayedMessage.id)).scalars().all()
        session.expunge_all()
    engine.dispose()
    return rows


def _open_counts(bot, district: str) -> dict[str, int]:  # type: ignore[no-untyped-def]
    engine = _engine(bot)
    with Session(engine, future=True) as session:
        team = session.execute(select(Team).where(Team.district == district)).scalar_one()
        statuses = list(session.execute(select(Handover.status).where(Handover.team_id == team.id)).scalars())
    engine.dispose()
    return {"waiting": statuses.count("waiting"), "active": statuses.count("active")}


def _set_coach(bot, user_id: int, **values: Any) -> None:  # type: ignore[no-untyped-def]
    engine = _engine(bot)
    with Session(engine, future=True) as session, session.begin():
        session.execute(update(Coach).where(Coach.telegram_user_id == user_id).values(**values))
    engine.dispose()


def _ask_coach(person: Person, api, district: str, group: int, words: str):  # type: ignore[no-untyped-def]
    person.say(f"/start {district}")
    replies = person.say(words)
    return replies, card_for(api, group, words)


def _accept(api, group: int, card, coach: dict, person: Person) -> None:  # type: ignore[no-untyped-def]
    """Accept on the card; returns once the person has been told."""
    before = person.seen
    api.press(group, card.message_id, card.buttons[0]["callback_data"], coach)
    settle(api, person.id, before)


def _cancel(person: Person, language: str) -> None:
    api = person.api
    api.press(person.id, person.last_with_buttons().message_id, "p:/cancel_handover", person.user)
    settle(api, person.id, person.seen, predicate=lambda m: m.text == gettext(language, texts.HANDOVER_CANCELLED))


def _prefix(template: str, **params: Any) -> str:
    """What a line of /open starts with, up to its age (the one part a test cannot know)."""
    return gettext("de", template, age="\0", total="\0", **params).split("\0")[0]


def _reply_in_group(api, group: int, text: str, coach: dict, card=None) -> list:  # type: ignore[no-untyped-def]
    """A coach's command about a handover: in its topic (forum) or as a reply to its card (without a card: in the
    group's main chat); the bot's answer."""
    after = len(api.messages(group))
    thread = card.message.get("message_thread_id") if card is not None else None
    if card is None:
        api.send_text(group, text, coach)
        return api.wait_messages(group, after=after, predicate=lambda m: m.method == "sendMessage")
    api.send_text(group, text, coach, reply_to=None if thread else card.message_id, thread_id=thread)
    return api.wait_messages(group, after=after, predicate=lambda m: m.method == "sendMessage")


def _last(api, chat: int, predicate):  # type: ignore[no-untyped-def]
    """The latest bot message in `chat` matching `predicate`, once there is one."""
    return [m for m in api.wait_messages(chat, predicate=predicate) if predicate(m)][-1]


def _copies_in(api, group: int, hid: int, words: str) -> int:
    relayed = gettext("de", texts.RELAY_PREFIX, id=hid, text=words)
    return sum(1 for m in api.messages(group) if m.text == relayed)


def _end(api, group: int, card, coach: dict, person: Person, language: str, note: str = "") -> None:  # type: ignore[no-untyped-def]
    before = person.seen
    _reply_in_group(api, group, f"/end {note}".strip(), coach, card)
    settle(api, person.id, before, predicate=lambda m: m.text == gettext(language, texts.HANDOVER_ENDED))


def test_open_lists_the_teams_own_handovers_oldest_first_and_accepts_from_the_list(front_end, telegram_api, bot) -> None:  # type: ignore[no-untyped-def]
    api = telegram_api
    turkish, romanian, bulgarian = Person(api, language_code="tr"), Person(api, language_code="ro"), Person(api, language_code="bg")
    _, first = _ask_coach(turkish, api, "marxloh", MARXLOH_GROUP, "Bir danışmanla konuşmak istiyorum, lütfen")
    _, second = _ask_coach(bulgarian, api, "marxloh", MARXLOH_GROUP, "Искам да говоря с консултант от екипа")
    _, elsewhere = _ask_coach(romanian, api, "hochfeld", HOCHFELD_GROUP, "Vreau să vorbesc cu un consilier, vă rog")
    first_id, second_id, other_id = handover_id(first), handover_id(second), handover_id(elsewhere)
    coach = _coach(api, "marxloh")
    _accept(api, MARXLOH_GROUP, first, coach, turkish)

    listing = _reply_in_group(api, MARXLOH_GROUP, "/open", coach, second)[-1]
    name = _coach_names(bot, "marxloh")[0]
    lines = listing.text.split("\n")
    mine = [line for line in lines if line.startswith(f"#{first_id} ") or line.startswith(f"#{second_id} ")]
    assert len(mine) == 2  # oldest first:
    unknown = gettext("de", texts.CARD_UNKNOWN)
    assert mine[0].startswith(_prefix(texts.OPEN_ACTIVE, id=first_id, language="Türkisch", district="Marxloh",
                                      group=unknown, name=name))
    assert mine[1].startswith(_prefix(texts.OPEN_WAITING, id=second_id, language="Bulgarisch", district="Marxloh",
                                      group=unknown))
    counts = _open_counts(bot, "marxloh")
    assert listing.text.split("\n")[0] == gettext("de", texts.OPEN_HEADER, district="Marxloh", **counts)
    assert not any(line.startswith(f"#{other_id} ") for line in lines)  # Hochfeld's request is not Marxloh's
    accept_buttons = [b["text"] for b in listing.buttons]
    assert gettext("de", texts.BTN_OPEN_ACCEPT, id=second_id) in accept_buttons
    assert gettext("de", texts.BTN_OPEN_ACCEPT, id=first_id) not in accept_buttons  # already active
    # Hochfeld's group sees its own list
    hochfeld = _reply_in_group(api, HOCHFELD_GROUP, "/open", _coach(api, "hochfeld"), elsewhere)[-1]
    assert f"#{other_id} " in hochfeld.text and f"#{second_id} " not in hochfeld.text
    # someone who is no coach of the team gets no list
    stranger = api.user(999_001, first_name="Fremd")
    refused = _reply_in_group(api, MARXLOH_GROUP, "/open", stranger, second)[-1]
    assert refused.text == gettext("de", texts.NOT_A_COACH)

    # Accept from the list: the second coach takes the Bulgarian request, the person is told in Bulgarian
    colleague = _coach(api, "marxloh", 1)
    before = bulgarian.seen
    button = next(b for b in listing.buttons if b["text"] == gettext("de", texts.BTN_OPEN_ACCEPT, id=second_id))
    api.press(MARXLOH_GROUP, listing.message_id, button["callback_data"], colleague)
    joined = settle(api, bulgarian.id, before)
    assert _coach_names(bot, "marxloh")[1] in bulgarian.text(joined)
    assert _handover(bot, second_id).status == "active"
    for person, card, language in ((turkish, first, "tr"), (bulgarian, second, "bg")):
        holder = coach if card is first else colleague
        _end(api, MARXLOH_GROUP, card, holder, person, language)
    _cancel(romanian, "ro")


def test_transfer_to_a_colleague_to_the_queue_and_to_the_other_team_loses_nothing(front_end, telegram_api, bot) -> None:  # type: ignore[no-untyped-def]
    api = telegram_api
    person = Person(api, language_code="tr")
    _, card = _ask_coach(person, api, "marxloh", MARXLOH_GROUP, "Bir koçla görüşmek istiyorum, CV için")
    hid = handover_id(card)
    first, second = _coach(api, "marxloh"), _coach(api, "marxloh", 1)
    first_name, second_name = _coach_names(bot, "marxloh")
    _accept(api, MARXLOH_GROUP, card, first, person)
    written = ["Merhaba, CV'mi göndereyim mi?"]
    api.send_text(person.id, written[0], person.user)
    api.wait_messages(MARXLOH_GROUP, predicate=lambda m: written[0] in m.text)

    # to a colleague, by the button with the colleague's name
    choose = _reply_in_group(api, MARXLOH_GROUP, "/transfer", first, card)[-1]
    assert choose.text == gettext("de", texts.TRANSFER_CHOOSE, id=hid)
    titles = [b["text"] for b in choose.buttons]
    assert second_name in titles and first_name not in titles
    assert gettext("de", texts.BTN_TRANSFER_QUEUE) in titles
    assert gettext("de", texts.BTN_TRANSFER_TEAM, district="Hochfeld") in titles
    before = person.seen
    api.press(MARXLOH_GROUP, choose.message_id, next(b for b in choose.buttons if b["text"] == second_name)["callback_data"], first)
    told = settle(api, person.id, before)
    assert gettext("tr", texts.TRANSFERRED_TO_COACH, name=second_name) in person.text(told)
    assert _handover(bot, hid).coach_name == second_name
    # the old holder can no longer pass it on; the new one relays
    refused = _reply_in_group(api, MARXLOH_GROUP, "/transfer", first, card)[-1]
    assert refused.text == gettext("de", texts.TRANSFER_NOT_ALLOWED, id=hid, name=second_name)
    written.append("Yarın gelebilir miyim?")
    api.send_text(person.id, written[1], person.user)
    api.wait_messages(MARXLOH_GROUP, predicate=lambda m: written[1] in m.text)

    # back to the queue: what the person writes meanwhile waits and reaches whoever accepts, once
    choose = _reply_in_group(api, MARXLOH_GROUP, "/transfer", second, card)[-1]
    before = person.seen
    queue = next(b for b in choose.buttons if b["text"] == gettext("de", texts.BTN_TRANSFER_QUEUE))
    api.press(MARXLOH_GROUP, choose.message_id, queue["callback_data"], second)
    told = settle(api, person.id, before)
    assert gettext("tr", texts.TRANSFERRED_TO_QUEUE) in person.text(told)
    assert _handover(bot, hid).status == "waiting"
    redrawn = api.message(MARXLOH_GROUP, card.message_id)
    assert [b["text"] for b in redrawn.buttons] == [gettext("de", texts.BTN_ACCEPT)]  # Accept is back on the card
    written.append("Kimse var mı?")
    api.send_text(person.id, written[2], person.user)

    # to the other team: Hochfeld's group gets the card with everything so far
    lead = _coach(api, "marxloh")
    _set_coach(bot, COACHES["marxloh"][0], is_lead=True)  # a waiting request: only a team lead passes it on
    try:
        choose = _reply_in_group(api, MARXLOH_GROUP, "/transfer", lead, card)[-1]
        before = person.seen
        team = next(b for b in choose.buttons if b["text"] == gettext("de", texts.BTN_TRANSFER_TEAM, district="Hochfeld"))
        api.press(MARXLOH_GROUP, choose.message_id, team["callback_data"], lead)
        told = settle(api, person.id, before)
    finally:
        _set_coach(bot, COACHES["marxloh"][0], is_lead=False)
    assert gettext("tr", texts.TRANSFERRED_TO_TEAM, district="Hochfeld") in person.text(told)
    new_card = _last(api, HOCHFELD_GROUP, lambda m: f"#{hid}" in m.text and bool(m.buttons))
    so_far = _last(api, HOCHFELD_GROUP, lambda m: m.text.startswith(
        gettext("de", texts.HISTORY_SO_FAR, district="Marxloh", id=hid)))
    assert written[0] in so_far.text and written[1] in so_far.text and written[2] not in so_far.text  # not yet delivered
    assert _handover(bot, hid).group_chat_id == HOCHFELD_GROUP
    written.append("Hochfeld'de de olur")
    api.send_text(person.id, written[3], person.user)

    _accept(api, HOCHFELD_GROUP, new_card, _coach(api, "hochfeld"), person)
    for words in written[2:]:
        api.wait_messages(HOCHFELD_GROUP, predicate=lambda m, w=words: m.text == gettext("de", texts.RELAY_PREFIX, id=hid, text=w))
    settle(api, HOCHFELD_GROUP, len(api.messages(HOCHFELD_GROUP)) - 1)
    # every message of the person arrived exactly once, in order, in the group that held the request then
    assert [_copies_in(api, MARXLOH_GROUP, hid, w) for w in written] == [1, 1, 0, 0]
    assert [_copies_in(api, HOCHFELD_GROUP, hid, w) for w in written] == [0, 0, 1, 1]
    stored = _relayed(bot, hid)
    assert [m.text for m in stored] == written and all(m.delivered_at is not None for m in stored)
    _end(api, HOCHFELD_GROUP, new_card, _coach(api, "hochfeld"), person, "tr")


def test_the_card_shows_earlier_handovers_and_none_after_delete(front_end, telegram_api, bot) -> None:  # type: ignore[no-untyped-def]
    api = telegram_api
    person = Person(api, language_code="bg")
    coach = _coach(api, "hochfeld")
    _, card = _ask_coach(person, api, "hochfeld", HOCHFELD_GROUP, "Искам да говоря с консултант")
    first_id = handover_id(card)
    history = gettext("de", texts.CARD_HISTORY, count=1).split(":")[0]
    assert history not in card.text
    _accept(api, HOCHFELD_GROUP, card, coach, person)
    _end(api, HOCHFELD_GROUP, card, coach, person, "bg", note="Termin am Montag vereinbart")
    closed = api.message(HOCHFELD_GROUP, card.message_id)
    assert gettext("de", texts.CARD_CLOSED_NOTE, note="Termin am Montag vereinbart") in closed.text

    again = "Може ли пак да говоря с човек от екипа?"
    person.say(again)
    second = card_for(api, HOCHFELD_GROUP, again)
    assert handover_id(second) != first_id
    assert gettext("de", texts.CARD_HISTORY, count=1) in second.text
    assert f"#{first_id} " in second.text and "Hochfeld" in second.text
    assert gettext("de", texts.CARD_HISTORY_NOTE, note="Termin am Montag vereinbart") in second.text
    _cancel(person, "bg")

    asked = person.say("/delete")
    done = person.press(asked[-1], gettext("bg", BTN_DELETE_YES.title))
    assert done[-1].text == gettext("bg", RESPONSES["utter_deletion_done"].text)
    third_words = "Искам консултант, моля"
    _, third = _ask_coach(person, api, "hochfeld", HOCHFELD_GROUP, third_words)
    item = gettext("de", texts.CARD_HISTORY_ITEM, id=first_id, date="\0", district="", status="").split("\0")[0]
    assert history not in third.text and item not in third.text  # nothing of before is left
    _cancel(person, "bg")


def test_away_coaches_are_skipped_by_reminders_and_an_absent_team_is_said_honestly(front_end, telegram_api, bot) -> None:  # type: ignore[no-untyped-def]
    api = telegram_api
    names = _coach_names(bot, "hochfeld")
    engine = _engine(bot)
    with Session(engine, future=True) as session, session.begin():
        team = session.execute(select(Team).where(Team.district == "hochfeld")).scalar_one()
        saved = {c.id: (c.languages, c.telegram_user_id) for c in team.coaches}
        for coach in team.coaches:  # the two linked coaches speak Romanian; nobody else has an account
            coach.languages = "de, ro" if coach.telegram_user_id else "de"
    engine.dispose()
    first, second = _coach(api, "hochfeld"), _coach(api, "hochfeld", 1)
    try:
        away = _reply_in_group(api, HOCHFELD_GROUP, "/away until friday", first)[-1]
        until = _away_until(bot, COACHES["hochfeld"][0]).astimezone(ZoneInfo("Europe/Berlin"))
        assert until.weekday() == 4 and until > utcnow() and until - utcnow() <= timedelta(days=7)
        shown = format_datetime(until, "EEE d.M. HH:mm", locale="de")
        assert away.text == gettext("de", texts.AWAY_SET, name=names[0], until=shown)
        person = Person(api, language_code="ro")
        _, card = _ask_coach(person, api, "hochfeld", HOCHFELD_GROUP, "Aș vrea să vorbesc cu cineva din echipă, vă rog")
        hid = handover_id(card)
        speakers = gettext("de", texts.CARD_SPEAKERS, language="Rumänisch", names=names[1])
        assert speakers in card.text  # the absent coach is not named
        seen = len(api.messages(HOCHFELD_GROUP))
        _backdate(bot, hid, 20)
        reminder = api.wait_messages(HOCHFELD_GROUP, after=seen, predicate=lambda m: f"#{hid} " in m.text)
        reminder = next(m for m in reminder if f"#{hid} " in m.text)
        assert reminder.text.startswith(f"{names[1]}: ") and names[0] not in reminder.text
        mentions = [e["user"]["id"] for e in reminder.params.get("entities") or [] if e["type"] == "text_mention"]
        assert mentions == [COACHES["hochfeld"][1]]
        _cancel(person, "ro")

        # everyone with an account away: the person is told when someone is expected back (the earliest return)
        indefinite = _reply_in_group(api, HOCHFELD_GROUP, "/away", second)[-1]
        assert indefinite.text == gettext("de", texts.AWAY_SET_OPEN, name=names[1])
        other = Person(api, language_code="tr")
        replies, _ = _ask_coach(other, api, "hochfeld", HOCHFELD_GROUP, "Bir danışmanla görüşebilir miyim acaba?")
        expected = gettext("tr", RESPONSES["utter_handover_all_away"].text, district="Hochfeld",
                           **day_and_time(until, "tr"))
        assert expected in other.text(replies)
        _cancel(other, "tr")
        back = _reply_in_group(api, HOCHFELD_GROUP, "/back", first)[-1]
        assert back.text == gettext("de", texts.AWAY_BACK, name=names[0])
    finally:
        for user_id in COACHES["hochfeld"]:
            _set_coach(bot, user_id, away_until=None)
        engine = _engine(bot)
        with Session(engine, future=True) as session, session.begin():
            for coach_id, (languages, _user) in saved.items():
                session.get(Coach, coach_id).languages = languages
        engine.dispose()


def _away_until(bot, user_id: int):  # type: ignore[no-untyped-def]
    engine = _engine(bot)
    with Session(engine, future=True) as session:
        found = session.execute(select(Coach.away_until).where(Coach.telegram_user_id == user_id)).scalar_one()
    engine.dispose()
    return as_utc(found)


def _backdate(bot, hid: int, minutes: int) -> None:  # type: ignore[no-untyped-def]
    engine = _engine(bot)
    with Session(engine, future=True) as session, session.begin():
        session.execute(update(Handover).where(Handover.id == hid).values(opened_at=utcnow() - timedelta(minutes=minutes)))
    engine.dispose()
