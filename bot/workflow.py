"""The submission workflow's states (PRODUCT §5, seed 002 §10.5–10.6, §11.1)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum


class State(StrEnum):
    """Where a (measure, period) stands.

    not_due → due (period ended) → overdue (deadline passed) → submitted → approved | rejected
    → (submitted again) …; approved → reopened (with a reason) → submitted.
    """

    NOT_DUE = "not_due"
    DUE = "due"
    OVERDUE = "overdue"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    REOPENED = "reopened"

    @property
    def words(self) -> str:
        return _WORDS[self]


_WORDS = {
    State.NOT_DUE: "not yet due",
    State.DUE: "due",
    State.OVERDUE: "overdue",
    State.SUBMITTED: "awaiting review",
    State.APPROVED: "approved",
    State.REJECTED: "rejected, awaiting resubmission",
    State.REOPENED: "reopened, awaiting resubmission",
}

RECORDED = {State.SUBMITTED, State.APPROVED, State.REJECTED, State.REOPENED}


def period_state(recorded: str | None, *, period_end: date, deadline: date, today: date) -> State:
    """The state of a (measure, period) on `today`.

    `recorded` is the stored workflow state, if anything was ever submitted; otherwise the
    calendar decides: not due until the period has ended, then due, then overdue after the
    deadline day.
    """
    if recorded is not None:
        return State(recorded)
    if today <= period_end:
        return State.NOT_DUE
    if today <= deadline:
        return State.DUE
    return State.OVERDUE
