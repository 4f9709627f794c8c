"""The reach figures as rows for .xlsx and .csv: the console's export and `afa reach export` write the same.

    rows = export_rows(report, public=False, t=translator("de"), campaigns=known_entry_points(s), today=today)
    write_export(path, rows)                   # .xlsx or .csv by the extension

Exact by default. `public=True` is for reports outside the programme: every figure under 5 is replaced by "x"
(primary suppression), and so is every further figure needed so that no replaced one can be recomputed from the
totals and subtotals shown (secondary suppression). Each table is a grid with its row totals, column totals and
overall total; a replaced figure is safe when it lies on a closed cycle of replaced (or never shown) cells along
which the figures can move by one, up and down in turn, without any shown total changing and without any
figure going below zero — then the shown figures fit at least two values of it. The cheapest such cycle is
found as a shortest path (small cells first, totals last). Tables share no figure except their overall total,
which is never replaced unless it is under 5 itself (then every figure of those tables is, too).
"""
from __future__ import annotations

import csv
import heapq
import io
import math
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Mapping, Optional, Sequence

from afa.i18n import S_
from afa.reach.labels import (HELPFUL_ANSWERS, HELPFUL_CONTEXTS, LANGUAGE_LABELS, METRIC_LABELS, WAIT_LABELS, Translate,
                              label, topic_label)
from afa.reach.report import Report, describe, value_name
from afa.reach.tables import WAIT_BUCKETS

THRESHOLD = 5
SUPPRESSED = "x"
FORMATS = (".xlsx", ".csv")
HEADER = (S_("Table"), S_("Row"), S_("Column"), S_("Value"))
NOTE = S_("Note")
TOTAL = S_("Total")
COUNT = S_("Number")
Cell = tuple[int, int]  # (row, column) in the extended grid: row 0 holds the column totals, column 0 the row totals


@dataclass
class Table:
    """A grid of counts with the totals it shows; `total_key` names the figure its overall total is (tables with
    the same key show the same overall total)."""

    title: str
    rows: list[str]
    columns: list[str]
    values: list[list[int]]
    row_totals: bool = True
    column_totals: bool = True
    total_key: Optional[str] = None
    suppressed: set[Cell] = field(default_factory=set)

    def __post_init__(self) -> None:
        if len(self.columns) == 1:
            self.row_totals = False  # a row's total would repeat its one figure
        if len(self.rows) == 1:
            self.column_totals = False

    def grid(self) -> list[list[int]]:
        """(rows + 1) × (columns + 1): the figures with their totals in row 0 and column 0."""
        inner = [[0] + list(row) for row in self.values]
        totals = [sum(row[j] for row in inner) for j in range(len(self.columns) + 1)]
        for row in inner:
            row[0] = sum(row[1:])
        totals[0] = sum(row[0] for row in inner)
        return [totals] + inner

    def shown(self, cell: Cell) -> bool:
        i, j = cell
        if i and j:
            return True
        if i:
            return self.row_totals
        if j:
            return self.column_totals
        return self.row_totals and self.column_totals

    def overall(self) -> Optional[Cell]:
        """The shown cell that holds the table's overall total."""
        if self.row_totals and self.column_totals:
            return (0, 0)
        if self.column_totals and len(self.columns) == 1:
            return (0, 1)
        if self.row_totals and len(self.rows) == 1:
            return (1, 0)
        return None

    def cells(self) -> list[Cell]:
        return [(i, j) for i in range(len(self.rows) + 1) for j in range(len(self.columns) + 1) if self.shown((i, j))]


# --- secondary suppression ---------------------------------------------------------------------------------
def _x_sign(cell: Cell, y_sign: int) -> int:
    """How a figure moves when the cycle moves its cell by `y_sign`: totals move against the cells they sum (in the
    grid each row and column then sums to zero), the overall total with them."""
    i, j = cell
    return -y_sign if (i == 0) != (j == 0) else y_sign


def _cycle(table: Table, grid: list[list[int]], unknown: set[Cell], start: Cell,
           cost_of: Mapping[Cell, float]) -> Optional[tuple[float, list[Cell]]]:
    """The cheapest closed cycle through `start` along which the figures can move by one: a shortest path from
    the start's column back to its row, over cells whose figure may go down by one where the cycle lowers it."""
    rows, columns = len(table.rows) + 1, len(table.columns) + 1
    r0, c0 = start
    best: Optional[tuple[float, list[Cell]]] = None

    def weight(cell: Cell, y_sign: int) -> Optional[float]:
        """What using the cell costs (0 when it is hidden already), None when it cannot move that way."""
        if cell == start or (_x_sign(cell, y_sign) < 0 and grid[cell[0]][cell[1]] < 1):
            return None
        return 0.0 if cell in unknown else cost_of.get(cell)

    for s0 in (1, -1):
        if _x_sign(start, s0) < 0 and grid[start[0]][start[1]] < 1:
            continue  # a zero cannot go down
        # Nodes: ("c", j) and ("r", i). Column → row edges move their cell by -s0, row → column edges by +s0.
        target = ("r", r0)
        distances: dict[tuple[str, int], float] = {("c", c0): 0.0}
        previous: dict[tuple[str, int], tuple[tuple[str, int], Cell]] = {}
        heap: list[tuple[float, tuple[str, int]]] = [(0.0, ("c", c0))]
        done: set[tuple[str, int]] = set()
        while heap:
            distance, node = heapq.heappop(heap)
            if node in done:
                continue
            if node == target or (best is not None and distance >= best[0]):
                break
            done.add(node)
            kind, index = node
            if kind == "c":
                steps = ((("r", i), (i, index), -s0) for i in range(rows))
            else:
                steps = ((("c", j), (index, j), s0) for j in range(columns))
            for step, cell, y_sign in steps:
                if step in done:
                    continue
                cost = weight(cell, y_sign)
                if cost is None or distance + cost >= distances.get(step, math.inf):
                    continue
                distances[step] = distance + cost
                previous[step] = (node, cell)
                heapq.heappush(heap, (distance + cost, step))
            if distances.get(target) == distance:
                break  # reached at the least distance still open: nothing can beat it
        if target not in previous or (best is not None and distances[target] >= best[0]):
            continue
        path, node = [start], target
        while node != ("c", c0):
            node, cell = previous[node]
            path.append(cell)
        best = (distances[target], path)
        if best[0] == 0:
            break  # only cells hidden already: as cheap as it gets
    return best


def protect(table: Table) -> set[Cell]:
    """Primary suppression (every shown figure under 5) and secondary suppression (cycles, see the module);
    returns the replaced cells. The overall total is replaced only when nothing else can protect a figure."""
    grid = table.grid()
    shown = table.cells()
    hidden = {(i, j) for i in range(len(table.rows) + 1) for j in range(len(table.columns) + 1)} - set(shown)
    suppressed = {cell for cell in shown if grid[cell[0]][cell[1]] < THRESHOLD}
    overall = table.overall()

    def costs(allow_overall: bool) -> dict[Cell, float]:
        result = {}
        for cell in shown:
            weight = 1 + math.log1p(grid[cell[0]][cell[1]])
            if cell[0] == 0 or cell[1] == 0:
                weight *= 4  # totals are what reports quote: keep them where a cell can do
            if cell == overall:
                weight = 1000.0 if allow_overall else math.inf
            if weight != math.inf:
                result[cell] = weight
        return result

    cheap, dear = costs(False), costs(True)
    protected: set[Cell] = set()
    while True:
        pending = sorted(suppressed - protected)
        if not pending:
            break
        cell = pending[0]
        found = _cycle(table, grid, suppressed | hidden, cell, cheap) or _cycle(table, grid, suppressed | hidden,
                                                                                cell, dear)
        if found is None:  # nothing can hide it: hide the whole table (no shown figure is then left to use)
            suppressed |= set(shown)
            break
        for step in found[1]:
            if table.shown(step):
                suppressed.add(step)
            protected.add(step)
    return suppressed


def protect_all(tables: Sequence[Table]) -> None:
    """Suppression for every table; where an overall total had to be replaced, every table showing that figure
    is replaced entirely, so that no other table gives it away."""
    for table in tables:
        table.suppressed = protect(table)
    keys = {table.total_key for table in tables if table.total_key and table.overall() in table.suppressed}
    for table in tables:
        if table.total_key in keys:
            table.suppressed = set(table.cells())


# --- the tables -------------------------------------------------------------------------------------------
def week_label(week: date, t: Translate) -> str:
    year, number, _weekday = week.isocalendar()
    return t(S_("Week {week}/{year}"), week=f"{number:02d}", year=year)


def export_tables(report: Report, t: Translate, campaigns: Mapping[str, str]) -> list[Table]:
    """The dashboard's figures as grids (the same for every format and for the console and the command line)."""
    f = report.totals
    metric = lambda key: t(METRIC_LABELS[key])  # noqa: E731
    language = lambda code: value_name("language", code, t, campaigns)  # noqa: E731
    tables = [
        Table(t(S_("Key figures: conversations")), [metric("conversation_started"), metric("conversation_returning")],
              [t(COUNT)], [[f["conversation_started"]], [f["conversation_returning"]]], total_key="conversations"),
        Table(t(S_("Key figures: offer searches")), [metric("searches_with_offers"), metric("offer_no_match")],
              [t(COUNT)], [[f["searches_with_offers"]], [f["offer_no_match"]]]),
        Table(t(S_("Key figures")), [metric(key) for key in
                                     ("message", "offers_shown", "coach_request", "handover_accepted", "handover_ended")],
              [t(COUNT)], [[f[key]] for key in
                           ("message", "offers_shown", "coach_request", "handover_accepted", "handover_ended")],
              row_totals=False, column_totals=False),
        Table(t(S_("Conversations per calendar week and language")),
              [week_label(week, t) for week in report.weeks], [language(code) for code in report.languages],
              [[report.conversations.get((week, code), 0) for code in report.languages] for week in report.weeks],
              total_key="conversations"),
        Table(t(S_("Conversations per district")),
              [value_name("district", d, t, campaigns) for d in report.districts], [t(COUNT)],
              [[report.by_district.get(d, 0)] for d in report.districts], total_key="conversations"),
        Table(t(S_("Time from coach request to Accept, per team")),
              [t(WAIT_LABELS[bucket]) for bucket in WAIT_BUCKETS],
              [value_name("team", team, t, campaigns) for team in report.teams],
              [[report.waits.get((bucket, team), 0) for team in report.teams] for bucket in WAIT_BUCKETS]),
        Table(t(S_("Questions not answered, per topic and language")),
              [topic_label(topic, t) for topic in report.topics or [""]],
              [label(LANGUAGE_LABELS, code, t) for code in report.languages],
              [[report.unanswered.get((topic, code), 0) for code in report.languages] for topic in report.topics or [""]]),
        Table(t(S_("Answers to “did this help?”")),
              [label(HELPFUL_CONTEXTS, context, t) for context in report.contexts],
              [t(HELPFUL_ANSWERS[key]) for key in ("helpful_yes", "helpful_no")],
              [[report.helpful.get((context, key), 0) for key in ("helpful_yes", "helpful_no")]
               for context in report.contexts]),
        Table(t(S_("Deletions per day")), [day.isoformat() for day in report.deletions], [t(COUNT)],
              [[count] for count in report.deletions.values()]),
    ]
    return tables


def notes(report: Report, public: bool, t: Translate, campaigns: Mapping[str, str], today: date) -> list[str]:
    """What every export says about itself, first of all whether it is exact or protected."""
    first = (t(S_("Protected version for reports outside the programme: every figure under 5 is replaced by “x”, and "
                  "so is every further figure from which a replaced one could be recomputed with the totals and "
                  "subtotals shown.")) if public else
             t(S_("Exact figures, for use within the programme. For reports outside it, export the protected "
                  "version.")))
    return [
        first,
        t(S_("Conversations are counted, not people.")),
        describe(report.filters, t, campaigns),
        t(S_("“Offer searches with offers shown” counts searches (a conversation can search more than once); "
             "“Offers shown” counts the single offers.")),
        t(S_("Waiting times are recorded per team and entry point only: the filters channel, language and target "
             "group do not apply to them.")),
        t(S_("Deletions are counted per day only, with no other feature: only the period applies to them, no other "
             "filter.")),
        t(S_("Weeks are ISO calendar weeks; the first and the last may lie only partly in the period.")),
        t(S_("Created on {date}."), date=today.isoformat()),
    ]


def export_rows(report: Report, *, public: bool, t: Translate, campaigns: Mapping[str, str],
                today: date) -> list[list[Any]]:
    """Header, the notes, then one row per figure: table, row, column, value (a number, or "x" where replaced)."""
    tables = export_tables(report, t, campaigns)
    if public:
        protect_all(tables)
    rows: list[list[Any]] = [[t(name) for name in HEADER]]
    rows += [[t(NOTE), text, "", ""] for text in notes(report, public, t, campaigns, today)]
    total = t(TOTAL)
    for table in tables:
        grid = table.grid()
        order = [i for i in range(1, len(table.rows) + 1)] + [0]
        for i in order:
            for j in [*range(1, len(table.columns) + 1), 0]:
                if not table.shown((i, j)):
                    continue
                value: Any = SUPPRESSED if (i, j) in table.suppressed else grid[i][j]
                rows.append([table.title, table.rows[i - 1] if i else total, table.columns[j - 1] if j else total,
                             value])
    return rows


# --- files ------------------------------------------------------------------------------------------------
def csv_bytes(rows: Sequence[Sequence[Any]]) -> bytes:
    """UTF-8 with a byte order mark (so that spreadsheet programs read the umlauts), comma separated."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")


def xlsx_bytes(rows: Sequence[Sequence[Any]], t: Translate) -> bytes:
    """A sheet with the rows (numbers as numbers), and a sheet with the notes alone."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    sheet.title = t(S_("Figures"))[:31]
    for row in rows:
        sheet.append(list(row))
    for line in sheet.iter_rows():
        for cell in line:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # text, never a formula (openpyxl would write "=..." as one)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    for column, width in zip("ABCD", (44, 40, 26, 10)):
        sheet.column_dimensions[column].width = width
    note = t(NOTE)
    info = book.create_sheet(t(S_("Notes"))[:31])
    for row in rows[1:]:
        if row[0] == note:
            info.append([row[1]])
    info.column_dimensions["A"].width = 120
    for cell in info["A"]:
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def export_bytes(rows: Sequence[Sequence[Any]], suffix: str, t: Translate) -> bytes:
    if suffix == ".xlsx":
        return xlsx_bytes(rows, t)
    if suffix == ".csv":
        return csv_bytes(rows)
    raise ValueError(suffix)


def write_export(path: Path, rows: Sequence[Sequence[Any]], t: Translate) -> None:
    """The rows as .xlsx or .csv, by the extension (anything else: ValueError)."""
    path.write_bytes(export_bytes(rows, path.suffix.lower(), t))


def read_back(path: Path) -> list[list[Any]]:
    """An export read again (numbers as int), for checks and tests."""
    if path.suffix.lower() == ".csv":
        text = path.read_bytes().decode("utf-8-sig")
        rows: list[list[Any]] = [list(row) for row in csv.reader(io.StringIO(text))]
        return [rows[0]] + [[*row[:3], int(row[3]) if row[3].isdigit() else row[3]] for row in rows[1:]]
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = book.worksheets[0]
        return [["" if value is None else value for value in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()
