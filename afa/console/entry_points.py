"""Campaign entry points: the list with this month's conversations, create, deactivate, QR codes and flyers.

Every role sees the list and downloads QR codes and flyers; editors and administrators create and deactivate
(the app's guard refuses writes to viewers). The plain payloads (`marxloh`, `hochfeld_tr`, `ro`) are listed too:
they need no entry point and have QR codes and flyers of their own.
"""
from __future__ import annotations

from typing import Any, Optional

from babel.dates import format_date
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField

from afa import audit
from afa.console.auth import actor
from afa.console.i18n import _, _l, current_language
from afa.console.offers import DISTRICT_LABELS, LANGUAGE_LABELS
from afa.console.problems import texts
from afa.console.state import console
from afa.content.tables import Text, cell
from afa.reach import entry_points, payloads
from afa.reach.flyer import FlyerError, UnknownPayload, material

bp = Blueprint("entry_points", __name__, url_prefix="/entry-points")
# The download's name in the address → what `material` makes.
DOWNLOADS = {"qr.png": "png", "qr.svg": "svg", "flyer-a4.pdf": "a4", "flyer-a6.pdf": "a6"}


class AnyChoice(SelectField):
    """A select whose value the entry-point rules check (a clear German message), not WTForms ("Not a valid choice")."""

    def pre_validate(self, form) -> None:  # type: ignore[no-untyped-def]
        pass


class EntryPointForm(FlaskForm):
    name = StringField(_l("Name"), render_kw={"maxlength": entry_points.NAME_LIMIT, "autocomplete": "off",
                                              "placeholder": _l("e.g. Mosque Marxloh, notice board")})
    district = AnyChoice(_l("District"), choices=[(v, _l(label)) for v, label in DISTRICT_LABELS.items()])
    language = AnyChoice(_l("Language of the flyer (besides German)"),
                         choices=[(v, _l(label)) for v, label in LANGUAGE_LABELS.items()])


def _link(payload: str) -> str:
    username = console().settings.telegram_bot_username
    return payloads.telegram_link(username, payload) if username else ""


def _page(form: EntryPointForm, problems: Optional[list[str]] = None,  # type: ignore[no-untyped-def]
          status: int = 200):
    with console().session() as s:
        listed = entry_points.listing(s)
        plain = entry_points.plain_payloads()
        plain_counts = entry_points.counts_this_month(s, plain)
    settings = console().settings
    month = format_date(entry_points.month_start(), "long", locale=current_language())
    labels: dict[str, dict[str, Any]] = {"districts": {k: _(v) for k, v in DISTRICT_LABELS.items()},
                                         "languages": {k: _(v) for k, v in LANGUAGE_LABELS.items()}}
    plain_rows = []
    for payload in plain:
        link = payloads.parse(payload)
        assert link is not None
        plain_rows.append((link, plain_counts[payload]))
    return render_template("entry_points/index.html", form=form, problems=problems or [], listed=listed,
                           plain_rows=plain_rows, link=_link, labels=labels, month=month,
                           username=settings.telegram_bot_username, webchat=settings.webchat_public_url,
                           may_write=current_user.may("editor")), status


@bp.route("/")
def index():  # type: ignore[no-untyped-def]
    return _page(EntryPointForm(formdata=None))


@bp.route("/new", methods=["POST"])
def create():  # type: ignore[no-untyped-def]
    """One new entry point and one audit entry; wrong input: the page again with German messages, nothing saved."""
    form = EntryPointForm()
    name, district, language = (str(form.name.data or ""), str(form.district.data or ""),
                                str(form.language.data or ""))
    try:
        with console().session() as s:
            entry = entry_points.create(s, name, district, language, actor())
            after = {"name": entry.name, "district": entry.district, "language": entry.language,
                     "payload": entry.payload}
            audit.record(s, actor(), "created", "entry_point", entry.payload, after=after)
    except entry_points.EntryPointInvalid as exc:
        for problem in exc.problems:
            if problem.field in form:
                field = form[problem.field]
                field.errors = [*field.errors, Text(problem.message, **problem.params).render(_)]
        return _page(form, texts(exc.problems), status=422)
    flash(_("Entry point “{name}” created: its link ends in ?start={payload}.", name=after["name"],
            payload=after["payload"]), "success")
    return redirect(url_for("entry_points.index"))


@bp.route("/<payload>/deactivate", methods=["POST"])
def deactivate(payload: str):  # type: ignore[no-untyped-def]
    """Deactivate (active=false, the default) or reactivate (active=true); the entry point and its counts stay."""
    active = request.form.get("active", "false") == "true"
    with console().session() as s:
        was = entry_points.set_active(s, payload, active)
        if was is None:
            abort(404)
        if was != active:
            audit.record(s, actor(), "changed", "entry_point", payload.lower(), before={"active": cell(was)},
                         after={"active": cell(active)})
    flash(_("The entry point {payload} is active again.", payload=payload.lower()) if active else
          _("The entry point {payload} is deactivated: what starts through its link now counts under its district "
            "and language.", payload=payload.lower()), "success")
    return redirect(url_for("entry_points.index"))


@bp.route("/<payload>/<download>")
def download(payload: str, download: str):  # type: ignore[no-untyped-def]
    """QR code (PNG, SVG) or flyer (A4, A6 PDF) of an entry point or a plain payload."""
    kind = DOWNLOADS.get(download)
    if kind is None:
        abort(404)
    try:
        with console().session() as s:
            made = material(s, console().settings, payload, kind)
    except FlyerError as exc:
        unknown = isinstance(exc, UnknownPayload)
        code = 404 if unknown else 409
        title = _("Not found") if unknown else _("The flyer cannot be made")
        return render_template("error.html", title=title, text=exc.text.render(_), code=code), code
    response = Response(made.data, mimetype=made.mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{made.filename}"'
    return response
