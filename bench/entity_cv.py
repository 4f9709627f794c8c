"""Target group and topic: cross-validated on the training data (never on bench/data), old rule against new.

    .venv/bin/python bench/entity_cv.py [--folds 5]

For each of `target_group` and `topic`, the message-level classifier of `afa.nlu.components.ContractEntities` and
the cue tables of `afa.nlu.cues` are trained on k-1 folds of `nlu_data/` and applied to the remaining fold, so
every training message is judged by a model that has not seen it. The rule in use: among "no value" and the values
the message holds a cue for, the classifier's likeliest, if its probability reaches the threshold. Printed per
threshold: precision,
recall and F1 over the messages that state a value, and how often a value is given to a message that states
none ("guessed"), over all messages and over those of the offer finder (`ask_offers`, `inform`). The rule before
issue 12 (the classifier's best value when its probability is ≥ 0.5, no cue needed, trained on every message) is
the first line.
The thresholds in `ContractEntities.get_default_config()` are the calibrated ones printed here: the highest
threshold whose F1 is within 0.005 of the best (on a plateau, fewer guesses).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.model_selection import StratifiedKFold

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from afa import TARGET_GROUPS, TOPICS  # noqa: E402
from afa.nlu import cues  # noqa: E402
from afa.nlu.components import (  # noqa: E402
    _TOPIC_STEMS, NO_VALUE, TOPIC_IGNORED_INTENTS, ContractEntities, fit_topics, message_labels,
)
from afa.nlu.linear import build_pipeline  # noqa: E402
from afa.nludata import load_examples  # noqa: E402

FINDER = ("ask_offers", "inform")
THRESHOLDS = [round(float(t), 2) for t in np.arange(0.1, 0.75, 0.05)]
PLATEAU = 0.005


def annotated_examples() -> list[tuple[str, str, list[dict[str, Any]]]]:
    """(text, intent, entities with character offsets) for every training example."""
    out = []
    for example in load_examples(ROOT / "nlu_data"):
        entities, position = [], 0
        for entity, value, surface in example.entities:
            start = example.text.find(surface, position)
            if start < 0:
                continue
            entities.append({"entity": entity, "value": value, "start": start, "end": start + len(surface)})
            position = start + len(surface)
        out.append((example.text, example.intent, entities))
    return out


def out_of_fold(examples, kind: str, values: tuple, folds: int, c: float, ratio: float):  # type: ignore[no-untyped-def]
    """Per example: the classifier's probabilities and the values with a cue, from a model that did not see it.
    Topics are neither trained on nor looked for in messages of the intents the component ignores them for."""
    if kind == "topic":
        examples = [e for e in examples if e[1] not in TOPIC_IGNORED_INTENTS]
    texts = [t for t, _, _ in examples]
    pairs = [(t, e) for t, _, e in examples]
    labels = message_labels(pairs, kind, values)
    seeds = _TOPIC_STEMS if kind == "topic" else None
    probabilities: list[dict[str, float]] = [{} for _ in texts]
    plain: list[dict[str, float]] = [{} for _ in texts]  # a classifier trained on every message, alone: the old rule
    found: list[dict[str, Any]] = [{} for _ in texts]
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
    for train, test in splitter.split(texts, labels):
        table = cues.learn([pairs[i] for i in train], kind, values, seeds, min_ratio=ratio)
        everything = build_pipeline(c).fit([texts[i] for i in train], [labels[i] for i in train])
        model = everything
        if kind == "topic":  # as the component trains it: on the messages with a topic cue
            model = fit_topics([texts[i] for i in train], [pairs[i] for i in train], table, c)
        test_texts = [texts[i] for i in test]
        for i, row, row_plain in zip(test, model.predict_proba(test_texts), everything.predict_proba(test_texts)):
            probabilities[i] = dict(zip(map(str, model.classes_), map(float, row)))
            plain[i] = dict(zip(map(str, everything.classes_), map(float, row_plain)))
            found[i] = cues.find(table, texts[i])
    return examples, probabilities, plain, found


def score(examples, kind: str, predictions: list[str | None], subset=None) -> dict[str, float]:  # type: ignore[no-untyped-def]
    tp = fp = fn = guessed = without = 0
    for (_, intent, entities), predicted in zip(examples, predictions):
        if subset and intent not in subset:
            continue
        gold = {e["value"] for e in entities if e["entity"] == kind}
        if not gold:
            without += 1
            guessed += predicted is not None
            fp += predicted is not None
            continue
        if predicted in gold:
            tp += 1
        else:
            fn += 1
            fp += predicted is not None
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"p": precision, "r": recall, "f1": f1, "guessed": guessed / without if without else 0.0, "n": tp + fn}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    config = ContractEntities.get_default_config()
    examples = annotated_examples()
    print(f"{len(examples)} training examples, {args.folds}-fold cross-validation")
    for kind, values, current in (("target_group", TARGET_GROUPS, config["group_threshold"]),
                                  ("topic", TOPICS, config["topic_threshold"])):
        judged, probabilities, plain, found = out_of_fold(examples, kind, values, args.folds, float(config["C"]),
                                                          float(config["cue_ratio"]))
        rules: list[tuple[str, list[str | None]]] = []
        best = [max(p, key=p.get) for p in plain]
        rules.append(("classifier ≥ 0.5, no cue (before)",
                      [b if b != NO_VALUE and p[b] >= 0.5 else None for b, p in zip(best, plain)]))
        for threshold in THRESHOLDS:
            decided = [cues.decide(f, p, float(threshold), NO_VALUE) for f, p in zip(found, probabilities)]
            mark = " ← in use" if abs(threshold - current) < 1e-9 else ""
            rules.append((f"cue, likelier than none, ≥ {threshold:.2f}{mark}", [d[0] if d else None for d in decided]))
        if kind == "topic":  # the same rule with a topic classifier trained on every message, for comparison
            decided = [cues.decide(f, p, float(current), NO_VALUE) for f, p in zip(found, plain)]
            rules.append((f"same, classifier of all messages, ≥ {current:.2f}", [d[0] if d else None for d in decided]))
        print(f"\n{kind}: {len(judged)} messages, {score(judged, kind, rules[0][1])['n']} state one")
        print(f"{'rule':40} {'P':>6} {'R':>6} {'F1':>6} {'guessed':>8} | finder: {'P':>6} {'R':>6} {'F1':>6} {'guessed':>8}")
        f1s = {}
        for name, predictions in rules:
            a, f = score(judged, kind, predictions), score(judged, kind, predictions, FINDER)
            f1s[name] = a["f1"]
            print(f"{name:40} {a['p']:6.3f} {a['r']:6.3f} {a['f1']:6.3f} {a['guessed']:8.3f} | "
                  f"        {f['p']:6.3f} {f['r']:6.3f} {f['f1']:6.3f} {f['guessed']:8.3f}")
        # The calibrated threshold: on the plateau of the best F1 (within PLATEAU), the highest (fewest guesses).
        scores = [(t, f1s[name]) for t, (name, _) in zip(THRESHOLDS, rules[1:1 + len(THRESHOLDS)])]
        best = max(f1 for _, f1 in scores)
        chosen = max(t for t, f1 in scores if f1 >= best - PLATEAU)
        print(f"calibrated threshold for {kind}: {chosen:.2f} (best F1 {best:.3f}; in use: {current:.2f})")


if __name__ == "__main__":
    main()
