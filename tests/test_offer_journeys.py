"""The offer finder over the REST channel against the trained model, in all four languages; live content edits."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from afa.content import export_tables, write_tables
from afa.db import Offer, make_engine
from afa.settings import PROJECT_ROOT
from conftest import Bot, new_sender

pytestmark = pytest.mark.server
AFA = str(Path(sys.executable).with_name("afa"))
POSTCODE = {"marxloh": "47169", "hochfeld": "47053"}
EXAMPLE_MARKER = {"de": "Beispielangebot", "tr": "örnek imkân", "bg": "Примерно предложение", "ro": "Ofertă exemplu"}


def _cards(replies: list[dict]) -> list[str]:
    return [r["text"] for r in replies if "📍" in (r.get("text") or "")]


def _buttons(replies: list[dict]) -> list[str]:
    return [b["payload"] for r in replies for b in r.get("buttons") or []]


@pytest.mark.parametrize(
    ("language", "first", "more", "correction", "districts"),
    [
        ("tr", "Marxloh'ta oturuyorum, kadınlar için kurs var mı?", "daha fazla göster", "aslında Hochfeld'de oturuyorum", ("marxloh", "hochfeld")),
        ("de", "Ich wohne in Hochfeld und bin neu in Deutschland, gibt es Kurse?", "zeig mir mehr", "ach nein, ich wohne doch in Marxloh", ("hochfeld", "marxloh")),
        ("bg", "Живея в Марксло, получавам помощи от Jobcenter, има ли курсове?", "още", "всъщност живея в Хохфелд", ("marxloh", "hochfeld")),
        ("ro", "sunt refugiat, stau in Marxloh, ce cursuri aveti?", "mai multe va rog", "de fapt stau in Hochfeld", ("marxloh", "hochfeld")),
    ],
)
def test_finder_results_more_and_correction(bot: Bot, language: str, first: str, more: str, correction: str, districts) -> None:
    sender = new_sender()
    replies = bot.say(sender, first)
    cards = _cards(replies)
    assert len(cards) == 3, replies
    assert all(POSTCODE[districts[0]] in card and EXAMPLE_MARKER[language] in card for card in cards)
    assert "/request_coach" in _buttons(replies) and "/more_offers" in _buttons(replies)
    assert bot.slots(sender)["language"] == language

    next_cards = _cards(bot.say(sender, more))
    assert next_cards and not set(next_cards) & set(cards)

    corrected = bot.say(sender, correction)
    assert bot.slots(sender)["district"] == districts[1]
    assert _cards(corrected) and all(POSTCODE[districts[1]] in card for card in _cards(corrected))


def test_missing_pieces_are_asked_with_buttons(bot: Bot) -> None:
    sender = new_sender()
    replies = bot.say(sender, "Merhaba, bir kurs arıyorum")
    payloads = [p for p in _buttons(replies) if p.startswith('/inform{"target_group"')]  # (and the privacy notice's)
    assert len(payloads) == 7 and payloads[-1] == '/inform{"target_group": "none"}'  # six groups, "none of these"
    replies = bot.say(sender, payloads[3])  # youth
    assert _buttons(replies) == ['/inform{"district": "marxloh"}', '/inform{"district": "hochfeld"}']
    replies = bot.say(sender, _buttons(replies)[1])
    assert len(_cards(replies)) >= 2 and all("47053" in c for c in _cards(replies))


def test_known_district_is_reused(bot: Bot) -> None:
    sender = new_sender()
    bot.say(sender, "Bună ziua, locuiesc în Hochfeld")
    replies = bot.say(sender, "caut un curs, ce aveți?")  # no topic, no group: asked, the district is not
    assert _buttons(replies)[:1] == ['/inform{"target_group": "benefits"}']
    replies = bot.say(sender, '/inform{"target_group": "women"}')
    assert _cards(replies) and all("47053" in c for c in _cards(replies))


def test_ranking_prefers_the_users_language(bot: Bot) -> None:
    engine = make_engine(bot.settings.database_url)
    with Session(engine, future=True) as session:
        offers = {o.text("tr").title: {lang.language for lang in o.languages} for o in session.scalars(select(Offer))}
    engine.dispose()
    cards = _cards(bot.say(new_sender(), "Hochfeld'de oturuyorum, mülteciyim, kurs var mı?"))
    given = [offers[card.split("\n")[0]] for card in cards]
    in_turkish = [("tr" in langs) for langs in given]
    assert in_turkish == sorted(in_turkish, reverse=True)  # offers in Turkish come first


NO_MATCH = [
    ("Merhaba, nasılsınız?", "bir imkân bulamadım"),
    ("Здравейте, как сте?", "не намерих предложение"),
    ("Bună ziua, ce mai faceți?", "nu am găsit nicio ofertă"),
]


def _import(bot: Bot, path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": bot.settings.database_url}
    return subprocess.run([AFA, "content", "import", str(path)], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True)


def test_live_edit_through_afa_content_import(bot: Bot, tmp_path: Path) -> None:
    """Staff import a spreadsheet while the servers run: the next reply shows the change, no retrain or restart."""
    engine = make_engine(bot.settings.database_url)
    with Session(engine, future=True) as session:
        original = export_tables(session)
    engine.dispose()
    tables = {"faq": [dict(r) for r in original["faq"]], "offers": [dict(r) for r in original["offers"]]}
    funding = next(r for r in tables["faq"] if r["key"] == "funding")
    funding["answer_bg"] = "Нов отговор от редакцията."
    # No offer for youth in Hochfeld any more (removed from the sheet), and one Marxloh title changed.
    tables["offers"] = [
        r for r in tables["offers"] if not ("youth" in r["target_groups"] and "hochfeld" in r["districts"])
    ]
    changed = next(r for r in tables["offers"] if "women" in r["target_groups"] and r["districts"] == "marxloh")
    changed["title_tr"] = "Yepyeni kurs başlığı"
    changed["languages"] = "de, tr, bg, ro"
    path = tmp_path / "edit.xlsx"
    write_tables(path, tables)
    result = _import(bot, path)
    assert result.returncode == 0, result.stderr
    try:
        answer = bot.say(new_sender(), "Кой финансира проекта?")[0]["text"]  # then the first-contact privacy notice
        assert answer == "Нов отговор от редакцията."
        assert "Yepyeni kurs başlığı" in bot.text(new_sender(), "Marxloh'ta oturuyorum, kadınlar için kurs var mı?")
        sender = new_sender()
        replies = bot.say(sender, "Ich bin 19, habe keinen Schulabschluss und wohne in Hochfeld. Gibt es was für mich?")
        assert not _cards(replies)
        assert "/request_coach" in _buttons(replies)
        assert "kein Angebot" in " ".join(r["text"] for r in replies)
        for greeting, no_match in NO_MATCH:
            sender = new_sender()
            bot.say(sender, greeting)
            replies = bot.say(sender, '/inform{"target_group": "youth", "district": "hochfeld"}')
            assert not _cards(replies) and "/request_coach" in _buttons(replies)
            assert no_match in replies[0]["text"], replies
    finally:
        restore = tmp_path / "restore.yaml"
        write_tables(restore, {"faq": original["faq"], "offers": original["offers"]})
        assert _import(bot, restore).returncode == 0


def test_a_broken_import_changes_nothing_the_bot_says(bot: Bot, tmp_path: Path) -> None:
    broken = tmp_path / "offers.csv"
    broken.write_text("key,title_de\nx,Kurs\n", encoding="utf-8")
    result = _import(bot, broken)
    assert result.returncode == 1 and "required column" in result.stderr
    assert len(_cards(bot.say(new_sender(), "Marxloh'ta oturuyorum, kadınlar için kurs var mı?"))) == 3
