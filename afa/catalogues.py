"""Check, compile and extract the gettext catalogues; any gap fails loudly instead of showing English.

Two domains: `messages`, what residents read, in the bot's four languages; `console`, the staff console,
in German with English as a second language, so the residents' translators never see staff screens.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from afa import LANGUAGES
from afa.content import placeholders_of
from afa.i18n import DOMAIN, clear_cache

CONSOLE_DOMAIN = "console"
CONSOLE_LANGUAGES = ("de", "en")
DOMAINS: dict[str, tuple[str, ...]] = {DOMAIN: LANGUAGES, CONSOLE_DOMAIN: CONSOLE_LANGUAGES}
# Extraction, configured here and only here (`make extract` and the template test run it). babel.cfg maps
# files to extractors; each domain says where its strings are and how they are marked.
_COMMON = ["--no-location", "--omit-header"]
EXTRACTION: dict[str, list[str]] = {
    # N_() and gettext(language, "...") in the bot's code; the console's folder is its own domain.
    DOMAIN: ["-k", "N_", "-k", "gettext:2", "--ignore-dirs", ".* ._ console", *_COMMON, "afa", "actions", "bot"],
    # _() and _l() in the console and its templates; S_() marks staff texts (also in content validation).
    CONSOLE_DOMAIN: ["--no-default-keywords", "-k", "_", "-k", "_l", "-k", "S_", *_COMMON,
                     "afa/console", "afa/content", "afa/schedule.py", "afa/geo.py", "afa/reach"],
}


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def po_path(locales_dir: Path, language: str, domain: str = DOMAIN) -> Path:
    return locales_dir / language / "LC_MESSAGES" / f"{domain}.po"


def catalogue_problems(locales_dir: Path, domain: str | None = None) -> list[str]:
    """Every message of the template must be translated, not fuzzy, with the same placeholders, in every
    language of its domain (both domains unless one is named)."""
    if domain is None:
        return [problem for name in DOMAINS for problem in catalogue_problems(locales_dir, name)]
    problems: list[str] = []
    template = _read(locales_dir / f"{domain}.pot")
    wanted = [m for m in template if m.id]
    for language in DOMAINS[domain]:
        path = po_path(locales_dir, language, domain)
        if not path.exists():
            problems.append(f"{path}: missing")
            continue
        try:
            catalogue = _read(path, language)
        except Exception as exc:  # babel raises several types for broken files
            problems.append(f"{path}: cannot be read: {exc}")
            continue
        for message in wanted:
            found = catalogue.get(message.id)
            where = f"{language}{'' if domain == DOMAIN else f' ({domain})'}: {message.id[:60]!r}"
            if found is None or not found.string:
                problems.append(f"{where}: not translated")
                continue
            if found.fuzzy:
                problems.append(f"{where}: marked fuzzy")
            try:
                if placeholders_of(found.string) != placeholders_of(message.id):
                    problems.append(
                        f"{where}: placeholders {sorted(placeholders_of(found.string))} "
                        f"differ from {sorted(placeholders_of(message.id))}"
                    )
            except ValueError as exc:
                problems.append(f"{where}: broken placeholder: {exc}")
        for message in catalogue:
            if message.id and template.get(message.id) is None:
                problems.append(f"{language}: {message.id[:60]!r}: not in the template (obsolete?)")
    return problems


def compile_catalogues(locales_dir: Path) -> list[Path]:
    """Write `.mo` files next to the `.po` files; refuses when any catalogue has a problem."""
    problems = catalogue_problems(locales_dir)
    if problems:
        raise ValueError("catalogues are incomplete or broken:\n  " + "\n  ".join(problems))
    written = []
    for domain, languages in DOMAINS.items():
        for language in languages:
            path = po_path(locales_dir, language, domain)
            catalogue = _read(path, language)
            with path.with_suffix(".mo").open("wb") as handle:
                write_mo(handle, catalogue)
            written.append(path.with_suffix(".mo"))
    clear_cache()
    return written


def extract(root: Path, domain: str, output: Path) -> None:
    """Write the template of `domain` from the code (what `make extract` and the template test compare)."""
    pybabel = Path(sys.executable).with_name("pybabel")
    command = [str(pybabel), "extract", "-F", "babel.cfg", "-o", str(output), *EXTRACTION[domain]]
    subprocess.run(command, cwd=root, check=True, capture_output=True)


def _without_date(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.startswith('"POT-Creation-Date:'))


def update_catalogues(root: Path) -> None:
    """`make extract`: refresh both templates and merge them into every catalogue (Babel's own update). English
    console texts are their own translation, filled in here; every other new message stays untranslated, and
    compiling refuses it until someone translates it."""
    from babel.messages.pofile import write_po

    pybabel = str(Path(sys.executable).with_name("pybabel"))
    locales = root / "locales"
    for domain, languages in DOMAINS.items():
        template = locales / f"{domain}.pot"
        extract(root, domain, template)
        for language in languages:
            path = po_path(locales, language, domain)
            verb = "update" if path.exists() else "init"
            extra = ["--no-fuzzy-matching", "--ignore-obsolete"] if verb == "update" else []
            before = path.read_text(encoding="utf-8") if path.exists() else ""
            subprocess.run([pybabel, verb, "-i", str(template), "-d", str(locales), "-D", domain, "-l", language, *extra],
                           cwd=root, check=True, capture_output=True)
            if _without_date(path.read_text(encoding="utf-8")) == _without_date(before):
                path.write_text(before, encoding="utf-8")  # nothing changed but the date: no churn in git
        english = po_path(locales, "en", domain)
        if domain == CONSOLE_DOMAIN:
            catalogue = _read(english, "en")
            for message in catalogue:
                if message.id and not message.string:
                    message.string = message.id
            with english.open("wb") as handle:
                write_po(handle, catalogue)
