"""Questions the bot did not understand, kept for staff review."""
from __future__ import annotations

from sqlalchemy.orm import Session

from afa.db import UnansweredQuestion


def record_unanswered(
    session: Session,
    text: str,
    language: str,
    intent_guess: str | None,
    confidence: float | None,
    conversation_key: str | None = None,
) -> UnansweredQuestion:
    row = UnansweredQuestion(
        text=text, language=language, intent_guess=intent_guess, confidence=confidence, conversation_key=conversation_key
    )
    session.add(row)
    return row
