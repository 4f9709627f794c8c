"""Spelling normalisation and the per-message language decision."""
from __future__ import annotations


import pytest

from afa import LANGUAGES
from afa.language import Detection, LanguageClassifier, decide_language
from afa.nludata import load_examples
from afa.settings import PROJECT_ROOT
from afa.text import fold


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Кой финансира проекта?", "koi finansira proekta?"),
        ("Jobcenter'dan para alıyorum", "jobcenter'dan para aliyorum"),
        ("İŞ ARIYORUM", "is ariyorum"),
        ("Mulțumesc frumos", "multumesc frumos"),
        ("Förderung für Frauen", "foerderung fuer frauen"),
        ("Straße", "strasse"),
    ],
)
def test_fold_maps_our_users_spellings_together(a: str, b: str) -> None:
    assert fold(a) == fold(b)


def test_fold_keeps_different_words_apart() -> None:
    assert fold("Marxloh") != fold("Hochfeld")
    assert fold("мерси") != fold("merhaba")


@pytest.fixture(scope="module")
def classifier() -> LanguageClassifier:
    examples = [e for e in load_examples(PROJECT_ROOT / "nlu_data") if e.language in (*LANGUAGES, "other")]
    return LanguageClassifier.train([e.text for e in examples], [e.language for e in examples])


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Merhaba, iş arıyorum", "tr"),
        ("merhaba is ariyorum marxlohta", "tr"),
        ("Кой финансира проекта?", "bg"),
        ("zdraveite, tarsia rabota v hochfeld", "bg"),
        ("buna ziua, caut de lucru in Hochfeld", "ro"),
        ("Bună ziua, caut un curs de germană", "ro"),
        ("Hallo, ich suche Arbeit in Marxloh", "de"),
        ("ich brauche hilfe mit bewerbung", "de"),
    ],
)
def test_classifier_recognises_served_languages_also_when_noisy(classifier: LanguageClassifier, text: str, language: str) -> None:
    detection = classifier.detect(text)
    assert detection.code == language
    assert not detection.unsupported


@pytest.mark.parametrize("text", ["Hello, I am looking for a job", "مرحبا، أبحث عن عمل", "Bonjour, je cherche un travail"])
def test_unserved_languages_are_recognised(classifier: LanguageClassifier, text: str) -> None:
    assert classifier.detect(text).unsupported


@pytest.mark.parametrize("text", ["👍", "ok", "🙏🙏", "12", ""])
def test_texts_without_letters_tell_no_language(classifier: LanguageClassifier, text: str) -> None:
    assert classifier.detect(text).code is None


def test_first_message_sets_the_language() -> None:
    assert decide_language(Detection("tr", 0.55, 1), None, None) == "tr"


def test_short_or_ambiguous_message_keeps_the_current_language() -> None:
    assert decide_language(Detection("de", 0.97, 1), "tr", None) == "tr"  # "Danke"
    assert decide_language(Detection(None, 0.0, 0), "ro", None) == "ro"  # "👍"
    assert decide_language(Detection("tr", 0.45, 2), "bg", None) == "bg"  # a name


def test_a_clear_sentence_switches_the_language() -> None:
    assert decide_language(Detection("ro", 0.93, 4), "de", None) == "ro"


def test_hint_counts_only_when_the_text_cannot_tell() -> None:
    assert decide_language(Detection(None, 0.0, 0), None, "bg") == "bg"
    assert decide_language(Detection("tr", 0.9, 3), None, "bg") == "tr"
    assert decide_language(Detection("other", 0.9, 3), None, "ro") == "ro"


def test_german_is_the_last_default() -> None:
    assert decide_language(Detection(None, 0.0, 0), None, None) == "de"
    assert decide_language(Detection("other", 0.99, 5), None, "en") == "de"


def test_explicit_choice_sticks() -> None:
    assert decide_language(Detection("tr", 0.99, 6), "de", None, locked=True) == "de"
