"""'Remind me tomorrow' on a collector's reminder (issue 13): the same reminder again at the
next working day's reminder time, once per reminder, recorded in the audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Engine

from bot import outbox
from bot.reminders import COLLECTOR_KINDS, OUTSTANDING, SNOOZED, Reminder, snooze
from bot.status import CouncilInfo
from storage import audit, outbox_store, reminder_store
from storage import workflow_store as store
from storage.engine import write_session


@dataclass(frozen=True)
class Snoozed:
    ok: bool
    words: str  # what to tell the person
    day: date | None = None
    # what was put off, for the reminder's new face (set when `ok`)
    ref: str | None = None
    title: str | None = None
    period: str | None = None
    deadline: date | None = None


def snooze_reminder(
    engine: Engine, council: CouncilInfo, *, key: str, actor: str, now: datetime
) -> Snoozed:
    """Put a collector reminder off to the next working day at the reminder time. Only its
    recipient may, only once (a reminder already put off cannot be put off again), and only
    while the figure is still owed."""
    policy, calendar = council.reminders, council.calendar
    zone = now.tzinfo
    with write_session(engine) as session:
        row = reminder_store.by_key(session, key)
        if row is None or row.kind not in COLLECTOR_KINDS or row.ref is None or not row.period:
            return Snoozed(False, "That button no longer names a reminder; please use /pmf due.")
        if row.recipient != actor:
            return Snoozed(False, "Only the person this reminder was sent to can put it off.")
        if key.startswith(SNOOZED):
            return Snoozed(
                False,
                "This reminder was already put off once; please submit the figure, or use "
                "/pmf due to see what is outstanding.",
            )
        measure = store.measure(session, row.ref)
        state = store.submit_facts(session, measure, row.period, actor, now.date()).state
        if state not in OUTSTANDING:
            return Snoozed(False, f"{row.ref} {row.period} is already in: nothing to put off.")
        again = snooze(
            Reminder(
                row.kind,
                row.ref,
                row.period,
                actor,
                row.due_at,
                row.expires_at or row.due_at,
                row.deadline,
                row.working_days_before,
                row.on_behalf_of,
            ),
            now.astimezone(zone).date(),
            policy,
            calendar,
            zone,  # type: ignore[arg-type]
        )
        if outbox_store.sent_keys(session, [again.key]) or not outbox_store.enqueue(
            session, [again], now
        ):
            return Snoozed(False, "You already asked to be reminded tomorrow about this one.")
        day = again.due_at.date()
        audit.record(
            session,
            actor=actor,
            action="reminder.snooze",
            entity="reminder",
            entity_key=key,
            at=now,
            after={"until": again.due_at.isoformat()},
        )
    outbox.committed(engine)
    return Snoozed(
        True,
        f"I will remind you again on {day:%a %d %b} at {policy.at:%H:%M}.",
        day,
        ref=measure.ref,
        title=measure.title,
        period=str(row.period),
        deadline=row.deadline,
    )
