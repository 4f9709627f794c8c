"""Two things in one message, as a Rasa NLU component after the classifiers (`MultipleRequests`).

"Wer finanziert das und in welchen Stadtteilen seid ihr?" holds two requests; "zdravei, kade se namirate" a greeting
and a question. The component

1. cuts the message into candidate parts: sentence ends and question marks always; commas, dashes, emoji and the
   conjunctions of our four languages ("und", "ve", "и", "și", "and" ...) where both sides make sense on their own
   (never before "wenn", "dass", "ako", "dacă" ..., which start a clause of the same request); a greeting, thanks
   or apology at the start or the end of the message even without punctuation ("zdravei kade se namirate"); without
   punctuation, before a question word after three words ("wer zahlt das projekt wie lange gehts noch") and after
   a Turkish question particle ("staj var mı bi de ...");
2. classifies every candidate with the pipeline's own trained intent and FAQ-key classifiers: the
   `LinearIntentClassifier` nodes of the model, loaded from their stored resources (found through Rasa's graph
   schema), so nothing is trained twice and the parts are judged exactly as whole messages are;
3. reads the message left to right, taking the shortest span that is confidently something (a courtesy, a
   request, or context such as "I live in Marxloh"), and decides:
   - two confident requests with different answers (FAQ keys, or the offer finder, a coach, a legal question ...): the top
     intent and the response selector become the first one's, and `second` names the other one:
     `{"intent", "response_key", "confidence", "text"}`. `/model/parse` still names ONE top intent.
   - a greeting, thanks or apology with one confident request, where the whole message was read as the courtesy
     (or nearly: the courtesy is the runner-up, close behind):
     the top intent becomes the request, so the question is answered.
   - anything else: the parse result stays as the classifiers wrote it.
   `courtesy` lists the greetings, thanks and apologies found (only when there was a request besides).

The reading is a pure function of the text and a `classify` callable (`read`, `interpret`), so a cross-validation
can run it with classifiers trained on folds of the training data.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field, fields
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Text, Tuple

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from afa.nlu.components import LANGUAGE_NAMES, TOPIC_ASIDE, TOPIC_IGNORED_INTENTS
from afa.nlu.linear import LinearIntentClassifier, selector_output
from afa.text import fold

logger = logging.getLogger(__name__)

def _folded(*words: str) -> frozenset:
    return frozenset(fold(word) for word in words)


# Words that join two requests ("wer finanziert das und wo seid ihr"), per language, folded (afa.text.fold) like the
# text, so Cyrillic matches Latin-script Bulgarian: a conjunction only offers a cut, made when both sides are
# confidently something different. Bulgarian "si" (си) is no conjunction, Romanian "si" (și) is.
CONJUNCTIONS = {
    "de": _folded("und", "sowie", "außerdem", "zudem"),
    "tr": _folded("ve", "hem", "ayrıca", "bide"),
    "bg": _folded("и", "а", "още", "също"),
    "ro": _folded("și", "apoi", "plus"),
    "any": _folded("and", "also", "plus"),
}
ALL_CONJUNCTIONS = frozenset().union(*CONJUNCTIONS.values())
# Question words, which often start the second of two questions typed without punctuation ("wer zahlt das projekt
# wie lange gehts noch", "bu proje ne ya ne zamana kadar surecek"): a cut may fall before one (never at the start
# of a sentence), made only when both sides are confidently requests with different answers, like a conjunction's.
QUESTION_WORDS = {
    "de": _folded("wer", "wie", "wo", "was", "wann", "welche", "welcher", "welches", "welchen", "warum", "wieso",
                  "wohin", "woher", "gibt", "gibts"),
    "tr": _folded("ne", "kim", "kimler", "nerede", "nerde", "nereye", "nereden", "nasıl", "hangi", "neden", "niye",
                  "kaç"),
    "bg": _folded("кой", "коя", "кое", "кои", "къде", "как", "какво", "каква", "какви", "кога", "колко", "защо",
                  "kude", "kyde"),
    "ro": _folded("cine", "unde", "cum", "ce", "când", "cât", "câte", "câți", "care"),
    "any": _folded("what", "who", "where", "when", "how", "which"),
}
# Turkish question particles end a question ("staj var mı bi de koçla konuşmak istiyorum"): a cut may fall after one.
# Only for Turkish: Bulgarian "ми" (me) folds to the same letters.
QUESTION_ENDS = {"tr": _folded("mı", "mi", "mu", "mü", "mısınız", "misiniz", "musunuz", "müsünüz", "mıyım", "miyim",
                               "mıyız", "miyiz", "mudur", "midir", "mısın", "misin", "musun")}
# Two-word conjunctions ("bi de", "bir de": and also): a cut may fall before the pair.
CONJUNCTION_PAIRS = {"tr": frozenset({("bi", "de"), ("bi", "da"), ("bir", "de"), ("bir", "da")})}
# Words that start a clause belonging to the same request ("..., wenn ich Bürgergeld bekomme"): no cut before them.
SUBORDINATORS = _folded(
    "wenn", "ob", "dass", "weil", "falls", "obwohl", "damit", "eğer", "çünkü", "diye", "ако", "че", "защото", "когато",
    "dacă", "că", "deoarece", "fiindcă", "if", "because", "that",
    # Relative pronouns: "Изтрийте всичко, което пазите за мен" is one request (Bulgarian, also typed in Latin letters).
    "което", "който", "която", "които", "каквото", "koeto", "koito", "koqto", "koyato", "kakvoto", "which",
)
# A relative clause after "all"/"everything" ("Löscht alles, was ihr über mich habt", "ștergeți tot, ce aveți"): the
# word is a question word elsewhere ("Hallo, was kostet das?"), so only these pairs keep the clause with its request.
RELATIVE_PAIRS = frozenset((fold(a), fold(b)) for a, b in (
    ("alles", "was"), ("das", "was"), ("etwas", "was"), ("nichts", "was"), ("tot", "ce"), ("tot", "ceea"),
    ("totul", "ce"), ("everything", "what"), ("all", "what"),
))
# Apologies, which no intent covers; a part made only of these is a courtesy like a greeting. Folded.
APOLOGIES = _folded(
    "sorry", "sori", "entschuldigung", "entschuldigen sie", "entschuldige", "verzeihung", "pardon", "kusura bakmayın",
    "kusura bakma", "özür dilerim", "affedersiniz", "извинете", "извинявай", "извинете ме", "izvinqvai", "scuze",
    "scuzați", "scuzați-mă", "mă scuzați", "îmi pare rău", "scuza",
)

_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*", re.UNICODE)
_HARD = re.compile(r"[?!;…\n]|\.(?=\s)")
_WEAK = re.compile(r",|\s[-–—]\s|[^\w\s.,;:!?'’\"()\[\]/-]")


@dataclass(frozen=True)
class Guess:
    """What the classifiers say about one piece of text."""

    intent: str
    confidence: float
    intent_ranking: Tuple[Dict[str, Any], ...] = ()
    response_key: Optional[str] = None
    response_confidence: float = 0.0
    response_ranking: Tuple[Dict[str, Any], ...] = ()


Classify = Callable[[Sequence[str]], List[Guess]]


@dataclass(frozen=True)
class Part:
    start: int  # character offsets in the message
    end: int
    text: str
    guess: Guess
    role: str  # "courtesy", "request" or "context"
    label: str  # what answers it: "faq/<key>", a group of intents answered alike ("offers"), or the intent


@dataclass(frozen=True)
class Reading:
    parts: Tuple[Part, ...] = ()

    @property
    def requests(self) -> List[Part]:
        """Requests with different answers, in the order of the message."""
        seen, found = set(), []
        for part in self.parts:
            if part.role == "request" and part.label not in seen:
                seen.add(part.label)
                found.append(part)
        return found

    @property
    def courtesy(self) -> List[str]:
        return [part.label for part in self.parts if part.role == "courtesy"]


@dataclass(frozen=True)
class ReadingConfig:
    retrieval_intent: str = "faq"
    courtesy_intents: frozenset = frozenset({"greet", "thank", "goodbye"})
    request_intents: frozenset = frozenset(
        {"faq", "ask_offers", "more_offers", "request_coach", "bot_challenge", "legal_advice", "ask_privacy",
         "request_data_copy", "change_language", "request_deletion"}
    )
    context_intents: frozenset = frozenset({"inform", "help"})
    # Context as a statement, a request as a question: "Was kannst du? Findest du auch Praktika?" asks two things,
    # "Ich brauche Hilfe, ich suche Arbeit" one.
    question_intents: frozenset = frozenset({"help"})
    # Parts with these intents ask for no kind of offer, as in ContractEntities ("Rede ich mit einem Computer?"): a
    # topic it set aside goes back to the message only from a part of another intent (configure both alike).
    topic_ignored_intents: frozenset = frozenset(TOPIC_IGNORED_INTENTS)
    same_answer: Dict[str, str] = field(default_factory=lambda: {"ask_offers": "offers", "more_offers": "offers", "inform": "offers"})
    confidence: float = 0.3  # a whole sentence: as sure as the fallback needs to answer it on its own
    part_confidence: float = 0.5  # a piece of a sentence (cut at a comma or a conjunction)
    response_confidence: float = 0.3
    courtesy_confidence: float = 0.6
    max_segments: int = 5  # per sentence; beyond that the rest of the sentence stays one piece
    max_courtesy_words: int = 3
    # The whole message torn between a courtesy and something else ("selam kolay gelsin telefon numaranız ne":
    # greet 0.46, faq 0.48): read like one read as the courtesy when the courtesy is the runner-up this close.
    torn_margin: float = 0.15
    min_piece_words: int = 2  # a piece of a sentence needs two words to be a request of its own ("Hallo Bot" is one)

    @classmethod
    def of(cls, config: Dict[str, Any]) -> "ReadingConfig":
        """From the component's config (lists for the sets)."""
        values = {f.name: config[f.name] for f in fields(cls) if f.name in config}
        for name in ("courtesy_intents", "request_intents", "context_intents", "question_intents",
                     "topic_ignored_intents"):
            if name in values:
                values[name] = frozenset(values[name])
        return cls(**values)

    def as_config(self) -> Dict[str, Any]:
        return {f.name: sorted(v) if isinstance(v := getattr(self, f.name), frozenset) else v for f in fields(self)}


# --- cutting -----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Word:
    start: int
    end: int
    folded: str


@dataclass(frozen=True)
class Sentence:
    """A sentence as word indices, with the indices where a weak cut may fall (a new piece starts there)."""

    first: int  # index of its first word
    last: int  # index of its last word (inclusive)
    cuts: Tuple[int, ...]  # word indices at which a new piece may start (never `first`)


def conjunctions_for(language: Optional[str]) -> frozenset:
    """The conjunctions of the message's language (and English), or of all languages when it is unknown."""
    return CONJUNCTIONS.get(language or "", ALL_CONJUNCTIONS) | CONJUNCTIONS["any"]


def question_words_for(language: Optional[str]) -> frozenset:
    """The question words of the message's language (and English), or of all languages when it is unknown."""
    if language in QUESTION_WORDS:
        return QUESTION_WORDS[language] | QUESTION_WORDS["any"]
    return frozenset().union(*QUESTION_WORDS.values())


class Cutter:
    """The words of a message and where it may be cut."""

    def __init__(self, text: str, language: Optional[str] = None, max_segments: int = 5) -> None:
        self.text = text
        self.conjunctions = conjunctions_for(language)
        self.question_words = question_words_for(language)
        self.question_ends = QUESTION_ENDS.get(language or "", frozenset())
        self.pairs = CONJUNCTION_PAIRS.get(language or "", frozenset())
        self.words = [Word(m.start(), m.end(), fold(m.group(0))) for m in _WORD.finditer(text)]
        self.sentences = self._sentences(max_segments)

    def _sentences(self, max_segments: int) -> List[Sentence]:
        """Sentences (cut at sentence ends and every question mark) and, inside them, where a piece may start: after
        a comma, dash or emoji, or at a conjunction, but never at a subordinate clause ("..., wenn ich ...")."""
        words, sentences, first, cuts = self.words, [], 0, []
        for index in range(1, len(words) + 1):
            if index == len(words):
                sentences.append(Sentence(first, index - 1, tuple(cuts[: max_segments - 1])))
                break
            gap = self.text[words[index - 1].end:words[index].start]
            if _HARD.search(gap) and not self._abbreviation(words[index - 1], gap):
                sentences.append(Sentence(first, index - 1, tuple(cuts[: max_segments - 1])))
                first, cuts = index, []
                continue
            if words[index].folded in SUBORDINATORS or (words[index - 1].folded, words[index].folded) in RELATIVE_PAIRS:
                continue
            piece_start = cuts[-1] if cuts else first
            if _WEAK.search(gap) or words[index].folded in self.conjunctions or self._question_starts(index, piece_start):
                cuts.append(index)
        return sentences

    def _question_starts(self, index: int, piece_start: int) -> bool:
        """Whether a question may start at word `index` without punctuation, the current piece having started at
        `piece_start`: at a question word after at least three words ("bu projeyi kim finanse ediyor" is one
        question: its object comes first), after a question particle or before a two-word conjunction after two."""
        words, before = self.words, index - piece_start
        if before < 2 or words[index - 1].folded in self.conjunctions or (
                index >= 2 and (words[index - 2].folded, words[index - 1].folded) in self.pairs):
            return False  # a conjunction just before offers the cut already ("und wo seid ihr")
        if words[index - 1].folded in self.question_ends:
            return True
        following = words[index + 1].folded if index + 1 < len(words) else ""
        if (words[index].folded, following) in self.pairs:
            return True
        return before >= 3 and words[index].folded in self.question_words

    @staticmethod
    def _abbreviation(word: Word, gap: str) -> bool:
        """A full stop after a number or a short word ("28.02. um", "z.B. für", "Nr. 5") ends no sentence."""
        return not re.search(r"[?!;…\n]", gap) and (word.folded.isdigit() or len(word.folded) <= 2)

    def content_start(self, first: int, last: int) -> int:
        """The first word of a span past leading conjunctions ("und wo seid ihr?" → "wo seid ihr?")."""
        while first < last and self.words[first].folded in self.conjunctions:
            first += 1
        return first

    def span(self, first: int, last: int) -> Tuple[int, int]:
        """Character offsets of a span of words, without a leading conjunction."""
        return self.words[self.content_start(first, last)].start, self.words[last].end

    def text_of(self, first: int, last: int) -> str:
        start, end = self.span(first, last)
        return self.text[start:end]

    def folded(self, first: int, last: int) -> str:
        return " ".join(w.folded for w in self.words[self.content_start(first, last):last + 1])

    def size(self, first: int, last: int) -> int:
        return last - self.content_start(first, last) + 1


# --- reading ------------------------------------------------------------------------------------------------------
SENTENCE, PIECE, EDGE = "sentence", "piece", "edge"  # a whole sentence; a piece of one; a courtesy at an edge


class _Judge:
    """Classifies spans of the message (in one batch per round) and names their role."""

    def __init__(self, cutter: Cutter, classify: Classify, settings: ReadingConfig) -> None:
        self.cutter, self.classify, self.settings = cutter, classify, settings
        self.cache: Dict[Tuple[int, int], Guess] = {}

    def prepare(self, spans: Iterable[Tuple[int, int]]) -> None:
        todo = [s for s in dict.fromkeys(spans) if s not in self.cache]
        if todo:
            for span, guess in zip(todo, self.classify([self.cutter.text_of(*s) for s in todo])):
                self.cache[span] = guess

    def part(self, first: int, last: int, kind: str) -> Optional[Part]:
        """The span as a part, or None when the classifiers are not confident enough about it. A piece of a sentence
        needs more confidence, and two words, to count as a request of its own."""
        s, cutter = self.settings, self.cutter
        start, end = cutter.span(first, last)
        text = cutter.text[start:end]
        if cutter.folded(first, last) in APOLOGIES:
            return Part(start, end, text, Guess("apology", 1.0), "courtesy", "apology")
        guess = self.cache[(first, last)]
        if guess.intent in s.courtesy_intents:
            if guess.confidence >= s.courtesy_confidence:
                return Part(start, end, text, guess, "courtesy", guess.intent)
            return None
        if kind == EDGE:
            return None
        threshold = s.confidence if kind == SENTENCE else s.part_confidence
        if guess.confidence < threshold or (kind == PIECE and cutter.size(first, last) < s.min_piece_words):
            return None
        if guess.intent == s.retrieval_intent:
            if not guess.response_key or guess.response_confidence < max(s.response_confidence, threshold if kind == PIECE else 0):
                return None
            return Part(start, end, text, guess, "request", guess.response_key)
        label = s.same_answer.get(guess.intent, guess.intent)
        asked = cutter.text[end:].lstrip()[:1] in ("?", "？")
        if guess.intent in s.request_intents or (guess.intent in s.question_intents and asked):
            return Part(start, end, text, guess, "request", label)
        if guess.intent in s.context_intents:
            return Part(start, end, text, guess, "context", label)
        return None


def _courtesy_edges(judge: _Judge, sentences: List[Sentence], settings: ReadingConfig) -> Tuple[List[Part], List[Sentence], List[Part]]:
    """A greeting, thanks or apology written without punctuation at the start or the end ("zdravei kade se namirate",
    "wo seid ihr danke"): cut off when the rest is confidently a request or context."""

    def best(pairs: List[Tuple[Tuple[int, int], Tuple[int, int]]]) -> Optional[Tuple[Part, Tuple[int, int]]]:
        judge.prepare([span for pair in pairs for span in pair])
        chosen, score = None, 0.0
        for edge, rest in pairs:
            courtesy = judge.part(*edge, kind=EDGE)
            remainder = judge.part(*rest, kind=PIECE)
            if courtesy and remainder and remainder.role != "courtesy" and remainder.guess.confidence > score:
                chosen, score = (courtesy, rest), remainder.guess.confidence
        return chosen

    head: List[Part] = []
    tail: List[Part] = []
    first = sentences[0]
    limit = min(settings.max_courtesy_words, first.last - first.first)
    found = best([((first.first, end), (end + 1, first.last))
                  for end in range(first.first, first.first + limit) if end + 1 not in first.cuts])
    if found:
        head.append(found[0])
        start = found[1][0]
        sentences = [Sentence(start, first.last, tuple(c for c in first.cuts if c > start))] + sentences[1:]
    last = sentences[-1]
    limit = min(settings.max_courtesy_words, last.last - last.first)
    found = best([((start, last.last), (last.first, start - 1))
                  for start in range(last.last, last.last - limit, -1) if start not in last.cuts])
    if found:
        tail.append(found[0])
        end = found[1][1]
        sentences = sentences[:-1] + [Sentence(last.first, end, tuple(c for c in last.cuts if c <= end))]
    return head, sentences, tail


def _pieces(judge: _Judge, sentence: Sentence) -> List[Part]:
    """Left to right, the shortest span that is confidently something; pieces nothing fits are left out."""
    starts = [sentence.first, *sentence.cuts]
    ends = [c - 1 for c in sentence.cuts] + [sentence.last]
    judge.prepare((starts[i], ends[j]) for i in range(len(starts)) for j in range(i, len(ends)))
    parts: List[Part] = []
    i = 0
    while i < len(starts):
        # The rest of a sentence after a greeting ("Guten Tag, Zeitraum des Projekts?") is judged as a sentence.
        after_courtesy = i == 0 or (bool(parts) and parts[-1].role == "courtesy")
        for j in range(i, len(ends)):
            part = judge.part(starts[i], ends[j], kind=SENTENCE if after_courtesy and j == len(ends) - 1 else PIECE)
            if part is not None:
                parts.append(part)
                i = j + 1
                break
        else:
            i += 1
    return parts


def candidate_spans(cutter: Cutter, settings: ReadingConfig, edges: bool = True) -> List[Tuple[int, int]]:
    """Every span the reading may classify: the pieces of each sentence and their runs, and (with `edges`) the
    courtesy edges of the message with what is left beside them. Classified in one batch (one call per classifier)."""
    spans: List[Tuple[int, int]] = []
    sentences = cutter.sentences
    for index, sentence in enumerate(sentences):
        starts = [sentence.first, *sentence.cuts]
        ends = [c - 1 for c in sentence.cuts] + [sentence.last]
        limit = min(settings.max_courtesy_words, sentence.last - sentence.first) if edges else 0
        if index == 0:
            spans += [(sentence.first, sentence.first + n - 1) for n in range(1, limit + 1)]
            starts += [sentence.first + n for n in range(1, limit + 1)]
        if index == len(sentences) - 1:
            spans += [(sentence.last - n + 1, sentence.last) for n in range(1, limit + 1)]
            ends += [sentence.last - n for n in range(1, limit + 1)]
        spans += [(a, b) for a in starts for b in ends if a <= b]
    return spans


def may_hold_two(text: str, language: Optional[str] = None, settings: ReadingConfig | None = None) -> bool:
    """Whether the text has at least two pieces (sentences, or places where a sentence may be cut): without them it
    holds at most one request, and only a greeting written without punctuation could be beside it."""
    settings = settings or ReadingConfig()
    cutter = Cutter(text, language, settings.max_segments)
    return sum(1 + len(s.cuts) for s in cutter.sentences) >= 2


def read(text: str, classify: Classify, settings: ReadingConfig | None = None, language: Optional[str] = None,
         edges: bool = True) -> Reading:
    """The parts of `text`: courtesies, requests and context, in order (see the module docstring). `edges`: also look
    for a greeting, thanks or apology without punctuation at the start or end (the component does so only when the
    whole message was read as one: otherwise only a second request could change the parse result)."""
    settings = settings or ReadingConfig()
    cutter = Cutter(text, language, settings.max_segments)
    if len(cutter.words) < 2:
        return Reading()
    judge = _Judge(cutter, classify, settings)
    judge.prepare(candidate_spans(cutter, settings, edges))
    head, sentences, tail = _courtesy_edges(judge, cutter.sentences, settings) if edges else ([], cutter.sentences, [])
    parts = list(head)
    for sentence in sentences:
        parts.extend(_pieces(judge, sentence))
    parts.extend(tail)
    return Reading(tuple(parts))


def decide(reading: Reading, whole: Guess, settings: ReadingConfig) -> Tuple[Optional[Part], Optional[Part]]:
    """(the request that becomes the top intent, the second request) — (None, None): the parse result stays.

    Two requests with different answers: both, in the order of the message. One request beside a greeting, thanks
    or apology, where the whole message was read as that courtesy, less surely than the part is a request: the
    request alone."""
    requests = reading.requests
    if len(requests) >= 2:
        return requests[0], requests[1]
    if (len(requests) == 1 and reading.courtesy and read_as_courtesy(whole, settings)
            and requests[0].guess.confidence > whole.confidence):
        return requests[0], None
    return None, None


def read_as_courtesy(whole: Guess, settings: ReadingConfig) -> bool:
    """The whole message was read as a greeting, thanks or goodbye, or nearly: that is the runner-up, within
    `torn_margin` of the top intent."""
    if whole.intent in settings.courtesy_intents:
        return True
    ranking = [r for r in whole.intent_ranking if r.get("name") != whole.intent]
    if not ranking:
        return False
    runner_up = max(ranking, key=lambda r: float(r.get("confidence") or 0.0))
    return (runner_up.get("name") in settings.courtesy_intents
            and whole.confidence - float(runner_up.get("confidence") or 0.0) <= settings.torn_margin)


def interpret(text: str, whole: Guess, classify: Classify, settings: ReadingConfig, language: Optional[str] = None
              ) -> Tuple[Optional[Part], Optional[Part], Reading]:
    """What the component does with a message the classifiers read as `whole`: (top, second, the reading).

    A message of one piece that was read as a request cannot change, so nothing is classified; courtesy edges are
    looked for only when the whole message was read as a courtesy."""
    courtesy = read_as_courtesy(whole, settings)
    if not courtesy and not may_hold_two(text, language, settings):
        return None, None, Reading()
    reading = read(text, classify, settings, language, edges=courtesy)
    top, second = decide(reading, whole, settings)
    return top, second, reading


# --- the Rasa component -------------------------------------------------------------------------------------------
def _guesses(intent_model: LinearIntentClassifier, response_model: Optional[LinearIntentClassifier], retrieval_intent: str) -> Classify:
    """Classify texts with the pipeline's own loaded classifiers, exactly as they classify whole messages."""

    def classify(texts: Sequence[str]) -> List[Guess]:
        # An untrained classifier leaves the messages as they are: no intent, no confidence, so no part.
        messages = [Message(data={TEXT: t}) for t in texts]
        intent_model.process(messages)
        asked = [m for m in messages if (m.get(INTENT) or {}).get("name") == retrieval_intent]
        if response_model is not None and asked:  # the FAQ key only where the intent is the FAQ
            response_model.process(asked)
        guesses = []
        for message in messages:
            intent = message.get(INTENT) or {}
            ranking = tuple(message.get(INTENT_RANKING_KEY) or ())
            selector = ((message.get("response_selector") or {}).get(retrieval_intent) or {})
            response = selector.get("response") or {}
            guesses.append(
                Guess(
                    str(intent.get("name")), float(intent.get("confidence") or 0.0), ranking,
                    response.get("intent_response_key"), float(response.get("confidence") or 0.0),
                    tuple({"name": r["intent_response_key"], "confidence": r["confidence"]} for r in selector.get("ranking") or ()),
                )
            )
        return guesses

    return classify


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class MultipleRequests(GraphComponent):
    """Finds a second request (and greetings beside a question) in a message; see the module docstring."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return ReadingConfig().as_config()

    def __init__(self, config: Dict[Text, Any], classify: Optional[Classify]) -> None:
        self._settings = ReadingConfig.of({**self.get_default_config(), **config})
        self._classify = classify

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "MultipleRequests":
        """Loads the intent and FAQ-key classifiers the model trained, from the nodes of its own graph schema."""
        merged = {**cls.get_default_config(), **config}
        models: Dict[str, LinearIntentClassifier] = {}
        for node in execution_context.graph_schema.nodes.values():
            if not (isinstance(node.uses, type) and issubclass(node.uses, LinearIntentClassifier)):
                continue
            if node.resource is None or node.fn != "process":
                continue
            node_config = {**LinearIntentClassifier.get_default_config(), **node.config}
            target = "intent" if node_config["target"] == "intent" else "response"
            if target == "response" and node_config["retrieval_intent"] != merged["retrieval_intent"]:
                continue
            if target not in models:
                models[target] = LinearIntentClassifier.load(node.config, model_storage, node.resource, execution_context)
        if "intent" not in models:
            logger.warning("MultipleRequests: the model has no LinearIntentClassifier; messages stay as they are")
            return cls(config, None)
        return cls(config, _guesses(models["intent"], models.get("response"), merged["retrieval_intent"]))

    def process(self, messages: List[Message]) -> List[Message]:
        if self._classify is None:
            return messages
        for message in messages:
            self._process(message)
        return messages

    def _process(self, message: Message) -> None:
        text = (message.get(TEXT) or "").strip()
        if not text or text.startswith("/"):
            return
        if ((message.get("language") or {}).get("code")) == "other":
            return  # a language we do not serve: the fallback answers, nothing is split
        language = (message.get("language") or {}).get("code")
        intent = message.get(INTENT) or {}
        ranking = tuple(r for r in (message.get(INTENT_RANKING_KEY) or ()) if isinstance(r, dict))
        whole = Guess(str(intent.get("name")), float(intent.get("confidence") or 0.0), ranking)
        top, second, reading = interpret(text, whole, self._classify, self._settings, language)
        if top is None:
            return
        self._make_top(message, top)
        self._entities_of(message, [p for p in (top, second) if p is not None])
        if second is not None:
            message.set(
                "second",
                {
                    "intent": second.guess.intent,
                    "response_key": second.label if second.guess.intent == self._settings.retrieval_intent else None,
                    "confidence": round(second.guess.confidence, 4),
                    "text": second.text,
                },
                add_to_output=True,
            )
        message.set("courtesy", reading.courtesy, add_to_output=True)

    def _entities_of(self, message: Message, parts: List[Part]) -> None:
        """The `language` entity is the language named inside the part that asks to change it, if one does: not the
        course's language in the other part ("курс по немски? И пишете ми на турски"). ContractEntities kept all the
        message's language names aside; it emits them only when the whole message asks for the change."""
        wanted = [p for p in parts if p.guess.intent == "change_language"]
        names = [n for n in message.get(LANGUAGE_NAMES) or [] if any(p.start <= n["start"] < p.end for p in wanted)]
        entities = [e for e in message.get(ENTITIES) or [] if e.get("entity") != "language"]
        # The topic of a part that asks for offers, where the whole message was read as asking for none.
        topic = message.get(TOPIC_ASIDE)
        asking = [p for p in parts if p.guess.intent not in self._settings.topic_ignored_intents]
        if topic and any(p.start <= topic["start"] < p.end for p in asking):
            entities.append(topic)
        message.set(ENTITIES, entities + names[:1], add_to_output=True)

    def _make_top(self, message: Message, part: Part) -> None:
        """The first request becomes the parse result's top intent (and FAQ key), with its own ranking."""
        guess = part.guess
        ranking = [dict(r) for r in guess.intent_ranking] or [{"name": guess.intent, "confidence": guess.confidence}]
        message.set(INTENT, dict(ranking[0]), add_to_output=True)
        message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        if guess.intent == self._settings.retrieval_intent and guess.response_ranking:
            message.set(
                "response_selector",
                selector_output(self._settings.retrieval_intent, [dict(r) for r in guess.response_ranking]),
                add_to_output=True,
            )
