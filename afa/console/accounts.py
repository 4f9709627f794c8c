"""Accounts (admins only): add staff with a role, change roles, deactivate, send a one-time password link."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import EmailField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Regexp

from afa import audit
from afa.console.auth import actor, admin_only
from afa.console.i18n import _, _l
from afa.console.state import console
from afa.content.validation import EMAIL
from afa.staff import StaffUser, add_user, by_email, deactivate, end_sessions, issue_token

bp = Blueprint("accounts", __name__, url_prefix="/accounts")
ROLE_CHOICES = [("admin", _l("Administrator")), ("editor", _l("Editor")), ("viewer", _l("Viewer"))]


class NewAccountForm(FlaskForm):
    email = EmailField(_l("E-mail"), validators=[DataRequired(message=_l("Please fill in.")),
                                                  Regexp(EMAIL, message=_l("Not an e-mail address."))])
    name = StringField(_l("Name"), validators=[DataRequired(message=_l("Please fill in.")), Length(max=200)])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, default="editor")
    submit = SubmitField(_l("Create account"))


class AccountForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(message=_l("Please fill in.")), Length(max=200)])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)
    submit = SubmitField(_l("Save"))


def _link(token: str) -> str:
    return f"{console().settings.console_base_url}/password/{token}"


def _other_active_admins(session, user: StaffUser) -> int:  # type: ignore[no-untyped-def]
    query = select(func.count()).select_from(StaffUser).where(
        StaffUser.role == "admin", StaffUser.active.is_(True), StaffUser.id != user.id)
    return session.scalar(query) or 0


@bp.route("/", methods=["GET", "POST"])
@admin_only
def index():  # type: ignore[no-untyped-def]
    """All accounts, and a new one: the person chooses a password through a one-time link."""
    form = NewAccountForm()
    link = None
    if form.validate_on_submit():
        with console().session() as s:
            if by_email(s, form.email.data) is not None:
                form.email.errors = [_("An account with this e-mail exists already.")]
            else:
                user = add_user(s, form.email.data, form.role.data, form.name.data)
                link = _link(issue_token(s, "password", user))
                audit.record(s, actor(), "created", "account", user.email, after={"role": user.role, "name": user.name})
                flash(_("Account created. Send this one-time link to {email} so they can choose a password:",
                        email=user.email), "success")
                form = NewAccountForm(formdata=None)
    with console().session() as s:
        users = list(s.scalars(select(StaffUser).order_by(StaffUser.active.desc(), StaffUser.email)))
    return render_template("accounts/index.html", users=users, form=form, link=link)


@bp.route("/<int:id>", methods=["GET", "POST"])
@admin_only
def edit(id: int):  # type: ignore[no-untyped-def]
    with console().session() as s:
        user = s.get(StaffUser, id) or abort(404)
        form = AccountForm(obj=user)
        if form.validate_on_submit():
            if user.role == "admin" and form.role.data != "admin" and not _other_active_admins(s, user):
                form.role.errors = [_("At least one active administrator must remain.")]
            else:
                before = {"name": user.name, "role": user.role}
                user.name, user.role = form.name.data.strip(), form.role.data
                if before["role"] != user.role:
                    end_sessions(s, user.id)  # the new role applies from the next login on
                old, new = audit.changed_fields(before, {"name": user.name, "role": user.role})
                if new:
                    audit.record(s, actor(), "changed", "account", user.email, before=old, after=new)
                flash(_("Saved."), "success")
                return redirect(url_for("accounts.edit", id=id))
    return render_template("accounts/edit.html", user=user, form=form, link=None)


@bp.route("/<int:id>/reset", methods=["POST"])
@admin_only
def reset(id: int):  # type: ignore[no-untyped-def]
    """A new one-time link to choose a password; the account's sessions end now."""
    with console().session() as s:
        user = s.get(StaffUser, id) or abort(404)
        link = _link(issue_token(s, "password", user))
        end_sessions(s, user.id)
        audit.record(s, actor(), "changed", "account", user.email, after={"password": "reset link issued"})
    flash(_("Send this one-time link to {email}; it works once, for 48 hours:", email=user.email), "success")
    return render_template("accounts/edit.html", user=user, form=AccountForm(obj=user), link=link)


@bp.route("/<int:id>/active", methods=["POST"])
@admin_only
def toggle(id: int):  # type: ignore[no-untyped-def]
    """Deactivate (sessions end at once) or reactivate an account; accounts are kept for the audit log."""
    with console().session() as s:
        user = s.get(StaffUser, id) or abort(404)
        if user.active:
            if user.role == "admin" and not _other_active_admins(s, user):
                flash(_("At least one active administrator must remain."), "error")
                return redirect(url_for("accounts.edit", id=id))
            deactivate(s, user)
            flash(_("The account is deactivated; its sessions have ended."), "success")
        else:
            user.active = True
            flash(_("The account is active again."), "success")
        audit.record(s, actor(), "changed", "account", user.email, before={"active": not user.active},
                     after={"active": user.active})
    return redirect(url_for("accounts.edit", id=id))

