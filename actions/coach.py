"""A person to talk to: opens a handover to the coach team of the user's district.

The team's district comes from the conversation (slot, deep link) or from buttons. Where the team has a
Telegram group and the user writes through Telegram, the handover is opened in the database and the front
end is told (a custom message `{"afa_handover": id}`) so it posts the card; elsewhere (the terminal chat, a
team without a group) the user gets the team's contacts instead.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from afa.coaching import expected_back, nobody_available
from afa.db import utcnow
from afa.content import teams
from afa.handover import office_hours, open_handover, summarise
from afa.reach import record
from actions.common import conversation_language, latest, session_scope


class ActionCoach(Action):
    """Asks for the district if needed, then queues the conversation for that district's coach team."""

    def name(self) -> Text:
        return "action_coach"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        district = tracker.get_slot("district")
        if not district:
            dispatcher.utter_message(response="utter_ask_district_coach")
            return []
        from_telegram = (latest(tracker).get("metadata") or {}).get("channel") == "telegram"
        dims = record.dimensions(tracker)
        with session_scope() as session:
            team = next(iter(teams(session, district)), None)
            if team is None or team.telegram_chat_id is None or not from_telegram:
                dispatcher.utter_message(response="utter_coach", district=district)
                return []
            handover, new = open_handover(
                session,
                tracker.sender_id,
                team,
                conversation_language(tracker),
                tracker.get_slot("target_group"),
                summarise(tracker.events),
                channel=dims.channel,
                entry_point=dims.entry_point,
            )
            handover_id, hours = handover.id, office_hours(team)
            # Every coach marked away: the person is told honestly when someone is expected.
            away = expected_back(team, hours) if nobody_available(team) else None
        if new:  # a coach request of the statistics: a handover was opened (not a repeated ask for the same one)
            record.count("coach_request", dims)
        now = utcnow()
        if not new:
            dispatcher.utter_message(response="utter_handover_already_open", district=district)
        elif hours.is_open(now) and away:
            dispatcher.utter_message(response="utter_handover_all_away", district=district, back_at=away.isoformat())
        elif hours.is_open(now):
            dispatcher.utter_message(response="utter_handover_waiting", district=district)
        else:
            back = hours.next_opening(now)
            dispatcher.utter_message(response="utter_handover_after_hours", district=district, back_at=back.isoformat())
        dispatcher.utter_message(json_message={"afa_handover": handover_id})
        return []
