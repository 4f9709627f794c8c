"""The console's offers: list, search and filters, create, edit, copy, deactivate, the card preview, escaping,
roles; the content rules of `afa content import`; SQLite and PostgreSQL."""
from __future__ import annotations

import json
import re
from typing import Any

from markupsafe import escape
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from afa import LANGUAGES
from afa.audit import AuditEntry
from afa.content.store import offer_row, save_offer
from afa.content.tables import Row, Tables
from afa.content.validation import validate_tables
from afa.db import Offer
from afa.offers import render_offer, search
from tests.console_client import STAFF

ROW_KEY = re.compile(r"<td data-label=\"Schlüssel\"><code>([^<]+)</code></td>")
SCRIPT = "<script>alert(1)</script>"
ONERROR = '"><img src=x onerror=alert(1)>'
MARKER = {"de": "Beispielangebot", "tr": "örnek imkân", "bg": "Примерно предложение", "ro": "Ofertă exemplu"}


def _row(key: str, **overrides: str) -> dict[str, str]:
    """A spreadsheet row of an offer (strings, as an import reads them)."""
    row = {
        "key": key, "example": "false", "active": "true", "provider": f"Träger {key}", "address": "Weg 1, 47053 Duisburg",
        "districts": "hochfeld", "target_groups": "youth", "languages": "de, ro", "contact_phone": "",
        "contact_email": "kurs@example.org", "schedule": "mon-thu 09:00-12:00", "cost": "0", "valid_from": "",
        "valid_until": "",
    }
    for field in ("title", "summary", "details"):
        for lang in LANGUAGES:
            row[f"{field}_{lang}"] = f"{field} {key} {lang}"
    row.update(overrides)
    return row


def _store(engine, *rows: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    validated = validate_tables(Tables(rows={"offers": [Row("test", i + 2, r) for i, r in enumerate(rows)]}))
    assert validated.errors == []
    with Session(engine, future=True) as session, session.begin():
        for record in validated.records["offers"]:
            save_offer(session, record)


def _form(key: str, **overrides: Any) -> dict[str, Any]:
    """What a browser sends for the offer form (checkboxes: a list of the checked values, "y" for a tick)."""
    row = _row(key)
    data: dict[str, Any] = {name: value for name, value in row.items() if name not in ("example", "active")}
    data.update(districts=["hochfeld"], target_groups=["youth"], languages=["de", "ro"], active="y")
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _keys(html: str) -> set[str]:
    return set(ROW_KEY.findall(html))


def _marked(html: str) -> set[str]:
    """The fields the page marks as wrong (a text field's label, a checkbox group's list)."""
    fields = re.findall(r'<div class="field\s+has-error">\s*<label for="([a-z_]+)"', html)
    groups = re.findall(r'<fieldset class="checks has-error"[^>]*>\s*<legend>[^<]*</legend>\s*<ul id="([a-z_]+)"', html)
    return set(fields) | set(groups)


def _count(engine, what=Offer) -> int:  # type: ignore[no-untyped-def]
    with Session(engine, future=True) as session:
        return session.scalar(select(func.count()).select_from(what)) or 0


def _audit(engine, target: str) -> list[AuditEntry]:  # type: ignore[no-untyped-def]
    with Session(engine, future=True) as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.kind == "offer", AuditEntry.target == target)
                                    .order_by(AuditEntry.id)))


# --- the list -------------------------------------------------------------------------------------------------
def test_list_shows_the_offers_with_badges_and_write_buttons_only_for_editors(as_role, seeded_engine) -> None:  # type: ignore[no-untyped-def]
    engine = seeded_engine
    _store(engine, _row("kurs-inaktiv", active="false"), _row("kurs-vorbei", valid_until="2020-01-31"))
    viewer = as_role("viewer").get("/offers/")
    html = viewer.get_data(as_text=True)
    assert viewer.status_code == 200
    assert "Jobcafé Marxloh" in html and "jobcafe-marxloh" in html and "Stadtteilladen Beispielplatz" in html
    assert "26 Angebote" in html
    row = html[html.index("<code>kurs-inaktiv</code>"):]
    row = row[:row.index("</tr>")]
    assert "title kurs-inaktiv de" in row and "Hochfeld" in row and "Junge Menschen" in row
    assert "Deutsch, Rumänisch" in row and "inaktiv" in row and "Beispiel" not in row
    jobcafe = html[html.index("<code>jobcafe-marxloh</code>"):]
    assert "badge warn\">Beispiel<" in jobcafe[:jobcafe.index("</tr>")]
    ended = html[html.index("<code>kurs-vorbei</code>"):]
    assert "abgelaufen" in ended[:ended.index("</tr>")]
    assert "Neues Angebot" not in html and "/offers/new" not in html
    assert "/offers/new" in as_role("editor").get("/offers/").get_data(as_text=True)


def test_each_filter(as_role, seeded_engine) -> None:  # type: ignore[no-untyped-def]
    engine = seeded_engine
    _store(engine,
           _row("real-hochfeld-ro", languages="ro"),
           _row("real-inactive", active="false", districts="marxloh", target_groups="women", languages="tr"),
           _row("real-ended", valid_until="2020-01-31", target_groups="school_transition", languages="bg"),
           _row("real-future", valid_until="2999-12-31", districts="marxloh, hochfeld", target_groups="migrants"))
    client = as_role("viewer")

    def keys(**params: str) -> set[str]:
        response = client.get("/offers/", query_string=params)
        assert response.status_code == 200
        return _keys(response.get_data(as_text=True))

    ours = {"real-hochfeld-ro", "real-inactive", "real-ended", "real-future"}
    assert keys(example="no") == ours
    assert {"jobcafe-marxloh", "computerkurs-marxloh"} <= keys(example="yes") and not keys(example="yes") & ours
    assert keys(active="no") == {"real-inactive"}
    assert "real-inactive" not in keys(active="yes") and "real-ended" in keys(active="yes")
    assert keys(ended="yes", example="no") == {"real-ended"}
    assert "real-ended" in keys(ended="yes") and "real-future" in keys(ended="no")
    assert keys(ended="no", example="no") == {"real-hochfeld-ro", "real-inactive", "real-future"}
    assert keys(example="no", district="marxloh") == {"real-inactive", "real-future"}
    assert keys(example="no", district="hochfeld") == {"real-hochfeld-ro", "real-ended", "real-future"}
    assert keys(example="no", group="school_transition") == {"real-ended"}
    assert keys(example="no", group="women") == {"real-inactive"}
    assert keys(example="no", language="ro") == {"real-hochfeld-ro", "real-future"}
    assert keys(example="no", language="tr") == {"real-inactive"}
    assert keys(example="no", language="bg") == {"real-ended"}
    # Filters combine; a value that is not a filter option is ignored, not an error.
    assert keys(district="hochfeld", group="migrants", language="de", active="yes", ended="no") >= {"real-future"}
    assert keys(district="berlin", example="no") == ours


def test_search_title_in_any_language_provider_and_key(as_role, seeded_engine) -> None:  # type: ignore[no-untyped-def]
    engine = seeded_engine
    _store(engine,
           _row("kurs-prozent", title_de="Rabatt 100% für alle", provider="Träger A_B"),
           _row("kurs-kyrillisch", title_bg="Курс по български език"),
           _row("kurs-andere", title_de="Rabatt 1000 für alle", provider="Träger AxB"))
    client = as_role("viewer")

    def found(q: str) -> set[str]:
        response = client.get("/offers/", query_string={"q": q})
        assert response.status_code == 200
        return _keys(response.get_data(as_text=True))

    assert found("Jobcafé Marxloh") == {"jobcafe-marxloh"}
    assert found("Marxloh İş Kafesi") == {"jobcafe-marxloh"}  # Turkish title
    assert found("Курс по български") == {"kurs-kyrillisch"}  # Bulgarian title
    assert found("stadtteilladen beispielplatz") >= {"jobcafe-marxloh"}  # provider, any case
    assert found("PROZENT") == {"kurs-prozent"}  # key
    # LIKE wildcards are text: "%" and "_" match only themselves.
    assert found("100%") == {"kurs-prozent"}
    assert found("%") == {"kurs-prozent"}
    assert found("A_B") == {"kurs-prozent"}
    assert found("_") == {"kurs-prozent"}
    # SQL-looking input is just text: nothing found, nothing broken.
    before = _count(engine)
    assert found("'; DROP TABLE offers; --") == set()
    assert found("' OR '1'='1") == set()
    assert found('" OR 1=1 --') == set()
    assert _count(engine) == before and found("Jobcafé Marxloh") == {"jobcafe-marxloh"}


def test_paging(as_role, seeded_engine) -> None:  # type: ignore[no-untyped-def]
    engine = seeded_engine
    _store(engine, *[_row(f"p-{i:03d}") for i in range(60)])  # 24 seeded + 60 = 84: two pages of 50
    client = as_role("viewer")
    first = client.get("/offers/").get_data(as_text=True)
    second = client.get("/offers/", query_string={"page": 2}).get_data(as_text=True)
    assert len(_keys(first)) == 50 and len(_keys(second)) == 34 and not _keys(first) & _keys(second)
    assert "Seite 1 von 2" in first and "page=2" in first and "Seite 2 von 2" in second
    narrowed = client.get("/offers/", query_string={"q": "p-0", "page": 2}).get_data(as_text=True)
    assert len(_keys(narrowed)) == 10 and "q=p-0" in narrowed  # the filters stay on the page links
    assert _keys(client.get("/offers/", query_string={"page": 9}).get_data(as_text=True)) == set()


# --- create, edit, copy, deactivate ----------------------------------------------------------------------------
def test_create_then_the_bot_finds_it(as_role, seeded_engine) -> None:  # type: ignore[no-untyped-def]
    engine = seeded_engine
    editor = as_role("editor")
    assert editor.get("/offers/new").status_code == 200
    response = editor.post("/offers/new", _form("neu-hochfeld", title_ro="Curs nou în Hochfeld", save="1"))
    assert response.status_code == 302 and response.headers["Location"].endswith("/offers/neu-hochfeld")
    page = editor.get("/offers/neu-hochfeld").get_data(as_text=True)
    assert "Gespeichert" in page and "Curs nou în Hochfeld" in page
    with Session(engine, future=True) as session:
        assert "neu-hochfeld" in search(session, "youth", "hochfeld", "ro").keys
        card = render_offer(session, "neu-hochfeld", "ro")
    assert card.startswith("Curs nou în Hochfeld\nsummary neu-hochfeld ro\n📍") and MARKER["ro"] not in card
    (entry,) = _audit(engine, "neu-hochfeld")
    assert (entry.action, entry.actor, entry.before) == ("created", STAFF["editor"], None)
    after = json.loads(entry.after)
    assert after["title_ro"] == "Curs nou în Hochfeld" and after["districts"] == "hochfeld" and after["active"] == "true"
    # The same key again is refused: a new offer never replaces another.
    again = editor.post("/offers/new", _form("neu-hochfeld", title_de="Anders", save="1"))
    assert again.status_code == 422 and "gibt es schon" in again.get_data(as_text=True)
    with Session(engine, future=True) as session:
        assert offer_row(session, "neu-hochfeld")["title_de"] == "title neu-hochfeld de"


def test_edit_writes_one_audit_entry_with_the_changed_fields(as_role, seeded_engine) -> None:  # type: ignore[no-untyped-def]
    engine = seeded_engine
    editor = as_role("editor")
    page = editor.get("/offers/jobcafe-marxloh").get_data(as_text=True)
    assert 'value="Jobcafé Marxloh"' in page and "Speichern" in page and "Vorschau" in page
    with Session(engine, future=True) as session:
        row = offer_row(session, "jobcafe-marxloh")
    form = {name: value for name, value in row.items() if name not in ("example", "active", *("districts", "target_groups", "languages"))}
    form.update(districts=row["districts"].split(", "), target_groups=row["target_groups"].split(", "),
                languages=row["languages"].split(", "), example="y", active="y")
    form.update(title_de="Jobcafé Marxloh – neu", cost="2,50", key="ignored-on-edit", save="1")
    response = editor.post("/offers/jobcafe-marxloh", form)
    assert response.status_code == 302
    with Session(engine, future=True) as session:
        assert session.scalar(select(Offer).where(Offer.key == "ignored-on-edit")) is None
        card = render_offer(session, "jobcafe-marxloh", "de")  # what the bot's next reply shows
    assert card.startswith("Jobcafé Marxloh – neu\n⚠️ ") and "2,50\xa0€" in card
    (entry,) = _audit(engine, "jobcafe-marxloh")
    assert entry.action == "changed" and entry.actor == STAFF["editor"]
    assert json.loads(entry.before) == {"title_de": "Jobcafé Marxloh", "cost": "0"}
    assert json.loads(entry.after) == {"title_de": "Jobcafé Marxloh – neu", "cost": "2.5"}
    # Saving the unchanged form writes nothing and logs nothing.
    form.update(title_de="Jobcafé Marxloh – neu", cost="2.5")
    assert editor.post("/offers/jobcafe-marxloh", form).status_code == 302
    assert len(_audit(engine, "jobcafe-marxloh")) == 1
    assert editor.get("/offers/no-such-offer").status_code == 404


def test_copy_prefills_a_new_key_and_saves_nothing_until_save(as_role, seeded_engine) -> None:  # type: ignore[no-untyped-def]
    engine = seeded_engine
    editor = as_role("editor")
    before = _count(engine)
    page = editor.get("/offers/jobcafe-marxloh/copy").get_data(as_text=True)
    assert 'value="jobcafe-marxloh-kopie"' in page and 'value="Jobcafé Marxloh"' in page
    assert 'action="/offers/new"' in page and _count(engine) == before
    with Session(engine, future=True) as session:
        row = offer_row(session, "jobcafe-marxloh")
    form = {k: v for k, v in row.items() if k not in ("example", "active", "districts", "target_groups", "languages")}
    form.update(key="jobcafe-marxloh-kopie", districts=["hochfeld"], target_groups=row["target_groups"].split(", "),
                languages=["de"], example="y", active="y", title_de="Jobcafé Hochfeld", save="1")
    assert editor.post("/offers/new", form).status_code == 302
    with Session(engine, future=True) as session:
        copy, original = offer_row(session, "jobcafe-marxloh-kopie"), offer_row(session, "jobcafe-marxloh")
    assert copy["title_de"] == "Jobcafé Hochfeld" and copy["districts"] == "hochfeld"
    assert copy["summary_bg"] == original["summary_bg"] and original["title_de"] == "Jobcafé Marxloh"
    assert 'value="jobcafe-marxloh-kopie-2"' in editor.get("/offers/jobcafe-marxloh/copy").get_data(as_text=True)
    assert _count(engine) == before + 1


def test_deactivate_and_reactivate(as_role, seeded_engine) -> None:  # type: ignore[no-untyped-def]
    engine = seeded_engine
    editor = as_role("editor")
    _store(engine, _row("an-aus"))
    assert editor.post("/offers/an-aus/deactivate").status_code == 302
    with Session(engine, future=True) as session:
        assert "an-aus" not in search(session, "youth", "hochfeld", "de").keys
    page = editor.get("/offers/an-aus").get_data(as_text=True)
    assert "deaktiviert" in page and "Wieder aktivieren" in page and "badge muted\">inaktiv" in page
    assert editor.post("/offers/an-aus/deactivate", {"active": "true"}).status_code == 302
    with Session(engine, future=True) as session:
        assert "an-aus" in search(session, "youth", "hochfeld", "de").keys
    entries = [(json.loads(e.before), json.loads(e.after)) for e in _audit(engine, "an-aus")]
    assert entries == [({"active": "true"}, {"active": "false"}), ({"active": "false"}, {"active": "true"})]
    assert editor.post("/offers/none-such/deactivate").status_code == 404


# --- preview, rules, escaping, roles ---------------------------------------------------------------------------
def test_preview_shows_the_bots_card_in_four_languages_and_writes_nothing(as_role, seeded_engine) -> None:  # type: ignore[no-untyped-def]
    engine = seeded_engine
    editor = as_role("editor")
    offers, audits = _count(engine), _count(engine, AuditEntry)
    form = _form("vorschau", example="y", cost="12,50", schedule="mon,wed 09:00-12:00; sat 10:00-11:30",
                 contact_phone="0203 123456", title_tr="Önizleme kursu")
    response = editor.post("/offers/new", {**form, "preview": "1"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Noch nicht gespeichert" in html
    assert (_count(engine), _count(engine, AuditEntry)) == (offers, audits)
    for language in LANGUAGES:
        assert MARKER[language] in html
    # Saved, the bot renders exactly what the preview showed, in each language.
    assert editor.post("/offers/new", {**form, "save": "1"}).status_code == 302
    with Session(engine, future=True) as session:
        cards = [render_offer(session, "vorschau", language) for language in LANGUAGES]
    previews = re.findall(r'<pre class="preview">(.*?)</pre>', html, re.S)
    assert previews == [str(escape(card)) for card in cards]
    assert "12,50\xa0€" in cards[0] and "Önizleme kursu" in cards[1] and "0203 123456" in cards[2]


def test_end_before_start_and_a_missing_translation_are_refused_and_nothing_is_written(as_role, seeded_engine) -> None:  # type: ignore[no-untyped-def]
    engine = seeded_engine
    editor = as_role("editor")
    offers, audits = _count(engine), _count(engine, AuditEntry)
    for action in ("save", "preview"):
        response = editor.post("/offers/new", _form("falsch", valid_from="2026-05-01", valid_until="2026-04-01",
                                                    **{action: "1"}))
        html = response.get_data(as_text=True)
        assert response.status_code == 422 and "Es wurde nichts gespeichert" in html and 'class="preview"' not in html
        assert _marked(html) == {"valid_until"}
    missing = editor.post("/offers/new", _form("falsch", title_bg="", save="1"))
    assert missing.status_code == 422 and _marked(missing.get_data(as_text=True)) == {"title_bg"}
    nobody = editor.post("/offers/new", _form("falsch", contact_email="", save="1"))
    assert nobody.status_code == 422 and _marked(nobody.get_data(as_text=True)) == {"contact_email"}
    nowhere = editor.post("/offers/new", _form("falsch", districts=[], cost="gratis", save="1"))
    assert nowhere.status_code == 422 and _marked(nowhere.get_data(as_text=True)) == {"districts", "cost"}
    edit = editor.post("/offers/jobcafe-marxloh", _form("jobcafe-marxloh", valid_from="2026-05-01",
                                                        valid_until="2026-04-01", save="1"))
    assert edit.status_code == 422
    assert (_count(engine), _count(engine, AuditEntry)) == (offers, audits)
    with Session(engine, future=True) as session:
        assert offer_row(session, "falsch") is None
        assert offer_row(session, "jobcafe-marxloh")["title_de"] == "Jobcafé Marxloh"


def test_script_and_markup_in_an_offer_are_shown_escaped(as_role) -> None:  # type: ignore[no-untyped-def]
    editor = as_role("editor")
    nasty = _form("boese", title_de=SCRIPT, provider=ONERROR, summary_tr=ONERROR, details_ro=SCRIPT, address=ONERROR)
    preview = editor.post("/offers/new", {**nasty, "preview": "1"}).get_data(as_text=True)
    assert editor.post("/offers/new", {**nasty, "save": "1"}).status_code == 302
    pages = {
        "list": editor.get("/offers/", query_string={"q": "boese"}).get_data(as_text=True),
        "form": editor.get("/offers/boese").get_data(as_text=True),
        "copy": editor.get("/offers/boese/copy").get_data(as_text=True),
        "preview": preview,
    }
    for name, html in pages.items():
        assert "<script>" not in html and "<img" not in html and "onerror=alert(1)>" not in html, name
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, name
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in pages["list"]
    assert pages["preview"].count("&#34;&gt;&lt;img src=x onerror=alert(1)&gt;") >= 4  # the address, every card


def test_a_viewer_reads_but_cannot_write(as_role, seeded_engine) -> None:  # type: ignore[no-untyped-def]
    engine = seeded_engine
    viewer = as_role("viewer")
    page = viewer.get("/offers/jobcafe-marxloh")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'value="Jobcafé Marxloh"' in html and "disabled" in html
    assert 'name="save"' not in html and 'name="preview"' not in html and "/deactivate" not in html and "/copy" not in html
    assert viewer.get("/offers/new").status_code == 403
    assert viewer.get("/offers/jobcafe-marxloh/copy").status_code == 403
    offers, audits = _count(engine), _count(engine, AuditEntry)
    assert viewer.post("/offers/new", _form("vom-viewer", save="1")).status_code == 403
    assert viewer.post("/offers/new", _form("vom-viewer", preview="1")).status_code == 403
    assert viewer.post("/offers/jobcafe-marxloh", _form("jobcafe-marxloh", title_de="X", save="1")).status_code == 403
    assert viewer.post("/offers/jobcafe-marxloh/deactivate").status_code == 403
    assert (_count(engine), _count(engine, AuditEntry)) == (offers, audits)
    with Session(engine, future=True) as session:
        assert session.scalar(select(Offer.active).where(Offer.key == "jobcafe-marxloh")) is True


def test_create_and_search_on_postgresql(postgres_url: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from afa.console import create_app
    from afa.db import make_engine, migrate
    from afa.settings import Settings
    from tests.conftest import seed
    from tests.console_client import ConsoleClient, add_staff

    monkeypatch.setenv("DATABASE_URL", postgres_url)
    monkeypatch.setenv("AFA_CONSOLE_SECRET", "test-secret")
    engine = make_engine(postgres_url)
    try:
        migrate(engine)
        seed(engine)
        add_staff(engine)
        client = ConsoleClient(create_app(Settings(), engine).test_client())
        assert client.login(STAFF["editor"]).status_code == 302
        form = _form("pg-kurs", title_bg="Курс в Хохфелд", title_de="Kurs mit 50% Rabatt")
        assert client.post("/offers/new", {**form, "save": "1"}).status_code == 302
        with Session(engine, future=True) as session:
            assert "pg-kurs" in search(session, "youth", "hochfeld", "bg").keys
            assert render_offer(session, "pg-kurs", "bg").startswith("Курс в Хохфелд\n")

        def found(**params: str) -> set[str]:
            response = client.get("/offers/", query_string=params)
            assert response.status_code == 200
            return _keys(response.get_data(as_text=True))

        assert found(q="курс в хохфелд") == {"pg-kurs"}  # PostgreSQL folds Cyrillic case too
        assert found(q="50%") == {"pg-kurs"} and found(q="%") == {"pg-kurs"}
        assert found(q="'; DROP TABLE offers; --") == set()
        assert found(example="no", district="hochfeld", language="ro", active="yes", ended="no") == {"pg-kurs"}
        assert len(_audit(engine, "pg-kurs")) == 1
    finally:
        engine.dispose()


# --- topics -----------------------------------------------------------------------------------------------------
def test_topics_are_edited_like_any_other_field_and_the_bot_finds_the_offer_by_topic(as_role, seeded_engine) -> None:  # type: ignore[no-untyped-def]
    engine = seeded_engine
    editor = as_role("editor")
    page = editor.get("/offers/new").get_data(as_text=True)
    assert "Themen" in page and "Deutsch- und andere Sprachkurse" in page and "Anerkennung ausländischer Abschlüsse" in page
    response = editor.post("/offers/new", _form("sprachcafe-hochfeld", topics=["german", "jobs"], save="1"))
    assert response.status_code == 302
    edit = editor.get("/offers/sprachcafe-hochfeld").get_data(as_text=True)
    checked = set(re.findall(r'<input checked id="topics-\d" name="topics" type="checkbox" value="([a-z]+)"', edit))
    assert checked == {"german", "jobs"}, edit[edit.index('id="topics"'):][:900]
    with Session(engine, future=True) as session:
        assert "sprachcafe-hochfeld" in search(session, None, "hochfeld", "de", topic="german").keys
        assert "sprachcafe-hochfeld" not in search(session, None, "hochfeld", "de", topic="computer").keys
    (created,) = _audit(engine, "sprachcafe-hochfeld")
    assert json.loads(created.after)["topics"] == "german, jobs"
    # One topic less: one audit entry naming the field, and the bot no longer finds it for that topic.
    assert editor.post("/offers/sprachcafe-hochfeld", _form("sprachcafe-hochfeld", topics=["german"], save="1")).status_code == 302
    changed = _audit(engine, "sprachcafe-hochfeld")[-1]
    assert (changed.action, json.loads(changed.before), json.loads(changed.after)) == (
        "changed", {"topics": "german, jobs"}, {"topics": "german"})
    with Session(engine, future=True) as session:
        assert "sprachcafe-hochfeld" not in search(session, None, "hochfeld", "de", topic="jobs").keys


def test_an_unknown_topic_is_refused_in_german_by_the_import_rules(as_role, seeded_engine) -> None:  # type: ignore[no-untyped-def]
    engine = seeded_engine
    offers = _count(engine)
    response = as_role("editor").post("/offers/new", _form("kochkurs", topics=["german", "kochen"], save="1"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and _marked(html) == {"topics"}
    assert "unbekanntes Thema &#39;kochen&#39;" in html and "Es wurde nichts gespeichert" in html
    assert _count(engine) == offers


def test_the_list_shows_topics_and_filters_by_topic(as_role, seeded_engine) -> None:  # type: ignore[no-untyped-def]
    engine = seeded_engine
    _store(engine, _row("anerkennung-real", topics="recognition"), _row("ohne-thema"))
    client = as_role("viewer")

    def keys(**params: str) -> set[str]:
        response = client.get("/offers/", query_string=params)
        assert response.status_code == 200
        return _keys(response.get_data(as_text=True))

    assert keys(topic="recognition") == {"anerkennung-real", "anerkennungsberatung-marxloh", "anerkennung-pflege-handwerk"}
    assert keys(topic="recognition", example="no") == {"anerkennung-real"}
    assert keys(topic="computer") == {"computerkurs-marxloh", "computerkurs-hochfeld"}
    assert "ohne-thema" in keys(topic="cooking")  # not a filter option: ignored
    html = client.get("/offers/", query_string={"topic": "recognition"}).get_data(as_text=True)
    row = html[html.index("<code>anerkennung-pflege-handwerk</code>"):]
    assert '<td data-label="Themen">Anerkennung, Ausbildung</td>' in row[:row.index("</tr>")]
    assert '<option value="recognition" selected>Anerkennung</option>' in html
