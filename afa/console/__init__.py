"""The staff console: a Flask app factory, one blueprint per area, WTForms forms, server-rendered German pages.

    app = create_app(settings)        # `afa console` serves it with waitress on 127.0.0.1:CONSOLE_PORT

Everything but the login and the one-time links needs a session; a viewer can read, never write.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Optional

from flask import Flask, abort, g, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.engine import Engine
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from afa.console.i18n import _, current_language, when
from afa.i18n import S_
from afa.console.state import Console, console_secret
from afa.settings import Settings, get_settings
from afa.staff import ROLES

# Endpoints open without a session (everything else redirects to the login).
PUBLIC = {"auth.login", "auth.setup", "auth.password", "static", "health.health", "health.ready"}
# Writes every role may make: ending one's own session, one's own password and console language.
OWN_ACCOUNT = {"auth.logout", "auth.account"}


def create_app(settings: Optional[Settings] = None, engine: Optional[Engine] = None) -> Flask:
    from afa.console import (accounts, audit_log, auth, deletion, entry_points, faq, handovers, health, home, offers,
                             reach, review, teams, transfer)
    from afa.console.auth import csrf, login_manager

    settings = settings or get_settings()
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=console_secret(settings),
        SESSION_COOKIE_NAME="afa_console",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # Behind the TLS proxy (AFA_CONSOLE_URL=https://...) the cookie never travels over plain HTTP.
        SESSION_COOKIE_SECURE=settings.console_base_url.startswith("https://"),
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        MAX_CONTENT_LENGTH=int(settings.upload_max_mb * 1024 * 1024),
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session, which the server ends
    )
    if settings.console_proxies:
        n = settings.console_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_prefix=n)  # type: ignore[method-assign]
    app.extensions["afa"] = Console.create(settings, engine)
    csrf.init_app(app)
    login_manager.init_app(app)
    for module in (auth, home, faq, offers, teams, handovers, transfer, review, reach, entry_points, deletion, accounts,
                   audit_log, health):
        app.register_blueprint(module.bp)
    app.before_request(_guard)
    app.after_request(_headers)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(HTTPException, _http_error)
    app.jinja_env.globals.update(_=_, ROLES=ROLES, ROLE_LABELS=ROLE_LABELS, current_language=current_language)
    app.jinja_env.filters["when"] = when
    app.jinja_env.trim_blocks = app.jinja_env.lstrip_blocks = True
    return app


def _guard():  # type: ignore[no-untyped-def]
    """Before every request: the console language, the login, and no write for viewers (403)."""
    g.console_language = getattr(current_user, "language", None) or "de"
    if request.endpoint in PUBLIC or request.endpoint is None:
        return None
    if not current_user.is_authenticated:
        from afa.console.auth import login_manager

        return login_manager.unauthorized()
    writes = request.method not in ("GET", "HEAD", "OPTIONS")
    if writes and request.endpoint not in OWN_ACCOUNT and not current_user.may("editor"):
        abort(403)
    return None


def _headers(response):  # type: ignore[no-untyped-def]
    """No inline scripts, no framing, nothing cached that a shared computer could show to the next person."""
    response.headers.setdefault("Content-Security-Policy",
                                "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'; "
                                "form-action 'self'; base-uri 'none'")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if request.endpoint != "static":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


ROLE_LABELS = {"admin": S_("Administrator"), "editor": S_("Editor"), "viewer": S_("Viewer")}
ERRORS = {
    400: (S_("Request not understood"), S_("The request was incomplete or malformed. Please go back and try again.")),
    403: (S_("Not allowed"), S_("Your role does not allow this. An administrator can change your role.")),
    404: (S_("Not found"), S_("This page does not exist (any more).")),
    405: (S_("Not allowed"), S_("This address cannot be used like that.")),
    413: (S_("File too large"), S_("The file is larger than {limit} MB. Please upload a smaller file.")),
    429: (S_("Please wait"), S_("Too many attempts. Please wait a moment and try again.")),
    500: (S_("Something went wrong"),
          S_("The change was not saved. Please try again; if it happens again, tell the team.")),
}


def _http_error(error: HTTPException):  # type: ignore[no-untyped-def]
    code = error.code or 500
    title, text = ERRORS.get(code, ERRORS[500])
    limit = get_settings().upload_max_mb
    return render_template("error.html", title=_(title), text=_(text, limit=f"{limit:g}"), code=code), code


def _csrf_error(error: CSRFError):  # type: ignore[no-untyped-def]
    text = _("The form had expired or was not sent from the console. Please reload the page and send it again.")
    return render_template("error.html", title=_("Form expired"), text=text, code=400), 400
