"""The reach export: .xlsx and .csv read back exactly; the protected export shows no figure under 5 and, checked
by linear programming over every total it shows, lets no replaced figure be recomputed; console and command line
write the same rows; the command line's exit codes."""
from __future__ import annotations

import os
import random
import subprocess
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy.optimize import linprog
from sqlalchemy.orm import Session

from afa import DISTRICTS, LANGUAGES, TARGET_GROUPS, TOPICS
from afa.reach.export import SUPPRESSED, THRESHOLD, Table, export_rows, protect, read_back, write_export
from afa.reach.labels import translator
from afa.reach.report import Filters, build_report, known_entry_points
from afa.settings import PROJECT_ROOT
from tests.reach_data import CAMPAIGN, EXPECTED, PERIOD, add_counts, add_deletions, add_waits, seed_example

AFA = str(PROJECT_ROOT / ".venv" / "bin" / "afa")
TOTAL, NOTE = "Insgesamt", "Hinweis"
# Tables whose overall total is the same figure (the conversations of the period): a reader can equate them.
CONVERSATION_TABLES = ("Kennzahlen: Gespräche", "Gespräche je Kalenderwoche und Sprache", "Gespräche je Stadtteil")
OCTOBER = Filters(date(2026, 10, 5), date(2026, 11, 1))


@pytest.fixture()
def example(seeded_engine):  # type: ignore[no-untyped-def]
    with Session(seeded_engine, future=True) as s, s.begin():
        seed_example(s)
    return seeded_engine


def rows_for(engine, filters: Filters = OCTOBER, public: bool = False) -> list[list[Any]]:  # type: ignore[no-untyped-def]
    with Session(engine, future=True) as s:
        report = build_report(s, filters)
        campaigns = known_entry_points(s)
    return export_rows(report, public=public, t=translator("de"), campaigns=campaigns, today=date.today())


def figures(rows: list[list[Any]]) -> dict[str, dict[tuple[str, str], Any]]:
    """table → (row, column) → value, from an export's rows (notes left out)."""
    found: dict[str, dict[tuple[str, str], Any]] = defaultdict(dict)
    for table, row, column, value in rows[1:]:
        if table != NOTE:
            assert (row, column) not in found[table], (table, row, column)
            found[table][(row, column)] = value
    return found


# --- exact -----------------------------------------------------------------------------------------------
def test_the_exact_export_reads_back_exactly_from_xlsx_and_csv(example, tmp_path: Path) -> None:
    rows = rows_for(example)
    t = translator("de")
    for name in ("reach.xlsx", "reach.csv"):
        path = tmp_path / name
        write_export(path, rows, t)
        assert read_back(path) == rows, name
    assert rows[0] == ["Tabelle", "Zeile", "Spalte", "Wert"]
    assert rows[1][:2] == [NOTE, "Exakte Zahlen, nur für den Gebrauch im Programm. Für Berichte nach außen bitte die "
                                 "geschützte Fassung exportieren."]
    assert [NOTE, "Gezählt werden Gespräche, nicht Personen.", "", ""] in rows
    found = figures(rows)
    assert found["Kennzahlen: Gespräche"] == {("Begonnene Gespräche", "Anzahl"): 57,
                                              ("Wiederkehrende Gespräche", "Anzahl"): 11, (TOTAL, "Anzahl"): 68}
    assert found["Kennzahlen: Angebotssuchen"][(TOTAL, "Anzahl")] == EXPECTED["offer_search"]
    assert found["Kennzahlen"][("Gezeigte Angebote (Anzahl der Angebote)", "Anzahl")] == EXPECTED["offers_shown"]
    weekly = found["Gespräche je Kalenderwoche und Sprache"]
    assert weekly[("KW 41/2026", "Türkisch")] == 9 and weekly[("KW 43/2026", TOTAL)] == 0
    assert weekly[(TOTAL, "Deutsch")] == 40 and weekly[(TOTAL, TOTAL)] == 68
    assert found["Gespräche je Stadtteil"] == {("Marxloh", "Anzahl"): 43, ("Hochfeld", "Anzahl"): 24,
                                               ("unbekannt", "Anzahl"): 1, (TOTAL, "Anzahl"): 68}
    waits = found["Wartezeit von der Anfrage bis zur Übernahme, je Team"]
    assert waits[("1–5 Min.", "Marxloh")] == 3 and waits[(TOTAL, TOTAL)] == 8
    unanswered = found["Unbeantwortete Fragen je Thema und Sprache"]
    assert unanswered[("Rechts- oder Behördenfrage", "Deutsch")] == 6 and unanswered[(TOTAL, TOTAL)] == 15
    assert found["Antworten auf „Hat das geholfen?“"][("nach Angeboten", "ja")] == 7
    deletions = found["Löschungen je Tag"]
    assert len(deletions) == 28 + 1 and deletions[("2026-10-06", "Anzahl")] == 2 and deletions[(TOTAL, "Anzahl")] == 3


def test_the_export_follows_the_filters(example) -> None:
    found = figures(rows_for(example, Filters(OCTOBER.start, OCTOBER.end, language="tr", entry_point=CAMPAIGN)))
    weekly = found["Gespräche je Kalenderwoche und Sprache"]
    assert {column for _row, column in weekly} == {"Türkisch"}  # one column: no row totals to repeat it
    assert weekly[(TOTAL, "Türkisch")] == 18
    notes = [row[1] for row in rows_for(example, Filters(OCTOBER.start, OCTOBER.end, language="tr"))
             if row[0] == NOTE]
    assert "Zeitraum 05.10.2026 – 01.11.2026; Sprache: Türkisch" in notes
    assert found["Löschungen je Tag"][(TOTAL, "Anzahl")] == 3  # deletions know no filter but the period


# --- protected -------------------------------------------------------------------------------------------
def _visible_numbers(rows: list[list[Any]]) -> list[int]:
    return [row[3] for row in rows[1:] if row[0] != NOTE and row[3] != SUPPRESSED]


def test_the_protected_export_shows_no_figure_under_five_and_says_so(example, tmp_path: Path) -> None:
    rows = rows_for(example, public=True)
    assert rows[1][1].startswith("Geschützte Fassung für Berichte außerhalb des Programms: Jede Zahl unter 5 ist "
                                 "durch „x“ ersetzt, ebenso jede weitere Zahl")
    assert min(_visible_numbers(rows)) >= THRESHOLD
    exact = rows_for(example)
    assert [row[:3] for row in rows if row[0] != NOTE] == [row[:3] for row in exact if row[0] != NOTE]
    for (table, row, column, value), (_t, _r, _c, true) in zip(
            [r for r in rows if r[0] != NOTE], [r for r in exact if r[0] != NOTE]):
        assert value in (SUPPRESSED, true)  # shown figures are the exact ones
    found = figures(rows)
    assert found["Gespräche je Kalenderwoche und Sprache"][(TOTAL, TOTAL)] == 68  # the total stays
    searches = found["Kennzahlen: Angebotssuchen"]  # 11 with offers + 3 without = 14: the 11 would give the 3 away
    assert searches == {("Angebotssuchen mit gezeigten Angeboten", "Anzahl"): SUPPRESSED,
                        ("Angebotssuchen ohne Treffer", "Anzahl"): SUPPRESSED, (TOTAL, "Anzahl"): 14}
    for name in ("reach.xlsx", "reach.csv"):
        write_export(tmp_path / name, rows, translator("de"))
        assert read_back(tmp_path / name) == rows


def recomputable(rows: list[list[Any]]) -> list[tuple[str, str, str, float, float]]:
    """Every replaced figure a reader could pin down: from the shown figures, the sums each table shows (rows,
    columns, overall) and the equal overall totals of the conversation tables, with no figure below zero, the
    smallest and the largest value it can take (linear programming) are the same."""
    found = figures(rows)
    unknown = [(table, key) for table, cells in found.items() for key, value in cells.items() if value == SUPPRESSED]
    index = {cell: n for n, cell in enumerate(unknown)}
    equations: list[tuple[list[tuple[tuple[str, tuple[str, str]], int]]]] = []
    overall: dict[str, tuple[str, str]] = {}
    for table, cells in found.items():
        rows_ = list(dict.fromkeys(r for r, _c in cells))
        columns = list(dict.fromkeys(c for _r, c in cells))
        inner_rows = [r for r in rows_ if r != TOTAL]
        inner_columns = [c for c in columns if c != TOTAL]
        for r in rows_:
            if (r, TOTAL) in cells and inner_columns:
                equations.append([((table, (r, c)), 1) for c in inner_columns] + [((table, (r, TOTAL)), -1)])
        for c in columns:
            if (TOTAL, c) in cells and inner_rows:
                equations.append([((table, (r, c)), 1) for r in inner_rows] + [((table, (TOTAL, c)), -1)])
        if (TOTAL, TOTAL) in cells:
            overall[table] = (TOTAL, TOTAL)
        elif len(inner_columns) == 1 and (TOTAL, inner_columns[0]) in cells:
            overall[table] = (TOTAL, inner_columns[0])
        elif len(inner_rows) == 1 and (inner_rows[0], TOTAL) in cells:
            overall[table] = (inner_rows[0], TOTAL)
    linked = [table for table in CONVERSATION_TABLES if table in overall]
    for a, b in zip(linked, linked[1:]):
        equations.append([((a, overall[a]), 1), ((b, overall[b]), -1)])
    if not unknown:
        return []
    a_eq, b_eq = [], []
    for equation in equations:
        coefficients, constant = np.zeros(len(unknown)), 0.0
        for (table, key), sign in equation:
            value = found[table][key]
            if value == SUPPRESSED:
                coefficients[index[(table, key)]] += sign
            else:
                constant -= sign * value
        if coefficients.any():
            a_eq.append(coefficients)
            b_eq.append(constant)
    pinned = []
    for (table, (row, column)), n in index.items():
        objective = np.zeros(len(unknown))
        objective[n] = 1
        bounds = dict(A_eq=np.array(a_eq) if a_eq else None, b_eq=np.array(b_eq) if b_eq else None,
                      bounds=[(0, None)] * len(unknown), method="highs")
        low, high = linprog(objective, **bounds), linprog(-objective, **bounds)
        assert low.status == 0, (table, row, column, low.message)  # the shown figures are consistent
        if high.status == 0 and -high.fun - low.fun < 0.5:
            pinned.append((table, row, column, low.fun, -high.fun))
    return pinned


def test_no_replaced_figure_can_be_recomputed_from_the_totals_shown(example) -> None:
    rows = rows_for(example, public=True)
    assert sum(row[3] == SUPPRESSED for row in rows) > 40  # a sparse month: much is replaced
    assert recomputable(rows) == []
    # The check finds what a naive suppression (only the figures under 5) would give away.
    naive = [row[:3] + [SUPPRESSED if isinstance(row[3], int) and row[3] < THRESHOLD else row[3]]
             for row in rows_for(example)]
    leaks = {(table, row, column): low for table, row, column, low, _high in recomputable(naive)}
    assert leaks[("Gespräche je Kalenderwoche und Sprache", "KW 41/2026", "Bulgarisch")] == 3  # 32 − 20 − 9
    assert leaks[("Kennzahlen: Angebotssuchen", "Angebotssuchen ohne Treffer", "Anzahl")] == 3  # 14 − 11


def _seed_random(engine, seed: int, days: int = 56) -> Filters:  # type: ignore[no-untyped-def]
    """Small, uneven counts over eight weeks in every dimension (many cells under 5, some weeks empty)."""
    rng = random.Random(seed)
    start = date(2026, 9, 7)
    rows, waits = [], []
    for n in range(days):
        day = start + timedelta(days=n)
        if n // 7 in (3,):  # one empty week
            continue
        for _ in range(rng.randrange(0, 9)):
            dims = dict(day=day, channel=rng.choice(("telegram", "web", "rest")), language=rng.choice(LANGUAGES),
                        district=rng.choice((*DISTRICTS, "")), target_group=rng.choice((*TARGET_GROUPS, "")),
                        entry_point=rng.choice(("", "marxloh", CAMPAIGN)))
            rows.append(dict(metric=rng.choice(("conversation_started", "conversation_returning")),
                             count=rng.randrange(1, 6), **dims))
            rows.append(dict(metric="unanswered", topic=rng.choice((*TOPICS[:3], "legal_advice")),
                             count=rng.randrange(1, 3), **dims))
            rows.append(dict(metric=rng.choice(("helpful_yes", "helpful_no")), topic=rng.choice(("offers", "handover")),
                             **dims))
            rows.append(dict(metric="offer_search", topic="german", count=rng.randrange(1, 4), **dims))
            if rng.random() < 0.3:
                rows.append(dict(metric="offer_no_match", topic="german", **dims))
            if rng.random() < 0.2:
                waits.append((day, rng.choice(DISTRICTS), "", rng.choice((60, 300, 900, 3600, 0)), 1))
    with Session(engine, future=True) as s, s.begin():
        add_counts(s, rows)
        add_waits(s, waits)
        add_deletions(s, {start + timedelta(days=rng.randrange(days)): 1 for _ in range(6)})
    return Filters(start, start + timedelta(days=days - 1))


@pytest.mark.parametrize("seed", [1, 2])
def test_random_counters_are_protected_too(seeded_engine, seed: int) -> None:
    filters = _seed_random(seeded_engine, seed)
    rows = rows_for(seeded_engine, filters, public=True)
    assert min(_visible_numbers(rows)) >= THRESHOLD
    assert recomputable(rows) == []


def _table_rows(table: Table) -> list[list[Any]]:
    grid = table.grid()
    return [["Header"]] + [
        [table.title, table.rows[i - 1] if i else TOTAL, table.columns[j - 1] if j else TOTAL,
         SUPPRESSED if (i, j) in table.suppressed else grid[i][j]]
        for i in [*range(1, len(table.rows) + 1), 0] for j in [*range(1, len(table.columns) + 1), 0]
        if table.shown((i, j))]


def test_the_suppression_holds_for_any_small_table() -> None:
    rng = random.Random(11)
    for n in range(120):
        rows, columns = rng.randint(1, 7), rng.randint(1, 5)
        values = [[0 if rng.random() < 0.3 else rng.choice((rng.randint(1, 4), rng.randint(0, 30), rng.randint(5, 200)))
                   for _ in range(columns)] for _ in range(rows)]
        table = Table(f"t{n}", [f"r{i}" for i in range(rows)], [f"c{j}" for j in range(columns)], values,
                      row_totals=rng.random() < 0.8, column_totals=rng.random() < 0.8)
        table.suppressed = protect(table)
        shown = _table_rows(table)
        assert all(row[3] >= THRESHOLD for row in shown[1:] if row[3] != SUPPRESSED), values
        assert recomputable(shown) == [], (values, table.row_totals, table.column_totals)


# --- console and command line ----------------------------------------------------------------------------
def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([AFA, "reach", "export", *args], env=dict(os.environ), capture_output=True, text=True,
                          timeout=120)


def test_the_command_line_writes_the_consoles_rows(example, as_role, tmp_path: Path) -> None:
    client = as_role("viewer")
    for suffix in (".xlsx", ".csv"):
        for public in (False, True):
            path = tmp_path / f"cli{'-public' if public else ''}{suffix}"
            result = _cli(str(path), "--from", PERIOD["start"], "--to", "01.11.2026", *(["--public"] if public else []))
            assert result.returncode == 0, result.stderr
            assert str(path) in result.stdout
            response = client.get(f"/reach/export{suffix}", query_string={**PERIOD, **({"public": "1"} if public else {})})
            assert response.status_code == 200
            assert response.headers["Content-Disposition"] == (
                f'attachment; filename="reichweite_2026-10-05_2026-11-01{"_geschuetzt" if public else ""}{suffix}"')
            downloaded = tmp_path / f"console{suffix}"
            downloaded.write_bytes(response.data)
            assert read_back(downloaded) == read_back(path), (suffix, public)
            assert (min(_visible_numbers(read_back(path))) >= THRESHOLD) if public else True
    cli = read_back(tmp_path / "cli.csv")
    assert figures(cli)["Gespräche je Kalenderwoche und Sprache"][(TOTAL, TOTAL)] == 68


def test_the_command_line_takes_the_filters(example, tmp_path: Path) -> None:
    path = tmp_path / "tr.csv"
    result = _cli(str(path), "--from", PERIOD["start"], "--to", PERIOD["end"], "--language", "tr",
                  "--entry-point", CAMPAIGN)
    assert result.returncode == 0, result.stderr
    assert figures(read_back(path))["Gespräche je Kalenderwoche und Sprache"][(TOTAL, "Türkisch")] == 18


@pytest.mark.parametrize("args, message", [
    (["out.pdf"], "use .xlsx or .csv"),
    (["out"], "use .xlsx or .csv"),
    (["out.csv", "--from", "2026-13-01"], "is not a date"),
    (["out.csv", "--from", "2026-11-30", "--to", "2026-11-01"], "The period ends (01.11.2026) before it begins (30.11.2026)"),
    (["out.xlsx", "--language", "xx"], "There is no language “xx”"),
    (["out.xlsx", "--entry-point", "marxloh_tr_c77"], "There is no entry point “marxloh_tr_c77”"),
])
def test_bad_input_on_the_command_line_exits_with_2_and_writes_nothing(database_url: str, tmp_path: Path,
                                                                        args: list[str], message: str) -> None:
    args = [str(tmp_path / args[0]), *args[1:]]
    result = _cli(*args)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert message in result.stderr
    assert list(tmp_path.iterdir()) == [] or all(p.suffix == ".db" or p.name.startswith("afa.db") for p in tmp_path.iterdir())


def test_a_path_that_cannot_be_written_exits_with_1(database_url: str, tmp_path: Path) -> None:
    result = _cli(str(tmp_path / "missing-folder" / "out.csv"))
    assert result.returncode == 1 and "cannot be written" in result.stderr
