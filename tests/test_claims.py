"""Claims across several front ends (issue 13, point 1): card claims with leases that expire, reminders claimed
before they are sent, and webhook mode refusing to start without a shared secret.

Races run two real sessions in threads released by one barrier, on SQLite and on PostgreSQL; the front-end start
uses a real python-telegram-bot `Application` against the project's recording Bot API server.
"""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Optional

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from afa.db import Handover, Team, as_utc, create_schema, make_engine, utcnow
from afa.handover import (
    CARD_CLAIMED, claim_card, claim_reminder, give_back_reminder, open_handover, release_card, without_card,
)
from afa.settings import Settings
from bot.app import JOBS, build_application, post_init
from tests.botapi import BotApiServer
from tests.conftest import PROJECT_ROOT, seed

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
LEASE = timedelta(seconds=120)
GROUP = -1003300000001


@pytest.fixture()
def engine(request: pytest.FixtureRequest, database_url: str) -> Any:
    """A migrated, seeded database of the backend the test is parametrised with."""
    url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else database_url
    engine = make_engine(url)
    create_schema(engine)
    seed(engine)
    yield engine
    engine.dispose()


def _handover(engine: Any, sender: str, card: Optional[int] = None, reminded_at: Optional[datetime] = None) -> int:
    """A waiting handover in a team group (with a posted card `card`, when given)."""
    with Session(engine, future=True) as session, session.begin():
        team = session.scalars(select(Team).order_by(Team.id)).first()
        handover, _new = open_handover(session, sender, team, "de", None, "{}")
        handover.group_chat_id, handover.card_message_id, handover.reminded_at = GROUP, card, reminded_at
        session.flush()
        return handover.id


def _race(engine: Any, attempt: Callable[[Session], Any]) -> list[Any]:
    """Two sessions make the same attempt at the same moment; what each got."""
    barrier, results = threading.Barrier(2), []

    def one() -> None:
        with Session(engine, future=True) as session, session.begin():
            session.execute(select(Handover.id)).all()  # both have read before either writes
            barrier.wait()
            results.append(attempt(session))

    threads = [threading.Thread(target=one) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _row(engine: Any, handover_id: int) -> Handover:
    from sqlalchemy.orm import undefer

    with Session(engine, future=True, expire_on_commit=False) as session:
        return session.get(Handover, handover_id, options=[undefer(Handover.card_claimed_at)])


@pytest.mark.parametrize("engine", BACKENDS, indirect=True)
def test_two_front_ends_racing_for_a_card_claim_one_wins(engine: Any) -> None:
    for round_ in range(3):
        hid = _handover(engine, f"card-race-{round_}")
        results = _race(engine, lambda s: claim_card(s, hid, LEASE))
        assert sorted(r is not None for r in results) == [False, True]
        assert _row(engine, hid).card_message_id == CARD_CLAIMED


@pytest.mark.parametrize("engine", BACKENDS, indirect=True)
def test_two_front_ends_racing_for_a_reminder_one_sends_it(engine: Any) -> None:
    earlier = utcnow() - timedelta(hours=1)
    for round_, seen in enumerate((None, earlier)):
        hid = _handover(engine, f"remind-race-{round_}", card=100 + round_, reminded_at=seen)
        seen = _row(engine, hid).reminded_at  # as the database gives it back, which the pass reads
        now = utcnow()
        assert sorted(_race(engine, lambda s: claim_reminder(s, hid, seen, now))) == [False, True]
        assert as_utc(_row(engine, hid).reminded_at) == now
        with Session(engine, future=True) as s, s.begin():  # the send failed: given back, a later pass retries
            give_back_reminder(s, hid, seen, now)
        assert _row(engine, hid).reminded_at == seen
        with Session(engine, future=True) as s, s.begin():
            assert claim_reminder(s, hid, seen, now + timedelta(seconds=30))
            assert not claim_reminder(s, hid, seen, now + timedelta(seconds=31))  # the old value is gone


@pytest.mark.parametrize("engine", BACKENDS, indirect=True)
def test_a_claim_older_than_the_lease_is_taken_over_a_fresh_one_is_not(engine: Any) -> None:
    hid = _handover(engine, "lease")
    start = utcnow()
    with Session(engine, future=True) as s, s.begin():
        first = claim_card(s, hid, LEASE, now=start)
        assert first == start
    fresh = start + LEASE - timedelta(seconds=1)
    with Session(engine, future=True) as s, s.begin():
        assert claim_card(s, hid, LEASE, now=fresh) is None
        assert hid not in [h.id for h in without_card(s, LEASE, now=fresh)]
    stale = start + LEASE + timedelta(seconds=1)
    with Session(engine, future=True) as s, s.begin():
        assert hid in [h.id for h in without_card(s, LEASE, now=stale)]
        second = claim_card(s, hid, LEASE, now=stale)
        assert second == stale
    with Session(engine, future=True) as s, s.begin():  # the first front end's post fails late: the new claim stays
        release_card(s, hid, first)
    assert as_utc(_row(engine, hid).card_claimed_at) == stale
    with Session(engine, future=True) as s, s.begin():  # the second one's post fails: released at once
        release_card(s, hid, second)
    assert (_row(engine, hid).card_message_id, _row(engine, hid).card_claimed_at) == (None, None)
    with Session(engine, future=True) as s, s.begin():
        assert claim_card(s, hid, LEASE, now=stale) is not None


def test_a_start_of_a_front_end_leaves_another_ones_fresh_claim_alone(
        seeded_engine: Any, telegram_api: BotApiServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:CLAIMS")
    monkeypatch.setenv("TELEGRAM_API_URL", telegram_api.base_url)
    telegram_api.add_chat(GROUP, type="supergroup", title="Netzwerkcoaches Claims")
    fresh, stale = _handover(seeded_engine, "start-fresh"), _handover(seeded_engine, "start-stale")
    claimed = utcnow()
    with Session(seeded_engine, future=True) as s, s.begin():
        assert claim_card(s, fresh, LEASE, now=claimed)
        assert claim_card(s, stale, LEASE, now=claimed - 2 * LEASE)
    loop = asyncio.new_event_loop()
    application = loop.run_until_complete(_built(Settings(), seeded_engine))
    try:
        loop.run_until_complete(application.initialize())
        loop.run_until_complete(_started_and_one_pass(application))
    finally:
        loop.run_until_complete(application.shutdown())
        loop.close()
    row = _row(seeded_engine, fresh)
    assert (row.card_message_id, as_utc(row.card_claimed_at)) == (CARD_CLAIMED, claimed)
    assert _row(seeded_engine, stale).card_message_id > CARD_CLAIMED  # taken over and posted by the new one
    assert any(f"#{stale}" in m.text for m in telegram_api.messages(GROUP))
    assert not any(f"#{fresh}" in m.text for m in telegram_api.messages(GROUP))


async def _built(settings: Settings, engine: Any) -> Any:
    return build_application(settings, engine)


async def _started_and_one_pass(application: Any) -> None:
    """`post_init` as at a start; its background jobs make their first pass, then stop."""
    from bot.handover import run_jobs

    await post_init(application)
    application.bot_data.pop(JOBS).cancel()
    await run_jobs(application.bot_data["afa"], application.bot)


def test_webhook_mode_refuses_to_start_without_a_shared_secret(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "AFA_WEBHOOK_SECRET"}
    env.update(TELEGRAM_BOT_TOKEN="123456:DUMMY", AFA_WEBHOOK_URL="https://bot.example.invalid/telegram",
               TELEGRAM_API_URL="http://127.0.0.1:9/bot", DATABASE_URL=f"sqlite:///{tmp_path / 'afa.db'}")
    done = subprocess.run([sys.executable, "-m", "afa.cli", "bot"], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "AFA_WEBHOOK_SECRET" in done.stderr
    assert not (tmp_path / "afa.db").exists()  # refused before anything was set up
