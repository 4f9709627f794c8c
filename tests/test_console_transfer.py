"""Spreadsheet download and upload in the console: errors or a diff first, nothing written until confirmed."""
from __future__ import annotations

import csv
import io
import json
import re
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest
import requests
from openpyxl import Workbook, load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from afa.audit import AuditEntry
from afa.content import export_tables
from afa.content.schema import KINDS
from afa.db import create_schema, make_engine
from afa.settings import Settings
from tests.conftest import free_port, seed
from tests.console_client import PASSWORD, STAFF, ConsoleClient, add_staff, csrf_token

PENDING = re.compile(r"/content/([A-Za-z0-9_-]{20,40})/confirm")


@pytest.fixture()
def app(console_app, tmp_path: Path):  # type: ignore[no-untyped-def]
    """The console with its installation folder (var/uploads) in the test's own folder."""
    state = console_app.extensions["afa"]
    state.settings = replace(state.settings, root=tmp_path / "install")
    return console_app


@pytest.fixture()
def editor(app, as_role) -> ConsoleClient:  # type: ignore[no-untyped-def]
    return as_role("editor")


def _engine(app):  # type: ignore[no-untyped-def]
    return app.extensions["afa"].engine


def _uploads(app) -> list[Path]:  # type: ignore[no-untyped-def]
    folder = app.extensions["afa"].settings.root / "var" / "uploads"
    return sorted(folder.iterdir()) if folder.exists() else []


def _snapshot(engine) -> dict:  # type: ignore[no-untyped-def]
    with Session(engine, future=True) as session:
        return export_tables(session)


def _imports(engine) -> list[AuditEntry]:  # type: ignore[no-untyped-def]
    with Session(engine, future=True) as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == "imported")))


def _upload(client: ConsoleClient, name: str, data: bytes):  # type: ignore[no-untyped-def]
    return client.post("/content/upload", {"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def _offers_csv(client: ConsoleClient) -> list[dict[str, str]]:
    response = client.get("/content/download/offers.csv")
    assert response.status_code == 200
    assert "offers.csv" in response.headers["Content-Disposition"]
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def _csv_bytes(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _refused(app, response, *german: str) -> str:  # type: ignore[no-untyped-def]
    """Shown in German, with nothing written and nothing left pending."""
    html = response.get_data(as_text=True)
    for text in german:
        assert text in html, html
    assert "Übernehmen" not in html
    assert _uploads(app) == []
    assert _imports(_engine(app)) == []
    return html


def test_download_then_upload_the_same_workbook_changes_nothing(app, editor) -> None:  # type: ignore[no-untyped-def]
    before = _snapshot(_engine(app))
    response = editor.get("/content/download.xlsx")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    book = load_workbook(io.BytesIO(response.data), read_only=True)
    assert book.sheetnames == ["facts", "teams", "coaches", "faq", "faq_examples", "offers"]
    assert book["offers"].max_row == len(before["offers"]) + 1
    again = _upload(editor, "afa-inhalte.xlsx", response.data)
    assert again.status_code == 200
    html = again.get_data(as_text=True)
    assert "Keine Änderungen" in html and "Übernehmen" not in html
    assert _snapshot(_engine(app)) == before and _uploads(app) == [] and _imports(_engine(app)) == []


def test_upload_with_changes_shows_the_diff_and_writes_nothing(app, editor) -> None:  # type: ignore[no-untyped-def]
    before = _snapshot(_engine(app))
    rows = _offers_csv(editor)
    changed, removed = rows[0], rows.pop(1)
    old_title = changed["title_tr"]
    changed["title_tr"], changed["cost"] = "Yeni başlık <b>", "12.5"
    rows.append({**rows[2], "key": "neues-angebot"})
    response = _upload(editor, "offers.csv", _csv_bytes(rows))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Noch ist nichts gespeichert" in html and "Übernehmen" in html
    assert "Hinzugefügt (1)" in html and "neues-angebot" in html
    assert "Geändert (1)" in html and changed["key"] in html
    assert old_title in html and "Yeni başlık &lt;b&gt;" in html  # before → after, escaped
    assert "Entfernt (1)" in html and removed["key"] in html
    assert _snapshot(_engine(app)) == before and _imports(_engine(app)) == []
    assert len(_uploads(app)) == 1  # pending on the server until confirmed or cancelled


def test_confirm_writes_and_audits(app, editor) -> None:  # type: ignore[no-untyped-def]
    rows = _offers_csv(editor)
    rows[0]["title_tr"] = "Yeni başlık"
    html = _upload(editor, "offers.csv", _csv_bytes(rows)).get_data(as_text=True)
    upload = PENDING.search(html).group(1)
    assert editor.get(f"/content/{upload}/").status_code == 200  # the preview again
    response = editor.post(f"/content/{upload}/confirm")
    assert response.status_code == 302
    page = editor.get("/content/").get_data(as_text=True)
    assert "„offers.csv“ wurde übernommen: 0 hinzugefügt, 1 geändert, 0 entfernt." in page
    offers = {r["key"]: r for r in _snapshot(_engine(app))["offers"]}
    assert offers[rows[0]["key"]]["title_tr"] == "Yeni başlık"
    [entry] = _imports(_engine(app))
    assert (entry.actor, entry.kind, entry.target) == (STAFF["editor"], "content", "offers.csv")
    assert json.loads(entry.after) == {"added": {}, "changed": {"offers": 1}, "removed": {}}
    assert _uploads(app) == []
    assert editor.post(f"/content/{upload}/confirm").status_code == 404  # once only


def test_cancel_discards_the_pending_upload(app, editor) -> None:  # type: ignore[no-untyped-def]
    before = _snapshot(_engine(app))
    rows = _offers_csv(editor)
    rows[0]["provider"] = "Anderer Träger"
    upload = PENDING.search(_upload(editor, "offers.csv", _csv_bytes(rows)).get_data(as_text=True)).group(1)
    response = editor.post(f"/content/{upload}/cancel")
    assert response.status_code == 302
    assert "wurde verworfen" in editor.get("/content/").get_data(as_text=True)
    assert _uploads(app) == []
    assert editor.post(f"/content/{upload}/confirm").status_code == 404
    assert _snapshot(_engine(app)) == before and _imports(_engine(app)) == []


def test_another_account_cannot_see_or_confirm_someone_elses_upload(app, editor, as_role) -> None:  # type: ignore[no-untyped-def]
    before = _snapshot(_engine(app))
    rows = _offers_csv(editor)
    rows[0]["provider"] = "Anderer Träger"
    upload = PENDING.search(_upload(editor, "offers.csv", _csv_bytes(rows)).get_data(as_text=True)).group(1)
    admin = as_role("admin")
    assert admin.get(f"/content/{upload}/").status_code == 404
    assert admin.post(f"/content/{upload}/confirm").status_code == 404
    assert admin.post(f"/content/{upload}/cancel").status_code == 404
    assert upload not in admin.get("/content/").get_data(as_text=True)
    assert _snapshot(_engine(app)) == before and _imports(_engine(app)) == []
    assert len(_uploads(app)) == 1
    assert editor.post("/content/..%2F..%2Fetc/confirm").status_code == 404  # never a path from the client


def test_an_upload_expires_after_an_hour(app, editor) -> None:  # type: ignore[no-untyped-def]
    rows = _offers_csv(editor)
    rows[0]["provider"] = "Anderer Träger"
    upload = PENDING.search(_upload(editor, "offers.csv", _csv_bytes(rows)).get_data(as_text=True)).group(1)
    [folder] = _uploads(app)
    meta = json.loads((folder / "upload.json").read_text())
    (folder / "upload.json").write_text(json.dumps({**meta, "created": time.time() - 3601}))
    assert editor.post(f"/content/{upload}/confirm").status_code == 404
    assert _uploads(app) == [] and _imports(_engine(app)) == []


def test_end_before_start_is_a_german_row_error(app, editor) -> None:  # type: ignore[no-untyped-def]
    before = _snapshot(_engine(app))
    rows = _offers_csv(editor)
    rows[0]["valid_from"], rows[0]["valid_until"] = "2026-06-01", "2026-05-01"
    rows[1]["districts"] = "marxloh, ruhrort"
    rows[2]["title_bg"] = ""
    rows[3]["schedule"] = "mon 12:00-10:00"
    html = _refused(app, _upload(editor, "offers.csv", _csv_bytes(rows)),
                    "Es wurde nichts gespeichert. Die Datei hat 4 Problem(e)",
                    "offers.csv, Zeile 2, Feld valid_until: endet vor valid_from",
                    "offers.csv, Zeile 3, Feld districts: unbekannter Stadtteil &#39;ruhrort&#39;",
                    "offers.csv, Zeile 4, Feld title_bg: Übersetzung fehlt",
                    "offers.csv, Zeile 5, Feld schedule: endet, bevor es beginnt")
    assert "ends before" not in html and "row" not in html.split("<main", 1)[1]
    assert _snapshot(_engine(app)) == before


def test_wrong_sheets_are_named(app, editor) -> None:  # type: ignore[no-untyped-def]
    book = Workbook()
    book.active.title = "Angebote"
    book.active.append(["key", "provider"])
    book.create_sheet("offers").append(["schluessel"])
    data = io.BytesIO()
    book.save(data)
    _refused(app, _upload(editor, "inhalte.xlsx", data.getvalue()),
             "Tabellenblatt Angebote: unbekannte Inhaltsart &#39;Angebote&#39; (bekannt: facts, teams, coaches",
             "Tabellenblatt offers: unbekannte Spalte &#39;schluessel&#39;",
             "Tabellenblatt offers: Pflichtspalte &#39;provider&#39; fehlt")


OFFER_HEADER = ",".join(c.name for c in KINDS["offers"]).encode()


@pytest.mark.parametrize("name, data, german", [
    ("inhalte.xlsx", b"PK\x03\x04 this is not a workbook", "inhalte.xlsx: keine lesbare .xlsx-Arbeitsmappe"),
    ("offers.csv", bytes(range(256)) * 40, "offers.csv: kein UTF-8-Text"),
    ("offers.csv", OFFER_HEADER + b'\n"unclosed,' + b"a" * 200_000, "offers.csv: keine lesbare CSV-Datei"),
    ("inhalte.yaml", b"offers: [unclosed", "inhalte.yaml: kein gültiges YAML"),
    ("inhalte.yaml", b"- just\n- a list\n", "inhalte.yaml: leer, oder keine Zuordnung von Arten"),
    ("Angebote.csv", b"key\nx\n", "Angebote.csv: unbekannte Inhaltsart &#39;Angebote&#39;"),
    ("offers.csv", b"", "offers.csv: leere Datei"),
    ("inhalte.xlsx", b"", "inhalte.xlsx: leere Datei"),
], ids=["fake-xlsx", "binary-csv", "broken-csv", "broken-yaml", "yaml-list", "unknown-kind", "empty-csv", "empty-xlsx"])
def test_malformed_files_get_a_german_message(app, editor, name: str, data: bytes, german: str) -> None:  # type: ignore[no-untyped-def]
    before = _snapshot(_engine(app))
    _refused(app, _upload(editor, name, data), "Es wurde nichts gespeichert", german)
    assert _snapshot(_engine(app)) == before


@pytest.mark.parametrize("name", ["inhalte.pdf", "offers.xls", "offers", "../../etc/passwd"])
def test_a_wrong_extension_is_refused(app, editor, name: str) -> None:  # type: ignore[no-untyped-def]
    response = _upload(editor, name, b"key\nx\n")
    assert response.status_code == 400
    _refused(app, response, "ist keine Datei, die die Konsole lesen kann")


def test_no_file_chosen(app, editor) -> None:  # type: ignore[no-untyped-def]
    response = editor.post("/content/upload", {})
    assert response.status_code == 400
    _refused(app, response, "Bitte wählen Sie eine Datei zum Hochladen aus.")


def test_a_50_mb_upload_gets_the_german_413_page(app, editor) -> None:  # type: ignore[no-untyped-def]
    response = _upload(editor, "offers.csv", b"x" * (50 * 1024 * 1024))
    assert response.status_code == 413
    _refused(app, response, "Datei zu groß", "Die Datei ist größer als 20 MB")


def test_many_changes_show_counts_and_the_first_rows(app, editor) -> None:  # type: ignore[no-untyped-def]
    rows = _offers_csv(editor)
    rows += [{**rows[0], "key": f"neu-{i:03d}"} for i in range(120)]
    html = _upload(editor, "offers.csv", _csv_bytes(rows)).get_data(as_text=True)
    assert "Hinzugefügt (120)" in html and "neu-049" in html and "neu-050" not in html
    assert "… und 70 weitere." in html


def test_a_viewer_downloads_but_cannot_upload(app, as_role) -> None:  # type: ignore[no-untyped-def]
    viewer = as_role("viewer")
    page = viewer.get("/content/").get_data(as_text=True)
    assert "Arbeitsmappe herunterladen" in page and 'type="file"' not in page
    assert viewer.get("/content/download.xlsx").status_code == 200
    assert viewer.get("/content/download/faq.csv").status_code == 200
    assert viewer.get("/content/download/nonsense.csv").status_code == 404
    rows = _offers_csv(viewer)
    response = _upload(viewer, "offers.csv", _csv_bytes(rows))
    assert response.status_code == 403
    assert _uploads(app) == []


def test_waitress_refuses_50_mb_with_the_german_page(app) -> None:  # type: ignore[no-untyped-def]
    """Over real HTTP through waitress (what `afa console` serves with), not only Flask's test client."""
    from waitress.server import create_server

    server = create_server(app, host="127.0.0.1", port=free_port(), threads=2, ident="")
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.effective_port}"
    try:
        browser = requests.Session()
        token = csrf_token(browser.get(f"{base}/login", timeout=10).text)
        login = browser.post(f"{base}/login", data={"csrf_token": token, "email": STAFF["editor"], "password": PASSWORD},
                             timeout=10, allow_redirects=False)
        assert login.status_code == 302
        token = csrf_token(browser.get(f"{base}/content/", timeout=10).text)
        response = browser.post(f"{base}/content/upload", data={"csrf_token": token},
                                files={"file": ("offers.csv", b"x" * (50 * 1024 * 1024))}, timeout=60)
        assert response.status_code == 413
        assert "Datei zu groß" in response.text
        assert _uploads(app) == []
    finally:
        server.close()
        thread.join(timeout=10)


@pytest.mark.postgres
def test_upload_and_confirm_on_postgresql(postgres_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from afa.console import create_app

    monkeypatch.setenv("AFA_CONSOLE_SECRET", "test-secret")
    monkeypatch.setenv("AFA_NLU_DIR", str(tmp_path / "nlu_data"))
    engine = make_engine(postgres_url)
    create_schema(engine)
    seed(engine)
    add_staff(engine)
    app = create_app(replace(Settings(), root=tmp_path / "install", database_url=postgres_url), engine)
    editor = ConsoleClient(app.test_client())
    assert editor.login(STAFF["editor"]).status_code == 302
    before = _snapshot(engine)
    again = _upload(editor, "inhalte.xlsx", editor.get("/content/download.xlsx").data)
    assert "Keine Änderungen" in again.get_data(as_text=True)
    rows = _offers_csv(editor)
    rows[0]["valid_until"] = "2020-01-01"
    rows[0]["valid_from"] = "2021-01-01"
    _refused(app, _upload(editor, "offers.csv", _csv_bytes(rows)), "Feld valid_until: endet vor valid_from")
    rows[0]["valid_from"] = "2019-01-01"
    html = _upload(editor, "offers.csv", _csv_bytes(rows)).get_data(as_text=True)
    assert "Geändert (1)" in html and _snapshot(engine) == before
    assert editor.post(f"/content/{PENDING.search(html).group(1)}/confirm").status_code == 302
    offers = {r["key"]: r for r in _snapshot(engine)["offers"]}
    assert offers[rows[0]["key"]]["valid_until"] == "2020-01-01"
    assert [e.target for e in _imports(engine)] == ["offers.csv"]
    engine.dispose()
