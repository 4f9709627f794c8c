"""What recording the reach statistics costs a turn, timed around the recording calls themselves.

    .venv/bin/python bench/reach_recording.py [--turns 5000] [--postgres-url URL]

The calls are the ones the processes make (afa.reach): the Rasa server's at the end of every turn (`observe_turn` in
the tracker store's save), the action server's in an offer search (dimensions from the tracker, offer_search and
offers_shown), the Telegram front end's for a message relayed to a coach. The trackers are as large as real ones get:
three earlier sessions of 30 turns each. The background flush runs meanwhile (every second, into a fresh SQLite file
or PostgreSQL database); its own cost, off the reply's path, is measured separately for one second of increments.
"""
from __future__ import annotations

import argparse
import time
from types import SimpleNamespace

from common import RESULTS, ROOT, percentile, scratch_postgres, summary

from afa.db import create_schema, make_engine
from afa.reach import record
from afa.reach.conversations import MARK, loaded, observe_turn


def conversation(turns: int, sessions: int):  # type: ignore[no-untyped-def]
    """A Rasa tracker as the server holds it: sessions of turns (message, slots, action, replies, listen)."""
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    domain = Domain.load(str(ROOT / "domain.yml"))
    tracker = DialogueStateTracker("4711", domain.slots)
    for _ in range(sessions):
        carried = [SlotSet(k, v) for k, v in tracker.current_slot_values().items() if v is not None]
        for event in (ActionExecuted("action_session_start"), SessionStarted(), *carried, ActionExecuted("action_listen")):
            tracker.update(event)
        for number in range(turns):
            tracker.update(UserUttered(f"Nachricht {number}", {"name": "ask_offers", "confidence": 0.9},
                                       metadata={"channel": "telegram", "language_code": "tr"}))
            for event in (SlotSet("language", "tr"), SlotSet("district", "marxloh"), SlotSet("entry_point", "marxloh_tr_c7"),
                          ActionExecuted("action_find_offers"), BotUttered("Angebot"), BotUttered("Angebot"),
                          ActionExecuted("action_listen")):
                tracker.update(event)
    return tracker


def returning_turn(tracker):  # type: ignore[no-untyped-def]
    """The tracker plus the first turn of a new session (as Rasa appends it before saving)."""
    from rasa.shared.core.events import ActionExecuted, SessionStarted, SlotSet, UserUttered

    loaded(tracker)
    carried = [SlotSet(k, v) for k, v in tracker.current_slot_values().items() if v is not None]
    for event in (ActionExecuted("action_session_start"), SessionStarted(), *carried, ActionExecuted("action_listen"),
                  UserUttered("Merhaba", {"name": "greet", "confidence": 1.0}, metadata={"channel": "telegram"})):
        tracker.update(event)
    return tracker, getattr(tracker, MARK)


def timed(turns: int, call) -> tuple[list[float], list[float]]:  # type: ignore[no-untyped-def]
    """Wall-clock and this thread's CPU time of each call, in ms (on a shared machine the wall clock's tail is mostly
    time the process was not scheduled, or waited for the GIL while the flush thread ran)."""
    wall, cpu = [], []
    for _ in range(turns):
        started, started_cpu = time.perf_counter(), time.thread_time()
        call()
        cpu.append((time.thread_time() - started_cpu) * 1000)
        wall.append((time.perf_counter() - started) * 1000)
    return wall, cpu


def report(name: str, timings: tuple[list[float], list[float]]) -> None:
    """One line: wall-clock p50/p95/p99/max, then the thread's CPU time p50/p95/p99, in ms with µs resolution."""
    wall, cpu = timings
    print(f"{name:30} n={len(wall)}  wall p50={percentile(wall, 50):.3f} p95={percentile(wall, 95):.3f} "
          f"p99={percentile(wall, 99):.3f} max={max(wall):.3f} ms | CPU p50={percentile(cpu, 50):.3f} "
          f"p95={percentile(cpu, 95):.3f} p99={percentile(cpu, 99):.3f} ms")


def run(url: str, turns: int, label: str) -> None:
    from rasa_sdk import Tracker

    engine = make_engine(url)
    create_schema(engine)
    record.configure(engine)  # the background thread writes every second while the calls are timed
    long = conversation(30, sessions=3)
    end = len(long.events)
    back, back_start = returning_turn(conversation(30, sessions=3))
    first = conversation(1, sessions=1)
    sdk = Tracker.from_dict(long.current_state())
    handover = SimpleNamespace(channel="telegram", language="tr", team=SimpleNamespace(district="marxloh"),
                               target_group="women", entry_point="marxloh_tr_c7")

    def rasa_turn() -> None:
        setattr(long, MARK, end - 8)  # this turn's eight events are new
        observe_turn(long)

    def rasa_returning() -> None:
        setattr(back, MARK, back_start)
        observe_turn(back)

    def rasa_first() -> None:
        setattr(first, MARK, 0)
        observe_turn(first)

    def offer_search() -> None:
        dims = record.dimensions(sdk)
        record.count("offer_search", dims, topic="german")
        record.count("offers_shown", dims, topic="german", n=3)

    def relayed() -> None:
        record.count("message", record.handover_dimensions(handover))

    def offer_turn() -> None:  # the heaviest turn: the Rasa server's call plus the action server's
        rasa_turn()
        offer_search()

    for call in (rasa_turn, offer_search):  # warm-up: the thread starts, the time zone loads
        call()
    print(f"\n{label}: {len(long.events)} events in the tracker, {turns} turns each")
    report("Rasa: later turn", timed(turns, rasa_turn))
    report("Rasa: returning session", timed(turns, rasa_returning))
    report("Rasa: new conversation", timed(turns, rasa_first))
    report("actions: offer search", timed(turns, offer_search))
    report("front end: relayed message", timed(turns, relayed))
    report("offer turn (Rasa + actions)", timed(turns, offer_turn))
    record.flush()

    # The flush: one second's increments at 20 turns/s of 60 distinct rows (languages × districts × metrics).
    flushes = []
    for _ in range(50):
        for number in range(20):
            dims = record.Dimensions.of("telegram", ("de", "tr", "bg", "ro")[number % 4], ("marxloh", "hochfeld")[number % 2],
                                        "", f"marxloh_tr_c{number % 3 + 1}")
            record.count("message", dims)
            record.count("offer_search", dims, topic="german")
            record.count("offers_shown", dims, topic="german", n=3)
        started = time.perf_counter()
        assert record.flush()
        flushes.append((time.perf_counter() - started) * 1000)
    print(summary(f"flush ({record.pending()} left), background", flushes, 34))
    record.configure(None)
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--turns", type=int, default=5000)
    parser.add_argument("--postgres-url", default="postgresql+psycopg2://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "reach_recording.db"
    path.unlink(missing_ok=True)
    run(f"sqlite:///{path}", args.turns, "SQLite")
    if args.postgres_url:
        with scratch_postgres(args.postgres_url) as url:
            run(url, args.turns, "PostgreSQL")


if __name__ == "__main__":
    main()
