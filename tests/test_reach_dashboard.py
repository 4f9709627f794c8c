"""The reach dashboard in the staff console: every role sees it, the figures are exactly the counters', filters
change them, the charts are accessible SVG, and bad input gets a German message (400), never a 500."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree
from datetime import date, timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from sqlalchemy.orm import Session

from afa.reach import charts
from afa.reach.report import Filters, build_report, default_period
from tests.reach_data import (CAMPAIGN, CAMPAIGN_NAME, DISTRICTS, EXPECTED, PERIOD, WEEKLY, add_counts,
                              seed_example)

SVG = "{http://www.w3.org/2000/svg}"
COUNTED = "Gespräche, nicht Personen"


class _Tables(HTMLParser):
    """Every <table> of a page by its caption: rows of cell texts (header cells included)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._caption: str | None = None
        self._rows: list[list[str]] = []
        self._cell: list[str] | None = None
        self._in_caption = False

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag == "table":
            self._rows, self._caption = [], ""
        elif tag == "caption":
            self._in_caption = True
        elif tag == "tr":
            self._rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "caption":
            self._in_caption = False
        elif tag in ("td", "th") and self._cell is not None:
            self._rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "table" and self._caption is not None:
            self.tables[self._caption.strip()] = self._rows
            self._caption = None

    def handle_data(self, data: str) -> None:
        if self._in_caption and self._caption is not None:
            self._caption += data
        elif self._cell is not None:
            self._cell.append(data)


def tables(html: str) -> dict[str, list[list[str]]]:
    parser = _Tables()
    parser.feed(html)
    return parser.tables


def by_first_cell(rows: list[list[str]]) -> dict[str, list[str]]:
    return {row[0]: row[1:] for row in rows if row}


def svgs(html: str) -> list[str]:
    return re.findall(r"<svg\b.*?</svg>", html, flags=re.S)


def number(text: str) -> int:
    return int(text.replace(".", ""))


@pytest.fixture()
def example(seeded_engine):  # type: ignore[no-untyped-def]
    with Session(seeded_engine, future=True) as s, s.begin():
        seed_example(s)
    return seeded_engine


def page(client, **params: str) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    response = client.get("/reach/", query_string={**PERIOD, **params})
    return response.status_code, response.get_data(as_text=True)


# --- every role, every chart -------------------------------------------------------------------------------
@pytest.mark.parametrize("role", ["admin", "editor", "viewer"])
def test_every_role_sees_the_dashboard_with_seven_charts_each_saying_what_is_counted(as_role, example, role: str) -> None:
    client = as_role(role)
    status, html = page(client)
    assert status == 200
    assert '<h1>Reichweite</h1>' in html
    assert 'href="/reach/"' in html and 'aria-current="page"' in html  # the menu entry, marked as current
    found = svgs(html)
    assert len(found) == 7
    for markup in found:
        svg = ElementTree.fromstring(markup)  # well-formed XML: every text escaped
        assert svg.get("role") == "img"
        title_id, desc_id = svg.get("aria-labelledby", "").split()
        assert svg.find(f"{SVG}title").get("id") == title_id and svg.find(f"{SVG}title").text
        assert svg.find(f"{SVG}desc").get("id") == desc_id and COUNTED in svg.find(f"{SVG}desc").text
        texts = ["".join(t.itertext()) for t in svg.iter(f"{SVG}text")]
        assert any(COUNTED in text for text in texts), "every chart says it counts conversations, not people"
    # a table under each chart, plus the export buttons (exact and protected, .xlsx and .csv)
    assert len(re.findall(r"<table class=\"figures\">", html)) == 7
    assert len(re.findall(r'href="/reach/export\.(xlsx|csv)\?', html)) == 4
    assert html.count("public=1") == 2


def test_the_figures_are_exactly_the_seeded_counters(as_role, example) -> None:
    status, html = page(as_role("viewer"))
    assert status == 200
    found = tables(html)
    weekly = by_first_cell(found["Gespräche je Kalenderwoche, nach Sprache"])
    assert weekly["Woche"] == ["Deutsch", "Türkisch", "Bulgarisch", "Rumänisch", "Insgesamt"]
    for week, figures in WEEKLY.items():
        assert [number(v) for v in weekly[week]] == list(figures)
    assert [number(v) for v in weekly["Insgesamt"]] == [40, 19, 3, 6, 68]
    districts = by_first_cell(found["Gespräche nach Stadtteil"])
    assert {name: number(districts[name][0]) for name in DISTRICTS} == DISTRICTS
    funnel = by_first_cell(found["Der Weg zum Coach"])
    assert number(funnel["Erste Nachricht (Gespräche)"][0]) == EXPECTED["conversations"]
    assert number(funnel["Angebote gezeigt (Suchen)"][0]) == EXPECTED["searches_with_offers"]
    assert number(funnel["Coach angefragt"][0]) == EXPECTED["coach_request"]
    assert number(funnel["Von einem Coach übernommen"][0]) == EXPECTED["handover_accepted"]
    assert funnel["Von einem Coach übernommen"][1] == "10 %"
    assert number(funnel["Gezeigte Angebote (Anzahl der Angebote)"][0]) == EXPECTED["offers_shown"]
    waits = by_first_cell(found["Wartezeit von der Anfrage bis zur Übernahme, je Team"])
    assert waits["Wartezeit"] == ["Marxloh", "Hochfeld", "Insgesamt"]
    assert waits["bis 1 Min."] == ["0", "1", "1"] and waits["1–5 Min."] == ["3", "0", "3"]
    assert waits["5–15 Min."] == ["2", "0", "2"] and waits["über 24 Std."] == ["0", "2", "2"]
    assert waits["Insgesamt"] == ["5", "3", "8"]  # the 40 waits of 2 November lie outside the period
    unanswered = by_first_cell(found["Unbeantwortete Fragen je Thema und Sprache (alle Themen)"])
    assert unanswered["Rechts- oder Behördenfrage"] == ["6", "0", "0", "1", "7"]
    assert unanswered["Förderung"] == ["2", "0", "0", "0", "2"]  # faq/funding, by the FAQ page's name
    assert unanswered["Kontakt"] == ["0", "3", "0", "0", "3"]
    assert unanswered["Insgesamt"] == ["8", "4", "2", "1", "15"]
    helpful = by_first_cell(found["„Hat das geholfen?“"])
    assert helpful["nach Angeboten"] == ["7", "2", "9"] and helpful["nach einem Gespräch mit einem Coach"] == ["3", "0", "3"]
    deletions = by_first_cell(found["Tage mit Löschungen (Tage ohne sind nicht aufgeführt)"])
    assert deletions == {"Tag": ["Löschungen"], "06.10.2026": ["2"], "20.10.2026": ["1"], "Insgesamt": ["3"]}
    key_figures = dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", html))
    assert number(key_figures["Gespräche (begonnene und wiederkehrende)"]) == 68
    assert number(key_figures["Nachrichten"]) == 239 and number(key_figures["Löschungen"]) == 3
    assert "Zeitraum 05.10.2026 – 01.11.2026" in html


def test_the_report_holds_every_figure_of_the_period(example) -> None:
    with Session(example, future=True) as s:
        report = build_report(s, Filters(date(2026, 10, 5), date(2026, 11, 1)))
    assert {key: report.totals[key] for key in EXPECTED} == EXPECTED
    assert report.weeks == [date(2026, 10, 5), date(2026, 10, 12), date(2026, 10, 19), date(2026, 10, 26)]
    assert report.top_unanswered("de") == [("legal_advice", 6), ("faq/funding", 2)]
    assert report.wait_median("marxloh") == 300 and report.wait_median("hochfeld") == 0
    assert report.funnel() == [("conversations", 68), ("searches_with_offers", 11), ("coach_request", 8),
                               ("handover_accepted", 7)]


# --- filters ---------------------------------------------------------------------------------------------
def test_filters_change_the_figures_and_the_charts(as_role, example) -> None:
    client = as_role("editor")
    _status, everything = page(client)
    status, html = page(client, language="tr")
    assert status == 200
    weekly = by_first_cell(tables(html)["Gespräche je Kalenderwoche, nach Sprache"])
    assert weekly["Woche"] == ["Türkisch", "Insgesamt"]
    assert [number(weekly[w][0]) for w in WEEKLY] == [9, 1, 0, 9]
    assert svgs(html)[0] != svgs(everything)[0] and "Deutsch" not in svgs(html)[0]
    funnel = by_first_cell(tables(html)["Der Weg zum Coach"])
    assert [number(funnel[k][0]) for k in ("Erste Nachricht (Gespräche)", "Angebote gezeigt (Suchen)",
                                           "Coach angefragt", "Von einem Coach übernommen")] == [19, 7, 5, 4]
    # Waits know no language, deletions no dimension at all: both stay as they were.
    assert (tables(html)["Wartezeit von der Anfrage bis zur Übernahme, je Team"]
            == tables(everything)["Wartezeit von der Anfrage bis zur Übernahme, je Team"])
    assert "Tage mit Löschungen (Tage ohne sind nicht aufgeführt)" in tables(html)
    assert (by_first_cell(tables(html)["Tage mit Löschungen (Tage ohne sind nicht aufgeführt)"])["Insgesamt"]
            == ["3"])

    districts = by_first_cell(tables(page(client, district="hochfeld")[1])["Gespräche nach Stadtteil"])
    assert districts == {"Stadtteil": ["Gespräche", "Anteil"], "Hochfeld": ["24", "100 %"],
                         "Insgesamt": ["24", "100 %"]}
    waits = by_first_cell(tables(page(client, district="hochfeld")[1])[
        "Wartezeit von der Anfrage bis zur Übernahme, je Team"])
    assert waits["Wartezeit"] == ["Hochfeld", "Insgesamt"] and waits["Insgesamt"] == ["3", "3"]

    campaign = tables(page(client, entry_point=CAMPAIGN)[1])
    assert by_first_cell(campaign["Gespräche je Kalenderwoche, nach Sprache"])["Insgesamt"][-1] == "18"
    assert by_first_cell(campaign["Wartezeit von der Anfrage bis zur Übernahme, je Team"])["Insgesamt"] == ["3", "0", "3"]
    no_link = tables(page(client, entry_point="-")[1])
    assert by_first_cell(no_link["Gespräche je Kalenderwoche, nach Sprache"])["Insgesamt"][-1] == "47"
    plain = tables(page(client, entry_point="hochfeld")[1])
    assert by_first_cell(plain["Gespräche je Kalenderwoche, nach Sprache"])["Insgesamt"][-1] == "3"
    for name, value, total in (("channel", "web", "8"), ("target_group", "benefits", "25"), ("channel", "rest", "15")):
        found = by_first_cell(tables(page(client, **{name: value})[1])["Gespräche je Kalenderwoche, nach Sprache"])
        assert found["Insgesamt"][-1] == total, (name, value)
    both = tables(page(client, language="de", district="marxloh", channel="telegram")[1])
    assert by_first_cell(both["Gespräche je Kalenderwoche, nach Sprache"])["Insgesamt"] == ["20", "20"]

    # The period: only the week of 26 October; the deletions follow the period (and only the period).
    week = tables(page(client, start="2026-10-26", end="2026-11-01")[1])
    assert by_first_cell(week["Gespräche je Kalenderwoche, nach Sprache"])["Insgesamt"][-1] == "14"
    assert "Tage mit Löschungen (Tage ohne sind nicht aufgeführt)" in week
    assert by_first_cell(week["Tage mit Löschungen (Tage ohne sind nicht aufgeführt)"])["Insgesamt"] == ["0"]


def test_the_form_offers_the_campaign_by_name_and_keeps_the_choice(as_role, example) -> None:
    _status, html = page(as_role("viewer"), entry_point=CAMPAIGN, language="tr")
    assert f'<option selected value="{CAMPAIGN}">Moschee Marxloh, Aushang &lt;b&gt;&amp;&lt;/b&gt; ({CAMPAIGN})' in html
    assert '<option selected value="tr">Türkisch</option>' in html
    assert "<b>&</b>" not in html  # a name staff typed is shown as text
    assert "Einstiegspunkt: Moschee Marxloh, Aushang &lt;b&gt;&amp;&lt;/b&gt; (marxloh_tr_c1)" in html


def test_the_default_period_is_the_last_twelve_weeks(as_role, example) -> None:
    response = as_role("viewer").get("/reach/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    start, end = default_period(date.today())
    assert (end - start).days == 7 * 11 + end.weekday() and start.weekday() == 0
    # the day the server takes may be Duisburg's day, one off from the test's around midnight
    assert re.search(r'name="start"[^>]*value="(\d{4}-\d{2}-\d{2})"', html).group(1) in {
        (start + timedelta(days=n)).isoformat() for n in (-7, 0, 7)}
    weekly = tables(html)["Gespräche je Kalenderwoche, nach Sprache"]
    assert len(weekly) == 1 + 12 + 1  # head, twelve weeks, total


def test_a_database_without_counters_shows_empty_charts(as_role) -> None:
    status, html = page(as_role("viewer"))
    assert status == 200 and len(svgs(html)) == 7
    assert html.count("Keine Zahlen in diesem Zeitraum.") >= 6


# --- bad input -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("params, message", [
    ({"start": "2026-11-30", "end": "2026-11-01"},
     "Der Zeitraum endet (01.11.2026), bevor er beginnt (30.11.2026). Bitte die Daten tauschen oder ein anderes Ende wählen."),
    ({"language": "xx"}, "Eine Sprache „xx“ gibt es nicht. Bitte eine aus der Liste wählen."),
    ({"district": "ruhrort"}, "Einen Stadtteil „ruhrort“ gibt es nicht. Bitte einen aus der Liste wählen."),
    ({"target_group": "rentner"}, "Eine Zielgruppe „rentner“ gibt es nicht. Bitte eine aus der Liste wählen."),
    ({"channel": "fax"}, "Einen Kanal „fax“ gibt es nicht. Bitte einen aus der Liste wählen."),
    ({"entry_point": "marxloh_tr_c99"}, "Einen Einstiegspunkt „marxloh_tr_c99“ gibt es nicht. Bitte einen aus der Liste wählen."),
    ({"entry_point": "Moschee 🕌"}, "Einen Einstiegspunkt „Moschee 🕌“ gibt es nicht. Bitte einen aus der Liste wählen."),
    ({"start": "31.02.2026"}, "„31.02.2026“ ist kein Datum. Bitte als TT.MM.JJJJ oder JJJJ-MM-TT angeben."),
    ({"end": "gestern"}, "„gestern“ ist kein Datum. Bitte als TT.MM.JJJJ oder JJJJ-MM-TT angeben."),
    ({"start": "2026-13-01"}, "„2026-13-01“ ist kein Datum. Bitte als TT.MM.JJJJ oder JJJJ-MM-TT angeben."),
    ({"start": "2001-01-01", "end": "2026-01-01"}, "Der Zeitraum ist länger als drei Jahre. Bitte einen kürzeren wählen."),
    ({"start": "9999-12-25", "end": "9999-12-31"}, "„9999-12-25“ liegt außerhalb der Jahre 2000 bis 2199."),
    ({"end": "01.01.0001"}, "„01.01.0001“ liegt außerhalb der Jahre 2000 bis 2199."),
])
def test_bad_input_gets_a_german_message_and_no_figures(as_role, example, params: dict[str, str], message: str) -> None:
    client = as_role("viewer")
    response = client.get("/reach/", query_string={**PERIOD, **params})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Die Zahlen können nicht gezeigt werden. Bitte korrigieren:" in html
    assert message.replace("&", "&amp;") in html
    assert 'aria-invalid="true"' in html  # the field says so too
    assert "<svg" not in html
    export = client.get("/reach/export.xlsx", query_string={**PERIOD, **params})
    assert export.status_code == 400 and message.replace("&", "&amp;") in export.get_data(as_text=True)


def test_markup_in_a_filter_value_is_shown_as_text(as_role, example) -> None:
    response = as_role("viewer").get("/reach/", query_string={"language": "<script>alert(1)</script>"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "<script>alert(1)</script>" not in html and "„&lt;script&gt;alert(1)&lt;/script&gt;“" in html


def test_an_export_in_another_format_is_refused_in_german(as_role, example) -> None:
    response = as_role("viewer").get("/reach/export.pdf", query_string=PERIOD)
    assert response.status_code == 400
    assert "Exportiert werden können nur .xlsx- und .csv-Dateien." in response.get_data(as_text=True)


def test_the_dashboard_needs_a_login(console_app) -> None:
    response = console_app.test_client().get("/reach/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert console_app.test_client().get("/reach/export.csv").status_code == 302


# --- the charts themselves -------------------------------------------------------------------------------
def test_a_topic_with_markup_is_escaped_in_the_svg(as_role, example) -> None:
    with Session(example, future=True) as s, s.begin():
        add_counts(s, [dict(day=date(2026, 10, 6), language="de", metric="unanswered",
                            topic='<script>alert("x")</script>&', count=9)])
    status, html = page(as_role("viewer"))
    assert status == 200 and "<script>" not in html
    chart = [markup for markup in svgs(html) if 'id="reach-unanswered-title"' in markup][0]
    texts = ["".join(t.itertext()) for t in ElementTree.fromstring(chart).iter(f"{SVG}text")]
    assert '<script>alert("x")</script>&' in texts  # the text survives, as text


def test_charts_escape_and_stay_well_formed() -> None:
    evil = '<b onload="x">&\'"</b>'
    markups = [
        charts.stacked_bars(chart_id="a", title=evil, desc=evil, counted=evil, categories=[evil, "b"],
                            series=[(evil, [3, 0]), ("two", [1, 5])], axis_label=evil, note=evil),
        charts.bars(chart_id="b", title=evil, desc=evil, counted=evil, groups=[(evil, [(evil, 4)]), (None, [])]),
        charts.funnel(chart_id="c", title=evil, desc=evil, counted=evil, steps=[(evil, 10, evil), ("b", 3, "")]),
        charts.histogram(chart_id="d", title=evil, desc=evil, counted=evil, buckets=[evil, "b"],
                         panels=[(evil, [1, 2])]),
        charts.stacked_bars(chart_id="e", title="t", desc="d", counted="c", categories=["a"], series=[("s", [0])],
                            empty=evil),
    ]
    for markup in markups:
        assert "<b " not in markup
        svg = ElementTree.fromstring(markup)
        assert evil in "".join(svg.itertext())


def test_the_palette_stays_apart_when_printed_in_grey() -> None:
    lightness = sorted(charts.luminance(swatch.fill) for swatch in charts.PALETTE)
    assert all(b - a >= 15 for a, b in zip(lightness, lightness[1:])), lightness
    assert len({swatch.pattern for swatch in charts.PALETTE}) == len(charts.PALETTE)
    markup = charts.stacked_bars(chart_id="p", title="t", desc="d", counted="c", categories=["a"],
                                 series=[(f"s{i}", [i + 1]) for i in range(5)])
    assert markup.count("<pattern ") == 4  # the four series after the solid first one are hatched or dotted
    assert 'style=' not in markup  # presentation attributes only: the console's CSP allows no inline styles


def test_nice_ticks_are_whole_and_cover_the_top() -> None:
    for top in (0, 1, 3, 7, 10, 23, 99, 101, 999, 1234, 48_213):
        ticks = charts.nice_ticks(top)
        assert ticks[0] == 0 and ticks[-1] >= top and all(isinstance(t, int) for t in ticks)
        assert len(ticks) <= 7 and len(set(b - a for a, b in zip(ticks, ticks[1:]))) == 1


# --- the queries stay cheap ------------------------------------------------------------------------------
def test_the_counter_queries_read_covering_indexes_and_never_sort(example) -> None:
    """A year of counters is ~400,000 rows: each query must be summed from an index in its own order."""
    from sqlalchemy import event

    statements: list[tuple[str, Any]] = []

    def seen(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append((statement, parameters))

    event.listen(example, "before_cursor_execute", seen)
    try:
        with Session(example, future=True) as s:
            build_report(s, Filters(date(2026, 10, 5), date(2026, 11, 1)))
            unfiltered = len(statements)
            build_report(s, Filters(date(2026, 10, 5), date(2026, 11, 1), language="tr", channel="telegram",
                                    entry_point=CAMPAIGN))
    finally:
        event.remove(example, "before_cursor_execute", seen)
    with example.connect() as connection:
        for number_, (statement, parameters) in enumerate(statements):
            if "FROM reach_counts" not in statement:
                continue
            plan = " ".join(str(row[-1]) for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement,
                                                                               parameters))
            assert "COVERING INDEX ix_reach_counts_metric_" in plan, plan
            if number_ < unfiltered:  # with filters SQLite may still sort the few rows that pass them
                assert "TEMP B-TREE" not in plan, plan
    assert sum("FROM reach_counts" in statement for statement, _p in statements) == 6


@pytest.mark.postgres
def test_the_report_is_the_same_on_postgresql(postgres_url: str) -> None:
    from afa.db import make_engine, migrate

    engine = make_engine(postgres_url)
    migrate(engine)
    with Session(engine, future=True) as s, s.begin():
        seed_example(s)
    with Session(engine, future=True) as s:
        report = build_report(s, Filters(date(2026, 10, 5), date(2026, 11, 1)))
        tr = build_report(s, Filters(date(2026, 10, 5), date(2026, 11, 1), language="tr", entry_point=CAMPAIGN))
    engine.dispose()
    assert {key: report.totals[key] for key in EXPECTED} == EXPECTED
    assert [report.week_total(week) for week in report.weeks] == [figures[-1] for figures in WEEKLY.values()]
    assert tr.totals["conversations"] == 18 and tr.languages == ["tr"]
