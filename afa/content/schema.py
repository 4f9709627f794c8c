"""The content kinds staff edit, as tables: one sheet (xlsx), file (csv) or list (yaml) per kind.

Each column has a type that says how a cell is read and checked; the same definition drives import,
validation and export, so every format holds exactly the same data.
"""
from __future__ import annotations

from dataclasses import dataclass

from afa import LANGUAGES


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # text, required, bool, int, decimal, date, dates, districts, target_groups, languages,
    #            language, district, schedule, email, phone, key, timezone, area, topics
    required: bool = False
    # A sheet without this column (one written before the column existed) keeps what is stored for it.
    kept_when_absent: bool = False


def _per_language(prefix: str, type_: str = "text") -> tuple[Column, ...]:
    return tuple(Column(f"{prefix}_{language}", type_, required=True) for language in LANGUAGES)


KINDS: dict[str, tuple[Column, ...]] = {
    "facts": (Column("key", "key", True), Column("value", "date", True)),
    "teams": (
        Column("district", "district", True),
        Column("name", "text", True),
        Column("telegram_chat_id", "int"),
        Column("office_hours", "schedule"),
        Column("closed_days", "dates"),
        Column("timezone", "timezone"),
        Column("area", "area"),  # the district's boundary, "lat, lon; lat, lon; ..." (afa.geo)
    ),
    "coaches": (
        Column("team", "district", True),
        Column("name", "text", True),
        Column("phone", "phone"),
        Column("email", "email"),
        Column("telegram_user_id", "int"),
        Column("languages", "languages"),
    ),
    "faq": (Column("key", "key", True), *_per_language("answer")),
    "faq_examples": (Column("key", "key", True), Column("language", "language", True), Column("text", "text", True)),
    "offers": (
        Column("key", "key", True),
        Column("example", "bool"),
        Column("active", "bool"),
        Column("provider", "text", True),
        Column("address", "text"),
        Column("districts", "districts", True),
        Column("target_groups", "target_groups", True),
        Column("languages", "languages", True),
        Column("topics", "topics", kept_when_absent=True),  # afa.TOPICS: what kind of offer (German course, ...)
        Column("contact_phone", "phone"),
        Column("contact_email", "email"),
        Column("schedule", "schedule"),
        Column("cost", "decimal"),
        Column("valid_from", "date"),
        Column("valid_until", "date"),
        *_per_language("title"),
        *_per_language("summary"),
        *_per_language("details"),
    ),
}

# What makes a row unique within its kind (duplicates are refused).
KEYS: dict[str, tuple[str, ...]] = {
    "facts": ("key",),
    "teams": ("district",),
    "coaches": ("team", "name"),
    "faq": ("key",),
    "faq_examples": ("key", "language", "text"),
    "offers": ("key",),
}

# Import order: a kind comes after the kinds it refers to.
ORDER = ("facts", "teams", "coaches", "faq", "faq_examples", "offers")
