"""Linear classifiers over folded word and character n-grams, as Rasa components.

`LinearIntentClassifier` predicts the intent; with `target: response` it is a response selector for a
retrieval intent (`faq/<key>`), writing the same `response_selector` output as Rasa's ResponseSelector.
They train in seconds on CPU, which keeps `make test` and staff's `afa train` short; `bench/nlu.py`
measures them against Rasa's default (DIET) pipeline.
"""
from __future__ import annotations

import math
from collections import Counter
from typing import Any, Callable, Dict, List, Optional, Sequence, Text

import joblib
import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, INTENT_RESPONSE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from afa.text import fold


def selector_output(retrieval_intent: str, ranking: List[Dict[str, Any]]) -> Dict[str, Any]:
    """The `response_selector` parse output Rasa's ActionRetrieveResponse reads (`utter_<key>`)."""
    predictions = [
        {
            "confidence": item["confidence"],
            "intent_response_key": item["name"],
            "utter_action": f"utter_{item['name']}",
            "responses": [{"text": item["name"]}],
        }
        for item in ranking
    ]
    return {"all_retrieval_intents": [retrieval_intent], retrieval_intent: {"response": predictions[0], "ranking": predictions}}


def build_pipeline(c: float) -> Pipeline:
    features = FeatureUnion(
        [
            ("words", TfidfVectorizer(preprocessor=fold, ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"(?u)\b\w+\b")),
            ("chars", TfidfVectorizer(preprocessor=fold, analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2)),
        ]
    )
    # newton-cg reaches the same optimum as the default lbfgs (the same probabilities to three decimals on the
    # development set) in half the time on our 8,000 messages and 50,000 features: training is in every test run.
    classifier = LogisticRegression(C=c, max_iter=5000, class_weight="balanced", solver="newton-cg")
    return Pipeline([("features", features), ("clf", classifier)])


class CompiledPipeline:
    """`predict_proba` of a fitted `build_pipeline()`, computed directly from its vocabularies, idf weights and
    coefficients: the same numbers without sklearn's per-call validation and sparse-matrix building, which were most
    of a parse's time for the short texts a chat brings (a message and, in `afa.nlu.multi`, its parts)."""

    def __init__(self, pipeline: Pipeline) -> None:
        union, clf = pipeline.named_steps["features"], pipeline.named_steps["clf"]
        self.classes_ = clf.classes_
        self._blocks = []
        offset = 0
        for _name, vectorizer in union.transformer_list:
            self._blocks.append(
                (vectorizer.build_analyzer(), vectorizer.vocabulary_, np.asarray(vectorizer.idf_), offset,
                 bool(vectorizer.sublinear_tf), vectorizer.norm)
            )
            offset += len(vectorizer.vocabulary_)
        self._coef = np.ascontiguousarray(clf.coef_.T)  # features × classes (one column for two classes)
        self._intercept = np.asarray(clf.intercept_)

    @classmethod
    def of(cls, pipeline: Optional[Pipeline]) -> Optional[Callable[[Sequence[str]], np.ndarray]]:
        """The compiled `predict_proba`, or None for a pipeline of another shape (which then predicts itself)."""
        if pipeline is None:
            return None
        try:
            union, clf = pipeline.named_steps["features"], pipeline.named_steps["clf"]
            compiled = all(isinstance(v, TfidfVectorizer) and v.norm in ("l2", None) and v.use_idf
                           for _n, v in union.transformer_list) and isinstance(clf, LogisticRegression)
            multinomial = clf.coef_.shape[0] == 1 or clf.multi_class in ("auto", "multinomial") and clf.solver != "liblinear"
        except (AttributeError, KeyError, TypeError):
            return None
        return cls(pipeline).predict_proba if compiled and multinomial else None

    def _scores(self, text: str) -> np.ndarray:
        scores = self._intercept.astype(float)
        for analyzer, vocabulary, idf, offset, sublinear, norm in self._blocks:
            counts = Counter(analyzer(text))
            index = [vocabulary[term] for term in counts if term in vocabulary]
            if not index:
                continue
            values = np.array([counts[term] for term in counts if term in vocabulary], dtype=float)
            if sublinear:
                values = np.log(values) + 1.0
            values *= idf[index]
            if norm == "l2":
                length = math.sqrt(float(values @ values))
                if length:
                    values /= length
            scores = scores + values @ self._coef[np.asarray(index) + offset]
        return scores

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        scores = np.array([self._scores(text) for text in texts]).reshape(len(texts), -1)
        if scores.shape[1] == 1:  # two classes: the logistic of the one decision function
            positive = 1.0 / (1.0 + np.exp(-scores[:, 0]))
            return np.column_stack([1.0 - positive, positive])
        scores -= scores.max(axis=1, keepdims=True)
        np.exp(scores, out=scores)
        return scores / scores.sum(axis=1, keepdims=True)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearIntentClassifier(GraphComponent):
    """Logistic regression on folded word 1–2-grams and character 2–5-grams."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"target": "intent", "retrieval_intent": "faq", "C": 10.0, "ranking_length": 10}

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        pipeline: Optional[Pipeline] = None,
    ) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self._pipeline = pipeline
        self._predict_proba = CompiledPipeline.of(pipeline)

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "LinearIntentClassifier":
        return cls(config, model_storage, resource)

    def _label(self, example: Message) -> Optional[str]:
        if self._config["target"] == "intent":
            return example.get(INTENT)
        if example.get(INTENT) == self._config["retrieval_intent"]:
            return example.get(INTENT_RESPONSE_KEY)
        return None

    def train(self, training_data: TrainingData) -> Resource:
        texts, labels = [], []
        for example in training_data.intent_examples:
            label = self._label(example)
            if label and example.get(TEXT):
                texts.append(example.get(TEXT))
                labels.append(label)
        if len(set(labels)) >= 2:
            self._pipeline = build_pipeline(float(self._config["C"])).fit(texts, labels)
            self._predict_proba = CompiledPipeline.of(self._pipeline)
            with self._model_storage.write_to(self._resource) as directory:
                joblib.dump(self._pipeline, directory / "linear.joblib")
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "LinearIntentClassifier":
        try:
            with model_storage.read_from(resource) as directory:
                pipeline = joblib.load(directory / "linear.joblib")
        except (ValueError, FileNotFoundError):
            pipeline = None
        return cls(config, model_storage, resource, pipeline)

    def process(self, messages: List[Message]) -> List[Message]:
        if self._pipeline is None or not messages:
            return messages
        texts = [message.get(TEXT) or "" for message in messages]
        # Compiled for a chat's few short texts; sklearn's vectorised path is as fast for large batches (training data).
        small = self._predict_proba is not None and len(texts) <= 64
        probabilities = (self._predict_proba if small else self._pipeline.predict_proba)(texts)
        classes = self._pipeline.classes_
        for message, row in zip(messages, probabilities):
            order = row.argsort()[::-1][: int(self._config["ranking_length"])]
            ranking = [{"name": str(classes[i]), "confidence": float(row[i])} for i in order]
            if self._config["target"] == "intent":
                message.set(INTENT, ranking[0], add_to_output=True)
                message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
            else:
                message.set("response_selector", selector_output(self._config["retrieval_intent"], ranking), add_to_output=True)
        return messages
