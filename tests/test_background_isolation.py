"""The background pass isolates its items (issue 13, point 2): a team group that removed the bot, or a person who
blocked it, never holds up the others; failing items back off; the other side is told, in their language.

A real python-telegram-bot `Application` (not polling) makes real HTTP calls to the project's recording Bot API
server, which answers 403 for a blocked chat as Telegram does; each test has its own SQLite database and groups.
Rasa is not needed: cards, relays, reminders and redactions are the front end's own.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import random
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from telegram import Update
from telegram.ext import Application

from afa.content import render_contacts
from afa.db import Handover, Redaction, RelayedMessage, Team, utcnow
from afa.handover import record
from afa.i18n import gettext
from afa.settings import Settings
from bot import texts
from bot.app import build_application
from bot.handover import reminder, run_jobs
from bot.state import Backoff, FrontEnd
from tests.botapi import BotApiServer
from tests.conftest import COACHES
from tests.telegram_user import Person

_groups = itertools.count(-1002000000000 - random.randint(0, 10**6) * 1000, -1)


@dataclass
class Front:
    """The front end under test: its Application, event loop, database, and the two teams' groups."""

    application: Application
    loop: asyncio.AbstractEventLoop
    engine: Any
    api: BotApiServer
    groups: dict[str, int]  # district → the team's group

    @property
    def fe(self) -> FrontEnd:
        return self.application.bot_data["afa"]

    def run_pass(self) -> int:
        """One background pass; how many items failed in it."""
        return self.loop.run_until_complete(run_jobs(self.fe, self.application.bot))

    def process(self, update: dict) -> None:
        self.loop.run_until_complete(self.application.process_update(Update.de_json(update, self.application.bot)))

    def later(self, seconds: float) -> None:
        """The back-off's clock jumps ahead (a test cannot wait half a minute)."""
        clock = self.fe.backoff.clock
        self.fe.backoff.clock = lambda: clock() + seconds

    def calls_about(self, chat_id: int, since: int = 0) -> list[Any]:
        return [c for c in self.api.calls[since:] if c.params.get("chat_id") == chat_id]

    def handover(self, person: Person, district: str, language: str, status: str = "waiting", card: bool = False,
                 opened_minutes_ago: float = 0) -> int:
        """A handover of `person` to the district's team, as the action server opens it (the card not yet posted
        unless `card`; `active` with the team's first coach)."""
        with Session(self.engine, future=True) as session, session.begin():
            team = session.execute(select(Team).where(Team.district == district)).scalar_one()
            handover = Handover(conversation_id=str(person.id), team_id=team.id, language=language, summary="{}",
                                group_chat_id=self.groups[district], status=status,
                                opened_at=utcnow() - timedelta(minutes=opened_minutes_ago))
            if card:
                handover.card_message_id = self._bot_message(self.groups[district], f"card of {person.id}")
            if status == "active":
                coach = team.coaches[0]
                handover.coach_user_id, handover.coach_name, handover.accepted_at = coach.telegram_user_id, coach.name, utcnow()
            session.add(handover)
            session.flush()
            return handover.id

    def user_message(self, handover_id: int, person: Person, text: str) -> None:
        """A message of the person stored for the coach and not delivered yet (as when the group was away)."""
        source = self.api.send_text(person.id, text, person.user)["message"]
        with Session(self.engine, future=True) as session, session.begin():
            record(session, session.get(Handover, handover_id), "user", sender_id=person.id, sender_name="P",
                   kind="text", text=text, source_chat_id=person.id, source_message_id=source["message_id"])

    def _bot_message(self, chat_id: int, text: str) -> int:
        """A message the bot sent in a chat (a card drawn earlier, say); its id."""
        return self.loop.run_until_complete(self.application.bot.send_message(chat_id, text)).message_id


@pytest.fixture()
def front(seeded_engine, telegram_api: BotApiServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Front]:
    """Two teams with their own fresh groups (Hochfeld's and Marxloh's) and linked coaches."""
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:ISOLATION")
    monkeypatch.setenv("TELEGRAM_API_URL", telegram_api.base_url)
    monkeypatch.setenv("AFA_TELEGRAM_GROUP_RATE", "0")  # far more than 20 messages a minute to one group here
    groups = {"hochfeld": next(_groups), "marxloh": next(_groups)}
    with Session(seeded_engine, future=True) as session, session.begin():
        for team in session.execute(select(Team)).scalars():
            team.telegram_chat_id, team.office_hours, team.closed_days = groups[team.district], "", ""
            for coach, user_id in zip(team.coaches, COACHES[team.district]):
                coach.telegram_user_id = user_id
    for district, chat_id in groups.items():
        telegram_api.add_chat(chat_id, type="supergroup", title=f"Netzwerkcoaches {district}")
    loop = asyncio.new_event_loop()
    application = loop.run_until_complete(_built(Settings(), seeded_engine))
    loop.run_until_complete(application.initialize())
    fe: FrontEnd = application.bot_data["afa"]
    fe.last_purge = None
    yield Front(application, loop, seeded_engine, telegram_api, groups)
    for chat_id in groups.values():
        telegram_api.unblock(chat_id)
    loop.run_until_complete(application.shutdown())
    loop.close()


async def _built(settings: Settings, engine: Any) -> Application:
    return build_application(settings, engine)


def _texts(api: BotApiServer, chat_id: int, after: int = 0) -> list[str]:
    return [m.text for m in api.messages(chat_id)[after:]]


def _undelivered(front: Front, handover_id: int) -> list[RelayedMessage]:
    with Session(front.engine, future=True) as session:
        query = select(RelayedMessage).where(RelayedMessage.handover_id == handover_id, RelayedMessage.delivered_at.is_(None))
        return list(session.execute(query).scalars())


def _redactions(front: Front) -> set[int]:
    with Session(front.engine, future=True) as session:
        return set(session.execute(select(Redaction.chat_id)).scalars())


def _reminder_text(front: Front, handover_id: int) -> str:
    with Session(front.engine, future=True) as session:
        return reminder(session.get(Handover, handover_id))[0]


def _team_unreachable(front: Front, language: str, district: str) -> str:
    with Session(front.engine, future=True) as session:
        contacts = render_contacts(session, language, district)
    return gettext(language, texts.TEAM_UNREACHABLE, district=district.capitalize(), contacts=contacts)


def test_a_group_that_removed_the_bot_holds_up_nobody(front: Front) -> None:
    api, gone, fine = front.api, front.groups["hochfeld"], front.groups["marxloh"]
    waiting_gone, waiting_fine = Person(api, "tr"), Person(api, "de")  # cards to post
    talking_gone, talking_fine = Person(api, "ro"), Person(api, "bg")  # messages to relay
    remind_gone, remind_fine = Person(api, "de"), Person(api, "tr")  # reminders due
    cards = {p.id: front.handover(p, d, p.user["language_code"]) for p, d in ((waiting_gone, "hochfeld"), (waiting_fine, "marxloh"))}
    talks = {p.id: front.handover(p, d, p.user["language_code"], status="active", card=True)
             for p, d in ((talking_gone, "hochfeld"), (talking_fine, "marxloh"))}
    reminded = {p.id: front.handover(p, d, "de", card=True, opened_minutes_ago=60)
                for p, d in ((remind_gone, "hochfeld"), (remind_fine, "marxloh"))}
    front.user_message(talks[talking_gone.id], talking_gone, "Bună ziua, am o întrebare")
    front.user_message(talks[talking_fine.id], talking_fine, "Здравейте, имам въпрос")
    erased = front._bot_message(fine, "a copy of an erased person's message")
    with Session(front.engine, future=True) as session, session.begin():
        session.add_all([Redaction(chat_id=gone, message_id=7, action="delete"),
                         Redaction(chat_id=fine, message_id=erased, action="delete")])
    api.block(gone)  # Hochfeld's group removed the bot: every call about it answers 403
    before_fine = len(api.messages(fine))

    failed = front.run_pass()

    # Marxloh's items all went through in the same pass as Hochfeld's failures.
    sent = api.messages(fine)[before_fine:]
    assert any(m.buttons and m.buttons[0]["callback_data"] == f"acc:{cards[waiting_fine.id]}" for m in sent)
    assert gettext("de", texts.RELAY_PREFIX, id=talks[talking_fine.id], text="Здравейте, имам въпрос") in [m.text for m in sent]
    assert _reminder_text(front, reminded[remind_fine.id]) in [m.text for m in sent]
    assert api.message(fine, erased).deleted and _redactions(front) == {gone}
    assert front.fe.last_purge is not None  # the retention purge ran too
    assert failed == 4  # Hochfeld's card, relay, reminder and redaction, each on its own
    assert _undelivered(front, talks[talking_gone.id]) and not _undelivered(front, talks[talking_fine.id])
    # The people whose words cannot reach Hochfeld's team are told, in their language, with its contacts.
    for person in (waiting_gone, talking_gone):
        assert _texts(api, person.id)[-1] == _team_unreachable(front, person.user["language_code"], "hochfeld")
    assert "@" in _texts(api, talking_gone.id)[-1]  # the team's e-mail addresses, from the content

    # Backing off: the very next pass does not try Hochfeld's items again, and nobody is told twice.
    since, told = len(api.calls), len(api.messages(talking_gone.id))
    assert front.run_pass() == 0
    assert front.calls_about(gone, since) == []
    # A new message of the person is tried at once (it is no background retry), kept, and not announced again.
    front.process(api.send_text(talking_gone.id, "Mai sunteți acolo?", talking_gone.user))
    assert len(front.calls_about(gone, since)) == 1 and len(_undelivered(front, talks[talking_gone.id])) == 2
    assert len(api.messages(talking_gone.id)) == told

    # The group adds the bot back: once the back-off has passed, everything kept arrives, in order.
    api.unblock(gone)
    front.later(31)
    before_gone = len(api.messages(gone))
    assert front.run_pass() == 0
    arrived = _texts(api, gone, before_gone)
    relayed = [t for t in arrived if t.startswith(f"#{talks[talking_gone.id]}:")]
    assert relayed == [gettext("de", texts.RELAY_PREFIX, id=talks[talking_gone.id], text=t)
                       for t in ("Bună ziua, am o întrebare", "Mai sunteți acolo?")]
    assert any(f"#{cards[waiting_gone.id]}" in t for t in arrived) and _reminder_text(front, reminded[remind_gone.id]) in arrived
    assert _redactions(front) == set() and not _undelivered(front, talks[talking_gone.id])


def test_a_person_who_blocked_the_bot_and_their_coach_is_told(front: Front) -> None:
    api, group = front.api, front.groups["marxloh"]
    person = Person(api, "bg")
    handover_id = front.handover(person, "marxloh", "bg")
    front.run_pass()  # the card
    card = next(m for m in api.messages(group) if m.buttons and m.buttons[0]["callback_data"] == f"acc:{handover_id}")
    coach = api.user(COACHES["marxloh"][0], first_name="Coach", language_code="de")
    front.process(api.press(group, card.message_id, f"acc:{handover_id}", coach))
    api.block(person.id)  # "Forbidden: bot was blocked by the user"
    before = len(api.messages(group))

    for words in ("Guten Tag, wann passt es Ihnen?", "Sind Sie noch da?"):
        front.process(api.send_text(group, words, coach, reply_to=card.message_id))

    notice = gettext("de", texts.PERSON_UNREACHABLE, id=handover_id)
    assert _texts(api, group, before) == [notice]  # once per handover, in the group, in German
    assert not _undelivered(front, handover_id)  # settled: not retried forever
    with Session(front.engine, future=True) as session:
        sent = session.execute(select(RelayedMessage).where(RelayedMessage.handover_id == handover_id,
                                                            RelayedMessage.direction == "coach")).scalars().all()
        assert len(sent) == 2 and all(m.copy_message_id is None for m in sent)  # no copy reached the person
    since = len(api.calls)
    assert front.run_pass() == 0 and front.calls_about(person.id, since) == []
    # Unblocked, the person writes again: the coach reads it, and the coach's answers reach them again.
    api.unblock(person.id)
    front.process(api.send_text(person.id, "Извинете, ето ме отново", person.user))
    assert _texts(api, group)[-1] == gettext("de", texts.RELAY_PREFIX, id=handover_id, text="Извинете, ето ме отново")
    front.process(api.send_text(group, "Schön, dass Sie da sind", coach, reply_to=card.message_id))
    assert _texts(api, person.id)[-1] == "Schön, dass Sie da sind"


def test_a_broken_row_backs_off_alone(front: Front) -> None:
    """One handover whose row cannot be used (its summary is no JSON: the card cannot be drawn) backs off alone."""
    api, group = front.api, front.groups["marxloh"]
    broken, fine = Person(api, "de"), Person(api, "tr")
    broken_id = front.handover(broken, "marxloh", "de")
    fine_id = front.handover(fine, "marxloh", "tr")
    with Session(front.engine, future=True) as session, session.begin():
        session.get(Handover, broken_id).summary = "{not json"
    before = len(api.messages(group))
    assert front.run_pass() == 1
    posted = [m.buttons[0]["callback_data"] for m in api.messages(group)[before:] if m.buttons]
    assert posted == [f"acc:{fine_id}"]
    assert front.fe.backoff.failures[("card", broken_id)][0] == 1
    with Session(front.engine, future=True) as session, session.begin():
        session.get(Handover, broken_id).summary = json.dumps({"asked": ["Deutschkurs"]})
    assert front.run_pass() == 0 and len(api.messages(group)) == before + 1  # backing off: not tried yet
    front.later(31)
    assert front.run_pass() == 0
    assert api.messages(group)[-1].buttons[0]["callback_data"] == f"acc:{broken_id}"
    assert ("card", broken_id) not in front.fe.backoff.failures


def test_back_off_doubles_up_to_an_hour_and_forgets_on_success() -> None:
    now = [1000.0]
    backoff = Backoff(clock=lambda: now[0])
    waits = []
    for _ in range(10):
        backoff.failed("x")
        retry_at = backoff.failures["x"][1]
        waits.append(retry_at - now[0])
        assert not backoff.due("x")
        now[0] = retry_at
        assert backoff.due("x")
    assert waits == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]
    assert backoff.due("other") and backoff.succeeded("x") and not backoff.succeeded("x") and backoff.due("x")
