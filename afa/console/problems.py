"""Validation problems as staff read them in the console (German), from the same rules as `afa content import`.

The rules (afa/content/validation.py, tables.py, afa/schedule.py) describe each problem as an English message
id with params and where it is (source, row, field); here the console's catalogue turns them into German.
"""
from __future__ import annotations

from typing import Iterable, Optional

from afa.console.i18n import _, gettext_in
from afa.content.tables import Invalid, Problem, Translate
from afa.content.validation import Validated
from afa.schedule import ScheduleError


def _translator(language: Optional[str]) -> Translate:
    if language is None:
        return _
    return lambda message, **params: gettext_in(language, message, **params)


def texts(problems: Iterable[Problem], language: Optional[str] = None) -> list[str]:
    """Each problem as one line in the console's language (or `language`)."""
    translate = _translator(language)
    return [problem.render(translate) for problem in problems]


def problem_texts(validated: Validated, language: Optional[str] = None) -> list[str]:
    """Every problem found, one line each, in the console's language."""
    return texts(validated.problems, language)


def warning_texts(validated: Validated, language: Optional[str] = None) -> list[str]:
    """What was kept but is worth a look (the same e-mail for two coaches), one line each."""
    return texts(validated.warning_problems, language)


def error_text(error: Exception, language: Optional[str] = None) -> str:
    """The message of a cell check (`convert`) or a schedule check, for a form field; other errors as they are."""
    translate = _translator(language)
    if isinstance(error, Invalid):
        return error.text.render(translate)
    if isinstance(error, ScheduleError):
        return translate(error.message, **error.params)
    return str(error)
