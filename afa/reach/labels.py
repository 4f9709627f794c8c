"""Names of the statistics' dimensions and figures as staff read them (console catalogue domain, German first).

The dashboard, its export and `afa reach export` name things through these tables, so the console and the
command line write the same columns. Values come from the counters; one we have no name for is shown as it is.
The message ids of districts, languages, groups and topics are the console's existing ones (one translation).
"""
from __future__ import annotations

from typing import Any, Callable

from afa.i18n import S_

Translate = Callable[..., str]  # (message, **params) -> text, as afa.content.tables.Translate

UNKNOWN = S_("not known")
CHANNEL_LABELS = {"telegram": S_("Telegram"), "web": S_("Web chat"), "rest": S_("REST interface"),
                  "terminal": S_("Terminal chat")}
LANGUAGE_LABELS = {"de": S_("German"), "tr": S_("Turkish"), "bg": S_("Bulgarian"), "ro": S_("Romanian")}
DISTRICT_LABELS = {"marxloh": S_("Marxloh"), "hochfeld": S_("Hochfeld")}
TARGET_GROUP_LABELS = {
    "benefits": S_("Benefits"), "unregistered": S_("Not registered"), "women": S_("Women"),
    "youth": S_("Young people"), "school_transition": S_("School to work"), "migrants": S_("Immigrants, refugees"),
}
NO_ENTRY_POINT = S_("no entry point (plain start)")
# What a question the bot could not answer was nearest to: an offer topic, an FAQ topic or an intent.
TOPIC_LABELS = {
    "german": S_("Language courses"), "computer": S_("Computer"), "application": S_("Applications"),
    "internship": S_("Internships"), "recognition": S_("Recognition"), "qualification": S_("Training"),
    "jobs": S_("Jobs"),
    "project_overview": S_("What the programme is"), "project_period": S_("Programme period"),
    "funding": S_("Funding"), "organiser": S_("Organiser"), "districts": S_("Districts"),
    "target_groups": S_("Who it is for"), "goals": S_("Goals"), "networks": S_("Networks"), "contact": S_("Contact"),
    "legal_advice": S_("Legal or administrative question"), "out_of_scope": S_("Off topic"),
    "nlu_fallback": S_("Not understood"), "request_coach": S_("Wants to talk to a coach"),
    "ask_offers": S_("Looks for offers (courses, jobs)"),
}
NO_TOPIC = S_("no topic")
HELPFUL_CONTEXTS = {"offers": S_("after offers"), "handover": S_("after a talk with a coach")}
HELPFUL_ANSWERS = {"helpful_yes": S_("yes"), "helpful_no": S_("no")}
METRIC_LABELS = {
    "conversation_started": S_("Conversations started"),
    "conversation_returning": S_("Returning conversations"),
    "conversations": S_("Conversations (started and returning)"),
    "message": S_("Messages"),
    "offer_search": S_("Offer searches"),
    "searches_with_offers": S_("Offer searches with offers shown"),
    "offer_no_match": S_("Offer searches without a match"),
    "offers_shown": S_("Offers shown (number of offers)"),
    "coach_request": S_("Coach requested"),
    "handover_accepted": S_("Handover accepted by a coach"),
    "handover_ended": S_("Handovers ended"),
    "unanswered": S_("Questions not answered"),
    "helpful": S_("Answers to “did this help?”"),
    "helpful_yes": S_("“Did this help?”: yes"),
    "helpful_no": S_("“Did this help?”: no"),
    "deletions": S_("Deletions"),
}
# Upper bounds of ReachWait.bucket in seconds (0: longer than the last) as staff read them.
WAIT_LABELS = {
    60: S_("up to 1 min"), 300: S_("1–5 min"), 900: S_("5–15 min"), 1800: S_("15–30 min"), 3600: S_("30–60 min"),
    7200: S_("1–2 h"), 14400: S_("2–4 h"), 28800: S_("4–8 h"), 86400: S_("8–24 h"), 0: S_("more than 24 h"),
}


def english(message: str, **params: Any) -> str:
    return message.format(**params) if params else message


def translator(language: str = "de") -> Translate:
    """The console catalogue's `_` outside a request (the command line's export is written in German)."""
    from afa.catalogues import CONSOLE_DOMAIN
    from afa.i18n import translate, translations

    catalogue = translations(language, CONSOLE_DOMAIN)
    return lambda message, **params: translate(catalogue, message, f"{language} console", **params)


def topic_label(topic: str, t: Translate) -> str:
    """An offer topic, an FAQ key (also as `faq/funding`) or an intent by its name; "" is "no topic"."""
    key = topic[4:] if topic.startswith("faq/") else topic
    return label(TOPIC_LABELS, key, t, NO_TOPIC) if key else t(NO_TOPIC)


def label(table: dict[Any, str], value: Any, t: Translate, empty: str = UNKNOWN) -> str:
    """The name of a dimension value: from `table`, `empty` for "", the value itself when we have no name."""
    if value in ("", None):
        return t(empty)
    return t(table[value]) if value in table else str(value)
