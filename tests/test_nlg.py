"""Rendering of every response the domain and the actions use, in every language."""
from __future__ import annotations

import re

import pytest
import yaml
from sqlalchemy.orm import Session

from afa import FAQ_KEYS, LANGUAGES
from afa.i18n import language_name
from afa.nlg import CONTENT_RESPONSES, FAQ_PREFIX, UnknownResponse, language_of_tracker, render
from afa.responses import RESPONSES
from afa.settings import PROJECT_ROOT

EXAMPLE_OFFER = yaml.safe_load((PROJECT_ROOT / "content" / "offers.yaml").read_text(encoding="utf-8"))["offers"][0]["key"]
DOMAIN = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))


def _used_responses() -> set[str]:
    """Responses named in the domain and in the actions' utter_message(response=...) calls."""
    names = set(DOMAIN["responses"])
    for path in (PROJECT_ROOT / "actions").glob("*.py"):
        names |= set(re.findall(r'response="(utter_[a-z_/]+)"', path.read_text(encoding="utf-8")))
    return names


def test_every_used_response_is_defined() -> None:
    for name in _used_responses():
        assert name in RESPONSES or name in CONTENT_RESPONSES or name.startswith(FAQ_PREFIX), name


def test_domain_holds_no_user_facing_text() -> None:
    for name, variants in DOMAIN["responses"].items():
        assert [v["text"] for v in variants] == [name.replace("utter_", "", 1) if name.startswith("utter_faq/") else name]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_response_renders_in_every_language(seeded_engine, language: str) -> None:
    with Session(seeded_engine, future=True) as session:
        for name in sorted(_used_responses() | set(RESPONSES)):
            arguments = {
                "district": "marxloh", "target_group": "women", "offer_key": EXAMPLE_OFFER,
                "back_at": "2026-11-30T09:00:00+01:00",
            }
            message = render(name, language, arguments, session)
            assert message["text"].strip(), name
            assert "{" not in message["text"], (name, message["text"])
            for button in message["buttons"]:
                assert button["title"] and button["payload"].startswith("/")


def test_faq_answers_come_from_the_database(seeded_engine) -> None:
    with Session(seeded_engine, future=True) as session:
        for key in FAQ_KEYS:
            texts = {lang: render(f"utter_faq/{key}", lang, {}, session)["text"] for lang in LANGUAGES}
            assert len(set(texts.values())) == 4, key


def test_unsupported_language_reply_is_german_with_a_button_per_language(seeded_engine) -> None:
    with Session(seeded_engine, future=True) as session:
        message = render("utter_unsupported_language", "tr", {}, session)
    assert "Deutsch, Türkisch, Bulgarisch und Rumänisch" in message["text"]
    assert [b["title"] for b in message["buttons"]] == [language_name(code) for code in LANGUAGES]
    assert [b["payload"] for b in message["buttons"]] == [f'/change_language{{"language": "{c}"}}' for c in LANGUAGES]


def test_language_changed_names_the_language_in_itself(seeded_engine) -> None:
    with Session(seeded_engine, future=True) as session:
        assert "Română" in render("utter_language_changed", "ro", {}, session)["text"]
        assert "Türkçe" in render("utter_language_changed", "tr", {}, session)["text"]


def test_district_and_group_are_named_in_the_readers_language(seeded_engine) -> None:
    arguments = {"district": "hochfeld", "target_group": "migrants"}
    with Session(seeded_engine, future=True) as session:
        assert render("utter_offers_found", "de", arguments, session)["text"] == (
            "Angebote in Hochfeld für Einwanderer und Flüchtlinge:"
        )
        assert "Hochfeld" in render("utter_no_offers", "ro", arguments, session)["text"]


def test_unknown_response_is_an_error(seeded_engine) -> None:
    with Session(seeded_engine, future=True) as session, pytest.raises(UnknownResponse):
        render("utter_does_not_exist", "de", {}, session)


def test_conversation_language_defaults_to_german() -> None:
    assert language_of_tracker({"slots": {"language": "bg"}}) == "bg"
    assert language_of_tracker({"slots": {"language": None}}) == "de"
    assert language_of_tracker({}) == "de"


@pytest.mark.parametrize(
    ("language", "heading", "none_of_these"),
    [
        ("de", "Angebote in Hochfeld – Deutsch- und andere Sprachkurse; zuerst die für Frauen:", "Nichts davon"),
        ("tr", "Hochfeld semtinde imkânlar – Almanca ve diğer dil kursları; önce kadınlar için olanlar:", "Hiçbiri"),
        ("bg", "Предложения в Hochfeld – курсове по немски и други езици; първо тези за жени:", "Нищо от тези"),
        ("ro", "Oferte în Hochfeld – cursuri de germană și de alte limbi; întâi cele pentru femei:", "Niciuna dintre acestea"),
    ],
)
def test_topic_headings_and_the_none_of_these_button(seeded_engine, language: str, heading: str, none_of_these: str) -> None:
    arguments = {"district": "hochfeld", "other_district": "marxloh", "target_group": "women", "topic": "german"}
    with Session(seeded_engine, future=True) as session:
        assert render("utter_offers_found_topic_group", language, arguments, session)["text"] == heading
        honest = render("utter_no_topic_offers_here", language, arguments, session)["text"]
        assert "Hochfeld" in honest and "Marxloh" in honest and heading.split(" – ")[1].split(";")[0] in honest
        buttons = render("utter_ask_target_group", language, {}, session)["buttons"]
    assert [b["payload"] for b in buttons][-1] == '/inform{"target_group": "none"}' and len(buttons) == 7
    assert buttons[-1]["title"] == none_of_these
