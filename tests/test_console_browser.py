"""The console in a real browser (Playwright driving Debian's Chromium) against the real servers.

The console runs as its own process (`afa console`, waitress) on the same database as the session's Rasa and
action server, so a change made in the browser shows in the bot's next REST reply. Each main page is saved as
a screenshot at 390 px and 1280 px under var/test-output/screenshots/.
"""
from __future__ import annotations

import re
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Error as PlaywrightError
from sqlalchemy import select
from sqlalchemy.orm import Session

from afa.db import Offer, Team, UnansweredQuestion, make_engine
from afa.training import swap_model
from tests.conftest import configure_teams, new_sender, screenshot

pytestmark = pytest.mark.server


def _engine(bot):  # type: ignore[no-untyped-def]
    return make_engine(bot.settings.database_url)


def test_login_overview_and_the_phone_layout(browser: Any, console_server: Any) -> None:
    from tests.console_client import PASSWORD, STAFF

    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="de-DE")
    page = context.new_page()
    page.goto(f"{console_server.url}/offers/")
    assert page.url.startswith(f"{console_server.url}/login")  # no session: the login
    screenshot(page, "login")
    page.fill("#email", STAFF["editor"])
    page.fill("#password", "falsch")
    page.click("#submit")
    assert "stimmt nicht" in page.inner_text("main")
    page.fill("#email", STAFF["editor"])
    page.fill("#password", PASSWORD)
    page.click("#submit")
    page.wait_for_url(f"{console_server.url}/offers/")
    page.goto(console_server.url + "/")
    assert page.inner_text("h1") == "Übersicht"
    # On a phone nothing is wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "overview")
    context.close()


def test_an_faq_edit_in_the_browser_is_in_the_bots_next_reply(staff_page: Any, console_server: Any, bot: Any) -> None:
    page = staff_page
    page.goto(f"{console_server.url}/faq/")
    screenshot(page, "faq-list")
    page.goto(f"{console_server.url}/faq/funding")
    marker = f"Stand: im Browser geändert {uuid.uuid4().hex[:6]}"
    german = page.locator("#text_de")
    german.fill(german.input_value() + "\n\n" + marker)
    page.click("#submit")
    assert "Gespeichert" in page.inner_text("main")
    # The other languages now wait for a check; the bot meanwhile answers with what they say.
    assert page.locator("text=muss aktualisiert werden").count() >= 3
    screenshot(page, "faq-edit")
    assert marker in bot.text(new_sender(), "Wer finanziert das Projekt?")
    assert marker not in bot.text(new_sender(), "Projeyi kim finanse ediyor?")


def test_an_offer_created_in_the_browser_is_found_by_the_bot(staff_page: Any, console_server: Any, bot: Any) -> None:
    page = staff_page
    page.goto(f"{console_server.url}/offers/")
    screenshot(page, "offers-list")
    page.goto(f"{console_server.url}/offers/new")
    key = f"browser-{uuid.uuid4().hex[:6]}"
    page.fill("#key", key)
    page.fill("#provider", "Stadtteilbüro Hochfeld")
    page.fill("#address", "Wanheimer Straße 1, 47053 Duisburg")
    page.fill("#contact_email", "kurs@example.org")
    page.fill("#schedule", "tue 10:00-12:00")
    page.check("input[name=districts][value=hochfeld]")
    page.check("input[name=target_groups][value=women]")
    page.check("input[name=languages][value=tr]")
    if page.is_checked("#example"):
        page.uncheck("#example")
    texts = {"de": "Nähkurs für Frauen", "tr": "Kadınlar için dikiş kursu", "bg": "Курс по шиене за жени",
             "ro": "Curs de croitorie pentru femei"}
    for language, title in texts.items():
        page.fill(f"#title_{language}", title)
        page.fill(f"#summary_{language}", f"{title}: <script>alert(1)</script>")
        page.fill(f"#details_{language}", title)
    page.click("button[name=preview]")
    previews = page.locator("pre.preview")
    assert previews.count() == 4
    assert "<script>alert(1)</script>" in previews.nth(1).inner_text()  # shown as text, not run
    assert "Kadınlar için dikiş kursu" in previews.nth(1).inner_text()
    screenshot(page, "offer-preview")
    with Session(_engine(bot), future=True) as s:
        assert s.scalar(select(Offer).where(Offer.key == key)) is None  # a preview writes nothing
    page.click("button[name=save]")
    assert "Gespeichert" in page.inner_text("main") or key in page.url
    reply = bot.text(new_sender(), "Merhaba, Hochfeld'de oturuyorum, kadınlar için kurs var mı?")
    assert "Kadınlar için dikiş kursu" in reply
    # Deactivated again in the browser: the bot no longer shows it.
    page.goto(f"{console_server.url}/offers/{key}")
    page.click("text=Deaktivieren")
    assert "Kadınlar için dikiş kursu" not in bot.text(new_sender(), "Merhaba, Hochfeld'de oturuyorum, kadınlar için kurs var mı?")


def test_an_upload_with_errors_shows_them_in_german_and_writes_nothing(staff_page: Any, console_server: Any,
                                                                      tmp_path: Path, bot: Any) -> None:
    page = staff_page
    page.goto(f"{console_server.url}/content/")
    screenshot(page, "spreadsheet")
    bad = tmp_path / "offers.csv"
    header = ("key,provider,districts,target_groups,languages,contact_email,valid_from,valid_until,"
              + ",".join(f"{f}_{l}" for f in ("title", "summary", "details") for l in ("de", "tr", "bg", "ro")))
    row = "kaputt-1,Träger,marxloh,women,de,a@example.org,2027-05-01,2027-01-01," + ",".join(["x"] * 12)
    bad.write_text(header + "\n" + row + "\n", encoding="utf-8")
    page.set_input_files("#file", str(bad))
    page.click("button[type=submit].primary")
    text = page.inner_text("main")
    assert "Zeile 2" in text and "valid_until" in text and "endet vor" in text
    screenshot(page, "spreadsheet-errors")
    with Session(_engine(bot), future=True) as s:
        assert s.scalar(select(Offer).where(Offer.key == "kaputt-1")) is None


def test_a_team_is_onboarded_with_a_one_time_code_and_link(staff_page: Any, console_server: Any, front_end: Any,
                                                           telegram_api: Any, bot: Any) -> None:
    page = staff_page
    page.goto(f"{console_server.url}/teams/")
    screenshot(page, "teams")
    page.locator("form[action$='/teams/marxloh/link'] button").click()
    code = page.inner_text("#code").strip()
    assert re.fullmatch(r"[a-z0-9]{10}", code)
    assert f"https://t.me/afa_test_bot?startgroup={code}" in page.content()
    assert page.locator("figure.qr svg").count() == 1
    screenshot(page, "team-link-code")
    group = -1009000000000 - int(time.time()) % 100000
    telegram_api.add_chat(group, type="supergroup", title="Coaches Marxloh (neu)")
    admin = telegram_api.user(7101, "Koordination")
    sent_before = len(telegram_api.messages(group))
    telegram_api.send_text(group, f"/link@afa_test_bot {code}", admin)
    replies = telegram_api.wait_messages(group, 1, after=sent_before, timeout=30)
    assert "Marxloh" in replies[-1].text
    page.goto(f"{console_server.url}/teams/")
    assert "Coaches Marxloh (neu)" in page.locator("#team-marxloh").inner_text()
    with Session(_engine(bot), future=True) as s:
        assert s.scalar(select(Team.telegram_chat_id).where(Team.district == "marxloh")) == group
    # The same code a second time is refused in Telegram.
    other = group - 1
    telegram_api.add_chat(other, type="supergroup", title="Falsche Gruppe")
    telegram_api.send_text(other, f"/link@afa_test_bot {code}", admin)
    refusal = telegram_api.wait_messages(other, 1, timeout=30)[-1].text
    assert "schon benutzt" in refusal
    configure_teams(bot.settings.database_url)  # the other tests' groups again


def test_a_review_question_is_labelled_and_a_model_published(staff_page: Any, console_server: Any, bot: Any,
                                                              trained_model: Path) -> None:
    text = "wie komme ich am besten zu euch ins büro, welcher bus"
    with Session(_engine(bot), future=True) as s, s.begin():
        s.add(UnansweredQuestion(text=text, language="de", intent_guess="out_of_scope", confidence=0.31))
    page = staff_page
    page.goto(f"{console_server.url}/review/?language=de")
    row = page.locator("tr", has_text=text)
    assert "31\xa0%" in row.inner_text()  # Babel's German percent format
    row.locator("select").select_option("faq/contact")
    screenshot(page, "review")
    page.click("text=Auswahl auf dieser Seite speichern")
    assert text not in page.inner_text("main")
    page.click("button:has-text('Trainieren und veröffentlichen')")
    page.wait_for_url(re.compile(r".*/review/training.*"))
    deadline = time.monotonic() + 600
    main = ""
    while time.monotonic() < deadline:  # the page reloads itself (meta refresh): read it until it says more
        time.sleep(2)
        try:
            main = page.inner_text("main")
        except PlaywrightError:  # caught in the middle of its own reload
            continue
        if "Der Bot lernt die neuen Beispiele" not in main:
            break
    screenshot(page, "training")
    try:
        assert "veröffentlicht" in main and "ist geladen" in main, main
        status = requests.get(f"{bot.settings.rasa_url}/status", timeout=10).json()
        loaded = Path(status["model_file"]).name
        assert loaded != trained_model.name and (console_server.nlu_dir.parent / "models" / loaded).exists()
        assert bot.parse(text)["response_selector"]["faq"]["response"]["intent_response_key"] == "faq/contact"
    finally:
        swap_model(bot.settings, trained_model)  # later tests run on the session's model again


def test_admin_pages_render_for_print_and_phone(staff_page: Any, console_server: Any) -> None:
    page = staff_page
    for path, name in (("/accounts/", "accounts"), ("/audit/", "audit-log"), ("/deletion/", "deletion")):
        page.goto(console_server.url + path)
        assert page.locator("h1").count() == 1
        screenshot(page, name)
    page.goto(console_server.url + "/audit/")
    assert "faq" in page.inner_text("main")  # the browser's FAQ edit is in the log
