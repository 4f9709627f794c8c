"""Rasa NLU components that make the pipeline robust to our users' spelling and languages.

- `FoldingTokenizer`: whitespace tokens whose lemma is the folded spelling (no case, no diacritics,
  Cyrillic transliterated), so the count-vector featurisers see 'alıyorum' and 'aliyorum' alike.
- `ContractEntities`: the contract's entities with canonical values (gazetteer for districts and
  languages, message-level classifiers for the target group and the topic, which speak only when the
  message holds a cue for the value: `afa.nlu.cues`).
- `LanguageDetector`: adds the message's language to the parse result and marks messages in languages we
  do not serve as `out_of_scope`.
- `SpecialInputs`: '/faq/<key>' button payloads, empty and emoji-only messages, which need no classifier.
"""
from __future__ import annotations

import difflib
import hashlib
import json
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

from afa import DISTRICTS, FAQ_KEYS, LANGUAGES, TARGET_GROUPS, TOPICS
from afa.language import OTHER, LanguageClassifier
from afa.nlu import cues
from afa.nlu.linear import selector_output
from afa.text import fold, is_emoji_only

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
        # A privacy request is a right in any language: written in one we do not serve, it is still acted on
        # (in German, the bot's language for everyone else) when the intent classifier is sure enough of it.
        return {"unsupported_intent": "out_of_scope",
                "kept_intents": ["ask_privacy", "request_deletion", "request_data_copy"], "kept_threshold": 0.6}

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
            if detection.unsupported and not self._kept(message):
                intent = {"name": self._config["unsupported_intent"], "confidence": 1.0}
                message.set(INTENT, intent, add_to_output=True)
                message.set(INTENT_RANKING_KEY, [intent], add_to_output=True)
                message.set(ENTITIES, [], add_to_output=True)  # nothing is acted on in that language
        return messages

    def _kept(self, message: Message) -> bool:
        """Whether the classifier's intent stands although the language is not served (a privacy request)."""
        intent = message.get(INTENT) or {}
        return intent.get("name") in self._config["kept_intents"] and float(
            intent.get("confidence") or 0.0) >= float(self._config["kept_threshold"])

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data


# Canonical values and the names that always mean them, beyond what the training data teaches.
_DISTRICT_NAMES = {"marxloh": ["marxloh", "marksloh", "marxlo"], "hochfeld": ["hochfeld", "hohfeld", "hochfelt"]}
LANGUAGE_NAMES = "language_names"  # the message's language names (entities), whatever its intent; not in the output
# A topic a message names without asking for an offer of it: "Rede ich mit einem Computer?", or a legal question
# ("Wird mein Diplom hier anerkannt?" asks whether, not for counselling). In the parse result beside the entities:
# afa.nlu.multi gives it back to a part that does ask for offers, and the legal action shows offers of it.
TOPIC_ASIDE = "topic_aside"
NO_VALUE = NO_GROUP = "none"  # the classifiers' label for "the message names no group / no topic"
TOPIC_IGNORED_INTENTS = ("bot_challenge", "change_language", "legal_advice")
# Of those, the intents whose messages the topic classifier still learns from: a legal question's topic decides
# its answer (offers of it), and "health insurance with a minijob?" names no topic the person asks about.
TOPIC_LEARNED_INTENTS = ("legal_advice",)
# Word stems that name a topic wherever they occur (folded when used), beyond the annotated spans of the
# training data. A cue is evidence, not the decision: "Almanca bilmiyorum" holds the cue "almanca", and the
# topic classifier, which knows the context, says it is no German course.
_TOPIC_STEMS = {
    "german": ["deutschkurs", "sprachkurs", "integrationskurs", "deutschunterricht", "deutsch", "almanca", "немски",
               "езиков", "интеграционен", "germană", "nemțește", "nemteste"],
    "computer": ["computer", "bilgisayar", "компютър", "компютри", "компютърен", "calculator", "laptop", "smartphone",
                 "смартфон", "pc", "excel"],
    "application": ["bewerbung", "lebenslauf", "anschreiben", "vorstellungsgespräch", "cv", "özgeçmiş", "başvuru",
                    "mülakat", "автобиография", "кандидатстване", "кандидатура", "мотивационно", "интервю",
                    "candidatură", "interviu", "scrisoare"],
    "internship": ["praktikum", "probearbeit", "schnupper", "staj", "stajyer", "стаж", "практика", "stagiu",
                   "practică"],
    "recognition": ["anerkennung", "anerkannt", "anerkenn", "denklik", "tanınma", "признаване", "призната", "призна",
                    "приравняване", "recunoaștere", "recunosc", "echivalare", "echival"],
    "qualification": ["ausbildung", "umschulung", "weiterbildung", "qualifizierung", "meslek", "квалификация",
                      "преквалификация", "calificare", "recalificare"],
    # Work itself: "ich suche Arbeit", "iş arıyorum", "търся работа", "caut de lucru" ask for vacancies (the
    # classifier still says no to "keine Arbeit" or "Aktiv für Arbeit").
    "jobs": ["stellenangebot", "stellenanzeige", "jobangebot", "jobcafé", "jobbörse", "minijob", "ilan", "eleman",
             "обяви", "вакансии", "vacante", "angajări", "angaja", "posturi", "arbeit", "job", "jobs", "iş", "işi",
             "работа", "lucru", "muncă", "serviciu", "минижоб"],
}
assert tuple(_TOPIC_STEMS) == TOPICS
_SEEDS_FINGERPRINT = hashlib.sha256(json.dumps([_DISTRICT_NAMES, _TOPIC_STEMS], sort_keys=True).encode()).hexdigest()[:12]


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


def message_labels(annotated: List[Any], kind: str, values: tuple) -> List[str]:
    """One label per message for a message-level classifier: the first annotated value of `kind`, or none."""
    labels = []
    for _, entities in annotated:
        found = [e.get("value") for e in entities if e.get("entity") == kind and e.get("value") in values]
        labels.append(found[0] if found else NO_VALUE)
    return labels


def fit_topics(texts: List[str], annotated: List[Any], table: Dict[str, Any], c: float) -> Any:
    """The topic classifier answers one question: given a topic cue in the message, which topic does it ask for, if
    any? So it learns from the messages that hold a cue ("Almanca kursu var mı" and "Almanca bilmiyorum" alike),
    not from thousands without one (5-fold cross-validation, `bench/entity_cv.py`: F1 0.850 → 0.869)."""
    from afa.nlu.linear import build_pipeline

    labels = message_labels(annotated, "topic", TOPICS)
    with_cue = [i for i, text in enumerate(texts) if cues.find(table, text)]
    if len({labels[i] for i in with_cue}) >= 2:
        texts, labels = [texts[i] for i in with_cue], [labels[i] for i in with_cue]
    return build_pipeline(c).fit(texts, labels)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class ContractEntities(GraphComponent):
    """The contract's entities with canonical values.

    - `district` and `language`: names looked up word by word in a gazetteer (the annotated spellings of the
      training data, Babel's language names), fuzzily, so "Marxloh'ta", "Марксло", "hochfelt" all count.
      Language names count only when the user asks to change the language: "Almanca kursu" is a course.
    - `target_group` and `topic`: the person's situation ("I came from Bulgaria a month ago", "bin beim
      Jobcenter nicht gemeldet") and what kind of offer they ask for ("Almanca kursu", "нещо за компютри") are
      properties of the message, so a classifier over the whole message weighs them; but it only speaks when the
      message also holds a cue for the value (`afa.nlu.cues`: a word its annotated spans use, as a stem or with a
      typo, or an age in the range they name), and then chooses among those values and "no value"; a value also
      needs a probability that reaches the threshold. Never a guess: "50
      yaşındayım, iş arıyorum" states no group. The thresholds were calibrated by 5-fold cross-validation on the
      training data (`bench/entity_cv.py`, figures in the README).
    """

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"fuzzy_cutoff": 0.8, "group_threshold": 0.35, "topic_threshold": 0.25, "cue_ratio": cues.MIN_RATIO,
                "C": 10.0, "language_intents": ["change_language"],
                # "Rede ich mit einem Computer?", "auf Deutsch bitte": no kind of offer asked for.
                "topic_ignored_intents": list(TOPIC_IGNORED_INTENTS),
                "topic_learned_intents": list(TOPIC_LEARNED_INTENTS),
                # Rasa's training cache fingerprints a component by its config and data, not its code: the seed
                # names are part of what is trained, so a change to them must retrain the component.
                "seeds": _SEEDS_FINGERPRINT}

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        gazetteer: Optional[Dict[str, Dict[str, str]]] = None,
        groups: Any = None,
        topics: Any = None,
        cue_tables: Optional[Dict[str, Any]] = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._gazetteer: Dict[str, Dict[str, str]] = gazetteer or {"district": {}, "language": {}}
        self._groups = groups
        self._topics = topics
        self._cues: Dict[str, Any] = cue_tables or {}

    @classmethod
    def create(cls, config, model_storage, resource, execution_context) -> "ContractEntities":  # type: ignore[no-untyped-def]
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        from afa.nlu.linear import build_pipeline

        gazetteer: Dict[str, Dict[str, str]] = {"district": {}, "language": dict(_language_names())}
        for district, names in _DISTRICT_NAMES.items():
            for name in names:
                gazetteer["district"][fold(name)] = district
        texts, annotated, intents = [], [], []
        for example in training_data.intent_examples:
            text = example.get(TEXT)
            entities = example.get(ENTITIES) or []
            for entity in entities:
                kind, value = entity.get("entity"), entity.get("value")
                if kind in gazetteer and value in (DISTRICTS if kind == "district" else LANGUAGES):
                    surface = fold(text[entity["start"]:entity["end"]])
                    if " " not in surface:
                        gazetteer[kind][surface] = value
            texts.append(text)
            annotated.append((text, entities))
            intents.append(example.get(INTENT))
        self._gazetteer = gazetteer
        c, ratio = float(self._config["C"]), float(self._config["cue_ratio"])
        self._groups = build_pipeline(c).fit(texts, message_labels(annotated, "target_group", TARGET_GROUPS))
        self._cues = {"target_group": cues.learn(annotated, "target_group", TARGET_GROUPS, min_ratio=ratio),
                      "topic": cues.learn(annotated, "topic", TOPICS, _TOPIC_STEMS, min_ratio=ratio)}
        ignored = set(self._config["topic_ignored_intents"]) - set(self._config["topic_learned_intents"])
        kept = [i for i, intent in enumerate(intents) if intent not in ignored]
        self._topics = fit_topics([texts[i] for i in kept], [annotated[i] for i in kept], self._cues["topic"], c)
        with self._model_storage.write_to(self._resource) as directory:
            joblib.dump({"gazetteer": gazetteer, "groups": self._groups, "topics": self._topics, "cues": self._cues},
                        directory / "entities.joblib")
        return self._resource

    @classmethod
    def load(cls, config, model_storage, resource, execution_context, **kwargs) -> "ContractEntities":  # type: ignore[no-untyped-def]
        with model_storage.read_from(resource) as directory:
            stored = joblib.load(directory / "entities.joblib")
        return cls(config, model_storage, resource, stored["gazetteer"], stored["groups"], stored.get("topics"),
                   stored.get("cues"))

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

    def _found(self, text: str) -> List[Dict[str, Any]]:
        """Districts and language names, by word."""
        entities = []
        for match in re.finditer(r"[^\W_]+(?:['’-][^\W_]+)*", text):
            for kind in ("district", "language"):
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
            own = ("district", "language", "target_group", "topic")
            entities = [e for e in message.get(ENTITIES) or [] if e.get("entity") not in own]
            found = self._found(text)
            # A language name is the `language` entity only in a request to change the language; elsewhere
            # ("Almanca kursu") it names a topic. Kept aside for afa.nlu.multi, which finds a language change in a
            # part of the message ("auf Rumänisch bitte, und gibt es Deutschkurse?").
            names = [e for e in found if e["entity"] == "language"]
            entities += [e for e in found if e["entity"] != "language" or intent in self._config["language_intents"]]
            message.set(LANGUAGE_NAMES, names)
            if text.strip():
                group = self._stated("target_group", self._groups, text, float(self._config["group_threshold"]))
                topic = self._stated("topic", self._topics, text, float(self._config["topic_threshold"]))
                entities += [group] if group else []
                if intent not in self._config["topic_ignored_intents"]:
                    entities += [topic] if topic else []
                elif topic:  # "Rede ich mit einem Computer?" asks for no course; afa.nlu.multi may find a part that does
                    message.set(TOPIC_ASIDE, topic, add_to_output=True)
            message.set(ENTITIES, entities, add_to_output=True)
        return messages

    def _stated(self, kind: str, classifier: Any, text: str, threshold: float) -> Optional[Dict[str, Any]]:
        """The value of `kind` the message states: a cue for it in the message, and the classifier agrees."""
        table = self._cues.get(kind)
        if classifier is None or table is None:
            return None
        found = cues.find(table, text)
        if not found:
            return None
        probabilities = dict(zip(map(str, classifier.classes_), classifier.predict_proba([text])[0]))
        decided = cues.decide(found, probabilities, threshold, NO_VALUE)
        if decided is None:
            return None
        value, confidence, (start, end) = decided
        return {"entity": kind, "value": value, "start": start, "end": end, "confidence_entity": confidence,
                "extractor": "ContractEntities"}

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data


_FAQ_PAYLOAD = re.compile(r"^/faq/(?P<key>[a-z_]+)$")
# `/start` with a deep-link payload typed on any channel, as Telegram sends it: a greeting through a poster's link.
_START = re.compile(r"^/start(?:@\w+)?(?:\s+(?P<payload>\S+))?\s*$", re.IGNORECASE)
# Commands that work on every channel as in Telegram's menu (typed, or the buttons that send them), and the
# confirmation buttons Telegram showed before the conversation core asked itself.
COMMANDS = {
    "/privacy": "ask_privacy",
    "/delete": "request_deletion",
    "/mydata": "request_data_copy",
    "/delete_yes": "confirm_deletion",
    "/delete_no": "cancel_deletion",
}


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class SpecialInputs(GraphComponent):
    """Inputs that need no classifier.

    - '/faq/funding' (a button) → intent `faq` with response key `faq/funding`, as if NLU had found it;
    - the commands `/privacy`, `/delete`, `/mydata` typed on any channel (also `/delete@bot`, any case) → their
      intents (`COMMANDS`), as the Telegram commands of the same names;
    - `/start PAYLOAD` typed on any channel (`/start marxloh_tr_c12`, `/start hochfeld_tr`) → `greet` with the district
      and language the payload names and the payload as `deep_link` (afa.reach.payloads), as Telegram's deep links;
      a plain `/start`, or a payload that is not ours, → a plain `greet`;
    - an empty or blank message → `out_of_scope`, whose action tells the user the message was empty;
    - emoji only ("😊", "🤔🤔"): the classifier is kept where it is sure of a social intent it was trained on
      ("👍" affirm, "🙏" thank, "👋" greet); anything else → `out_of_scope`, whose action answers with a friendly
      word and, as the text holds no question, stores nothing for review (every channel alike).
    """

    SOCIAL = frozenset({"affirm", "thank", "greet", "goodbye", "deny"})
    SURE = 0.5

    @classmethod
    def create(cls, config, model_storage, resource, execution_context) -> "SpecialInputs":  # type: ignore[no-untyped-def]
        return cls()

    @staticmethod
    def _set(message: Message, intent_name: str) -> None:
        intent = {"name": intent_name, "confidence": 1.0}
        message.set(INTENT, intent, add_to_output=True)
        message.set(INTENT_RANKING_KEY, [intent], add_to_output=True)
        message.set(ENTITIES, [], add_to_output=True)

    def _start(self, message: Message, payload: str) -> None:
        from afa.reach.payloads import parse

        self._set(message, "greet")
        link = parse(payload)
        if link is None or not link.payload:
            return
        entities = [
            {"entity": kind, "value": value, "start": 0, "end": len(message.get(TEXT) or ""), "extractor": "SpecialInputs"}
            for kind, value in (("district", link.district), ("language", link.language)) if value
        ]
        message.set(ENTITIES, entities, add_to_output=True)
        message.set("deep_link", link.payload, add_to_output=True)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = (message.get(TEXT) or "").strip()
            if not text:
                self._set(message, "out_of_scope")
                continue
            if is_emoji_only(text):
                intent = message.get(INTENT) or {}
                if intent.get("name") not in self.SOCIAL or (intent.get("confidence") or 0.0) < self.SURE:
                    self._set(message, "out_of_scope")
                continue
            start = _START.match(text)
            if start:
                self._start(message, start.group("payload") or "")
                continue
            command = text.split("@", 1)[0].lower()
            if command in COMMANDS:
                self._set(message, COMMANDS[command])
                continue
            match = _FAQ_PAYLOAD.match(text)
            if match and match.group("key") in FAQ_KEYS:
                self._set(message, "faq")
                ranking = [{"name": f"faq/{match.group('key')}", "confidence": 1.0}]
                message.set("response_selector", selector_output("faq", ranking), add_to_output=True)
        return messages
