"""Journey 6 through Telegram: the notice on first contact, /privacy, /mydata, /delete (all from the conversation
core, as on every channel), the team groups redacted after an erasure; and logs that keep no secrets."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from afa.db import make_engine
from afa.i18n import gettext
from afa.responses import BTN_DELETE, BTN_DELETE_NO, BTN_DELETE_YES, BTN_PRIVACY, COPY_TITLE, RESPONSES
from bot import texts
from tests.conftest import COACHES, MARXLOH_GROUP, everything_in
from tests.telegram_user import Person, card_for, is_notice, settle

pytestmark = pytest.mark.server
PERIODS = {"days": 90, "handover_days": 180}


def said(language: str, response: str) -> str:
    spec = RESPONSES[response]
    return gettext(language, spec.text, **(PERIODS if "{days}" in spec.text else {}))


def events_of(database_url: str, sender: str) -> int:
    engine = make_engine(database_url)
    with engine.connect() as connection:
        count = connection.execute(text("SELECT count(*) FROM events WHERE sender_id = :s"), {"s": sender}).scalar()
    engine.dispose()
    return int(count)


def test_notice_privacy_copy_and_delete_with_a_handover(front_end, telegram_api, bot) -> None:  # type: ignore[no-untyped-def]
    api = telegram_api
    person, other = Person(api, language_code="tr"), Person(api, language_code="de")
    other.say("Wer finanziert das Projekt?", count=2)
    words = "Merhaba, ben Elif. Projeyi kim finanse ediyor?"  # words of this person only (the database is shared)
    first = person.say(words, count=2)
    notice = first[-1]
    assert "Avrupa Sosyal Fonu" in person.text(first[:-1]) and is_notice(notice)
    assert notice.text == said("tr", "utter_privacy_notice")
    assert [b["text"] for b in notice.buttons] == [gettext("tr", BTN_PRIVACY.title), gettext("tr", BTN_DELETE.title)]
    assert said("tr", "utter_privacy_notice") not in person.text(person.say("Teşekkürler"))

    full = person.press(notice, gettext("tr", BTN_PRIVACY.title))
    assert full[-1].text == said("tr", "utter_privacy")
    helped = person.say("/help")
    assert gettext("tr", BTN_PRIVACY.title) in [b["text"] for b in helped[-1].buttons]

    # a handover with a relayed message, so that the team group holds the person's words
    secret = "Adım Elif Kaya, telefonum 0176 5550123"
    person.say("/start marxloh")
    person.say("Bir danışmanla konuşmak istiyorum")
    card = card_for(api, MARXLOH_GROUP, "Bir danışmanla konuşmak istiyorum")
    coach = api.user(COACHES["marxloh"][0], first_name="Kathrin")
    before = person.seen
    api.press(MARXLOH_GROUP, card.message_id, card.buttons[0]["callback_data"], coach)
    settle(api, person.id, before)
    group_before = len(api.messages(MARXLOH_GROUP))
    api.send_text(person.id, secret, person.user)
    copy = api.wait_messages(MARXLOH_GROUP, after=group_before, predicate=lambda m: secret in m.text)[-1]
    stored = everything_in(bot.settings.database_url)
    assert str(person.id) in stored and secret in stored

    # A copy of what is kept, while the coach has the conversation: as text and as a document.
    group_seen = len(api.messages(MARXLOH_GROUP))
    mine = person.say("/mydata", count=2)
    data, document = mine[-2], mine[-1]
    assert data.text.startswith(gettext("tr", COPY_TITLE, date="").split("(")[0].strip())
    assert words in data.text and secret in data.text
    assert "Wer finanziert" not in data.text and "Kathrin" not in data.text  # nobody else's data
    assert document.method == "sendDocument" and document.message["document"]["file_name"].startswith("afa-data-")
    upload = api.wait_call("sendDocument", lambda c: c.params.get("chat_id") == person.id)
    assert upload.params["document"]["size"] == len(data.text.encode("utf-8"))
    assert len(api.messages(MARXLOH_GROUP)) == group_seen  # not relayed to the coach

    asked = person.say("/delete")
    assert asked[-1].text == said("tr", "utter_ask_deletion")
    kept = person.press(asked[-1], gettext("tr", BTN_DELETE_NO.title))
    assert kept[-1].text == said("tr", "utter_deletion_cancelled")
    assert str(person.id) in everything_in(bot.settings.database_url)
    asked = person.say("/delete")
    done = person.press(asked[-1], gettext("tr", BTN_DELETE_YES.title))
    assert done[-1].text == said("tr", "utter_deletion_done")

    left = everything_in(bot.settings.database_url)
    for trace in (str(person.id), secret, words):
        assert trace not in left, trace
    assert events_of(bot.settings.database_url, str(person.id)) == 0
    assert str(other.id) in left and "Wer finanziert das Projekt?" in left  # someone else's data stays
    api.wait_call("editMessageText", lambda c: c.params.get("message_id") == card.message_id
                  and c.params.get("text") == gettext("de", texts.CARD_DELETED))
    api.wait_call("deleteMessage", lambda c: c.params.get("message_id") == copy.message_id)
    # the bot starts afresh: a new notice on the next contact
    again = person.say("Merhaba", count=2)
    assert again[-1].text == said("tr", "utter_privacy_notice")

    # Logs of every process of this journey: no message text, no raw Telegram id.
    logs = [front_end.log, *sorted(bot.log_dir.glob("*.log"))]
    for log in logs:
        content = log.read_text(encoding="utf-8", errors="replace")
        for trace in (str(person.id), secret, "ben Elif", str(COACHES["marxloh"][0])):
            assert trace not in content, (log.name, trace)


def test_deletion_in_words_in_latin_script_bulgarian(front_end, telegram_api, bot) -> None:  # type: ignore[no-untyped-def]
    person = Person(telegram_api, language_code="bg")
    first = person.say("zdraveite", count=2)
    assert first[-1].text == said("bg", "utter_privacy_notice")
    asked = person.say("iztriite vsichki moi danni")
    assert asked[-1].text == said("bg", "utter_ask_deletion")
    assert [b["text"] for b in asked[-1].buttons] == [gettext("bg", BTN_DELETE_YES.title), gettext("bg", BTN_DELETE_NO.title)]
    assert events_of(bot.settings.database_url, str(person.id)) > 0
    done = person.press(asked[-1], gettext("bg", BTN_DELETE_YES.title))
    assert done[-1].text == said("bg", "utter_deletion_done")
    assert events_of(bot.settings.database_url, str(person.id)) == 0
    assert str(person.id) not in everything_in(bot.settings.database_url)
