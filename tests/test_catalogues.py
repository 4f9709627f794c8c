"""Interface text: complete catalogues in all four languages, placeholders intact, template up to date."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from afa import LANGUAGES
from afa.catalogues import DOMAINS, catalogue_problems, compile_catalogues, extract
from afa.i18n import CatalogueError, gettext, language_name
from afa.responses import RESPONSES
from afa.settings import PROJECT_ROOT

LOCALES = PROJECT_ROOT / "locales"


def test_every_message_is_translated_in_every_language() -> None:
    assert catalogue_problems(LOCALES) == []


@pytest.mark.parametrize("domain", sorted(DOMAINS))
def test_template_matches_the_strings_in_the_code(tmp_path: Path, domain: str) -> None:
    """A new interface string that was not extracted (and so not translated) fails here."""
    fresh = tmp_path / "fresh.pot"
    extract(PROJECT_ROOT, domain, fresh)
    with fresh.open("rb") as a, (LOCALES / f"{domain}.pot").open("rb") as b:
        assert {m.id for m in read_po(a) if m.id} == {m.id for m in read_po(b) if m.id}


def test_the_console_has_its_own_domain_the_residents_catalogues_hold_no_staff_text() -> None:
    with (LOCALES / "messages.pot").open("rb") as a, (LOCALES / "console.pot").open("rb") as b:
        messages, console = {m.id for m in read_po(a) if m.id}, {m.id for m in read_po(b) if m.id}
    assert "Sign in" in console and "Sign in" not in messages
    assert "Talk to a coach" in messages and "Talk to a coach" not in console


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "locales"
    shutil.copytree(LOCALES, target, ignore=shutil.ignore_patterns("*.mo"))
    return target


def _broken_copy(tmp_path: Path, language: str, old: str, new: str) -> Path:
    target = _copy(tmp_path)
    po = target / language / "LC_MESSAGES" / "messages.po"
    text = po.read_text(encoding="utf-8")
    assert old in text
    po.write_text(text.replace(old, new, 1), encoding="utf-8")
    return target


def test_a_missing_translation_fails_compilation(tmp_path: Path) -> None:
    po = (LOCALES / "ro" / "LC_MESSAGES" / "messages.po").read_text(encoding="utf-8")
    first = po.split('msgid "Talk to a coach"\nmsgstr "', 1)[1].split('"', 1)[0]
    broken = _broken_copy(tmp_path, "ro", f'msgstr "{first}"', 'msgstr ""')
    problems = catalogue_problems(broken)
    assert any("ro" in p and "Talk to a coach" in p and "not translated" in p for p in problems)
    with pytest.raises(ValueError, match="not translated"):
        compile_catalogues(broken)


def test_a_placeholder_mismatch_fails(tmp_path: Path) -> None:
    po = (LOCALES / "tr" / "LC_MESSAGES" / "messages.po").read_text(encoding="utf-8")
    translated = po.split('msgid "All right, from now on I will write in {language}."\nmsgstr "', 1)[1].split('"', 1)[0]
    broken = _broken_copy(tmp_path, "tr", translated, translated.replace("{language}", "{dil}"))
    assert any("placeholders" in p and p.startswith("tr") for p in catalogue_problems(broken))


def test_a_missing_catalogue_fails(tmp_path: Path) -> None:
    broken = _copy(tmp_path)
    (broken / "bg" / "LC_MESSAGES" / "messages.po").unlink()
    assert any("bg" in p and "missing" in p for p in catalogue_problems(broken))


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_response_text_is_translated(language: str) -> None:
    for name, response in RESPONSES.items():
        # gettext raises CatalogueError for a message the catalogue lacks.
        assert gettext(language, response.text).strip(), (language, name)
        for button in response.buttons:
            assert 0 < len(gettext(language, button.title)) <= 30, (language, name, button.title)


def test_unknown_message_fails_loudly() -> None:
    with pytest.raises(CatalogueError):
        gettext("tr", "a message nobody extracted")


def test_language_names_come_from_babel_in_their_own_language() -> None:
    assert [language_name(code) for code in LANGUAGES] == ["Deutsch", "Türkçe", "Български", "Română"]
