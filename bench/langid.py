"""Language detection on the held-out set: our classifier (trained on nlu_data/) against lingua restricted
to our languages (plus English as the stand-in for 'a language we do not serve').

    .venv/bin/python bench/langid.py      (needs `pip install -e .[bench]` for lingua)
"""
from __future__ import annotations

import time
from collections import defaultdict

from common import ROOT, heldout

from afa import LANGUAGES
from afa.language import LanguageClassifier
from afa.nludata import load_examples


def main() -> None:
    from lingua import Language, LanguageDetectorBuilder

    examples = [e for e in load_examples(ROOT / "nlu_data") if e.language in (*LANGUAGES, "other")]
    ours = LanguageClassifier.train([e.text for e in examples], [e.language for e in examples])
    mapping = {Language.GERMAN: "de", Language.TURKISH: "tr", Language.BULGARIAN: "bg", Language.ROMANIAN: "ro"}
    others = [Language.ENGLISH, Language.FRENCH, Language.SPANISH, Language.ITALIAN, Language.POLISH,
              Language.RUSSIAN, Language.UKRAINIAN, Language.ARABIC]
    lingua = LanguageDetectorBuilder.from_languages(*mapping, *others).build()

    items = heldout()
    scores: dict[str, dict[str, list[bool]]] = {"ours": defaultdict(list), "lingua": defaultdict(list)}
    timing = {"ours": 0.0, "lingua": 0.0}
    for item in items:
        start = time.perf_counter()
        detection = ours.detect(item["text"])
        timing["ours"] += time.perf_counter() - start
        start = time.perf_counter()
        found = lingua.detect_language_of(item["text"])
        timing["lingua"] += time.perf_counter() - start
        guess_ours = detection.code if detection.code in LANGUAGES else "other"
        guess_lingua = mapping.get(found, "other") if found else "other"
        for name, guess in (("ours", guess_ours), ("lingua", guess_lingua)):
            scores[name][item["lang"]].append(guess == item["lang"])
            if item.get("noisy"):
                scores[name][item["lang"] + " noisy"].append(guess == item["lang"])
    keys = [*LANGUAGES, *(f"{lang} noisy" for lang in LANGUAGES), "other"]
    print(f"{'slice':10} {'n':>4} {'ours':>7} {'lingua':>7}")
    for key in keys:
        n = len(scores["ours"][key])
        if n:
            print(f"{key:10} {n:4d} {sum(scores['ours'][key]) / n:7.3f} {sum(scores['lingua'][key]) / n:7.3f}")
    for name in timing:
        print(f"{name}: {timing[name] / len(items) * 1000:.2f} ms per message")


if __name__ == "__main__":
    main()
