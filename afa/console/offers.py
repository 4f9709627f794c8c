"""Offers: a list with search and filters, create, edit, copy, deactivate, and the bot's card as a preview.

A form is checked by exactly the rules of `afa content import`: its strings become one row of kind "offers"
for `validate_tables`, and a valid offer is written by `afa.content.store.save_offer`, as an import writes it.
The bot reads offers from the database on every turn, so a saved change shows in its next reply.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Optional

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session, aliased
from wtforms import BooleanField, EmailField, SelectMultipleField, StringField, TextAreaField
from wtforms.widgets import CheckboxInput, DateInput, ListWidget

from afa import DISTRICTS, LANGUAGES, TARGET_GROUPS, TOPICS, audit
from afa.console.auth import actor
from afa.console.i18n import _, _l
from afa.console.problems import problem_texts
from afa.console.state import console
from afa.content.schema import KINDS
from afa.content.store import offer_row, save_offer, set_offer_active
from afa.content.tables import Row, Tables, Text, cell
from afa.content.validation import validate_tables
from afa.db import Offer, OfferDistrict, OfferLanguage, OfferTargetGroup, OfferText, OfferTopic
from afa.i18n import S_
from afa.offers import OfferDraft, render_card

bp = Blueprint("offers", __name__, url_prefix="/offers")
PAGE = 50

DISTRICT_LABELS = {"marxloh": S_("Marxloh"), "hochfeld": S_("Hochfeld")}
TARGET_GROUP_LABELS = {
    "benefits": S_("People on benefits"),
    "unregistered": S_("People not registered anywhere"),
    "women": S_("Women returning to work or without work experience"),
    "youth": S_("Young people without school degree or apprenticeship"),
    "school_transition": S_("Pupils at the school-to-work transition"),
    "migrants": S_("Immigrants and refugees"),
}
# Shorter, for the list and its filter.
TARGET_GROUP_SHORT = {
    "benefits": S_("Benefits"), "unregistered": S_("Not registered"), "women": S_("Women"), "youth": S_("Young people"),
    "school_transition": S_("School to work"), "migrants": S_("Immigrants, refugees"),
}
LANGUAGE_LABELS = {"de": S_("German"), "tr": S_("Turkish"), "bg": S_("Bulgarian"), "ro": S_("Romanian")}
# What kind of offer: the bot shows the topic a person asks for first ("Almanca kursu var mı?").
TOPIC_LABELS = {
    "german": S_("German and other language courses"),
    "computer": S_("Computer and smartphone"),
    "application": S_("Applications (CV, letters, interviews)"),
    "internship": S_("Internships and trial work"),
    "recognition": S_("Recognition of qualifications from abroad"),
    "qualification": S_("Vocational training and retraining"),
    "jobs": S_("Vacancies and job cafés"),
}
TOPIC_SHORT = {
    "german": S_("Language courses"), "computer": S_("Computer"), "application": S_("Applications"),
    "internship": S_("Internships"), "recognition": S_("Recognition"), "qualification": S_("Training"),
    "jobs": S_("Jobs"),
}
LABELS = {"districts": DISTRICT_LABELS, "target_groups": TARGET_GROUP_SHORT, "languages": LANGUAGE_LABELS,
          "topics": TOPIC_SHORT}
assert tuple(DISTRICT_LABELS) == DISTRICTS and tuple(TARGET_GROUP_LABELS) == tuple(TARGET_GROUP_SHORT) == TARGET_GROUPS
assert tuple(LANGUAGE_LABELS) == LANGUAGES and tuple(TOPIC_LABELS) == tuple(TOPIC_SHORT) == TOPICS
LISTS = ("districts", "target_groups", "languages", "topics")
COLUMNS = KINDS["offers"]


# --- the form ---------------------------------------------------------------------------------------------
class Checkboxes(SelectMultipleField):
    """One checkbox per canonical value; unknown values are left to the content rules, not refused here."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form) -> None:  # type: ignore[no-untyped-def]
        pass


def _choices(labels: dict[str, str]) -> list[tuple[str, Any]]:
    return [(value, _l(label)) for value, label in labels.items()]


class OfferForm(FlaskForm):
    """The columns of the offers sheet (afa/content/schema.py); the content rules check them, not WTForms."""

    key = StringField(_l("Key"), render_kw={"maxlength": 100, "autocomplete": "off"})
    provider = StringField(_l("Provider"), render_kw={"maxlength": 300})
    address = StringField(_l("Address"), render_kw={"maxlength": 300})
    districts = Checkboxes(_l("Districts"), choices=_choices(DISTRICT_LABELS))
    target_groups = Checkboxes(_l("Target groups"), choices=_choices(TARGET_GROUP_LABELS))
    languages = Checkboxes(_l("Languages spoken in the offer"), choices=_choices(LANGUAGE_LABELS))
    topics = Checkboxes(_l("Topics"), choices=_choices(TOPIC_LABELS))
    contact_phone = StringField(_l("Phone"), render_kw={"maxlength": 64, "type": "tel"})
    contact_email = EmailField(_l("E-mail"), render_kw={"maxlength": 200})
    schedule = StringField(_l("Times"))
    cost = StringField(_l("Cost in euros"), render_kw={"inputmode": "decimal"})
    valid_from = StringField(_l("Valid from"), widget=DateInput())
    valid_until = StringField(_l("Valid until"), widget=DateInput())
    example = BooleanField(_l("Example offer (invented, for demonstration)"))
    active = BooleanField(_l("Active (the bot shows it)"), default=True)


for _language in LANGUAGES:
    setattr(OfferForm, f"title_{_language}", StringField(_l("Title"), render_kw={"maxlength": 300, "lang": _language}))
    setattr(OfferForm, f"summary_{_language}",
            TextAreaField(_l("Short description"), render_kw={"maxlength": 500, "rows": 3, "lang": _language}))
    setattr(OfferForm, f"details_{_language}", TextAreaField(_l("Details"), render_kw={"rows": 6, "lang": _language}))


def _form_data(row: dict[str, str]) -> dict[str, Any]:
    """A stored offer (export strings) as the form's data."""
    data: dict[str, Any] = dict(row)
    for name in LISTS:
        data[name] = [v.strip() for v in row[name].split(",") if v.strip()]
    for name in ("example", "active"):
        data[name] = row[name] == "true"
    return data


def _values(form: OfferForm, key: Optional[str] = None) -> dict[str, str]:
    """The form as the strings a spreadsheet row holds, for the content rules."""
    values = {}
    for column in COLUMNS:
        data = form[column.name].data
        if column.type == "bool":
            values[column.name] = "true" if data else "false"
        elif column.name in LISTS:
            values[column.name] = ", ".join(data or [])
        else:
            values[column.name] = data or ""
    if key is not None:
        values["key"] = key  # an offer keeps its key; a copy or a new offer gets a new one
    return values


@dataclass
class Checked:
    record: Optional[dict[str, Any]]
    problems: list[str]


def _check(form: OfferForm, values: dict[str, str]) -> Checked:
    """The rules of `afa content import` for one row; problems go to the top and to their fields."""
    validated = validate_tables(Tables(rows={"offers": [Row(_("Form"), 1, values)]}))
    if not validated.problems:
        return Checked(validated.records["offers"][0], [])
    for problem in validated.problems:
        if problem.field in form:  # under the field, what is wrong without where (the field says where)
            field = form[problem.field]
            field.errors = [*field.errors, Text(problem.message, **problem.params).render(_)]
    return Checked(None, problem_texts(validated))


def _previews(record: dict[str, Any]) -> list[tuple[str, str]]:
    draft = OfferDraft.of(record)
    return [(_(LANGUAGE_LABELS[language]), render_card(draft, language)) for language in LANGUAGES]


def _render_form(form: OfferForm, mode: str, key: Optional[str] = None, problems: Optional[list[str]] = None,
                 previews: Optional[list[tuple[str, str]]] = None, stored: Optional[dict[str, str]] = None,
                 status: int = 200):  # type: ignore[no-untyped-def]
    action = url_for("offers.edit", key=key) if mode == "edit" else url_for("offers.new")
    ended = bool(stored and stored["valid_until"] and stored["valid_until"] < date.today().isoformat())
    return render_template("offers/form.html", form=form, mode=mode, key=key, action=action, problems=problems or [],
                           previews=previews, stored=stored, ended=ended, languages=LANGUAGES,
                           language_labels=LANGUAGE_LABELS, may_write=current_user.may("editor")), status


def _submit(form: OfferForm, mode: str, key: Optional[str], stored: Optional[dict[str, str]]):  # type: ignore[no-untyped-def]
    """Preview (nothing written) or save (one offer, one audit entry) the posted form."""
    values = _values(form, key if mode == "edit" else None)
    checked = _check(form, values)
    if checked.record is None:
        return _render_form(form, mode, key, checked.problems, stored=stored, status=422)
    if "save" not in request.form:
        return _render_form(form, mode, key, previews=_previews(checked.record), stored=stored)
    with console().session() as s:
        # A new offer (or a copy) never replaces another: its key is checked in the transaction that saves it.
        if mode != "edit" and offer_row(s, values["key"]) is not None:
            taken = _("An offer with the key {key} exists already. Please choose another key.", key=values["key"])
            form.key.errors = [*form.key.errors, taken]
            return _render_form(form, mode, key, [taken], stored=stored, status=422)
        before, after = save_offer(s, checked.record)
        if before is None:
            audit.record(s, actor(), "created", "offer", after["key"], after=after)
        else:
            old, new = audit.changed_fields(before, after)
            if new:
                audit.record(s, actor(), "changed", "offer", after["key"], before=old, after=new)
    if before is not None and before == after:
        flash(_("Nothing changed."), "success")
    else:
        flash(_("Saved. The bot shows the offer like this from its next reply on."), "success")
    return redirect(url_for("offers.edit", key=after["key"]))


# --- the list ---------------------------------------------------------------------------------------------
YES_NO = ("yes", "no")


@dataclass(frozen=True)
class Filters:
    q: str = ""
    district: str = ""
    group: str = ""
    topic: str = ""
    language: str = ""
    active: str = ""
    example: str = ""
    ended: str = ""

    @classmethod
    def of(cls, args) -> "Filters":  # type: ignore[no-untyped-def]
        def one(name: str, allowed: tuple[str, ...]) -> str:
            value = args.get(name, "")
            return value if value in allowed else ""

        return cls(q=args.get("q", "").strip()[:200], district=one("district", DISTRICTS),
                   group=one("group", TARGET_GROUPS), topic=one("topic", TOPICS), language=one("language", LANGUAGES),
                   active=one("active", YES_NO), example=one("example", YES_NO), ended=one("ended", YES_NO))

    def params(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v}

    def apply(self, query, today: date):  # type: ignore[no-untyped-def]
        """The filters as SQL conditions (bound parameters; LIKE wildcards in the search text are escaped)."""
        if self.q:
            escaped = self.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            pattern = f"%{escaped}%"
            text = aliased(OfferText)  # the list joins the German title: the search looks at every language
            titled = exists().where(text.offer_id == Offer.id, text.title.ilike(pattern, escape="\\"))
            query = query.where(or_(Offer.key.ilike(pattern, escape="\\"), Offer.provider.ilike(pattern, escape="\\"),
                                    titled))
        for value, table, column in ((self.district, OfferDistrict, OfferDistrict.district),
                                     (self.group, OfferTargetGroup, OfferTargetGroup.target_group),
                                     (self.topic, OfferTopic, OfferTopic.topic),
                                     (self.language, OfferLanguage, OfferLanguage.language)):
            if value:
                query = query.where(exists().where(table.offer_id == Offer.id, column == value))
        for value, column in ((self.active, Offer.active), (self.example, Offer.example)):
            if value:
                query = query.where(column.is_(value == "yes"))
        ended = and_(Offer.valid_until.isnot(None), Offer.valid_until < today)
        if self.ended == "yes":
            query = query.where(ended)
        elif self.ended == "no":
            query = query.where(~ended)
        return query


@dataclass
class Line:
    key: str
    title: str
    provider: str
    example: bool
    active: bool
    ended: bool
    districts: list[str]
    target_groups: list[str]
    languages: list[str]
    topics: list[str]


def _page(session: Session, filters: Filters, page: int, today: date) -> tuple[list[Line], int]:
    """One page of offers (only the columns shown, the German title joined), how many match, and one query per list
    for the whole page. A text search counts with the page (a window count: one pass over the costly matching);
    otherwise a count of its own is cheaper, as the page itself then comes straight from the key's index."""
    german = and_(OfferText.offer_id == Offer.id, OfferText.language == "de")
    columns = [Offer.id, Offer.key, Offer.provider, Offer.example, Offer.active, Offer.valid_until, OfferText.title]
    if filters.q:
        columns.append(func.count().over().label("total"))
    query = select(*columns).select_from(Offer).outerjoin(OfferText, german)
    query = filters.apply(query, today).order_by(Offer.key).offset((page - 1) * PAGE).limit(PAGE)
    found = session.execute(query).all()
    if filters.q and found:
        total = int(found[0].total)
    else:  # no search, or past the last page (where the window count is not there)
        total = session.scalar(filters.apply(select(func.count()).select_from(Offer), today)) or 0
    lines = {row.id: Line(row.key, row.title or "", row.provider, bool(row.example), bool(row.active),
                          row.valid_until is not None and row.valid_until < today, [], [], [], [])
             for row in found}
    if lines:
        for table, column, name in ((OfferDistrict, OfferDistrict.district, "districts"),
                                    (OfferTargetGroup, OfferTargetGroup.target_group, "target_groups"),
                                    (OfferLanguage, OfferLanguage.language, "languages"),
                                    (OfferTopic, OfferTopic.topic, "topics")):
            order = list(LABELS[name])
            values = session.execute(select(table.offer_id, column).where(table.offer_id.in_(list(lines)))).all()
            for offer_id, value in sorted(values, key=lambda v: order.index(v[1]) if v[1] in order else len(order)):
                getattr(lines[offer_id], name).append(value)
    return list(lines.values()), total


@bp.route("/")
def index():  # type: ignore[no-untyped-def]
    filters = Filters.of(request.args)
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    with console().session() as s:
        lines, total = _page(s, filters, page, date.today())
    params = filters.params()
    more = url_for("offers.index", page=page + 1, **params) if page * PAGE < total else None
    back = url_for("offers.index", page=page - 1, **params) if page > 1 else None
    labels = {name: {value: _(label) for value, label in texts.items()} for name, texts in LABELS.items()}  # once
    return render_template("offers/index.html", lines=lines, total=total, page=page, pages=max(1, -(-total // PAGE)),
                           filters=filters, more=more, back=back, labels=labels, may_write=current_user.may("editor"))


# --- create, edit, copy, deactivate -----------------------------------------------------------------------
def _writers_only() -> None:
    if not current_user.may("editor"):
        abort(403)


@bp.route("/new", methods=["GET", "POST"])
def new():  # type: ignore[no-untyped-def]
    _writers_only()
    form = OfferForm()
    if request.method == "POST":
        return _submit(form, "new", None, None)
    return _render_form(form, "new")


@bp.route("/<key>", methods=["GET", "POST"])
def edit(key: str):  # type: ignore[no-untyped-def]
    with console().session() as s:
        stored = offer_row(s, key)
    if stored is None:
        abort(404)
    if request.method == "POST":
        return _submit(OfferForm(), "edit", key, stored)
    return _render_form(OfferForm(data=_form_data(stored)), "edit", key, stored=stored)


def _free_key(session: Session, key: str) -> str:
    """`key-kopie`, or `key-kopie-2`, ...: the first key no offer has."""
    base = f"{key[:88]}-kopie"
    taken = set(session.scalars(select(Offer.key).where(Offer.key.startswith(base, autoescape=True))))
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


@bp.route("/<key>/copy")
def copy(key: str):  # type: ignore[no-untyped-def]
    """The form for a new offer, filled in from this one under a new key; nothing is saved until Save."""
    _writers_only()
    with console().session() as s:
        stored = offer_row(s, key)
        if stored is None:
            abort(404)
        new_key = _free_key(s, key)
    form = OfferForm(data={**_form_data(stored), "key": new_key})
    flash(_("A copy of {key}: change what differs, then save. Nothing is saved yet.", key=key), "success")
    return _render_form(form, "copy", key)


@bp.route("/<key>/deactivate", methods=["POST"])
def deactivate(key: str):  # type: ignore[no-untyped-def]
    """Deactivate (active=false, the default) or reactivate (active=true) an offer; it is kept either way."""
    active = request.form.get("active", "false") == "true"
    with console().session() as s:
        was = set_offer_active(s, key, active)
        if was is None:
            abort(404)
        if was != active:
            audit.record(s, actor(), "changed", "offer", key, before={"active": cell(was)}, after={"active": cell(active)})
    flash(_("The offer is active again: the bot shows it.") if active
          else _("The offer is deactivated: the bot no longer shows it."), "success")
    return redirect(url_for("offers.edit", key=key))
