"""Validation problems as staff read them in the console (German), from the same rules as `afa content import`."""
from __future__ import annotations

from afa.content.validation import Validated


def problem_texts(validated: Validated) -> list[str]:
    """Every problem found, one line each, in the console's language."""
    return list(validated.errors)
