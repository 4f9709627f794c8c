"""Campaign entry points in the console: create (with the payload format Telegram allows), list with this month's
conversations, deactivate, downloads, roles, audit entries, and bad input with a clear German message."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from afa import DISTRICTS, LANGUAGES
from afa.audit import AuditEntry
from afa.db import create_schema, make_engine
from afa.reach import entry_points, payloads
from afa.reach.tables import EntryPoint, ReachCount

BOT = "AfaStadtteilTestBot"
TELEGRAM_PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@pytest.fixture(autouse=True)
def bot_username(monkeypatch: pytest.MonkeyPatch) -> None:
    """Set before the console app reads its settings (autouse fixtures come first)."""
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", BOT)


def _entries(engine) -> list[EntryPoint]:  # type: ignore[no-untyped-def]
    with Session(engine, future=True) as s:
        return list(s.scalars(select(EntryPoint).order_by(EntryPoint.id)))


def _audit(engine) -> list[AuditEntry]:  # type: ignore[no-untyped-def]
    with Session(engine, future=True) as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.kind == "entry_point").order_by(AuditEntry.id)))


def _create(client, name: str, district: str = "marxloh", language: str = "tr"):  # type: ignore[no-untyped-def]
    return client.post("/entry-points/new", {"name": name, "district": district, "language": language},
                       token_page="/entry-points/")


def _decode_png(data: bytes) -> list[str]:
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(data)).convert("L"))
    return [b.text for b in found if b.format == zxingcpp.BarcodeFormat.QRCode]


def test_payloads_stay_within_telegrams_rules() -> None:
    for district in DISTRICTS:
        for language in LANGUAGES:
            for entry_id in (1, 12, 999_999_999):
                payload = payloads.make(district, language, entry_id)
                assert TELEGRAM_PAYLOAD.match(payload) and len(payload) <= 64
                assert payloads.parse(payload) == payloads.DeepLink(payload, district, language, entry_id)
    assert payloads.make("marxloh", "tr", 12) == "marxloh_tr_c12"


def test_editor_creates_an_entry_point_and_everyone_sees_it_with_this_months_counts(seeded_engine, as_role) -> None:
    editor = as_role("editor")
    response = _create(editor, "  Moschee Marxloh,   Aushang  ")
    assert response.status_code == 302
    [entry] = _entries(seeded_engine)
    assert (entry.name, entry.district, entry.language, entry.active) == ("Moschee Marxloh, Aushang", "marxloh", "tr", True)
    assert entry.payload == f"marxloh_tr_c{entry.id}" and TELEGRAM_PAYLOAD.match(entry.payload)
    assert entry.created_by == "editor@example.org"
    [created] = _audit(seeded_engine)
    assert (created.action, created.actor, created.target) == ("created", "editor@example.org", entry.payload)
    assert "Moschee Marxloh, Aushang" in (created.after or "")
    page = editor.get("/entry-points/").get_data(as_text=True)
    assert "Einstiegspunkt „Moschee Marxloh, Aushang“ angelegt" in page  # the flash after the redirect

    # This month's conversations as the counters hold them (summed over channels and languages); last month's and
    # other payloads' rows are not this entry point's figures.
    first = entry_points.month_start()
    last_month = entry_points.month_start() - timedelta(days=1)
    rows = [(first, "telegram", "tr", "conversation_started", entry.payload, 3),
            (first, "rest", "de", "conversation_started", entry.payload, 2),
            (first, "telegram", "tr", "conversation_returning", entry.payload, 4),
            (first, "telegram", "tr", "message", entry.payload, 40),
            (last_month, "telegram", "tr", "conversation_started", entry.payload, 100),
            (first, "telegram", "tr", "conversation_started", "hochfeld_tr", 7),
            (first, "telegram", "tr", "conversation_started", "marxloh_tr", 11)]
    with Session(seeded_engine, future=True) as s, s.begin():
        for day, channel, language, metric, payload, count in rows:
            s.add(ReachCount(day=day, channel=channel, language=language, district="marxloh", target_group="",
                             entry_point=payload, metric=metric, topic="", count=count))
    with Session(seeded_engine, future=True) as s:
        [listed] = entry_points.listing(s)
        assert (listed.started, listed.returning, listed.conversations) == (5, 4, 9)
        assert entry_points.get(s, entry.payload.upper()).id == entry.id

    for role in ("viewer", "editor", "admin"):
        html = as_role(role).get("/entry-points/").get_data(as_text=True)
        row = re.search(rf'<tr id="entry-{entry.payload}">(.*?)</tr>', html, re.S)
        assert row, role
        cells = re.sub(r"\s+", " ", row.group(1))
        assert "Moschee Marxloh, Aushang" in cells and "Marxloh" in cells and "Türkisch" in cells
        assert f"https://t.me/{BOT}?start={entry.payload}" in cells
        assert 'data-label="Begonnen in diesem Monat" class="num">5<' in cells
        assert 'data-label="Wiederkehrend in diesem Monat" class="num">4<' in cells
        for download in ("qr.png", "qr.svg", "flyer-a4.pdf", "flyer-a6.pdf"):
            assert f"/entry-points/{entry.payload}/{download}" in cells
        assert ("Einstiegspunkt anlegen" in html) == (role != "viewer")
        # The plain payloads keep working and have their own counts.
        plain = re.sub(r"\s+", " ", html.split("Links ohne Einstiegspunkt", 1)[1])
        assert re.search(r"<code>hochfeld_tr</code>.*?class=\"num\">7<", plain)
        assert re.search(r"<code>marxloh_tr</code>.*?class=\"num\">11<", plain)


def test_downloads_are_the_entry_points_qr_codes_and_flyers(seeded_engine, as_role) -> None:
    assert _create(as_role("editor"), "Jugendzentrum Hochfeld", "hochfeld", "ro").status_code == 302
    [entry] = _entries(seeded_engine)
    viewer = as_role("viewer")  # reading and downloading needs no write role
    png = viewer.get(f"/entry-points/{entry.payload}/qr.png")
    assert png.status_code == 200 and png.mimetype == "image/png"
    assert f'filename="qr-{entry.payload}.png"' in png.headers["Content-Disposition"]
    assert _decode_png(png.data) == [f"https://t.me/{BOT}?start={entry.payload}"]
    svg = viewer.get(f"/entry-points/{entry.payload}/qr.svg")
    assert svg.mimetype == "image/svg+xml" and b"<svg" in svg.data
    for size in ("a4", "a6"):
        pdf = viewer.get(f"/entry-points/{entry.payload}/flyer-{size}.pdf")
        assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
        assert f'filename="flyer-{entry.payload}-{size}.pdf"' in pdf.headers["Content-Disposition"]
    plain = viewer.get("/entry-points/hochfeld_tr/qr.png")
    assert _decode_png(plain.data) == [f"https://t.me/{BOT}?start=hochfeld_tr"]

    for url, message in (("/entry-points/marxloh_tr_c999/flyer-a4.pdf",
                          "Es gibt keinen Einstiegspunkt mit dem Payload marxloh_tr_c999."),
                         ("/entry-points/nonsense!/qr.png", "ist kein Deep-Link-Payload des Bots"),
                         ("/entry-points/berlin/flyer-a6.pdf", "&#39;berlin&#39; ist kein Deep-Link-Payload des Bots")):
        response = viewer.get(url)
        assert response.status_code == 404, url
        assert message in response.get_data(as_text=True), url
    assert viewer.get(f"/entry-points/{entry.payload}/flyer.docx").status_code == 404


def test_without_a_bot_username_the_page_says_why_and_no_flyer_is_made(seeded_engine, monkeypatch, as_role) -> None:
    monkeypatch.delenv("TELEGRAM_BOT_USERNAME")
    from afa.console import create_app
    from afa.settings import Settings
    from tests.console_client import STAFF, ConsoleClient

    app = create_app(Settings(), seeded_engine)
    client = ConsoleClient(app.test_client())
    assert client.login(STAFF["editor"]).status_code == 302
    html = client.get("/entry-points/").get_data(as_text=True)
    assert "Es ist kein Bot-Benutzername eingerichtet (TELEGRAM_BOT_USERNAME)" in html
    assert "/qr.png" not in html
    response = client.get("/entry-points/marxloh_tr/flyer-a4.pdf")
    assert response.status_code == 409
    assert "daher hat der Flyer keinen Link zum Drucken" in response.get_data(as_text=True)


@pytest.mark.parametrize("name, district, language, message", [
    ("Moschee 🕌 Marxloh", "marxloh", "tr", "Der Name enthält Emoji, Symbole oder Steuerzeichen (U+1F54C)"),
    ("Aushang 👍🏽", "marxloh", "tr", "(U+1F44D, U+1F3FD)"),
    ("A" * 200, "marxloh", "tr", "Der Name hat 200 Zeichen; erlaubt sind höchstens 120."),
    ("   ", "marxloh", "tr", "Bitte geben Sie dem Einstiegspunkt einen Namen."),
    ("Tab\tim Namen", "marxloh", "tr", "Steuerzeichen (U+0009)"),
    ("Bibliothek", "duisburg-nord", "tr", "unbekannter Stadtteil &#39;duisburg-nord&#39; (bekannt: marxloh, hochfeld)"),
    ("Bibliothek", "marxloh", "fr", "unbekannte Sprache &#39;fr&#39; (bekannt: de, tr, bg, ro)"),
])
def test_bad_input_gets_a_german_message_and_saves_nothing(seeded_engine, as_role, name, district, language,
                                                           message) -> None:
    response = _create(as_role("editor"), name, district, language)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Es wurde nichts gespeichert. Bitte korrigieren Sie:" in html
    assert message in html
    assert _entries(seeded_engine) == [] and _audit(seeded_engine) == []
    assert as_role("editor").get("/entry-points/").status_code == 200  # nothing broke


def test_a_name_of_exactly_120_characters_with_every_script_is_fine(seeded_engine, as_role) -> None:
    name = ("Café „Ümit“ – ş ğ ı ș ț Кафе " * 5)[:120]
    assert _create(as_role("editor"), name, "hochfeld", "bg").status_code == 302
    assert [e.name for e in _entries(seeded_engine)] == [name.strip()]


def test_viewer_may_not_create_or_deactivate(seeded_engine, as_role) -> None:
    assert _create(as_role("editor"), "Stadtteilbüro").status_code == 302
    [entry] = _entries(seeded_engine)
    viewer = as_role("viewer")
    assert _create(viewer, "Noch einer").status_code == 403
    assert viewer.post(f"/entry-points/{entry.payload}/deactivate", token_page="/entry-points/").status_code == 403
    assert len(_entries(seeded_engine)) == 1 and _entries(seeded_engine)[0].active


def test_deactivate_and_reactivate_with_audit_entries(seeded_engine, as_role) -> None:
    editor = as_role("editor")
    assert _create(editor, "Elterncafé Grundschule").status_code == 302
    [entry] = _entries(seeded_engine)
    response = editor.post(f"/entry-points/{entry.payload}/deactivate", {"active": "false"}, token_page="/entry-points/")
    assert response.status_code == 302
    assert not _entries(seeded_engine)[0].active
    html = editor.get("/entry-points/").get_data(as_text=True)
    assert f"Der Einstiegspunkt {entry.payload} ist deaktiviert" in html
    row = re.search(rf'<tr id="entry-{entry.payload}">(.*?)</tr>', html, re.S).group(1)
    assert "inaktiv" in row and "/qr.png" not in row and "Wieder aktivieren" in row
    editor.post(f"/entry-points/{entry.payload}/deactivate", {"active": "true"}, token_page="/entry-points/")
    assert _entries(seeded_engine)[0].active
    changes = [(a.action, a.before, a.after) for a in _audit(seeded_engine)]
    assert changes[1:] == [("changed", '{"active": "true"}', '{"active": "false"}'),
                           ("changed", '{"active": "false"}', '{"active": "true"}')]
    assert editor.post("/entry-points/marxloh_tr_c999/deactivate", token_page="/entry-points/").status_code == 404


@pytest.mark.postgres
def test_payloads_are_unique_on_postgresql(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    try:
        create_schema(engine)
        with Session(engine, future=True) as s, s.begin():
            made = [entry_points.create(s, f"Aushang {i}", "hochfeld", "bg", "cli").payload for i in range(3)]
        assert len(set(made)) == 3 and all(TELEGRAM_PAYLOAD.match(p) for p in made)
        with Session(engine, future=True) as s:
            assert s.scalar(select(func.count()).select_from(EntryPoint)) == 3
            assert [listed.entry.payload for listed in entry_points.listing(s)] == made[::-1]
    finally:
        engine.dispose()
