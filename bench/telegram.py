"""The Telegram front end under load: simulated users and handovers through the project's Bot API test server.

    .venv/bin/python bench/telegram.py [--users 50] [--turns 10] [--handovers 5] [--think 4.0] [--database-url URL]

Everything runs as in production, each part its own process talking HTTP: the recording Bot API server
(tests/botapi.py, in this process), `afa bot` (polling), Rasa and the action server. `--users` people write
`--turns` messages each (held-out texts in their language, starting at random moments within the first
`--think` seconds, then a pause of about `--think` seconds between turns,
as people type); at the same time `--handovers` people are each handed over to a coach, and user and coach
write to each other. Printed: update-in → first reply sent (p50/p95/p99), relay user → coach and coach →
user (p50/p95), messages per second, and messages lost (a turn without reply, a relayed message that never
arrived). Telegram's limit of 20 messages a minute per group is switched off here (AFA_TELEGRAM_GROUP_RATE=0):
the test server has no such limit, and with it on, the five handovers in two team groups would measure the
limiter. The overall limit of 30 messages a second stays on.
"""
from __future__ import annotations

import argparse
import os
import random
import subprocess
import threading
import time
from collections import defaultdict
from typing import Any

from common import RESULTS, ROOT, bench_settings, ensure_database, heldout, summary

from afa.serve import Services
from afa.training import train
from tests.botapi import BotApiServer, Call

GROUPS = {"hochfeld": -1002000000001, "marxloh": -1002000000002}
COACH_IDS = {"hochfeld": 9001, "marxloh": 9101}
TIMEOUT = 60.0


class Inbox:
    """What the bot sent, per chat, filled by the Bot API server as calls arrive; waiters wake on a condition."""

    SENDING = {"sendMessage", "copyMessage"}

    def __init__(self) -> None:
        self.changed = threading.Condition()
        self.by_chat: dict[int, list[Call]] = defaultdict(list)
        self.sent = 0

    def __call__(self, call: Call) -> None:
        if call.method in self.SENDING and not call.failed:
            with self.changed:
                self.by_chat[int(call.params["chat_id"])].append(call)
                self.sent += 1
                self.changed.notify_all()

    def mark(self, chat_id: int) -> int:
        with self.changed:
            return len(self.by_chat[chat_id])

    def wait(self, chat_id: int, after: int, predicate: Any = None) -> Call | None:
        """The first message in the chat from index `after` that matches, or None after TIMEOUT seconds."""
        deadline = time.monotonic() + TIMEOUT
        with self.changed:
            while True:
                for call in self.by_chat[chat_id][after:]:
                    if predicate is None or predicate(call):
                        return call
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.changed.wait(left)


def configure_teams(database_url: str) -> None:
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from afa.db import Team, make_engine

    engine = make_engine(database_url)
    with Session(engine, future=True) as session, session.begin():
        for team in session.execute(select(Team)).scalars():
            team.telegram_chat_id, team.office_hours, team.closed_days = GROUPS[team.district], "", ""
            team.coaches[0].telegram_user_id = COACH_IDS[team.district]
    engine.dispose()


class Figures:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reply: list[float] = []
        self.to_coach: list[float] = []
        self.to_user: list[float] = []
        self.lost: list[str] = []

    def add(self, kind: str, value: float) -> None:
        with self.lock:
            getattr(self, kind).append(value * 1000)

    def lose(self, what: str) -> None:
        with self.lock:
            self.lost.append(what)


def converse(api: BotApiServer, inbox: Inbox, figures: Figures, user_id: int, texts: list[str], think: float) -> None:
    """One person: `len(texts)` turns, each timed from the update's injection to the bot's first reply."""
    user = api.user(user_id, first_name="Nutzer", language_code="de")
    time.sleep(random.uniform(0, think))  # people start at different moments, not all in the same millisecond
    for text in texts:
        mark = inbox.mark(user_id)
        update = api.send_text(user_id, text, user)
        injected = api.injected_at[update["update_id"]]
        reply = inbox.wait(user_id, mark)
        if reply is None:
            figures.lose(f"no reply to {text!r} (user {user_id})")
        else:
            figures.add("reply", reply.at - injected)
        time.sleep(random.uniform(0.5 * think, 1.5 * think))


def hand_over(api: BotApiServer, inbox: Inbox, figures: Figures, user_id: int, district: str, exchanges: int, think: float) -> None:
    """A person asks for a coach, the coach accepts, and they write to each other `exchanges` times each way."""
    user = api.user(user_id, first_name="Ratsuchende", language_code="tr")
    group, coach = GROUPS[district], api.user(COACH_IDS[district], first_name="Coach")
    time.sleep(random.uniform(0, think))
    api.send_text(user_id, f"/start {district}", user)
    inbox.wait(user_id, 0)
    time.sleep(think)
    marker = f"koç lütfen {user_id}"
    in_group = inbox.mark(group)
    api.send_text(user_id, f"Bir danışmanla konuşmak istiyorum, {marker}", user)
    card = inbox.wait(group, in_group, lambda c: marker in str(c.params.get("text", "")))
    if card is None:
        figures.lose(f"no card for user {user_id}")
        return
    accept = card.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    mark = inbox.mark(user_id)
    api.press(group, card.result["message_id"], accept, coach)
    thread = card.result.get("message_thread_id")
    if inbox.wait(user_id, mark) is None:  # "… has joined the chat"
        figures.lose(f"user {user_id} not told that the coach joined")
    time.sleep(think)
    for number in range(exchanges):
        token = f"u{user_id}-{number}"
        in_group = inbox.mark(group)
        injected = api.injected_at[api.send_text(user_id, f"Mesaj {token}", user)["update_id"]]
        arrived = inbox.wait(group, in_group, lambda c, t=token: t in str(c.params.get("text", "")))
        if arrived is None:
            figures.lose(f"user message {token} not relayed")
        else:
            figures.add("to_coach", arrived.at - injected)
        token = f"c{user_id}-{number}"
        mark = inbox.mark(user_id)
        update = api.send_text(group, f"Antwort {token}", coach, reply_to=arrived.result["message_id"] if arrived else None, thread_id=thread)
        injected = api.injected_at[update["update_id"]]
        arrived = inbox.wait(user_id, mark, lambda c, t=token: t in str(c.params.get("text", "")))
        if arrived is None:
            figures.lose(f"coach message {token} not relayed")
        else:
            figures.add("to_user", arrived.at - injected)
        time.sleep(random.uniform(0.5 * think, 1.5 * think))
    mark = inbox.mark(user_id)
    api.send_text(group, "/end", coach, thread_id=thread, reply_to=card.result["message_id"] if not thread else None)
    inbox.wait(user_id, mark)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--turns", type=int, default=10)
    parser.add_argument("--handovers", type=int, default=5)
    parser.add_argument("--exchanges", type=int, default=10, help="messages each way per handover")
    parser.add_argument("--think", type=float, default=4.0, help="mean seconds between a person's messages")
    parser.add_argument("--database-url", help="default: a new SQLite file in bench/results for each run")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    fresh = RESULTS / "bench-telegram.db"
    for leftover in RESULTS.glob("bench-telegram.db*"):  # handovers of an earlier run would silence its users
        leftover.unlink()
    settings = bench_settings(args.database_url or f"sqlite:///{fresh}")
    ensure_database(settings)
    configure_teams(settings.database_url)
    # Asking for a coach opens a handover, after which the bot is silent by design (the coach answers): the
    # handover part simulates those people, the conversations use everything else.
    by_language: dict[str, list[str]] = defaultdict(list)
    for item in heldout():
        if item["intent"] != "request_coach":
            by_language[item["lang"]].append(item["text"])
    languages = sorted(by_language)

    figures, inbox = Figures(), Inbox()
    with Services(settings, train(settings), log_dir=RESULTS / "logs"), BotApiServer() as api:
        for district, group in GROUPS.items():
            api.add_chat(group, type="supergroup", title=f"Coaches {district}", is_forum=(district == "hochfeld"))
        api.listeners.append(inbox)
        env = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": "123456:BENCH",
            "TELEGRAM_API_URL": api.base_url,
            "AFA_TELEGRAM_GROUP_RATE": "0",
        }
        with open(RESULTS / "logs" / "bench-telegram-bot.log", "w", encoding="utf-8") as log:
            front = subprocess.Popen([str(ROOT / ".venv" / "bin" / "afa"), "bot"], env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            api.wait_call("getUpdates", timeout=60)
            warm = 7_000_000
            converse(api, inbox, Figures(), warm, by_language["de"][:3], 0.1)  # warm-up, not counted

            rng = random.Random(7)
            workers = []
            for number in range(args.users):
                texts = rng.sample(by_language[languages[number % len(languages)]], args.turns)
                workers.append(threading.Thread(target=converse, args=(api, inbox, figures, 8_000_000 + number, texts, args.think)))
            for number in range(args.handovers):
                district = ("hochfeld", "marxloh")[number % 2]
                workers.append(
                    threading.Thread(target=hand_over, args=(api, inbox, figures, 8_500_000 + number, district, args.exchanges, args.think))
                )
            sent_before, updates_before = inbox.sent, len(api.injected_at)
            started = time.perf_counter()
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()
            elapsed = time.perf_counter() - started
            updates = len(api.injected_at) - updates_before
            sent = inbox.sent - sent_before
        finally:
            front.terminate()
            front.wait(timeout=30)

    print(f"{args.users} users × {args.turns} turns and {args.handovers} handovers × {args.exchanges} messages each way, "
          f"think time ~{args.think:.1f} s, {settings.database_url.split(':')[0]}")
    print(summary("update-in → first reply sent", figures.reply, 34))
    print(summary("relay user → coach group", figures.to_coach, 34))
    print(summary("relay coach → user", figures.to_user, 34))
    print(f"{'updates in':34} {updates} in {elapsed:.1f} s = {updates / elapsed:.1f} /s")
    print(f"{'messages sent by the bot':34} {sent} = {sent / elapsed:.1f} /s")
    print(f"{'messages lost':34} {len(figures.lost)}" + (f"  ({'; '.join(figures.lost[:5])})" if figures.lost else ""))


if __name__ == "__main__":
    main()
