"""Cue words: the evidence in a message that it states an entity value (a target group, a topic).

A message-level classifier knows which group or topic a message is most like, but "most like" is a guess: "50
yaşındayım, iş arıyorum" looks like the young people of the training data without saying the person is young.
So `ContractEntities` emits a value only when the message also holds a cue for it, a word the training data's
annotated spans use for that value, or a number in the range its spans use; the classifier then chooses among
those values and "no value" (`decide`):

- the words of the annotated spans (folded: no case, no diacritics, Cyrillic transliterated) that the training
  data mostly uses inside spans of that value ("kadınlar", "Bürgergeld", "Deutschkurs", "stagiu"), plus a few
  seed stems per value that always name it;
- matched as word stems and with typos: the same word, a word starting with the cue or sharing a long prefix
  with it ("Bewerbungstraining" ~ "bewerbung", "ozgecmisimi" ~ "ozgecmis"), a German compound ending with it
  ("Schnupperpraktikum"), or a letter off ("computr"); a word the training data knows well and uses for no value
  is never matched to a cue ("diploma" is no "diplomata", "Deutschland" no "deutsch");
- two neighbouring words of a span, where the pair states it and neither word alone ("Almanca bilmiyorum",
  "kein Deutsch": German is no group, not knowing it is);
- numbers: the range of the numbers in a value's spans ("[19 yaşındayım]", "[unter 25]" → 17–25 for young
  people). A word that only ever occurs in spans with a number ("yaşındayım", "години") counts only together with
  a number in that range, so "I am 50" states no group.

Pure functions over (text, entities) pairs with character offsets, so `bench/entity_cv.py` cross-validates the
same rules the component uses.
"""
from __future__ import annotations

import difflib
import re
from collections import defaultdict
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from afa.text import fold

TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
Span = Tuple[int, int]
Example = Tuple[str, Sequence[Mapping[str, Any]]]  # text, entities with "entity", "value", "start", "end"

MIN_RATIO = 0.5  # a span word is a cue when at least this share of the examples it occurs in use it in a span of its value
KNOWN_COUNT = 3  # a word in this many examples that is no cue is never matched to a cue as a stem or typo
MIN_LENGTH = 4  # shorter span words ("po", "de", "iş") are grammar or too general; seeds may be shorter ("cv", "pc")
FUZZY_RATIO = 0.85  # typos: difflib's similarity of two words of five letters or more
MAX_NUMBER = 120  # longer digit runs (postcodes, phone numbers, years) are no ages or class numbers


def tokens(text: str) -> List[Tuple[str, int, int]]:
    """The folded words (and digit runs) of `text` with their character offsets."""
    return [(fold(m.group(0)), m.start(), m.end()) for m in TOKEN.finditer(text)]


def _number(token: str) -> Optional[int]:
    return int(token) if token.isdigit() and int(token) <= MAX_NUMBER else None


def learn(examples: Iterable[Example], kind: str, values: Sequence[str],
          seeds: Optional[Mapping[str, Iterable[str]]] = None, min_ratio: float = MIN_RATIO) -> Dict[str, Any]:
    """The cue table for one entity `kind` from annotated examples (and seed stems per value)."""
    in_span: Dict[str, Dict[str, int]] = defaultdict(lambda: defaultdict(int))  # value → word → examples
    numeric_only: Dict[str, Dict[str, bool]] = defaultdict(dict)  # value → word → seen only in spans with a number
    counted: Dict[str, int] = defaultdict(int)  # word → examples it occurs in
    numbers: Dict[str, List[int]] = defaultdict(list)
    for text, entities in examples:
        spans = [(int(e["start"]), int(e["end"]), e.get("entity"), e.get("value")) for e in entities
                 if e.get("start") is not None and e.get("end") is not None]
        words = tokens(text)
        seen_in: Dict[str, set] = defaultdict(set)
        for span_start, span_end, entity, value in spans:
            if entity != kind or value not in values:
                continue
            inside = [w for w, s, e in words if s >= span_start and e <= span_end]
            span_numbers = [n for n in map(_number, inside) if n is not None]
            numbers[value].extend(span_numbers)
            for word in inside + _pairs(inside):
                if word.isdigit():
                    continue
                seen_in[value].add(word)
                numeric_only[value][word] = numeric_only[value].get(word, True) and bool(span_numbers)
        plain = [w for w, _, _ in words]
        for word in set(plain + _pairs(plain)):
            counted[word] += 1
        for value, words_in in seen_in.items():
            for word in words_in:
                in_span[value][word] += 1
    table: Dict[str, Dict[str, bool]] = defaultdict(dict)  # word → value → needs a number in range
    for value, words in in_span.items():
        for word, count in words.items():
            if len(word) >= MIN_LENGTH and not word.isdigit() and count / counted[word] >= min_ratio:
                table[word][value] = numeric_only[value][word]
    for value, stems in (seeds or {}).items():
        for stem in stems:
            table[fold(stem)][value] = False
    ranges = {value: (min(found), max(found)) for value, found in numbers.items() if found}
    # Words the data knows well and uses for no value ("diploma", "Deutschland") are judged by the data: no stem or
    # typo matching turns them into a cue ("diplomata", "deutsch").
    known = {word for word, count in counted.items() if count >= KNOWN_COUNT and word not in table and " " not in word}
    return {"words": dict(table), "ranges": ranges, "buckets": _buckets(table), "known": known}


def _pairs(words: Sequence[str]) -> List[str]:
    """Two neighbouring words: "almanca bilmiiorum", "kein deutsch" state what neither word states alone."""
    return [f"{a} {b}" for a, b in zip(words, words[1:]) if not a.isdigit() and not b.isdigit()]


def _buckets(table: Mapping[str, Any]) -> Dict[str, List[str]]:
    buckets: Dict[str, List[str]] = defaultdict(list)
    for word in table:
        if " " not in word:  # word pairs are matched exactly
            buckets[word[:3]].append(word)
    return dict(buckets)


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def match(cues: Mapping[str, Any], word: str) -> Dict[str, bool]:
    """The values (→ needs a number) a message word is a cue for: the same word, a stem of it, or a typo."""
    table = cues["words"]
    if word in table:
        return table[word]
    if len(word) < 5 or word in cues.get("known", ()):
        return {}
    found: Dict[str, bool] = {}
    for cue in cues["buckets"].get(word[:3], ()):
        if len(cue) < 5:
            continue
        prefix = _common_prefix(word, cue)
        stem = prefix >= 5 and prefix >= 0.75 * min(len(word), len(cue))
        if stem or difflib.SequenceMatcher(None, word, cue).ratio() >= FUZZY_RATIO:
            for value, needs_number in table[cue].items():
                found[value] = found.get(value, True) and needs_number
    # German compounds end with the cue: "Schnupperpraktikum", "Abenddeutschkurs".
    if not found and len(word) >= 9:
        for cue, values in table.items():
            if len(cue) >= 7 and " " not in cue and word.endswith(cue):
                for value, needs_number in values.items():
                    found[value] = found.get(value, True) and needs_number
    return found


def find(cues: Mapping[str, Any], text: str) -> Dict[str, Span]:
    """Every value `text` holds a cue for, with the span of its first cue."""
    words = tokens(text)
    numbers = [n for n in (_number(w) for w, _, _ in words) if n is not None]
    in_range = {value for value, (low, high) in cues["ranges"].items() if any(low <= n <= high for n in numbers)}
    found: Dict[str, Span] = {}
    for word, start, end in words:
        number = _number(word)
        if number is not None:
            for value in in_range:
                low, high = cues["ranges"][value]
                if low <= number <= high:
                    found.setdefault(value, (start, end))
            continue
        if word.isdigit():
            continue
        for value, needs_number in match(cues, word).items():
            if not needs_number or value in in_range:
                found.setdefault(value, (start, end))
    for (first, start, _), (second, _, end) in zip(words, words[1:]):
        for value, needs_number in cues["words"].get(f"{first} {second}", {}).items():
            if not needs_number or value in in_range:
                found.setdefault(value, (start, end))
    return found


def decide(found: Mapping[str, Span], probabilities: Mapping[str, float], threshold: float,
           nothing: str = "none") -> Optional[Tuple[str, float, Span]]:
    """The classifier chooses among "no value" (`nothing`) and the values the message holds a cue for; a value wins
    when the classifier finds it likelier than no value and its probability reaches `threshold`."""
    best: Optional[Tuple[str, float, Span]] = None
    for value, span in found.items():
        p = float(probabilities.get(value, 0.0))
        if best is None or p > best[1]:
            best = (value, p, span)
    if best is None or best[1] < threshold or best[1] <= float(probabilities.get(nothing, 0.0)):
        return None
    return best
