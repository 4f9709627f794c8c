"""The speed-ups give the same results as what they replace: sklearn's predict_proba, jsonschema's validate."""
from __future__ import annotations

import jsonschema
import numpy as np
import pytest
from rasa.core.actions.action import RemoteAction
from rasa.core.nlg.callback import nlg_response_format_spec

from afa.nlu.linear import CompiledPipeline, build_pipeline
from afa.nludata import load_examples
from afa.rasa_speedups import cached_validate
from afa.settings import PROJECT_ROOT

ODD_TEXTS = ["", "   ", "???", "🙂🙂", "x" * 5000, "Hallo hallo HALLO", "Кой финансира проекта?", "ce date stocați"]


@pytest.fixture(scope="module")
def examples() -> list:
    return [e for e in load_examples(PROJECT_ROOT / "nlu_data") if e.language in ("de", "bg")]


def test_compiled_pipeline_gives_sklearns_probabilities(examples: list) -> None:
    texts, labels = [e.text for e in examples], [e.intent.split("/")[0] for e in examples]
    pipeline = build_pipeline(30.0).fit(texts, labels)
    compiled = CompiledPipeline.of(pipeline)
    assert compiled is not None
    sample = texts[::7] + ODD_TEXTS + ["wo seid ihr und wer zahlt das", "zdravei kade se namirate"]
    expected = pipeline.predict_proba(sample)
    assert np.allclose(compiled(sample), expected, atol=1e-12)
    assert (compiled(sample).argmax(axis=1) == expected.argmax(axis=1)).all()


def test_compiled_pipeline_with_two_classes(examples: list) -> None:
    chosen = [e for e in examples if e.intent in ("greet", "goodbye")]
    pipeline = build_pipeline(10.0).fit([e.text for e in chosen], [e.intent for e in chosen])
    compiled = CompiledPipeline.of(pipeline)
    assert compiled is not None
    sample = [e.text for e in chosen][:20] + ODD_TEXTS
    assert np.allclose(compiled(sample), pipeline.predict_proba(sample), atol=1e-12)


def test_another_pipeline_shape_is_not_compiled() -> None:
    assert CompiledPipeline.of(None) is None
    assert CompiledPipeline.of(object()) is None  # type: ignore[arg-type]


ACTION_REPLIES = [
    {"events": [], "responses": [{"response": "utter_greet"}]},
    {"events": [{"event": "slot", "name": "language", "value": "tr"}], "responses": []},
    {"events": "not a list", "responses": []},
    {"events": [{"event": 5}], "responses": [{"text": 7}]},
    {"responses": [{"buttons": "nope"}]},
]
NLG_REPLIES = [{"text": "Merhaba", "buttons": [{"title": "1", "payload": "/x"}]}, {"text": 5}, {"buttons": "x"}, {}]


@pytest.mark.parametrize(
    "instance,schema",
    [(reply, RemoteAction.action_response_format_spec()) for reply in ACTION_REPLIES]
    + [(reply, nlg_response_format_spec()) for reply in NLG_REPLIES],
)
def test_cached_validate_accepts_and_rejects_what_jsonschema_does(instance: dict, schema: dict) -> None:
    try:
        jsonschema.validate(instance, schema)
        expected = None
    except jsonschema.ValidationError as error:
        expected = error.message
    try:
        cached_validate(instance, schema)
        got = None
    except jsonschema.ValidationError as error:
        got = error.message
    assert got == expected


def test_some_replies_are_really_rejected() -> None:
    with pytest.raises(jsonschema.ValidationError):
        cached_validate({"events": "not a list"}, RemoteAction.action_response_format_spec())
    with pytest.raises(jsonschema.SchemaError):
        cached_validate({}, {"type": "no such type"})
