"""Review of the questions the bot did not understand, and "train and publish".

Labels are saved by `afa.review.apply_review`, the same rules as `afa review import` (validation,
de-duplication against the NLU data, review.yml, deleting the reviewed questions). The audit log gets the
counts per label, never the residents' words. Training runs in the background (afa.console.training).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from babel import Locale
from babel.numbers import format_percent
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from afa import LANGUAGES, audit, training_runs
from afa.console import training
from afa.console.auth import actor
from afa.console.faq import title_of  # the topics' names as the FAQ pages show them
from afa.console.i18n import _, current_language
from afa.console.state import console
from afa.db import UnansweredQuestion
from afa.i18n import S_
from afa.review import IGNORE, INTENTS, Reviewed, ReviewError, apply_review, faq_keys
from afa.text import fold
from afa.training_runs import FAILED, RUNNING, SUCCEEDED

bp = Blueprint("review", __name__, url_prefix="/review")
PAGE = 50
OTHER = "other"  # the language of questions in a language the bot does not serve: they can only be ignored
FIELD = "label-"  # the form's select for question 17 is "label-17"

INTENT_LABELS = {
    "greet": S_("Greeting"),
    "goodbye": S_("Goodbye"),
    "thank": S_("Thanks"),
    "affirm": S_("Yes, agreement"),
    "deny": S_("No, refusal"),
    "bot_challenge": S_("Asks whether a person is writing"),
    "help": S_("Asks for help (what can the bot do?)"),
    "out_of_scope": S_("Off topic"),
    "ask_offers": S_("Looks for offers (courses, jobs)"),
    "inform": S_("Tells about their situation (district, group, language)"),
    "request_coach": S_("Wants to talk to a coach"),
    "change_language": S_("Wants another language"),
    "more_offers": S_("Wants to see more offers"),
    "ask_privacy": S_("Asks what is stored about them"),
    "request_deletion": S_("Wants their data deleted"),
    "request_data_copy": S_("Wants a copy of their data"),
    "legal_advice": S_("Legal or official question (Bürgergeld, residence, insurance)"),
    "faq": S_("Question about the programme"),
    "nlu_fallback": S_("Not understood"),
}


def label_text(label: Optional[str]) -> str:
    """A label or a guess as staff read it: "FAQ: Funding", "Greeting"; unknown names as they are."""
    if not label:
        return "–"
    if label.startswith("faq/"):
        return _("FAQ: {topic}", topic=title_of(label[4:]))
    if label == IGNORE:
        return _("ignore")
    return _(INTENT_LABELS[label]) if label in INTENT_LABELS else label


def language_name(code: str) -> str:
    if code == OTHER:
        return _("another language")
    return Locale.parse(current_language()).languages.get(code, code)


def _choices(keys: list[str]) -> dict[str, list[tuple[str, str]]]:
    """The select's groups: intents, FAQ topics (those in the database), ignore."""
    return {
        _("Intent"): [(intent, label_text(intent)) for intent in INTENTS],
        _("FAQ topic"): sorted(((f"faq/{key}", title_of(key)) for key in keys), key=lambda c: fold(c[1])),
    }


def _percent(value: Optional[float]) -> str:
    return "–" if value is None else format_percent(value, locale=current_language())


def _filters() -> tuple[str, int]:
    language = request.values.get("language", "")
    language = language if language in (*LANGUAGES, OTHER) else ""
    return language, max(request.values.get("page", 1, type=int) or 1, 1)


def _queue(language: str, page: int) -> dict[str, Any]:
    with console().session() as s:
        where = [UnansweredQuestion.language == language] if language else []
        total = s.scalar(select(func.count()).select_from(UnansweredQuestion).where(*where)) or 0
        pages = max((total + PAGE - 1) // PAGE, 1)
        page = min(page, pages)
        rows = list(s.scalars(select(UnansweredQuestion).where(*where)
                              .order_by(UnansweredQuestion.created_at, UnansweredQuestion.id)
                              .offset((page - 1) * PAGE).limit(PAGE)))
        keys = faq_keys(s)
        run = training_runs.latest(s)
    return {"rows": rows, "total": total, "page": page, "pages": pages, "language": language, "keys": keys, "run": run}


def _page(language: str, page: int, chosen: Optional[dict[int, str]] = None, invalid: Optional[dict[int, list[str]]] = None,
          problems: Optional[list[str]] = None, status: int = 200):  # type: ignore[no-untyped-def]
    queue = _queue(language, page)
    params = {"language": language} if language else {}
    pager = {
        "back": url_for("review.index", page=queue["page"] - 1, **params) if queue["page"] > 1 else None,
        "more": url_for("review.index", page=queue["page"] + 1, **params) if queue["page"] < queue["pages"] else None,
    }
    return render_template(
        "review/index.html", **queue, pager=pager, choices=_choices(queue["keys"]), chosen=chosen or {},
        invalid=invalid or {}, problems=problems or [], languages=[(c, language_name(c)) for c in (*LANGUAGES, OTHER)],
        label_text=label_text, language_name=language_name, percent=_percent, served=LANGUAGES, IGNORE=IGNORE,
        RUNNING=RUNNING,
    ), status


@bp.route("/")
def index():  # type: ignore[no-untyped-def]
    """The queue, oldest first, a page at a time, optionally one language."""
    language, page = _filters()
    return _page(language, page)


@bp.route("/", methods=["POST"])
def label():  # type: ignore[no-untyped-def]
    """Save every labelled question of the page (editors); questions left "open" stay in the queue."""
    language, page = _filters()
    chosen: dict[int, str] = {}
    for name, value in request.form.items():
        if name.startswith(FIELD) and name[len(FIELD):].isascii() and name[len(FIELD):].isdigit() and value.strip():
            chosen[int(name[len(FIELD):])] = value.strip()
    if len(chosen) > PAGE:  # a page has at most PAGE questions: anything more was not sent by this form
        abort(400)
    if not chosen:
        flash(_("You have not chosen a label for any question."), "warning")
        return redirect(url_for("review.index", page=page, **({"language": language} if language else {})))
    try:
        with console().session() as s:
            rows = list(s.scalars(select(UnansweredQuestion).where(UnansweredQuestion.id.in_(sorted(chosen)))))
            items = [Reviewed(f"question {q.id}", q.language, q.text, chosen[q.id], q.id)
                     for q in sorted(rows, key=lambda q: q.id)]
            result = apply_review(s, items, console().settings.nlu_dir)
            if result.labels:
                audit.record(s, actor(), "labelled", "review", "", after=dict(sorted(result.labels.items())))
    except ReviewError as exc:
        invalid = {int(where.split()[-1]): columns for where, columns in exc.invalid.items()}
        technical = [e for e in exc.errors if not any(e.startswith(f"{where},") for where in exc.invalid)]
        general = [_("The training data cannot be read, so nothing was saved. Please tell the technical team. "
                     "Technical detail:"), *technical] if technical else []
        return _page(language, page, chosen, invalid, general, status=400)
    flash(_("Saved. Questions reviewed: {count}; new training examples: {added}; already known: {duplicates}; "
            "ignored: {ignored}. The bot learns the new examples with \u201cTrain and publish\u201d.",
            count=result.deleted, added=result.added, duplicates=result.duplicates, ignored=result.ignored), "success")
    if gone := len(chosen) - result.deleted:  # reviewed by a colleague between loading the page and now
        flash(_("Already reviewed by someone else meanwhile: {count}.", count=gone), "info")
    return redirect(url_for("review.index", page=page, **({"language": language} if language else {})))


def _log_dir() -> Path:
    return Path(current_app.config.get("AFA_TRAINING_LOG_DIR") or console().settings.root / "var" / "log")


@bp.route("/train", methods=["POST"])
def train():  # type: ignore[no-untyped-def]
    """Start "train and publish" in the background (editors), or say that a training is still running."""
    state = console()
    started = training.start(state.settings, state.engine, actor(), _log_dir())
    if started.run is None:
        by = started.running.started_by if started.running is not None else ""
        flash(_("A training is already running (started by {name}). Please wait until it has finished.", name=by),
              "warning")
    return redirect(url_for("review.training_status"))


@bp.route("/training")
def training_status():  # type: ignore[no-untyped-def]
    """The latest run: progress while it runs (the page reloads itself every 3 seconds), then the result."""
    with console().session() as s:
        run = training_runs.latest(s)
        waiting = s.scalar(select(func.count()).select_from(UnansweredQuestion)) or 0
    lines = training.tail(training.log_path(_log_dir(), run)) if run is not None else []
    detail = run.detail.splitlines() if run is not None and run.status == FAILED else []
    seconds = training.elapsed(run) if run is not None else 0
    return render_template(
        "review/training.html", run=run, lines=lines, detail=detail, reason=training.reason(detail),
        minutes=seconds // 60, seconds=seconds % 60, waiting=waiting, model_name=Path(run.model).name if run and run.model else "",
        RUNNING=RUNNING, SUCCEEDED=SUCCEEDED, FAILED=FAILED, REUSED=training.REUSED,
        may_train=current_user.may("editor"),
    )
