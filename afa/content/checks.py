"""Warnings about the content in the database, for staff to fix (`afa content check`)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from afa import LANGUAGES
from afa.content.store import EXPORTERS
from afa.content.validation import duplicate_contacts
from afa.db import Offer


def database_warnings(session: Session, today: date | None = None) -> list[str]:
    today = today or date.today()
    warnings = duplicate_contacts(EXPORTERS["coaches"](session))
    for offer in session.scalars(select(Offer).order_by(Offer.key)):
        if offer.active and offer.valid_until and offer.valid_until < today:
            warnings.append(f"offer {offer.key}: ended on {offer.valid_until.isoformat()} but is still active")
        missing = [lang for lang in LANGUAGES if lang not in {t.language for t in offer.texts}]
        if missing:
            warnings.append(f"offer {offer.key}: no text in {', '.join(missing)}")
        if offer.example:
            warnings.append(f"offer {offer.key}: an invented example offer, shown to users as an example")
    return warnings
