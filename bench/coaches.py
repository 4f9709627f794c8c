"""/open with many open handovers: how fast a team group gets its list, and that every page fits Telegram.

    .venv/bin/python bench/coaches.py [--handovers 500] [--requests 200] [--database-url URL]

`afa bot` (polling, its own process) against the project's recording Bot API server (tests/botapi.py, in this
process), on a fresh SQLite file by default: `--handovers` open handovers in the Marxloh team (a third active,
held by the team's coaches), a coach sends `/open` `--requests` times, then pages through the whole list
with its "next" button. Printed: update-in → list sent and button press → page redrawn (p50/p95/p99), the
pages and the longest message in characters (Telegram's limit: 4,096), and how many handovers the pages held.
/open needs no Rasa: the list is the front end's own.
"""
from __future__ import annotations

import argparse
import os
import random
import re
import subprocess
import time
from datetime import timedelta

from common import RESULTS, ROOT, bench_settings, ensure_database, summary

from tests.botapi import BotApiServer

GROUP = -1003000000002
COACH_IDS = (9201, 9202, 9203)
LINE = re.compile(r"^#(\d+) ", re.M)


def prepare(database_url: str, count: int) -> None:
    """The Marxloh team linked to the group, three coaches with accounts, `count` open handovers."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from afa.db import Handover, Team, make_engine, utcnow

    engine = make_engine(database_url)
    rng = random.Random(15)
    with Session(engine, future=True) as session, session.begin():
        team = session.execute(select(Team).where(Team.district == "marxloh")).scalar_one()
        team.telegram_chat_id, team.office_hours, team.closed_days = GROUP, "", ""
        for coach, user_id in zip(team.coaches, COACH_IDS):
            coach.telegram_user_id = user_id
        coaches = [c for c in team.coaches if c.telegram_user_id]
        now = utcnow()
        for number in range(count):
            opened = now - timedelta(minutes=rng.randint(1, 60 * 24 * 5))
            active = number % 3 == 0
            holder = coaches[number % len(coaches)]
            session.add(Handover(
                conversation_id=str(6_000_000 + number), team_id=team.id, language=("de", "tr", "bg", "ro")[number % 4],
                target_group=(None, "women", "youth", "migrants", "benefits")[number % 5], opened_at=opened,
                status="active" if active else "waiting", accepted_at=opened + timedelta(minutes=1) if active else None,
                coach_user_id=holder.telegram_user_id if active else None, coach_name=holder.name if active else None,
                group_chat_id=GROUP, card_message_id=10_000 + number,
            ))
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--handovers", type=int, default=500)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--database-url", help="default: a new SQLite file in bench/results")
    args = parser.parse_args()
    (RESULTS / "logs").mkdir(parents=True, exist_ok=True)
    fresh = RESULTS / "bench-coaches.db"
    for leftover in RESULTS.glob("bench-coaches.db*"):
        leftover.unlink()
    settings = bench_settings(args.database_url or f"sqlite:///{fresh}")
    ensure_database(settings)
    prepare(settings.database_url, args.handovers)

    with BotApiServer() as api:
        api.add_chat(GROUP, type="supergroup", title="Coaches Marxloh")
        coach = api.user(COACH_IDS[0], first_name="Coach", language_code="de")
        env = {**os.environ, "TELEGRAM_BOT_TOKEN": "123456:BENCH", "TELEGRAM_API_URL": api.base_url,
               "AFA_TELEGRAM_GROUP_RATE": "0", "DATABASE_URL": settings.database_url}
        with open(RESULTS / "logs" / "bench-coaches-bot.log", "w", encoding="utf-8") as log:
            front = subprocess.Popen([str(ROOT / ".venv" / "bin" / "afa"), "bot"], env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            api.wait_call("getUpdates", timeout=60)
            listed, paged, longest = [], [], 0
            for number in range(args.requests + 3):  # three of warm-up
                after = len(api.messages(GROUP))
                update = api.send_text(GROUP, "/open", coach)
                sent = api.wait_messages(GROUP, after=after, timeout=30)[-1]
                call = api.wait_call("sendMessage", lambda c: c.result and c.result.get("message_id") == sent.message_id)
                if number >= 3:
                    listed.append((call.at - api.injected_at[update["update_id"]]) * 1000)
                longest = max(longest, len(sent.text))
            first_page = sent
            seen = set(int(x) for x in LINE.findall(first_page.text))
            pages, page = 1, first_page
            while True:
                forward = [b for b in page.buttons if b["callback_data"].startswith("open:") and b["text"].endswith("▶")]
                if not forward:
                    break
                update = api.press(GROUP, page.message_id, forward[0]["callback_data"], coach)
                call = api.wait_call("editMessageText", lambda c: c.params.get("message_id") == page.message_id
                                     and c.at > api.injected_at[update["update_id"]])
                paged.append((call.at - api.injected_at[update["update_id"]]) * 1000)
                page = api.message(GROUP, page.message_id)
                longest = max(longest, len(page.text))
                seen |= set(int(x) for x in LINE.findall(page.text))
                pages += 1
        finally:
            front.terminate()
            front.wait(timeout=30)

    print(f"/open with {args.handovers} open handovers in one team, {args.requests} requests, "
          f"{settings.database_url.split(':')[0]}")
    print(summary("update-in → list sent", listed, 30))
    print(summary("next page → page redrawn", paged, 30))
    print(f"{'pages':30} {pages}, holding {len(seen)} of {args.handovers} handovers")
    print(f"{'longest message':30} {longest} characters (limit 4096)")


if __name__ == "__main__":
    main()
