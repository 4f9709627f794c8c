"""Offer search (ranking, validity, paging), offer cards, and schedules rendered per locale."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from afa.content.store import apply_records
from afa.content.tables import Row, Tables
from afa.content.validation import validate_tables
from afa.db import create_schema, make_engine
from afa.offers import render_offer, search
from afa.schedule import ScheduleError, parse_schedule, render_schedule


def _offer(key: str, **overrides: str) -> dict[str, str]:
    row = {
        "key": key, "example": "false", "active": "true", "provider": "Träger", "address": "Weg 1, 47169 Duisburg",
        "districts": "marxloh", "target_groups": "women", "languages": "de", "contact_phone": "",
        "contact_email": "kurs@example.org", "schedule": "mon-thu 09:00-12:00", "cost": "0", "valid_from": "",
        "valid_until": "",
    }
    for field in ("title", "summary", "details"):
        for lang in ("de", "tr", "bg", "ro"):
            row[f"{field}_{lang}"] = f"{field} {key} {lang}"
    row.update(overrides)
    return row


@pytest.fixture()
def offers_engine(database_url: str):  # type: ignore[no-untyped-def]
    """A database holding only the offers below."""
    rows = [
        _offer("a-de"),
        _offer("b-tr", languages="de, tr"),
        _offer("c-example-tr", languages="tr", example="true"),
        _offer("d-ended", valid_until="2020-01-01"),
        _offer("e-future", valid_from="2999-01-01"),
        _offer("f-inactive", active="false"),
        _offer("g-hochfeld", districts="hochfeld"),
        _offer("h-youth", target_groups="youth"),
        _offer("i-de", cost="12.5"),
    ]
    tables = Tables(rows={"offers": [Row("test", i + 2, r) for i, r in enumerate(rows)]})
    result = validate_tables(tables)
    assert result.errors == []
    engine = make_engine(database_url)
    create_schema(engine)
    with Session(engine, future=True) as session, session.begin():
        apply_records(session, result.records)
    yield engine
    engine.dispose()


def test_search_filters_and_ranks_the_readers_language_first(offers_engine) -> None:
    with Session(offers_engine, future=True) as session:
        turkish = search(session, "women", "marxloh", "tr", today=date(2026, 6, 1))
        german = search(session, "women", "marxloh", "de", today=date(2026, 6, 1))
        second = search(session, "women", "marxloh", "tr", page=1, today=date(2026, 6, 1))
    assert turkish.total == 4  # a-de, b-tr, c-example-tr, i-de; not ended, future, inactive, other district/group
    assert turkish.keys == ["b-tr", "c-example-tr", "a-de"]  # Turkish first, real before example
    assert german.keys[:2] == ["a-de", "b-tr"]
    assert turkish.has_more and not second.has_more and second.keys == ["i-de"]


def test_no_match(offers_engine) -> None:
    with Session(offers_engine, future=True) as session:
        page = search(session, "unregistered", "hochfeld", "de", today=date(2026, 6, 1))
    assert (page.total, page.keys, page.has_more) == (0, [], False)


@pytest.mark.parametrize(
    ("language", "parts"),
    [
        ("de", ["title c-example-tr de", "Beispielangebot", "Wo: Weg 1", "Mo.–Do. 09:00–12:00", "kurs@example.org", "kostenlos"]),
        ("tr", ["title c-example-tr tr", "örnek", "Nerede", "Pzt–Per 09:00–12:00", "ücretsiz"]),
        ("bg", ["title c-example-tr bg", "Примерно", "Къде", "пн–чт 9:00–12:00", "безплатно"]),
        ("ro", ["title c-example-tr ro", "exemplu", "Unde", "lun.–joi 09:00–12:00", "gratuit"]),
    ],
)
def test_offer_card_in_each_language(offers_engine, language: str, parts: list[str]) -> None:
    with Session(offers_engine, future=True) as session:
        text = render_offer(session, "c-example-tr", language)
    for part in parts:
        assert part in text, (part, text)


def test_price_is_formatted_by_babel(offers_engine) -> None:
    with Session(offers_engine, future=True) as session:
        assert "12,50\xa0€" in render_offer(session, "i-de", "de")
        assert "real" not in render_offer(session, "i-de", "ro").lower()  # not an example: no marker


@pytest.mark.parametrize("bad", ["monday 9-12", "mon 12:00-09:00", "xyz 09:00-10:00", "mon 25:00-26:00", "fri-mon 09:00-10:00"])
def test_bad_schedules_are_refused(bad: str) -> None:
    with pytest.raises(ScheduleError):
        parse_schedule(bad)


def test_schedule_rendering() -> None:
    assert render_schedule("mon,wed,fri 09:00-12:00; sat 10:00-11:30", "de") == "Mo., Mi., Fr. 09:00–12:00; Sa. 10:00–11:30"
    assert render_schedule("", "tr") == ""


# --- topics: what kind of offer was asked for ---------------------------------------------------------------
@pytest.fixture()
def topic_engine(database_url: str):  # type: ignore[no-untyped-def]
    """Offers of several topics in Marxloh (one in Hochfeld), for several groups and languages."""
    rows = [
        _offer("de-women", topics="german", target_groups="women", languages="de"),
        _offer("de-migrants-tr", topics="german", target_groups="migrants", languages="de, tr"),
        _offer("de-women-tr-example", topics="german", target_groups="women", languages="tr", example="true"),
        _offer("de-women-tr", topics="german, application", target_groups="women, migrants", languages="de, tr"),
        _offer("de-ended", topics="german", valid_until="2020-01-01"),
        _offer("pc-youth", topics="computer", target_groups="youth"),
        _offer("cv-women-bg", topics="application", target_groups="women", languages="bg"),
        _offer("none-women", target_groups="women"),  # no topic: found by its group only
        _offer("pc-hochfeld", topics="computer", districts="hochfeld", target_groups="benefits"),
    ]
    tables = Tables(rows={"offers": [Row("test", i + 2, r) for i, r in enumerate(rows)]})
    result = validate_tables(tables)
    assert result.errors == []
    engine = make_engine(database_url)
    create_schema(engine)
    with Session(engine, future=True) as session, session.begin():
        apply_records(session, result.records)
    yield engine
    engine.dispose()


TODAY = date(2026, 6, 1)


def test_a_topic_selects_its_offers_and_the_group_ranks_them(topic_engine) -> None:
    with Session(topic_engine, future=True) as session:
        women_tr = search(session, "women", "marxloh", "tr", today=TODAY, topic="german")
        migrants_tr = search(session, "migrants", "marxloh", "tr", today=TODAY, topic="german")
        nobody_de = search(session, None, "marxloh", "de", today=TODAY, topic="german")
        nobody_bg = search(session, None, "marxloh", "bg", today=TODAY, topic="german")
    # Only German courses (not the ended one), whatever the group: topic first, then group, language, real first.
    assert women_tr.total == 4
    assert women_tr.keys == ["de-women-tr", "de-women-tr-example", "de-women"]  # women & Turkish, then women
    assert migrants_tr.keys == ["de-migrants-tr", "de-women-tr", "de-women-tr-example"]
    assert nobody_de.keys == ["de-women", "de-migrants-tr", "de-women-tr"]  # German first, the example last
    assert nobody_bg.keys == ["de-women", "de-migrants-tr", "de-women-tr"]  # no Bulgarian course: real before example
    with Session(topic_engine, future=True) as session:
        assert search(session, "women", "marxloh", "tr", page=1, today=TODAY, topic="german").keys == ["de-migrants-tr"]


def test_without_a_topic_the_group_selects_and_without_either_every_offer_counts(topic_engine) -> None:
    with Session(topic_engine, future=True) as session:
        women = search(session, "women", "marxloh", "de", today=TODAY)
        everyone = search(session, None, "marxloh", "bg", today=TODAY)
    assert women.total == 5 and "pc-youth" not in women.keys
    assert everyone.total == 7 and everyone.keys[0] == "cv-women-bg"  # the Bulgarian offer first


def test_a_topic_missing_in_the_district_is_found_in_the_other(topic_engine) -> None:
    with Session(topic_engine, future=True) as session:
        here = search(session, "benefits", "hochfeld", "de", today=TODAY, topic="german")
        there = search(session, "benefits", "marxloh", "de", today=TODAY, topic="german")
        computer = search(session, "benefits", "hochfeld", "de", today=TODAY, topic="computer")
    assert (here.total, here.keys) == (0, [])
    assert there.total == 4
    assert computer.keys == ["pc-hochfeld"]


def test_one_query_per_page(topic_engine) -> None:
    """The finder's page is one statement, however many offers match (no query per offer)."""
    from sqlalchemy import event

    statements: list[str] = []
    event.listen(topic_engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    with Session(topic_engine, future=True) as session:
        search(session, "women", "marxloh", "tr", today=TODAY, topic="german")
        search(session, None, "marxloh", "tr", today=TODAY)
    assert len(statements) == 2
