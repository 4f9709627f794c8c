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
from typing import Any

import yaml

from afa.content.schema import KINDS, ORDER


@dataclass
class Row:
    source: str  # "sheet offers", "offers.csv", "programme.yaml"
    number: int  # the spreadsheet row (header is row 1) or the position in the YAML list
    values: dict[str, str]


@dataclass
class Tables:
    rows: dict[str, list[Row]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def add(self, kind: str, row: Row) -> None:
        self.rows.setdefault(kind, []).append(row)


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


def _check_header(tables: Tables, kind: str, source: str, header: list[str]) -> bool:
    known = {c.name for c in KINDS[kind]}
    unknown = [h for h in header if h and h not in known]
    missing = [c.name for c in KINDS[kind] if c.required and c.name not in header]
    for name in unknown:
        tables.errors.append(f"{source}: unknown column {name!r} (columns: {', '.join(c.name for c in KINDS[kind])})")
    for name in missing:
        tables.errors.append(f"{source}: required column {name!r} is missing")
    return not unknown and not missing


def _kind_of(name: str, tables: Tables, source: str) -> str | None:
    if name in KINDS:
        return name
    tables.errors.append(f"{source}: unknown kind {name!r} (known: {', '.join(ORDER)})")
    return None


# --- YAML ---------------------------------------------------------------------------------------------
def _read_yaml(path: Path, tables: Tables) -> None:
    source = path.name
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        tables.errors.append(f"{source}: not UTF-8 text")
        return
    except yaml.YAMLError as exc:
        tables.errors.append(f"{source}: not valid YAML: {exc}")
        return
    if not isinstance(data, dict) or not data:
        tables.errors.append(f"{source}: empty, or not a mapping of kinds ({', '.join(ORDER)}) to lists of rows")
        return
    for name, items in data.items():
        kind = _kind_of(str(name), tables, source)
        if kind is None:
            continue
        if items is None:
            items = []
        if not isinstance(items, list):
            tables.errors.append(f"{source}: {kind} must be a list of rows")
            continue
        tables.rows.setdefault(kind, [])
        for number, item in enumerate(items, start=1):
            where = f"{source}, {kind}"
            if not isinstance(item, dict):
                tables.errors.append(f"{where} row {number}: not a mapping of column to value")
                continue
            if _check_header(tables, kind, f"{where} row {number}", list(map(str, item))):
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
        tables.errors.append(f"{source}: not UTF-8 text (save the file as 'CSV UTF-8')")
        return
    if not text.strip():
        tables.errors.append(f"{source}: empty file")
        return
    try:
        dialect = csv.Sniffer().sniff(text.split("\n", 1)[0], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    header = [h.strip() for h in next(reader)]
    tables.rows.setdefault(kind, [])
    if not _check_header(tables, kind, source, header):
        return
    for number, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        if len(values) > len(header):
            tables.errors.append(f"{source}, row {number}: {len(values)} cells but {len(header)} columns")
            continue
        tables.add(kind, Row(source, number, {h: cell(v) for h, v in zip(header, values)}))


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
        tables.errors.append(f"{path.name}: not a readable .xlsx workbook ({exc.__class__.__name__})")
        return
    for sheet in book.worksheets:
        source = f"sheet {sheet.title}"
        kind = _kind_of(sheet.title, tables, source)
        if kind is None:
            continue
        rows = sheet.iter_rows(values_only=True)
        try:
            header = [cell(h) for h in next(rows)]
        except StopIteration:
            tables.errors.append(f"{source}: empty sheet")
            continue
        while header and not header[-1]:
            header.pop()
        tables.rows.setdefault(kind, [])
        if not _check_header(tables, kind, source, header):
            continue
        for number, values in enumerate(rows, start=2):
            values = list(values)[: len(header)]
            if not any(cell(v) for v in values):
                continue
            tables.add(kind, Row(source, number, {h: cell(v) for h, v in zip(header, values) if h}))
    book.close()


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
            tables.errors.append(f"{path}: no .csv, .yaml or .xlsx files in this folder")
        for file in files:
            _read_one(file, tables)
    elif not path.exists():
        tables.errors.append(f"{path}: no such file or folder")
    else:
        _read_one(path, tables)
    if not tables.errors and not tables.rows:
        tables.errors.append(f"{path}: holds no content")
    return tables


def _read_one(path: Path, tables: Tables) -> None:
    suffix = path.suffix.lower()
    if path.stat().st_size == 0:
        tables.errors.append(f"{path.name}: empty file")
    elif suffix in (".yaml", ".yml"):
        _read_yaml(path, tables)
    elif suffix == ".csv":
        _read_csv(path, tables)
    elif suffix == ".xlsx":
        _read_xlsx(path, tables)
    else:
        tables.errors.append(f"{path.name}: unknown format (use .xlsx, .csv or .yaml)")


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
