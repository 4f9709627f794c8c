"""Reading and writing content tables as .xlsx (a sheet per kind), .csv (a file per kind, or a folder) and .yaml.

Every cell is read as a string in one canonical form (dates ISO, booleans true/false, whole numbers without
'.0'), so validation is the same whatever the format, and export followed by import changes nothing.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Optional, Union

import yaml

from afa.content.schema import KINDS, ORDER
from afa.i18n import S_

Translate = Callable[..., str]  # (message, **params) -> text: English by default, the console's `_` for German


def english(message: str, **params: Any) -> str:
    return message.format(**params)


class Text:
    """A message for staff: an English template marked with S_() and its params (a param may be a Text too),
    rendered in English for the command line or through the console's catalogue."""

    def __init__(self, message: str, **params: Any) -> None:
        self.message, self.params = message, params

    def render(self, translate: Translate = english) -> str:
        params = {k: v.render(translate) if isinstance(v, Text) else v for k, v in self.params.items()}
        return translate(self.message, **params)

    def __str__(self) -> str:
        return self.render()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, **{self.params!r})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and vars(other) == vars(self)


Source = Union[str, Text]  # a file name ("offers.csv", "content.yaml, offers") or Text("sheet {name}")


def place(source: Source, row: Optional[int] = None, column: Optional[str] = None) -> Source:
    """Where in the input: 'sheet offers, row 3, field valid_until'."""
    if row is None:
        return source
    if column is None:
        return Text(S_("{source}, row {row}"), source=source, row=row)
    return Text(S_("{source}, row {row}, field {field}"), source=source, row=row, field=column)


class Problem(Text):
    """One thing wrong in the input: the message and its params, and where (source, row, field)."""

    def __init__(self, message: str, source: Source = "", row: Optional[int] = None, column: Optional[str] = None,
                 **params: Any) -> None:
        super().__init__(message, **params)
        self.source, self.row, self.field = source, row, column

    def render(self, translate: Translate = english) -> str:
        where = place(self.source, self.row, self.field)
        where_text = where.render(translate) if isinstance(where, Text) else where
        text = super().render(translate)
        return f"{where_text}: {text}" if where_text else text


class Invalid(ValueError):
    """A cell's value is wrong; `text` says why (str() is the English text)."""

    def __init__(self, message: str, **params: Any) -> None:
        self.text = Text(message, **params)
        super().__init__(str(self.text))


@dataclass
class Row:
    source: Source  # "offers.csv", "programme.yaml, offers", or Text("sheet {name}")
    number: int  # the spreadsheet row (header is row 1) or the position in the YAML list
    values: dict[str, str]


@dataclass
class Tables:
    rows: dict[str, list[Row]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[str]:
        """The problems as the command line prints them (English)."""
        return [str(p) for p in self.problems]

    def add(self, kind: str, row: Row) -> None:
        self.rows.setdefault(kind, []).append(row)

    def problem(self, source: Source, message: str, **params: Any) -> None:
        self.problems.append(Problem(message, source, **params))


def cell(value: Any) -> str:
    """One canonical string for any cell value."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, Decimal):
        return str(int(value)) if value == value.to_integral_value() else format(value.normalize(), "f")
    if isinstance(value, (list, tuple)):
        return ", ".join(cell(v) for v in value)
    return str(value).strip()


def _check_header(tables: Tables, kind: str, source: Source, header: list[str]) -> bool:
    known = {c.name for c in KINDS[kind]}
    unknown = [h for h in header if h and h not in known]
    missing = [c.name for c in KINDS[kind] if c.required and c.name not in header]
    for name in unknown:
        tables.problem(source, S_("unknown column {name!r} (columns: {columns})"), name=name,
                       columns=", ".join(c.name for c in KINDS[kind]))
    for name in missing:
        tables.problem(source, S_("required column {name!r} is missing"), name=name)
    return not unknown and not missing


def _kind_of(name: str, tables: Tables, source: Source) -> str | None:
    if name in KINDS:
        return name
    tables.problem(source, S_("unknown kind {name!r} (known: {known})"), name=name, known=", ".join(ORDER))
    return None


# --- YAML ---------------------------------------------------------------------------------------------
def _read_yaml(path: Path, tables: Tables) -> None:
    source = path.name
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        tables.problem(source, S_("not UTF-8 text"))
        return
    except yaml.YAMLError as exc:
        tables.problem(source, S_("not valid YAML: {detail}"), detail=str(exc))
        return
    if not isinstance(data, dict) or not data:
        tables.problem(source, S_("empty, or not a mapping of kinds ({known}) to lists of rows"), known=", ".join(ORDER))
        return
    for name, items in data.items():
        kind = _kind_of(str(name), tables, source)
        if kind is None:
            continue
        if items is None:
            items = []
        if not isinstance(items, list):
            tables.problem(source, S_("{kind} must be a list of rows"), kind=kind)
            continue
        tables.rows.setdefault(kind, [])
        for number, item in enumerate(items, start=1):
            where = f"{source}, {kind}"
            item_where = Text(S_("{source} row {row}"), source=where, row=number)
            if not isinstance(item, dict):
                tables.problem(item_where, S_("not a mapping of column to value"))
                continue
            if _check_header(tables, kind, item_where, list(map(str, item))):
                tables.add(kind, Row(where, number, {str(k): cell(v) for k, v in item.items()}))


def _write_yaml(path: Path, tables: dict[str, list[dict[str, str]]]) -> None:
    class _Dumper(yaml.SafeDumper):
        pass

    def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)

    _Dumper.add_representer(str, _str)
    path.write_text(
        yaml.dump(tables, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=120), encoding="utf-8"
    )


# --- CSV ----------------------------------------------------------------------------------------------
def _read_csv(path: Path, tables: Tables) -> None:
    source = path.name
    kind = _kind_of(path.stem, tables, source)
    if kind is None:
        return
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        tables.problem(source, S_("not UTF-8 text (save the file as 'CSV UTF-8')"))
        return
    if not text.strip():
        tables.problem(source, S_("empty file"))
        return
    try:
        dialect = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        header = [h.strip() for h in next(reader)]
        tables.rows.setdefault(kind, [])
        if not _check_header(tables, kind, source, header):
            return
        for number, values in enumerate(reader, start=2):
            if not any(v.strip() for v in values):
                continue
            if len(values) > len(header):
                tables.problems.append(Problem(S_("{cells} cells but {columns} columns"), source, number,
                                               cells=len(values), columns=len(header)))
                continue
            tables.add(kind, Row(source, number, {h: cell(v) for h, v in zip(header, values)}))
    except csv.Error as exc:  # NUL bytes, a cell beyond the field size limit, a broken quote
        tables.problem(source, S_("not a readable CSV file ({detail})"), detail=str(exc))


def _write_csv(path: Path, kind: str, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=[c.name for c in KINDS[kind]])
        writer.writeheader()
        writer.writerows(rows)


# --- XLSX ---------------------------------------------------------------------------------------------
def _read_xlsx(path: Path, tables: Tables) -> None:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several types for broken files
        tables.problem(path.name, S_("not a readable .xlsx workbook ({detail})"), detail=exc.__class__.__name__)
        return
    try:
        for sheet in book.worksheets:
            _read_sheet(sheet, tables)
    except Exception as exc:  # a workbook that opens but whose sheets are broken inside
        tables.problem(path.name, S_("not a readable .xlsx workbook ({detail})"), detail=exc.__class__.__name__)
    finally:
        book.close()


def _read_sheet(sheet: Any, tables: Tables) -> None:
    source = Text(S_("sheet {name}"), name=sheet.title)
    kind = _kind_of(sheet.title, tables, source)
    if kind is None:
        return
    rows = sheet.iter_rows(values_only=True)
    try:
        header = [cell(h) for h in next(rows)]
    except StopIteration:
        tables.problem(source, S_("empty sheet"))
        return
    while header and not header[-1]:
        header.pop()
    tables.rows.setdefault(kind, [])
    if not _check_header(tables, kind, source, header):
        return
    for number, values in enumerate(rows, start=2):
        values = list(values)[: len(header)]
        if not any(cell(v) for v in values):
            continue
        tables.add(kind, Row(source, number, {h: cell(v) for h, v in zip(header, values) if h}))


def _write_xlsx(path: Path, tables: dict[str, list[dict[str, str]]]) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for kind in ORDER:
        if kind not in tables:
            continue
        sheet = book.create_sheet(kind)
        columns = [c.name for c in KINDS[kind]]
        sheet.append(columns)
        for cell_ in sheet[1]:
            cell_.font = Font(bold=True)
        for row in tables[kind]:
            # Text cells throughout: Excel must not turn phone numbers or ids into numbers.
            sheet.append([row.get(name, "") for name in columns])
        sheet.freeze_panes = "A2"
    book.save(path)


# --- entry points -------------------------------------------------------------------------------------
def read_tables(path: Path) -> Tables:
    """Read a content file or folder; problems are collected in `errors`, nothing raises for bad input."""
    tables = Tables()
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in (".csv", ".yaml", ".yml", ".xlsx"))
        if not files:
            tables.problem(str(path), S_("no .csv, .yaml or .xlsx files in this folder"))
        for file in files:
            _read_one(file, tables)
    elif not path.exists():
        tables.problem(str(path), S_("no such file or folder"))
    else:
        _read_one(path, tables)
    if not tables.problems and not tables.rows:
        tables.problem(str(path), S_("holds no content"))
    return tables


def _read_one(path: Path, tables: Tables) -> None:
    suffix = path.suffix.lower()
    if path.stat().st_size == 0:
        tables.problem(path.name, S_("empty file"))
    elif suffix in (".yaml", ".yml"):
        _read_yaml(path, tables)
    elif suffix == ".csv":
        _read_csv(path, tables)
    elif suffix == ".xlsx":
        _read_xlsx(path, tables)
    else:
        tables.problem(path.name, S_("unknown format (use .xlsx, .csv or .yaml)"))


def write_tables(path: Path, tables: dict[str, list[dict[str, str]]]) -> list[Path]:
    """Write the tables in the format the path names: .xlsx, .yaml, or a folder (or .csv name) of CSV files."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        _write_xlsx(path, tables)
        return [path]
    if suffix in (".yaml", ".yml"):
        _write_yaml(path, tables)
        return [path]
    if suffix == ".csv":  # one kind, named by the file: offers.csv
        if path.stem not in tables:
            raise ValueError(f"{path.name}: name a kind ({', '.join(ORDER)}), e.g. offers.csv, or give a folder")
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_csv(path, path.stem, tables[path.stem])
        return [path]
    path.mkdir(parents=True, exist_ok=True)
    written = []
    for kind, rows in tables.items():
        target = path / f"{kind}.csv"
        _write_csv(target, kind, rows)
        written.append(target)
    return written
