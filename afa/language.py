"""Which language a message is written in.

A character n-gram classifier trained on our own `nlu_data/` (de, tr, bg, ro and `other` for languages we
do not serve) knows Latin-script Bulgarian, Turkish without ş/ğ/ı and Turkish–German mixing, which
general-purpose detectors do not (see `bench/langid.py` for the measurement). Letters in a script we do
not serve (Arabic, Greek, ...) decide by themselves.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from afa import LANGUAGES
from afa.text import dominant_script, letters, words

OTHER = "other"
# Below this the text does not show its language: keep the conversation's language.
MIN_LETTERS = 3
DECISIVE_CONFIDENCE = 0.6


@dataclass(frozen=True)
class Detection:
    code: str | None  # de, tr, bg, ro, "other", or None when the text has no letters
    confidence: float
    words: int

    @property
    def unsupported(self) -> bool:
        """Clearly a language we do not serve (a sentence, not a lone word or a name)."""
        return self.code == OTHER and self.confidence >= DECISIVE_CONFIDENCE and (self.words >= 2 or self.confidence >= 0.99)

    def as_dict(self) -> dict:
        return {"code": self.code, "confidence": round(self.confidence, 4), "words": self.words}


class LanguageClassifier:
    """Character n-gram logistic regression over the served languages plus `other`."""

    def __init__(self, pipeline: Pipeline | None = None) -> None:
        self.pipeline = pipeline

    @classmethod
    def train(cls, texts: Sequence[str], labels: Sequence[str]) -> "LanguageClassifier":
        pipeline = Pipeline(
            [
                ("ngrams", TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4), lowercase=True, sublinear_tf=True)),
                ("clf", LogisticRegression(C=20.0, max_iter=3000, class_weight="balanced")),
            ]
        )
        pipeline.fit(list(texts), list(labels))
        return cls(pipeline)

    def detect(self, text: str) -> Detection:
        n_words = len(words(text))
        if len(letters(text)) < MIN_LETTERS:
            return Detection(None, 0.0, n_words)
        if dominant_script(text) == "other":
            return Detection(OTHER, 1.0, n_words)
        if self.pipeline is None:
            raise RuntimeError("language classifier is not trained")
        probabilities = self.pipeline.predict_proba([text])[0]
        best = int(probabilities.argmax())
        return Detection(str(self.pipeline.classes_[best]), float(probabilities[best]), n_words)

    def detect_many(self, texts: Iterable[str]) -> list[Detection]:
        return [self.detect(text) for text in texts]


def decide_language(
    detection: Detection | None,
    current: str | None,
    hint: str | None,
    locked: bool = False,
) -> str:
    """The conversation's language after one message.

    An explicit choice (`locked`) sticks; a short or ambiguous message ('ok', '👍', 'Danke', a name) keeps
    the current language; the client's hint (Telegram `language_code`) counts only when the text cannot
    tell; German is the last default.
    """
    served = detection is not None and detection.code in LANGUAGES
    if current and locked:
        return current
    if served and current is None:
        return detection.code  # type: ignore[return-value]
    if served and detection.confidence >= DECISIVE_CONFIDENCE and detection.words >= 2:
        return detection.code  # type: ignore[return-value]
    if current:
        return current
    if hint in LANGUAGES:
        return hint  # type: ignore[return-value]
    return "de"
