"""Reading content for replies: FAQ answers, coach contacts, facts. Always from the database, never cached,
so a change staff make is in the very next reply."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from afa.content.validation import placeholders_of
from afa.db import Fact, FaqAnswer, Team
from afa.i18n import N_, format_date, gettext

TEAM_HEADING = N_("Network coach team {district}")
COACH_LINE = N_("{name}, phone {phone}, e-mail {email}")


def is_seeded(session: Session) -> bool:
    return session.scalar(select(FaqAnswer.id).limit(1)) is not None


def teams(session: Session, district: str | None = None) -> list[Team]:
    query = select(Team).order_by(Team.id)
    if district:
        query = query.where(Team.district == district)
    return list(session.scalars(query))


def render_contacts(session: Session, language: str, district: str | None = None) -> str:
    """The coach teams (one district or both) as a block of text in `language`."""
    blocks = []
    for team in teams(session, district) or teams(session):
        lines = [gettext(language, TEAM_HEADING, district=team.district.capitalize()) + ":"]
        lines += [
            "• " + gettext(language, COACH_LINE, name=c.name, phone=c.phone, email=c.email) for c in team.coaches
        ]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def faq_answer(session: Session, key: str, language: str) -> str | None:
    """The current answer for `key` in `language`, with its placeholders filled for that locale."""
    text = session.scalar(select(FaqAnswer.text).where(FaqAnswer.key == key, FaqAnswer.language == language))
    if text is None:
        return None
    names = placeholders_of(text)
    values: dict[str, str] = {}
    if names & {"period_start", "period_end"}:
        facts = {f.key: f.date_value for f in session.scalars(select(Fact))}
        for name in ("period_start", "period_end"):
            value: date | None = facts.get(name)
            values[name] = format_date(value, language) if value else ""
    if "contacts" in names:
        values["contacts"] = render_contacts(session, language)
    return text.format(**values)
