"""`afa content import/export`: every format round-trips, every malformed file is refused, nothing half-written."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from afa.cli import main
from afa.content import ContentError, export_tables, import_path, write_tables
from afa.db import Offer


def _snapshot(engine) -> dict:  # type: ignore[no-untyped-def]
    with Session(engine, future=True) as session:
        return export_tables(session)


def _import(engine, path: Path, dry_run: bool = False):  # type: ignore[no-untyped-def]
    with Session(engine, future=True) as session, session.begin():
        return import_path(session, path, dry_run=dry_run)[0]


@pytest.mark.parametrize("target", ["content.xlsx", "content.yaml", "csv-folder"])
def test_export_then_import_changes_nothing(seeded_engine, tmp_path: Path, target: str) -> None:
    path = tmp_path / target
    assert main(["content", "export", str(path)]) == 0
    before = _snapshot(seeded_engine)
    assert _import(seeded_engine, path).total == 0
    assert _snapshot(seeded_engine) == before


def test_a_spreadsheet_edit_is_imported(seeded_engine, tmp_path: Path) -> None:
    path = tmp_path / "content.xlsx"
    assert main(["content", "export", str(path)]) == 0
    book = load_workbook(path)
    sheet = book["offers"]
    header = [c.value for c in sheet[1]]
    sheet.cell(row=2, column=header.index("title_tr") + 1, value="Yeni başlık")
    key = sheet.cell(row=2, column=header.index("key") + 1).value
    sheet.delete_rows(3)
    book.save(path)
    changes = _import(seeded_engine, path)
    assert changes.changed["offers"] == 1 and changes.removed["offers"] == 1 and changes.added["offers"] == 0
    with Session(seeded_engine, future=True) as session:
        assert session.scalar(select(Offer).where(Offer.key == key)).text("tr").title == "Yeni başlık"


def test_dry_run_writes_nothing(seeded_engine, tmp_path: Path) -> None:
    path = tmp_path / "offers.csv"
    assert main(["content", "export", str(path)]) == 0
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    rows[0]["provider"] = "Neuer Träger"
    _write_rows(path, rows)
    before = _snapshot(seeded_engine)
    assert main(["content", "import", str(path), "--dry-run"]) == 0
    assert _snapshot(seeded_engine) == before
    assert main(["content", "import", str(path)]) == 0
    assert _snapshot(seeded_engine) != before


def _write_rows(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _offers_csv(engine, tmp_path: Path) -> tuple[Path, list[dict[str, str]]]:  # type: ignore[no-untyped-def]
    path = tmp_path / "offers.csv"
    write_tables(path, _snapshot(engine))
    return path, list(csv.DictReader(path.open(encoding="utf-8")))


def _refused(engine, path: Path, *expected: str) -> None:  # type: ignore[no-untyped-def]
    before = _snapshot(engine)
    with pytest.raises(ContentError) as raised:
        _import(engine, path)
    text = "\n".join(raised.value.errors)
    for part in expected:
        assert part in text, text
    assert _snapshot(engine) == before


def test_missing_translation_is_reported_not_filled(seeded_engine, tmp_path: Path) -> None:
    path, rows = _offers_csv(seeded_engine, tmp_path)
    rows[2]["title_bg"] = ""
    rows[0]["provider"] = "would be a change"
    _write_rows(path, rows)
    _refused(seeded_engine, path, "offers.csv, row 4, field title_bg: translation missing")


def test_bad_date(seeded_engine, tmp_path: Path) -> None:
    path, rows = _offers_csv(seeded_engine, tmp_path)
    rows[0]["valid_until"] = "31.12.2026"
    _write_rows(path, rows)
    _refused(seeded_engine, path, "offers.csv, row 2, field valid_until: not a date")


def test_duplicate_key(seeded_engine, tmp_path: Path) -> None:
    path, rows = _offers_csv(seeded_engine, tmp_path)
    rows[1]["key"] = rows[0]["key"]
    _write_rows(path, rows)
    _refused(seeded_engine, path, "offers.csv, row 3: duplicate key")


def test_wrong_column(seeded_engine, tmp_path: Path) -> None:
    path, rows = _offers_csv(seeded_engine, tmp_path)
    for row in rows:
        row["titel_de"] = row.pop("title_de")
    _write_rows(path, rows)
    _refused(seeded_engine, path, "unknown column 'titel_de'", "required column 'title_de' is missing")


def test_unknown_district_target_group_phone_and_email(seeded_engine, tmp_path: Path) -> None:
    path, rows = _offers_csv(seeded_engine, tmp_path)
    rows[0]["districts"] = "marxloh, ruhrort"
    rows[1]["target_groups"] = "seniors"
    rows[2]["contact_phone"] = "call me"
    rows[3]["contact_email"] = "kurse(at)example.org"
    _write_rows(path, rows)
    _refused(
        seeded_engine, path,
        "row 2, field districts: unknown district 'ruhrort'", "row 3, field target_groups: unknown target group 'seniors'",
        "row 4, field contact_phone: not a phone number", "row 5, field contact_email: not an e-mail address",
    )


def test_non_utf8_csv(seeded_engine, tmp_path: Path) -> None:
    path, rows = _offers_csv(seeded_engine, tmp_path)
    text = path.read_text(encoding="utf-8").replace("Beispiel", "Träger")
    path.write_bytes(text.encode("cp1252", errors="replace"))
    _refused(seeded_engine, path, "offers.csv: not UTF-8")


@pytest.mark.parametrize("name", ["offers.csv", "content.yaml", "content.xlsx"])
def test_empty_file(seeded_engine, tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"")
    _refused(seeded_engine, path, "empty")


def test_broken_yaml_and_xlsx(seeded_engine, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("offers: [unclosed", encoding="utf-8")
    _refused(seeded_engine, broken, "not valid YAML")
    fake = tmp_path / "fake.xlsx"
    fake.write_bytes(b"PK\x03\x04 this is not a workbook")
    _refused(seeded_engine, fake, "not a readable .xlsx workbook")


def test_faq_placeholders_and_new_topics_are_checked(seeded_engine, tmp_path: Path) -> None:
    path = tmp_path / "faq.yaml"
    tables = _snapshot(seeded_engine)
    faq = tables["faq"]
    faq[0]["answer_ro"] = faq[0]["answer_ro"] + " {kontakte}"
    faq.append({"key": "kita", "answer_de": "Kita", "answer_tr": "Kreş", "answer_bg": "Ясла", "answer_ro": "Creșă"})
    write_tables(path, {"faq": faq})
    _refused(seeded_engine, path, "field answer_ro: unknown placeholder", "new FAQ topic 'kita' needs example questions")


def test_cli_reports_errors_with_exit_status(seeded_engine, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path, rows = _offers_csv(seeded_engine, tmp_path)
    rows[0]["cost"] = "free"
    _write_rows(path, rows)
    assert main(["content", "import", str(path)]) == 1
    err = capsys.readouterr().err
    assert "offers.csv, row 2, field cost: not a number" in err and "nothing was written" in err


def test_database_check_lists_warnings(seeded_engine, capsys: pytest.CaptureFixture) -> None:
    assert main(["content", "check"]) == 0
    out = capsys.readouterr().out
    assert "duplicate e-mail dgruening@eg-du.de" in out and "example" in out


# --- topics: a column added after staff had spreadsheets ----------------------------------------------------
def _topics(engine) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {row["key"]: row["topics"] for row in _snapshot(engine)["offers"]}


@pytest.mark.parametrize("name", ["content.xlsx", "offers.csv"])
def test_a_spreadsheet_without_the_topics_column_still_imports(seeded_engine, tmp_path: Path, name: str) -> None:
    """A sheet from before offers had topics: it imports, the topics stored stay, a new offer has none."""
    before = _topics(seeded_engine)
    assert before["deutschkurs-marxloh-frauen"] == "german" and all(before.values())
    path = tmp_path / name
    tables = _snapshot(seeded_engine)
    rows = [{k: v for k, v in row.items() if k != "topics"} for row in tables["offers"]]
    rows[0]["title_tr"] = "Eski tablodan yeni başlık"
    rows.append({**rows[1], "key": "neu-ohne-thema", "title_de": "Neu ohne Thema"})
    if name.endswith(".csv"):
        _write_rows(path, rows)
    else:
        write_tables(path, {"offers": rows})
        book = load_workbook(path)
        sheet = book["offers"]
        header = [c.value for c in sheet[1]]
        sheet.delete_cols(header.index("topics") + 1)  # the old sheet has no such column at all
        book.save(path)
        assert "topics" not in [c.value for c in load_workbook(path)["offers"][1]]
    changes = _import(seeded_engine, path)
    assert (changes.added["offers"], changes.changed["offers"], changes.removed["offers"]) == (1, 1, 0)
    after = _topics(seeded_engine)
    assert after.pop("neu-ohne-thema") == ""
    assert after == before  # every stored topic kept
    with Session(seeded_engine, future=True) as session:
        assert session.scalar(select(Offer).where(Offer.key == rows[0]["key"])).text("tr").title == "Eski tablodan yeni başlık"
    # An export writes the column again, and importing it changes nothing.
    (tmp_path / "again").mkdir()
    again = tmp_path / "again" / name
    assert main(["content", "export", str(again)]) == 0
    assert _import(seeded_engine, again).total == 0


def test_topics_are_imported_and_an_unknown_topic_is_refused(seeded_engine, tmp_path: Path) -> None:
    path, rows = _offers_csv(seeded_engine, tmp_path)
    rows[0]["topics"] = "Computer; jobs"
    _write_rows(path, rows)
    assert _import(seeded_engine, path).changed["offers"] == 1
    assert _topics(seeded_engine)[rows[0]["key"]] == "computer, jobs"
    rows[1]["topics"] = "german, cooking"
    _write_rows(path, rows)
    _refused(seeded_engine, path, "offers.csv, row 3, field topics: unknown topic 'cooking' (known: german, computer, "
                                  "application, internship, recognition, qualification, jobs)")
