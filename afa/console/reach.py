"""Reach dashboard (every role): whom the bot reaches, as charts (server-side SVG) with a table under each, and
the export of the same figures (.xlsx, .csv; exact, or protected for reports outside the programme).

The figures come from the anonymous counters only (afa.reach.report); they count conversations, not people.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from datetime import date
from typing import Any, Optional

from babel.numbers import format_percent, get_group_symbol
from flask import Blueprint, Response, render_template, request, url_for
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import SelectField, StringField
from wtforms.widgets import DateInput

from afa import DISTRICTS, LANGUAGES, TARGET_GROUPS
from afa.console.i18n import _, _l, current_language
from afa.console.state import console
from afa.i18n import S_
from afa.reach import charts
from afa.reach.export import FORMATS, export_bytes, export_rows, week_label
from afa.reach.labels import (CHANNEL_LABELS, HELPFUL_ANSWERS, HELPFUL_CONTEXTS, METRIC_LABELS, NO_ENTRY_POINT,
                              WAIT_LABELS, label, topic_label, translator)
from afa.reach.report import (NONE, Filters, Problem, Report, build_report, describe, known_entry_points, local_today,
                              plain_payloads, read_filters, value_name)
from afa.reach.tables import CHANNELS, WAIT_BUCKETS

bp = Blueprint("reach", __name__, url_prefix="/reach")
DAILY_DAYS = 92  # up to this many days the deletions are drawn per day, beyond per week
COUNTED = S_("Conversations, not people: everything here counts conversations (or searches, messages), never persons.")


class ReachForm(FlaskForm):
    """The period and the filters (GET, no CSRF token: nothing is changed)."""

    class Meta:
        csrf = False

    start = StringField(_l("From"), widget=DateInput())
    end = StringField(_l("To"), widget=DateInput())
    channel = SelectField(_l("Channel"), validate_choice=False)
    language = SelectField(_l("Language"), validate_choice=False)
    district = SelectField(_l("District"), validate_choice=False)
    target_group = SelectField(_l("Target group"), validate_choice=False)
    entry_point = SelectField(_l("Entry point"), validate_choice=False)


@dataclass
class Figure:
    """One chart with the table of its figures."""

    id: str
    heading: str
    svg: Markup
    caption: str
    head: list[str]
    rows: list[list[Any]]
    foot: Optional[list[Any]] = None
    note: str = ""
    numeric: int = 1  # columns from this one on are numbers (right-aligned)
    extra: list[str] = field(default_factory=list)


def number(value: int) -> str:
    """A count with the console language's digit grouping ("12.345"); Babel's symbol, Python's grouping (a page
    holds a thousand figures, and Babel's full number formatting costs a tenth of a millisecond each)."""
    return f"{value:,}".replace(",", _group_symbol(current_language()))


@lru_cache(maxsize=None)
def _group_symbol(language: str) -> str:
    return get_group_symbol(language)


def share(part: int, whole: int) -> str:
    return format_percent(part / whole, locale=current_language()) if whole else "–"


def _form(campaigns: dict[str, str]) -> ReachForm:
    form = ReachForm(request.args)
    everything = [("", _("all"))]
    form.channel.choices = everything + [(c, label(CHANNEL_LABELS, c, _)) for c in CHANNELS]
    form.language.choices = everything + [(code, value_name("language", code, _, {})) for code in LANGUAGES]
    form.district.choices = everything + [(d, value_name("district", d, _, {})) for d in DISTRICTS]
    form.target_group.choices = everything + [(g, value_name("target_group", g, _, {})) for g in TARGET_GROUPS]
    form.entry_point.choices = (everything + [(NONE, _(NO_ENTRY_POINT))]
                                + [(payload, f"{name} ({payload})") for payload, name in campaigns.items()]
                                + [(payload, _("Link {payload}", payload=payload)) for payload in plain_payloads()
                                   if payload not in campaigns])
    return form


def _filters(campaigns: dict[str, str], form: ReachForm) -> tuple[Optional[Filters], list[Problem]]:
    filters, problems = read_filters(request.args, today=local_today(), entry_points=campaigns)
    for problem in problems:
        form[problem.field].errors = [*form[problem.field].errors, problem.render(_)]
    if filters is not None and not request.args.get("start"):
        form.start.data = filters.start.isoformat()
    if filters is not None and not request.args.get("end"):
        form.end.data = filters.end.isoformat()
    return filters, problems


def _invalid(form: ReachForm, problems: list[Problem]):  # type: ignore[no-untyped-def]
    """The form with the German messages, status 400, and no figures (nothing is computed from bad input)."""
    return render_template("reach/index.html", form=form, problems=[p.render(_) for p in problems], figures=[],
                           report=None, key_figures=[], exports=[], description=""), 400


@bp.route("/")
def index():  # type: ignore[no-untyped-def]
    with console().session() as s:
        campaigns = known_entry_points(s)
        form = _form(campaigns)
        filters, problems = _filters(campaigns, form)
        if filters is None:
            return _invalid(form, problems)
        report = build_report(s, filters)
    params = filters.params()
    exports = [
        (_("Exact figures, for use within the programme"),
         [(suffix, url_for("reach.export", suffix=suffix[1:], **params)) for suffix in FORMATS]),
        (_("For reports outside the programme: figures under 5 and what would give them away replaced by “x”"),
         [(suffix, url_for("reach.export", suffix=suffix[1:], public="1", **params)) for suffix in FORMATS]),
    ]
    return render_template("reach/index.html", form=form, problems=[], report=report, figures=figures(report, campaigns),
                           key_figures=key_figures(report), description=describe(filters, _, campaigns),
                           exports=exports)


@bp.route("/export.<suffix>")
def export(suffix: str):  # type: ignore[no-untyped-def]
    """The figures as a file: exact, or with `public=1` protected for reports outside the programme."""
    public = request.args.get("public") == "1"
    with console().session() as s:
        campaigns = known_entry_points(s)
        form = _form(campaigns)
        if f".{suffix}" not in FORMATS:
            return _invalid(form, [Problem("start", S_("Only .xlsx and .csv files can be exported."))])
        filters, problems = _filters(campaigns, form)
        if filters is None:
            return _invalid(form, problems)
        report = build_report(s, filters)
    german = translator("de")  # a document for reports: German whatever the account's language, as `afa reach export`
    rows = export_rows(report, public=public, t=german, campaigns=campaigns, today=local_today())
    data = export_bytes(rows, f".{suffix}", german)
    name = f"reichweite_{filters.start.isoformat()}_{filters.end.isoformat()}{'_geschuetzt' if public else ''}.{suffix}"
    mimetype = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" if suffix == "xlsx"
                else "text/csv; charset=utf-8")
    return Response(data, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'})


# --- what the page shows ----------------------------------------------------------------------------------
def key_figures(report: Report) -> list[tuple[str, str]]:
    f = report.totals
    keys = ("conversations", "conversation_started", "conversation_returning", "message", "offer_search",
            "searches_with_offers", "offer_no_match", "offers_shown", "coach_request", "handover_accepted",
            "handover_ended", "unanswered", "helpful_yes", "helpful_no", "deletions")
    return [(label(METRIC_LABELS, key, _), number(f[key])) for key in keys]


def figures(report: Report, campaigns: dict[str, str]) -> list[Figure]:
    counted = _(COUNTED)
    empty = _("No figures in this period.")
    return [_weekly(report, counted, empty), _districts(report, counted, empty, campaigns),
            _funnel(report, counted, empty), _waits(report, counted, empty, campaigns),
            _unanswered(report, counted, empty), _helpful(report, counted, empty),
            _deletions(report, counted, empty)]


def _week_short(week: date, years: int) -> str:
    year, number_, _weekday = week.isocalendar()
    return _("W{week}", week=f"{number_:02d}") if years == 1 else f"{number_:02d}/{year % 100:02d}"


def _weekly(report: Report, counted: str, empty: str) -> Figure:
    names = [value_name("language", code, _, {}) for code in report.languages]
    years = len({week.isocalendar()[0] for week in report.weeks})
    total = sum(report.week_total(week) for week in report.weeks)
    title = _("Conversations per calendar week, by language")
    desc = _("{total} conversations in {weeks} calendar weeks, stacked by language. The table below the chart holds "
             "every figure.", total=number(total), weeks=len(report.weeks))
    svg = charts.stacked_bars(chart_id="reach-weekly", title=title, desc=desc, counted=counted,
                              categories=[_week_short(week, years) for week in report.weeks],
                              series=[(name, [report.conversations.get((week, code), 0) for week in report.weeks])
                                      for name, code in zip(names, report.languages)],
                              axis_label=_("Conversations"), fmt=number, empty=empty)
    rows = []
    for week in report.weeks:
        label_ = week_label(week, _) + (" *" if report.partial(week) else "")
        rows.append([label_, *[number(report.conversations.get((week, code), 0)) for code in report.languages],
                     number(report.week_total(week))])
    foot = [_("Total"), *[number(report.language_total(code)) for code in report.languages], number(total)]
    note = _("* only part of this week lies in the period.") if any(report.partial(w) for w in report.weeks) else ""
    return Figure("weekly", title, Markup(svg), title, [_("Week"), *names, _("Total")], rows, foot, note)


def _districts(report: Report, counted: str, empty: str, campaigns: dict[str, str]) -> Figure:
    total = sum(report.by_district.get(d, 0) for d in report.districts)
    items = [(value_name("district", d, _, campaigns), report.by_district.get(d, 0)) for d in report.districts]
    title = _("Conversations by district")
    desc = _("Conversations per district, {total} in all.", total=number(total))
    svg = charts.bars(chart_id="reach-districts", title=title, desc=desc, counted=counted, groups=[(None, items)],
                      fmt=number, empty=empty, series_of=lambda g, i: i)
    rows = [[name, number(value), share(value, total)] for name, value in items]
    return Figure("districts", title, Markup(svg), title, [_("District"), _("Conversations"), _("Share")], rows,
                  [_("Total"), number(total), share(total, total) if total else "–"])


def _funnel(report: Report, counted: str, empty: str) -> Figure:
    f = report.totals
    names = {"conversations": _("First message (conversations)"),
             "searches_with_offers": _("Offers shown (searches)"),
             "coach_request": _("Coach requested"), "handover_accepted": _("Accepted by a coach")}
    steps = [(names[key], value, _("{share} of the conversations", share=share(value, f["conversations"])) if index
              else "") for index, (key, value) in enumerate(report.funnel())]
    title = _("The way to a coach")
    note = _("Step 2 counts searches that showed offers, not conversations (a conversation can search more than "
             "once).")
    desc = _("From the first message to the coach: {conversations} conversations, {searches} searches with offers "
             "shown, {requests} coach requests, {accepted} accepted.", conversations=number(f["conversations"]),
             searches=number(f["searches_with_offers"]), requests=number(f["coach_request"]),
             accepted=number(f["handover_accepted"]))
    svg = charts.funnel(chart_id="reach-funnel", title=title, desc=desc, counted=counted, steps=steps, note=note,
                        fmt=number, empty=empty)
    rows = [[name, number(value), share(value, f["conversations"])] for name, value, _share in steps]
    rows.append([label(METRIC_LABELS, "offers_shown", _), number(f["offers_shown"]), "–"])
    return Figure("funnel", title, Markup(svg), title, [_("Step"), _("Number"), _("Share of the conversations")],
                  rows)


def _waits(report: Report, counted: str, empty: str, campaigns: dict[str, str]) -> Figure:
    buckets = [_(WAIT_LABELS[bucket]) for bucket in WAIT_BUCKETS]
    teams = [(value_name("team", team, _, campaigns), team) for team in report.teams]
    title = _("Time from coach request to Accept, per team")
    note = _("Of the filters only the period, the district (the team) and the entry point apply here.")
    total = sum(report.wait_total(team) for _name, team in teams)
    median = report.wait_median()
    desc = _("How long people waited for a coach to accept, in time ranges, for {count} accepted handovers.",
             count=number(total))
    svg = charts.histogram(chart_id="reach-waits", title=title, desc=desc, counted=counted, buckets=buckets,
                           panels=[(_("{team} ({count} accepted)", team=name, count=number(report.wait_total(team))),
                                    [report.waits.get((bucket, team), 0) for bucket in WAIT_BUCKETS])
                                   for name, team in teams],
                           axis_label=_("Handovers"), note=note, fmt=number, empty=empty)
    rows = [[name, *[number(report.waits.get((bucket, team), 0)) for _n, team in teams],
             number(sum(report.waits.get((bucket, team), 0) for _n, team in teams))]
            for bucket, name in zip(WAIT_BUCKETS, buckets)]
    foot = [_("Total"), *[number(report.wait_total(team)) for _n, team in teams], number(total)]
    medians = [_(WAIT_LABELS[m]) if (m := report.wait_median(team)) is not None else "–" for _n, team in teams]
    extra = [_("Half of the waits ended within: {ranges}",
               ranges="; ".join(f"{name} {m}" for (name, _team), m in zip(teams, medians)))] if median is not None else []
    return Figure("waits", title, Markup(svg), title, [_("Waiting time"), *[n for n, _t in teams], _("Total")], rows,
                  foot, extra=extra)


def _unanswered(report: Report, counted: str, empty: str) -> Figure:
    names = [value_name("language", code, _, {}) for code in report.languages]
    title = _("Questions not answered: the top topics per language")
    desc = _("The {n} most frequent topics of the questions the bot could not answer, per language.", n=5)
    groups = [(name, [(topic_label(topic, _), count) for topic, count in report.top_unanswered(code)])
              for name, code in zip(names, report.languages)]
    svg = charts.bars(chart_id="reach-unanswered", title=title, desc=desc, counted=counted, groups=groups, fmt=number,
                      empty=empty)
    rows = [[topic_label(topic, _),
             *[number(report.unanswered.get((topic, code), 0)) for code in report.languages],
             number(sum(report.unanswered.get((topic, code), 0) for code in report.languages))]
            for topic in report.topics]
    foot = [_("Total"), *[number(sum(report.unanswered.get((t, code), 0) for t in report.topics))
                          for code in report.languages], number(report.totals["unanswered"])]
    return Figure("unanswered", title, Markup(svg), _("Questions not answered, per topic and language (all topics)"),
                  [_("Topic"), *names, _("Total")], rows, foot)


def _helpful(report: Report, counted: str, empty: str) -> Figure:
    answers = ("helpful_yes", "helpful_no")
    title = _("“Did this help?”")
    groups = [(label(HELPFUL_CONTEXTS, context, _),
               [(label(HELPFUL_ANSWERS, key, _), report.helpful.get((context, key), 0)) for key in answers])
              for context in report.contexts]
    desc = _("Answers to the question “did this help?”, asked after offers and after a handover ends: {yes} yes, "
             "{no} no.", yes=number(report.totals["helpful_yes"]), no=number(report.totals["helpful_no"]))
    svg = charts.bars(chart_id="reach-helpful", title=title, desc=desc, counted=counted, groups=groups, fmt=number,
                      empty=empty, series_of=lambda g, i: 0 if i == 0 else 3)
    rows = [[name, *[number(v) for _a, v in items], number(sum(v for _a, v in items))] for name, items in groups]
    foot = [_("Total"), number(report.totals["helpful_yes"]), number(report.totals["helpful_no"]),
            number(report.totals["helpful"])]
    head = [_("Asked"), *[label(HELPFUL_ANSWERS, key, _) for key in answers], _("Total")]
    return Figure("helpful", title, Markup(svg), title, head, rows, foot)


def _deletions(report: Report, counted: str, empty: str) -> Figure:
    daily = len(report.deletions) <= DAILY_DAYS
    title = _("Deletions per day") if daily else _("Deletions per calendar week")
    note = _("Counted per day only, with no other feature: only the period applies, no other filter.")
    if daily:
        categories = [day.strftime("%d.%m.") for day in report.deletions]
        values = list(report.deletions.values())
    else:
        weekly = report.deletion_weeks()
        years = len({week.isocalendar()[0] for week in weekly})
        categories = [_week_short(week, years) for week in weekly]
        values = list(weekly.values())
    total = report.totals["deletions"]
    desc = _("{total} deletions in the period.", total=number(total))
    svg = charts.stacked_bars(chart_id="reach-deletions", title=title, desc=desc, counted=counted,
                              categories=categories, series=[(_("Deletions"), values)], axis_label=_("Deletions"),
                              note=note, fmt=number, empty=empty)
    rows = [[day.strftime("%d.%m.%Y"), number(count)] for day, count in report.deletions.items() if count]
    return Figure("deletions", _("Deletions per day"), Markup(svg), _("Days with deletions (days without are not listed)"),
                  [_("Day"), _("Deletions")], rows, [_("Total"), number(total)])
