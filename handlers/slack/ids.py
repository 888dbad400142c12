"""Every block, action and view id the bot uses, in one place."""

# Slash command
COMMAND = "/pmf"

# Buttons
OPEN_SUBMIT = "pmf_open_submit"  # value: "REF|PERIOD"
APPROVE = "pmf_approve"  # value: submission id
REJECT = "pmf_reject"  # value: submission id
RESUBMIT = "pmf_resubmit"  # value: "REF|PERIOD"
REOPEN = "pmf_reopen"  # value: submission id (an approved one)
REFRESH_HOME = "pmf_refresh_home"
REPLY_CONFIRM = "pmf_reply_confirm"  # value: JSON of what a reply to a reminder said
REPLY_EDIT = "pmf_reply_edit"

# Submission modal
SUBMIT_VIEW = "pmf_submit"
VALUE_BLOCK, VALUE_INPUT = "value", "value_input"
OVERVIEW_BLOCK, OVERVIEW_INPUT = "overview", "overview_input"
ACTIONS_BLOCK, ACTIONS_INPUT = "actions", "actions_input"
EVIDENCE_BLOCK, EVIDENCE_INPUT = "evidence", "evidence_input"

# Reject-reason modal
REJECT_VIEW = "pmf_reject_reason"
REOPEN_VIEW = "pmf_reopen_reason"
REASON_BLOCK, REASON_INPUT = "reason", "reason_input"

# Messages the bot updates in place
REVIEW_CARD = "review_card"

# Modal fields named by the use cases' problems
FIELD_BLOCKS = {
    "value": VALUE_BLOCK,
    "overview": OVERVIEW_BLOCK,
    "actions": ACTIONS_BLOCK,
    "evidence": EVIDENCE_BLOCK,
    "reason": REASON_BLOCK,
    "period": VALUE_BLOCK,
}
