"""Handover data functions: atomic Accept, office hours, summaries; on SQLite and PostgreSQL."""
from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from afa.db import Coach, Handover, Team, create_schema, make_engine
from afa.handover import accept, by_group_message, close, due_reminders, open_handover, record, summarise
from afa.schedule import OfficeHours
from tests.conftest import seed

GROUP = -100777


def _prepare(url: str):  # type: ignore[no-untyped-def]
    engine = make_engine(url)
    create_schema(engine)
    seed(engine)
    with Session(engine, future=True) as s, s.begin():
        s.execute(update(Team).where(Team.district == "hochfeld").values(telegram_chat_id=GROUP))
        coaches = s.execute(select(Coach).join(Team).where(Team.district == "hochfeld")).scalars().all()
        for number, coach in enumerate(coaches):
            coach.telegram_user_id = 5000 + number
    return engine


def _race(engine, handover_id: int, contenders: int) -> list[bool]:  # type: ignore[no-untyped-def]
    """`contenders` coaches press Accept at the same moment, each in their own connection."""
    barrier = threading.Barrier(contenders)
    results: list[bool] = []

    def press(user_id: int) -> None:
        with Session(engine, future=True) as s, s.begin():
            coach = s.execute(select(Coach).where(Coach.telegram_user_id == user_id)).scalar_one()
            barrier.wait()
            results.append(accept(s, handover_id, coach).won)

    threads = [threading.Thread(target=press, args=(5000 + i,)) for i in range(contenders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _check_exactly_one_wins(url: str) -> None:
    engine = _prepare(url)
    for _ in range(5):
        with Session(engine, future=True) as s, s.begin():
            team = s.execute(select(Team).where(Team.district == "hochfeld")).scalar_one()
            handover, new = open_handover(s, f"race-{_}", team, "ro", "youth", "{}")
            assert new
            handover_id = handover.id
        assert sorted(_race(engine, handover_id, 2)) == [False, True]
        with Session(engine, future=True) as s:
            stored = s.get(Handover, handover_id)
            assert stored.status == "active" and stored.coach_user_id in (5000, 5001)
    engine.dispose()


def test_two_coaches_pressing_at_once_exactly_one_wins_sqlite(database_url: str) -> None:
    _check_exactly_one_wins(database_url)


@pytest.mark.postgres
def test_two_coaches_pressing_at_once_exactly_one_wins_postgres(postgres_url: str) -> None:
    _check_exactly_one_wins(postgres_url)


def test_one_open_handover_per_conversation_and_lookup_by_relayed_copy(database_url: str) -> None:
    engine = _prepare(database_url)
    with Session(engine, future=True) as s, s.begin():
        team = s.execute(select(Team).where(Team.district == "hochfeld")).scalar_one()
        first, new = open_handover(s, "4711", team, "tr", None, "{}")
        again, again_new = open_handover(s, "4711", team, "tr", None, "{}")
        assert new and not again_new and again.id == first.id
        first.card_message_id = 10
        record(s, first, "user", kind="text", text="Merhaba", source_chat_id=4711, source_message_id=3, copy_message_id=12)
        assert by_group_message(s, GROUP, 10).id == first.id
        assert by_group_message(s, GROUP, 12).id == first.id
        assert by_group_message(s, GROUP, 13) is None
        assert close(s, first.id, "cancelled") and not close(s, first.id)
        _, reopened = open_handover(s, "4711", team, "tr", None, "{}")
        assert reopened


def test_office_hours_and_next_opening_in_berlin() -> None:
    hours = OfficeHours.of("mon-thu 09:00-16:00; fri 09:00-12:00", "2026-12-24, 2026-12-25", "Europe/Berlin")
    berlin = hours.zone
    assert hours.is_open(datetime(2026, 11, 25, 10, 0, tzinfo=berlin))  # a Wednesday morning
    assert not hours.is_open(datetime(2026, 11, 27, 13, 0, tzinfo=berlin))  # Friday afternoon
    assert hours.next_opening(datetime(2026, 11, 27, 13, 0, tzinfo=berlin)) == datetime(2026, 11, 30, 9, 0, tzinfo=berlin)
    # Thursday 24 December is closed and Friday 25 too: back on Monday 28th.
    assert hours.next_opening(datetime(2026, 12, 23, 17, 0, tzinfo=berlin)) == datetime(2026, 12, 28, 9, 0, tzinfo=berlin)
    # UTC input: 07:30 UTC in winter is 08:30 in Berlin, half an hour before opening.
    assert hours.next_opening(datetime(2026, 11, 25, 7, 30, tzinfo=timezone.utc)) == datetime(2026, 11, 25, 9, 0, tzinfo=berlin)
    always = OfficeHours.of("", "", "Europe/Berlin")
    assert always.is_open(datetime(2026, 11, 29, 3, 0, tzinfo=berlin))


def test_reminders_only_for_waiting_cards_during_office_hours(database_url: str) -> None:
    engine = _prepare(database_url)
    with Session(engine, future=True) as s, s.begin():
        team = s.execute(select(Team).where(Team.district == "hochfeld")).scalar_one()
        team.office_hours = "mon-fri 09:00-16:00"
        handover, _ = open_handover(s, "99", team, "bg", None, "{}")
        handover.card_message_id = 1
        handover.opened_at = datetime(2026, 11, 25, 8, 0, tzinfo=timezone.utc)
        s.flush()
        handover_id = handover.id
    wednesday_noon = datetime(2026, 11, 25, 11, 0, tzinfo=timezone.utc)
    with Session(engine, future=True) as s:
        assert [h.id for h in due_reminders(s, wednesday_noon, timedelta(minutes=15))] == [handover_id]
        assert due_reminders(s, datetime(2026, 11, 25, 8, 10, tzinfo=timezone.utc), timedelta(minutes=15)) == []
        assert due_reminders(s, datetime(2026, 11, 25, 20, 0, tzinfo=timezone.utc), timedelta(minutes=15)) == []


def test_summary_keeps_the_users_own_words_not_button_payloads() -> None:
    events = [
        {"event": "user", "text": "/greet"},
        {"event": "bot", "text": "Bună! Cu ce vă pot ajuta?"},
        {"event": "user", "text": "Vreau să vorbesc cu cineva"},
        {"event": "slot", "name": "district"},
    ]
    summary = json.loads(summarise(events))
    assert summary["asked"] == ["Vreau să vorbesc cu cineva"]
    assert [item["who"] for item in summary["last"]] == ["bot", "user"]
