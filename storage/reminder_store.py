"""Reads for reminders (PRODUCT §6): what the planner needs to know, and the reminders
already sent for a figure (to close them) or answered in their thread.

The reminders themselves are rows of the outbox (`storage.outbox_store`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from bot.outbox import Ref
from bot.periods import Period
from bot.reminders import Kind, Pending, Situation, periods_in_play
from bot.status import CouncilInfo
from bot.workflow import State
from storage.engine import plain
from storage.models import Measure, OutboxItem, PeriodValue, Person, Submission
from storage.outbox_store import Claimed
from storage.queries import load_measures
from storage.workflow_store import absences, admins

LEAVE_LOOKBACK = timedelta(days=70)  # reminders due this long ago may still be in their window


def situation(session: Session, council: CouncilInfo, today: date, zone: ZoneInfo) -> Situation:
    """Everything the planner needs, in a fixed number of queries."""
    measures = list(load_measures(session).values())
    calendar = council.calendar
    labels = {
        period.label for measure in measures for period in periods_in_play(measure, today, calendar)
    }
    states: dict[tuple[str, str], State] = {}
    pending: list[Pending] = []
    if labels:
        rows = session.execute(
            sa_select(
                col(Measure.ref),
                col(PeriodValue.period),
                col(PeriodValue.state),
                col(Submission.version),
                col(Submission.submitted_at),
                col(Submission.submitted_by),
            )
            .join(Measure, col(Measure.id) == col(PeriodValue.measure_id))
            .join(Submission, col(Submission.id) == col(PeriodValue.latest_submission_id))
            .where(col(PeriodValue.period).in_(sorted(labels)))
        )
        for ref, label, state, version, submitted_at, submitted_by in rows:
            states[(ref, label)] = State(state)
            if state == State.SUBMITTED.value:
                pending.append(
                    Pending(ref, Period.parse(label), version, submitted_at, submitted_by)
                )
    return Situation(
        measures=measures,
        states=states,
        pending=pending,
        absences=absences(session, None, today, since=today - LEAVE_LOOKBACK, zone=zone),
        admins=sorted(admins(session)),
        calendar=calendar,
        zone=zone,
        policy=council.reminders,
        board_weeks=council.performance_board_weeks,
    )


_SENT_FOR = (  # built once: every submission and decision asks
    sa_select(col(OutboxItem.surface), col(OutboxItem.channel), col(OutboxItem.message_ts))
    .join(Measure, col(Measure.id) == col(OutboxItem.measure_id))
    .where(
        col(Measure.ref) == bindparam("ref"),
        col(OutboxItem.period) == bindparam("period"),
        col(OutboxItem.status) == "sent",
        col(OutboxItem.kind).in_(bindparam("kinds", expanding=True)),
    )
)


def sent_for(session: Session, ref: str, period: Period, kinds: Sequence[Kind]) -> list[Ref]:
    """Where reminders already sent for this (measure, period) are — to update them."""
    if not kinds:
        return []
    rows = plain(
        session,
        _SENT_FOR,
        {"ref": ref, "period": period.label, "kinds": [kind.value for kind in kinds]},
    )
    return [Ref(surface or "slack", channel, ts) for surface, channel, ts in rows if channel and ts]


def by_key(session: Session, key: str) -> Claimed | None:
    """The outbox row with `key` (a reminder a button names)."""
    row = session.exec(select(OutboxItem).where(OutboxItem.key == key)).first()
    return None if row is None else _claimed(session, row)


def by_thread(session: Session, channel: str, ts: str) -> Claimed | None:
    """The reminder a DM thread reply answers."""
    row = session.exec(
        select(OutboxItem).where(OutboxItem.channel == channel, OutboxItem.message_ts == ts)
    ).first()
    return None if row is None else _claimed(session, row)


def _claimed(session: Session, row: OutboxItem) -> Claimed | None:
    if row.id is None:
        return None
    email = session.exec(select(Person.email).where(Person.id == row.recipient_id)).one()
    ref = (
        session.exec(select(Measure.ref).where(Measure.id == row.measure_id)).first()
        if row.measure_id
        else None
    )
    return Claimed(
        row.id,
        row.key,
        Kind(row.kind),
        ref,
        Period.parse(row.period) if row.period else None,
        email,
        row.due_at,
        row.expires_at,
        row.deadline,
        row.working_days_before,
        row.version,
        row.on_behalf_of,
        row.attempts,
        False,
    )
