"""The dialogue policy: Rasa's RulePolicy, plus two privacy duties that rules cannot express.

Rules answer one intent at a time; these two concern every turn, whatever was asked:

1. The privacy notice after the first reply. When the rules end a turn (they predict `action_listen`) in a
   conversation whose slot `privacy_notice` is not yet set, `action_privacy_notice` runs first: it looks up
   whether this person has had the notice (`ConsentRecord`), shows it if not, in the language of the reply just
   given, and sets the slot, so later turns cost nothing. Not after a turn of the deletion dialogue or of a data
   copy (they speak about privacy themselves), and only in conversations Rasa started as a session (every real
   one; Rasa's test stories have none, so they stay as written).
2. Nothing written while asking for deletion is kept for review. The fallback action (`action_not_understood`)
   stores what it did not understand; instead, the deletion question is asked (again) when the message may be a
   deletion request (NLU's best guess is `request_deletion`, however unsure) or answers that question.
   The question stores nothing, and what happens next is the person's choice with its buttons.

It replaces `RulePolicy` in config.yml with the same settings.
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Text

from rasa.core.policies.policy import PolicyPrediction
from rasa.core.policies.rule_policy import RulePolicy
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from afa.privacy import ERASURE_SLOT, NOTICE_SLOT

NOTICE_ACTION = "action_privacy_notice"
ASK_DELETION = "utter_ask_deletion"
NLU_FALLBACK = "nlu_fallback"
# The deletion dialogue and the data copy speak about privacy themselves: the notice waits for another turn.
NO_NOTICE_AFTER = frozenset({ASK_DELETION, "utter_deletion_cancelled", "action_erase_conversation", "action_data_copy"})


def bot_action_before_message(tracker: DialogueStateTracker) -> Optional[str]:
    """The last action of the bot's previous turn (before the latest user message), if any."""
    passed_message = False
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            passed_message = True
        elif passed_message and isinstance(event, ActionExecuted) and event.action_name != ACTION_LISTEN_NAME:
            return event.action_name
    return None


def may_ask_for_deletion(tracker: DialogueStateTracker) -> bool:
    """The latest message may be a deletion request, or answers the deletion question."""
    if bot_action_before_message(tracker) == ASK_DELETION:
        return True
    parsed = tracker.latest_message.parse_data if tracker.latest_message else {}
    ranking = (parsed or {}).get("intent_ranking") or []
    guesses = [r.get(INTENT_NAME_KEY) for r in ranking if r.get(INTENT_NAME_KEY) not in (NLU_FALLBACK, None)]
    return guesses[:1] == ["request_deletion"]


def notice_due(tracker: DialogueStateTracker) -> bool:
    """The bot's turn is ending, and this conversation has not had the notice (nor is it being erased)."""
    return (
        not tracker.get_slot(NOTICE_SLOT)
        and not tracker.get_slot(ERASURE_SLOT)
        and tracker.latest_action_name not in NO_NOTICE_AFTER
        and any(isinstance(event, SessionStarted) for event in tracker.events)
    )


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class PrivacyRulePolicy(RulePolicy):
    """RulePolicy with the privacy notice after a conversation's first reply and no review storage for what may
    be a deletion request (see the module's docstring)."""

    def _predict_action(self, name: Text, tracker: DialogueStateTracker, domain: Domain) -> PolicyPrediction:
        return self._rule_prediction(self._prediction_result(name, tracker, domain), f"privacy: {name}")

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: Optional[Dict[Text, Any]] = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        prediction = super().predict_action_probabilities(tracker, domain, rule_only_data, **kwargs)
        latest = tracker.latest_action_name
        if latest in (NOTICE_ACTION, ASK_DELETION):  # both close the bot's turn
            return self._predict_action(ACTION_LISTEN_NAME, tracker, domain)
        chosen = domain.action_names_or_texts[prediction.max_confidence_index] if prediction.max_confidence > 0 else None
        if chosen == self._fallback_action_name and may_ask_for_deletion(tracker):
            return self._predict_action(ASK_DELETION, tracker, domain)
        if chosen == ACTION_LISTEN_NAME and latest != ACTION_LISTEN_NAME and notice_due(tracker):
            return self._predict_action(NOTICE_ACTION, tracker, domain)
        return prediction
