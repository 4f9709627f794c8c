"""Staff review of unanswered questions: export to a spreadsheet, import the labels as NLU data (`review.yml`)."""
from __future__ import annotations

import csv
import fcntl
import io
import os
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional

import yaml
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from afa import LANGUAGES
from afa.content.tables import cell
from afa.db import FaqAnswer, UnansweredQuestion
from afa.nludata import load_examples
from afa.text import fold
from afa.training import _escape

REVIEW_COLUMNS = ("id", "date", "language", "text", "best_guess", "confidence", "label")
REQUIRED_COLUMNS = ("id", "language", "text", "label")  # the others only help the reviewer
INTENTS = ("greet", "goodbye", "thank", "affirm", "deny", "bot_challenge", "help", "out_of_scope", "ask_offers",
           "inform", "request_coach", "change_language", "more_offers", "ask_privacy", "request_deletion",
           "request_data_copy", "legal_advice")  # domain.yml's; `faq` only as faq/<key>
# Intents only buttons send (no training examples): nobody types them, so they are no label for a question.
BUTTON_INTENTS = ("confirm_deletion", "cancel_deletion", "feedback")
IGNORE = "ignore"
HEADER = "# Examples labelled in the staff review of unanswered questions (afa/review.py); edit freely.\n"
_FORMULA = ("=", "+", "-", "@")  # a spreadsheet runs a cell starting with these: user text must never do that


class ReviewError(ValueError):
    """The labels cannot be applied and nothing was written; `errors` lists every problem found, `invalid` the
    items that have one (their `where`) with the columns at fault: id, language, text, label."""
    def __init__(self, errors: list[str], invalid: Optional[dict[str, list[str]]] = None) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors
        self.invalid = invalid or {}


@dataclass(frozen=True)
class Reviewed:
    """One question as staff reviewed it, from a spreadsheet row or the console's queue."""
    where: str  # how problems name it: "review.csv row 3", "question 17"
    language: str
    text: str  # as the resident wrote it
    label: str  # "" (not reviewed yet), IGNORE, an intent of INTENTS or faq/<key>
    id: Optional[int] = None  # the unanswered question to delete once reviewed; None: a row staff added
    problems: tuple[str, ...] = ()  # found while reading it (a spreadsheet's malformed id), reported first


@dataclass
class ReviewResult:
    """What a review did: examples added, skipped as already known, rows ignored or not yet labelled."""
    added: int = 0
    duplicates: int = 0
    ignored: int = 0
    unlabelled: int = 0
    files: list[Path] = field(default_factory=list)
    labels: dict[str, int] = field(default_factory=dict)  # label → how many questions got it (ignore too)
    deleted: int = 0  # unanswered questions removed from the queue


def _suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise ReviewError([f"{path.name}: unknown format {suffix or '(no suffix)'!r}: use .xlsx or .csv"])
    return suffix


def export_review(session: Session, path: Path) -> int:
    """Write every unanswered question, oldest first, as a review sheet (.xlsx or .csv); return the row count."""
    suffix = _suffix(path)
    query = select(UnansweredQuestion).order_by(UnansweredQuestion.created_at, UnansweredQuestion.id)
    rows = [[q.id, q.created_at.date().isoformat(), q.language, ILLEGAL_CHARACTERS_RE.sub(" ", q.text),  # see example_text
             q.intent_guess or "", "" if q.confidence is None else round(q.confidence, 2), ""]
            for q in session.scalars(query)]
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        # BOM: Excel reads UTF-8 CSV as ANSI without it. A leading ' keeps user text a text (import drops it).
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            guarded = ([f"'{v}" if isinstance(v, str) and v.startswith(_FORMULA) else v for v in r] for r in rows)
            csv.writer(handle).writerows([REVIEW_COLUMNS, *guarded])
    else:
        book = Workbook()
        sheet = book.active
        sheet.title = "review"
        sheet.append(REVIEW_COLUMNS)
        for row in rows:
            sheet.append(row)
            for cell_ in sheet[sheet.max_row]:
                if cell_.data_type == "f":  # openpyxl stores "=..." as a formula; user text stays text
                    cell_.data_type = "s"
        sheet.freeze_panes = "A2"
        book.save(path)
    return len(rows)


def _read(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Header and non-blank rows (numbered as the spreadsheet shows them, header = row 1) of a review file."""
    suffix = _suffix(path)
    try:
        if suffix == ".xlsx":
            book = load_workbook(path, read_only=True, data_only=True)
            table = [[cell(v) for v in values] for values in book.worksheets[0].iter_rows(values_only=True)]
            book.close()
        else:
            text = path.read_bytes().decode("utf-8-sig")
            delimiter = max(",;\t", key=text.split("\n", 1)[0].count)  # German Excel saves CSV with semicolons
            table = [[cell(v) for v in values] for values in csv.reader(io.StringIO(text), delimiter=delimiter)]
    except UnicodeDecodeError:
        raise ReviewError([f"{path.name}: not UTF-8 text (save it as 'CSV UTF-8')"]) from None
    except Exception as exc:  # openpyxl and csv raise many types for missing or broken files
        raise ReviewError([f"{path.name}: not a readable {suffix} file ({exc.__class__.__name__}: {exc})"]) from exc
    header = [h.lower() for h in table[0]] if table else []  # an empty file: every column is missing
    return header, [(n, dict(zip(header, values))) for n, values in enumerate(table[1:], start=2) if any(values)]


def _unguard(text: str) -> str:
    """A spreadsheet cell as the resident wrote it: the export's formula guard (a leading ') undone."""
    return text[1:] if text.startswith("'") and text[1:].startswith(_FORMULA) else text


def example_text(text: str) -> str:
    """The text as one example line: no control characters, no line breaks, no Rasa annotations."""
    return _escape("".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text))


def _label_error(label: str, faq_keys: set[str]) -> str | None:
    if label in ("", IGNORE) or label in INTENTS:
        return None
    known = ", ".join(sorted(faq_keys))
    if label.startswith("faq/"):
        return None if label[4:] in faq_keys else f"unknown FAQ key {label[4:]!r} (known: {known})"
    hint = f"; FAQ labels name the topic, faq/<key>: {known}" if label == "faq" else ""
    return f"unknown intent {label!r} (use one of {', '.join(INTENTS)}, faq/<key>, {IGNORE}, or leave empty{hint})"


def _merged(path: Path, language: str, additions: dict[str, list[str]]) -> dict[str, Any]:
    """The NLU data in `path` (already read by `load_examples`) plus new examples, grouped by intent."""
    doc = (yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None) or {"version": "3.1"}
    nlu = doc["nlu"] = doc.get("nlu") or []
    for intent, texts in additions.items():
        lines = "".join(f"- {text}\n" for text in texts)
        block = next((b for b in nlu if isinstance(b, dict) and b.get("intent") == intent
                      and isinstance(b.get("examples"), str)), None)
        if block is None:
            nlu.append({"intent": intent, "metadata": {"language": language}, "examples": lines})
        else:
            kept = block["examples"].rstrip("\n")  # what was there stays
            block["examples"] = (kept + "\n" if kept.strip() else "") + lines
    return doc


class _Dumper(yaml.SafeDumper):
    """Examples as a literal block like the hand-written files: `#`, quotes and colons in it are plain text."""


_Dumper.add_representer(str, lambda dumper, value: dumper.represent_scalar(
    "tag:yaml.org,2002:str", value, style="|" if "\n" in value else None))  # PyYAML falls back to quoting if unsafe


def import_review(session: Session, path: Path, nlu_dir: Path) -> ReviewResult:
    """Check a filled-in review file, add its labelled examples to the NLU data and delete the reviewed rows."""
    header, rows = _read(path)
    if errors := [f"{path.name}: missing column {name!r}" for name in REQUIRED_COLUMNS if name not in header]:
        raise ReviewError(errors)
    items = []
    for number, row in rows:
        where, raw_id = f"{path.name} row {number}", row.get("id", "")
        valid_id = raw_id.isascii() and raw_id.isdigit()
        # an empty id is a row staff added: fine, there is just nothing to delete
        problems = (f"{where}, id: not a whole number: {raw_id!r}",) if raw_id and not valid_id else ()
        items.append(Reviewed(where, row.get("language", "").lower(), _unguard(row.get("text", "")),
                              row.get("label", "").lower(), int(raw_id) if valid_id else None, problems))
    return apply_review(session, items, nlu_dir)


def faq_keys(session: Session) -> list[str]:
    """The FAQ topics a question can be labelled with (faq/<key>): those in the database."""
    return list(session.scalars(select(FaqAnswer.key).distinct().order_by(FaqAnswer.key)))


@contextmanager
def _locked(nlu_dir: Path) -> Iterator[bool]:
    """One review at a time per NLU folder (console threads, the CLI): none reads a review.yml another is
    writing. Yields False, unlocked, if the folder cannot be opened (reading it then reports why)."""
    try:
        descriptor = os.open(nlu_dir, os.O_RDONLY)
    except OSError:
        yield False
        return
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield True
    finally:
        os.close(descriptor)  # closing releases the lock


def apply_review(session: Session, items: Iterable[Reviewed], nlu_dir: Path) -> ReviewResult:
    """The labelling rules of the spreadsheet import and the console, in one place: check every item (language,
    text, label), add the labelled examples not yet in the NLU data to <nlu_dir>/<lang>/review.yml (atomically,
    grouped by intent) and delete the reviewed questions in the caller's transaction. Any problem raises
    ReviewError, listing them all, before anything is written."""
    keys = set(faq_keys(session))
    result, errors, labelled, ids = ReviewResult(), [], [], set()
    invalid: dict[str, list[str]] = {}
    for item in items:
        where, language, text = item.where, item.language.lower(), example_text(item.text)
        label = item.label.strip().lower()
        found = [("id", problem) for problem in item.problems]
        if label != IGNORE:  # an ignored question is only deleted: any language (also "other"), any text
            if language not in LANGUAGES:
                found.append(("language", f"unknown language {language!r} (use one of {', '.join(LANGUAGES)})"))
            if not text:
                found.append(("text", "empty"))
        if (problem := _label_error(label, keys)) is not None:
            found.append(("label", problem))
        errors += [message if column == "id" else f"{where}, {column}: {message}" for column, message in found]
        if found:
            invalid[where] = [column for column, _ in found]
        if not label:
            result.unlabelled += 1
            continue
        ids.update([item.id] if item.id is not None else [])
        result.ignored += label == IGNORE
        result.labels[label] = result.labels.get(label, 0) + 1
        labelled += [] if label == IGNORE else [(language, label, text)]
    with _locked(nlu_dir):
        try:  # every file (review.yml too) must be readable before anything is written
            seen = {fold(example.text).strip(" .!?") for example in load_examples(nlu_dir)}
        except Exception as exc:  # missing folder, broken YAML, a file that is not NLU data
            errors.append(f"{nlu_dir}: cannot read the training data ({exc.__class__.__name__}: {exc})")
        if errors:
            raise ReviewError(errors, invalid)
        return _write(session, result, labelled, sorted(ids), nlu_dir, seen)


def _write(session: Session, result: ReviewResult, labelled: list[tuple[str, str, str]], ids: list[int],
           nlu_dir: Path, seen: set[str]) -> ReviewResult:
    additions: dict[str, dict[str, list[str]]] = {}  # language → intent → new example texts
    for language, intent, text in labelled:
        if (key := fold(text).strip(" .!?")) in seen:  # "Hallo!" and "hallo" are one example
            result.duplicates += 1
            continue
        seen.add(key)
        additions.setdefault(language, {}).setdefault(intent, []).append(text)
        result.added += 1
    for start in range(0, len(ids), 500):  # stay below SQLite's bound-parameter limit
        chunk = ids[start : start + 500]
        result.deleted += session.execute(delete(UnansweredQuestion).where(UnansweredQuestion.id.in_(chunk))).rowcount
    session.flush()  # a database failure surfaces before any file changes (the caller rolls back)
    for language, intents in sorted(additions.items()):
        target = nlu_dir / language / "review.yml"
        text = yaml.dump(_merged(target, language, intents), Dumper=_Dumper, allow_unicode=True, sort_keys=False)
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")  # not *.yml: training never reads a half file
        try:
            temp.write_text(HEADER + text, encoding="utf-8")
            os.replace(temp, target)
        finally:
            temp.unlink(missing_ok=True)
        result.files.append(target)
    return result
