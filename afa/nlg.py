"""Render a Rasa response in the conversation's language: interface text from `locales/`, content from the DB.

This is what Rasa's NLG endpoint (`nlg:` in endpoints.yml) calls for every `utter_*` response, including
the ones that custom actions send with `dispatcher.utter_message(response=...)`.
"""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from afa import DEFAULT_LANGUAGE, DISTRICTS, LANGUAGES, NO_TARGET_GROUP, TARGET_GROUPS
from afa.content import faq_answer, render_contacts
from afa.i18n import day_and_time, gettext, language_name, list_of, normalise_language
from afa.offers import render_offer
from afa.privacy import render_data_copy
from afa.responses import (
    BTN_COACH, DATA_COPY, NONE_OF_THESE, RESPONSES, TARGET_GROUP_BUTTONS, TARGET_GROUP_LABELS, TOPIC_LABELS,
)
from afa.settings import get_settings

FAQ_PREFIX = "utter_faq/"
CONTENT_RESPONSES = ("utter_offer",)  # rendered from database content, not from the catalogues


class UnknownResponse(KeyError):
    """Rasa asked for a response this bot does not define."""


def choice_buttons(response: str, language: str) -> list[dict[str, str]] | None:
    """Buttons that set an entity: languages, target groups, districts (payloads need no NLU)."""
    if response in ("utter_unsupported_language", "utter_ask_language"):
        return [
            {"title": language_name(code), "payload": "/change_language" + json.dumps({"language": code})}
            for code in LANGUAGES
        ]
    if response == "utter_ask_target_group":  # the six groups, and "none of these" (then no group is used)
        return [
            {"title": gettext(language, TARGET_GROUP_BUTTONS[group]), "payload": "/inform" + json.dumps({"target_group": group})}
            for group in TARGET_GROUPS
        ] + [{"title": gettext(language, NONE_OF_THESE), "payload": "/inform" + json.dumps({"target_group": NO_TARGET_GROUP})}]
    if response in ("utter_ask_district", "utter_ask_district_coach"):
        intent = "/request_coach" if response == "utter_ask_district_coach" else "/inform"
        return [{"title": d.capitalize(), "payload": intent + json.dumps({"district": d})} for d in DISTRICTS]
    return None


def language_of_tracker(tracker: dict[str, Any]) -> str:
    slots = tracker.get("slots") or {}
    return normalise_language(slots.get("language")) or DEFAULT_LANGUAGE


def render(response: str, language: str, arguments: dict[str, Any], session: Session | None) -> dict[str, Any]:
    """The message (text and buttons) for `response` in `language`."""
    if response.startswith(FAQ_PREFIX):
        text = faq_answer(session, response[len(FAQ_PREFIX):], language)
        if text is None:
            return render("utter_faq_missing", language, arguments, session)
        buttons = [{"title": gettext(language, BTN_COACH.title), "payload": BTN_COACH.payload}]
        return {"text": text, "buttons": buttons}

    if response == CONTENT_RESPONSES[0]:
        text = render_offer(session, str(arguments.get("offer_key")), language)
        if text is None:
            raise UnknownResponse(f"utter_offer: no offer {arguments.get('offer_key')!r}")
        return {"text": text, "buttons": []}

    if response == DATA_COPY:  # what the action gathered about this person, written in their language
        spec = RESPONSES[DATA_COPY]
        buttons = [{"title": gettext(language, b.title), "payload": b.payload} for b in spec.buttons]
        return {"text": render_data_copy(arguments.get("copy") or {}, language), "buttons": buttons}

    if response == "utter_unsupported_language":
        # Whoever writes in a language we do not serve gets German, the default, plus a way out.
        language = DEFAULT_LANGUAGE
    spec = RESPONSES.get(response)
    if spec is None:
        raise UnknownResponse(response)

    params: dict[str, Any] = {}
    district = arguments.get("district")
    if "{contacts}" in spec.text:
        params["contacts"] = render_contacts(session, language, district)
    if "{languages}" in spec.text:
        params["languages"] = list_of([language_name(code, language) for code in LANGUAGES], language)
    if "{language}" in spec.text:
        params["language"] = language_name(language)
    if "{district}" in spec.text:
        params["district"] = (district or "").capitalize()
    if "{other_district}" in spec.text:
        params["other_district"] = str(arguments.get("other_district") or "").capitalize()
    if "{topic}" in spec.text:
        topic = arguments.get("topic")
        params["topic"] = gettext(language, TOPIC_LABELS[topic]) if topic in TOPIC_LABELS else ""
    if "{days}" in spec.text or "{handover_days}" in spec.text:  # the retention periods (privacy texts)
        settings = get_settings()
        params.update(days=int(settings.retention_days), handover_days=int(settings.handover_retention_days))
    if "{day}" in spec.text:  # when a team is back: a moment in the team's time zone, written per locale
        params.update(day_and_time(datetime.fromisoformat(str(arguments.get("back_at"))), language))
    if "{group}" in spec.text:
        group = arguments.get("target_group")
        params["group"] = gettext(language, TARGET_GROUP_LABELS[group]) if group in TARGET_GROUP_LABELS else ""

    buttons = [{"title": gettext(language, b.title), "payload": b.payload} for b in spec.buttons]
    buttons = choice_buttons(response, language) or buttons
    return {"text": gettext(language, spec.text, **params), "buttons": buttons}
