"""Data protection: pseudonyms for logs, erasure on request (GDPR art. 17) and retention.

Everything about a person is keyed by their conversation id (the Telegram chat id): Rasa's tracker events,
handovers with relayed messages, preferences, the consent record, and (through a keyed hash, since the
review export must not carry ids) the questions the bot did not understand. Data functions take the
caller's session; Rasa's `events` table lives in the same database when the SQL tracker store is used.

In the conversation (every channel): the notice after the first reply (afa.policies), `/privacy`, `/delete` with a
confirmation, and `/mydata`, a copy of what is kept (`data_copy`, written by `render_data_copy`). A confirmed
deletion only sets the slot `erasure_requested`: Rasa writes the turn's events back when the turn ends, so the
tracker store erases after that write (afa.tracker_store), and `purge` finishes any erasure that failed there.

Every erasure is written to the erasure ledger (by pseudonym and time, in the table `erasure_ledger` in the same
transaction, and once it commits to an append-only file outside the database), so that `afa restore` erases again whoever was
forgotten after the backup was taken (afa.backup).
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Optional

from sqlalchemy import delete, event, inspect, select, text
from sqlalchemy.orm import Session

from afa.db import (
    ConsentRecord,
    ConversationPref,
    ErasureRecord,
    Handover,
    Redaction,
    RelayedMessage,
    UnansweredQuestion,
    as_utc,
    utcnow,
)
from afa.reach import record as reach
from afa.settings import Settings

logger = logging.getLogger(__name__)
RASA_EVENTS = "events"  # the table of Rasa's SQL tracker store
NOTICE_SLOT = "privacy_notice"  # true once the conversation has had the notice (ConsentRecord is the truth)
_LEDGER_PENDING = "afa_erasure_ledger"  # Session.info: ledger lines to write once the erasure commits
ERASURE_SLOT = "erasure_requested"  # set by the confirmed deletion; the tracker store erases after saving
LOCAL_TIME = "Europe/Berlin"  # the programme's time zone, in which a copy states its dates


@lru_cache(maxsize=4)
def _salt(configured: str, path: str) -> bytes:
    if configured:
        return configured.encode("utf-8")
    salt_file = Path(path)
    if not salt_file.exists():  # made once per installation; every process of it reads the same file
        salt_file.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(salt_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
    return salt_file.read_text().strip().encode("utf-8")


def pseudonym(value: object, settings: Settings) -> str:
    """A keyed hash of an id: stable, so operators can follow one conversation in the logs, but not reversible."""
    salt = _salt(settings.log_salt, str(settings.root / "var" / "secret-salt"))
    return hmac.new(salt, str(value).encode("utf-8"), hashlib.sha256).hexdigest()[:16]


def _has_events_table(session: Session) -> bool:
    return inspect(session.connection()).has_table(RASA_EVENTS)


@dataclass
class Erased:
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _redact_handovers(session: Session, handovers: list[Handover]) -> int:
    """Cards become a note, copies of the person's messages in the team group go (done by the front end)."""
    for handover in handovers:
        if handover.group_chat_id and handover.card_message_id:
            session.add(Redaction(chat_id=handover.group_chat_id, message_id=handover.card_message_id, action="card"))
        for message in handover.messages:
            if message.direction == "user" and message.copy_message_id:
                session.add(Redaction(chat_id=handover.group_chat_id, message_id=message.copy_message_id, action="delete"))
        session.delete(handover)  # relayed messages go with it (cascade)
    return len(handovers)


def _erase_person(session: Session, conversation_id: str, key: str) -> Erased:
    """Everything held about one conversation id (and its pseudonym `key`), in the caller's transaction."""
    erased = Erased()
    if _has_events_table(session):
        result = session.execute(text(f"DELETE FROM {RASA_EVENTS} WHERE sender_id = :id"), {"id": conversation_id})
        erased.counts["tracker events"] = result.rowcount
    handovers = list(session.execute(select(Handover).where(Handover.conversation_id == conversation_id)).scalars())
    erased.counts["relayed messages"] = sum(len(h.messages) for h in handovers)
    erased.counts["handovers"] = _redact_handovers(session, handovers)
    for name, query in (
        ("unanswered questions", delete(UnansweredQuestion).where(UnansweredQuestion.conversation_key == key)),
        ("preferences", delete(ConversationPref).where(ConversationPref.conversation_id == conversation_id)),
        ("consent records", delete(ConsentRecord).where(ConsentRecord.conversation_id == conversation_id)),
    ):
        erased.counts[name] = session.execute(query.execution_options(synchronize_session=False)).rowcount
    session.flush()
    return erased


def erase_conversation(session: Session, conversation_id: str, settings: Settings) -> Erased:
    """Everything held about one person, gone in one transaction (the caller's), and written to the erasure ledger.
    The reach statistics keep their counters (anonymous, nothing to erase) and count the deletion."""
    key = pseudonym(conversation_id, settings)
    erased = _erase_person(session, conversation_id, key)
    record_erasure(session, key, settings)
    reach.deletion(session)  # one more deletion today, no other dimension; commits (or rolls back) with the erasure
    return erased


def record_erasure(session: Session, key: str, settings: Settings) -> ErasureRecord:
    """The ledger entry of one erasure: a row in the caller's transaction, and a line in the ledger file once it
    commits (the console's preview erases in a transaction it rolls back: that is no erasure)."""
    entry = ErasureRecord(id=uuid.uuid4().hex, conversation_key=key, erased_at=utcnow())
    session.add(entry)
    pending = session.info.get(_LEDGER_PENDING)
    if pending is None:
        pending = session.info[_LEDGER_PENDING] = []
        event.listen(session, "after_commit", _write_ledger_lines)
        event.listen(session, "after_soft_rollback", _drop_ledger_lines)
    line = json.dumps({"id": entry.id, "key": key, "at": entry.erased_at.isoformat()}) + "\n"
    pending.append((settings.erasure_ledger_path, line))
    return entry


def _drop_ledger_lines(session: Session, previous_transaction: Any) -> None:
    """The erasure rolled back (the whole transaction, not a savepoint inside it): no ledger line."""
    if previous_transaction.parent is None:
        session.info[_LEDGER_PENDING].clear()


def _write_ledger_lines(session: Session) -> None:
    """After the commit: append the session's ledger lines to the ledger file (the table has them already)."""
    if session.in_nested_transaction():  # a savepoint's release (the reach counter's): the erasure is not committed
        return
    pending = session.info[_LEDGER_PENDING]
    lines, pending[:] = list(pending), []
    for path, line in lines:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(descriptor, line.encode("utf-8"))  # one write of one line: appends of processes do not mix
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
        except OSError:
            # Not raised: the erasure is done. The table has the entry, which every restore but one onto a wiped
            # database reads (and `afa restore` copies it into the file first); the operator fixes the file.
            logger.exception("erasure ledger file %s could not be written; the entry is in the database only", path)


def erase_pseudonyms(session: Session, keys: set[str], settings: Settings) -> Erased:
    """Erase again every person whose pseudonym is in `keys` (after a restore): the ids are found by hashing the
    conversation ids the database holds, as the ledger never keeps an id. Not counted again, not re-recorded."""
    if not keys:
        return Erased()
    found: set[str] = set()
    sources = [select(Handover.conversation_id), select(ConversationPref.conversation_id),
               select(ConsentRecord.conversation_id)]
    for query in sources:
        found.update(session.execute(query.distinct()).scalars())
    if _has_events_table(session):
        found.update(row[0] for row in session.execute(text(f"SELECT DISTINCT sender_id FROM {RASA_EVENTS}")))
    total = Erased()
    for conversation_id in sorted(found):
        key = pseudonym(conversation_id, settings)
        if key in keys:
            for name, count in _erase_person(session, conversation_id, key).counts.items():
                total.counts[name] = total.counts.get(name, 0) + count
    # Questions are kept by pseudonym alone: also those of a person of whom nothing else is left.
    query = delete(UnansweredQuestion).where(UnansweredQuestion.conversation_key.in_(sorted(keys)))
    total.counts["unanswered questions"] = total.counts.get("unanswered questions", 0) + session.execute(
        query.execution_options(synchronize_session=False)).rowcount
    return total


def pending_erasures(session: Session) -> list[str]:
    """Conversations whose confirmed deletion is still in Rasa's events (the erasure after saving failed)."""
    if not _has_events_table(session):
        return []
    # Rasa's SQL store keeps a slot event's name in `action_name`.
    query = text(f"SELECT DISTINCT sender_id FROM {RASA_EVENTS} WHERE type_name = 'slot' AND action_name = :slot")
    return [row[0] for row in session.execute(query, {"slot": ERASURE_SLOT})]


def purge(session: Session, now: datetime, settings: Settings) -> dict[str, int]:
    """Removes what is older than the retention periods; idempotent, so the bot and `afa purge` may both run it.

    It also finishes deletions that were confirmed but could not be carried out when the turn was saved."""
    cutoff = now - timedelta(days=settings.retention_days)
    handover_cutoff = now - timedelta(days=settings.handover_retention_days)
    counts: dict[str, int] = {"pending erasures": 0}
    for conversation_id in pending_erasures(session):
        erase_conversation(session, conversation_id, settings)
        counts["pending erasures"] += 1
    if _has_events_table(session):
        result = session.execute(text(f"DELETE FROM {RASA_EVENTS} WHERE timestamp < :cutoff"), {"cutoff": cutoff.timestamp()})
        counts["tracker events"] = result.rowcount
    for name, query in (
        ("unanswered questions", delete(UnansweredQuestion).where(UnansweredQuestion.created_at < cutoff)),
        ("preferences", delete(ConversationPref).where(ConversationPref.updated_at < cutoff)),
        ("consent records", delete(ConsentRecord).where(ConsentRecord.shown_at < cutoff)),
    ):
        counts[name] = session.execute(query.execution_options(synchronize_session=False)).rowcount
    old = select(Handover.id).where(Handover.opened_at < handover_cutoff)
    counts["relayed messages"] = session.execute(
        delete(RelayedMessage).where(RelayedMessage.handover_id.in_(old)).execution_options(synchronize_session=False)
    ).rowcount
    counts["handovers"] = session.execute(
        delete(Handover).where(Handover.opened_at < handover_cutoff).execution_options(synchronize_session=False)
    ).rowcount
    return counts


# --- a copy of what is kept about one person (GDPR art. 15) ------------------------------------------------------
def _moment(value: Any) -> Optional[str]:
    """An ISO 8601 moment in UTC from a Rasa timestamp (seconds) or a database datetime."""
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return datetime.fromtimestamp(float(value), timezone.utc).isoformat()
    return as_utc(value).isoformat()


def _own_words(text_: Any) -> Optional[str]:
    """A message the person typed (a pressed button or a command is no text of theirs)."""
    words = str(text_ or "").strip()
    return words if words and not words.startswith("/") else None


def conversation_messages(session: Session, conversation_id: str, tracker_events: Iterable[dict[str, Any]]) -> list[dict[str, str]]:
    """The person's messages in the retained conversation: Rasa's `events` table (every session the SQL store
    keeps) and the tracker at hand (the in-memory store, and this turn, which is saved only when it ends)."""
    seen: dict[tuple[float, str], None] = {}
    found: list[tuple[float, str]] = []

    def add(timestamp: Any, words: Any) -> None:
        said = _own_words(words)
        if said is not None and timestamp is not None and (round(float(timestamp), 3), said) not in seen:
            seen[(round(float(timestamp), 3), said)] = None
            found.append((float(timestamp), said))

    if _has_events_table(session):
        query = text(f"SELECT timestamp, data FROM {RASA_EVENTS} WHERE sender_id = :id AND type_name = 'user' ORDER BY id")
        for timestamp, data in session.execute(query, {"id": conversation_id}):
            add(timestamp, json.loads(data).get("text"))
    for event in tracker_events:
        if event.get("event") == "user":
            add(event.get("timestamp"), event.get("text"))
    return [{"at": _moment(at), "text": said} for at, said in sorted(found)]


def data_copy(
    session: Session,
    conversation_id: str,
    settings: Settings,
    tracker_events: Iterable[dict[str, Any]] = (),
    slots: Optional[dict[str, Any]] = None,
) -> dict[str, Any]:
    """Everything the bot keeps about this one person, as plain data (no other person's words or names: what a
    coach wrote and who the coach was stay out)."""
    slots = slots or {}
    consent = session.get(ConsentRecord, conversation_id)
    preference = session.get(ConversationPref, conversation_id)
    handovers = session.execute(
        select(Handover).where(Handover.conversation_id == conversation_id).order_by(Handover.id)
    ).scalars()
    questions = session.execute(
        select(UnansweredQuestion)
        .where(UnansweredQuestion.conversation_key == pseudonym(conversation_id, settings))
        .order_by(UnansweredQuestion.id)
    ).scalars()
    return {
        "as_of": _moment(utcnow()),
        "language": (preference.language if preference else None) or slots.get("language"),
        "consent": _moment(consent.shown_at) if consent else None,
        "district": slots.get("district"),
        "target_group": slots.get("target_group"),
        "messages": conversation_messages(session, conversation_id, tracker_events),
        "handovers": [
            {
                "id": handover.id,
                "district": handover.team.district if handover.team else "",
                "opened": _moment(handover.opened_at),
                "status": handover.status,
                "messages": [
                    {"at": _moment(m.created_at), "text": m.text or "", "kind": m.kind}
                    for m in handover.messages
                    if m.direction == "user"
                ],
            }
            for handover in handovers
        ],
        "questions": [{"at": _moment(q.created_at), "text": q.text} for q in questions],
    }


def render_data_copy(copy: dict[str, Any], language: str) -> str:
    """A copy (from `data_copy`) as one text in the reader's language, dates in the programme's local time."""
    from babel.dates import format_datetime, get_timezone

    from afa.i18n import gettext, language_name
    from afa.responses import (
        COPY_DISTRICT, COPY_FOOTER, COPY_GROUP, COPY_HANDOVER, COPY_HANDOVERS, COPY_LANGUAGE, COPY_MEDIA,
        COPY_MESSAGES, COPY_NO_NOTICE, COPY_NONE, COPY_NOTICE, COPY_QUESTIONS, COPY_STATUS, COPY_TITLE,
        COPY_TO_COACH, TARGET_GROUP_LABELS,
    )

    zone = get_timezone(LOCAL_TIME)

    def when(moment: Optional[str]) -> str:
        return format_datetime(datetime.fromisoformat(moment), "short", tzinfo=zone, locale=language) if moment else ""

    def said(items: list[dict[str, Any]], indent: str = "• ") -> list[str]:
        lines = []
        for item in items:
            words = item.get("text") or gettext(language, COPY_MEDIA)
            lines.append(f"{indent}{when(item.get('at'))}: {words}")
        return lines or [f"{indent}{gettext(language, COPY_NONE)}"]

    lines = [gettext(language, COPY_TITLE, date=when(copy.get("as_of"))), ""]
    if copy.get("language"):
        lines.append(gettext(language, COPY_LANGUAGE, language=language_name(copy["language"], language)))
    if copy.get("consent"):
        lines.append(gettext(language, COPY_NOTICE, date=when(copy["consent"])))
    else:
        lines.append(gettext(language, COPY_NO_NOTICE))
    if copy.get("district"):
        lines.append(gettext(language, COPY_DISTRICT, district=str(copy["district"]).capitalize()))
    group = TARGET_GROUP_LABELS.get(copy.get("target_group"))
    if group:
        lines.append(gettext(language, COPY_GROUP, group=gettext(language, group)))
    messages = copy.get("messages") or []
    lines += ["", gettext(language, COPY_MESSAGES, count=len(messages)), *said(messages)]
    handovers = copy.get("handovers") or []
    lines += ["", gettext(language, COPY_HANDOVERS, count=len(handovers))]
    for handover in handovers:
        status = COPY_STATUS.get(handover.get("status"))
        lines.append("• " + gettext(
            language, COPY_HANDOVER, id=handover.get("id"), district=str(handover.get("district") or "").capitalize(),
            date=when(handover.get("opened")), status=gettext(language, status) if status else handover.get("status"),
        ))
        if handover.get("messages"):
            lines.append("  " + gettext(language, COPY_TO_COACH))
            lines += said(handover["messages"], indent="  – ")
    if not handovers:
        lines.append(f"• {gettext(language, COPY_NONE)}")
    questions = copy.get("questions") or []
    lines += ["", gettext(language, COPY_QUESTIONS, count=len(questions)), *said(questions)]
    lines += ["", gettext(language, COPY_FOOTER)]
    return "\n".join(lines)
