"""Each team's area (the district's approximate boundary): read and checked by one set of rules for the spreadsheet
import and the console, stored with the team, and used to tell the district of a shared location."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from afa.audit import AuditEntry
from afa.content import ContentError, export_tables, import_path, write_tables
from afa.db import Team
from afa.geo import AreaError, contains, district_at, format_area, parse_area
from tests.console_client import STAFF

# Places in Duisburg (latitude, longitude) and the district each lies in, if any.
PLACES = {
    "Marxloh, Weseler Straße": ((51.4991, 6.7745), "marxloh"),
    "Marxloh, August-Bebel-Platz": ((51.5035, 6.7812), "marxloh"),
    "Hochfeld, Pauluskirche": ((51.4207, 6.7566), "hochfeld"),
    "Hochfeld, Rheinpark": ((51.4178, 6.7459), "hochfeld"),
    "city centre, Königstraße": ((51.4344, 6.7623), None),
    "Dellviertel, just north of Hochfeld": ((51.4322, 6.7585), None),
    "Obermarxloh, just east of Marxloh": ((51.5000, 6.7960), None),
    "Rheinhausen, across the Rhine": ((51.4050, 6.7200), None),
    "Berlin": ((52.5200, 13.4050), None),
}


def _area(engine, district: str) -> str:  # type: ignore[no-untyped-def]
    with Session(engine, future=True) as session:
        return session.scalar(select(Team.area).where(Team.district == district))


@pytest.mark.parametrize("place", sorted(PLACES))
def test_the_seeded_areas_tell_the_district_of_a_place(seeded_engine, place: str) -> None:  # type: ignore[no-untyped-def]
    (latitude, longitude), district = PLACES[place]
    with Session(seeded_engine, future=True) as session:
        assert district_at(session, latitude, longitude) == district


def test_polygons_are_read_in_any_spacing_closed_or_open_and_written_one_way() -> None:
    square = parse_area("51.5 6.7\n51.5,6.8 ; 51.4 , 6.8;51.4, 6.7; 51.5, 6.7")  # closed ring, mixed separators
    assert square == [(51.5, 6.7), (51.5, 6.8), (51.4, 6.8), (51.4, 6.7)]
    assert format_area(square) == "51.5, 6.7; 51.5, 6.8; 51.4, 6.8; 51.4, 6.7"
    assert contains(square, 51.45, 6.75) and not contains(square, 51.45, 6.85) and not contains(square, 51.55, 6.75)
    concave = parse_area("0, 0; 0, 4; 4, 4; 4, 3; 1, 3; 1, 1; 4, 1; 4, 0")  # a "C": its notch is outside
    assert contains(concave, 0.5, 2) and contains(concave, 3.5, 0.5) and not contains(concave, 2, 2)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("51.5, 6.7; 51.6, 6.8", "at least 3 different corners"),
        ("51.5, 6.7; nördlich vom Bahnhof; 51.4, 6.8", "corner 2 is not “latitude, longitude”"),
        ("51,5 6,7; 51,6 6,8; 51,4 6,8", "corner 1 is not"),  # decimal commas are ambiguous: refused, not guessed
        ("51.5, 6.7; 151.6, 6.8; 51.4, 6.8", "corner 2 lies outside the globe"),
        ("51.5, 6.7; 51.5, 6.8; 51.4, 6.7; 51.4, 6.8", "edges of the area cross"),  # a bow tie
        ("51.5, 6.7; 51.6, 6.8; 51.7, 6.9", "lie on one line"),
        ("51.5, 6.7; 51.5, 6.8; 51.5, 6.7; 51.4, 6.8", "the same corner appears twice"),
    ],
)
def test_a_malformed_polygon_is_a_clear_error(text: str, says: str) -> None:
    with pytest.raises(AreaError) as raised:
        parse_area(text)
    assert says in str(raised.value)


def _teams_csv(engine, tmp_path: Path) -> tuple[Path, list[dict[str, str]]]:  # type: ignore[no-untyped-def]
    with Session(engine, future=True) as session:
        tables = export_tables(session, ("teams",))
    folder = tmp_path / "content"
    write_tables(folder, tables)
    path = folder / "teams.csv"
    return path, list(csv.DictReader(path.open(encoding="utf-8")))


def _write(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _import(engine, path: Path):  # type: ignore[no-untyped-def]
    with Session(engine, future=True) as session, session.begin():
        return import_path(session, path)[0]


def test_a_spreadsheet_edit_of_an_area_is_checked_then_used(seeded_engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path, rows = _teams_csv(seeded_engine, tmp_path)
    marxloh = next(r for r in rows if r["district"] == "marxloh")
    assert marxloh["area"] == _area(seeded_engine, "marxloh") and parse_area(marxloh["area"])  # exported as stored
    before = _area(seeded_engine, "marxloh")
    marxloh["area"] = "51.5, 6.7; 51.5, 6.8; 51.4, 6.7; 51.4, 6.8"  # corners out of order
    _write(path, rows)
    with pytest.raises(ContentError) as raised:
        _import(seeded_engine, path)
    assert any("teams.csv, row 2, field area: the edges of the area cross" in e for e in raised.value.errors), raised.value.errors
    assert _area(seeded_engine, "marxloh") == before
    # in order, with the city centre inside: a location there now counts as Marxloh
    marxloh["area"] = "51.44 6.75;51.44 6.77;  51.43 6.77; 51.43 6.75"
    _write(path, rows)
    changes = _import(seeded_engine, path)
    assert changes.changed["teams"] == 1
    assert _area(seeded_engine, "marxloh") == "51.44, 6.75; 51.44, 6.77; 51.43, 6.77; 51.43, 6.75"
    with Session(seeded_engine, future=True) as session:
        assert district_at(session, *PLACES["city centre, Königstraße"][0]) == "marxloh"
        assert district_at(session, *PLACES["Marxloh, Weseler Straße"][0]) is None
    # the same area written otherwise is no change
    marxloh["area"] = "51.44,6.75; 51.44,6.77; 51.43,6.77; 51.43,6.75; 51.44,6.75"
    _write(path, rows)
    assert _import(seeded_engine, path).total == 0


def test_a_spreadsheet_without_the_area_column_still_imports(seeded_engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path, rows = _teams_csv(seeded_engine, tmp_path)
    for row in rows:
        del row["area"]
        row["name"] += " (neu)"
    _write(path, rows)
    assert _import(seeded_engine, path).changed["teams"] == 2


def _team_form(name: str, area: str | None) -> dict[str, str]:
    form = {"name": name, "timezone": "Europe/Berlin"}
    return form if area is None else {**form, "area": area}


def test_the_console_edits_the_area_with_the_import_rules(as_role, seeded_engine) -> None:  # type: ignore[no-untyped-def]
    admin = as_role("admin")
    page = admin.get("/teams/hochfeld").get_data(as_text=True)
    assert "Gebiet des Stadtteils" in page and _area(seeded_engine, "hochfeld") in page
    seeded = _area(seeded_engine, "hochfeld")
    refused = {
        "51.42, 6.75; 51.43": "Eckpunkt 2 ist nicht „Breitengrad, Längengrad“",
        "51.42, 6.75; 51.43, 6.76": "mindestens 3 verschiedene Eckpunkte",
        "51.5, 6.7; 51.5, 6.8; 51.4, 6.7; 51.4, 6.8": "Die Kanten des Gebiets kreuzen sich",
    }
    for area, message in refused.items():
        response = admin.post("/teams/hochfeld", _team_form("Netzwerkcoach-Team Hochfeld", area))
        assert response.status_code == 400, area
        shown = response.get_data(as_text=True)
        assert message in shown and "nichts gespeichert" in shown, area
        assert area in shown  # kept in the form, to be corrected
    assert _area(seeded_engine, "hochfeld") == seeded
    with Session(seeded_engine, future=True) as session:
        assert session.scalar(select(AuditEntry.id).where(AuditEntry.kind == "team")) is None

    wider = "51.432 6.735\n51.433 6.775\n51.408 6.775\n51.407 6.735"
    assert admin.post("/teams/hochfeld", _team_form("Netzwerkcoach-Team Hochfeld", wider)).status_code == 302
    stored = _area(seeded_engine, "hochfeld")
    assert stored == "51.432, 6.735; 51.433, 6.775; 51.408, 6.775; 51.407, 6.735"
    with Session(seeded_engine, future=True) as session:
        assert district_at(session, *PLACES["Dellviertel, just north of Hochfeld"][0]) == "hochfeld"
        entry = session.scalar(select(AuditEntry).where(AuditEntry.kind == "team"))
        assert (entry.actor, entry.target, json.loads(entry.after)) == (STAFF["admin"], "hochfeld", {"area": stored})
    # a post without the field (not a browser) leaves the area alone; an empty field switches locations off
    assert admin.post("/teams/hochfeld", _team_form("Team Hochfeld", None)).status_code == 302
    assert _area(seeded_engine, "hochfeld") == stored
    assert admin.post("/teams/hochfeld", _team_form("Team Hochfeld", "")).status_code == 302
    with Session(seeded_engine, future=True) as session:
        assert district_at(session, *PLACES["Hochfeld, Pauluskirche"][0]) is None
    # an editor cannot change it
    assert as_role("editor").post("/teams/hochfeld", _team_form("Team Hochfeld", wider)).status_code == 403
    assert _area(seeded_engine, "hochfeld") == ""
