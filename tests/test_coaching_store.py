"""The coaches' side's data functions (afa/coaching.py): /away times, passing a handover on (once, by whom),
what a team has open, absent teams; on SQLite and PostgreSQL."""
from __future__ import annotations

import threading
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from afa.coaching import (
    UNTIL_BACK, AwayError, Transfer, expected_back, may_transfer, nobody_available, open_counts, open_of_team,
    parse_away, transfer,
)
from afa.db import Coach, Handover, Team
from afa.handover import accept, close, open_handover
from afa.schedule import OfficeHours
from tests.test_handover_store import _prepare

BERLIN = ZoneInfo("Europe/Berlin")
HOURS = OfficeHours.of("mon-thu 09:00-16:00; fri 09:00-12:00", "2026-12-24", "Europe/Berlin")
WEDNESDAY_10 = datetime(2026, 12, 2, 10, 0, tzinfo=BERLIN)  # a Wednesday in office hours


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("until 14:00", datetime(2026, 12, 2, 14, 0, tzinfo=BERLIN)),
        ("bis 9:30", datetime(2026, 12, 3, 9, 30, tzinfo=BERLIN)),  # 09:30 has passed today: tomorrow
        ("until friday", datetime(2026, 12, 4, 9, 0, tzinfo=BERLIN)),  # back when the office opens that day
        ("bis Montag", datetime(2026, 12, 7, 9, 0, tzinfo=BERLIN)),
        ("until wednesday", datetime(2026, 12, 9, 9, 0, tzinfo=BERLIN)),  # today's weekday: the next one
        ("until tomorrow 10:00", datetime(2026, 12, 3, 10, 0, tzinfo=BERLIN)),
        ("until 2026-12-28", datetime(2026, 12, 28, 9, 0, tzinfo=BERLIN)),
        ("bis 24.12.", datetime(2026, 12, 25, 9, 0, tzinfo=BERLIN)),  # a closed day: the next opening after it
        ("until 14 uhr", datetime(2026, 12, 2, 14, 0, tzinfo=BERLIN)),
    ],
)
def test_away_until(typed: str, expected: datetime) -> None:
    assert parse_away(typed.split(), WEDNESDAY_10, HOURS) == expected.astimezone(timezone.utc)


def test_away_without_a_time_lasts_until_back_and_nonsense_is_refused() -> None:
    assert parse_away([], WEDNESDAY_10, HOURS) == UNTIL_BACK
    for typed in ("until someday", "bis 25:00", "until 2026-11-01", "until 31.02.2027"):
        with pytest.raises(AwayError):
            parse_away(typed.split(), WEDNESDAY_10, HOURS)


def _handover(engine, sender: str, district: str = "hochfeld") -> int:  # type: ignore[no-untyped-def]
    with Session(engine, future=True) as s, s.begin():
        team = s.execute(select(Team).where(Team.district == district)).scalar_one()
        return open_handover(s, sender, team, "tr", None, "{}")[0].id


def _coaches(session: Session, district: str = "hochfeld") -> list[Coach]:
    return list(session.execute(select(Coach).join(Team).where(Team.district == district).order_by(Coach.position)).scalars())


def _check_transfers(url: str) -> None:
    engine = _prepare(url)
    with Session(engine, future=True) as s, s.begin():
        marxloh = s.execute(select(Team).where(Team.district == "marxloh")).scalar_one()
        marxloh.telegram_chat_id = -100888
    hid = _handover(engine, "transfer-1")
    with Session(engine, future=True) as s, s.begin():
        holder, colleague, other = _coaches(s)[:3]
        assert not may_transfer(s.get(Handover, hid), holder)  # waiting, and nobody's: only a lead
        accept(s, hid, holder)
        handover = s.get(Handover, hid)
        assert may_transfer(handover, holder) and not may_transfer(handover, colleague)
        colleague.is_lead = True
        assert may_transfer(handover, colleague)
        assert not may_transfer(handover, _coaches(s, "marxloh")[0])  # another team's coach, even a lead
        _coaches(s, "marxloh")[0].is_lead = True
        assert not may_transfer(handover, _coaches(s, "marxloh")[0])
        moved = transfer(s, hid, Transfer("coach", coach=other))
        assert (moved.status, moved.coach_name, moved.coach_user_id) == ("active", other.name, other.telegram_user_id)
        moved = transfer(s, hid, Transfer("queue"))
        assert (moved.status, moved.coach_user_id, moved.transferred_at is not None) == ("waiting", None, True)
        hochfeld_id = moved.team_id
        marxloh = s.execute(select(Team).where(Team.district == "marxloh")).scalar_one()
        moved = transfer(s, hid, Transfer("team", team=marxloh))
        assert (moved.team_id, moved.previous_team_id, moved.group_chat_id, moved.card_message_id) == (
            marxloh.id, hochfeld_id, -100888, None)
        close(s, hid)
        assert transfer(s, hid, Transfer("queue")) is None  # a closed handover goes nowhere

    # two coaches passing the same request at the same moment: exactly one moves it
    for round_ in range(3):
        hid = _handover(engine, f"transfer-race-{round_}")
        with Session(engine, future=True) as s, s.begin():
            accept(s, hid, _coaches(s)[0])
        barrier, results = threading.Barrier(2), []

        def press(target: str) -> None:
            with Session(engine, future=True) as s, s.begin():
                to = Transfer("queue") if target == "queue" else Transfer("team", team=s.execute(
                    select(Team).where(Team.district == "marxloh")).scalar_one())
                s.get(Handover, hid)  # what each coach saw when pressing (the bot reads it before deciding), the same
                barrier.wait()
                results.append(transfer(s, hid, to) is not None)

        threads = [threading.Thread(target=press, args=(t,)) for t in ("queue", "team")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(results) == [False, True]
    engine.dispose()


def test_transfers_on_sqlite(database_url: str) -> None:
    _check_transfers(database_url)


def test_transfers_on_postgresql(postgres_url: str) -> None:
    _check_transfers(postgres_url)


def test_open_of_team_counts_and_an_absent_team(database_url: str) -> None:
    engine = _prepare(database_url)
    ids = [_handover(engine, f"open-{n}") for n in range(4)]
    marxloh_id = _handover(engine, "open-m", "marxloh")
    with Session(engine, future=True) as s, s.begin():
        coaches = _coaches(s)
        accept(s, ids[1], coaches[0])
        accept(s, ids[2], coaches[0])
        close(s, ids[3])
        team = s.execute(select(Team).where(Team.district == "hochfeld")).scalar_one()
        assert [h.id for h in open_of_team(s, team.id)] == ids[:3]  # oldest first, closed ones left out
        counts = open_counts(s)
        assert counts[(team.id, coaches[0].telegram_user_id)] == 2 and counts[(team.id, None)] == 1
        assert marxloh_id not in [h.id for h in open_of_team(s, team.id)]

        now = WEDNESDAY_10.astimezone(timezone.utc)
        linked = [c for c in team.coaches if c.telegram_user_id is not None]
        assert not nobody_available(team, now)
        friday = datetime(2026, 12, 4, 9, 0, tzinfo=BERLIN)
        for coach in linked:
            coach.away_until = UNTIL_BACK
        linked[0].away_until = friday.astimezone(timezone.utc)
        assert nobody_available(team, now)
        assert expected_back(team, HOURS, now) == friday  # the earliest return given
        linked[0].away_until = UNTIL_BACK
        # nobody said when: the next office hours after today's (Thursday 09:00)
        assert expected_back(team, HOURS, now) == datetime(2026, 12, 3, 9, 0, tzinfo=BERLIN)
        linked[0].away_until = datetime(2026, 12, 1, tzinfo=timezone.utc)  # that absence is over
        assert not nobody_available(team, now)
    engine.dispose()
