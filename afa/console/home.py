"""The overview: what needs attention today (translations to check, questions to review, teams to link)."""
from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from afa.console.state import console
from afa.db import FaqAnswer, Offer, Team, UnansweredQuestion

bp = Blueprint("home", __name__)


@bp.route("/")
def index():  # type: ignore[no-untyped-def]
    """Counts that lead to the page where the work is."""
    with console().session() as s:
        figures = {
            "needs_update": s.scalar(select(func.count()).select_from(FaqAnswer).where(FaqAnswer.needs_update.is_(True))),
            "questions": s.scalar(select(func.count()).select_from(UnansweredQuestion)),
            "offers": s.scalar(select(func.count()).select_from(Offer).where(Offer.active.is_(True))),
            "examples": s.scalar(select(func.count()).select_from(Offer).where(Offer.example.is_(True), Offer.active.is_(True))),
        }
        teams = list(s.scalars(select(Team).options(selectinload(Team.coaches)).order_by(Team.id)))
    return render_template("home.html", figures=figures, teams=teams)
