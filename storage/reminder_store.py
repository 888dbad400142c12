"""The reminder outbox (PRODUCT §6, §9): rows keyed per (measure, period, kind, recipient).

`enqueue` inserts what the planner found, ignoring keys already there, so every tick of every
process can plan the same reminders and each is stored once. `claim` hands a process the rows
that are due — `SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL, so several processes never take
the same row — and marks them `sending`; the sender then marks each `sent` (with Slack's ts),
`dropped` (no longer useful) or back to `pending` with a later attempt.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, update
from sqlalchemy import select as sa_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from bot.periods import Period
from bot.reminders import Kind, Pending, Reminder, Situation, periods_in_play
from bot.status import CouncilInfo
from bot.workflow import State
from storage.engine import is_postgres
from storage.models import Measure, PeriodValue, Person, Submission
from storage.models import Reminder as ReminderRow
from storage.queries import load_measures
from storage.workflow_store import absences, admins

STALE_CLAIM = timedelta(minutes=5)  # a `sending` row older than this was left by a dead process
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
    )


def enqueue(session: Session, reminders: Iterable[Reminder], now: datetime) -> int:
    """Store reminders not stored before (by key); returns how many were new."""
    wanted = list(reminders)
    if not wanted:
        return 0
    people = dict(session.execute(select(Person.email, Person.id)).all())
    measures = dict(session.execute(select(Measure.ref, Measure.id)).all())
    rows: list[dict[str, Any]] = []
    for reminder in wanted:
        recipient = people.get(reminder.recipient)
        if recipient is None:
            continue
        rows.append(
            {
                "key": reminder.key,
                "kind": reminder.kind.value,
                "measure_id": measures.get(reminder.ref) if reminder.ref else None,
                "period": reminder.period.label if reminder.period else None,
                "recipient_id": recipient,
                "due_at": reminder.due_at,
                "expires_at": reminder.expires_at,
                "status": "pending",
                "attempts": 0,
                "deadline": reminder.deadline,
                "working_days_before": reminder.working_days_before,
                "version": reminder.version,
                "on_behalf_of": reminder.on_behalf_of,
            }
        )
    if not rows:
        return 0
    dialect = postgresql if is_postgres(session.get_bind()) else sqlite  # type: ignore[arg-type]
    statement = dialect.insert(ReminderRow).on_conflict_do_nothing(index_elements=["key"])
    result = session.execute(statement.returning(col(ReminderRow.id)), rows)
    return len(result.all())


@dataclass(frozen=True)
class Claimed:
    id: int
    key: str
    kind: Kind
    ref: str | None
    period: Period | None
    recipient: str
    due_at: datetime
    expires_at: datetime | None
    deadline: date | None
    working_days_before: int | None
    version: int | None
    on_behalf_of: str | None
    attempts: int
    recovered: bool  # taken over from a process that died while sending it


def claim(session: Session, *, now: datetime, worker: str, limit: int = 100) -> list[Claimed]:
    """Take up to `limit` due rows for this worker and mark them `sending`."""
    due = or_(
        (col(ReminderRow.status) == "pending")
        & (col(ReminderRow.due_at) <= now)
        & or_(col(ReminderRow.next_attempt_at).is_(None), col(ReminderRow.next_attempt_at) <= now),
        (col(ReminderRow.status) == "sending") & (col(ReminderRow.claimed_at) <= now - STALE_CLAIM),
    )
    query = select(ReminderRow).where(due).order_by(col(ReminderRow.due_at), col(ReminderRow.id))
    query = query.limit(limit)
    if is_postgres(session.get_bind()):  # type: ignore[arg-type]
        query = query.with_for_update(skip_locked=True)
    rows = list(session.exec(query))
    if not rows:
        return []
    emails = dict(session.execute(select(Person.id, Person.email)).all())
    refs = dict(session.execute(select(Measure.id, Measure.ref)).all())
    claimed = []
    for row in rows:
        assert row.id is not None
        claimed.append(
            Claimed(
                id=row.id,
                key=row.key,
                kind=Kind(row.kind),
                ref=refs.get(row.measure_id) if row.measure_id else None,
                period=Period.parse(row.period) if row.period else None,
                recipient=emails[row.recipient_id],
                due_at=row.due_at,
                expires_at=row.expires_at,
                deadline=row.deadline,
                working_days_before=row.working_days_before,
                version=row.version,
                on_behalf_of=row.on_behalf_of,
                attempts=row.attempts,
                recovered=row.status == "sending",
            )
        )
    session.execute(
        update(ReminderRow)
        .where(col(ReminderRow.id).in_([c.id for c in claimed]))
        .values(
            status="sending", claimed_by=worker, claimed_at=now, attempts=ReminderRow.attempts + 1
        )
    )
    return claimed


def still_mine(session: Session, reminder_id: int, *, worker: str, now: datetime) -> bool:
    """Renew `worker`'s claim on a row it is about to send. False when another process took
    the row over meanwhile (this one was so slow that its claim looked stale): then it must
    not be sent from here."""
    renewed = session.execute(
        update(ReminderRow)
        .where(
            col(ReminderRow.id) == reminder_id,
            col(ReminderRow.status) == "sending",
            col(ReminderRow.claimed_by) == worker,
        )
        .values(claimed_at=now)
        .returning(col(ReminderRow.id))
    )
    return renewed.first() is not None


def mark_sent(session: Session, reminder_id: int, *, channel: str, ts: str, now: datetime) -> None:
    session.execute(
        update(ReminderRow)
        .where(col(ReminderRow.id) == reminder_id)
        .values(status="sent", channel=channel, message_ts=ts, sent_at=now, last_error=None)
    )


def mark_dropped(session: Session, reminder_id: int, *, reason: str) -> None:
    session.execute(
        update(ReminderRow)
        .where(col(ReminderRow.id) == reminder_id)
        .values(status="dropped", last_error=reason)
    )


def mark_retry(session: Session, reminder_id: int, *, error: str, at: datetime) -> None:
    """Back to the queue: it will be tried again at `at` (and reported until it goes)."""
    session.execute(
        update(ReminderRow)
        .where(col(ReminderRow.id) == reminder_id)
        .values(status="pending", last_error=error[:500], next_attempt_at=at, claimed_by=None)
    )


def undelivered(session: Session, now: datetime) -> list[tuple[str, str, str]]:
    """(key, recipient e-mail, last error) of reminders still failing: for the digest.

    A failed reminder whose next attempt has come is claimed (`sending`) in the same batch as
    the digest, and still counts until it is delivered.
    """
    rows = session.exec(
        select(ReminderRow.key, Person.email, ReminderRow.last_error)
        .join(Person, col(Person.id) == col(ReminderRow.recipient_id))
        .where(
            col(ReminderRow.status).in_(["pending", "sending"]),
            col(ReminderRow.last_error).is_not(None),
            col(ReminderRow.due_at) <= now,
        )
    )
    return [(key, email, error or "") for key, email, error in rows]


def sent_for(
    session: Session, ref: str, period: Period, kinds: Sequence[Kind]
) -> list[tuple[str, str]]:
    """(channel, ts) of reminders already sent for this (measure, period) — to update them."""
    rows = session.exec(
        select(ReminderRow.channel, ReminderRow.message_ts)
        .join(Measure, col(Measure.id) == col(ReminderRow.measure_id))
        .where(
            Measure.ref == ref,
            ReminderRow.period == period.label,
            col(ReminderRow.status) == "sent",
            col(ReminderRow.kind).in_([kind.value for kind in kinds]),
        )
    )
    return [(channel, ts) for channel, ts in rows if channel and ts]


def sent_keys(session: Session, keys: Iterable[str]) -> set[str]:
    wanted = sorted(set(keys))
    if not wanted:
        return set()
    return set(
        session.exec(
            select(ReminderRow.key).where(
                col(ReminderRow.key).in_(wanted), col(ReminderRow.status).in_(["sent", "dropped"])
            )
        )
    )


def by_thread(session: Session, channel: str, ts: str) -> Claimed | None:
    """The reminder a DM thread reply answers."""
    row = session.exec(
        select(ReminderRow).where(ReminderRow.channel == channel, ReminderRow.message_ts == ts)
    ).first()
    if row is None or row.id is None:
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
