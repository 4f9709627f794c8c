"""The bot's interface texts and buttons, as gettext message ids (`N_`), rendered per language by `afa.nlg`.

Each Rasa response name maps to a text and a list of buttons. Button payloads are Rasa intents
(`/intent{...}`) so a pressed button never depends on NLU.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from afa import TARGET_GROUPS
from afa.i18n import N_


@dataclass(frozen=True)
class Button:
    title: str  # message id
    payload: str


@dataclass(frozen=True)
class Response:
    text: str  # message id; may contain {placeholders}
    buttons: tuple[Button, ...] = field(default_factory=tuple)


BTN_ABOUT = Button(N_("About the programme"), "/faq/project_overview")
BTN_OFFERS = Button(N_("Courses and jobs"), "/ask_offers")
BTN_COACH = Button(N_("Talk to a coach"), "/request_coach")
BTN_LANGUAGE = Button(N_("Language"), "/change_language")
BTN_TARGET_GROUPS = Button(N_("Who is it for?"), "/faq/target_groups")
BTN_FUNDING = Button(N_("Who funds it?"), "/faq/funding")
BTN_CONTACT = Button(N_("Contact"), "/faq/contact")
MENU = (BTN_ABOUT, BTN_OFFERS, BTN_COACH, BTN_LANGUAGE)

TARGET_GROUP_LABELS = {
    "benefits": N_("receiving benefits"),
    "unregistered": N_("not registered with the job centre"),
    "women": N_("women"),
    "youth": N_("young people"),
    "school_transition": N_("pupils between school and work"),
    "migrants": N_("immigrants and refugees"),
}
TARGET_GROUP_BUTTONS = {
    "benefits": N_("I receive benefits"),
    "unregistered": N_("Not registered anywhere"),
    "women": N_("Woman returning to work"),
    "youth": N_("Young, no degree"),
    "school_transition": N_("Pupil, leaving school"),
    "migrants": N_("New in Germany"),
}
assert set(TARGET_GROUP_LABELS) == set(TARGET_GROUP_BUTTONS) == set(TARGET_GROUPS)
BTN_MORE = Button(N_("More offers"), "/more_offers")
# Handled by the Telegram front end, never by Rasa: while a handover waits, the user can take it back.
BTN_CANCEL_HANDOVER = Button(N_("Cancel the request"), "/cancel_handover")

RESPONSES: dict[str, Response] = {
    "utter_greet": Response(
        N_(
            "Hello! I am the chat assistant of “Aktiv für Arbeit im Stadtteil” in Duisburg-Marxloh and "
            "Duisburg-Hochfeld. I can answer your questions about the programme, tell you where to find courses "
            "and jobs, and put you in touch with a coach. How can I help?"
        ),
        MENU,
    ),
    "utter_goodbye": Response(N_("Goodbye and all the best! You can write to me again at any time.")),
    "utter_thank": Response(N_("You're welcome! Is there anything else I can do for you?")),
    "utter_affirm": Response(N_("Good. What would you like to do next?"), MENU),
    "utter_deny": Response(N_("All right. If you need anything else, just write to me.")),
    "utter_bot_challenge": Response(
        N_(
            "I am a chatbot, not a person. If you would like to talk to a person, a coach of the Marxloh or "
            "Hochfeld team can help you."
        ),
        (BTN_COACH,),
    ),
    "utter_help": Response(
        N_(
            "I can help you with three things:\n"
            "• answer questions about the programme: what it is, who it is for, where, who funds it, contacts\n"
            "• tell you where to find courses and jobs for your situation\n"
            "• put you in touch with a coach\n"
            "You can write to me in German, Turkish, Bulgarian or Romanian. Write your question or tap a button."
        ),
        (BTN_ABOUT, BTN_TARGET_GROUPS, BTN_FUNDING, BTN_CONTACT, BTN_OFFERS, BTN_COACH),
    ),
    "utter_not_understood": Response(
        N_(
            "Sorry, I did not understand that. I have noted your question so that the team can teach me. "
            "This is what I can help you with:"
        ),
        MENU,
    ),
    "utter_empty_message": Response(N_("Your message was empty. Please write me a question or tap a button."), MENU),
    "utter_unsupported_language": Response(
        N_("Sorry, I cannot read this language. I can write in {languages}. Please choose a language:")
    ),
    "utter_ask_language": Response(N_("Which language would you like me to write in?")),
    "utter_language_changed": Response(N_("All right, from now on I will write in {language}.")),
    "utter_coach": Response(
        N_("You can reach the network coach team directly:\n\n{contacts}"),
        (BTN_ABOUT,),
    ),
    "utter_ask_district_coach": Response(N_("Which team would you like to talk to? Please choose your district:")),
    "utter_handover_waiting": Response(
        N_(
            "I have asked the coach team in {district} to join this chat. A coach will write to you here soon. "
            "Everything you write from now on goes to the team, not to me."
        ),
        (BTN_CANCEL_HANDOVER,),
    ),
    "utter_handover_after_hours": Response(
        N_(
            "The coach team in {district} is not in the office right now. They are back on {day} at {time}. "
            "Your request is in their queue: write your question here, and the coach who takes it will read "
            "everything you wrote."
        ),
        (BTN_CANCEL_HANDOVER,),
    ),
    "utter_handover_already_open": Response(
        N_("You are already in touch with the coach team in {district}. Write your message here."),
    ),
    "utter_ask_target_group": Response(N_("To find offers that fit you: which of these describes you best?")),
    "utter_ask_district": Response(N_("In which district do you live?")),
    "utter_offers_found": Response(N_("Offers in {district} for {group}:")),
    "utter_offers_more": Response(N_("Would you like to see more offers, or talk to a coach?"), (BTN_MORE, BTN_COACH)),
    "utter_offers_end": Response(N_("These are all the offers I have for you. A coach can help you further."), (BTN_COACH,)),
    "utter_no_offers": Response(
        N_("At the moment I have found no offer in {district} for {group}. A coach can help you personally."),
        (BTN_COACH,),
    ),
    "utter_temporarily_unavailable": Response(
        N_("Sorry, I cannot look that up right now. Please try again in a few minutes."), (BTN_COACH,)
    ),
    "utter_faq_missing": Response(
        N_("I have no answer to that question yet. The coach team can help you:\n\n{contacts}"),
    ),
}
