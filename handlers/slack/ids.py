"""Slack's ids for the chat-neutral intents and form fields (`bot.chat.intents`), in one place.

The values are those of the first Slack release, so cards already posted keep working.
"""

from bot.chat import intents
from handlers.slack.render import action_id, input_action_id

# Slash command
COMMAND = "/pmf"

# Buttons
OPEN_SUBMIT = action_id(intents.OPEN_SUBMIT)  # value: "REF|PERIOD"
APPROVE = action_id(intents.APPROVE)  # value: submission id
REJECT = action_id(intents.REJECT)  # value: submission id
RESUBMIT = action_id(intents.RESUBMIT)  # value: "REF|PERIOD"
REOPEN = action_id(intents.REOPEN)  # value: submission id (an approved one)
REFRESH_HOME = action_id(intents.REFRESH_HOME)
REPLY_CONFIRM = action_id(intents.REPLY_CONFIRM)  # value: JSON of what a reply said
REPLY_EDIT = action_id(intents.REPLY_EDIT)
CANCEL_LEAVE = action_id(intents.CANCEL_LEAVE)  # value: the leave's id
SNOOZE = action_id(intents.SNOOZE)  # value: a reminder's outbox key

# Forms (modal callback ids) and their fields (block id = field name)
SUBMIT_VIEW = action_id(intents.SUBMIT_FORM)
REJECT_VIEW = action_id(intents.REJECT_FORM)
REOPEN_VIEW = action_id(intents.REOPEN_FORM)
VALUE_BLOCK, VALUE_INPUT = intents.VALUE, input_action_id(intents.VALUE)
OVERVIEW_BLOCK, OVERVIEW_INPUT = intents.OVERVIEW, input_action_id(intents.OVERVIEW)
ACTIONS_BLOCK, ACTIONS_INPUT = intents.ACTIONS, input_action_id(intents.ACTIONS)
EVIDENCE_BLOCK, EVIDENCE_INPUT = intents.EVIDENCE, input_action_id(intents.EVIDENCE)
REASON_BLOCK, REASON_INPUT = intents.REASON, input_action_id(intents.REASON)
