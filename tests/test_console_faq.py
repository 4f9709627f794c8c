"""The console's FAQ area: four languages side by side, translation status, the import's rules, the audit log."""
from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from afa import FAQ_KEYS, LANGUAGES
from afa.audit import AuditEntry
from afa.content import export_tables, import_path
from afa.db import FaqAnswer, create_schema, make_engine
from afa.nlg import render
from afa.settings import Settings
from tests.console_client import STAFF, ConsoleClient, add_staff

KEY = "funding"


class _FormReader(HTMLParser):
    """The fields a browser would send from the page's own form (the one posting to the page): inputs and
    textareas, decoded."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self._textarea: str | None = None
        self._inside = False

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        a = dict(attrs)
        if tag == "form":
            self._inside = "action" not in a
        if not self._inside:
            return
        if tag == "input" and a.get("name") and a.get("type") not in ("submit", "checkbox"):
            self.values[a["name"]] = a.get("value") or ""
        if tag == "textarea":
            self._textarea = a["name"]
            self.values[a["name"]] = ""

    def handle_data(self, data):  # type: ignore[no-untyped-def]
        if self._textarea:
            self.values[self._textarea] += data

    def handle_endtag(self, tag):  # type: ignore[no-untyped-def]
        if tag == "textarea":
            self._textarea = None
        if tag == "form":
            self._inside = False


def form_of(client: ConsoleClient, url: str) -> dict[str, str]:
    reader = _FormReader()
    reader.feed(client.get(url).get_data(as_text=True))
    values = reader.values
    for name in list(values):  # textareas start with a newline Jinja/WTForms add for the browser
        if name.startswith("text_"):
            values[name] = values[name].removeprefix("\r\n").removeprefix("\n")
    values.pop("csrf_token", None)
    return values


def stored(engine, key: str = KEY) -> dict[str, FaqAnswer]:  # type: ignore[no-untyped-def]
    with Session(engine, future=True, expire_on_commit=False) as session:
        return {a.language: a for a in session.scalars(select(FaqAnswer).where(FaqAnswer.key == key))}


def audit_entries(engine, kind: str = "faq") -> list[AuditEntry]:  # type: ignore[no-untyped-def]
    with Session(engine, future=True) as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.kind == kind).order_by(AuditEntry.id)))


def save(client: ConsoleClient, key: str = KEY, **texts: str):  # type: ignore[no-untyped-def]
    """Open the edit page, change the given boxes (text_de=...), send the form as a browser would."""
    values = form_of(client, f"/faq/{key}")
    assert set(texts) <= {f"text_{lang}" for lang in LANGUAGES} and set(texts) <= set(values)
    return client.post(f"/faq/{key}", {**values, **texts})


def test_the_list_shows_every_topic_with_four_languages_and_their_status(as_role) -> None:  # type: ignore[no-untyped-def]
    page = as_role("viewer").get("/faq/").get_data(as_text=True)
    for key in FAQ_KEYS:
        assert f'href="/faq/{key}"' in page
    for name in ("Deutsch", "Türkisch", "Bulgarisch", "Rumänisch"):
        assert name in page
    assert page.count(">aktuell<") == 3 * len(FAQ_KEYS)
    assert "muss aktualisiert werden" not in page
    assert "Finanzierung" in page or "Förderung" in page  # topics have German titles


def test_a_german_edit_marks_the_other_languages_and_an_edit_or_a_check_clears_them(as_role, seeded_engine) -> None:  # type: ignore[no-untyped-def]
    editor = as_role("editor")
    old = stored(seeded_engine)
    response = save(editor, text_de="Das Programm wird vom Europäischen Sozialfonds und vom Bund gefördert.")
    assert response.status_code == 302
    now = stored(seeded_engine)
    assert now["de"].text == "Das Programm wird vom Europäischen Sozialfonds und vom Bund gefördert."
    assert {lang: now[lang].needs_update for lang in LANGUAGES} == {"de": False, "tr": True, "bg": True, "ro": True}
    assert {lang: now[lang].text for lang in ("tr", "bg", "ro")} == {lang: old[lang].text for lang in ("tr", "bg", "ro")}
    # the bot's next reply: German changed, Turkish still the last saved translation
    with Session(seeded_engine, future=True) as session:
        assert render(f"utter_faq/{KEY}", "de", {}, session)["text"] == now["de"].text
        assert render(f"utter_faq/{KEY}", "tr", {}, session)["text"] == old["tr"].text

    page = editor.get(f"/faq/{KEY}").get_data(as_text=True)
    assert page.count("muss aktualisiert werden") >= 3
    assert "zuletzt gespeicherten Übersetzung" in page  # the console says what the bot serves meanwhile
    listing = editor.get("/faq/").get_data(as_text=True)
    assert "3 Übersetzungen müssen aktualisiert werden" in listing

    # editing Turkish clears Turkish only
    assert save(editor, text_tr="Proje Avrupa Sosyal Fonu ve Federal Hükümet tarafından desteklenmektedir.").status_code == 302
    now = stored(seeded_engine)
    assert {lang: now[lang].needs_update for lang in LANGUAGES} == {"de": False, "tr": False, "bg": True, "ro": True}

    # "mark as checked" clears Bulgarian without touching its text
    assert editor.post(f"/faq/{KEY}/checked/bg").status_code == 302
    now = stored(seeded_engine)
    assert now["bg"].needs_update is False and now["bg"].text == old["bg"].text
    assert now["ro"].needs_update is True

    entries = audit_entries(seeded_engine)
    assert [(e.action, e.target, e.actor) for e in entries] == [
        ("changed", KEY, STAFF["editor"]), ("changed", KEY, STAFF["editor"]), ("checked", KEY, STAFF["editor"])]
    befores = [json.loads(e.before) for e in entries]
    afters = [json.loads(e.after) for e in entries]
    assert befores[0] == {"de": old["de"].text} and afters[0] == {"de": now["de"].text}  # only the changed language
    assert set(befores[1]) == set(afters[1]) == {"tr"}
    assert befores[2] == {"needs_update_bg": True} and afters[2] == {"needs_update_bg": False}


def test_german_and_a_translation_edited_together_leave_that_translation_up_to_date(as_role, seeded_engine) -> None:  # type: ignore[no-untyped-def]
    editor = as_role("editor")
    assert save(editor, text_de="Neuer deutscher Text.", text_ro="Text nou în română.").status_code == 302
    now = stored(seeded_engine)
    assert {lang: now[lang].needs_update for lang in LANGUAGES} == {"de": False, "tr": True, "bg": True, "ro": False}
    entry = audit_entries(seeded_engine)[-1]
    assert set(json.loads(entry.after)) == {"de", "ro"}


def test_a_placeholder_mismatch_is_refused_and_nothing_is_written(as_role, seeded_engine) -> None:  # type: ignore[no-untyped-def]
    editor = as_role("editor")
    before = {lang: (a.text, a.needs_update) for lang, a in stored(seeded_engine, "project_period").items()}
    assert "{period_start}" in before["de"][0]
    response = save(editor, "project_period", text_tr="Proje tarihleri: {period_start}.")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Nichts wurde gespeichert" in page or "nicht gespeichert" in page
    assert "answer_tr" in page or "Türkisch" in page
    assert "Proje tarihleri: {period_start}." in page  # the typed text is kept in the box
    after = {lang: (a.text, a.needs_update) for lang, a in stored(seeded_engine, "project_period").items()}
    assert after == before
    assert audit_entries(seeded_engine) == []
    unknown = save(editor, "project_period", text_de="Vom {anfang} bis {period_end}.", text_tr="{anfang} {period_end}",
                   text_bg="{anfang} {period_end}", text_ro="{anfang} {period_end}")
    assert unknown.status_code == 400 and "anfang" in unknown.get_data(as_text=True)
    assert stored(seeded_engine, "project_period")["de"].text == before["de"][0]


def test_a_script_in_an_answer_is_shown_escaped(as_role, seeded_engine) -> None:  # type: ignore[no-untyped-def]
    editor = as_role("editor")
    attack = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
    assert save(editor, text_de=attack).status_code == 302
    assert stored(seeded_engine)["de"].text == attack
    for url in ("/faq/", f"/faq/{KEY}"):
        for client in (editor, as_role("viewer")):
            page = client.get(url).get_data(as_text=True)
            assert "<script>alert" not in page and "<img src=x" not in page, url
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, url


def test_a_viewer_reads_but_cannot_save_and_unknown_topics_are_404(as_role, seeded_engine) -> None:  # type: ignore[no-untyped-def]
    viewer = as_role("viewer")
    page = viewer.get(f"/faq/{KEY}").get_data(as_text=True)
    assert "<textarea" not in page and stored(seeded_engine)["tr"].text.split()[0] in page
    assert viewer.post(f"/faq/{KEY}", {"text_de": "x"}).status_code == 403
    assert viewer.post(f"/faq/{KEY}/checked/tr").status_code == 403
    assert as_role("editor").get("/faq/nope").status_code == 404
    assert as_role("editor").post(f"/faq/{KEY}/checked/de").status_code == 404
    assert stored(seeded_engine)["de"].text != "x"


def test_a_save_over_a_newer_save_is_refused(as_role, seeded_engine) -> None:  # type: ignore[no-untyped-def]
    first, second = as_role("editor"), as_role("admin")
    stale = form_of(second, f"/faq/{KEY}")
    assert save(first, text_de="Erste Fassung.").status_code == 302
    response = second.post(f"/faq/{KEY}", {**stale, "text_de": "Zweite Fassung."})
    assert response.status_code == 409
    assert "inzwischen gespeichert" in response.get_data(as_text=True)
    assert stored(seeded_engine)["de"].text == "Erste Fassung."


def test_a_spreadsheet_changing_the_german_text_marks_the_others_too(seeded_engine, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with Session(seeded_engine, future=True) as session:
        rows = export_tables(session, ("faq",))
    for row in rows["faq"]:
        if row["key"] == KEY:
            row["answer_de"] = "Gefördert aus dem Europäischen Sozialfonds (Tabellen-Import)."
        if row["key"] == "goals":
            row["answer_de"] += " Neu."
            row["answer_bg"] += " Ново."
    sheet = tmp_path / "faq.yaml"
    sheet.write_text(yaml.safe_dump(rows, allow_unicode=True), encoding="utf-8")
    with Session(seeded_engine, future=True) as session, session.begin():
        changes, _warnings = import_path(session, sheet)
    assert changes.changed["faq"] == 2
    funding, goals = stored(seeded_engine), stored(seeded_engine, "goals")
    assert {lang: funding[lang].needs_update for lang in LANGUAGES} == {"de": False, "tr": True, "bg": True, "ro": True}
    assert {lang: goals[lang].needs_update for lang in LANGUAGES} == {"de": False, "tr": True, "bg": False, "ro": True}
    assert stored(seeded_engine, "contact")["tr"].needs_update is False
    # importing the same file again changes nothing, and keeps the status
    with Session(seeded_engine, future=True) as session, session.begin():
        again, _warnings = import_path(session, sheet)
    assert again.changed["faq"] == 0
    assert stored(seeded_engine)["tr"].needs_update is True


def test_faq_save_on_postgresql(postgres_url: str, monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from afa.console import create_app

    monkeypatch.setenv("DATABASE_URL", postgres_url)
    monkeypatch.setenv("AFA_CONSOLE_SECRET", "test-secret")
    engine = make_engine(postgres_url)
    try:
        create_schema(engine)
        with Session(engine, future=True) as session, session.begin():
            import_path(session, Settings().content_path)
        add_staff(engine)
        app = create_app(Settings(), engine)
        editor = ConsoleClient(app.test_client())
        assert editor.login(STAFF["editor"]).status_code == 302
        assert save(editor, text_de="Gefördert vom Europäischen Sozialfonds (PostgreSQL).").status_code == 302
        now = stored(engine)
        assert now["de"].text == "Gefördert vom Europäischen Sozialfonds (PostgreSQL)."
        assert [now[lang].needs_update for lang in ("tr", "bg", "ro")] == [True, True, True]
        assert editor.post(f"/faq/{KEY}/checked/ro").status_code == 302
        assert stored(engine)["ro"].needs_update is False
        refused = save(editor, text_bg="{contacts}")
        assert refused.status_code == 400 and stored(engine)["bg"].text != "{contacts}"
        assert [e.action for e in audit_entries(engine)] == ["changed", "checked"]
        with Session(engine, future=True) as session:
            assert render(f"utter_faq/{KEY}", "de", {}, session)["text"] == now["de"].text
    finally:
        engine.dispose()
