"""Staff review of unanswered questions: export, label, import as training data; malformed files change nothing."""
from __future__ import annotations

import csv
import hashlib
import io
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml
from openpyxl import Workbook, load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from afa.content.tables import cell
from afa.db import UnansweredQuestion
from afa.nludata import load_examples
from afa.review import BUTTON_INTENTS, INTENTS, REVIEW_COLUMNS, ReviewError, ReviewResult, export_review, import_review
from afa.settings import PROJECT_ROOT

# text, language, best guess, confidence, label staff give it
QUESTIONS = [
    ('Was heißt "Bürgergeld": gibt\'s das auch für Azubis? #frage 🙂', "de", "faq", 0.41234, " Ask_Offers "),
    ("- Almanca kursu var mı? [acil]", "tr", None, None, "ask_offers"),
    ("Колко струва курсът по немски в Хохфелд?", "bg", "ask_offers", 0.2, "ask_offers"),
    ("Cine plătește de fapt tot proiectul ăsta?", "ro", "faq", 0.5551, "FAQ/funding"),
    ("HALLO!", "de", "greet", 0.3, "greet"),  # "Hallo" is in nlu_data/de/basics.yml
    ("=1+2 asdf", "de", None, 0.1, "ignore"),  # a formula if a spreadsheet took it for one
    ("Merhaba, nasıl başvururum acaba?", "tr", "help", 0.25, ""),  # not reviewed yet
    ("Искам някой: 'спешно' – моля", "bg", "request_coach", 0.5, "request_coach"),
    ("cine platește de fapt tot proiectul asta", "ro", "faq", 0.5, "faq/funding"),  # same as row 4 once folded
]
# What the new examples read back as (brackets would start a Rasa entity annotation, so they become parentheses).
ADDED = {
    ('Was heißt "Bürgergeld": gibt\'s das auch für Azubis? #frage 🙂', "ask_offers", "de"),
    ("- Almanca kursu var mı? (acil)", "ask_offers", "tr"),
    ("Колко струва курсът по немски в Хохфелд?", "ask_offers", "bg"),
    ("Cine plătește de fapt tot proiectul ăsta?", "faq/funding", "ro"),
    ("Искам някой: 'спешно' – моля", "request_coach", "bg"),
}


@pytest.fixture()
def nlu(tmp_path: Path) -> Path:
    """A private copy of the training data: the real nlu_data/ is never written."""
    return Path(shutil.copytree(PROJECT_ROOT / "nlu_data", tmp_path / "nlu_data"))


def _digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() if path.is_file() else b"<dir>")
    return digest.hexdigest()


def _add(engine, questions=QUESTIONS) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Insert the questions (newest first, so the export has to sort them); returns text → id."""
    with Session(engine, future=True) as session, session.begin():
        rows = [
            UnansweredQuestion(text=text, language=language, intent_guess=guess, confidence=confidence,
                               created_at=datetime(2024, 3, 1 + i, 12, 30, tzinfo=timezone.utc))
            for i, (text, language, guess, confidence, _) in enumerate(questions)
        ]
        for row in rows:  # the pseudonymous conversation key (where the schema has it) must never leave the database
            if hasattr(UnansweredQuestion, "conversation_key"):
                row.conversation_key = "ck-secret-zq"
        session.add_all(reversed(rows))
        session.flush()
        return {row.text: row.id for row in rows}


def _texts_left(engine) -> set[str]:  # type: ignore[no-untyped-def]
    with Session(engine, future=True) as session:
        return set(session.scalars(select(UnansweredQuestion.text)))


def _export(engine, path: Path) -> int:  # type: ignore[no-untyped-def]
    with Session(engine, future=True) as session:
        return export_review(session, path)


def _import(engine, path: Path, nlu_dir: Path) -> ReviewResult:  # type: ignore[no-untyped-def]
    with Session(engine, future=True) as session, session.begin():
        return import_review(session, path, nlu_dir)


def _read_sheet(path: Path) -> list[list[str]]:
    if path.suffix == ".csv":
        text = path.read_text(encoding="utf-8-sig")
        delimiter = ";" if ";" in text.split("\n", 1)[0] else ","
        return [[cell(v) for v in row] for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    book = load_workbook(path)
    return [[cell(v) for v in row] for row in book.active.iter_rows(values_only=True)]


def _write_sheet(path: Path, table: list[list[object]]) -> None:
    """Write a table as staff would save it: .xlsx, or CSV with semicolons (German Excel)."""
    if path.suffix == ".csv":
        with path.open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle, delimiter=";").writerows(table)
        return
    book = Workbook()
    for row in table:
        book.active.append(row)
    book.save(path)


def _label(path: Path, labels: dict[int, str]) -> None:
    """Fill the label column of an exported file, as staff do in their spreadsheet program."""
    if path.suffix == ".xlsx":
        book = load_workbook(path)
        for row in book.active.iter_rows(min_row=2):
            row[6].value = labels[int(row[0].value)]
        book.save(path)
        return
    table = _read_sheet(path)
    _write_sheet(path, [table[0]] + [[*row[:6], labels[int(row[0])]] for row in table[1:]])


def test_intents_are_those_of_the_domain() -> None:
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    assert set(INTENTS) == set(domain["intents"]) - {"faq"} - set(BUTTON_INTENTS)
    typed = {example.intent.split("/")[0] for example in load_examples(PROJECT_ROOT / "nlu_data")}
    assert set(INTENTS) == typed - {"faq"}  # every label staff can give has examples; button intents have none
    assert "faq" not in INTENTS and "more_offers" in INTENTS


@pytest.mark.parametrize("name", ["review.xlsx", "review.csv"])
def test_round_trip(seeded_engine, nlu: Path, tmp_path: Path, name: str) -> None:
    assert not {text for text, _, _ in ADDED} & {e.text for e in load_examples(nlu)}
    ids = _add(seeded_engine)
    path = tmp_path / name
    assert _export(seeded_engine, path) == len(QUESTIONS)

    table = _read_sheet(path)
    assert tuple(table[0]) == REVIEW_COLUMNS
    assert all(len(row) == len(REVIEW_COLUMNS) for row in table)  # nothing about the user
    assert not any("ck-secret" in value for row in table for value in row)
    by_text = {row[3].removeprefix("'") if name.endswith(".csv") else row[3]: row for row in table[1:]}
    assert [row[0] for row in table[1:]] == [str(ids[q[0]]) for q in QUESTIONS]  # oldest first
    first = by_text[QUESTIONS[0][0]]
    assert first == [str(ids[QUESTIONS[0][0]]), "2024-03-01", "de", QUESTIONS[0][0], "faq", "0.41", ""]
    assert by_text["- Almanca kursu var mı? [acil]"][4:] == ["", "", ""]
    assert by_text["Cine plătește de fapt tot proiectul ăsta?"][5] == "0.56"
    if name.endswith(".csv"):  # a leading ' keeps Excel from running user text as a formula
        assert "'=1+2 asdf" in {row[3] for row in table} and "'- Almanca kursu var mı? [acil]" in {r[3] for r in table}
        assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: Excel opens it as UTF-8
    else:
        formula_cell = next(r for r in load_workbook(path).active.iter_rows(min_row=2) if r[3].value == "=1+2 asdf")
        assert formula_cell[3].data_type == "s"

    _label(path, {ids[text]: label for text, _, _, _, label in QUESTIONS})
    result = _import(seeded_engine, path, nlu)
    assert (result.added, result.duplicates, result.ignored, result.unlabelled) == (5, 2, 1, 1)
    assert sorted(result.files) == sorted(nlu / lang / "review.yml" for lang in ("de", "tr", "bg", "ro"))
    assert not list(nlu.rglob("*.tmp"))

    for lang in ("de", "tr", "bg", "ro"):
        doc = yaml.safe_load((nlu / lang / "review.yml").read_text(encoding="utf-8"))
        assert doc["version"] == "3.1"
        assert all(block["metadata"] == {"language": lang} for block in doc["nlu"])
    new = {(e.text, e.intent, e.language) for e in load_examples(nlu) if e.source == "review.yml"}
    assert new == ADDED
    assert _texts_left(seeded_engine) == {"Merhaba, nasıl başvururum acaba?"}

    # Rasa reads the files exactly the same way.
    from rasa.shared.nlu.training_data.loading import load_data

    read = set()
    for lang in ("de", "tr", "bg", "ro"):
        for message in load_data(str(nlu / lang / "review.yml")).intent_examples:
            read.add((message.get("text"), message.get("intent_response_key") or message.get("intent"), lang))
    assert read == ADDED

    before = _digest(nlu)
    again = _import(seeded_engine, path, nlu)  # same file again: its ids are gone, its texts known
    assert (again.added, again.duplicates, again.ignored, again.unlabelled, again.files) == (0, 7, 1, 1, [])
    assert _digest(nlu) == before


def test_existing_review_file_is_kept_and_grouped_by_intent(seeded_engine, nlu: Path, tmp_path: Path) -> None:
    existing = nlu / "de" / "review.yml"
    existing.write_text(
        'version: "3.1"\nnlu:\n- intent: greet\n  metadata:\n    language: de\n  examples: |\n'
        "    - Servus beinand zq\n- intent: help\n  metadata:\n    language: de\n  examples: |\n    - hülfe zq\n",
        encoding="utf-8",
    )
    questions = [("Grüß Gott miteinand zq", "de", None, None, "greet"), ("Tach auch zq", "de", None, None, "GREET"),
                 ("Wer bezahlt das zq?", "de", None, None, "faq/funding")]
    ids = _add(seeded_engine, questions)
    path = tmp_path / "review.csv"
    _export(seeded_engine, path)
    _label(path, {ids[text]: label for text, _, _, _, label in questions})
    assert _import(seeded_engine, path, nlu).added == 3
    blocks = yaml.safe_load(existing.read_text(encoding="utf-8"))["nlu"]
    assert [b["intent"] for b in blocks] == ["greet", "help", "faq/funding"]
    assert blocks[0]["examples"] == "- Servus beinand zq\n- Grüß Gott miteinand zq\n- Tach auch zq\n"
    assert blocks[1]["examples"] == "- hülfe zq\n"
    assert "examples: |" in existing.read_text(encoding="utf-8")  # a literal block like the hand-written files


# Texts that break naive YAML: quotes, colons, comments, list dashes, YAML keywords, emoji, Cyrillic.
NASTY = {
    '"Zitat" am Anfang zq': '"Zitat" am Anfang zq',
    "'einfach' zitiert zq": "'einfach' zitiert zq",
    "Frage: Antwort? zq": "Frage: Antwort? zq",
    "endet mit Doppelpunkt zq:": "endet mit Doppelpunkt zq:",
    "# kein Kommentar zq": "# kein Kommentar zq",
    "- beginnt mit Strich zq": "- beginnt mit Strich zq",
    "-- zwei Striche zq": "-- zwei Striche zq",
    "zq: yes": "zq: yes",
    "{geschweift} | pipe > größer & *anker !tag %TAG zq": "{geschweift} | pipe > größer & *anker !tag %TAG zq",
    "Emoji 🙂👍🏽👨‍👩‍👧 zq": "Emoji 🙂👍🏽👨‍👩‍👧 zq",
    "Кирилица: „кавички“ и още zq": "Кирилица: „кавички“ и още zq",
    "Backslash \\ und \\n zq": "Backslash \\ und \\n zq",
    "@erwähnung zq": "@erwähnung zq",
    "mit [Klammern](x) zq": "mit (Klammern)(x) zq",  # no Rasa entity annotation out of user text
    "zwei\nZeilen zq": "zwei Zeilen zq",
    "  viel   Platz\t zq ": "viel Platz zq",
    "Steuer\x07zeichen zq": "Steuer zeichen zq",
}


@pytest.mark.parametrize("name", ["review.xlsx", "review.csv"])
def test_awkward_texts_are_read_back_exactly(seeded_engine, nlu: Path, tmp_path: Path, name: str) -> None:
    from rasa.shared.nlu.training_data.loading import load_data

    questions = [(text, "de", None, None, "help" if i % 2 else "faq/contact") for i, text in enumerate(NASTY)]
    ids = _add(seeded_engine, questions)
    path = tmp_path / name
    _export(seeded_engine, path)
    _label(path, {ids[text]: label for text, _, _, _, label in questions})
    assert _import(seeded_engine, path, nlu).added == len(NASTY)
    expected = {(NASTY[text], label) for text, _, _, _, label in questions}
    review = nlu / "de" / "review.yml"
    assert review.read_text(encoding="utf-8").count("  examples: |\n") == 2  # literal blocks, no fallback quoting
    doc = yaml.safe_load(review.read_text(encoding="utf-8"))
    from_yaml = {(line[2:], b["intent"]) for b in doc["nlu"] for line in b["examples"].splitlines()}
    assert from_yaml == expected
    assert {(e.text, e.intent) for e in load_examples(nlu) if e.source == "review.yml"} == expected
    messages = load_data(str(review)).intent_examples
    assert {(m.get("text"), m.get("intent_response_key") or m.get("intent")) for m in messages} == expected
    assert all(not m.get("entities") for m in messages)


GOOD = ["", "2024-03-01", "de", "Wie komme ich mit dem Bus zum Kurs zq?", "", "", "ask_offers"]


@pytest.mark.parametrize("name", ["review.xlsx", "review.csv"])
@pytest.mark.parametrize(
    "column, value, expected",
    [
        ("label", "gret", "row 3, label: unknown intent 'gret' (use one of greet"),
        ("label", "faq", "row 3, label: unknown intent 'faq'"),
        ("label", "faq/nonexistent", "row 3, label: unknown FAQ key 'nonexistent' (known: "),
        ("language", "en", "row 3, language: unknown language 'en' (use one of de, tr, bg, ro)"),
        ("text", "   ", "row 3, text: empty"),
        ("id", "abc", "row 3, id: not a whole number: 'abc'"),
        ("id", "2.5", "row 3, id: not a whole number: '2.5'"),
    ],
)
def test_a_bad_row_refuses_the_whole_file(
    seeded_engine, nlu: Path, tmp_path: Path, name: str, column: str, value: str, expected: str
) -> None:
    ids = _add(seeded_engine)
    before, rows_before = _digest(nlu), _texts_left(seeded_engine)
    good = [str(ids[QUESTIONS[0][0]]), *GOOD[1:]]
    bad = [str(ids[QUESTIONS[2][0]]), "2024-03-02", "bg", "Нещо ново zq", "", "", "ask_offers"]
    bad[REVIEW_COLUMNS.index(column)] = value
    path = tmp_path / name
    _write_sheet(path, [list(REVIEW_COLUMNS), good, bad])
    with pytest.raises(ReviewError) as caught:
        _import(seeded_engine, path, nlu)
    assert len(caught.value.errors) == 1 and caught.value.errors[0].startswith(f"{name} {expected}")
    assert str(caught.value) == caught.value.errors[0]
    assert _digest(nlu) == before and _texts_left(seeded_engine) == rows_before


def test_every_error_is_reported_and_a_missing_column_named(seeded_engine, nlu: Path, tmp_path: Path) -> None:
    _add(seeded_engine)
    before, rows_before = _digest(nlu), _texts_left(seeded_engine)
    path = tmp_path / "review.csv"
    rows = [GOOD, ["x", "", "fr", "", "", "", "gret"], ["1", "", "de", "ok zq", "", "", ""]]
    _write_sheet(path, [list(REVIEW_COLUMNS), *rows])
    with pytest.raises(ReviewError) as caught:
        _import(seeded_engine, path, nlu)
    assert [e.split(":")[0] for e in caught.value.errors] == [
        "review.csv row 3, id", "review.csv row 3, language", "review.csv row 3, text", "review.csv row 3, label"]

    _write_sheet(path, [[c for c in REVIEW_COLUMNS if c not in ("label", "text")], GOOD[:3] + GOOD[4:6]])
    with pytest.raises(ReviewError) as caught:
        _import(seeded_engine, path, nlu)
    assert caught.value.errors == ["review.csv: missing column 'text'", "review.csv: missing column 'label'"]
    assert _digest(nlu) == before and _texts_left(seeded_engine) == rows_before


@pytest.mark.parametrize(
    "name, content, expected",
    [
        ("review.xlsx", b"PK\x03\x04 not really a workbook", "review.xlsx: not a readable .xlsx file"),
        ("review.xlsx", b"", "review.xlsx: not a readable .xlsx file"),
        ("review.csv", "id;label\n1;grüß\n".encode("latin-1"), "review.csv: not UTF-8 text"),
        ("review.csv", b"", "review.csv: missing column 'id'"),
        ("review.txt", b"id,label\n", "review.txt: unknown format '.txt': use .xlsx or .csv"),
        ("review.ods", b"", "review.ods: unknown format '.ods'"),
        ("missing.csv", None, "missing.csv: not a readable .csv file (FileNotFoundError"),
    ],
)
def test_unreadable_files_are_refused(
    seeded_engine, nlu: Path, tmp_path: Path, name: str, content: bytes | None, expected: str
) -> None:
    _add(seeded_engine)
    before, rows_before = _digest(nlu), _texts_left(seeded_engine)
    if content is not None:
        (tmp_path / name).write_bytes(content)
    with pytest.raises(ValueError) as caught:
        _import(seeded_engine, tmp_path / name, nlu)
    assert str(caught.value).startswith(expected)
    assert _digest(nlu) == before and _texts_left(seeded_engine) == rows_before


def test_broken_training_data_is_refused_before_anything_changes(seeded_engine, nlu: Path, tmp_path: Path) -> None:
    ids = _add(seeded_engine)
    (nlu / "de" / "review.yml").write_text("nlu: [\n", encoding="utf-8")
    before, rows_before = _digest(nlu), _texts_left(seeded_engine)
    path = tmp_path / "review.csv"
    _write_sheet(path, [list(REVIEW_COLUMNS), [str(ids[QUESTIONS[0][0]]), *GOOD[1:]]])
    with pytest.raises(ReviewError, match="cannot read the training data"):
        _import(seeded_engine, path, nlu)
    assert _digest(nlu) == before and _texts_left(seeded_engine) == rows_before


def test_export_refuses_other_formats_and_handles_an_empty_table(seeded_engine, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="use .xlsx or .csv"):
        _export(seeded_engine, tmp_path / "review.ods")
    assert not (tmp_path / "review.ods").exists()
    assert _export(seeded_engine, tmp_path / "empty.xlsx") == 0
    assert _read_sheet(tmp_path / "empty.xlsx") == [list(REVIEW_COLUMNS)]
