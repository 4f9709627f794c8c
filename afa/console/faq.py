"""FAQ answers: the four languages side by side, with the translation status of each.

A save is validated by the rules of `afa content import` (the whole `faq` table with this answer replaced),
then written by `afa.content.store.save_faq`, which also applies the translation-status rule: a changed
German text marks the languages not edited with it as "needs update". The bot reads the answers on every
turn, so its next reply shows the change.
"""
from __future__ import annotations

import hashlib
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import HiddenField, SubmitField, TextAreaField

from afa import DEFAULT_LANGUAGE, FAQ_KEYS, LANGUAGES, audit
from afa.console.auth import actor
from afa.console.i18n import _, _l, current_language
from afa.console.problems import problem_texts
from afa.console.state import console
from afa.content.store import export_tables, mark_faq_checked, save_faq
from afa.content.tables import Row, Tables, Text
from afa.content.validation import PLACEHOLDERS, validate_tables
from afa.db import FaqAnswer
from afa.i18n import S_, language_name

bp = Blueprint("faq", __name__, url_prefix="/faq")
TOPICS = {
    "project_overview": S_("What the programme is"), "project_period": S_("Programme period"),
    "funding": S_("Funding"), "organiser": S_("Organiser"), "districts": S_("Districts"),
    "target_groups": S_("Who it is for"), "goals": S_("Goals"), "networks": S_("Networks"),
    "contact": S_("Contact"),
}


class FaqForm(FlaskForm):
    text_de = TextAreaField()
    text_tr = TextAreaField()
    text_bg = TextAreaField()
    text_ro = TextAreaField()
    version = HiddenField()  # the texts as loaded: a save over someone else's newer save is refused
    submit = SubmitField(_l("Save"))


def _answers(session, key: str) -> dict[str, FaqAnswer]:  # type: ignore[no-untyped-def]
    return {a.language: a for a in session.scalars(select(FaqAnswer).where(FaqAnswer.key == key))}


def _version(answers: dict[str, FaqAnswer]) -> str:
    texts = "\x00".join(answers[lang].text if lang in answers else "" for lang in LANGUAGES)
    return hashlib.sha256(texts.encode("utf-8")).hexdigest()[:20]


def _order(key: str) -> tuple[int, str]:
    return (FAQ_KEYS.index(key) if key in FAQ_KEYS else len(FAQ_KEYS), key)


def _languages() -> list[tuple[str, str]]:
    """(code, name in the console's language): Deutsch, Türkisch, Bulgarisch, Rumänisch."""
    return [(lang, language_name(lang, current_language())) for lang in LANGUAGES]


def _validate(session, key: str, texts: dict[str, str]):  # type: ignore[no-untyped-def]
    """The import's rules on the whole FAQ table with this answer replaced (placeholders, translations, topics)."""
    current = export_tables(session, ("faq", "faq_examples"))
    tables = Tables()
    for row in current["faq"]:
        values = dict(row)
        if row["key"] == key:
            values.update({f"answer_{lang}": texts[lang] for lang in LANGUAGES})
        tables.add("faq", Row(Text(S_("FAQ answer {key}"), key=row["key"]), 1, values))
    for number, row in enumerate(current["faq_examples"], start=1):
        tables.add("faq_examples", Row("faq_examples", number, row))
    return validate_tables(tables)


@bp.route("/")
def index():  # type: ignore[no-untyped-def]
    """Every FAQ topic with its four texts and the status of each translation."""
    with console().session() as s:
        topics: dict[str, dict[str, FaqAnswer]] = {}
        for answer in s.scalars(select(FaqAnswer)):
            topics.setdefault(answer.key, {})[answer.language] = answer
    keys = sorted(topics, key=_order)
    outdated = sum(1 for key in keys for a in topics[key].values() if a.needs_update)
    return render_template("faq/index.html", keys=keys, topics=topics, languages=_languages(), outdated=outdated,
                           status_of=status_of, title_of=title_of)


@bp.route("/<key>", methods=["GET", "POST"])
def edit(key: str):  # type: ignore[no-untyped-def]
    """The four languages side by side; editors and admins save, a viewer reads."""
    problems: list[str] = []
    status = 200
    with console().session() as s:
        answers = _answers(s, key)
        if not answers:
            abort(404)
        form = FaqForm()
        if request.method == "GET":
            for lang in LANGUAGES:
                getattr(form, f"text_{lang}").data = answers[lang].text if lang in answers else ""
            form.version.data = _version(answers)
        elif form.validate_on_submit():
            texts = {lang: (getattr(form, f"text_{lang}").data or "").replace("\r\n", "\n") for lang in LANGUAGES}
            if form.version.data != _version(answers):
                problems = [_("Someone else saved this answer in the meantime. Your texts are still in the boxes: "
                              "compare them with the saved ones (open the page again in a new tab) and save again.")]
                form.version.data = _version(answers)
                status = 409
            else:
                validated = _validate(s, key, texts)
                problems = problem_texts(validated)
                status = 400 if problems else 200
                if not problems:
                    record = next(r for r in validated.records["faq"] if r["key"] == key)
                    changed = save_faq(s, record, answers)
                    if changed:
                        audit.record(s, actor(), "changed", "faq", key,
                                     before={lang: old for lang, (old, _new) in changed.items()},
                                     after={lang: new for lang, (_old, new) in changed.items()})
                        marked = [name for lang, name in _languages() if lang in answers and answers[lang].needs_update
                                  and lang not in changed]
                        flash(_("Saved. The bot answers with the new text from the next message on."), "success")
                        if DEFAULT_LANGUAGE in changed and marked:
                            flash(_("The German text changed: {languages} are marked as needing an update.",
                                    languages=", ".join(marked)), "warning")
                    else:
                        flash(_("Nothing changed."), "info")
                    return redirect(url_for("faq.edit", key=key))
    return render_template("faq/edit.html", key=key, form=form, answers=answers, languages=_languages(),
                           problems=problems, placeholders=", ".join("{" + p + "}" for p in sorted(PLACEHOLDERS)),
                           may_edit=current_user.may("editor"), status_of=status_of, title_of=title_of), status


@bp.route("/<key>/checked/<language>", methods=["POST"])
def checked(key: str, language: str):  # type: ignore[no-untyped-def]
    """A translation checked against the German text: up to date again, its text unchanged."""
    if language not in LANGUAGES or language == DEFAULT_LANGUAGE:
        abort(404)
    with console().session() as s:
        was = mark_faq_checked(s, key, language)
        if was is None:
            abort(404)
        if was:
            audit.record(s, actor(), "checked", "faq", key, before={f"needs_update_{language}": True},
                         after={f"needs_update_{language}": False})
    name = language_name(language, current_language())
    if was:
        flash(_("{name} is marked as checked and up to date.", name=name), "success")
    else:
        flash(_("{name} was up to date already.", name=name), "info")
    return redirect(url_for("faq.edit", key=key))


def status_of(answer: Any, language: str) -> tuple[str, str]:
    """(badge class, label) of a text's translation status; German is the original the others follow."""
    if answer is None:
        return "bad", _("missing")
    if language == DEFAULT_LANGUAGE:
        return "muted", _("original")
    return ("warn", _("needs an update")) if answer.needs_update else ("ok", _("up to date"))


def title_of(key: str) -> str:
    return _(TOPICS[key]) if key in TOPICS else key
