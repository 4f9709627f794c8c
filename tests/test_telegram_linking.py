"""Team onboarding without numeric ids, through Telegram: the front end runs as its own process and talks to the
recording Bot API server; codes are made with `afa.linking.new_code` in the servers' database, as the console does.

Texts are checked against the catalogues (`gettext`): group texts in German, a coach's replies in their language.
"""
from __future__ import annotations

import itertools
import time
from datetime import timedelta
from typing import Any, Callable, Optional

import pytest
import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from afa.db import Coach, Team, shared_engine, utcnow
from afa.i18n import gettext
from afa.linking import LinkCode, new_code
from bot import texts
from tests.conftest import COACHES, configure_teams
from tests.telegram_user import Person, card_for, handover_id, settle

pytestmark = pytest.mark.server
BOT = "afa_test_bot"
TEAM_NAMES = {"hochfeld": "Netzwerkcoach-Team Hochfeld", "marxloh": "Netzwerkcoach-Team Marxloh"}
_group_ids = itertools.count(-1002000000001, -1)
CODES: list[str] = []  # every code the tests used: none may reach the front end's log


@pytest.fixture(scope="module", autouse=True)
def teams_as_configured(bot) -> Any:  # type: ignore[no-untyped-def]
    """These tests move the teams to groups of their own; the other modules find them where conftest put them."""
    yield
    configure_teams(bot.settings.database_url)


def _session(bot) -> Session:  # type: ignore[no-untyped-def]
    return Session(shared_engine(bot.settings.database_url), future=True, expire_on_commit=False)


def _code(bot, district: str, coach: Optional[int] = None, age: timedelta = timedelta(0)) -> str:  # type: ignore[no-untyped-def]
    """A fresh code for the team (or its coach number `coach`), made `age` ago (49 hours: expired)."""
    with _session(bot) as session, session.begin():
        team = session.execute(select(Team).where(Team.district == district)).scalar_one()
        target = {"coach": team.coaches[coach]} if coach is not None else {"team": team}
        code = new_code(session, created_by="admin@example.org", now=utcnow() - age, **target).code
    CODES.append(code)
    return code


def _team(bot, district: str) -> Team:  # type: ignore[no-untyped-def]
    with _session(bot) as session:
        return session.execute(select(Team).where(Team.district == district)).scalar_one()


def _coach(bot, district: str, number: int) -> Coach:  # type: ignore[no-untyped-def]
    with _session(bot) as session:
        team = session.execute(select(Team).where(Team.district == district)).scalar_one()
        return team.coaches[number]


def _used_at(bot, code: str):  # type: ignore[no-untyped-def]
    with _session(bot) as session:
        return session.execute(select(LinkCode.used_at).where(LinkCode.code == code)).scalar_one()


def _eventually(probe: Callable[[], Any], timeout: float = 15) -> Any:
    """`probe()` once it is true (the front end works in its own process)."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        assert time.monotonic() < deadline, "timeout waiting for the front end"
        time.sleep(0.05)


def _group(api, forum: bool = False, kind: str = "supergroup") -> int:  # type: ignore[no-untyped-def]
    chat_id = next(_group_ids)
    api.add_chat(chat_id, type=kind, title=f"Coaches {-chat_id % 1000}", is_forum=forum)
    return chat_id


def _admin(api) -> dict:  # type: ignore[no-untyped-def]
    """The coordinator who creates the group and adds the bot: no coach."""
    return api.user(5550001, first_name="Koordinatorin", language_code="de")


def _say_in_group(api, group: int, text: str, user: dict) -> str:  # type: ignore[no-untyped-def]
    """What the bot answers in the group to `text` (one message)."""
    after = len(api.messages(group))
    api.send_text(group, text, user)
    return settle(api, group, after)[0].text


def _add_bot(api, group: int, code: str) -> str:  # type: ignore[no-untyped-def]
    """The coordinator opens t.me/<bot>?startgroup=CODE: the bot joins, then Telegram sends `/start CODE`."""
    api.set_bot_member(group, "member", _admin(api))
    return _say_in_group(api, group, f"/start@{BOT} {code}" if group % 2 else f"/start {code}", _admin(api))


def _linked(district: str) -> str:
    return gettext("de", texts.GROUP_LINKED, team=TEAM_NAMES[district], district=district.capitalize())


def test_the_bot_added_with_a_code_links_the_group_and_the_next_card_goes_there(front_end, telegram_api, bot) -> None:  # type: ignore[no-untyped-def]
    api = telegram_api
    group = _group(api)
    code = _code(bot, "marxloh")
    assert _add_bot(api, group, code) == _linked("marxloh")  # a plain group: no note about topics
    team = _team(bot, "marxloh")
    assert (team.telegram_chat_id, team.telegram_chat_title, team.telegram_is_forum) == (group, f"Coaches {-group % 1000}", False)
    assert (team.bot_status, team.bot_can_manage_topics) == ("member", False) and team.bot_status_at is not None
    assert _used_at(bot, code) is not None
    member_calls = [c for c in api.calls if c.method == "getChatMember" and c.params.get("chat_id") == group]
    assert member_calls and member_calls[0].params["user_id"] == 999000  # the bot asked about itself
    # the team's next request is posted in the new group, and its coach can take it there
    person = Person(api, language_code="tr")
    person.say("/start marxloh")
    person.say("Bir danışmanla konuşmak istiyorum lütfen")
    card = card_for(api, group, "Bir danışmanla konuşmak istiyorum lütfen")
    coach = api.user(COACHES["marxloh"][0], first_name="Coach0")
    before = person.seen
    api.press(group, card.message_id, card.buttons[0]["callback_data"], coach)
    assert _coach(bot, "marxloh", 0).name in person.text(settle(api, person.id, before))
    api.send_text(group, "/end", coach, reply_to=card.message_id)
    settle(api, person.id, person.seen, predicate=lambda m: m.text == gettext("tr", texts.HANDOVER_ENDED))


def test_link_fallback_in_a_forum_asks_for_topic_rights_and_follows_promotion_and_demotion(front_end, telegram_api, bot) -> None:  # type: ignore[no-untyped-def]
    api = telegram_api
    admin = _admin(api)
    group = _group(api, forum=True)
    api.set_bot_member(group, "member", admin)
    # not a team group yet: other commands still get the pointer to a private chat
    other = _say_in_group(api, group, "/help", admin)
    assert other == gettext("de", texts.GROUP_ONLY_PRIVATE, link=f"https://t.me/{BOT}")
    assert _say_in_group(api, group, f"/link@{BOT}", admin) == gettext("de", texts.GROUP_LINK_USAGE, bot=BOT)
    code = _code(bot, "hochfeld")
    said = _say_in_group(api, group, f"/link@{BOT} {code}", admin)
    assert said == _linked("hochfeld") + "\n\n" + gettext("de", texts.GROUP_NEEDS_TOPIC_RIGHTS)
    team = _team(bot, "hochfeld")
    assert (team.telegram_chat_id, team.telegram_is_forum, team.bot_status, team.bot_can_manage_topics) == (group, True, "member", False)

    api.set_bot_member(group, "administrator", admin, can_manage_topics=True)
    promoted = _eventually(lambda: (t := _team(bot, "hochfeld")).bot_status == "administrator" and t)
    assert promoted.bot_can_manage_topics is True
    after = len(api.messages(group))
    api.set_bot_member(group, "administrator", admin, can_manage_topics=False)  # the topic right taken away
    warned = settle(api, group, after)
    assert [m.text for m in warned] == [gettext("de", texts.GROUP_NEEDS_TOPIC_RIGHTS)]
    assert _team(bot, "hochfeld").bot_can_manage_topics is False


@pytest.mark.parametrize("status", ["left", "kicked"])
def test_the_bot_removed_from_a_team_group_is_marked_as_no_longer_a_member(front_end, telegram_api, bot, status) -> None:  # type: ignore[no-untyped-def]
    api = telegram_api
    group = _group(api)
    assert _add_bot(api, group, _code(bot, "marxloh")) == _linked("marxloh")
    api.set_bot_member(group, "administrator", _admin(api))
    _eventually(lambda: _team(bot, "marxloh").bot_status == "administrator")
    api.set_bot_member(group, status, _admin(api))
    gone = _eventually(lambda: (t := _team(bot, "marxloh")).bot_status == status and t)
    assert gone.telegram_chat_id == group and gone.bot_can_manage_topics is False  # the console shows the problem


def test_expired_used_unknown_and_wrong_kind_codes_are_refused_in_groups_and_nothing_changes(front_end, telegram_api, bot) -> None:  # type: ignore[no-untyped-def]
    api = telegram_api
    admin = _admin(api)
    home = _group(api)
    used = _code(bot, "hochfeld")
    assert _add_bot(api, home, used) == _linked("hochfeld")
    before = _team(bot, "hochfeld")

    stranger = _group(api)
    api.set_bot_member(stranger, "member", admin)
    expired = _code(bot, "hochfeld", age=timedelta(hours=49))
    refusals = {
        f"/start {expired}": texts.GROUP_CODE_EXPIRED,
        f"/link@{BOT} {used}": texts.GROUP_CODE_USED,
        f"/link {used.upper()}": texts.GROUP_CODE_USED,
        f"/link@{BOT} zzzzzzzzzz": texts.GROUP_CODE_UNKNOWN,
    }
    coach_code = _code(bot, "hochfeld", coach=2)
    refusals[f"/start {coach_code}"] = texts.GROUP_CODE_FOR_COACH
    refusals[f"/link join_{coach_code}"] = texts.GROUP_CODE_FOR_COACH
    for command, refusal in refusals.items():
        assert _say_in_group(api, stranger, command, admin) == gettext("de", refusal), command
    after = _team(bot, "hochfeld")
    assert (after.telegram_chat_id, after.telegram_chat_title, after.bot_status) == (home, before.telegram_chat_title, "member")
    assert _used_at(bot, expired) is None and _used_at(bot, coach_code) is None
    assert _coach(bot, "hochfeld", 2).telegram_user_id is None


def test_a_coach_links_their_account_and_can_accept_a_card(front_end, telegram_api, bot) -> None:  # type: ignore[no-untyped-def]
    api = telegram_api
    group = _group(api)
    assert _add_bot(api, group, _code(bot, "hochfeld")) == _linked("hochfeld")
    coach_row = _coach(bot, "hochfeld", 2)
    assert coach_row.telegram_user_id is None
    # the coach's link: /start join_CODE, answered in her Telegram language, and Rasa never hears of it
    coach = Person(api, language_code="ro", name="Ercan")
    replies = coach.say(f"/start join_{_code(bot, 'hochfeld', coach=2)}")
    assert [m.text for m in replies] == [gettext("ro", texts.COACH_LINKED, name=coach_row.name, team=TEAM_NAMES["hochfeld"])]
    tracker = requests.get(f"{bot.url}/conversations/{coach.id}/tracker", timeout=30).json()
    assert not [e for e in tracker.get("events") or [] if e.get("event") == "user"]
    linked = _coach(bot, "hochfeld", 2)
    assert (linked.telegram_user_id, linked.telegram_name) == (coach.id, "Ercan") and linked.linked_at is not None

    # a request in Hochfeld: the newly linked coach accepts it in the newly linked group
    person = Person(api, language_code="bg")
    person.say("/start hochfeld")
    person.say("Искам да говоря с консултант, моля")
    card = card_for(api, group, "Искам да говоря с консултант, моля")
    stranger = api.user(5550002, first_name="Passant")
    pressed = api.press(group, card.message_id, card.buttons[0]["callback_data"], stranger)["callback_query"]["id"]
    refused = api.wait_call("answerCallbackQuery", lambda c: c.params.get("callback_query_id") == pressed)
    assert refused.params.get("text") == gettext("de", texts.ACCEPT_NOT_COACH)
    before = person.seen
    api.press(group, card.message_id, card.buttons[0]["callback_data"], coach.user)
    assert coach_row.name in person.text(settle(api, person.id, before))
    api.send_text(group, "/end", coach.user, reply_to=card.message_id)
    settle(api, person.id, person.seen, predicate=lambda m: m.text == gettext("bg", texts.HANDOVER_ENDED))
    closed = gettext("de", texts.CARD_CLOSED)
    assert _eventually(lambda: closed in api.message(group, card.message_id).text)
    assert f"#{handover_id(card)}" in api.message(group, card.message_id).text


def test_join_in_a_private_chat_in_the_coachs_language_and_its_refusals(front_end, telegram_api, bot) -> None:  # type: ignore[no-untyped-def]
    api = telegram_api
    coach_row = _coach(bot, "marxloh", 2)
    coach = Person(api, language_code="tr", name="Kathrin")
    assert coach.text(coach.say("/join")) == gettext("tr", texts.JOIN_USAGE)
    code = _code(bot, "marxloh", coach=2)
    assert coach.text(coach.say(f"/join {code}")) == gettext("tr", texts.COACH_LINKED, name=coach_row.name, team=TEAM_NAMES["marxloh"])
    assert _coach(bot, "marxloh", 2).telegram_user_id == coach.id

    someone = Person(api, language_code="bg", name="Someone")
    assert someone.text(someone.say(f"/join {code}")) == gettext("bg", texts.COACH_CODE_USED)
    expired = _code(bot, "marxloh", coach=1, age=timedelta(hours=49))
    assert someone.text(someone.say(f"/start join_{expired}")) == gettext("bg", texts.COACH_CODE_EXPIRED)
    assert someone.text(someone.say("/join zzzzzzzzzz")) == gettext("bg", texts.COACH_CODE_UNKNOWN)
    team_code = _code(bot, "marxloh")
    assert someone.text(someone.say(f"/join {team_code}")) == gettext("bg", texts.COACH_CODE_FOR_GROUP)
    assert _coach(bot, "marxloh", 2).telegram_user_id == coach.id  # nothing changed
    assert _coach(bot, "marxloh", 1).telegram_user_id == COACHES["marxloh"][1] and _used_at(bot, team_code) is None
    # the same refusal reads in German for a German account
    german = Person(api, language_code="de")
    assert german.text(german.say(f"/join {code}")) == gettext("de", texts.COACH_CODE_USED)


def test_a_group_upgraded_to_a_supergroup_stays_the_team_group(front_end, telegram_api, bot) -> None:  # type: ignore[no-untyped-def]
    api = telegram_api
    old = _group(api, kind="group")
    assert _add_bot(api, old, _code(bot, "marxloh")) == _linked("marxloh")
    new = next(_group_ids)
    api.migrate_chat(old, new, _admin(api))
    _eventually(lambda: _team(bot, "marxloh").telegram_chat_id == new)


def test_the_front_ends_log_holds_no_codes_and_no_group_ids(front_end, telegram_api, bot) -> None:  # type: ignore[no-untyped-def]
    """Runs last in this module: everything above went through the same front end and its log."""
    log = front_end.log.read_text(encoding="utf-8")
    assert "team marxloh: group linked" in log and "coach code refused (used)" in log  # it did log, at INFO
    assert CODES and not [code for code in CODES if code in log]
    groups = [str(chat_id) for chat_id in range(-1002000000001, next(_group_ids), -1)]
    assert not [chat_id for chat_id in groups if chat_id in log]
