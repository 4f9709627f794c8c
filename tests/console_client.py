"""A logged-in browser-like client of the console for Flask's test client: it sends the form's CSRF token."""
from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from afa.staff import add_user

PASSWORD = "richtig-langes-passwort"
STAFF = {"admin": "admin@example.org", "editor": "editor@example.org", "viewer": "viewer@example.org"}
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def add_staff(engine) -> None:  # type: ignore[no-untyped-def]
    """One account per role, all with PASSWORD."""
    with Session(engine, future=True) as session, session.begin():
        for role, email in STAFF.items():
            add_user(session, email, role, name=role.capitalize(), password=PASSWORD)


def csrf_token(html: str) -> str:
    match = TOKEN.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1) or match.group(2)


class ConsoleClient:
    """Wraps Flask's test client: `post` fetches a CSRF token from `token_page` first (as a browser has one)."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def get(self, url: str, **kwargs: Any):  # type: ignore[no-untyped-def]
        return self.client.get(url, **kwargs)

    def token(self, page: str = "/account") -> str:
        return csrf_token(self.client.get(page).get_data(as_text=True))

    def post(self, url: str, data: dict[str, Any] | None = None, *, token_page: str = "/account", **kwargs: Any):  # type: ignore[no-untyped-def]
        return self.client.post(url, data={"csrf_token": self.token(token_page), **(data or {})}, **kwargs)

    def login(self, email: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
        page = self.client.get("/login").get_data(as_text=True)
        return self.client.post("/login", data={"csrf_token": csrf_token(page), "email": email, "password": password})
