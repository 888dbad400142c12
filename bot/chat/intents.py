"""The names of what buttons and forms ask for, shared by every surface.

A surface turns these into its own ids (Slack: `pmf_<name>` action and callback ids; Teams: the
`verb` of an `Action.Execute`) and back; nothing else about a click is trusted.
"""

from bot.projects import MAX_MILESTONES

# Buttons
OPEN_SUBMIT = "open_submit"  # value: "REF|PERIOD"
RESUBMIT = "resubmit"  # value: "REF|PERIOD"
APPROVE = "approve"  # value: submission id
REJECT = "reject"  # value: submission id (opens the reason form)
REOPEN = "reopen"  # value: submission id of an approved figure (opens the reason form)
REFRESH_HOME = "refresh_home"
REPLY_CONFIRM = "reply_confirm"  # value: JSON of what a reply to a reminder said
REPLY_EDIT = "reply_edit"  # value: JSON, opens the form prefilled
SNOOZE = "snooze"  # value: a collector reminder's outbox key ("Remind me tomorrow")

CANCEL_LEAVE = "cancel_leave"  # value: the leave's id
REPORT_APPROVE = "report_approve"  # value: "QUARTER|SCOPE" (a directorate, or leadership)
REPORT_REFUSE = "report_refuse"  # value: "QUARTER|SCOPE" (opens the reason form)
ACTION_PROGRESS = "action_progress"  # value: "ACTION_ID|PROGRESS"
ACTION_DROP = "action_drop"  # value: action id (opens the reason form)

BUTTONS = (
    OPEN_SUBMIT,
    RESUBMIT,
    APPROVE,
    REJECT,
    REOPEN,
    REFRESH_HOME,
    REPLY_CONFIRM,
    REPLY_EDIT,
    SNOOZE,
    REPORT_APPROVE,
    REPORT_REFUSE,
    ACTION_PROGRESS,
    ACTION_DROP,
    CANCEL_LEAVE,
)

# Forms
SUBMIT_FORM = "submit"
REJECT_FORM = "reject_reason"
REOPEN_FORM = "reopen_reason"
REPORT_REFUSE_FORM = "report_refuse_reason"
ACTION_DROP_FORM = "action_drop_reason"

FORMS = (SUBMIT_FORM, REJECT_FORM, REOPEN_FORM, REPORT_REFUSE_FORM, ACTION_DROP_FORM)

# Form fields, named as the use cases name their problems
VALUE, OVERVIEW, ACTIONS, EVIDENCE, REASON = "value", "overview", "actions", "evidence", "reason"
# A project's milestones on the submission form, by register order (at most MAX_MILESTONES).
MILESTONES = tuple(f"milestone_{index}" for index in range(MAX_MILESTONES))
