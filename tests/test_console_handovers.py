"""The console's open handovers: each team's waiting and active ones with their ages, each coach's load, the
team-lead flag; read only for every role."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from afa.coaching import UNTIL_BACK
from afa.db import Coach, Handover, Team, utcnow
from afa.handover import accept, close, open_handover
from tests.test_console_teams import audit_entries, coaches_of


def _open(engine, sender: str, district: str, language: str, group: str | None, hours_ago: float) -> int:  # type: ignore[no-untyped-def]
    with Session(engine, future=True) as s, s.begin():
        team = s.scalar(select(Team).where(Team.district == district))
        handover = open_handover(s, sender, team, language, group, "{}")[0]
        handover.opened_at = utcnow() - timedelta(hours=hours_ago)
        return handover.id


def _link(engine, district: str, first_id: int) -> list[int]:  # type: ignore[no-untyped-def]
    with Session(engine, future=True) as s, s.begin():
        coaches = list(s.scalars(select(Coach).join(Team).where(Team.district == district).order_by(Coach.position)))
        for number, coach in enumerate(coaches):
            coach.telegram_user_id = first_id + number
        return [c.id for c in coaches]


def _section(page: str, district: str) -> str:
    match = re.search(rf'<section class="team card" id="team-{district}">(.*?)</section>', page, re.S)
    assert match, district
    return match.group(1)


def test_each_team_shows_its_open_handovers_oldest_first_with_ages_and_the_coaches_load(as_role, seeded_engine) -> None:  # type: ignore[no-untyped-def]
    hochfeld = _link(seeded_engine, "hochfeld", 7000)
    _link(seeded_engine, "marxloh", 8000)
    newest = _open(seeded_engine, "h-new", "hochfeld", "tr", None, 0.5)
    oldest = _open(seeded_engine, "h-old", "hochfeld", "bg", "women", 50)
    held = _open(seeded_engine, "h-held", "hochfeld", "ro", None, 3)
    ended = _open(seeded_engine, "h-ended", "hochfeld", "de", None, 5)
    marxloh = _open(seeded_engine, "m-1", "marxloh", "tr", None, 1)
    with Session(seeded_engine, future=True) as s, s.begin():
        coach = s.get(Coach, hochfeld[0])
        accept(s, held, coach)
        s.execute(update(Handover).where(Handover.id == held).values(accepted_at=utcnow() - timedelta(minutes=125)))
        close(s, ended)
        s.get(Coach, hochfeld[1]).away_until = UNTIL_BACK
        s.get(Coach, hochfeld[2]).is_lead = True
        names = [s.get(Coach, i).name for i in hochfeld]

    for role in ("viewer", "editor", "admin"):
        response = as_role(role).get("/handovers/")
        assert response.status_code == 200, role
    page = response.get_data(as_text=True)
    section = _section(page, "hochfeld")
    rows = re.findall(r'<tr id="handover-(\d+)" class="status-(\w+)">', section)
    assert rows == [(str(oldest), "waiting"), (str(held), "active"), (str(newest), "waiting")]  # oldest first, no closed
    assert f"handover-{marxloh}" not in section and f"handover-{marxloh}" in _section(page, "marxloh")
    assert "2 wartend in der Warteschlange" in section and "1 in Bearbeitung" in section
    old_row = re.search(rf'<tr id="handover-{oldest}".*?</tr>', section, re.S).group(0)
    assert "2 T. 2 Std." in old_row and "Bulgarisch" in old_row and "noch niemand" in old_row
    assert '<span class="badge warn">wartend</span>' in old_row
    held_row = re.search(rf'<tr id="handover-{held}".*?</tr>', section, re.S).group(0)
    assert "2 Std. 5 Min." in held_row and names[0] in held_row and '<span class="badge ok">aktiv</span>' in held_row
    assert "30 Min." in re.search(rf'<tr id="handover-{newest}".*?</tr>', section, re.S).group(0)

    load = re.search(r'<table class="stack coach-load">(.*?)</table>', section, re.S).group(1)
    load_rows = re.findall(r"<tr>\s*<td[^>]*>(.*?)</td>\s*<td[^>]*>(\d+)</td>\s*<td[^>]*>(.*?)</td>", load, re.S)
    by_name = {re.sub(r"\s*<span.*", "", name, flags=re.S).strip(): (int(n), state) for name, n, state in load_rows}
    assert by_name[names[0]][0] == 1 and "verfügbar" in by_name[names[0]][1]
    assert by_name[names[1]][0] == 0 and "abwesend bis auf Weiteres" in by_name[names[1]][1]
    assert "Teamleitung" in re.search(rf"<td[^>]*>{re.escape(names[2])}.*?</td>", load, re.S).group(0)
    # no message content on the page: the card in the team's Telegram group has it
    assert "h-old" not in page and "h-held" not in page

    english = as_role("viewer")
    english.post("/account", {"language": "en"})
    assert "2 d 2 h" in english.get("/handovers/").get_data(as_text=True)


def test_the_page_is_read_only_and_a_team_without_handovers_says_so(as_role, console_app) -> None:  # type: ignore[no-untyped-def]
    page = as_role("viewer").get("/handovers/").get_data(as_text=True)
    assert page.count("Keine offenen Übergaben.") == 2
    assert "<form" not in page.split("<main", 1)[1]  # nothing to press: coaches act in Telegram
    writes = [r for r in console_app.url_map.iter_rules() if r.endpoint.startswith("handovers.") and "POST" in r.methods]
    assert writes == []


def test_an_administrator_marks_a_coach_as_team_lead_and_it_is_audited(as_role, seeded_engine) -> None:  # type: ignore[no-untyped-def]
    admin = as_role("admin")
    coach = coaches_of(seeded_engine, "marxloh")[0]
    form = {"team": "marxloh", "name": coach.name, "phone": coach.phone or "", "email": coach.email or "",
            "languages": [c.strip() for c in (coach.languages or "").split(",") if c.strip()], "is_lead": "y"}
    assert admin.post(f"/teams/coaches/{coach.id}", form).status_code == 302
    assert coaches_of(seeded_engine, "marxloh")[0].is_lead
    assert "Teamleitung" in admin.get("/teams/").get_data(as_text=True)
    entry = audit_entries(seeded_engine, "coach")[-1]
    assert (entry.action, entry.target) == ("changed", coach.name) and "is_lead" in entry.after
    del form["is_lead"]  # an unticked box sends nothing
    assert admin.post(f"/teams/coaches/{coach.id}", form).status_code == 302
    assert not coaches_of(seeded_engine, "marxloh")[0].is_lead
