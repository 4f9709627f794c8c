"""The console's teams and coaches: office hours that cannot be invalid, closed days, coaches, linking by codes."""
from __future__ import annotations

import dataclasses
import json
import re
from datetime import datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import segno
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from afa.audit import AuditEntry
from afa.content import export_tables, import_path, render_contacts
from afa.db import Coach, Team, as_utc, utcnow
from afa.linking import LinkCode, link_coach, link_group, record_bot_status
from afa.schedule import DAYS, OfficeHours, parse_schedule
from tests.console_client import STAFF

BERLIN = ZoneInfo("Europe/Berlin")


class _Selects(HTMLParser):
    """The selected option of every <select> on a page (a browser sends these)."""

    def __init__(self) -> None:
        super().__init__()
        self.selected: dict[str, str] = {}
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        a = dict(attrs)
        if tag == "select":
            self._select = a["name"]
            self.selected[self._select] = ""
        elif tag == "option" and self._select and "selected" in a:
            self.selected[self._select] = a["value"]

    def handle_endtag(self, tag):  # type: ignore[no-untyped-def]
        if tag == "select":
            self._select = None


def selected(page: str) -> dict[str, str]:
    reader = _Selects()
    reader.feed(page)
    return reader.selected


def hours(**days: list[tuple[str, str]]) -> dict[str, str]:
    """The office hours form's fields: hours(mon=[("09:00", "12:00")]) with every other select empty."""
    fields = {}
    for day in DAYS:
        ranges = days.get(day, [])
        for n in (1, 2):
            start, end = ranges[n - 1] if len(ranges) >= n else ("", "")
            fields[f"{day}-{n}-from"], fields[f"{day}-{n}-to"] = start, end
    return fields


def team_of(engine, district: str = "marxloh") -> Team:  # type: ignore[no-untyped-def]
    with Session(engine, future=True, expire_on_commit=False) as session:
        return session.scalar(select(Team).where(Team.district == district))


def coaches_of(engine, district: str) -> list[Coach]:  # type: ignore[no-untyped-def]
    with Session(engine, future=True, expire_on_commit=False) as session:
        team = session.scalar(select(Team).where(Team.district == district))
        return list(team.coaches)


def audit_entries(engine, kind: str) -> list[AuditEntry]:  # type: ignore[no-untyped-def]
    with Session(engine, future=True) as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.kind == kind).order_by(AuditEntry.id)))


def with_bot_username(console_app, name: str) -> None:  # type: ignore[no-untyped-def]
    state = console_app.extensions["afa"]
    state.settings = dataclasses.replace(state.settings, telegram_bot_username=name)


def team_form(name: str = "Netzwerkcoach-Team Marxloh", zone: str = "Europe/Berlin", **days: Any) -> dict[str, str]:
    return {"name": name, "timezone": zone, **hours(**days)}


# --- reading --------------------------------------------------------------------------------------------------
def test_a_viewer_sees_teams_coaches_and_their_links(as_role) -> None:  # type: ignore[no-untyped-def]
    viewer = as_role("viewer")
    response = viewer.get("/teams/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for text in ("Netzwerkcoach-Team Marxloh", "Netzwerkcoach-Team Hochfeld", "Anke Gorres", "Ercan Idik",
                 "0203/99429-31", "kroediger@eg-du.de", "immer besetzt", "Keine Gruppe verbunden", "nicht verknüpft"):
        assert text in page, text
    assert "doppelte E-Mail-Adresse dgruening@eg-du.de" in page  # the programme page's duplicate, kept and shown
    assert "Gruppe verbinden" not in page and "Coach hinzufügen" not in page  # administrators only
    assert viewer.get("/teams/marxloh").status_code == 403


def test_an_editor_gets_403_on_every_team_write(as_role, seeded_engine) -> None:  # type: ignore[no-untyped-def]
    editor = as_role("editor")
    coach_id = coaches_of(seeded_engine, "marxloh")[0].id
    assert editor.get("/teams/").status_code == 200
    for url in ("/teams/marxloh", "/teams/marxloh/coaches/new", f"/teams/coaches/{coach_id}"):
        assert editor.get(url).status_code == 403, url
    writes = {
        "/teams/marxloh": team_form("Anders", mon=[("09:00", "12:00")]),
        "/teams/marxloh/closed": {"day": "2026-12-24"},
        "/teams/marxloh/closed/delete": {"day": "2026-12-24"},
        "/teams/marxloh/coaches/new": {"team": "marxloh", "name": "Neu", "email": "neu@example.org"},
        f"/teams/coaches/{coach_id}": {"team": "marxloh", "name": "Anders", "email": "a@example.org"},
        f"/teams/coaches/{coach_id}/delete": {},
        "/teams/marxloh/link": {}, "/teams/marxloh/unlink": {},
        f"/teams/coaches/{coach_id}/link": {}, f"/teams/coaches/{coach_id}/unlink": {},
    }
    for url, data in writes.items():
        assert editor.post(url, data).status_code == 403, url
    team = team_of(seeded_engine)
    assert (team.name, team.office_hours, team.closed_days) == ("Netzwerkcoach-Team Marxloh", "", "")
    assert len(coaches_of(seeded_engine, "marxloh")) == 3
    with Session(seeded_engine, future=True) as session:
        assert session.scalar(select(LinkCode.id)) is None
        assert session.scalar(select(AuditEntry.id)) is None


# --- office hours -----------------------------------------------------------------------------------------------
def test_office_hours_round_trip_form_to_schedule_and_back(as_role, seeded_engine) -> None:  # type: ignore[no-untyped-def]
    admin = as_role("admin")
    form = team_form(**{d: [("09:00", "12:00"), ("13:00", "16:00")] for d in ("mon", "tue", "wed", "thu")},
                     fri=[("09:00", "12:30")], sat=[("10:00", "11:00")])
    response = admin.post("/teams/marxloh", form)
    assert response.status_code == 302
    stored = team_of(seeded_engine).office_hours
    assert stored == "mon-thu 09:00-12:00; mon-thu 13:00-16:00; fri 09:00-12:30; sat 10:00-11:00"
    slots = parse_schedule(stored)  # the bot's own parser reads it
    assert [(s.days, f"{s.start:%H:%M}", f"{s.end:%H:%M}") for s in slots] == [
        ((0, 1, 2, 3), "09:00", "12:00"), ((0, 1, 2, 3), "13:00", "16:00"), ((4,), "09:00", "12:30"), ((5,), "10:00", "11:00")]
    office = OfficeHours.of(stored, "", "Europe/Berlin")
    monday = datetime(2026, 12, 7, 10, 0, tzinfo=BERLIN)
    assert office.is_open(monday) and not office.is_open(monday.replace(hour=12, minute=30))
    assert not office.is_open(datetime(2026, 12, 13, 10, 0, tzinfo=BERLIN))  # Sunday
    # the form shows what it saved
    page = admin.get("/teams/marxloh").get_data(as_text=True)
    assert {k: v for k, v in selected(page).items() if v} == {k: v for k, v in form.items() if v and "-" in k}
    listing = admin.get("/teams/").get_data(as_text=True)
    assert "09:00–12:30" in listing and "Sa. 10:00–11:00" in listing
    [entry] = audit_entries(seeded_engine, "team")
    assert (entry.action, entry.target, entry.actor) == ("changed", "marxloh", STAFF["admin"])
    assert json.loads(entry.before) == {"office_hours": ""} and json.loads(entry.after) == {"office_hours": stored}

    # a stored schedule off the half-hour grid (from a spreadsheet) is shown as it is, and survives a save
    with Session(seeded_engine, future=True) as session, session.begin():
        session.scalar(select(Team).where(Team.district == "hochfeld")).office_hours = "mon,wed 08:15-10:45"
    page = admin.get("/teams/hochfeld").get_data(as_text=True)
    chosen = selected(page)
    assert (chosen["mon-1-from"], chosen["mon-1-to"], chosen["wed-1-from"], chosen["tue-1-from"]) == ("08:15", "10:45", "08:15", "")
    assert admin.post("/teams/hochfeld", {**chosen, "name": "Netzwerkcoach-Team Hochfeld", "timezone": "Europe/Berlin"}).status_code == 302
    assert team_of(seeded_engine, "hochfeld").office_hours == "mon,wed 08:15-10:45"

    # no hours at all: always staffed
    assert admin.post("/teams/marxloh", team_form()).status_code == 302
    assert team_of(seeded_engine).office_hours == ""
    assert "immer besetzt" in admin.get("/teams/").get_data(as_text=True)


def test_inverted_overlapping_or_half_filled_ranges_are_refused(as_role, seeded_engine) -> None:  # type: ignore[no-untyped-def]
    admin = as_role("admin")
    cases = {
        "endet, bevor er beginnt": team_form(mon=[("12:00", "09:00")]),
        "überschneiden sich": team_form(tue=[("09:00", "12:00"), ("11:30", "14:00")]),
        "Beginn und Ende": team_form(wed=[("09:00", "")]),
        "keine gültige Uhrzeit": team_form(thu=[("9 Uhr", "12:00")]),
        "unbekannte Zeitzone": team_form(zone="Europe/Duisburg", fri=[("09:00", "12:00")]),
        "Name": team_form(name="", fri=[("09:00", "12:00")]),
    }
    for message, form in cases.items():
        response = admin.post("/teams/marxloh", form)
        assert response.status_code == 400, message
        page = response.get_data(as_text=True)
        assert message in page, message
        assert "nichts gespeichert" in page, message
    assert team_of(seeded_engine).office_hours == "" and team_of(seeded_engine).timezone == "Europe/Berlin"
    assert audit_entries(seeded_engine, "team") == []
    # the refused form keeps what was chosen, so it can be corrected
    page = admin.post("/teams/marxloh", team_form(mon=[("12:00", "09:00")])).get_data(as_text=True)
    assert selected(page)["mon-1-from"] == "12:00"


def test_closed_days_are_added_and_removed(as_role, seeded_engine) -> None:  # type: ignore[no-untyped-def]
    admin = as_role("admin")
    assert admin.post("/teams/marxloh", team_form(**{d: [("09:00", "16:00")] for d in DAYS[:5]})).status_code == 302
    assert admin.post("/teams/marxloh/closed", {"day": "2026-12-31"}).status_code == 302
    assert admin.post("/teams/marxloh/closed", {"day": "2026-12-24"}).status_code == 302
    assert team_of(seeded_engine).closed_days == "2026-12-24, 2026-12-31"
    assert admin.post("/teams/marxloh/closed", {"day": "2026-12-24"}).status_code == 302  # already there
    assert admin.post("/teams/marxloh/closed", {"day": "Heiligabend"}).status_code == 302
    page = admin.get("/teams/marxloh").get_data(as_text=True)
    assert "Bitte wählen Sie ein Datum." in page
    assert "Donnerstag, 24. Dezember 2026" in page and "Donnerstag, 31. Dezember 2026" in page
    team = team_of(seeded_engine)
    office = OfficeHours.of(team.office_hours, team.closed_days, team.timezone)
    assert not office.is_open(datetime(2026, 12, 24, 10, 0, tzinfo=BERLIN))
    assert office.is_open(datetime(2026, 12, 23, 10, 0, tzinfo=BERLIN))
    assert admin.post("/teams/marxloh/closed/delete", {"day": "2026-12-24"}).status_code == 302
    assert team_of(seeded_engine).closed_days == "2026-12-31"
    assert "Donnerstag, 31. Dezember 2026" in admin.get("/teams/").get_data(as_text=True)
    changes = [json.loads(e.after) for e in audit_entries(seeded_engine, "team")]
    assert changes[1:] == [{"closed_days": "2026-12-31"}, {"closed_days": "2026-12-24, 2026-12-31"},
                           {"closed_days": "2026-12-31"}]


# --- coaches ----------------------------------------------------------------------------------------------------
def test_coaches_are_added_edited_and_removed_with_the_import_rules(as_role, seeded_engine) -> None:  # type: ignore[no-untyped-def]
    admin = as_role("admin")
    new = {"team": "hochfeld", "name": "Maria Popescu", "phone": "0203/99429-77", "email": "mpopescu@example.org",
           "languages": ["ro", "de"]}
    assert admin.get("/teams/hochfeld/coaches/new").status_code == 200
    assert admin.post("/teams/hochfeld/coaches/new", new).status_code == 302
    coach = coaches_of(seeded_engine, "hochfeld")[-1]
    assert (coach.name, coach.phone, coach.email, coach.languages) == ("Maria Popescu", "0203/99429-77",
                                                                       "mpopescu@example.org", "de, ro")
    page = admin.get("/teams/").get_data(as_text=True)
    assert "Maria Popescu" in page and "Deutsch, Rumänisch" in page
    with Session(seeded_engine, future=True) as session:  # the bot's contact list has her at once
        assert "Maria Popescu" in render_contacts(session, "de", "hochfeld")

    bad = admin.post(f"/teams/coaches/{coach.id}", {**new, "email": "mpopescu(at)example"})
    assert bad.status_code == 400
    text = bad.get_data(as_text=True)
    assert "keine E-Mail-Adresse" in text and "nichts gespeichert" in text
    assert coaches_of(seeded_engine, "hochfeld")[-1].email == "mpopescu@example.org"
    twin = admin.post("/teams/hochfeld/coaches/new", {**new, "email": "other@example.org"})
    assert twin.status_code == 400 and "doppelter Schlüssel" in twin.get_data(as_text=True)
    assert len(coaches_of(seeded_engine, "hochfeld")) == 4
    assert admin.post("/teams/hochfeld/coaches/new", {"team": "hochfeld", "name": "", "email": "x@example.org"}).status_code == 400

    edited = {**new, "email": "maria.popescu@example.org", "languages": ["ro", "bg"]}
    assert admin.post(f"/teams/coaches/{coach.id}", edited).status_code == 302
    coach = coaches_of(seeded_engine, "hochfeld")[-1]
    assert (coach.email, coach.languages) == ("maria.popescu@example.org", "bg, ro")
    # the same e-mail as a colleague is kept, with a warning (the programme's page has such duplicates)
    assert admin.post(f"/teams/coaches/{coach.id}", {**edited, "email": "gfobbe@eg-du.de"}).status_code == 302
    assert "doppelte E-Mail-Adresse gfobbe@eg-du.de" in admin.get("/teams/").get_data(as_text=True)

    assert admin.post(f"/teams/coaches/{coach.id}/delete").status_code == 302
    assert [c.name for c in coaches_of(seeded_engine, "hochfeld")] == ["Karen Dietrich", "Georg Fobbe", "Ercan Idik"]
    entries = audit_entries(seeded_engine, "coach")
    assert [(e.action, e.target) for e in entries] == [
        ("created", "Maria Popescu"), ("changed", "Maria Popescu"), ("changed", "Maria Popescu"), ("deleted", "Maria Popescu")]
    assert json.loads(entries[1].before) == {"email": "mpopescu@example.org", "languages": "de, ro"}
    assert json.loads(entries[1].after) == {"email": "maria.popescu@example.org", "languages": "bg, ro"}
    assert all("telegram_user_id" not in (e.after or "") + (e.before or "") for e in entries)


def test_a_spreadsheet_change_to_one_coach_keeps_the_others_links(seeded_engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    anke = coaches_of(seeded_engine, "marxloh")[0]
    with Session(seeded_engine, future=True) as session, session.begin():
        code = link_coach(session, _code(session, coach_id=anke.id), 4242, "Anke G.")
        assert code.problem is None
        rows = export_tables(session, ("coaches",))
    for row in rows["coaches"]:
        if row["name"] == "Ercan Idik":
            row["phone"] = "0203/99429-99"
    sheet = tmp_path / "coaches.yaml"
    sheet.write_text(yaml.safe_dump(rows, allow_unicode=True), encoding="utf-8")
    with Session(seeded_engine, future=True) as session, session.begin():
        changes, _warnings = import_path(session, sheet)
    assert changes.changed["coaches"] == 1
    again = coaches_of(seeded_engine, "marxloh")[0]
    assert (again.id, again.telegram_user_id, again.telegram_name) == (anke.id, 4242, "Anke G.")
    assert coaches_of(seeded_engine, "hochfeld")[2].phone == "0203/99429-99"


def _code(session, team_id: int | None = None, coach_id: int | None = None) -> str:  # type: ignore[no-untyped-def]
    from afa.linking import new_code

    return new_code(session, team=session.get(Team, team_id) if team_id else None,
                    coach=session.get(Coach, coach_id) if coach_id else None, created_by="test").code


# --- linking ------------------------------------------------------------------------------------------------------
def _latest_code(engine) -> LinkCode:  # type: ignore[no-untyped-def]
    with Session(engine, future=True, expire_on_commit=False) as session:
        return session.scalars(select(LinkCode).order_by(LinkCode.id.desc())).first()


def test_a_group_code_shows_link_qr_and_command_and_the_status_follows_the_bot(as_role, console_app, seeded_engine) -> None:  # type: ignore[no-untyped-def]
    with_bot_username(console_app, "afa_test_bot")
    admin = as_role("admin")
    response = admin.post("/teams/marxloh/link")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    code = _latest_code(seeded_engine)
    team = team_of(seeded_engine)
    assert (code.kind, code.team_id, code.used_at) == ("team", team.id, None)
    assert abs(as_utc(code.expires_at) - (utcnow() + timedelta(hours=48))) < timedelta(minutes=1)
    link = f"https://t.me/afa_test_bot?startgroup={code.code}"
    assert f'href="{link}"' in page
    assert f"/link@afa_test_bot {code.code}" in page
    svg = re.search(r"<svg.*?</svg>", page, re.S).group(0)
    assert "style=" not in svg and "<script" not in svg
    assert svg == segno.make(link, error="m").svg_inline(scale=4, omitsize=True, svgclass="qr-code")  # the QR holds the link
    assert "style=" not in page.split("<main", 1)[1]
    [entry] = audit_entries(seeded_engine, "team")
    assert entry.action == "link_code" and "code created" in entry.after and code.code not in entry.after
    assert "Ein noch nicht benutzter Verbindungscode gilt bis" in admin.get("/teams/").get_data(as_text=True)

    # the Telegram side redeems it (bot/ does this when the bot is added with the code)
    with Session(seeded_engine, future=True) as session, session.begin():
        assert link_group(session, code.code, -1001234, "AfA Marxloh Coaches", True).problem is None
        record_bot_status(session, -1001234, "member", None)
    listing = admin.get("/teams/").get_data(as_text=True)
    assert "AfA Marxloh Coaches" in listing and "Bot ist Mitglied" in listing
    assert "Themen verwalten" in listing  # a forum group without the right to manage topics
    with Session(seeded_engine, future=True) as session, session.begin():
        record_bot_status(session, -1001234, "administrator", True)
    listing = admin.get("/teams/").get_data(as_text=True)
    assert "Bot ist Administrator" in listing and "Themen verwalten" not in listing
    with Session(seeded_engine, future=True) as session, session.begin():
        record_bot_status(session, -1001234, "left", None)
    assert "Bot ist nicht mehr in der Gruppe" in admin.get("/teams/").get_data(as_text=True)

    assert admin.post("/teams/marxloh/unlink").status_code == 302
    team = team_of(seeded_engine)
    assert (team.telegram_chat_id, team.telegram_chat_title, team.bot_status) == (None, None, None)
    assert "Keine Gruppe verbunden" in admin.get("/teams/").get_data(as_text=True)
    unlinked = audit_entries(seeded_engine, "team")[-1]
    assert unlinked.action == "unlinked" and "AfA Marxloh Coaches" in unlinked.before


def test_a_coach_code_without_a_bot_username_shows_the_command_and_says_what_to_configure(as_role, console_app, seeded_engine) -> None:  # type: ignore[no-untyped-def]
    with_bot_username(console_app, "")
    admin = as_role("admin")
    coach = coaches_of(seeded_engine, "hochfeld")[0]
    page = admin.post(f"/teams/coaches/{coach.id}/link").get_data(as_text=True)
    code = _latest_code(seeded_engine)
    assert (code.kind, code.coach_id) == ("coach", coach.id)
    assert code.code in page and f"/join {code.code}" in page
    assert "TELEGRAM_BOT_USERNAME" in page and "<svg" not in page and "t.me/" not in page
    entry = audit_entries(seeded_engine, "coach")[-1]
    assert entry.action == "link_code" and code.code not in entry.after

    with_bot_username(console_app, "afa_test_bot")
    page = admin.post(f"/teams/coaches/{coach.id}/link").get_data(as_text=True)
    second = _latest_code(seeded_engine)
    assert f"https://t.me/afa_test_bot?start=join_{second.code}" in page and "<svg" in page
    with Session(seeded_engine, future=True) as session, session.begin():
        assert link_coach(session, code.code, 777, "Georg").problem == "expired"  # the new code replaced it
        assert link_coach(session, second.code, 777, "Georg F.").problem is None
    listing = admin.get("/teams/").get_data(as_text=True)
    row = re.search(rf'<tr id="coach-{coach.id}">.*?</tr>', listing, re.S).group(0)
    assert ">verknüpft<" in row and "Georg F." in row

    assert admin.post(f"/teams/coaches/{coach.id}/unlink").status_code == 302
    again = coaches_of(seeded_engine, "hochfeld")[0]
    assert (again.telegram_user_id, again.telegram_name, again.linked_at) == (None, None, None)
    unlinked = audit_entries(seeded_engine, "coach")[-1]
    assert (unlinked.action, unlinked.target) == ("unlinked", "Karen Dietrich") and "777" not in unlinked.before


def test_unknown_teams_and_coaches_are_404(as_role) -> None:  # type: ignore[no-untyped-def]
    admin = as_role("admin")
    assert admin.get("/teams/ruhrort").status_code == 404
    assert admin.get("/teams/coaches/9999").status_code == 404
    assert admin.post("/teams/coaches/9999/link").status_code == 404
    assert admin.post("/teams/ruhrort/link").status_code == 404


def test_times_in_the_office_hours_form_are_offered_every_half_hour(as_role) -> None:  # type: ignore[no-untyped-def]
    page = as_role("admin").get("/teams/marxloh").get_data(as_text=True)
    select_ = re.search(r'<select id="mon-1-from".*?</select>', page, re.S).group(0)
    values = re.findall(r'<option value="([^"]*)"', select_)
    assert values[:4] == ["", "00:00", "00:30", "01:00"] and values[-1] == "23:30" and len(values) == 49
