"""Teams and coaches: office hours, closed days, coaches, and linking Telegram groups and accounts by one-time codes.

Everyone with an account reads; only administrators change anything here. Every save is checked by the rules of
`afa content import` (kind `teams` or `coaches`) and written by the single-record functions of
`afa.content.store`; the office hours form offers only times of day and refuses inverted or overlapping ranges,
so it cannot produce a schedule `afa.schedule` would not read.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, Optional
from zoneinfo import ZoneInfo

import segno
from babel.dates import format_date, format_time, get_day_names
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, SubmitField, TextAreaField
from wtforms.validators import Length
from wtforms.widgets import CheckboxInput, ListWidget

from afa import LANGUAGES, audit
from afa.console.auth import actor, admin_only
from afa.console.i18n import _, _l, current_language
from afa.console.problems import problem_texts, texts
from afa.console.state import console
from afa.content.store import canonical, coach_values, save_coach, save_team, team_values
from afa.content.tables import Row, Tables, Text, cell
from afa.content.validation import Validated, duplicate_contact_problems, validate_tables
from afa.db import Coach, Team, as_utc, utcnow
from afa.i18n import S_, language_name
from afa.linking import LinkCode, coach_link, group_link, new_code, unlink_coach, unlink_team
from afa.schedule import DAYS, ScheduleError, parse_schedule, render_schedule

bp = Blueprint("teams", __name__, url_prefix="/teams")
RANGES_PER_DAY = 2
STARTS = [f"{h:02d}:{m:02d}" for h in range(24) for m in (0, 30)]  # every half hour
ENDS = STARTS[1:] + ["23:59"]
USERNAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{4,31}$")  # Telegram's rule for usernames


# --- office hours: the form <-> the schedule string afa.schedule reads ---------------------------------------
@dataclass
class DayHours:
    day: str  # "mon"
    name: str  # "Montag"
    ranges: list[tuple[str, str]]  # RANGES_PER_DAY pairs (from, to) as "HH:MM", "" where none
    spans: list[tuple[time, time]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _day_names() -> list[str]:
    names = get_day_names("wide", locale=current_language())
    return [names[d] for d in range(7)]


def _hhmm(moment: time) -> str:
    return f"{moment:%H:%M}"


def hours_of(schedule: str) -> tuple[list[DayHours], list[str]]:
    """The stored schedule parsed back into the form, and notes on anything the form cannot show."""
    per_day: dict[int, set[tuple[time, time]]] = {d: set() for d in range(7)}
    notes: list[str] = []
    try:
        slots = parse_schedule(schedule)
    except ScheduleError:
        slots = []
        notes.append(_("The stored office hours could not be read: {hours}. Enter them again below.", hours=schedule))
    for slot in slots:
        for d in slot.days:
            per_day[d].add((slot.start, slot.end))
    days = []
    for d, name in enumerate(_day_names()):
        spans = sorted(per_day[d])
        if len(spans) > RANGES_PER_DAY:
            notes.append(_("{day} has more than two time ranges; the form shows the first two, and saving keeps only "
                           "those.", day=name))
        ranges = [(_hhmm(a), _hhmm(b)) for a, b in spans[:RANGES_PER_DAY]]
        ranges += [("", "")] * (RANGES_PER_DAY - len(ranges))
        days.append(DayHours(DAYS[d], name, ranges, spans[:RANGES_PER_DAY]))
    return days, notes


def _clock(text: str) -> time:
    if not re.fullmatch(r"\d{2}:\d{2}", text):
        raise ValueError(text)
    return datetime.strptime(text, "%H:%M").time()


def read_hours(form: Any) -> tuple[list[DayHours], bool]:
    """The form's time ranges per weekday, each checked (both ends, from before to, no overlap)."""
    days, ok = [], True
    for d, name in enumerate(_day_names()):
        day = DAYS[d]
        hours = DayHours(day, name, [])
        for n in range(1, RANGES_PER_DAY + 1):
            start, end = (form.get(f"{day}-{n}-{part}", "").strip() for part in ("from", "to"))
            hours.ranges.append((start, end))
            if not start and not end:
                continue
            if not start or not end:
                hours.errors.append(_("Time range {n}: choose a start and an end, or neither.", n=n))
                continue
            try:
                a, b = _clock(start), _clock(end)
            except ValueError:
                hours.errors.append(_("Time range {n}: not a time of day.", n=n))
                continue
            if b <= a:
                hours.errors.append(_("Time range {n} ends before it starts.", n=n))
                continue
            hours.spans.append((a, b))
        hours.spans.sort()
        if any(later[0] < earlier[1] for earlier, later in zip(hours.spans, hours.spans[1:])):
            hours.errors.append(_("The time ranges overlap."))
        ok = ok and not hours.errors
        days.append(hours)
    return days, ok


def _day_spec(days: list[int]) -> str:
    runs: list[list[int]] = []
    for d in days:
        if runs and d == runs[-1][-1] + 1:
            runs[-1].append(d)
        else:
            runs.append([d])
    return ",".join(DAYS[r[0]] if len(r) == 1 else f"{DAYS[r[0]]}-{DAYS[r[-1]]}" for r in runs)


def schedule_text(days: list[DayHours]) -> str:
    """'mon-thu 09:00-16:00; fri 09:00-12:00': weekdays with the same hours share one entry."""
    groups: dict[tuple[tuple[time, time], ...], list[int]] = {}
    for d, hours in enumerate(days):
        if hours.spans:
            groups.setdefault(tuple(hours.spans), []).append(d)
    parts = []
    for spans, weekdays in groups.items():
        for start, end in spans:
            parts.append((weekdays[0], start, f"{_day_spec(weekdays)} {_hhmm(start)}-{_hhmm(end)}"))
    return "; ".join(text for _first, _start, text in sorted(parts))


def time_choices(selected: str, ends: bool) -> list[str]:
    """The times a select offers; a stored time off the half-hour grid stays selectable."""
    choices = list(ENDS if ends else STARTS)
    if selected and selected not in choices:
        choices = sorted([*choices, selected])
    return choices


# --- validation with the import's rules ----------------------------------------------------------------------
def _team(session, district: str) -> Team:  # type: ignore[no-untyped-def]
    team = session.scalar(select(Team).where(Team.district == district))
    if team is None:
        abort(404)
    return team


def _save_team(session, team: Team, **changes: str) -> tuple[list[str], dict[str, Any]]:  # type: ignore[no-untyped-def]
    """Validate the team with `changes` as a `teams` row (the import's rules), save and audit it; the problems if
    any, else the audited change."""
    before = canonical("teams", team_values(team))
    source = Text(S_("team {district}"), district=team.district)
    validated = validate_tables(Tables(rows={"teams": [Row(source, 1, {**before, **changes})]}))
    problems = problem_texts(validated)
    if problems:
        return problems, {}
    save_team(session, validated.records["teams"][0])
    session.flush()
    old, new = audit.changed_fields(before, canonical("teams", team_values(team)))
    if new:
        audit.record(session, actor(), "changed", "team", team.district, before=old, after=new)
    return [], new


# --- the overview --------------------------------------------------------------------------------------------
def when(moment: Optional[datetime], zone: str = "Europe/Berlin") -> str:
    """Date and time (no seconds) in the team's time zone, as the console's language writes them."""
    if moment is None:
        return ""
    local = as_utc(moment).astimezone(ZoneInfo(zone))
    language = current_language()
    return f"{format_date(local.date(), 'medium', locale=language)}, {format_time(local.time(), 'short', locale=language)}"


def day_label(day: date) -> str:
    return format_date(day, "full", locale=current_language())


@dataclass
class GroupStatus:
    linked: bool
    badge: tuple[str, str] = ("warn", "")
    warnings: list[str] = field(default_factory=list)


def group_status(team: Team) -> GroupStatus:
    """What the console says of the team's Telegram group and the bot's place in it."""
    if team.telegram_chat_id is None:
        return GroupStatus(False, ("warn", _("No group connected")),
                           [_("Handovers of this team cannot reach anyone until its group is connected.")])
    status = team.bot_status
    result = GroupStatus(True)
    if status in ("administrator", "creator"):
        result.badge = ("ok", _("Bot is an administrator"))
    elif status in ("member", "restricted"):
        result.badge = ("ok", _("Bot is a member"))
    elif status in ("left", "kicked", "banned"):
        result.badge = ("bad", _("Bot is no longer in the group"))
        result.warnings.append(_("The bot cannot post handovers to this group. Add the bot to the group again, or "
                                 "connect another group."))
    else:
        result.badge = ("muted", _("Bot status not reported yet"))
    cannot_manage = status in ("member", "restricted") or (status == "administrator" and team.bot_can_manage_topics is False)
    if team.telegram_is_forum and cannot_manage:
        result.warnings.append(_("The group uses topics, but the bot may not manage them. Make the bot an "
                                 "administrator with the right to manage topics, so that it can open one topic per "
                                 "handover."))
    return result


def languages_of(coach: Coach) -> str:
    codes = [c.strip() for c in (coach.languages or "").split(",") if c.strip()]
    return ", ".join(language_name(c, current_language()) for c in codes)


def hours_lines(team: Team) -> list[str]:
    try:
        return [part for part in render_schedule(team.office_hours, current_language()).split("; ") if part]
    except ScheduleError:
        return [team.office_hours]


def closed_list(team: Team) -> list[date]:
    days = []
    for item in (team.closed_days or "").split(","):
        try:
            days.append(date.fromisoformat(item.strip()))
        except ValueError:
            continue
    return sorted(set(days))


HELPERS = dict(group_status=group_status, languages_of=languages_of, hours_lines=hours_lines, closed_list=closed_list,
               when=when, day_label=day_label)


@bp.route("/")
def index():  # type: ignore[no-untyped-def]
    """Each team with office hours, closed days, its group and its coaches; administrators get the buttons."""
    now = utcnow()
    with console().session() as s:
        teams = list(s.scalars(select(Team).options(selectinload(Team.coaches)).order_by(Team.id)))
        open_codes = {}
        query = select(LinkCode).where(LinkCode.used_at.is_(None), LinkCode.expires_at > now)
        for code in s.scalars(query):
            open_codes[("team", code.team_id) if code.kind == "team" else ("coach", code.coach_id)] = code.expires_at
        rows = [canonical("coaches", coach_values(t, c)) for t in teams for c in t.coaches]
    duplicates = texts(duplicate_contact_problems(rows))
    return render_template("teams/index.html", teams=teams, open_codes=open_codes, today=datetime.now(ZoneInfo("Europe/Berlin")).date(),
                           may_admin=current_user.may("admin"), duplicates=duplicates, **HELPERS)


# --- a team: name, time zone, office hours, closed days ------------------------------------------------------
class TeamForm(FlaskForm):
    name = StringField(_l("Name"), validators=[Length(max=200)])
    timezone = StringField(_l("Time zone"), validators=[Length(max=64)])
    area = TextAreaField(_l("Area of the district"), validators=[Length(max=20000)])
    submit = SubmitField(_l("Save"))


def _team_page(team: Team, form: TeamForm, days: list[DayHours], notes: list[str], problems: list[str], status: int = 200):
    return render_template("teams/team.html", team=team, form=form, days=days, notes=notes, problems=problems,
                           time_choices=time_choices, RANGES=range(RANGES_PER_DAY), **HELPERS), status


@bp.route("/<district>", methods=["GET", "POST"])
@admin_only
def team(district: str):  # type: ignore[no-untyped-def]
    with console().session() as s:
        team = _team(s, district)
        form = TeamForm(obj=team)
        if request.method == "GET":
            days, notes = hours_of(team.office_hours)
            return _team_page(team, form, days, notes, [])
        days, ok = read_hours(request.form)
        if not form.validate_on_submit() or not ok:
            return _team_page(team, form, days, [], [_("Please check the marked office hours.")] if not ok else [], 400)
        changes = {"name": form.name.data.strip(), "timezone": form.timezone.data.strip(), "office_hours": schedule_text(days)}
        if "area" in request.form:  # a browser always sends the field; a post without it leaves the area as it is
            changes["area"] = (form.area.data or "").strip()
        problems, changed = _save_team(s, team, **changes)
        if problems:
            return _team_page(team, form, days, [], problems, 400)
    flash(_("Saved. The bot uses the new office hours from the next handover on.") if changed else _("Nothing changed."),
          "success" if changed else "info")
    return redirect(url_for("teams.team", district=district))


@bp.route("/<district>/closed", methods=["POST"])
@admin_only
def add_closed(district: str):  # type: ignore[no-untyped-def]
    """A day the team is out (a holiday, a team day): handovers wait until the next office day."""
    try:
        day = date.fromisoformat(request.form.get("day", "").strip())
    except ValueError:
        flash(_("Please choose a date."), "error")
        return redirect(url_for("teams.team", district=district) + "#closed")
    with console().session() as s:
        team = _team(s, district)
        days = closed_list(team)
        if day in days:
            flash(_("{day} is a closed day already.", day=day_label(day)), "info")
        else:
            problems, _changed = _save_team(s, team, closed_days=", ".join(d.isoformat() for d in sorted([*days, day])))
            for problem in problems:
                flash(problem, "error")
            if not problems:
                flash(_("{day} is now a closed day.", day=day_label(day)), "success")
    return redirect(url_for("teams.team", district=district) + "#closed")


@bp.route("/<district>/closed/delete", methods=["POST"])
@admin_only
def remove_closed(district: str):  # type: ignore[no-untyped-def]
    with console().session() as s:
        team = _team(s, district)
        days = closed_list(team)
        try:
            day = date.fromisoformat(request.form.get("day", "").strip())
        except ValueError:
            abort(400)
        if day in days:
            problems, _changed = _save_team(s, team, closed_days=", ".join(d.isoformat() for d in days if d != day))
            for problem in problems:
                flash(problem, "error")
            if not problems:
                flash(_("{day} is no longer a closed day.", day=day_label(day)), "success")
    return redirect(url_for("teams.team", district=district) + "#closed")


# --- coaches ---------------------------------------------------------------------------------------------------
class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class CoachForm(FlaskForm):
    team = SelectField(_l("Team"))
    name = StringField(_l("Name"), validators=[Length(max=200)])
    phone = StringField(_l("Phone"), validators=[Length(max=64)])
    email = StringField(_l("E-mail"), validators=[Length(max=200)])
    languages = MultiCheckboxField(_l("Languages the coach speaks with people"))
    is_lead = BooleanField(_l("Team lead (may pass on any of the team's handovers)"))
    submit = SubmitField(_l("Save"))

    def fill_choices(self, teams: list[Team]) -> None:
        self.team.choices = [(t.district, t.name) for t in teams]
        self.languages.choices = [(lang, language_name(lang, current_language())) for lang in LANGUAGES]


def _coach_fields(form: CoachForm) -> dict[str, str]:
    return {"team": form.team.data or "", "name": (form.name.data or "").strip(), "phone": (form.phone.data or "").strip(),
            "email": (form.email.data or "").strip(),
            "languages": ", ".join(lang for lang in LANGUAGES if lang in (form.languages.data or []))}


def _validate_coach(session, coach: Optional[Coach], values: dict[str, str]) -> tuple[Validated, int]:  # type: ignore[no-untyped-def]
    """All coaches as the import sees them, with this one changed or added: the same rules, duplicates included.
    Returns the result and the position of this coach's record in it."""
    rows, position = [], None
    for team in session.scalars(select(Team).order_by(Team.id)):
        for other in team.coaches:
            row = canonical("coaches", coach_values(team, other))
            if coach is not None and other.id == coach.id:
                row, position = {**row, **values}, len(rows)
            rows.append(row)
    if position is None:
        rows.append({**canonical("coaches", {}), **values})
        position = len(rows) - 1
    tables = Tables(rows={"coaches": [Row(Text(S_("coach {name}"), name=row["name"] or "?"), 1, row) for row in rows]})
    existing = {t.district for t in session.scalars(select(Team))}
    return validate_tables(tables, existing), position


AUDITED = ("team", "name", "phone", "email", "languages", "is_lead")  # never the Telegram id


def _audited(team: Team, coach: Coach) -> dict[str, str]:
    # is_lead is the console's own (no spreadsheet column): written as an export would write a boolean.
    row = {**canonical("coaches", coach_values(team, coach)), "is_lead": cell(bool(coach.is_lead))}
    return {k: row[k] for k in AUDITED}


def _coach_page(form: CoachForm, coach: Optional[Coach], problems: list[str], status: int = 200):
    return render_template("teams/coach.html", form=form, coach=coach, problems=problems), status


def _save_coach(s, form: CoachForm, coach: Optional[Coach]):  # type: ignore[no-untyped-def]
    validated, position = _validate_coach(s, coach, _coach_fields(form))
    problems = problem_texts(validated)
    if problems:
        return _coach_page(form, coach, problems, 400)
    record = validated.records["coaches"][position]
    before = _audited(coach.team, coach) if coach is not None else None
    saved = save_coach(s, record, coach)
    saved.is_lead = bool(form.is_lead.data)  # not a spreadsheet column: only this form sets it
    s.flush()
    s.refresh(saved)
    after = _audited(saved.team, saved)
    if before is None:
        audit.record(s, actor(), "created", "coach", saved.name, after=after)
        flash(_("{name} is added to the team.", name=saved.name), "success")
    else:
        old, new = audit.changed_fields(before, after)
        if new:
            audit.record(s, actor(), "changed", "coach", saved.name, before=old, after=new)
        flash(_("Saved.") if new else _("Nothing changed."), "success" if new else "info")
    return redirect(url_for("teams.index") + f"#team-{saved.team.district}")


@bp.route("/<district>/coaches/new", methods=["GET", "POST"])
@admin_only
def new_coach(district: str):  # type: ignore[no-untyped-def]
    with console().session() as s:
        _team(s, district)
        form = CoachForm(team=district)
        form.fill_choices(list(s.scalars(select(Team).order_by(Team.id))))
        if not form.validate_on_submit():
            return _coach_page(form, None, [], 400 if request.method == "POST" else 200)
        return _save_coach(s, form, None)


def _coach(session, coach_id: int) -> Coach:  # type: ignore[no-untyped-def]
    coach = session.get(Coach, coach_id)
    if coach is None:
        abort(404)
    return coach


@bp.route("/coaches/<int:coach_id>", methods=["GET", "POST"])
@admin_only
def coach(coach_id: int):  # type: ignore[no-untyped-def]
    with console().session() as s:
        coach = _coach(s, coach_id)
        form = CoachForm(team=coach.team.district, name=coach.name, phone=coach.phone, email=coach.email,
                         languages=[c.strip() for c in (coach.languages or "").split(",") if c.strip()],
                         is_lead=bool(coach.is_lead))
        form.fill_choices(list(s.scalars(select(Team).order_by(Team.id))))
        if not form.validate_on_submit():
            return _coach_page(form, coach, [], 400 if request.method == "POST" else 200)
        return _save_coach(s, form, coach)


@bp.route("/coaches/<int:coach_id>/delete", methods=["POST"])
@admin_only
def remove_coach(coach_id: int):  # type: ignore[no-untyped-def]
    with console().session() as s:
        coach = _coach(s, coach_id)
        district, name = coach.team.district, coach.name
        audit.record(s, actor(), "deleted", "coach", name, before=_audited(coach.team, coach))
        s.delete(coach)
    flash(_("{name} is removed from the team.", name=name), "success")
    return redirect(url_for("teams.index") + f"#team-{district}")


# --- linking Telegram groups and accounts by one-time codes ----------------------------------------------------
@dataclass
class Invitation:
    code: str
    expires: str
    link: Optional[str]
    qr: Optional[Markup]
    command: str
    username: Optional[str]


def _username() -> Optional[str]:
    name = (console().settings.telegram_bot_username or "").strip().lstrip("@")
    return name if USERNAME.match(name) else None


def qr_svg(url: str) -> Markup:
    """The link as an inline SVG QR code (no style attribute, no script: the CSP allows neither)."""
    svg = segno.make(url, error="m").svg_inline(scale=4, omitsize=True, svgclass="qr-code")
    svg = re.sub(r'\s(style|on[a-z]+)="[^"]*"', "", svg)
    assert "<script" not in svg.lower()
    return Markup(svg)  # generated by segno from our own URL: geometry, no text of anyone's


def _invitation(code: LinkCode, group: bool, zone: str) -> Invitation:
    username = _username()
    link = None
    if username:
        link = group_link(username, code.code) if group else coach_link(username, code.code)
    if group:
        command = f"/link@{username} {code.code}" if username else f"/link {code.code}"
    else:
        command = f"/join {code.code}"
    return Invitation(code.code, when(code.expires_at, zone), link, qr_svg(link) if link else None, command, username)


@bp.route("/<district>/link", methods=["POST"])
@admin_only
def link_group(district: str):  # type: ignore[no-untyped-def]
    """A one-time code for the team's group: shown once, as a link, a QR code and a command."""
    with console().session() as s:
        team = _team(s, district)
        code = new_code(s, team=team, created_by=actor())
        audit.record(s, actor(), "link_code", "team", district, after={"telegram_group": "code created"})
        invitation = _invitation(code, True, team.timezone)
    return render_template("teams/link.html", team=team, coach=None, invitation=invitation)


@bp.route("/coaches/<int:coach_id>/link", methods=["POST"])
@admin_only
def link_coach(coach_id: int):  # type: ignore[no-untyped-def]
    with console().session() as s:
        coach = _coach(s, coach_id)
        team = coach.team
        code = new_code(s, coach=coach, created_by=actor())
        audit.record(s, actor(), "link_code", "coach", coach.name, after={"telegram_account": "code created"})
        invitation = _invitation(code, False, team.timezone)
    return render_template("teams/link.html", team=team, coach=coach, invitation=invitation)


@bp.route("/<district>/unlink", methods=["POST"])
@admin_only
def unlink_group(district: str):  # type: ignore[no-untyped-def]
    """The team stops using its group (e.g. a new group replaces it); handovers wait until a group is connected."""
    with console().session() as s:
        team = _team(s, district)
        if team.telegram_chat_id is None:
            flash(_("No group is connected."), "info")
        else:
            audit.record(s, actor(), "unlinked", "team", district,
                         before={"telegram_group": team.telegram_chat_title or "connected"}, after={"telegram_group": None})
            unlink_team(team)
            flash(_("The group is disconnected from {team}.", team=team.name), "success")
    return redirect(url_for("teams.index") + f"#team-{district}")


@bp.route("/coaches/<int:coach_id>/unlink", methods=["POST"])
@admin_only
def unlink_coach_account(coach_id: int):  # type: ignore[no-untyped-def]
    """The coach's Telegram account no longer counts as a coach of the team (someone leaves, or a new phone)."""
    with console().session() as s:
        coach = _coach(s, coach_id)
        district = coach.team.district
        if coach.telegram_user_id is None:
            flash(_("No Telegram account is linked."), "info")
        else:
            audit.record(s, actor(), "unlinked", "coach", coach.name,
                         before={"telegram_account": coach.telegram_name or "linked"}, after={"telegram_account": None})
            unlink_coach(coach)
            flash(_("The Telegram account of {name} is unlinked.", name=coach.name), "success")
    return redirect(url_for("teams.index") + f"#team-{district}")

