"""Programme content: loaded from the reviewed file, facts as on the seed page, live edits, both databases."""
from __future__ import annotations

import copy
import logging
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from afa import FAQ_KEYS, LANGUAGES
from afa.content import ContentError, faq_answer, load_content, read_content_file, render_contacts, validate
from afa.db import Coach, FaqAnswer, create_schema, make_engine
from afa.settings import Settings

SEED = Path(Settings().content_file)
COACHES = [
    ("Anke Gorres", "0203/99429-31", "dgruening@eg-du.de"),
    ("Doris Grüning", "0203/99429-46", "dgruening@eg-du.de"),
    ("Kathrin Rödiger", "0203/99429-41", "kroediger@eg-du.de"),
    ("Karen Dietrich", "0203/99429-41", "kdietrich@eg-du.de"),
    ("Georg Fobbe", "0203/99429-70", "gfobbe@eg-du.de"),
    ("Ercan Idik", "0203/99429-32", "eidik@eg-du.de"),
]
PERIOD = {
    "de": ("1. März 2013", "28. Februar 2015"),
    "tr": ("1 Mart 2013", "28 Şubat 2015"),
    "bg": ("1 март 2013", "28 февруари 2015"),
    "ro": ("1 martie 2013", "28 februarie 2015"),
}


def test_loader_keeps_the_seed_duplicates_and_warns(seeded_engine, caplog: pytest.LogCaptureFixture) -> None:
    errors, warnings = validate(read_content_file(SEED))
    assert errors == []
    assert any("dgruening@eg-du.de" in w and "Anke Gorres" in w and "Doris Grüning" in w for w in warnings)
    assert any("0203/99429-41" in w and "Kathrin Rödiger" in w and "Karen Dietrich" in w for w in warnings)
    with Session(seeded_engine, future=True) as session:
        stored = [(c.name, c.phone, c.email) for c in session.scalars(select(Coach).order_by(Coach.id))]
    assert stored == COACHES


def test_load_logs_the_duplicate_warnings(database_url: str, caplog: pytest.LogCaptureFixture) -> None:
    engine = make_engine(database_url)
    create_schema(engine)
    with caplog.at_level(logging.WARNING), Session(engine, future=True) as session, session.begin():
        load_content(session, read_content_file(SEED))
    assert sum("duplicate" in r.getMessage() for r in caplog.records) == 2


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_faq_answer_exists_and_states_the_seed_facts(seeded_engine, language: str) -> None:
    with Session(seeded_engine, future=True) as session:
        answers = {key: faq_answer(session, key, language) for key in FAQ_KEYS}
    assert all(answers.values())
    start, end = PERIOD[language]
    assert start in answers["project_period"] and end in answers["project_period"]
    assert start in answers["project_overview"]
    assert "ESF" in answers["funding"] and "8" in answers["funding"]
    assert "EG DU" in answers["organiser"]
    assert "Marxloh" in answers["districts"] and "Hochfeld" in answers["districts"]
    for name, phone, email in COACHES:
        assert name in answers["contact"] and phone in answers["contact"] and email in answers["contact"]
    assert answers["target_groups"].count("•") == 5
    assert answers["goals"].count("•") == 5
    assert answers["networks"].count("•") == 2
    for text in answers.values():
        assert "{" not in text and "}" not in text


def test_contacts_of_one_district(seeded_engine) -> None:
    with Session(seeded_engine, future=True) as session:
        text = render_contacts(session, "ro", "hochfeld")
    assert "Georg Fobbe" in text and "Anke Gorres" not in text


def test_an_edited_answer_shows_at_once(seeded_engine) -> None:
    with Session(seeded_engine, future=True) as session, session.begin():
        session.execute(
            update(FaqAnswer).where(FaqAnswer.key == "funding", FaqAnswer.language == "tr").values(text="Yeni cevap.")
        )
    with Session(seeded_engine, future=True) as session:
        assert faq_answer(session, "funding", "tr") == "Yeni cevap."


def _seed_data() -> dict:
    return copy.deepcopy(read_content_file(SEED))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["faq"]["funding"].pop("bg"), "faq.funding.bg: translation missing"),
        (lambda d: d["faq"]["contact"].update(ro="Contact: {kontakte}"), "unknown placeholder"),
        (lambda d: d["faq"]["project_period"].update(tr="{period_start}"), "differ"),
        (lambda d: d["teams"][0]["coaches"][0].update(email="not-an-address"), "not an e-mail address"),
        (lambda d: d["teams"][1].update(district="ruhrort"), "unknown district"),
        (lambda d: d["facts"].update(period_end="28.02.2015"), "not a date"),
        (lambda d: d["faq"].update(weather={"de": "x"}), "unknown FAQ key"),
    ],
)
def test_malformed_content_is_refused_and_nothing_written(seeded_engine, change, message: str) -> None:
    data = _seed_data()
    change(data)
    with Session(seeded_engine, future=True) as session:
        before = session.scalar(select(FaqAnswer.text).where(FaqAnswer.key == "funding", FaqAnswer.language == "de"))
    data["faq"]["funding"]["de"] = "changed"
    with pytest.raises(ContentError) as raised:
        with Session(seeded_engine, future=True) as session, session.begin():
            load_content(session, data)
    assert any(message in error for error in raised.value.errors)
    with Session(seeded_engine, future=True) as session:
        after = session.scalar(select(FaqAnswer.text).where(FaqAnswer.key == "funding", FaqAnswer.language == "de"))
    assert after == before


def test_unreadable_files_are_refused(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("faq: [unclosed", encoding="utf-8")
    with pytest.raises(ContentError, match="not valid YAML"):
        read_content_file(broken)
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes("faq: Grüning".encode("latin-1"))
    with pytest.raises(ContentError, match="cannot read"):
        read_content_file(latin1)
    empty = tmp_path / "empty.yaml"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(ContentError, match="expected a mapping"):
        read_content_file(empty)


@pytest.mark.postgres
def test_content_on_postgresql(postgres_url: str) -> None:
    engine = make_engine(postgres_url)
    create_schema(engine)
    with Session(engine, future=True) as session, session.begin():
        report = load_content(session, read_content_file(SEED))
    assert (report.faq_answers, report.teams, report.coaches) == (36, 2, 6)
    assert len(report.warnings) == 2
    with Session(engine, future=True) as session:
        assert "28 Şubat 2015" in faq_answer(session, "project_period", "tr")
        assert session.scalar(select(FaqAnswer).where(FaqAnswer.key == "funding")) is not None
    # Loading again updates in place (same keys), no duplicates.
    with Session(engine, future=True) as session, session.begin():
        load_content(session, read_content_file(SEED))
    with Session(engine, future=True) as session:
        assert len(list(session.scalars(select(FaqAnswer)))) == 36
    engine.dispose()
