"""Recording the reach statistics: cheap increments on the reply's path, written in the background.

Every process (Rasa, the action server, the Telegram front end, the command line) calls `count`, `wait` and
`deletion`; nothing here ever raises into a reply. Increments add up in a process-local buffer keyed by the row
(day and dimensions), which a background thread writes every `FLUSH_SECONDS` and once more at exit: one upsert per
row (`INSERT .. ON CONFLICT DO UPDATE SET count = count + n`), so several processes add into the same rows safely.
While the database is away the increments stay in memory (at most `MAX_ROWS` distinct rows; further new rows are
dropped and counted in the log) and the next flush tries again.

What is stored is only what `Dimensions` allows: fixed codes (channel, language, district, target group), a
deep-link payload of ours, a metric name and a topic code; never a user id, text or hash, and no time finer than
the programme's local calendar day.
"""
from __future__ import annotations

import atexit
import logging
import os
import re
import threading
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Dict, Optional, Tuple
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from afa import DISTRICTS, LANGUAGES, TARGET_GROUPS
from afa.reach import payloads
from afa.reach.tables import CHANNELS, METRICS, WAIT_BUCKETS, ReachCount, ReachDeletion, ReachWait

logger = logging.getLogger(__name__)

FLUSH_SECONDS = 1.0
MAX_ROWS = 10_000  # distinct rows held while the database is away (a few hundred a day in practice)
_ZONE = ZoneInfo("Europe/Berlin")  # the programme's time zone (afa.privacy.LOCAL_TIME, which imports this module)
# A topic is a code: an offer topic, an intent or FAQ key ("faq/funding"), "offers" or "handover". Never words.
_TOPIC = re.compile(r"^[a-z0-9_/]{0,64}$")
_METRICS = frozenset(METRICS)
_SENDER_CHANNELS = (("terminal-", "terminal"), ("cli:", "terminal"), ("web:", "web"))


@dataclass(frozen=True)
class Dimensions:
    """What a counter is broken down by; "" where it is not known. Only codes, validated by `of`."""

    channel: str = ""
    language: str = ""
    district: str = ""
    target_group: str = ""
    entry_point: str = ""

    @classmethod
    def of(cls, channel: Any = "", language: Any = "", district: Any = "", target_group: Any = "",
           entry_point: Any = "") -> "Dimensions":
        """Dimensions from raw values: anything that is not one of the known codes becomes ""."""
        return cls(
            channel if channel in CHANNELS else "",
            language if language in LANGUAGES else "",
            district if district in DISTRICTS else "",
            target_group if target_group in TARGET_GROUPS else "",
            entry_point if valid_entry_point(entry_point) else "",
        )


def valid_entry_point(value: Any) -> bool:
    """A deep-link payload of ours (`marxloh_tr_c12`, `hochfeld_ro`, `ro`), nothing else."""
    return isinstance(value, str) and bool(value) and payloads.parse(value) is not None and value == value.lower()


def channel_of(sender_id: Any, metadata: Optional[dict[str, Any]]) -> str:
    """telegram (the front end says so in the metadata), terminal (`afa chat`), web, or else rest."""
    named = (metadata or {}).get("channel")
    if named in ("telegram", "web"):
        return str(named)
    sender = str(sender_id or "")
    for prefix, channel in _SENDER_CHANNELS:
        if sender.startswith(prefix):
            return channel
    return "rest"


def dimensions(tracker: Any) -> Dimensions:
    """The dimensions of a conversation from its Rasa tracker: Rasa's own (`DialogueStateTracker`, in the Rasa
    server) or rasa_sdk's (`Tracker`, in the action server). Slots and the latest message's metadata only."""
    latest = tracker.latest_message
    if isinstance(latest, dict):
        metadata = latest.get("metadata")
    else:
        metadata = getattr(latest, "metadata", None)
    return Dimensions.of(
        channel_of(tracker.sender_id, metadata if isinstance(metadata, dict) else None),
        tracker.get_slot("language"),
        tracker.get_slot("district"),
        tracker.get_slot("target_group"),
        tracker.get_slot("entry_point"),
    )


def today() -> date:
    """The programme's local calendar day (Europe/Berlin): the finest time the statistics hold."""
    return datetime.now(_ZONE).date()


def bucket(seconds: float) -> int:
    """The histogram bucket of a wait: the smallest upper bound it fits under, 0 for longer than the last."""
    for bound in WAIT_BUCKETS:
        if bound and seconds <= bound:
            return bound
    return 0


# --- the buffer ----------------------------------------------------------------------------------------------
CountKey = Tuple[date, str, str, str, str, str, str, str]  # day, channel, language, district, group, entry, metric, topic
WaitKey = Tuple[date, str, str, int]  # day, team, entry point, bucket


class _Buffer:
    def __init__(self) -> None:
        self.counts: Dict[CountKey, int] = {}
        self.waits: Dict[WaitKey, int] = {}
        self.deletions: Dict[date, int] = {}

    def __len__(self) -> int:
        return len(self.counts) + len(self.waits) + len(self.deletions)


_lock = threading.Lock()  # guards _buffer (held for microseconds)
_flushing = threading.Lock()  # one flush at a time (the thread, `flush()` and exit)
_buffer = _Buffer()
_dropped = 0
_thread: Optional[threading.Thread] = None
_wake = threading.Event()
_engine: Optional[Engine] = None
_background = True


def _add(table: Dict[Any, int], key: Any, n: int) -> None:
    """Adds under _lock; a new row beyond MAX_ROWS is dropped (memory stays bounded while the database is away)."""
    global _dropped
    if key in table:
        table[key] += n
    elif len(_buffer) < MAX_ROWS:
        table[key] = n
    else:
        _dropped += n


def count(metric: str, dims: Dimensions, topic: str = "", n: int = 1) -> None:
    """Adds `n` to a counter of today under these dimensions (and topic). Never raises."""
    try:
        if metric not in _METRICS or not isinstance(topic, str) or not _TOPIC.match(topic) or n <= 0:
            logger.warning("reach statistics: an invalid counter was ignored")
            return
        key = (today(), dims.channel, dims.language, dims.district, dims.target_group, dims.entry_point, metric, topic)
        with _lock:
            _add(_buffer.counts, key, int(n))
        _ensure_thread()
    except Exception:  # noqa: BLE001 - statistics never break a reply
        logger.warning("reach statistics: a counter could not be recorded", exc_info=True)


def wait(team: str, entry_point: str, seconds: float) -> None:
    """One more wait from coach request to Accept in the team's (district's) histogram. Never raises."""
    try:
        key = (today(), team if team in DISTRICTS else "", entry_point if valid_entry_point(entry_point) else "",
               bucket(max(0.0, float(seconds))))
        with _lock:
            _add(_buffer.waits, key, 1)
        _ensure_thread()
    except Exception:  # noqa: BLE001
        logger.warning("reach statistics: a wait could not be recorded", exc_info=True)


def deletion(session: Optional[Session] = None) -> None:
    """One more erasure today, with no other dimension. With `session`: written in that transaction (in a savepoint,
    so a failure here cannot undo the erasure), which commits or rolls back with it; without: buffered."""
    day = today()
    if session is not None:
        try:
            with session.begin_nested():
                _upsert_deletions(session, {day: 1})
            return
        except Exception:  # noqa: BLE001 - the erasure matters more; count it through the buffer instead
            logger.warning("reach statistics: the deletion is counted later")
    try:
        with _lock:
            _add(_buffer.deletions, day, 1)
        _ensure_thread()
    except Exception:  # noqa: BLE001
        logger.warning("reach statistics: a deletion could not be recorded", exc_info=True)


# --- writing -------------------------------------------------------------------------------------------------
def _insert(session: Session, table: Any):  # type: ignore[no-untyped-def]
    """The dialect's INSERT with ON CONFLICT support (SQLite ≥ 3.24, PostgreSQL)."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:
        return None
    return insert(table)


def _upsert(session: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    """count = count + n for each row, inserting the rows that do not exist yet. Rows go in key order, so two
    processes writing the same rows lock them in the same order (no deadlock on PostgreSQL)."""
    if not rows:
        return
    table = model.__table__
    keys = [c.name for c in table.primary_key.columns]
    rows.sort(key=lambda row: tuple(str(row[k]) for k in keys))
    insert = _insert(session, table)
    if insert is not None:
        statement = insert.on_conflict_do_update(index_elements=keys, set_={"count": table.c.count + insert.excluded.count})
        session.execute(statement, rows)
        return
    for row in rows:  # another database: update, else insert (still safe within one writer)
        where = [table.c[k] == row[k] for k in keys]
        if session.execute(update(table).where(*where).values(count=table.c.count + row["count"])).rowcount == 0:
            session.execute(table.insert().values(**row))


def _upsert_deletions(session: Session, deletions: Dict[date, int]) -> None:
    _upsert(session, ReachDeletion, [{"day": day, "count": n} for day, n in deletions.items()])


def _write(session: Session, buffer: _Buffer) -> None:
    names = ("day", "channel", "language", "district", "target_group", "entry_point", "metric", "topic")
    _upsert(session, ReachCount, [{**dict(zip(names, key)), "count": n} for key, n in buffer.counts.items()])
    _upsert(session, ReachWait, [
        {"day": day, "team": team, "entry_point": entry, "bucket": b, "count": n}
        for (day, team, entry, b), n in buffer.waits.items()
    ])
    _upsert_deletions(session, buffer.deletions)


def configure(engine: Optional[Engine], background: bool = True) -> None:
    """Write to this engine (tests, tools); None: the shared engine of DATABASE_URL, looked up at each flush.
    `background=False`: only `flush()` (and the exit) write, never the thread (a test that checks the buffer)."""
    global _engine, _background
    _engine, _background = engine, background


def _target() -> Engine:
    if _engine is not None:
        return _engine
    from afa.db import shared_engine
    from afa.settings import get_settings

    return shared_engine(get_settings().database_url)


def pending() -> int:
    """How many rows wait to be written (0 once everything is in the database)."""
    with _lock:
        return len(_buffer)


def flush(engine: Optional[Engine] = None) -> bool:
    """Writes what has been recorded, now; True when nothing is left. On failure the increments stay for the
    next try (logged without values)."""
    global _buffer, _dropped
    with _flushing:
        with _lock:
            taken, _buffer = _buffer, _Buffer()
            dropped, _dropped = _dropped, 0
        if dropped:
            logger.warning("reach statistics: %d increments dropped while the database was away", dropped)
        if not len(taken):
            return True
        try:
            with Session(engine or _target(), future=True) as session, session.begin():
                _write(session, taken)
        except Exception as exc:  # noqa: BLE001 - the database away, locked, read-only: try again later
            with _lock:
                for table, old in ((_buffer.counts, taken.counts), (_buffer.waits, taken.waits),
                                   (_buffer.deletions, taken.deletions)):
                    for key, n in old.items():
                        _add(table, key, n)
                kept = len(_buffer)
            logger.warning("reach statistics not written (%s); %d rows kept for the next try", type(exc).__name__, kept)
            return False
        return True


def _run() -> None:
    while True:
        _wake.wait(FLUSH_SECONDS)
        _wake.clear()
        try:
            if _background and pending():
                flush()
        except Exception:  # noqa: BLE001 - the thread must survive anything
            logger.warning("reach statistics: flush failed", exc_info=True)


def _ensure_thread() -> None:
    global _thread
    if _thread is None or not _thread.is_alive():
        with _lock:
            if _thread is None or not _thread.is_alive():
                _thread = threading.Thread(target=_run, name="reach-flush", daemon=True)
                _thread.start()


def _at_exit() -> None:
    if pending():
        flush()


def _after_fork() -> None:
    """A forked child starts with an empty buffer and its own thread (the parent writes what it recorded)."""
    global _lock, _flushing, _buffer, _thread, _dropped, _wake
    _lock, _flushing, _buffer, _thread, _dropped, _wake = (
        threading.Lock(), threading.Lock(), _Buffer(), None, 0, threading.Event())


atexit.register(_at_exit)
os.register_at_fork(after_in_child=_after_fork)


# --- helpers for the hooks -----------------------------------------------------------------------------------
def topic_code(value: Any) -> str:
    """A topic as it may be stored (a code such as `german`, `legal_advice`, `faq/funding`), else ""."""
    return value if isinstance(value, str) and _TOPIC.match(value) else ""


def entry_point_for(session: Session, link: payloads.DeepLink) -> str:
    """What a deep link counts under: an active campaign entry point's payload (`marxloh_tr_c12`), else the plain
    district/language payload it names (`marxloh_tr`; also for an entry point that does not exist or is inactive),
    "" for a plain start."""
    from sqlalchemy import select

    from afa.reach.tables import EntryPoint

    if link.entry_id is not None:
        found = session.execute(
            select(EntryPoint.payload).where(EntryPoint.payload == link.payload, EntryPoint.active.is_(True))
        ).scalar()
        if found and valid_entry_point(found):
            return str(found)
    return "_".join(part for part in (link.district, link.language) if part)


def handover_dimensions(handover: Any) -> Dimensions:
    """The dimensions a handover was opened under (its row keeps them; nothing personal): for Accept and end.
    Never raises (a row loaded without its team gives "" for the district)."""
    try:
        district = handover.team.district if handover.team is not None else ""
    except Exception:  # noqa: BLE001 - e.g. detached without its team
        district = ""
    return Dimensions.of(
        getattr(handover, "channel", "") or "telegram",
        getattr(handover, "language", ""),
        district,
        getattr(handover, "target_group", ""),
        getattr(handover, "entry_point", "") or "",
    )


def handover_accepted(handover: Any) -> None:
    """A coach accepted: counted under the request's dimensions, and its wait in the team's histogram."""
    try:
        from afa.db import as_utc

        dims = handover_dimensions(handover)
        count("handover_accepted", dims)
        waited = (as_utc(handover.accepted_at) - as_utc(handover.opened_at)).total_seconds()
        wait(dims.district, dims.entry_point, waited)
    except Exception:  # noqa: BLE001
        logger.warning("reach statistics: an Accept could not be recorded", exc_info=True)
