"""Logging in and out, the first admin's set-up link, one-time password links, one's own account."""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import wraps
from typing import Optional

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.exc import IntegrityError
from wtforms import EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, Optional as Maybe, Regexp

from afa import audit
from afa.catalogues import CONSOLE_LANGUAGES
from afa.console.i18n import _, _l
from afa.content.validation import EMAIL
from afa.console.state import console
from afa.staff import (
    MIN_PASSWORD,
    ROLES,
    StaffUser,
    Throttle,
    add_user,
    by_email,
    check_password,
    end_session,
    has_accounts,
    session_user,
    set_password,
    spend_password_time,
    start_session,
    throttle_keys,
    valid_token,
)
from afa.db import utcnow

bp = Blueprint("auth", __name__)
csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = None  # the login page says enough
login_manager.session_protection = "basic"
TOKEN_KEY = "_user_id"  # where Flask-Login keeps the id: for us, the server-side session's token


@dataclass
class ConsoleUser:
    """The logged-in account as views and templates see it; `get_id()` is the session token, not the account."""

    id: int
    email: str
    name: str
    role: str
    language: str
    token: str
    is_authenticated: bool = True
    is_active: bool = True
    is_anonymous: bool = False

    @classmethod
    def of(cls, user: StaffUser, token: str) -> "ConsoleUser":
        return cls(user.id, user.email, user.name or user.email, user.role, user.language, token)

    def get_id(self) -> str:
        return self.token

    def may(self, role: str) -> bool:
        return ROLES.index(self.role) <= ROLES.index(role)


@login_manager.user_loader
def _load(token: str) -> Optional[ConsoleUser]:
    with console().session() as s:
        user = session_user(s, token)
        return ConsoleUser.of(user, token) if user is not None else None


def admin_only(view):  # type: ignore[no-untyped-def]
    """Accounts, teams and coaches, deletions and the audit log are for administrators (others: 403)."""

    @wraps(view)
    def wrapped(*args, **kwargs):  # type: ignore[no-untyped-def]
        if not current_user.may("admin"):
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def actor() -> str:
    """Who the audit log names for the current request."""
    return current_user.email if current_user.is_authenticated else "anonymous"


def _throttle() -> Throttle:
    settings = console().settings
    return Throttle(settings.login_delay_seconds, settings.login_delay_max_seconds)


def _password_field(label: str) -> PasswordField:
    message = _l("At least {count} characters.", count=MIN_PASSWORD)
    return PasswordField(label, validators=[DataRequired(message=_l("Please fill in.")), Length(min=MIN_PASSWORD, message=message)])


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(message=_l("Please fill in."))])
    password = PasswordField(_l("Password"), validators=[DataRequired(message=_l("Please fill in."))])
    submit = SubmitField(_l("Sign in"))


class NewPasswordForm(FlaskForm):
    password = _password_field(_l("New password"))
    repeat = PasswordField(_l("Repeat the password"),
                           validators=[EqualTo("password", message=_l("The two passwords differ."))])
    submit = SubmitField(_l("Save password"))


class SetupForm(NewPasswordForm):
    email = EmailField(_l("Your e-mail"), validators=[DataRequired(message=_l("Please fill in.")),
                                                       Regexp(EMAIL, message=_l("Not an e-mail address."))])
    name = StringField(_l("Your name"), validators=[DataRequired(message=_l("Please fill in.")), Length(max=200)])
    submit = SubmitField(_l("Create the administrator account"))


class AccountForm(FlaskForm):
    language = SelectField(_l("Console language"), choices=[("de", "Deutsch"), ("en", "English")])
    current = PasswordField(_l("Current password (only to change it)"))
    password = PasswordField(_l("New password"), validators=[Maybe(), Length(min=MIN_PASSWORD, message=_l(
        "At least {count} characters.", count=MIN_PASSWORD))])
    repeat = PasswordField(_l("Repeat the new password"),
                           validators=[EqualTo("password", message=_l("The two passwords differ."))])
    submit = SubmitField(_l("Save"))


def _safe_next(target: Optional[str]) -> str:
    """Only a path on this console: never an address elsewhere (open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("home.index")


def _sign_in(user: StaffUser, token: str) -> None:
    session.clear()  # a fresh cookie after login: no session fixation
    login_user(ConsoleUser.of(user, token))


@bp.route("/login", methods=["GET", "POST"])
def login():  # type: ignore[no-untyped-def]
    """The login; repeated failures for an account or from an address make the next try wait longer."""
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form)
    keys = throttle_keys(form.email.data, request.remote_addr or "")
    throttle = _throttle()
    with console().session() as s:
        wait = throttle.wait_left(s, keys)
    if wait > 0:
        seconds = math.ceil(wait)
        return render_template("auth/login.html", form=form, wait=seconds), 429
    with console().session() as s:
        user = by_email(s, form.email.data)
        if user is None:
            spend_password_time(form.password.data)
        ok = user is not None and user.active and check_password(user, form.password.data)
        if ok:
            throttle.succeeded(s, keys)
            token = start_session(s, user)
    if not ok:
        try:
            with console().session() as s:
                throttle.failed(s, keys)
        except IntegrityError:  # two failures for a new key at the same moment: the other one counted
            pass
        return render_template("auth/login.html", form=form, failed=True), 401
    _sign_in(user, token)
    return redirect(_safe_next(request.args.get("next")))


@bp.route("/logout", methods=["POST"])
def logout():  # type: ignore[no-untyped-def]
    """Ends the session on the server too: the old cookie is worth nothing afterwards."""
    with console().session() as s:
        end_session(s, current_user.token)
    logout_user()
    session.clear()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/setup/<token>", methods=["GET", "POST"])
def setup(token: str):  # type: ignore[no-untyped-def]
    """The one-time set-up link printed at the first start: it creates the first administrator."""
    with console().session() as s:
        usable = valid_token(s, token, "setup") is not None and not has_accounts(s)
    if not usable:
        return render_template("auth/link_invalid.html"), 404
    form = SetupForm()
    if not form.validate_on_submit():
        return render_template("auth/setup.html", form=form)
    with console().session() as s:
        found = valid_token(s, token, "setup")
        if found is None or has_accounts(s):
            return render_template("auth/link_invalid.html"), 404
        found.used_at = utcnow()
        user = add_user(s, form.email.data, "admin", form.name.data, form.password.data)
        audit.record(s, user.email, "created", "account", user.email, after={"role": "admin", "name": user.name})
        token_ = start_session(s, user)
    _sign_in(user, token_)
    flash(_("Welcome! Your administrator account is ready."), "success")
    return redirect(url_for("home.index"))


@bp.route("/password/<token>", methods=["GET", "POST"])
def password(token: str):  # type: ignore[no-untyped-def]
    """A one-time link from an admin (new account or forgotten password): choose a password."""
    with console().session() as s:
        found = valid_token(s, token, "password")
        email = s.get(StaffUser, found.user_id).email if found is not None else None
    if email is None:
        return render_template("auth/link_invalid.html"), 404
    form = NewPasswordForm()
    if not form.validate_on_submit():
        return render_template("auth/password.html", form=form, email=email)
    with console().session() as s:
        found = valid_token(s, token, "password")
        if found is None:
            return render_template("auth/link_invalid.html"), 404
        found.used_at = utcnow()
        user = s.get(StaffUser, found.user_id)
        set_password(s, user, form.password.data)
        audit.record(s, user.email, "changed", "account", user.email, after={"password": "set by one-time link"})
    if current_user.is_authenticated:
        logout_user()
    session.clear()
    flash(_("Your password is saved. Please sign in."), "success")
    return redirect(url_for("auth.login"))


@bp.route("/account", methods=["GET", "POST"])
def account():  # type: ignore[no-untyped-def]
    """One's own console language and password."""
    form = AccountForm(language=current_user.language)
    if not form.validate_on_submit():
        return render_template("auth/account.html", form=form)
    with console().session() as s:
        user = s.get(StaffUser, current_user.id)
        if form.password.data:
            if not check_password(user, form.current.data or ""):
                form.current.errors = [_("The current password is not right.")]
                return render_template("auth/account.html", form=form)
            set_password(s, user, form.password.data)  # ends every session, this one too
            audit.record(s, user.email, "changed", "account", user.email, after={"password": "changed"})
            token = start_session(s, user)
        else:
            token = current_user.token
        if form.language.data in CONSOLE_LANGUAGES and form.language.data != user.language:
            audit.record(s, user.email, "changed", "account", user.email,
                         before={"language": user.language}, after={"language": form.language.data})
            user.language = form.language.data
    _sign_in(user, token)
    flash(_("Saved."), "success")
    return redirect(url_for("auth.account"))
