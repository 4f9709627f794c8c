"""Check and compile the gettext catalogues; any gap fails loudly instead of showing a user English."""
from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from afa import LANGUAGES
from afa.content import placeholders_of
from afa.i18n import DOMAIN, clear_cache


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def po_path(locales_dir: Path, language: str) -> Path:
    return locales_dir / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def catalogue_problems(locales_dir: Path) -> list[str]:
    """Every message of the template must be translated, not fuzzy, with the same placeholders, in every language."""
    problems: list[str] = []
    template = _read(locales_dir / f"{DOMAIN}.pot")
    wanted = [m for m in template if m.id]
    for language in LANGUAGES:
        path = po_path(locales_dir, language)
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
            where = f"{language}: {message.id[:60]!r}"
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
    for language in LANGUAGES:
        path = po_path(locales_dir, language)
        catalogue = _read(path, language)
        with path.with_suffix(".mo").open("wb") as handle:
            write_mo(handle, catalogue)
        written.append(path.with_suffix(".mo"))
    clear_cache()
    return written
