"""Data protection: pseudonyms for logs, erasure on request (GDPR art. 17) and retention.

Everything about a person is keyed by their conversation id (the Telegram chat id): Rasa's tracker events,
handovers with relayed messages, preferences, the consent record, and (through a keyed hash, since the
review export must not carry ids) the questions the bot did not understand. Data functions take the
caller's session; Rasa's `events` table lives in the same database when the SQL tracker store is used.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

from sqlalchemy import delete, inspect, select, text
from sqlalchemy.orm import Session

from afa.db import ConsentRecord, ConversationPref, Handover, Redaction, RelayedMessage, UnansweredQuestion
from afa.settings import Settings

RASA_EVENTS = "events"  # the table of Rasa's SQL tracker store


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


def erase_conversation(session: Session, conversation_id: str, settings: Settings) -> Erased:
    """Everything held about one person, gone in one transaction (the caller's)."""
    erased = Erased()
    if _has_events_table(session):
        result = session.execute(text(f"DELETE FROM {RASA_EVENTS} WHERE sender_id = :id"), {"id": conversation_id})
        erased.counts["tracker events"] = result.rowcount
    handovers = list(session.execute(select(Handover).where(Handover.conversation_id == conversation_id)).scalars())
    erased.counts["relayed messages"] = sum(len(h.messages) for h in handovers)
    erased.counts["handovers"] = _redact_handovers(session, handovers)
    key = pseudonym(conversation_id, settings)
    for name, query in (
        ("unanswered questions", delete(UnansweredQuestion).where(UnansweredQuestion.conversation_key == key)),
        ("preferences", delete(ConversationPref).where(ConversationPref.conversation_id == conversation_id)),
        ("consent records", delete(ConsentRecord).where(ConsentRecord.conversation_id == conversation_id)),
    ):
        erased.counts[name] = session.execute(query.execution_options(synchronize_session=False)).rowcount
    session.flush()
    return erased


def purge(session: Session, now: datetime, settings: Settings) -> dict[str, int]:
    """Removes what is older than the retention periods; idempotent, so the bot and `afa purge` may both run it."""
    cutoff = now - timedelta(days=settings.retention_days)
    handover_cutoff = now - timedelta(days=settings.handover_retention_days)
    counts: dict[str, int] = {}
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
