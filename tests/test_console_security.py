"""The console's locks: login everywhere, roles, CSRF, slowed password guessing, server-side logout, one-time links."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from afa.console.server import announcement
from afa.settings import Settings
from afa.staff import StaffSession, StaffUser, by_email, issue_token
from tests.console_client import PASSWORD, STAFF, ConsoleClient, csrf_token

ARGS = {"key": "funding", "district": "hochfeld", "token": "nope", "id": "1", "language": "tr", "coach_id": "1",
        "run_id": "1", "upload": "x", "filename": "console.css"}
# Open without a session on purpose: the login itself, one-time links (they check their token), static files, and
# the probes (tests/test_health_metrics.py).
PUBLIC = {"auth.login", "auth.setup", "auth.password", "static", "health.health", "health.ready"}


def _url(app, rule) -> str:  # type: ignore[no-untyped-def]
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **{name: ARGS.get(name, "1") for name in rule.arguments})


def _rules(app, method: str):  # type: ignore[no-untyped-def]
    return [r for r in app.url_map.iter_rules() if method in r.methods and r.endpoint not in PUBLIC]


def test_every_page_without_a_session_redirects_to_the_login(console_app) -> None:  # type: ignore[no-untyped-def]
    client = console_app.test_client()
    rules = _rules(console_app, "GET")
    assert len(rules) >= 10
    for rule in rules:
        response = client.get(_url(console_app, rule))
        assert response.status_code == 302, rule.endpoint
        assert response.headers["Location"].startswith("/login"), rule.endpoint
    for rule in _rules(console_app, "POST"):
        response = client.post(_url(console_app, rule), data={})
        assert response.status_code in (302, 400), rule.endpoint  # no session: login, or no CSRF token
        assert response.status_code == 400 or response.headers["Location"].startswith("/login")


def test_a_viewer_gets_403_on_every_write(as_role, console_app) -> None:  # type: ignore[no-untyped-def]
    viewer = as_role("viewer")
    own = {"auth.logout", "auth.account"}
    writes = [r for r in _rules(console_app, "POST") if r.endpoint not in own]
    assert len(writes) >= 10
    for rule in writes:
        response = viewer.post(_url(console_app, rule), {"text_de": "x"})
        assert response.status_code == 403, rule.endpoint
        assert "Ihre Rolle erlaubt das nicht" in response.get_data(as_text=True)


def test_an_editor_may_not_administer(as_role, console_app) -> None:  # type: ignore[no-untyped-def]
    editor = as_role("editor")
    for prefix in ("/accounts", "/audit", "/deletion"):
        assert editor.get(prefix + "/").status_code == 403, prefix


def test_a_form_without_its_csrf_token_is_refused(as_role) -> None:  # type: ignore[no-untyped-def]
    admin = as_role("admin")
    response = admin.client.post("/account", data={"language": "en"})
    assert response.status_code == 400
    assert "Formular abgelaufen" in response.get_data(as_text=True)
    forged = admin.client.post("/account", data={"language": "en", "csrf_token": "forged"})
    assert forged.status_code == 400


def test_login_cookie_is_httponly_and_samesite(console_app) -> None:  # type: ignore[no-untyped-def]
    client = ConsoleClient(console_app.test_client())
    response = client.login(STAFF["editor"])
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain http on 127.0.0.1; behind https (next test) it is Secure


def test_behind_https_the_cookie_is_secure(seeded_engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from afa.console import create_app
    from tests.console_client import add_staff

    monkeypatch.setenv("AFA_CONSOLE_SECRET", "s")
    monkeypatch.setenv("AFA_CONSOLE_URL", "https://konsole.example.org")
    add_staff(seeded_engine)
    client = ConsoleClient(create_app(Settings(), seeded_engine).test_client())
    assert "Secure" in client.login(STAFF["admin"]).headers["Set-Cookie"]


def test_repeated_wrong_passwords_are_slowed_and_the_right_one_works_after_the_delay(
    seeded_engine, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from afa.console import create_app
    from tests.console_client import add_staff

    monkeypatch.setenv("AFA_CONSOLE_SECRET", "s")
    monkeypatch.setenv("AFA_LOGIN_DELAY_SECONDS", "0.2")
    monkeypatch.setenv("AFA_LOGIN_DELAY_MAX_SECONDS", "1.5")
    add_staff(seeded_engine)
    client = ConsoleClient(create_app(Settings(), seeded_engine).test_client())
    codes = []
    for _ in range(10):
        codes.append(client.login(STAFF["editor"], "falsch").status_code)
    assert codes[:3] == [401, 401, 401]  # typos are free
    assert 429 in codes[3:]  # then each try has to wait
    slowed = client.login(STAFF["editor"])  # even the right password waits out the delay
    assert slowed.status_code == 429
    assert "Bitte warten Sie" in slowed.get_data(as_text=True)
    time.sleep(1.6)  # the delay is capped: a stranger cannot lock the account for long
    assert client.login(STAFF["editor"]).status_code == 302
    # Success forgets the failures: the next typo is free again.
    client.client.post("/logout", data={"csrf_token": client.token("/")})
    assert client.login(STAFF["editor"], "falsch").status_code == 401


def test_the_delay_grows_per_account_and_per_address(seeded_engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from afa.staff import Throttle, throttle_keys

    throttle = Throttle(1, 60)
    assert [throttle.delay(n) for n in range(1, 11)] == [0, 0, 1, 2, 4, 8, 16, 32, 60, 60]
    keys = throttle_keys("A@Example.org ", "10.0.0.1")
    assert keys == ["account:a@example.org", "address:10.0.0.1"]
    with Session(seeded_engine, future=True) as s, s.begin():
        for _ in range(4):
            throttle.failed(s, keys[1:])  # only the address failed: another account from there waits too
        assert throttle.wait_left(s, ["account:b@example.org", keys[1]]) > 1


def test_logout_ends_the_session_on_the_server(console_app) -> None:  # type: ignore[no-untyped-def]
    client = ConsoleClient(console_app.test_client())
    client.login(STAFF["admin"])
    assert client.get("/").status_code == 200
    stolen = client.client.get_cookie("afa_console").value
    response = client.post("/logout", token_page="/")
    assert response.status_code == 302
    thief = console_app.test_client()
    thief.set_cookie("afa_console", stolen)  # the old cookie, replayed
    assert thief.get("/").status_code == 302
    with console_app.extensions["afa"].session() as s:
        assert s.scalars(select(StaffSession)).all() == []


def test_the_first_start_prints_a_one_time_setup_link(database_url, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from afa.console import create_app
    from afa.db import make_engine, migrate

    monkeypatch.setenv("AFA_CONSOLE_SECRET", "s")
    engine = make_engine(database_url)
    migrate(engine)
    settings = Settings()
    lines = announcement(settings, engine)
    assert lines[0] == "Staff console: http://127.0.0.1:8080/"
    link = lines[1].split("open ", 1)[1].split(" ", 1)[0]
    path = link.replace("http://127.0.0.1:8080", "")
    client = console_app_client = create_app(settings, engine).test_client()
    page = client.get(path)
    assert page.status_code == 200 and "Konsole einrichten" in page.get_data(as_text=True)
    form = {"csrf_token": csrf_token(page.get_data(as_text=True)), "name": "Koordination", "email": "koord@example.org",
            "password": PASSWORD, "repeat": PASSWORD}
    assert client.post(path, data=form).status_code == 302
    assert client.get("/").status_code == 200  # logged in as the new admin
    again = console_app_client.get(path)
    assert again.status_code == 404 and "nicht mehr gültig" in again.get_data(as_text=True)
    with Session(engine, future=True) as s:
        assert by_email(s, "koord@example.org").role == "admin"
    assert len(announcement(settings, engine)) == 1  # accounts exist: no set-up link any more


def test_a_reset_link_works_once_and_ends_old_sessions(console_app, as_role) -> None:  # type: ignore[no-untyped-def]
    editor = as_role("editor")
    with console_app.extensions["afa"].session() as s:
        token = issue_token(s, "password", by_email(s, STAFF["editor"]))
    fresh = console_app.test_client()
    page = fresh.get(f"/password/{token}")
    assert page.status_code == 200
    form = {"csrf_token": csrf_token(page.get_data(as_text=True)), "password": "ein-neues-passwort", "repeat": "ein-neues-passwort"}
    assert fresh.post(f"/password/{token}", data=form).status_code == 302
    assert editor.get("/").status_code == 302  # the old session ended with the new password
    assert fresh.get(f"/password/{token}").status_code == 404
    assert ConsoleClient(console_app.test_client()).login(STAFF["editor"], "ein-neues-passwort").status_code == 302


def test_passwords_are_stored_with_argon2id(console_app) -> None:  # type: ignore[no-untyped-def]
    with console_app.extensions["afa"].session() as s:
        hashes = [u.password_hash for u in s.scalars(select(StaffUser))]
    assert hashes and all(h.startswith("$argon2id$") and PASSWORD not in h for h in hashes)


@pytest.mark.parametrize("target", ["https://evil.example.org/", "//evil.example.org/x"])
def test_login_never_redirects_elsewhere(console_app, target: str) -> None:  # type: ignore[no-untyped-def]
    client = console_app.test_client()
    page = client.get("/login").get_data(as_text=True)
    response = client.post(f"/login?next={target}", data={"csrf_token": csrf_token(page), "email": STAFF["viewer"],
                                                           "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/"
