"""The training data keeps the design contract: intents, entities, canonical values, languages."""
from __future__ import annotations

import subprocess
from collections import Counter, defaultdict

import pytest
import yaml

from afa import DISTRICTS, FAQ_KEYS, LANGUAGES, TARGET_GROUPS, TOPICS
from afa.nludata import load_examples
from afa.settings import PROJECT_ROOT
from afa.training import rasa_command
from afa.text import fold

CONTRACT_INTENTS = {
    "greet", "goodbye", "thank", "affirm", "deny", "bot_challenge", "help", "out_of_scope", "ask_offers", "inform",
    "request_coach", "change_language", *(f"faq/{key}" for key in FAQ_KEYS), "ask_privacy", "request_deletion",
}
# Beyond the design contract: the "more offers" button and what people type for it; a copy of one's data; legal and
# administrative questions, which the bot never answers itself (issue 12).
EXTENSIONS = {"more_offers", "request_data_copy", "legal_advice"}
VALUES = {"target_group": set(TARGET_GROUPS), "district": set(DISTRICTS), "language": set(LANGUAGES), "topic": set(TOPICS)}
EXAMPLES = load_examples(PROJECT_ROOT / "nlu_data")


def test_only_contract_intents_and_entity_values() -> None:
    assert {e.intent for e in EXAMPLES} <= CONTRACT_INTENTS | EXTENSIONS
    for example in EXAMPLES:
        for entity, value, _surface in example.entities:
            assert value in VALUES[entity], (example.text, entity, value)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_intent_is_trained_in_every_language(language: str) -> None:
    counts = Counter(e.intent for e in EXAMPLES if e.language == language)
    for intent in CONTRACT_INTENTS | EXTENSIONS:
        assert counts[intent] >= 20, (language, intent, counts[intent])


def test_language_metadata_matches_the_folder() -> None:
    for folder in (PROJECT_ROOT / "nlu_data").iterdir():
        for path in folder.glob("*.yml"):
            for block in yaml.safe_load(path.read_text(encoding="utf-8"))["nlu"]:
                expected = {"other": "other", "common": "any"}.get(folder.name, folder.name)
                assert (block.get("metadata") or {}).get("language") == expected, (path, block.get("intent"))


def test_no_example_has_two_labels() -> None:
    labels: dict[str, set[str]] = defaultdict(set)
    for example in EXAMPLES:
        labels[fold(example.text).strip(" .!?")].add(example.intent)
    conflicts = {text: sorted(intents) for text, intents in labels.items() if len(intents) > 1}
    assert conflicts == {}


HELDOUT_SETS = {
    "heldout.yml": 40,
    "heldout_2026-12.yml": 80,
    **{f"heldout_2026-12-04/{lang}.yml": 0 for lang in LANGUAGES},  # one language per file, counted below
}


@pytest.mark.parametrize("name", sorted(HELDOUT_SETS))
def test_heldout_bench_sets_are_labelled_with_the_contract(name: str) -> None:
    items = yaml.safe_load((PROJECT_ROOT / "bench" / "data" / name).read_text(encoding="utf-8"))
    per_language = Counter(i["lang"] for i in items)
    assert all(per_language[lang] >= HELDOUT_SETS[name] for lang in LANGUAGES)
    for item in items:
        assert {item["intent"], item.get("second_intent", item["intent"])} <= CONTRACT_INTENTS | EXTENSIONS
        for entity, value in (item.get("entities") or {}).items():
            assert value in VALUES[entity]


def test_the_newest_heldout_set_has_what_the_conversation_issue_asks_for() -> None:
    """At least 80 messages per language, a third noisy, 15 with two requests, every new intent and topic."""
    for lang in LANGUAGES:
        items = yaml.safe_load((PROJECT_ROOT / "bench" / "data" / f"heldout_2026-12-04/{lang}.yml").read_text("utf-8"))
        own = [i for i in items if i["lang"] == lang]
        assert len(own) >= 80 and sum(i["noisy"] for i in own) * 3 >= len(own)
        assert sum("second_intent" in i for i in own) >= 15
        assert {"ask_privacy", "request_deletion", "request_data_copy", "legal_advice"} <= {i["intent"] for i in own}
        assert {(i.get("entities") or {}).get("topic") for i in own} >= VALUES["topic"]


def test_rasa_data_validate_passes() -> None:
    result = subprocess.run(
        [*rasa_command(), "data", "validate", "--domain", "domain.yml", "--data", "data", "nlu_data"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
