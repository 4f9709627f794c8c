"""Rasa NLU components that make the pipeline robust to our users' spelling and languages.

- `FoldingTokenizer`: whitespace tokens whose lemma is the folded spelling (no case, no diacritics,
  Cyrillic transliterated), so the count-vector featurisers see 'alıyorum' and 'aliyorum' alike.
- `CanonicalEntities`: maps extracted entity text onto the contract's canonical values (synonyms learnt
  from the annotated training data, Babel's language names, fuzzy matching of folded forms) and finds
  district and language names the extractor missed.
- `LanguageDetector`: adds the message's language to the parse result and marks messages in languages we
  do not serve as `out_of_scope`.
- `ButtonPayloads`: turns '/faq/<key>' button payloads into the retrieval intent with its response key.
"""
from __future__ import annotations

import difflib
import logging
import re
from typing import Any, Dict, List, Optional, Text, Tuple, Type

import joblib
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, METADATA, METADATA_INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from afa import DISTRICTS, FAQ_KEYS, LANGUAGES
from afa.language import OTHER, LanguageClassifier
from afa.nlu.linear import selector_output
from afa.text import fold, words

logger = logging.getLogger(__name__)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class FoldingTokenizer(WhitespaceTokenizer):
    """Whitespace tokenizer that stores the folded spelling as each token's lemma."""

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        tokens = super().tokenize(message, attribute)
        for token in tokens:
            token.lemma = fold(token.text)
        return tokens


def _language_of(message: Message) -> Optional[str]:
    metadata = message.get(METADATA) or {}
    intent_metadata = metadata.get(METADATA_INTENT) or {}
    return intent_metadata.get("language") if isinstance(intent_metadata, dict) else None


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LanguageDetector(GraphComponent):
    """Detects the language of each message (trained on the `language` metadata of the training data)."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"unsupported_intent": "out_of_scope"}

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        classifier: Optional[LanguageClassifier] = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._classifier = classifier or LanguageClassifier()

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "LanguageDetector":
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        texts, labels = [], []
        for example in training_data.intent_examples:
            language = _language_of(example)
            if language in LANGUAGES or language == OTHER:
                texts.append(example.get(TEXT))
                labels.append(language)
        if len(set(labels)) < 2:
            raise ValueError("LanguageDetector needs training examples with `metadata: {language: ..}` in 2+ languages")
        self._classifier = LanguageClassifier.train(texts, labels)
        with self._model_storage.write_to(self._resource) as directory:
            joblib.dump(self._classifier.pipeline, directory / "language.joblib")
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "LanguageDetector":
        with model_storage.read_from(resource) as directory:
            pipeline = joblib.load(directory / "language.joblib")
        return cls(config, model_storage, resource, LanguageClassifier(pipeline))

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            if text.startswith("/"):  # a button payload says nothing about the writer's language
                message.set("language", {"code": None, "confidence": 0.0, "words": 0}, add_to_output=True)
                continue
            detection = self._classifier.detect(text)
            message.set("language", detection.as_dict(), add_to_output=True)
            if detection.unsupported:
                intent = {"name": self._config["unsupported_intent"], "confidence": 1.0}
                message.set(INTENT, intent, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [intent], add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data


# Canonical values and the names that always mean them, beyond what the training data teaches.
_DISTRICT_NAMES = {"marxloh": ["marxloh", "marksloh", "marxlo"], "hochfeld": ["hochfeld", "hohfeld", "hochfelt"]}


def _language_names() -> Dict[str, str]:
    """Every served language's name in every served language and in English, folded → code."""
    from babel import Locale

    names: Dict[str, str] = {}
    for code in LANGUAGES:
        locale = Locale.parse(code)
        for display in [*LANGUAGES, "en"]:
            name = locale.get_display_name(display)
            if name:
                names[fold(name)] = code
    return names


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class CanonicalEntities(GraphComponent):
    """Normalises entity values to the contract's canonical values; adds district/language names by lookup."""

    CANONICAL = {
        "district": set(DISTRICTS),
        "language": set(LANGUAGES),
        "target_group": {"benefits", "unregistered", "women", "youth", "school_transition", "migrants"},
    }

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"fuzzy_cutoff": 0.8}

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        synonyms: Optional[Dict[str, Dict[str, str]]] = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._synonyms: Dict[str, Dict[str, str]] = synonyms or {}

    @classmethod
    def create(cls, config, model_storage, resource, execution_context) -> "CanonicalEntities":  # type: ignore[no-untyped-def]
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        synonyms: Dict[str, Dict[str, str]] = {name: {} for name in self.CANONICAL}
        for district, names in _DISTRICT_NAMES.items():
            for name in names:
                synonyms["district"][fold(name)] = district
        synonyms["language"].update(_language_names())
        for example in training_data.entity_examples:
            text = example.get(TEXT)
            for entity in example.get(ENTITIES) or []:
                kind, value = entity.get("entity"), entity.get("value")
                if kind in self.CANONICAL and value in self.CANONICAL[kind]:
                    synonyms[kind][fold(text[entity["start"]:entity["end"]])] = value
        self._synonyms = synonyms
        with self._model_storage.write_to(self._resource) as directory:
            joblib.dump(synonyms, directory / "synonyms.joblib")
        return self._resource

    @classmethod
    def load(cls, config, model_storage, resource, execution_context, **kwargs) -> "CanonicalEntities":  # type: ignore[no-untyped-def]
        with model_storage.read_from(resource) as directory:
            synonyms = joblib.load(directory / "synonyms.joblib")
        return cls(config, model_storage, resource, synonyms)

    def canonical(self, kind: str, surface: str) -> Optional[str]:
        """The canonical value for `surface` text of entity `kind`, or None when it matches nothing known."""
        table = self._synonyms.get(kind) or {}
        key = fold(surface).strip(" .,!?;:'’\"")
        if key in self.CANONICAL.get(kind, ()):
            return key
        if key in table:
            return table[key]
        match = difflib.get_close_matches(key, table.keys(), n=1, cutoff=self._config["fuzzy_cutoff"])
        if match:
            return table[match[0]]
        # Suffixed forms: "Marxloh'ta", "hochfeldde", "Марксло-то" start with a known name.
        for name, value in table.items():
            if len(name) >= 5 and (key.startswith(name) or name.startswith(key) and len(key) >= 5):
                return value
        return None

    def _lookup(self, text: str) -> List[Tuple[str, str, int, int]]:
        """District and language names found word by word (for what the statistical extractor missed)."""
        found = []
        for match in re.finditer(r"[^\W_]+(?:['’-][^\W_]+)*", text):
            word = match.group(0)
            if len(word) < 4:
                continue
            for kind in ("district", "language"):
                value = self.canonical(kind, word)
                if value:
                    found.append((kind, value, match.start(), match.end()))
                    break
        return found

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            if text.startswith("/"):
                continue
            entities = []
            for entity in message.get(ENTITIES) or []:
                kind = entity.get("entity")
                if kind not in self.CANONICAL:
                    entities.append(entity)
                    continue
                surface = text[entity["start"]:entity["end"]] if "start" in entity else str(entity.get("value"))
                value = self.canonical(kind, surface)
                if value is None and str(entity.get("value")) in self.CANONICAL[kind]:
                    value = str(entity.get("value"))
                if value is None:
                    logger.debug("dropping %s entity that matches no canonical value", kind)
                    continue
                entities.append({**entity, "value": value})
            covered = [(e.get("start"), e.get("end")) for e in entities]
            for kind, value, start, end in self._lookup(text):
                if any(s is not None and s < end and start < e for s, e in covered):
                    continue
                entities.append(
                    {"entity": kind, "value": value, "start": start, "end": end, "confidence_entity": 1.0,
                     "extractor": "CanonicalEntities"}
                )
            message.set(ENTITIES, entities, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data


_FAQ_PAYLOAD = re.compile(r"^/faq/(?P<key>[a-z_]+)$")


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class ButtonPayloads(GraphComponent):
    """'/faq/funding' (a button) → intent `faq` with response key `faq/funding`, as if NLU had found it."""

    @classmethod
    def create(cls, config, model_storage, resource, execution_context) -> "ButtonPayloads":  # type: ignore[no-untyped-def]
        return cls()

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            match = _FAQ_PAYLOAD.match((message.get(TEXT) or "").strip())
            if not match or match.group("key") not in FAQ_KEYS:
                continue
            intent = {"name": "faq", "confidence": 1.0}
            message.set(INTENT, intent, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [intent], add_to_output=True)
            message.set(ENTITIES, [], add_to_output=True)
            ranking = [{"name": f"faq/{match.group('key')}", "confidence": 1.0}]
            message.set("response_selector", selector_output("faq", ranking), add_to_output=True)
        return messages
