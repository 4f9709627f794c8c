"""Shared core of the AfA Stadtteil-Bot: settings, database, content, i18n, language detection and the `afa` CLI.

`bot/` (Telegram front end) and `actions/` (Rasa action server) import this package and never each other.
"""

LANGUAGES = ("de", "tr", "bg", "ro")
DEFAULT_LANGUAGE = "de"
DISTRICTS = ("marxloh", "hochfeld")
TARGET_GROUPS = ("benefits", "unregistered", "women", "youth", "school_transition", "migrants")
FAQ_KEYS = (
    "project_overview",
    "project_period",
    "funding",
    "organiser",
    "districts",
    "target_groups",
    "goals",
    "networks",
    "contact",
)
