"""Journey 6 through Telegram: the notice on first contact, /privacy, /delete; and logs that keep no secrets."""
from __future__ import annotations

import pytest
from afa.i18n import gettext
from bot import texts
from tests.conftest import COACHES, MARXLOH_GROUP, everything_in
from tests.telegram_user import Person, card_for, settle

pytestmark = pytest.mark.server


def test_notice_privacy_and_delete_with_a_handover(front_end, telegram_api, bot) -> None:  # type: ignore[no-untyped-def]
    api = telegram_api
    person, other = Person(api, language_code="tr"), Person(api, language_code="de")
    other.say("Wer finanziert das Projekt?")
    first = person.say("Merhaba, projeyi kim finanse ediyor?", count=2)
    notice = first[-1]
    assert notice.text == gettext("tr", texts.PRIVACY_NOTICE, days=90, handover_days=180)
    assert [b["text"] for b in notice.buttons] == [gettext("tr", texts.BTN_PRIVACY), gettext("tr", texts.BTN_DELETE)]
    assert gettext("tr", texts.PRIVACY_NOTICE, days=90, handover_days=180) not in person.text(person.say("Teşekkürler"))

    full = person.press(notice, gettext("tr", texts.BTN_PRIVACY))
    assert full[-1].text == gettext("tr", texts.PRIVACY_TEXT, days=90, handover_days=180)
    helped = person.say("/help")
    assert gettext("tr", texts.BTN_PRIVACY) in [b["text"] for b in helped[-1].buttons]

    # a handover with a relayed message, so that the team group holds the person's words
    secret = "Adım Elif Kaya, telefonum 0176 5550123"
    person.say("/start marxloh")
    person.say("Bir danışmanla konuşmak istiyorum")
    card = card_for(api, MARXLOH_GROUP, "Bir danışmanla konuşmak istiyorum")
    coach = api.user(COACHES["marxloh"][0], first_name="Coach")
    before = person.seen
    api.press(MARXLOH_GROUP, card.message_id, card.buttons[0]["callback_data"], coach)
    settle(api, person.id, before)
    group_before = len(api.messages(MARXLOH_GROUP))
    api.send_text(person.id, secret, person.user)
    copy = api.wait_messages(MARXLOH_GROUP, after=group_before, predicate=lambda m: secret in m.text)[-1]
    stored = everything_in(bot.settings.database_url)
    assert str(person.id) in stored and secret in stored

    asked = person.say("/delete")
    assert asked[-1].text == gettext("tr", texts.DELETE_CONFIRM)
    kept = person.press(asked[-1], gettext("tr", texts.BTN_DELETE_NO))
    assert kept[-1].text == gettext("tr", texts.DELETE_KEPT) and str(person.id) in everything_in(bot.settings.database_url)
    asked = person.say("/delete")
    done = person.press(asked[-1], gettext("tr", texts.BTN_DELETE_YES))
    assert done[-1].text == gettext("tr", texts.DELETED)

    left = everything_in(bot.settings.database_url)
    for trace in (str(person.id), secret, "Merhaba, projeyi kim finanse ediyor?", "Teşekkürler"):
        assert trace not in left, trace
    assert str(other.id) in left and "Wer finanziert das Projekt?" in left  # someone else's data stays
    api.wait_call("editMessageText", lambda c: c.params.get("message_id") == card.message_id
                  and c.params.get("text") == gettext("de", texts.CARD_DELETED))
    api.wait_call("deleteMessage", lambda c: c.params.get("message_id") == copy.message_id)
    # the bot starts afresh: a new notice on the next contact
    again = person.say("Merhaba", count=2)
    assert again[-1].text == gettext("tr", texts.PRIVACY_NOTICE, days=90, handover_days=180)

    # Logs of every process of this journey: no message text, no raw Telegram id.
    logs = [front_end.log, *sorted(bot.log_dir.glob("*.log"))]
    for log in logs:
        content = log.read_text(encoding="utf-8", errors="replace")
        for trace in (str(person.id), secret, "projeyi kim finanse", str(COACHES["marxloh"][0])):
            assert trace not in content, (log.name, trace)
