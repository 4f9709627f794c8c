"""Admins' pages: accounts with roles and one-time links, the audit log with filters, deletion requests."""
from __future__ import annotations

import re

from sqlalchemy import select, text

from afa.audit import AuditEntry
from afa.db import ConsentRecord, ConversationPref, Handover, RelayedMessage, Team, UnansweredQuestion
from afa.privacy import pseudonym
from afa.staff import StaffUser, by_email
from tests.console_client import STAFF, ConsoleClient, csrf_token


def _session(app):  # type: ignore[no-untyped-def]
    return app.extensions["afa"].session()


def _link(html: str) -> str:
    match = re.search(r"http://127\.0\.0\.1:8080(/password/[A-Za-z0-9_-]+)", html)
    assert match, "no one-time link on the page"
    return match.group(1)


def test_an_admin_adds_an_account_who_chooses_a_password_through_the_link(as_role, console_app) -> None:  # type: ignore[no-untyped-def]
    admin = as_role("admin")
    page = admin.post("/accounts/", {"email": "Neu@Example.org", "name": "Neue Kollegin", "role": "editor"},
                      token_page="/accounts/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Konto angelegt" in html
    path = _link(html)
    newcomer = console_app.test_client()
    form = newcomer.get(path).get_data(as_text=True)
    assert newcomer.post(path, data={"csrf_token": csrf_token(form), "password": "ganz-neues-passwort",
                                     "repeat": "ganz-neues-passwort"}).status_code == 302
    client = ConsoleClient(console_app.test_client())
    assert client.login("neu@example.org", "ganz-neues-passwort").status_code == 302
    assert client.get("/faq/").status_code == 200
    assert client.get("/accounts/").status_code == 403  # an editor
    duplicate = admin.post("/accounts/", {"email": "neu@example.org", "name": "X", "role": "viewer"}, token_page="/accounts/")
    assert "gibt es schon ein Konto" in duplicate.get_data(as_text=True)
    with _session(console_app) as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.kind == "account", AuditEntry.target == "neu@example.org")).first()
        assert entry.actor == STAFF["admin"] and entry.action == "created"


def test_deactivating_ends_the_sessions_and_the_login(as_role, console_app) -> None:  # type: ignore[no-untyped-def]
    admin, editor = as_role("admin"), as_role("editor")
    with _session(console_app) as s:
        editor_id = by_email(s, STAFF["editor"]).id
    assert admin.post(f"/accounts/{editor_id}/active", token_page="/accounts/").status_code == 302
    assert editor.get("/").status_code == 302  # thrown out at once
    assert ConsoleClient(console_app.test_client()).login(STAFF["editor"]).status_code == 401
    assert admin.post(f"/accounts/{editor_id}/active", token_page="/accounts/").status_code == 302
    assert ConsoleClient(console_app.test_client()).login(STAFF["editor"]).status_code == 302


def test_a_reset_link_from_the_admin_and_role_changes(as_role, console_app) -> None:  # type: ignore[no-untyped-def]
    admin, viewer = as_role("admin"), as_role("viewer")
    with _session(console_app) as s:
        viewer_id = by_email(s, STAFF["viewer"]).id
    page = admin.post(f"/accounts/{viewer_id}/reset", token_page="/accounts/")
    assert page.status_code == 200 and _link(page.get_data(as_text=True)).startswith("/password/")
    assert viewer.get("/").status_code == 302  # a reset ends the sessions
    response = admin.post(f"/accounts/{viewer_id}", {"name": "Lesend", "role": "editor"}, token_page="/accounts/")
    assert response.status_code == 302
    with _session(console_app) as s:
        assert s.get(StaffUser, viewer_id).role == "editor"
        entry = s.scalars(select(AuditEntry).where(AuditEntry.target == STAFF["viewer"]).order_by(AuditEntry.id.desc())).first()
        assert entry.before == '{"name": "Viewer", "role": "viewer"}' and entry.after == '{"name": "Lesend", "role": "editor"}'


def test_the_last_admin_cannot_be_demoted_or_deactivated(as_role, console_app) -> None:  # type: ignore[no-untyped-def]
    admin = as_role("admin")
    with _session(console_app) as s:
        admin_id = by_email(s, STAFF["admin"]).id
    page = admin.post(f"/accounts/{admin_id}", {"name": "Admin", "role": "viewer"}, token_page="/accounts/")
    assert "Mindestens ein aktives Administrationskonto" in page.get_data(as_text=True)
    admin.post(f"/accounts/{admin_id}/active", token_page="/accounts/")
    with _session(console_app) as s:
        user = s.get(StaffUser, admin_id)
        assert user.role == "admin" and user.active


def test_the_audit_log_filters_by_who_what_and_when(as_role, console_app) -> None:  # type: ignore[no-untyped-def]
    admin = as_role("admin")
    admin.post("/accounts/", {"email": "a1@example.org", "name": "A1", "role": "viewer"}, token_page="/accounts/")
    admin.post("/account", {"language": "de"})
    page = admin.get("/audit/?kind=account&actor=admin%40example.org").get_data(as_text=True)
    assert "a1@example.org" in page and "Änderungsprotokoll" in page
    none = admin.get("/audit/?since=2000-01-01&until=2000-01-02").get_data(as_text=True)
    assert "0 Einträge" in none
    assert admin.get("/audit/?since=kaputt&page=-4").status_code == 200  # bad filters are ignored, not a crash


def test_a_deletion_request_by_phone_shows_counts_then_erases_and_audits_a_pseudonym(as_role, console_app) -> None:  # type: ignore[no-untyped-def]
    person = "4242424242"
    with _session(console_app) as s:
        team = s.scalars(select(Team)).first()
        s.add_all([ConversationPref(conversation_id=person, language="ro"), ConsentRecord(conversation_id=person),
                   ConversationPref(conversation_id="777", language="tr")])
        handover = Handover(conversation_id=person, team_id=team.id, language="ro", summary="{}")
        s.add(handover)
        s.flush()
        s.add(RelayedMessage(handover_id=handover.id, direction="user", text="Bună ziua", source_chat_id=int(person),
                             source_message_id=1))
        s.add(UnansweredQuestion(text="ceva", language="ro", conversation_key=pseudonym(person, console_app.extensions["afa"].settings)))
    admin = as_role("admin")
    page = admin.post("/deletion/", {"person": f" {person} "}, token_page="/deletion/")
    html = page.get_data(as_text=True)
    assert "Das würde gelöscht" in html and "Übergaben an einen Coach" in html
    with _session(console_app) as s:  # looking changed nothing
        assert s.get(ConversationPref, person) is not None
    assert admin.post("/deletion/erase", {"person": person}, token_page="/deletion/").status_code == 302
    with _session(console_app) as s:
        assert s.get(ConversationPref, person) is None and s.get(ConsentRecord, person) is None
        assert s.scalars(select(Handover)).all() == [] and s.scalars(select(UnansweredQuestion)).all() == []
        assert s.get(ConversationPref, "777") is not None  # someone else's data stays
        dump = " ".join(str(v) for row in s.execute(text("SELECT * FROM audit_log")) for v in row)
    assert person not in dump and "Bună" not in dump and "ceva" not in dump
    assert pseudonym(person, console_app.extensions["afa"].settings) in dump
    assert "Eine Telegram-ID ist eine Zahl" in admin.post(
        "/deletion/", {"person": "'; DROP TABLE offers; --"}, token_page="/deletion/").get_data(as_text=True)
