"""Shared core of the AfA Stadtteil-Bot: settings, database, content, i18n, language detection and the `afa` CLI.

`bot/` (Telegram front end) and `actions/` (Rasa action server) import this package and never each other.
"""

LANGUAGES = ("de", "tr", "bg", "ro")
DEFAULT_LANGUAGE = "de"
DISTRICTS = ("marxloh", "hochfeld")
TARGET_GROUPS = ("benefits", "unregistered", "women", "youth", "school_transition", "migrants")
# The "none of these" button: the person names no group, the finder searches without one (never an entity value).
NO_TARGET_GROUP = "none"
# What kind of offer: German and other language courses, computer, applications (CV, interviews), internships and
# trial work, recognition of foreign qualifications, vocational training and retraining, vacancies and job cafés.
TOPICS = ("german", "computer", "application", "internship", "recognition", "qualification", "jobs")
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
