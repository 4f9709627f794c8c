"""The reach dashboard in a real browser (Playwright driving Debian's Chromium) against `afa console` as its own
process: it renders (phone and laptop, and for print), a filter changes the charts, bad input is answered in
German, and both exports download. Screenshots go to var/test-output/screenshots/ (reach-*.png).

The console runs on this module's own SQLite database with known counters, so no trained model or Rasa is
needed; the browser is conftest's module-scoped one (Playwright's sync API keeps an event loop running while it
is open, so it must not outlive the module).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest
from sqlalchemy.orm import Session

from afa.db import create_schema, make_engine
from afa.reach.export import SUPPRESSED, read_back
from afa.settings import Settings
from tests.conftest import ConsoleServer, screenshot, seed
from tests.reach_data import PERIOD, seed_example

QUERY = f"start={PERIOD['start']}&end={PERIOD['end']}"


@pytest.fixture(scope="module")
def reach_console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleServer]:
    """`afa console` on a database with the content, one account per role and the example counters."""
    from tests.console_client import add_staff

    home = tmp_path_factory.mktemp("reach-console")
    url = f"sqlite:///{home / 'afa.db'}"
    engine = make_engine(url)
    create_schema(engine)
    seed(engine)
    add_staff(engine)
    with Session(engine, future=True) as s, s.begin():
        seed_example(s)
    engine.dispose()
    server = ConsoleServer(home, Settings(database_url=url))
    yield server
    server.stop()


@pytest.fixture()
def reach_page(browser: Any, reach_console: ConsoleServer) -> Iterator[Any]:
    """A fresh browser context logged in as a viewer (the dashboard is for every role), 1280 px wide."""
    from tests.console_client import PASSWORD, STAFF

    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="de-DE", accept_downloads=True)
    page = context.new_page()
    page.goto(f"{reach_console.url}/login")
    page.fill("#email", STAFF["viewer"])
    page.fill("#password", PASSWORD)
    page.click("#submit")
    page.wait_for_url(f"{reach_console.url}/")
    yield page
    context.close()


def _weekly(page: Any) -> str:
    return page.locator("#weekly figure.chart svg").inner_html()


def test_the_dashboard_renders_on_a_laptop_a_phone_and_on_paper(reach_page: Any, reach_console: ConsoleServer) -> None:
    page = reach_page
    page.click("text=Reichweite")  # the menu entry
    page.wait_for_url(f"{reach_console.url}/reach/")
    page.goto(f"{reach_console.url}/reach/?{QUERY}")
    assert page.inner_text("h1") == "Reichweite"
    charts = page.locator("figure.chart svg[role=img]")
    assert charts.count() == 7
    assert page.get_by_role("img", name="Gespräche je Kalenderwoche, nach Sprache").count() == 1
    assert page.get_by_role("img", name="Der Weg zum Coach").count() == 1
    for n in range(7):
        assert "Gespräche, nicht Personen" in charts.nth(n).text_content()
        box = charts.nth(n).bounding_box()
        assert box and box["width"] > 600 and box["height"] > 100  # drawn, at the width of the page
    assert "68" in page.locator("#weekly table tfoot").inner_text()
    screenshot(page, "reach-dashboard")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than a phone
    page.set_viewport_size({"width": 1280, "height": 900})
    page.emulate_media(media="print")
    assert not page.locator("form.filters").is_visible() and not page.locator(".reach-exports").is_visible()
    assert page.locator("figure.chart svg").first.is_visible()
    screenshot(page, "reach-print")
    page.emulate_media(media="screen")


def test_a_filter_changes_the_charts(reach_page: Any, reach_console: ConsoleServer) -> None:
    page = reach_page
    page.goto(f"{reach_console.url}/reach/?{QUERY}")
    before = _weekly(page)
    assert "Deutsch" in before and "Türkisch" in before
    page.select_option("#language", "tr")
    page.click("button:has-text('Anzeigen')")
    page.wait_for_url("**language=tr**")
    after = _weekly(page)
    assert after != before and "Deutsch" not in after
    assert page.locator("#weekly table thead").inner_text().split() == ["Woche", "Türkisch", "Insgesamt"]
    assert page.locator("#weekly table tfoot").inner_text().split() == ["Insgesamt", "19", "19"]
    assert "Sprache: Türkisch" in page.inner_text("p.period")
    screenshot(page, "reach-filtered")
    page.select_option("#district", "hochfeld")
    page.click("button:has-text('Anzeigen')")
    page.wait_for_url("**district=hochfeld**")
    assert page.locator("#weekly table tfoot").inner_text().split() == ["Insgesamt", "0", "0"]
    assert _weekly(page) != after


def test_bad_input_is_answered_in_german(reach_page: Any, reach_console: ConsoleServer) -> None:
    page = reach_page
    page.goto(f"{reach_console.url}/reach/?{QUERY}")
    page.fill("#start", "2026-11-30")
    page.fill("#end", "2026-11-01")
    page.click("button:has-text('Anzeigen')")
    page.wait_for_url("**start=2026-11-30**")
    message = page.locator(".errors").inner_text()
    assert "Der Zeitraum endet (01.11.2026), bevor er beginnt (30.11.2026)." in message
    assert page.locator("figure.chart").count() == 0
    screenshot(page, "reach-bad-period")


def test_both_exports_download(reach_page: Any, reach_console: ConsoleServer, tmp_path: Path) -> None:
    page = reach_page
    page.goto(f"{reach_console.url}/reach/?{QUERY}")
    exact, public = page.locator(".reach-exports p.actions").nth(0), page.locator(".reach-exports p.actions").nth(1)
    with page.expect_download() as download:
        exact.locator("a:has-text('.xlsx')").click()
    assert download.value.suggested_filename == "reichweite_2026-10-05_2026-11-01.xlsx"
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    rows = read_back(path)
    assert ["Gespräche je Kalenderwoche und Sprache", "Insgesamt", "Insgesamt", 68] in rows
    assert ["Gespräche je Kalenderwoche und Sprache", "KW 42/2026", "Türkisch", 1] in rows
    with page.expect_download() as download:
        public.locator("a:has-text('.csv')").click()
    assert download.value.suggested_filename == "reichweite_2026-10-05_2026-11-01_geschuetzt.csv"
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    rows = read_back(path)
    assert rows[1][1].startswith("Geschützte Fassung")
    shown = [row[3] for row in rows[1:] if row[0] != "Hinweis" and row[3] != SUPPRESSED]
    assert shown and min(shown) >= 5
    assert ["Gespräche je Kalenderwoche und Sprache", "KW 42/2026", "Türkisch", SUPPRESSED] in rows
