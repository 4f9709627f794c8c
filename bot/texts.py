"""What the Telegram front end says itself, as gettext message ids (rendered from `locales/` per language).

Users read these in their conversation's language; coaches read the team-group texts in German (the
catalogue `de`), like the card.
"""
from __future__ import annotations

from afa.i18n import N_

# --- to users, in their language ------------------------------------------------------------------------
ONE_MOMENT = N_("One moment please, I cannot answer right now. I will reply to your message as soon as I can.")
GAVE_UP = N_("Sorry, I could not answer for a long time. Please write your message again.")
MEDIA = N_("Thank you! I can only read text. Please write your question in words, or tap a button.")
# Non-text messages outside a handover (during one they go to the coach as they are).
VOICE = N_(
    "I cannot listen to voice messages, but a coach can. Tap the button to ask for a coach, then send your voice "
    "message again. Or write your question to me in a few words."
)
LOCATION_DISTRICT = N_(
    "Thank you! Your location is in {district}, so I will look for courses, jobs and the coach team in {district}. "
    "I keep only the district, not your location."
)
LOCATION_OUTSIDE = N_(
    "Thank you! Your location is not in Marxloh or Hochfeld, the two districts of the programme. I have not kept "
    "your location. You can still reach the coach teams:\n\n{contacts}"
)
EDITED = N_("I saw that you changed a message. I only read new messages: please send it again as a new message.")
TOO_LONG = N_("Your message is very long. Please write your question in a few sentences.")
GROUP_ONLY_PRIVATE = N_("I only talk in private chats. Please write to me directly: {link}")
BUTTON_EXPIRED = N_("This button no longer works. Please write your question or send /help.")
HANDOVER_ACCEPTED = N_("{name} from the coach team in {district} has joined the chat. You can now write to each other here.")
HANDOVER_KEPT = N_("Thank you, I have kept your message for the coach.")
# The team's group cannot be reached on Telegram (it removed the bot): the messages wait; the team's own contacts.
TEAM_UNREACHABLE = N_(
    "I cannot reach the coach team in {district} on Telegram at the moment. Your messages are kept and passed on as "
    "soon as the team can be reached again. You can also contact the team directly:\n\n{contacts}"
)
HANDOVER_ENDED = N_("The coach has ended the conversation. I am the chat assistant again: how can I help you?")
HANDOVER_CANCELLED = N_("Your request to the coach team is cancelled. I am the chat assistant again: how can I help you?")
NOTHING_TO_CANCEL = N_("There is no open request to a coach.")
# A coach passed the conversation on (/transfer): to a colleague, back to the team's queue, or to the other team.
TRANSFERRED_TO_COACH = N_("{name} from the coach team takes over your conversation now. Nothing you wrote is lost.")
TRANSFERRED_TO_QUEUE = N_(
    "Your coach has passed your request to a colleague of the team, who will write to you here soon. Nothing you "
    "wrote is lost: write on here."
)
TRANSFERRED_TO_TEAM = N_(
    "Your request has been passed to the coach team in {district}, who will write to you here soon. Nothing you "
    "wrote is lost: write on here."
)
MENU_PAUSED = N_("You are talking to the coach team now. The menu works again when the conversation ends.")

# A coach links their Telegram account with a one-time code (`/start join_CODE` or `/join CODE`), in their language.
COACH_LINKED = N_(
    "Thank you, {name}! Your Telegram account is now linked to the team “{team}”. When someone asks for a coach, "
    "you can accept the request in the team's group."
)
COACH_CODE_UNKNOWN = N_("I do not know this code. Please check it, or ask the programme's staff for a new one.")
COACH_CODE_EXPIRED = N_("This code has expired. Please ask the programme's staff for a new one.")
COACH_CODE_USED = N_("This code has already been used: each code works only once. Please ask the programme's staff for a new one.")
COACH_CODE_FOR_GROUP = N_(
    "This code is for a team's Telegram group, not for your account. Add me to the group with the group link, or "
    "send /link followed by the code in the group."
)
JOIN_USAGE = N_("Please send /join followed by the code you received from the programme's staff.")

# Privacy (the notice, /privacy, /delete, /mydata) is the conversation core's, on every channel: afa/responses.py.

# Command menu and the bot's profile texts, set per language at start-up.
COMMANDS = {
    "start": N_("Start the conversation"),
    "help": N_("What I can do"),
    "language": N_("Choose the language"),
    "coach": N_("Talk to a coach"),
    "cancel": N_("Cancel the request to a coach"),
    "privacy": N_("Privacy: what I store"),
    "delete": N_("Delete my data"),
    "mydata": N_("A copy of my data"),
}
DESCRIPTION = N_(
    "I am the chat assistant of “Aktiv für Arbeit im Stadtteil” in Duisburg-Marxloh and Duisburg-Hochfeld. I answer "
    "questions about the programme, find courses and jobs for you and put you in touch with a coach. "
    "I write in German, Turkish, Bulgarian and Romanian."
)
SHORT_DESCRIPTION = N_("Courses, jobs and coaches in Duisburg-Marxloh and Hochfeld, in your language.")

# --- to coaches, in the team group (German) -------------------------------------------------------------
CARD = N_(
    "New request #{id} for the team {district}\n"
    "Language: {language}\n"
    "{speakers}\n"
    "Situation: {group}\n"
    "Since: {since}\n\n"
    "Asked so far:\n{asked}\n\n"
    "Last messages:\n{last}"
)
CARD_UNKNOWN = N_("not known")
# The team's coaches who speak the user's language (Coach.languages), on the card and first in reminders.
CARD_SPEAKERS = N_("Who speaks {language}: {names}")
CARD_NO_SPEAKER = N_("No coach of the team speaks {language}.")
CARD_LANGUAGES_UNKNOWN = N_("The coaches' languages are not recorded, so I cannot say who speaks {language}.")
CARD_NOTHING = N_("(nothing yet)")
BTN_ACCEPT = N_("Accept")
CARD_ACCEPTED = N_("Accepted by {name}.")
CARD_CLOSED = N_("Closed.")
CARD_CANCELLED = N_("Cancelled by the user.")
CARD_DELETED = N_("This conversation was deleted at the person's request.")
TOPIC_NAME = N_("Request #{id} ({language})")
ACCEPT_OK = N_("Request #{id} is yours. Reply to its messages; /end closes it, /say sends a ready-made text.")
ACCEPT_TAKEN = N_("{name} has already taken this request.")
ACCEPT_GONE = N_("This request is no longer waiting.")
ACCEPT_NOT_COACH = N_("Only coaches of this team can accept requests.")
INVALID_BUTTON = N_("This button is not valid.")
REMINDER = N_("Reminder: request #{id} ({language}) has been waiting since {since}. Who can take it?")
REMINDER_SPEAKERS = N_(
    "{names}: you speak {language}. Reminder: request #{id} ({language}) has been waiting since {since}. Can you take it?"
)
WAITING_HEADER = N_("Written while waiting for request #{id}:")
WHICH_HANDOVER = N_("Please reply to a message of the conversation you mean.")
NOT_YOURS = N_("Request #{id} is handled by {name}.")
CLOSED_IN_GROUP = N_("Request #{id} is closed. The bot answers the user again.")
CANCELLED_IN_GROUP = N_("The user has cancelled request #{id}.")
PERSON_UNREACHABLE = N_(
    "Request #{id}: the person can no longer be reached on Telegram (they have blocked the bot or deleted their "
    "account). Your message was not delivered. /end closes the request."
)
RELAY_PREFIX = N_("#{id}: {text}")
EDITED_PREFIX = N_("(edited) {text}")
SAY_USAGE = N_("Ready-made texts: {names}. Example: /say appointment 2026-12-03 10:30")
SAY_BAD_ARGS = N_("Usage: {usage}")
SAY_SENT = N_("Sent to the user: {text}")

# Linking a team's group with a one-time code (`/start CODE` when the bot is added, or `/link CODE`).
GROUP_LINKED = N_("Done: this group is now linked to the team “{team}”. Requests for a coach from {district} will appear here.")
GROUP_NEEDS_TOPIC_RIGHTS = N_(
    "This group uses topics: please make me an administrator with the right to manage topics, so that every "
    "request gets its own topic. Until then I cannot show requests here."
)
GROUP_CODE_UNKNOWN = N_("I do not know this code. Please check it, or have a new code made in the staff console.")
GROUP_CODE_EXPIRED = N_("This code has expired. Please have a new code made in the staff console.")
GROUP_CODE_USED = N_("This code has already been used: each code works only once. Please have a new code made in the staff console.")
GROUP_CODE_FOR_COACH = N_(
    "This code is for a coach's own Telegram account, not for a group. The coach opens the link in a private chat "
    "with me."
)
GROUP_LINK_USAGE = N_("To link this group to a coach team, send /link@{bot} followed by the code from the staff console.")
GROUP_JOIN_PRIVATE = N_("Coaches link their Telegram account in a private chat with me: {link}")

# --- the coaches' side: /open, /transfer, history on the card, /away and /back, /end with a note ---------------
OPEN_HEADER = N_("Open requests of the team {district}: {waiting} waiting, {active} active (oldest first).")
OPEN_NONE = N_("The team {district} has no open requests.")
OPEN_WAITING = N_("#{id} · {language} · {district} · {group} · waiting for {age}")
OPEN_ACTIVE = N_("#{id} · {language} · {district} · {group} · with {name} for {age} (open for {total})")
OPEN_PAGE = N_("Page {page} of {pages}")
BTN_OPEN_ACCEPT = N_("Accept #{id}")
BTN_PREVIOUS = N_("◀ Previous")
BTN_NEXT = N_("Next ▶")
AGE_MINUTES = N_("{minutes} min")
AGE_HOURS = N_("{hours} h {minutes} min")
AGE_DAYS = N_("{days} d {hours} h")
CARD_HISTORY = N_("Earlier requests of this person: {count}")
CARD_HISTORY_ITEM = N_("• #{id} on {date}, team {district}: {status}")
CARD_HISTORY_NOTE = N_("Outcome of the last one: {note}")
CARD_NO_SPEAKER_HINT = N_(
    "Ready-made texts in {language}: /say interpreter (we call with an interpreter), /say translator (bring "
    "someone who translates), /say confirmed YYYY-MM-DD HH:MM (appointment confirmed)."
)
CARD_TRANSFERRED = N_("Passed on to {target}.")
CARD_FROM_TEAM = N_("Passed on by the team {district}.")
CARD_CLOSED_NOTE = N_("Closed. Outcome: {note}")
STATUS_CLOSED = N_("closed")
STATUS_CANCELLED = N_("cancelled by the person")
STATUS_OPEN = N_("still open")
HISTORY_SO_FAR = N_("Conversation so far with the team {district} (request #{id}):")
TRANSFER_CHOOSE = N_("Pass request #{id} on to:")
BTN_TRANSFER_QUEUE = N_("Back to the team's queue")
BTN_TRANSFER_TEAM = N_("The team {district}")
COACH_AWAY_MARK = N_("{name} (away)")
TRANSFER_NOT_ALLOWED = N_("Only {name}, who holds request #{id}, or a team lead can pass it on.")
TRANSFER_QUEUE_NOT_ALLOWED = N_("Request #{id} is waiting in the queue: only a team lead can pass it on.")
TRANSFER_DONE_COACH = N_("Request #{id} is now with {name} (passed on by {by}).")
TRANSFER_DONE_QUEUE = N_("Request #{id} is back in the queue (passed on by {by}). Who can take it?")
TRANSFER_DONE_TEAM = N_("Request #{id} has been passed to the team {district} (by {by}).")
TRANSFER_NOTHING = N_("There is nobody to pass request #{id} on to.")
TRANSFER_GONE = N_("Request #{id} is no longer open.")
AWAY_SET = N_("{name}, you are marked as away until {until}. Reminders and the cards skip you; /back ends it.")
AWAY_SET_OPEN = N_("{name}, you are marked as away until you send /back. Reminders and the cards skip you.")
AWAY_BACK = N_("Welcome back, {name}: reminders and the cards count on you again.")
AWAY_USAGE = N_("Usage: /away, /away until 14:00, /away until friday, /away until 2026-12-24; /back when you are back.")
NOT_A_COACH = N_("Only coaches of this team can do that.")

# --- ready-made replies a coach sends with /say NAME [args], in the user's language ------------------------
CANNED = {
    "appointment": N_("Your coach offers you an appointment on {day} at {time}. Please reply whether that suits you."),
    "papers": N_(
        "Please bring your papers to the appointment: identity card or passport, your residence permit if you have "
        "one, and the letters you received from the job centre or other offices."
    ),
    "address": N_("This is how you reach the coach team in {district}:\n\n{contacts}"),
    "wait": N_("Thank you for your patience. I will answer you in a few minutes."),
    # When no coach of the team speaks the person's language: a first contact they can still understand.
    "interpreter": N_(
        "Thank you for your message. Nobody in our team speaks your language, so we will call you with an "
        "interpreter. Please write your phone number here and when we can reach you."
    ),
    "translator": N_(
        "Thank you for your message. Nobody in our team speaks your language: please bring someone to the "
        "appointment who can translate for you, a relative or a friend."
    ),
    "confirmed": N_(
        "Your appointment on {day} at {time} is confirmed. We look forward to seeing you. If you cannot come, "
        "please write here."
    ),
}
CANNED_USAGE = {
    "appointment": "/say appointment YYYY-MM-DD HH:MM",
    "papers": "/say papers",
    "address": "/say address",
    "wait": "/say wait",
    "interpreter": "/say interpreter",
    "translator": "/say translator",
    "confirmed": "/say confirmed YYYY-MM-DD HH:MM",
}
