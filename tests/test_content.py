"""Programme content: the seed facts, the duplicate warnings, live edits, and both databases."""
from __future__ import annotations

import logging

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from afa import FAQ_KEYS, LANGUAGES
from afa.content import check_path, export_tables, faq_answer, import_path, render_contacts
from afa.db import Coach, FaqAnswer, Offer, create_schema, make_engine
from afa.settings import Settings

SEED = Settings().content_path
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


def test_seed_keeps_the_duplicate_contacts_and_warns(seeded_engine) -> None:
    result = check_path(None, SEED)
    assert result.errors == []
    assert any("dgruening@eg-du.de" in w and "Anke Gorres" in w and "Doris Grüning" in w for w in result.warnings)
    assert any("0203/99429-41" in w and "Kathrin Rödiger" in w and "Karen Dietrich" in w for w in result.warnings)
    with Session(seeded_engine, future=True) as session:
        stored = [(c.name, c.phone, c.email) for c in session.scalars(select(Coach).order_by(Coach.id))]
    assert stored == COACHES


def test_setup_logs_the_duplicate_warnings(database_url: str, caplog: pytest.LogCaptureFixture) -> None:
    from afa.cli import main

    with caplog.at_level(logging.WARNING):
        assert main(["setup"]) == 0
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


def test_example_offers_are_marked_and_cover_every_group_and_district(seeded_engine) -> None:
    from afa import DISTRICTS, TARGET_GROUPS

    with Session(seeded_engine, future=True) as session:
        offers = list(session.scalars(select(Offer)))
        assert offers and all(o.example for o in offers)
        for group in TARGET_GROUPS:
            for district in DISTRICTS:
                matching = [
                    o for o in offers
                    if group in {t.target_group for t in o.target_groups} and district in {d.district for d in o.districts}
                ]
                assert len(matching) >= 2, (group, district)


@pytest.mark.postgres
def test_migrations_and_content_on_postgresql(postgres_url: str, tmp_path) -> None:
    engine = make_engine(postgres_url)
    create_schema(engine)
    with Session(engine, future=True) as session, session.begin():
        changes, warnings = import_path(session, SEED)
    assert changes.added["faq"] == 9 and changes.added["coaches"] == 6 and changes.added["offers"] >= 24
    assert len(warnings) == 2
    with Session(engine, future=True) as session:
        assert "28 Şubat 2015" in faq_answer(session, "project_period", "tr")
        exported = export_tables(session)
    with Session(engine, future=True) as session, session.begin():
        again, _ = import_path(session, SEED)
    assert again.total == 0
    with Session(engine, future=True) as session:
        assert export_tables(session) == exported
    engine.dispose()
