"""Open handovers: what each team has waiting and active, who holds what, and each coach's load.

The console's view of the lists `/open` shows in a team's Telegram group (afa.coaching). Read only, for every
role: nothing here changes a handover; coaches accept and pass them on in Telegram.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Optional

from flask import Blueprint, render_template
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from afa import NO_TARGET_GROUP
from afa.coaching import UNTIL_BACK, age_parts, is_available, open_counts, open_of_team
from afa.console.i18n import _
from afa.console.offers import DISTRICT_LABELS, LANGUAGE_LABELS, TARGET_GROUP_SHORT
from afa.console.state import console
from afa.console.teams import when
from afa.db import Coach, Handover, Team, as_utc, utcnow
from afa.i18n import S_

bp = Blueprint("handovers", __name__, url_prefix="/handovers")
STATUS_LABELS = {"waiting": S_("waiting"), "active": S_("active")}


def age(delta: timedelta) -> str:
    """How long, as staff read it at a glance: "45 min", "2 h 5 min", "3 d 4 h"."""
    days, hours, minutes = age_parts(delta.total_seconds())
    if days:
        return _("{days} d {hours} h", days=days, hours=hours)
    if hours:
        return _("{hours} h {minutes} min", hours=hours, minutes=minutes)
    return _("{minutes} min", minutes=minutes)


def label(labels: dict[str, str], value: Optional[str]) -> str:
    if not value or value == NO_TARGET_GROUP:
        return "–"
    return _(labels[value]) if value in labels else value


def away_text(coach: Coach, zone: str, now: datetime) -> str:
    """'' for a coach who is there; else until when they are away."""
    if coach.away_until is None or is_available(coach, now):
        return ""
    if as_utc(coach.away_until) >= UNTIL_BACK:
        return _("away until further notice")
    return _("away until {time}", time=when(coach.away_until, zone))


@dataclass
class OpenRow:
    """One open handover as the page shows it (no message content: the card in Telegram has that)."""

    id: int
    language: str
    district: str
    target_group: str
    status: str
    status_label: str
    age: str
    opened: str
    holder: str
    holder_away: str
    transferred: str
    transferred_from: str


@dataclass
class CoachLoad:
    name: str
    active: int
    linked: bool
    is_lead: bool
    away: str


@dataclass
class TeamView:
    team: Team
    rows: list[OpenRow] = field(default_factory=list)
    coaches: list[CoachLoad] = field(default_factory=list)
    waiting: int = 0
    active: int = 0


def _row(handover: Handover, team: Team, teams: dict[int, Team], away: dict[int, str], now: datetime) -> OpenRow:
    active = handover.status == "active"
    since = (handover.accepted_at or handover.opened_at) if active else handover.opened_at
    previous = teams.get(handover.previous_team_id) if handover.previous_team_id else None
    return OpenRow(
        id=handover.id,
        language=label(LANGUAGE_LABELS, handover.language),
        district=label(DISTRICT_LABELS, team.district),
        target_group=label(TARGET_GROUP_SHORT, handover.target_group),
        status=handover.status,
        status_label=_(STATUS_LABELS.get(handover.status, handover.status)),
        age=age(now - as_utc(since)),
        opened=when(handover.opened_at, team.timezone),
        holder=(handover.coach_name or "?") if active else "",
        holder_away=away.get(handover.coach_user_id, "") if active and handover.coach_user_id is not None else "",
        transferred=when(handover.transferred_at, team.timezone) if handover.transferred_at else "",
        transferred_from=previous.name if previous is not None and previous.id != team.id else "",
    )


def team_views(session, now: Optional[datetime] = None) -> list[TeamView]:  # type: ignore[no-untyped-def]
    """Every team with its open handovers (oldest first) and the active count of each of its coaches."""
    now = now or utcnow()
    teams = list(session.scalars(select(Team).options(selectinload(Team.coaches)).order_by(Team.id)))
    by_id = {t.id: t for t in teams}
    counts = open_counts(session)
    views = []
    for team in teams:
        view = TeamView(team)
        away = {c.telegram_user_id: away_text(c, team.timezone, now) for c in team.coaches if c.telegram_user_id is not None}
        handovers = open_of_team(session, team.id)
        view.rows = [_row(h, team, by_id, away, now) for h in handovers]
        view.waiting = counts.get((team.id, None), 0)
        view.active = sum(n for (team_id, user_id), n in counts.items() if team_id == team.id and user_id is not None)
        linked = set()
        for coach in team.coaches:
            if coach.telegram_user_id is not None:
                linked.add(coach.telegram_user_id)
            view.coaches.append(CoachLoad(
                name=coach.name, linked=coach.telegram_user_id is not None, is_lead=bool(coach.is_lead),
                active=counts.get((team.id, coach.telegram_user_id), 0) if coach.telegram_user_id is not None else 0,
                away=away_text(coach, team.timezone, now),
            ))
        # Held by an account that is no longer a linked coach of this team (unlinked or moved since accepting).
        for (team_id, user_id), n in sorted(counts.items(), key=lambda item: str(item[0][1])):
            if team_id != team.id or user_id is None or user_id in linked:
                continue
            name = next((h.coach_name for h in handovers if h.coach_user_id == user_id and h.coach_name), "?")
            view.coaches.append(CoachLoad(name=_("{name} (no longer a linked coach of the team)", name=name),
                                          active=n, linked=False, is_lead=False, away=""))
        views.append(view)
    return views


@bp.route("/")
def index():  # type: ignore[no-untyped-def]
    """Each team's waiting and active handovers, oldest first, and who holds how many."""
    now = utcnow()
    with console().session() as s:
        views = team_views(s, now)
        return render_template("handovers/index.html", views=views, as_of=when(now))
