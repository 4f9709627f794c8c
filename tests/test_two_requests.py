"""Two things in one message, and legal questions the bot never answers itself (issue 12, points 4 and 5).

- The splitter of `afa.nlu.multi` (pure text), and its reading with the trained model's own classifiers, loaded the
  way Rasa loads the component (from the model's graph schema, nothing trained again).
- Over the REST channel (the session's Rasa and action server): a greeting with a question gets the answer; two
  questions get both answers in order; `/model/parse` still names one top intent, plus `second`; single questions
  behave as before; legal questions get the honest answer with the coach button and are kept for review, or an
  offer of the topic they name, never an FAQ answer.
Texts are compared with the catalogues and the database, so a test proves the language and the content.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from afa.db import FaqAnswer, Offer, OfferTopic, UnansweredQuestion, make_engine
from afa.i18n import gettext, language_name
from afa.nlu.multi import Cutter, Guess, MultipleRequests, ReadingConfig, read, read_as_courtesy
from afa.privacy import pseudonym
from afa.responses import BTN_COACH, RESPONSES
from afa.settings import Settings
from conftest import Bot, new_sender
from tests.test_privacy_core import events_of, said as privacy_said, stored_questions, title_start


# --- the splitter ---------------------------------------------------------------------------------------------
def pieces(text: str, language: str | None = None) -> list[list[str]]:
    """Each sentence as its smallest pieces (where a cut may fall), leading conjunctions dropped."""
    cutter = Cutter(text, language)
    out = []
    for sentence in cutter.sentences:
        starts = [sentence.first, *sentence.cuts]
        ends = [c - 1 for c in sentence.cuts] + [sentence.last]
        out.append([cutter.text_of(a, b) for a, b in zip(starts, ends)])
    return out


def test_sentences_end_at_question_marks_and_sentence_ends() -> None:
    assert pieces("unde vă găsesc? aveți un număr de telefon?", "ro") == [["unde vă găsesc"], ["aveți un număr de telefon"]]
    assert pieces("Hallo. Wer finanziert das?Und wo seid ihr", "de") == [["Hallo"], ["Wer finanziert das"], ["wo seid ihr"]]
    # no sentence end inside numbers, abbreviations or a phone number
    assert pieces("Ist die 0203/99429-31 noch aktuell, z.B. für Marxloh", "de") == [
        ["Ist die 0203/99429-31 noch aktuell", "z.B. für Marxloh"]]
    assert pieces("Kurs am 28.02. um 9.30 Uhr, Nr. 5", "de") == [["Kurs am 28.02. um 9.30 Uhr", "Nr. 5"]]


def test_cuts_at_commas_emoji_and_the_languages_conjunctions() -> None:
    assert pieces("Wer finanziert das und in welchen Stadtteilen seid ihr?", "de") == [
        ["Wer finanziert das", "in welchen Stadtteilen seid ihr"]]
    assert pieces("zdravei, kade se namirate", "bg") == [["zdravei", "kade se namirate"]]
    assert pieces("Merhaba 👋 proje ne zaman başladı ve kim ödüyor", "tr") == [
        ["Merhaba", "proje ne zaman başladı", "kim ödüyor"]]
    assert pieces("cine finanțează proiectul și unde sunteți", "ro") == [["cine finanțează proiectul", "unde sunteți"]]
    assert pieces("Кой финансира проекта и къде сте", "bg") == [["Кой финансира проекта", "къде сте"]]


def test_without_punctuation_a_question_word_or_a_turkish_question_particle_offers_a_cut() -> None:
    assert pieces("wer zahlt das projekt wie lange gehts noch", "de") == [["wer zahlt das projekt", "wie lange gehts noch"]]
    assert pieces("staj var mı bi de koçla konuşmak istiyorum", "tr") == [["staj var mı", "bi de koçla konuşmak istiyorum"]]
    assert pieces("ce face proiectul unde sunteti", "ro") == [["ce face proiectul", "unde sunteti"]]
    assert pieces("koi finansira proekta kude ste", "bg") == [["koi finansira proekta", "kude ste"]]
    assert pieces("bu projeyi kim finanse ediyor", "tr") == [["bu projeyi kim finanse ediyor"]]  # its object first
    # never at a sentence's start, and once where a conjunction stands before the question word
    assert pieces("wo seid ihr und wann habt ihr offen", "de") == [["wo seid ihr", "wann habt ihr offen"]]
    # the Turkish particle only in Turkish: Bulgarian "ми" folds to the same letters
    assert pieces("daite mi nomer", "bg") == [["daite mi nomer"]]


def test_no_cut_where_the_word_is_no_conjunction_in_that_language_or_starts_a_clause() -> None:
    # Bulgarian "si" (си) is a pronoun, Romanian "si" (și) a conjunction
    assert pieces("kak da si vzema Termin", "bg") == [["kak da si vzema Termin"]]
    assert pieces("kak da si vzema Termin", "ro") == [["kak da", "vzema Termin"]]
    # a subordinate clause belongs to the same request
    assert pieces("Kann ich mitmachen, wenn ich Bürgergeld bekomme?", "de") == [["Kann ich mitmachen, wenn ich Bürgergeld bekomme"]]
    assert pieces("Мога ли да участвам, ако нямам документи?", "bg") == [["Мога ли да участвам, ако нямам документи"]]
    assert pieces("pot participa, dacă nu am acte?", "ro") == [["pot participa, dacă nu am acte"]]
    # a relative clause belongs to its request; the same word as a question elsewhere still offers the cut
    assert pieces("Изтрийте всичко, което пазите за мен", "bg") == [["Изтрийте всичко, което пазите за мен"]]
    assert pieces("iztriite vsichko, koeto pazite za men", "bg") == [["iztriite vsichko, koeto pazite za men"]]
    assert pieces("Löscht bitte alles, was ihr über mich habt", "de") == [["Löscht bitte alles, was ihr über mich habt"]]
    assert pieces("Hallo, was kostet das?", "de") == [["Hallo", "was kostet das"]]


def test_an_unknown_language_cuts_at_every_languages_conjunctions() -> None:
    assert pieces("wer finanziert das und wo seid ihr") == [["wer finanziert das", "wo seid ihr"]]
    assert pieces("kim finanse ediyor ve neredesiniz") == [["kim finanse ediyor", "neredesiniz"]]


def test_a_message_of_one_word_is_never_read_as_parts() -> None:
    assert read("Hallo", lambda texts: pytest.fail("nothing to classify")).parts == ()
    assert read("", lambda texts: pytest.fail("nothing to classify")).parts == ()


def test_a_message_torn_between_a_greeting_and_a_request_is_read_for_its_courtesy() -> None:
    settings = ReadingConfig()

    def whole(*ranking: tuple[str, float]) -> Guess:
        return Guess(ranking[0][0], ranking[0][1], tuple({"name": n, "confidence": c} for n, c in ranking))

    assert read_as_courtesy(whole(("greet", 0.9), ("faq", 0.05)), settings)
    assert read_as_courtesy(whole(("faq", 0.48), ("greet", 0.46), ("out_of_scope", 0.01)), settings)  # torn
    assert not read_as_courtesy(whole(("faq", 0.8), ("greet", 0.1)), settings)  # clearly the question
    assert not read_as_courtesy(whole(("faq", 0.5), ("ask_offers", 0.45)), settings)  # torn, but no courtesy
    assert not read_as_courtesy(Guess("faq", 0.5), settings)  # no ranking known


# --- the reading with the model's own classifiers --------------------------------------------------------------
@pytest.fixture(scope="module")
def component(trained_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[MultipleRequests]:
    """The component as Rasa creates it from the trained model: its classifiers come from the model's storage."""
    from rasa.engine.graph import ExecutionContext
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource

    storage, metadata = LocalModelStorage.from_model_archive(tmp_path_factory.mktemp("model"), trained_model)
    context = ExecutionContext(graph_schema=metadata.predict_schema, model_id=metadata.model_id)
    nodes = [n for n in metadata.predict_schema.nodes.values() if n.uses is MultipleRequests]
    assert len(nodes) == 1 and nodes[0].resource is None  # not trainable: nothing of its own in the model
    yield MultipleRequests.create(nodes[0].config, storage, Resource("multiple_requests"), context)


def labels(component: MultipleRequests, text: str, language: str) -> list[str]:
    assert component._classify is not None
    return [p.label for p in read(text, component._classify, component._settings, language).requests]


def test_two_questions_are_read_in_order(component: MultipleRequests) -> None:
    assert labels(component, "Wer finanziert das und in welchen Stadtteilen seid ihr?", "de") == ["faq/funding", "faq/districts"]
    assert labels(component, "cine finanțează proiectul? și în ce cartiere lucrați?", "ro") == ["faq/funding", "faq/districts"]
    assert labels(component, "Projeyi kim finanse ediyor? Ayrıca telefon numaranız nedir?", "tr") == ["faq/funding", "faq/contact"]
    assert labels(component, "koi finansira proekta i kade se namirate", "bg") == ["faq/funding", "faq/contact"]


def test_one_question_stays_one_request(component: MultipleRequests) -> None:
    for text, language in [("Wer finanziert das Projekt?", "de"), ("Кой финансира проекта?", "bg"),
                           ("Kann ich mitmachen, wenn ich Bürgergeld bekomme?", "de"),
                           ("unde vă găsesc? aveți un număr de telefon?", "ro"),  # both answered by the contacts
                           ("Almanca kursu arıyorum, kadınlar için", "tr")]:
        assert len(labels(component, text, language)) <= 1, text


def test_asking_what_the_bot_can_do_is_a_request_and_needing_help_is_context(component: MultipleRequests) -> None:
    assert labels(component, "Was kannst du alles? Suchst du mir auch einen Computerkurs raus?", "de") == ["help", "offers"]
    assert labels(component, "Ce știi să faci? Îmi găsești și un curs de germană?", "ro") == ["help", "offers"]
    assert labels(component, "Ich brauche Hilfe. Ich suche einen Computerkurs.", "de") == ["offers"]


def test_a_greeting_is_a_courtesy_beside_the_request(component: MultipleRequests) -> None:
    assert component._classify is not None
    reading = read("zdravei kade se namirate", component._classify, component._settings, "bg")
    assert reading.courtesy == ["greet"] and [p.label for p in reading.requests] == ["faq/contact"]
    reading = read("Danke! Und wo finde ich euch?", component._classify, component._settings, "de")
    assert reading.courtesy == ["thank"] and [p.label for p in reading.requests] == ["faq/contact"]
    reading = read("Entschuldigung, wer finanziert das?", component._classify, component._settings, "de")
    assert reading.courtesy == ["apology"] and [p.label for p in reading.requests] == ["faq/funding"]


# --- over the REST channel ---------------------------------------------------------------------------------------
def said(language: str, response: str) -> str:
    return gettext(language, RESPONSES[response].text)


def faq_answers(bot: Bot, language: str) -> dict[str, str]:
    """The stored FAQ answers in `language` (their first line, which never holds a placeholder)."""
    engine = make_engine(bot.settings.database_url)
    with Session(engine, future=True) as session:
        rows = session.execute(select(FaqAnswer.key, FaqAnswer.text).where(FaqAnswer.language == language)).all()
    engine.dispose()
    return {key: text.split("\n")[0].split("{")[0].strip() for key, text in rows}


def position(replies: list[dict[str, Any]], fragment: str) -> int:
    """The index of the first reply containing `fragment` (fails if none does)."""
    found = [i for i, r in enumerate(replies) if fragment in (r.get("text") or "")]
    assert found, (fragment, [r.get("text") for r in replies])
    return found[0]


def answers_in(replies: list[dict[str, Any]], answers: dict[str, str]) -> list[str]:
    """The FAQ keys whose answers are in the replies, in the order given."""
    keys = []
    for reply in replies:
        keys += [key for key, first_line in answers.items() if first_line and first_line in (reply.get("text") or "")]
    return keys


@pytest.mark.server
@pytest.mark.parametrize(
    ("text", "language", "key"),
    [
        ("zdravei, kade se namirate", "bg", "contact"),  # Latin-script Bulgarian: today it gets only the greeting
        ("здрасти, къде се намирате", "bg", "contact"),
        ("Merhaba, bu projeyi kim finanse ediyor acaba?", "tr", "funding"),
        ("selam kolay gelsin telefon numaranız ne", "tr", "contact"),
        ("Danke! Und wo finde ich euch?", "de", "contact"),
    ],
)
def test_a_greeting_with_a_question_gets_the_answer(bot: Bot, text: str, language: str, key: str) -> None:
    sender = new_sender()
    replies = bot.say(sender, text)
    assert answers_in(replies, faq_answers(bot, language)) == [key]
    assert said(language, "utter_greet") not in "\n".join(r.get("text") or "" for r in replies)
    assert bot.slots(sender)["language"] == language


@pytest.mark.server
@pytest.mark.parametrize(
    ("text", "language", "keys"),
    [
        ("Wer finanziert das und in welchen Stadtteilen seid ihr?", "de", ["funding", "districts"]),
        ("cine finanțează proiectul? și în ce cartiere lucrați?", "ro", ["funding", "districts"]),
        ("în ce cartiere lucrați și cine finanțează proiectul?", "ro", ["districts", "funding"]),
        ("Кой финансира проекта? А колко време продължи проектът?", "bg", ["funding", "project_period"]),
        ("koi finansira proekta i kade se namirate", "bg", ["funding", "contact"]),
        ("proje ne zaman başladı ve telefon numaranız ne", "tr", ["project_period", "contact"]),
    ],
)
def test_two_questions_get_both_answers_in_order(bot: Bot, text: str, language: str, keys: list[str]) -> None:
    replies = bot.say(new_sender(), text)
    assert answers_in(replies, faq_answers(bot, language)) == keys


@pytest.mark.server
def test_two_questions_with_one_answer_get_it_once(bot: Bot) -> None:
    """Where are you and your phone number: in the training data both are the contacts, which hold the phones."""
    replies = bot.say(new_sender(), "unde vă găsesc? aveți un număr de telefon?")
    assert answers_in(replies, faq_answers(bot, "ro")) == ["contact"]
    assert sum("0203/99429-31" in (r.get("text") or "") for r in replies) == 1


@pytest.mark.server
def test_an_faq_and_the_offer_finder_in_one_message(bot: Bot) -> None:
    replies = bot.say(new_sender(), "Wer finanziert das Projekt? Und gibt es Deutschkurse in Marxloh?")
    funding = position(replies, "Europäischen Sozialfonds")
    cards = [i for i, r in enumerate(replies) if "📍" in (r.get("text") or "")]
    assert cards and funding < cards[0]


@pytest.mark.server
@pytest.mark.parametrize(("text", "language"), [
    ("Was kannst du alles? Suchst du mir auch einen Computerkurs in Hochfeld raus?", "de"),
    ("Какво можеш? Ще ми намериш ли и курс по компютри в Марксло?", "bg"),
])
def test_what_the_bot_can_do_and_an_offer_search_get_both_answers(bot: Bot, text: str, language: str) -> None:
    replies = bot.say(new_sender(), text, language_code=language)
    cards = [i for i, r in enumerate(replies) if "📍" in (r.get("text") or "")]
    assert cards and position(replies, said(language, "utter_help")) < cards[0]


@pytest.mark.server
@pytest.mark.parametrize(("text", "language"), [
    ("Welche Daten speichert ihr über mich und kann ich eine Kopie davon bekommen?", "de"),
    ("Ce date păstrați despre mine? Pot primi o copie?", "ro"),
])
def test_a_privacy_question_and_a_copy_request_get_the_notice_then_the_copy(bot: Bot, text: str, language: str) -> None:
    replies = [r.get("text") or "" for r in bot.say(new_sender(), text, language_code=language)]
    notice = [i for i, t in enumerate(replies) if t == privacy_said(language, "utter_privacy")]
    copy = [i for i, t in enumerate(replies) if t.startswith(title_start(language))]
    assert notice and copy and notice[0] < copy[0], replies


@pytest.mark.server
@pytest.mark.parametrize(("text", "language", "yes", "other"), [
    ("Искам да ми изтриете данните. А кой финансира всичко това?", "bg", "да", "faq/funding"),
    ("Hangi verilerimi saklıyorsunuz? Onları silebilir misiniz?", "tr", "evet", "ask_privacy"),
    ("Was speichert ihr über mich? Bitte löscht alles.", "de", "ja", "ask_privacy"),
])
def test_a_deletion_beside_another_request_answers_it_then_asks_and_a_yes_in_words_erases(
    bot: Bot, text: str, language: str, yes: str, other: str
) -> None:
    url = bot.settings.database_url
    sender = new_sender()
    parsed = bot.parse(text)
    found = [parsed["intent"]["name"], (parsed.get("second") or {}).get("intent")]
    assert "request_deletion" in found and (other.split("/")[0] in found), parsed  # both requests, one top intent
    replies = bot.say(sender, text, language_code=language)
    texts = [r.get("text") or "" for r in replies]
    asked = privacy_said(language, "utter_ask_deletion")
    answer = (faq_answers(bot, language)["funding"] if other == "faq/funding" else privacy_said(language, "utter_privacy"))
    assert texts[-1] == asked and any(answer in t for t in texts[:-1]), texts  # the other answered, the question last
    assert [b["payload"] for b in replies[-1].get("buttons") or []] == ["/confirm_deletion", "/cancel_deletion"]
    assert stored_questions(url, sender) == []  # nothing of a deletion request is kept for review
    assert bot.text(sender, yes) == privacy_said(language, "utter_deletion_done")
    assert events_of(url, sender) == 0


@pytest.mark.server
@pytest.mark.parametrize(("text", "language", "wanted"), [
    ("Bitte auf Rumänisch weiter, und gibt es Deutschkurse in Marxloh?", "de", "ro"),
    ("Romence yazabilir miyiz? bir de Almanca kursu var mı Hochfeld'de", "tr", "ro"),
    ("Имате ли курс по немски в Марксло? И пишете ми на турски, моля.", "bg", "tr"),
])
def test_a_change_of_language_and_a_request_answers_both_in_the_new_language(bot: Bot, text: str, language: str,
                                                                            wanted: str) -> None:
    sender = new_sender()
    replies = [r.get("text") or "" for r in bot.say(sender, text, language_code=language)]
    changed = gettext(wanted, RESPONSES["utter_language_changed"].text, language=language_name(wanted))
    assert changed in replies and any("📍" in r for r in replies), replies  # the change, and the offer cards
    assert bot.slots(sender)["language"] == wanted
    assert bot.parse(text)["intent"]["name"] in ("change_language", "ask_offers")  # still one top intent


@pytest.mark.server
def test_parse_names_one_top_intent_and_the_second_request(bot: Bot) -> None:
    parsed = bot.parse("Wer finanziert das und in welchen Stadtteilen seid ihr?")
    assert parsed["intent"]["name"] == "faq"
    assert parsed["intent"]["full_retrieval_intent_name"] == "faq/funding"
    assert parsed["response_selector"]["faq"]["response"]["intent_response_key"] == "faq/funding"
    assert parsed["intent_ranking"][0]["name"] == "faq"
    second = parsed["second"]
    assert second["intent"] == "faq" and second["response_key"] == "faq/districts" and second["confidence"] >= 0.3
    assert "Stadtteilen" in second["text"]
    parsed = bot.parse("Bist du ein Mensch? Wo finde ich euch?")
    assert parsed["intent"]["name"] == "bot_challenge"
    assert parsed["second"]["response_key"] == "faq/contact"


@pytest.mark.server
@pytest.mark.parametrize(
    ("text", "intent", "key"),
    [
        ("Wer finanziert das Projekt?", "faq", "faq/funding"),
        ("Кой финансира проекта?", "faq", "faq/funding"),
        ("Hallo", "greet", None),
        ("zdraveite", "greet", None),
        ("iş arıyorum, kurs var mı?", "ask_offers", None),
        ("teşekkürler", "thank", None),
        ("wie wird das wetter morgen", "out_of_scope", None),
    ],
)
def test_single_requests_are_parsed_as_before(bot: Bot, text: str, intent: str, key: str | None) -> None:
    parsed = bot.parse(text)
    assert parsed["intent"]["name"] == intent
    if key:
        assert parsed["response_selector"]["faq"]["response"]["intent_response_key"] == key
    assert "second" not in parsed and "courtesy" not in parsed


@pytest.mark.server
def test_after_two_questions_a_single_question_gets_one_answer(bot: Bot) -> None:
    sender = new_sender()
    replies = bot.say(sender, "Projeyi kim finanse ediyor ve hangi semtlerde çalışıyorsunuz?")
    assert answers_in(replies, faq_answers(bot, "tr")) == ["funding", "districts"]
    assert bot.slots(sender)["two_requests"] is True
    replies = bot.say(sender, "Projeyi kim finanse ediyor?")
    assert answers_in(replies, faq_answers(bot, "tr")) == ["funding"]
    assert bot.slots(sender)["two_requests"] is False


# --- legal and administrative questions --------------------------------------------------------------------------
def stored(bot: Bot, sender: str) -> list[UnansweredQuestion]:
    engine = make_engine(bot.settings.database_url)
    with Session(engine, future=True) as session:
        rows = list(session.scalars(select(UnansweredQuestion).where(
            UnansweredQuestion.conversation_key == pseudonym(sender, Settings()))))
        session.expunge_all()
    engine.dispose()
    return rows


@pytest.mark.server
@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Wie viel Bürgergeld bekomme ich im Monat, wenn ich allein lebe?", "de"),
        ("Muss das Jobcenter meine Wohnung bezahlen?", "de"),
        ("колко пари ще ми дава Jobcenter, ако съм сама с две деца?", "bg"),
        ("imam li pravo na zdravna osigurovka ako rabotq minijob", "bg"),
        ("Kızım için kreş yeri alma hakkım var mı?", "tr"),
        ("Îmi prelungește primăria permisul de ședere dacă lucrez?", "ro"),
    ],
)
def test_a_legal_question_gets_the_honest_answer_the_coach_and_is_kept_for_review(
    bot: Bot, text: str, language: str
) -> None:
    sender = new_sender()
    replies = bot.say(sender, text, language_code=language)
    assert bot.parse(text)["intent"]["name"] == "legal_advice"
    honest = [r for r in replies if r.get("text") == said(language, "utter_legal_advice")]
    assert len(honest) == 1
    assert [b["payload"] for b in honest[0]["buttons"]] == [BTN_COACH.payload]
    assert honest[0]["buttons"][0]["title"] == gettext(language, BTN_COACH.title)
    assert answers_in(replies, faq_answers(bot, language)) == []  # never an FAQ answer
    assert [(q.text, q.language, q.intent_guess) for q in stored(bot, sender)] == [(text, language, "legal_advice")]


def recognition_offers(bot: Bot, language: str) -> set[str]:
    """Titles (in `language`) of the active offers with the topic `recognition`."""
    engine = make_engine(bot.settings.database_url)
    with Session(engine, future=True) as session:
        offers = session.scalars(
            select(Offer).join(OfferTopic, OfferTopic.offer_id == Offer.id)
            .where(OfferTopic.topic == "recognition", Offer.active.is_(True))
        ).all()
        titles = {o.text(language).title for o in offers}
    engine.dispose()
    return titles


@pytest.mark.server
@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Wird mein Abschluss als Krankenpfleger aus Rumänien hier anerkannt?", "de"),
        ("Ще признаят ли дипломата ми за медицинска сестра в Германия?", "bg"),
    ],
)
def test_a_legal_question_on_recognition_shows_a_recognition_offer(bot: Bot, text: str, language: str) -> None:
    titles = recognition_offers(bot, language)
    assert titles  # the example content has recognition counselling in both districts
    sender = new_sender()
    replies = bot.say(sender, text)
    parse = bot.parse(text)
    assert parse["intent"]["name"] == "legal_advice"
    # It asks whether, not for counselling: no `topic` entity, the topic aside for the legal action.
    assert [e for e in parse["entities"] if e["entity"] == "topic"] == []
    assert parse["topic_aside"]["value"] == "recognition"
    intro = position(replies, said(language, "utter_legal_offers"))
    cards = [r["text"].split("\n")[0] for r in replies if "📍" in (r.get("text") or "")]
    assert cards and set(cards) <= titles
    assert intro < position(replies, cards[0])
    coach = [r for r in replies if r.get("text") == said(language, "utter_legal_offers_end")]
    assert coach and [b["payload"] for b in coach[0]["buttons"]] == [BTN_COACH.payload]
    assert answers_in(replies, faq_answers(bot, language)) == []
    assert stored(bot, sender) == []  # answered with an offer: nothing for review


@pytest.mark.server
def test_a_legal_question_beside_an_faq_question(bot: Bot) -> None:
    sender = new_sender()
    replies = bot.say(sender, "Wer finanziert das Projekt und wie viel Bürgergeld bekomme ich?")
    assert position(replies, "Europäischen Sozialfonds") < position(replies, said("de", "utter_legal_advice"))
    rows = stored(bot, sender)
    assert len(rows) == 1 and rows[0].intent_guess == "legal_advice" and "Bürgergeld" in rows[0].text
    assert "finanziert" not in rows[0].text  # the legal question in its own words
