"""The bot's interface texts and buttons, as gettext message ids (`N_`), rendered per language by `afa.nlg`.

Each Rasa response name maps to a text and a list of buttons. Button payloads are Rasa intents
(`/intent{...}`) so a pressed button never depends on NLU.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from afa import TARGET_GROUPS, TOPICS
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
# The seventh button under the six groups: the finder then searches without a group (afa.NO_TARGET_GROUP).
NONE_OF_THESE = N_("None of these")
# What kind of offer was searched for, as a result list's heading names it.
TOPIC_LABELS = {
    "german": N_("German and other language courses"),
    "computer": N_("computer courses"),
    "application": N_("help with applications (CV, letters, interviews)"),
    "internship": N_("internships and trial work"),
    "recognition": N_("recognition of qualifications from abroad"),
    "qualification": N_("vocational training and retraining"),
    "jobs": N_("vacancies and job cafés"),
}
assert tuple(TOPIC_LABELS) == TOPICS
BTN_MORE = Button(N_("More offers"), "/more_offers")
# Handled by the Telegram front end, never by Rasa: while a handover waits, the user can take it back.
BTN_CANCEL_HANDOVER = Button(N_("Cancel the request"), "/cancel_handover")

EMOJI_ONLY = "utter_emoji_only"  # also what the Telegram front end answers to a sticker

# "Did this help?" after offers were shown and after a coach ended a handover (the Telegram front end asks that one):
# two buttons whose payloads Rasa answers (intent `feedback`, actions/feedback.py); counted in the reach statistics.
ASK_HELPFUL = "utter_ask_helpful"
HELPFUL_QUESTION = N_("Did this help you?")
FEEDBACK_PREFIX = "/feedback"
FEEDBACK_ABOUT = ("offers", "handover")


def helpful_buttons(about: str) -> tuple[Button, Button]:
    """Yes / No for "did this help?" about offers or a handover (compact payloads: Telegram allows 64 bytes)."""
    return (
        Button(N_("Yes, it helped"), FEEDBACK_PREFIX + '{"helpful":"yes","about":"%s"}' % about),
        Button(N_("No, not really"), FEEDBACK_PREFIX + '{"helpful":"no","about":"%s"}' % about),
    )


# Privacy (GDPR art. 13 and 15-17: what, why, how long, who reads it; a copy; erasure), the same on every channel.
# `/privacy`, `/delete` and `/mydata` are typed or pressed alike (afa.nlu.components.SpecialInputs).
BTN_PRIVACY = Button(N_("Privacy"), "/privacy")
BTN_DELETE = Button(N_("Delete my data"), "/delete")
BTN_DATA_COPY = Button(N_("Copy of my data"), "/mydata")
BTN_DELETE_YES = Button(N_("Yes, delete everything"), "/confirm_deletion")
BTN_DELETE_NO = Button(N_("No, keep it"), "/cancel_deletion")
PRIVACY_NOTICE = "utter_privacy_notice"
DATA_COPY = "utter_data_copy"  # rendered from what the action gathered (afa.privacy.render_data_copy)
# The parts of a copy of one's data, in the reader's language.
COPY_TITLE = N_("This is what I have stored about you ({date}):")
COPY_LANGUAGE = N_("Language: {language}")
COPY_NOTICE = N_("Privacy notice shown: {date}")
COPY_NO_NOTICE = N_("Privacy notice: not shown yet")
COPY_DISTRICT = N_("District: {district}")
COPY_GROUP = N_("Situation: {group}")
COPY_MESSAGES = N_("Your messages to me ({count}):")
COPY_HANDOVERS = N_("Your conversations with a coach ({count}):")
COPY_HANDOVER = N_("Request #{id} to the team {district}, {date}: {status}")
COPY_TO_COACH = N_("What you wrote to the coach:")
COPY_QUESTIONS = N_("Questions kept for the team's review, without your name ({count}):")
COPY_NONE = N_("none")
COPY_MEDIA = N_("(a photo, voice message, sticker or file)")
COPY_FOOTER = N_("That is everything. /delete erases all of it.")
COPY_STATUS = {
    "waiting": N_("waiting for a coach"),
    "active": N_("in conversation with a coach"),
    "closed": N_("ended"),
    "cancelled": N_("cancelled by you"),
}

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
        (BTN_ABOUT, BTN_TARGET_GROUPS, BTN_FUNDING, BTN_CONTACT, BTN_OFFERS, BTN_COACH, BTN_PRIVACY),
    ),
    "utter_not_understood": Response(
        N_(
            "Sorry, I did not understand that. I have noted your question so that the team can teach me. "
            "This is what I can help you with:"
        ),
        MENU,
    ),
    "utter_empty_message": Response(N_("Your message was empty. Please write me a question or tap a button."), MENU),
    # Emoji or stickers only (no words): a friendly word, nothing stored for review.
    "utter_emoji_only": Response(
        N_("🙂 Thank you for your message! If you have a question, write it to me in a few words, or tap a button."), MENU
    ),
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
    # In office hours, but every coach of the team is marked away (/away): when someone is expected.
    "utter_handover_all_away": Response(
        N_(
            "The coaches in {district} are all away at the moment. Someone is expected back on {day} at {time}. "
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
    "utter_offers_found_topic": Response(N_("Offers in {district} – {topic}:")),
    "utter_offers_found_topic_group": Response(N_("Offers in {district} – {topic}; those for {group} first:")),
    "utter_offers_found_all": Response(N_("All offers in {district}:")),
    "utter_offers_more": Response(N_("Would you like to see more offers, or talk to a coach?"), (BTN_MORE, BTN_COACH)),
    "utter_offers_end": Response(N_("These are all the offers I have for you. A coach can help you further."), (BTN_COACH,)),
    "utter_no_offers": Response(
        N_("At the moment I have found no offer in {district} for {group}. A coach can help you personally."),
        (BTN_COACH,),
    ),
    "utter_no_offers_all": Response(
        N_("At the moment I have found no offer in {district}. A coach can help you personally."), (BTN_COACH,)
    ),
    # A topic with nothing in the person's district: said so, then that topic's offers in the other district.
    "utter_no_topic_offers_here": Response(
        N_("At the moment there is no offer of this kind in {district} ({topic}). In {other_district} there is this:")
    ),
    "utter_offers_elsewhere_end": Response(N_("A coach can help you find something nearer to you."), (BTN_COACH,)),
    "utter_no_topic_offers": Response(
        N_("At the moment I have found no offer of this kind ({topic}), neither in {district} nor in {other_district}. "
           "A coach can help you personally."),
        (BTN_COACH,),
    ),
    "utter_temporarily_unavailable": Response(
        N_("Sorry, I cannot look that up right now. Please try again in a few minutes."), (BTN_COACH,)
    ),
    "utter_faq_missing": Response(
        N_("I have no answer to that question yet. The coach team can help you:\n\n{contacts}"),
    ),
    # Legal and administrative questions (actions/legal.py): never answered by the bot itself.
    "utter_legal_advice": Response(
        N_(
            "I cannot answer this reliably: it depends on your situation and on rules that only the offices apply "
            "(job centre, immigration office, health insurance, city). The coaches can help you with it and know "
            "where to go. I have noted your question for the team."
        ),
        (BTN_COACH,),
    ),
    "utter_legal_offers": Response(
        N_(
            "I cannot answer this reliably myself: it depends on your situation and on the rules of the offices. "
            "These offers can help you with it:"
        )
    ),
    "utter_legal_offers_end": Response(N_("A coach can also help you personally."), (BTN_COACH,)),
    ASK_HELPFUL: Response(HELPFUL_QUESTION, helpful_buttons("offers")),
    "utter_feedback_thanks": Response(N_("Thank you for telling me!")),
    "utter_feedback_no": Response(
        N_("Thank you for telling me. The team uses it to get better. A coach can help you personally."), (BTN_COACH,)
    ),
    # Privacy: the notice after the first reply (afa.policies), the full text, erasure after a confirmation.
    PRIVACY_NOTICE: Response(
        N_(
            "About your data: I store what you write here so that I can answer you. If you ask for a coach, the coach "
            "team of your district reads it too. Nothing is kept longer than {days} days ({handover_days} days for "
            "conversations with a coach). /privacy tells you more, /delete erases everything."
        ),
        (BTN_PRIVACY, BTN_DELETE),
    ),
    "utter_privacy": Response(
        N_(
            "Privacy\n\n"
            "What I store: your messages and my answers, your language, and the district and situation you tell me. "
            "If you talk to a coach: the messages between you and the coach. Questions I did not understand are kept "
            "without your name, so that the team can teach me.\n\n"
            "Why: to answer you, to put you in touch with a coach, and to get better.\n\n"
            "How long: at most {days} days; conversations with a coach at most {handover_days} days.\n\n"
            "Who reads it: the coach team of your district (Marxloh or Hochfeld), only when you ask for a coach; the "
            "programme's staff see the questions I did not understand, without your name.\n\n"
            "Your rights: /mydata sends you a copy of everything I have stored about you, and /delete erases all of "
            "it, at any time."
        ),
        (BTN_DATA_COPY, BTN_DELETE),
    ),
    "utter_ask_deletion": Response(
        N_("Do you really want me to delete everything I have stored about you? This cannot be undone."),
        (BTN_DELETE_YES, BTN_DELETE_NO),
    ),
    "utter_deletion_done": Response(
        N_("Done: everything I had stored about you is deleted. If you write to me again, I start from the beginning.")
    ),
    "utter_deletion_cancelled": Response(N_("All right, nothing was deleted.")),
    DATA_COPY: Response(COPY_TITLE, (BTN_DELETE,)),
}
