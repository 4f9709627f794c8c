"""The console's review queue and "train and publish": the same rules as `afa review import`, the same
training as `afa train`, real database, real Rasa over HTTP."""
from __future__ import annotations

import json
import re
import shutil
import time
from datetime import datetime, timedelta, timezone
from html import unescape
from pathlib import Path

import pytest
import requests
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from afa import FAQ_KEYS
from afa.audit import AuditEntry
from afa.db import UnansweredQuestion
from afa.nludata import load_examples
from afa.review import INTENTS
from afa.settings import PROJECT_ROOT
from tests.conftest import everything_in

QUESTIONS = [  # text, language, best guess, confidence
    ("Wo krieg ich <b>Hilfe</b> & \"Beratung\" zq?", "de", "help", 0.41234),
    ("Kursa kim para veriyor zq", "tr", "faq", 0.2),
    ("asdfgh zq", "de", "greet", 0.12),
    ("Искам човек zq", "bg", None, None),
]


@pytest.fixture()
def nlu(console_app) -> Path:  # type: ignore[no-untyped-def]
    """The console's NLU folder (AFA_NLU_DIR in tmp), filled with a copy of the real training data."""
    target = console_app.extensions["afa"].settings.nlu_dir
    shutil.copytree(PROJECT_ROOT / "nlu_data", target)
    return target


def _add(engine, questions=QUESTIONS) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with Session(engine, future=True) as session, session.begin():
        rows = [UnansweredQuestion(text=text, language=language, intent_guess=guess, confidence=confidence,
                                   created_at=datetime(2024, 3, 1, 9, 0, tzinfo=timezone.utc) + timedelta(days=i))
                for i, (text, language, guess, confidence) in enumerate(questions)]
        session.add_all(reversed(rows))  # newest first: the queue has to sort them
        session.flush()
        return {row.text: row.id for row in rows}


def _left(engine) -> set[str]:  # type: ignore[no-untyped-def]
    with Session(engine, future=True) as session:
        return set(session.scalars(select(UnansweredQuestion.text)))


def _audit(engine) -> list[AuditEntry]:  # type: ignore[no-untyped-def]
    with Session(engine, future=True) as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.kind == "review")))


def _options(html: str, question_id: int) -> dict[str, str]:
    """The choices of the select for one question: value → the text staff see."""
    start = html.index(f'name="label-{question_id}"')
    select_ = html[start : html.index("</select>", start)]
    return {value: unescape(text.strip()) for value, text in re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)<', select_)}


def _selected(html: str, question_id: int) -> str:
    start = html.index(f'name="label-{question_id}"')
    found = re.findall(r'<option value="([^"]*)"\s+selected', html[start : html.index("</select>", start)])
    return found[0] if found else ""


def _escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&#34;")


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_the_queue_shows_questions_oldest_first_with_guess_and_confidence(as_role, seeded_engine) -> None:
    ids = _add(seeded_engine)
    page = as_role("viewer").get("/review/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    positions = [html.find(_escaped(text)) for text, *_ in QUESTIONS]
    assert all(p > 0 for p in positions) and positions == sorted(positions)  # oldest first, escaped
    assert "<b>Hilfe</b>" not in html
    assert "41 %" in unescape(html).replace("\xa0", " ")  # the confidence as a percentage
    assert "Bittet um Hilfe" in html and "Frage zum Programm" in html  # the guesses, in German
    assert "<select" not in html.split("<table", 1)[1] and "Trainieren und veröffentlichen</button>" not in html

    editor = as_role("editor").get("/review/").get_data(as_text=True)
    options = _options(editor, ids[QUESTIONS[0][0]])
    assert options[""] == "noch offen" and options["ignore"] == "ignorieren (nicht lernen)"
    assert options["faq/funding"] == "Förderung" and options["ask_offers"] == "Sucht Angebote (Kurse, Arbeit)"
    assert set(options) == {"", "ignore", *INTENTS, *(f"faq/{key}" for key in FAQ_KEYS)}
    assert "Trainieren und veröffentlichen</button>" in editor

    tr_only = as_role("editor").get("/review/?language=tr").get_data(as_text=True)
    assert "Kursa kim para veriyor zq" in tr_only and "asdfgh zq" not in tr_only


def test_the_queue_pages(as_role, seeded_engine) -> None:
    _add(seeded_engine, [(f"Frage Nummer {n:03d} zq", "de", None, None) for n in range(55)])
    first = as_role("viewer").get("/review/").get_data(as_text=True)
    assert "Frage Nummer 000 zq" in first and "Frage Nummer 049 zq" in first and "Frage Nummer 050 zq" not in first
    assert "Offene Fragen: 55" in first and "Seite 1 von 2" in first
    second = as_role("viewer").get("/review/?page=2").get_data(as_text=True)
    assert "Frage Nummer 050 zq" in second and "Frage Nummer 049 zq" not in second


def test_labelling_appends_to_review_yml_deletes_the_rows_and_audits_counts_only(
        as_role, seeded_engine, nlu: Path, console_app) -> None:
    ids = _add(seeded_engine)
    help_text, tr_text, nonsense, open_text = (q[0] for q in QUESTIONS)
    editor = as_role("editor")
    page = editor.post("/review/", {f"label-{ids[help_text]}": "help", f"label-{ids[tr_text]}": "faq/funding",
                                    f"label-{ids[nonsense]}": "ignore", f"label-{ids[open_text]}": ""})
    assert page.status_code == 302
    shown = editor.get(page.headers["Location"]).get_data(as_text=True)
    assert "Bearbeitete Fragen: 3; neue Trainingsbeispiele: 2; schon bekannt: 0; ignoriert: 1." in unescape(shown)

    assert _left(seeded_engine) == {open_text}
    new = {(e.text, e.intent, e.language) for e in load_examples(nlu) if e.source == "review.yml"}
    assert new == {('Wo krieg ich <b>Hilfe</b> & "Beratung" zq?', "help", "de"),
                   ("Kursa kim para veriyor zq", "faq/funding", "tr")}
    doc = yaml.safe_load((nlu / "tr" / "review.yml").read_text(encoding="utf-8"))
    assert doc["nlu"] == [{"intent": "faq/funding", "metadata": {"language": "tr"},
                           "examples": "- Kursa kim para veriyor zq\n"}]

    [entry] = _audit(seeded_engine)
    assert (entry.actor, entry.action, entry.kind, entry.target) == ("editor@example.org", "labelled", "review", "")
    assert json.loads(entry.after) == {"help": 1, "faq/funding": 1, "ignore": 1}
    everything = everything_in(str(seeded_engine.url))
    for text in (help_text, tr_text, nonsense, "Beratung", "Kursa kim"):  # the residents' words are not in there
        assert text not in "\n".join(str(v) for e in _audit(seeded_engine) for v in (e.before, e.after, e.target))
    assert "Kursa kim para veriyor" not in everything  # nor anywhere else in the database once reviewed

    # The same page sent again: the rows are gone, nothing is added twice.
    before = _files(nlu)
    again = editor.post("/review/", {f"label-{ids[help_text]}": "help"})
    assert again.status_code == 302
    assert "Inzwischen schon von jemand anderem bearbeitet: 1." in editor.get(again.headers["Location"]).get_data(as_text=True)
    assert _files(nlu) == before and len(_audit(seeded_engine)) == 1


@pytest.mark.parametrize("forged", ["faq/nonexistent", "gret", "faq", "<script>alert(1)</script>"])
def test_an_invalid_label_is_refused_and_nothing_written(as_role, seeded_engine, nlu: Path, forged: str) -> None:
    ids = _add(seeded_engine)
    before, left = _files(nlu), _left(seeded_engine)
    page = as_role("editor").post("/review/", {f"label-{ids[QUESTIONS[0][0]]}": "help",
                                               f"label-{ids[QUESTIONS[1][0]]}": forged})
    html = page.get_data(as_text=True)
    assert page.status_code == 400
    assert "Es wurde nichts gespeichert. Bitte prüfen Sie die markierten Fragen." in html and "Diese Auswahl gibt es nicht (mehr)" in html
    assert "<script>alert(1)" not in html
    assert _selected(html, ids[QUESTIONS[0][0]]) == "help"  # the choices are kept for a second try
    assert html.count('class="has-error"') == 1  # only the forged row is marked
    assert _files(nlu) == before and _left(seeded_engine) == left and _audit(seeded_engine) == []


def test_a_question_in_a_language_the_bot_does_not_serve_can_only_be_ignored(as_role, seeded_engine, nlu: Path) -> None:
    ids = _add(seeded_engine, [("Hello, anybody there zq", "other", "greet", 0.2)])
    html = as_role("editor").get("/review/?language=other").get_data(as_text=True)
    assert set(_options(html, ids["Hello, anybody there zq"])) == {"", "ignore"}
    before = _files(nlu)
    refused = as_role("editor").post("/review/", {f"label-{ids['Hello, anybody there zq']}": "greet"})
    assert refused.status_code == 400 and "kann nur ignoriert werden" in refused.get_data(as_text=True)
    assert _files(nlu) == before and _left(seeded_engine) == {"Hello, anybody there zq"}
    assert as_role("editor").post("/review/", {f"label-{ids['Hello, anybody there zq']}": "ignore"}).status_code == 302
    assert _left(seeded_engine) == set() and _files(nlu) == before


def test_broken_training_data_is_reported_in_german_and_nothing_changes(as_role, seeded_engine, nlu: Path) -> None:
    ids = _add(seeded_engine)
    (nlu / "de" / "broken.yml").write_text("nlu: [\n", encoding="utf-8")
    before, left = _files(nlu), _left(seeded_engine)
    page = as_role("editor").post("/review/", {f"label-{ids[QUESTIONS[0][0]]}": "help"})
    assert page.status_code == 400
    assert "Die Trainingsdaten können nicht gelesen werden" in page.get_data(as_text=True)
    assert _files(nlu) == before and _left(seeded_engine) == left


def test_a_viewer_can_neither_label_nor_train(as_role, seeded_engine, nlu: Path) -> None:
    ids = _add(seeded_engine)
    viewer = as_role("viewer")
    before, left = _files(nlu), _left(seeded_engine)
    assert viewer.post("/review/", {f"label-{ids[QUESTIONS[0][0]]}": "help"}).status_code == 403
    assert viewer.post("/review/train").status_code == 403
    assert _files(nlu) == before and _left(seeded_engine) == left and _audit(seeded_engine) == []
    from afa.training_runs import latest

    with Session(seeded_engine, future=True) as session:
        assert latest(session) is None
    page = viewer.get("/review/training").get_data(as_text=True)
    assert "noch kein Training gestartet" in page and "<button type=\"submit\" class=\"primary\">" not in page


def test_a_second_training_is_refused_while_one_runs(as_role, seeded_engine) -> None:
    from afa import training_runs

    with Session(seeded_engine, future=True) as session, session.begin():
        training_runs.start(session, "admin@example.org")
    editor = as_role("editor")
    response = editor.post("/review/train")
    assert response.status_code == 302 and response.headers["Location"].endswith("/review/training")
    page = editor.get("/review/training").get_data(as_text=True)
    assert "Es läuft schon ein Training (gestartet von admin@example.org)" in page
    assert '<meta http-equiv="refresh" content="3">' in page  # the page follows the running one
    with Session(seeded_engine, future=True) as session:
        assert len(list(session.scalars(select(training_runs.TrainingRun)))) == 1



def test_labelling_on_postgresql(postgres_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from afa.console import create_app
    from afa.db import create_schema, make_engine
    from afa.settings import Settings
    from tests.conftest import seed
    from tests.console_client import STAFF, ConsoleClient, add_staff

    nlu = Path(shutil.copytree(PROJECT_ROOT / "nlu_data", tmp_path / "nlu_data"))
    for name, value in {"DATABASE_URL": postgres_url, "AFA_CONSOLE_SECRET": "test-secret", "AFA_NLU_DIR": str(nlu)}.items():
        monkeypatch.setenv(name, value)
    engine = make_engine(postgres_url)
    try:
        create_schema(engine)
        seed(engine)
        add_staff(engine)
        ids = _add(engine)
        editor = ConsoleClient(create_app(Settings(), engine).test_client())
        assert editor.login(STAFF["editor"]).status_code == 302
        page = editor.get("/review/").get_data(as_text=True)
        assert all(_escaped(text) in page for text, *_ in QUESTIONS)
        assert editor.post("/review/", {f"label-{ids[QUESTIONS[1][0]]}": "faq/funding",
                                        f"label-{ids[QUESTIONS[2][0]]}": "ignore"}).status_code == 302
        assert _left(engine) == {QUESTIONS[0][0], QUESTIONS[3][0]}
        assert ("Kursa kim para veriyor zq", "faq/funding", "tr") in {
            (e.text, e.intent, e.language) for e in load_examples(nlu) if e.source == "review.yml"}
        assert [json.loads(e.after) for e in _audit(engine)] == [{"faq/funding": 1, "ignore": 1}]
    finally:
        engine.dispose()


# --- train and publish, end to end: the console's thread runs `afa.training.publish` against the session's Rasa ---
LEARNT = ("Schalt mal um auf was anderes zq", "change_language")  # the model of the session: "goodbye", 35 %


@pytest.fixture()
def live(bot, trained_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """The console on the bot's database and Rasa, with its NLU data, models and logs in tmp; an editor's client.
    Afterwards the session's model is loaded again, so later tests talk to the bot they expect."""
    import uuid

    from afa.console import create_app
    from afa.db import make_engine
    from afa.settings import Settings
    from afa.staff import add_user
    from tests.console_client import PASSWORD, ConsoleClient

    shutil.copytree(PROJECT_ROOT / "nlu_data", tmp_path / "nlu_data")
    for name, value in {"DATABASE_URL": bot.settings.database_url, "RASA_PORT": str(bot.settings.rasa_port),
                        "AFA_NLU_DIR": str(tmp_path / "nlu_data"), "AFA_MODELS_DIR": str(tmp_path / "models"),
                        "AFA_GENERATED_DIR": str(tmp_path / "generated"), "AFA_CONSOLE_SECRET": "test-secret"}.items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    engine = make_engine(settings.database_url)
    email = f"review-{uuid.uuid4().hex[:8]}@example.org"  # the bot's database is shared by the whole session
    with Session(engine, future=True) as session, session.begin():
        add_user(session, email, "editor", name="Review editor", password=PASSWORD)
    app = create_app(settings, engine)
    app.config["AFA_TRAINING_LOG_DIR"] = str(tmp_path / "log")
    client = ConsoleClient(app.test_client())
    assert client.login(email).status_code == 302
    original = _loaded(settings)
    try:
        yield settings, engine, client, email
    finally:
        if _loaded(settings) != original:
            from afa.training import swap_model

            assert swap_model(settings, trained_model)
            assert _loaded(settings) == original
        engine.dispose()


def _loaded(settings) -> str:  # type: ignore[no-untyped-def]
    """The model file the running Rasa server has loaded (Rasa's own GET /status)."""
    response = requests.get(f"{settings.rasa_url}/status", timeout=30)
    response.raise_for_status()
    return Path(response.json()["model_file"]).name


def _train(client, engine, timeout: float = 1200):  # type: ignore[no-untyped-def]
    """Press "train and publish" and follow the progress page until the run is over; the finished run and page."""
    from afa.training_runs import RUNNING, latest

    response = client.post("/review/train", token_page="/review/training")
    assert response.status_code == 302 and response.headers["Location"].endswith("/review/training")
    page = client.get("/review/training").get_data(as_text=True)
    deadline = time.monotonic() + timeout
    while True:
        with Session(engine, future=True) as session:
            run = latest(session)
        if run.status != RUNNING:
            break
        assert '<meta http-equiv="refresh" content="3">' in page and "läuft" in page and "Läuft seit" in page
        assert time.monotonic() < deadline, "the training did not finish in time"
        time.sleep(2)
        page = client.get("/review/training").get_data(as_text=True)
    page = client.get("/review/training").get_data(as_text=True)
    assert '<meta http-equiv="refresh"' not in page  # over: the page stops reloading
    return run, page


def test_a_failed_training_says_why_in_german_and_keeps_the_running_model(live, bot) -> None:
    from afa.training_runs import FAILED

    settings, engine, client, email = live
    (settings.nlu_dir / "de" / "broken.yml").write_text("version: \"3.1\"\nnlu: [\n", encoding="utf-8")
    before = _loaded(settings)
    answer_before = bot.parse("Wer finanziert das Projekt?")["intent"]["name"]
    run, page = _train(client, engine)
    assert run.status == FAILED and run.started_by == email
    assert "Das Training ist fehlgeschlagen" in page
    assert "Der Bot arbeitet mit dem bisherigen Modell weiter" in page
    assert "Grund: " in page and "broken.yml" in unescape(page)  # the end of Rasa's output names the file
    assert _loaded(settings) == before  # the running model is untouched
    assert bot.parse("Wer finanziert das Projekt?")["intent"]["name"] == answer_before
    assert not list(settings.models_dir.glob("*.tar.gz"))
    with Session(engine, future=True) as session:
        actions = [(e.action, e.actor) for e in session.scalars(
            select(AuditEntry).where(AuditEntry.kind == "training", AuditEntry.target == f"run {run.id}"))]
    assert actions == [("started", email), ("failed", email)]
    print(f"\nfailed training took {(run.finished_at - run.started_at).total_seconds():.0f} s")


def test_label_then_train_and_publish_loads_a_model_that_knows_the_label(live, bot) -> None:
    from afa.training_runs import SUCCEEDED

    settings, engine, client, email = live
    text, label = LEARNT
    assert bot.parse(text)["intent"]["name"] != label  # what the bot makes of it before the review
    with Session(engine, future=True) as session, session.begin():
        question = UnansweredQuestion(text=text, language="de", intent_guess="help", confidence=0.31)
        session.add(question)
        session.flush()
        question_id = question.id
    queue = client.get("/review/?language=de").get_data(as_text=True)
    assert _escaped(text) in queue and "31 %" in unescape(queue).replace("\xa0", " ")
    assert client.post("/review/?language=de", {f"label-{question_id}": label}, token_page="/review/").status_code == 302
    assert text in (settings.nlu_dir / "de" / "review.yml").read_text(encoding="utf-8")

    before = _loaded(settings)
    run, page = _train(client, engine)
    assert run.status == SUCCEEDED, run.detail
    model = Path(run.model)
    assert model.parent == settings.models_dir and model.exists() and run.swapped
    assert f"Das neue Modell {model.name} ist geladen" in page
    assert _loaded(settings) == model.name != before  # Rasa's own status names the new model
    parsed = bot.parse(text)
    assert parsed["intent"]["name"] == label, parsed["intent"]
    print(f"\nsuccessful training took {(run.finished_at - run.started_at).total_seconds():.0f} s")


def test_the_progress_shows_rasas_last_lines_without_python_warnings(tmp_path: Path) -> None:
    from afa.console.training import reason, tail

    log = tmp_path / "training.log"
    log.write_bytes(
        b"/x/rasa/tracker_store.py:1044: MovedIn20Warning: Deprecated API features detected!\n"
        b"  Base: DeclarativeMeta = declarative_base()\n"
        b"/x/pkg_resources/__init__.py:3117: DeprecationWarning: Deprecated call to `declare_namespace('ruamel')`.\n"
        b"Implementing implicit namespace packages is preferred.\n"
        b"  declare_namespace(pkg)\n"
        b"\x1b[32m2024-03-01 10:00:00 INFO     rasa.cli.train  - Started validating domain and training data...\x1b[0m\n"
        b"Epochs:  10%|#         | 1/10\rEpochs:  50%|#####     | 5/10\rEpochs: 100%|##########| 10/10\n"
        b"YamlSyntaxException: Failed to read 'broken.yml'. while parsing a flow node\n"
        b"You can use https://yamlchecker.com/ to validate the YAML syntax of your file.\n")
    lines = tail(log)
    assert lines == ["2024-03-01 10:00:00 INFO     rasa.cli.train  - Started validating domain and training data...",
                     "Epochs: 100%|##########| 10/10",
                     "YamlSyntaxException: Failed to read 'broken.yml'. while parsing a flow node",
                     "You can use https://yamlchecker.com/ to validate the YAML syntax of your file."]
    assert reason(lines) == "YamlSyntaxException: Failed to read 'broken.yml'. while parsing a flow node"
    assert tail(tmp_path / "missing.log") == [] and reason([]) == ""
