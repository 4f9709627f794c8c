"""Deletion requests that arrive by letter or phone (admins only): see what would be erased, confirm, erase.

The erasure is `/delete`'s (afa.privacy.erase_conversation); the audit log names the person only by the keyed
hash the logs use, never by their id."""
from __future__ import annotations

import re

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import HiddenField, StringField, SubmitField
from wtforms.validators import DataRequired, Regexp

from afa import audit
from afa.console.auth import actor, admin_only
from afa.console.i18n import _, _l
from afa.console.state import console
from afa.i18n import S_
from afa.privacy import Erased, erase_conversation, pseudonym

bp = Blueprint("deletion", __name__, url_prefix="/deletion")
TELEGRAM_ID = r"^\s*-?\d{1,20}\s*$"
# The names afa.privacy gives its counts, as staff read them.
LABELS = {"tracker events": S_("conversation turns"), "relayed messages": S_("messages with a coach"),
          "handovers": S_("handovers to a coach"), "unanswered questions": S_("unanswered questions"),
          "preferences": S_("language preference"), "consent records": S_("privacy notice record")}


class LookupForm(FlaskForm):
    person = StringField(_l("Telegram id of the person"), validators=[
        DataRequired(message=_l("Please fill in.")),
        Regexp(TELEGRAM_ID, message=_l("A Telegram id is a number, e.g. 123456789."))])
    submit = SubmitField(_l("Show what would be erased"))


class ConfirmForm(FlaskForm):
    person = HiddenField(validators=[DataRequired(), Regexp(TELEGRAM_ID)])
    submit = SubmitField(_l("Erase everything now"))


def _counts(person: str) -> Erased:
    """What an erasure would remove: run it in a transaction that is rolled back."""
    with Session(console().engine, future=True) as session:
        session.begin()
        erased = erase_conversation(session, person, console().settings)
        session.rollback()
    return erased


def _labelled(erased: Erased) -> list[tuple[str, int]]:
    return [(_(LABELS.get(name, name)), count) for name, count in erased.counts.items()]


@bp.route("/", methods=["GET", "POST"])
@admin_only
def index():  # type: ignore[no-untyped-def]
    """Step one: the id, and the counts of what is held about the person."""
    form = LookupForm()
    if form.validate_on_submit():
        person = re.sub(r"\s", "", form.person.data)
        erased = _counts(person)
        confirm = ConfirmForm(person=person)
        return render_template("deletion/confirm.html", erased=erased, counts=_labelled(erased), form=confirm)
    return render_template("deletion/index.html", form=form)


@bp.route("/erase", methods=["POST"])
@admin_only
def erase():  # type: ignore[no-untyped-def]
    """Step two: the same erasure as /delete, in one transaction, recorded without the id in clear."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        flash(_("Please enter the Telegram id again."), "error")
        return redirect(url_for("deletion.index"))
    person = re.sub(r"\s", "", form.person.data)
    settings = console().settings
    with console().session() as s:
        erased = erase_conversation(s, person, settings)
        audit.record(s, actor(), "erased", "person", pseudonym(person, settings), after=erased.counts)
    flash(_("Erased: {count} records. The bot marks the cards in the team groups as deleted.", count=erased.total),
          "success")
    return redirect(url_for("deletion.index"))
