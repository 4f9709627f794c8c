"""NLU quality on the held-out set, our pipeline and Rasa's default pipeline side by side.

Prints, per pipeline and language: intent accuracy and macro-F1 (FAQ answers count by their key,
`faq/funding`), the noisy slice, entity F1 over (entity, canonical value) pairs, the language detected in
the parse, and whether the reply over the REST webhook came back in the writer's language (German for
languages we do not serve, the requested language for a language change). `nlu_fallback` counts as `out_of_scope`: the bot answers both the same way.

    .venv/bin/python bench/nlu.py [--pipelines ours rasa_default] [--no-replies] [--heldout FILE ...]

Also per language: topic F1 (the `topic` entity alone) and, for messages holding two requests
(`second_intent` in the set), how often both were found in order (`/model/parse`'s top intent and its
`second`; a second request with the same answer as the first counts as one). The held-out set is by default
bench/data/heldout_2026-12-04/*.yml, one writer per language who saw neither the training data nor the earlier sets.
"""
from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

import requests
from sklearn.metrics import f1_score

from common import HELDOUT, HELDOUT_2026_11, HELDOUT_SETS, RESULTS, ROOT, Timer, bench_settings, ensure_database, heldout

from afa import LANGUAGES
from afa.language import LanguageClassifier
from afa.nludata import load_examples
from afa.serve import Services
from afa.training import inputs_hash, train

PIPELINES = {"ours": ROOT / "config.yml", "rasa_default": ROOT / "bench" / "configs" / "rasa_default.yml"}


def trained_model(name: str, config: Path) -> tuple[Path, float]:
    """Train (or reuse) the model for `config` on the current data; return its path and training seconds."""
    key = hashlib.sha256((inputs_hash(ROOT) + config.read_text()).encode()).hexdigest()[:12]
    target = RESULTS / "models" / f"{name}-{key}.tar.gz"
    timing = target.with_suffix(".json")
    if target.exists() and timing.exists():
        return target, json.loads(timing.read_text())["train_seconds"]
    settings = bench_settings()
    with Timer() as timer:
        train(settings, force=True, config=str(config), out=target)
    timing.write_text(json.dumps({"train_seconds": timer.seconds}))
    return target, timer.seconds


def predicted_label(parse: dict[str, Any]) -> str:
    intent = (parse.get("intent") or {}).get("name") or "none"
    if intent == "faq":
        selectors = parse.get("response_selector") or {}
        selector = selectors.get("faq") or selectors.get("default") or {}  # "default": a selector for all
        return ((selector.get("response") or {}).get("intent_response_key")) or "faq"
    return "out_of_scope" if intent == "nlu_fallback" else intent


def parse_all(model: Path, texts: list[str]) -> list[dict[str, Any]]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))

    async def run() -> list[dict[str, Any]]:
        return [await agent.parse_message(text) for text in texts]

    return asyncio.run(run())


CONTRACT_ENTITIES = ("district", "target_group", "language", "topic")


def entity_pairs(entities: Any, only: tuple[str, ...] = CONTRACT_ENTITIES) -> set[tuple[str, str]]:
    if isinstance(entities, dict):
        return {(k, str(v)) for k, v in entities.items() if k in only}
    return {(e["entity"], str(e.get("value"))) for e in entities or [] if e.get("entity") in only}


def f1(pairs: list[tuple[set, set]]) -> float:
    tp = sum(len(g & p) for g, p in pairs)
    fp = sum(len(p - g) for g, p in pairs)
    fn = sum(len(g - p) for g, p in pairs)
    return 2 * tp / (2 * tp + fp + fn) if (tp + fp + fn) else float("nan")


def requests_found(item: dict[str, Any], parse: dict[str, Any]) -> bool:
    """Both requests of a two-request message found, in order (the same answer twice counts as one)."""
    gold = [item["intent"]] + ([item["second_intent"]] if item.get("second_intent") not in (None, item["intent"]) else [])
    top = predicted_label(parse)
    second = parse.get("second") or {}
    label = second.get("response_key") or second.get("intent")
    return [top] + ([label] if label and label != top else []) == gold


def reply_languages(model: Path, items: list[dict[str, Any]]) -> list[bool]:
    """Send each held-out message as a new conversation over REST; is the reply in the expected language?"""
    served = [e for e in load_examples(ROOT / "nlu_data") if e.language in LANGUAGES]
    judge = LanguageClassifier.train([e.text for e in served], [e.language for e in served])
    settings = bench_settings(f"sqlite:///{RESULTS / 'bench-nlu.db'}")
    ensure_database(settings)
    results = []
    with Services(settings, model, log_dir=RESULTS / "logs"):
        for item in items:
            body = {"sender": f"bench-{uuid.uuid4().hex}", "message": item["text"]}
            replies = requests.post(f"{settings.rasa_url}/webhooks/rest/webhook", json=body, timeout=60).json()
            text = "\n".join(r.get("text") or "" for r in replies)
            expected = item["lang"] if item["lang"] in LANGUAGES else "de"
            if item["intent"] == "change_language" and (item.get("entities") or {}).get("language"):
                expected = item["entities"]["language"]  # the bot answers in the language asked for
            results.append(bool(text) and judge.detect(text).code == expected)
    return results


def report(name: str, items: list[dict[str, Any]], parses: list[dict[str, Any]], replies: list[bool] | None,
           train_seconds: float) -> None:
    by_lang: dict[str, list[int]] = defaultdict(list)
    for index, item in enumerate(items):
        by_lang[item["lang"]].append(index)
    print(f"\n== {name}  (training {train_seconds:.0f} s)")
    header = (f"{'lang':6} {'n':>4} {'intent acc':>10} {'macro-F1':>9} {'noisy n':>8} {'noisy acc':>9} {'entity F1':>9} "
              f"{'topic F1':>8} {'2-req n':>7} {'both':>6} {'lang det':>8}")
    print(header + (f" {'reply lang':>10}" if replies else ""))
    totals = defaultdict(float)
    for lang in [*LANGUAGES, "other"]:
        idx = by_lang.get(lang, [])
        if not idx:
            continue
        gold = [items[i]["intent"] for i in idx]
        pred = [predicted_label(parses[i]) for i in idx]
        acc = sum(g == p for g, p in zip(gold, pred)) / len(idx)
        macro = f1_score(gold, pred, average="macro", labels=sorted(set(gold)), zero_division=0)
        noisy = [i for i in idx if items[i].get("noisy")]
        noisy_acc = (sum(items[i]["intent"] == predicted_label(parses[i]) for i in noisy) / len(noisy)) if noisy else float("nan")
        ent_f1 = f1([(entity_pairs(items[i].get("entities") or {}), entity_pairs(parses[i].get("entities"))) for i in idx])
        topic_f1 = f1([(entity_pairs(items[i].get("entities") or {}, ("topic",)),
                        entity_pairs(parses[i].get("entities"), ("topic",))) for i in idx])
        two = [i for i in idx if items[i].get("second_intent")]
        both = sum(requests_found(items[i], parses[i]) for i in two) / len(two) if two else float("nan")
        det = sum(((parses[i].get("language") or {}).get("code") or "-") == lang for i in idx) / len(idx)
        line = (f"{lang:6} {len(idx):4d} {acc:10.3f} {macro:9.3f} {len(noisy):8d} {noisy_acc:9.3f} {ent_f1:9.3f} "
                f"{topic_f1:8.3f} {len(two):7d} {both:6.3f} {det:8.3f}")
        if replies:
            line += f" {sum(replies[i] for i in idx) / len(idx):10.3f}"
        print(line)
        totals["n"] += len(idx)
        totals["correct"] += acc * len(idx)
    print(f"{'all':6} {int(totals['n']):4d} {totals['correct'] / totals['n']:10.3f}" +
          (f"{'':73} {sum(replies) / len(replies):10.3f}" if replies else ""))
    errors = [(items[i]["lang"], items[i]["text"], items[i]["intent"], predicted_label(parses[i]))
              for i in range(len(items)) if items[i]["intent"] != predicted_label(parses[i])]
    path = RESULTS / f"errors-{name}.txt"
    path.write_text("\n".join(f"{l}\t{t}\tgold={g}\tpred={p}" for l, t, g, p in errors), encoding="utf-8")
    print(f"misclassified: {len(errors)} (listed in {path.relative_to(ROOT)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pipelines", nargs="+", default=list(PIPELINES), choices=list(PIPELINES))
    parser.add_argument("--no-replies", action="store_true", help="skip the REST reply-language check")
    parser.add_argument("--heldout", type=Path, nargs="+", default=HELDOUT_SETS,
                        help=f"the held-out set (earlier ones: {HELDOUT_2026_11}, {HELDOUT}; the development set: "
                             "bench/data/dev/*.yml)")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    items = [item for path in args.heldout for item in heldout(path)]
    print(f"held-out messages: {len(items)}")
    for name in args.pipelines:
        model, seconds = trained_model(name, PIPELINES[name])
        parses = parse_all(model, [item["text"] for item in items])
        replies = None if args.no_replies else reply_languages(model, items)
        report(name, items, parses, replies, seconds)


if __name__ == "__main__":
    main()
