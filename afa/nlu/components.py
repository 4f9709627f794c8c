"""Rasa NLU components that make the pipeline robust to our users' spelling and languages.

- `FoldingTokenizer`: whitespace tokens whose lemma is the folded spelling (no case, no diacritics,
  Cyrillic transliterated), so the count-vector featurisers see 'alıyorum' and 'aliyorum' alike.
- `ContractEntities`: the contract's entities with canonical values (gazetteer for districts and
  languages, a message-level classifier for the target group).
- `LanguageDetector`: adds the message's language to the parse result and marks messages in languages we
  do not serve as `out_of_scope`.
- `SpecialInputs`: '/faq/<key>' button payloads and empty messages, which need no classifier.
"""
from __future__ import annotations

import difflib
import logging
import re
from typing import Any, Dict, List, Optional, Text

import joblib
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, METADATA, METADATA_INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from afa import DISTRICTS, FAQ_KEYS, LANGUAGES, TARGET_GROUPS
from afa.language import OTHER, LanguageClassifier
from afa.nlu.linear import selector_output
from afa.text import fold

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
                message.set(ENTITIES, [], add_to_output=True)  # nothing is acted on in that language
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data


# Canonical values and the names that always mean them, beyond what the training data teaches.
_DISTRICT_NAMES = {"marxloh": ["marxloh", "marksloh", "marxlo"], "hochfeld": ["hochfeld", "hohfeld", "hochfelt"]}
NO_GROUP = "none"


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
class ContractEntities(GraphComponent):
    """The contract's entities with canonical values.

    - `district` and `language`: names looked up word by word in a gazetteer (the annotated spellings of the
      training data, Babel's language names), fuzzily, so "Marxloh'ta", "Марксло", "hochfelt" all count.
      Language names count only when the user asks to change the language: "Almanca kursu" is a course.
    - `target_group`: the person's situation is a property of the whole message ("I came from Bulgaria a
      month ago", "bin beim Jobcenter nicht gemeldet"), so a classifier over the message decides it.
    """

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"fuzzy_cutoff": 0.8, "group_threshold": 0.5, "C": 10.0, "language_intents": ["change_language"]}

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        gazetteer: Optional[Dict[str, Dict[str, str]]] = None,
        groups: Any = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._gazetteer: Dict[str, Dict[str, str]] = gazetteer or {"district": {}, "language": {}}
        self._groups = groups

    @classmethod
    def create(cls, config, model_storage, resource, execution_context) -> "ContractEntities":  # type: ignore[no-untyped-def]
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        from afa.nlu.linear import build_pipeline

        gazetteer: Dict[str, Dict[str, str]] = {"district": {}, "language": dict(_language_names())}
        for district, names in _DISTRICT_NAMES.items():
            for name in names:
                gazetteer["district"][fold(name)] = district
        texts, labels = [], []
        for example in training_data.intent_examples:
            text = example.get(TEXT)
            group = NO_GROUP
            for entity in example.get(ENTITIES) or []:
                kind, value = entity.get("entity"), entity.get("value")
                if kind in gazetteer and value in (DISTRICTS if kind == "district" else LANGUAGES):
                    surface = fold(text[entity["start"]:entity["end"]])
                    if " " not in surface:
                        gazetteer[kind][surface] = value
                elif kind == "target_group" and value in TARGET_GROUPS and group == NO_GROUP:
                    group = value
            texts.append(text)
            labels.append(group)
        self._gazetteer = gazetteer
        self._groups = build_pipeline(float(self._config["C"])).fit(texts, labels)
        with self._model_storage.write_to(self._resource) as directory:
            joblib.dump({"gazetteer": gazetteer, "groups": self._groups}, directory / "entities.joblib")
        return self._resource

    @classmethod
    def load(cls, config, model_storage, resource, execution_context, **kwargs) -> "ContractEntities":  # type: ignore[no-untyped-def]
        with model_storage.read_from(resource) as directory:
            stored = joblib.load(directory / "entities.joblib")
        return cls(config, model_storage, resource, stored["gazetteer"], stored["groups"])

    def lookup(self, kind: str, word: str) -> Optional[str]:
        """The canonical value a single word names (exactly, fuzzily, or as a suffixed form), or None."""
        table = self._gazetteer.get(kind) or {}
        key = fold(word).strip(" .,!?;:'’\"")
        if len(key) < 4:
            return None
        if key in table:
            return table[key]
        match = difflib.get_close_matches(key, table.keys(), n=1, cutoff=self._config["fuzzy_cutoff"])
        if match:
            return table[match[0]]
        # Suffixed forms: "Marxloh'ta", "hochfeldde", "Марксло-то" begin with a known name.
        for name, value in table.items():
            if len(name) >= 5 and key.startswith(name):
                return value
        return None

    def _found(self, text: str, intent: Optional[str]) -> List[Dict[str, Any]]:
        kinds = ["district"]
        if intent in self._config["language_intents"]:
            kinds.append("language")
        entities = []
        for match in re.finditer(r"[^\W_]+(?:['’-][^\W_]+)*", text):
            for kind in kinds:
                value = self.lookup(kind, match.group(0))
                if value:
                    entities.append(
                        {"entity": kind, "value": value, "start": match.start(), "end": match.end(),
                         "confidence_entity": 1.0, "extractor": "ContractEntities"}
                    )
                    break
        return entities

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            if text.startswith("/"):
                continue
            intent = (message.get(INTENT) or {}).get("name")
            entities = [e for e in message.get(ENTITIES) or [] if e.get("entity") not in ("district", "language", "target_group")]
            entities += self._found(text, intent)
            if self._groups is not None and text.strip():
                probabilities = self._groups.predict_proba([text])[0]
                best = int(probabilities.argmax())
                group = str(self._groups.classes_[best])
                if group != NO_GROUP and probabilities[best] >= self._config["group_threshold"]:
                    entities.append(
                        {"entity": "target_group", "value": group, "start": 0, "end": len(text),
                         "confidence_entity": float(probabilities[best]), "extractor": "ContractEntities"}
                    )
            message.set(ENTITIES, entities, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data


_FAQ_PAYLOAD = re.compile(r"^/faq/(?P<key>[a-z_]+)$")


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class SpecialInputs(GraphComponent):
    """Inputs that need no classifier.

    - '/faq/funding' (a button) → intent `faq` with response key `faq/funding`, as if NLU had found it;
    - an empty or blank message → `out_of_scope`, whose action tells the user the message was empty.
    """

    @classmethod
    def create(cls, config, model_storage, resource, execution_context) -> "SpecialInputs":  # type: ignore[no-untyped-def]
        return cls()

    @staticmethod
    def _set(message: Message, intent_name: str) -> None:
        intent = {"name": intent_name, "confidence": 1.0}
        message.set(INTENT, intent, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [intent], add_to_output=True)
        message.set(ENTITIES, [], add_to_output=True)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = (message.get(TEXT) or "").strip()
            if not text:
                self._set(message, "out_of_scope")
                continue
            match = _FAQ_PAYLOAD.match(text)
            if match and match.group("key") in FAQ_KEYS:
                self._set(message, "faq")
                ranking = [{"name": f"faq/{match.group('key')}", "confidence": 1.0}]
                message.set("response_selector", selector_output("faq", ranking), add_to_output=True)
        return messages
