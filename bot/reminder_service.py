"""Delivering reminders exactly once (PRODUCT §6, §9).

A tick: plan what is due now and store it (insert-if-new by key); claim due rows; for each,
check it is still useful (nothing submitted since, not expired), send it, and record Slack's
ts. Delivery problems never lose a reminder: a rate limit waits for `Retry-After` and tries
again; other failures go back to the queue with a growing delay and are listed in the admins'
digest until they succeed. A row left `sending` by a process that died is recovered by first
asking the channel whether the message (tagged with its key) already arrived.
"""

from __future__ import annotations

import logging
import time as time_module
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from bot.measures import MeasureInfo
from bot.periods import Period
from bot.ragg import Target, target_for
from bot.reminders import Kind, Plan, Reminder, deadline_words, plan
from bot.status import CouncilInfo
from bot.workflow import State
from storage import reminder_store as store
from storage import workflow_store
from storage.engine import read_session, write_session
from storage.queries import load_measures

log = logging.getLogger(__name__)

MAX_WAIT = 60.0  # the longest single Retry-After a tick will sit through
MAX_WAITS_PER_REMINDER = 30  # then the row goes back to the queue and the tick moves on
RETRY_DELAYS = (1, 2, 5, 15, 60)  # minutes before trying a failed reminder again


class DeliveryError(Exception):
    """The transport could not deliver; `retry_after` is set for a rate limit."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class ReminderContent:
    """What a reminder says, for the transport to render."""

    kind: Kind
    recipient: str
    ref: str | None = None
    period: Period | None = None
    measure: MeasureInfo | None = None
    deadline: date | None = None
    deadline_words: str | None = None
    last_value: tuple[Period, Decimal] | None = None
    target: Target | None = None
    on_behalf_of: str | None = None
    version: int | None = None
    pending_submission: int | None = None
    overdue: list[tuple[str, str, str, date]] = field(default_factory=list)  # ref, period, who
    uncovered: list[tuple[str, str, str]] = field(default_factory=list)  # who, ref, period
    undelivered: list[tuple[str, str, str]] = field(default_factory=list)  # key, to, error


class Sender(Protocol):
    def find(self, key: str, recipient: str) -> tuple[str, str] | None:
        """(channel, ts) if a message tagged with `key` already reached `recipient`."""

    def send(self, key: str, content: ReminderContent) -> tuple[str, str]:
        """Deliver; returns (channel, ts) or raises DeliveryError."""


@dataclass
class TickReport:
    planned: int = 0
    sent: int = 0
    dropped: int = 0
    retried: int = 0
    recovered: int = 0
    waited: float = 0.0


def _still_useful(
    item: store.Claimed,
    now: datetime,
    states: dict[tuple[str, str], State],
    latest: dict[tuple[str, str], tuple[int, int]],
) -> str | None:
    """Why the reminder should not go now, or None when it should."""
    if item.expires_at is not None and now >= item.expires_at:
        return "its moment has passed"
    if item.kind is Kind.DIGEST or item.ref is None or item.period is None:
        return None
    state = states.get((item.ref, item.period.label))
    if item.kind in (Kind.REVIEW, Kind.CARD):
        if state is not State.SUBMITTED:
            return "the figure was decided"
        if latest.get((item.ref, item.period.label), (None, None))[0] != item.version:
            return "a newer version was submitted"
        return None
    if state not in (None, State.REJECTED, State.REOPENED):
        return "a figure was submitted"
    return None


def situation_plan(engine: Engine, council: CouncilInfo, now: datetime, zone: ZoneInfo) -> Plan:
    with read_session(engine) as session:
        facts = store.situation(session, council, now.astimezone(zone).date(), zone)
    return plan(facts, now)


def tick(
    engine: Engine,
    council: CouncilInfo,
    sender: Sender,
    *,
    now: datetime,
    zone: ZoneInfo,
    worker: str,
    batch: int = 200,
    sleep: Callable[[float], None] = time_module.sleep,
    clock: Callable[[], datetime] | None = None,
) -> TickReport:
    """Plan, claim and deliver everything due at `now`. Safe to run in several processes."""
    report = TickReport()
    planned = situation_plan(engine, council, now, zone)
    with write_session(engine) as session:
        report.planned = store.enqueue(session, planned.reminders, now)
    current = clock or (lambda: now)
    while True:
        claimed_at = current()
        with write_session(engine) as session:
            claimed = store.claim(session, now=claimed_at, worker=worker, limit=batch)
        if not claimed:
            return report
        claim = (worker, claimed_at)
        _deliver(engine, council, sender, claimed, planned, report, current, zone, sleep, claim)
        if len(claimed) < batch:
            return report


def _deliver(
    engine: Engine,
    council: CouncilInfo,
    sender: Sender,
    claimed: list[store.Claimed],
    planned: Plan,
    report: TickReport,
    current: Callable[[], datetime],
    zone: ZoneInfo,
    sleep: Callable[[float], None],
    claim: tuple[str, datetime],  # (worker, when the batch was claimed)
) -> None:
    contents = _contents(engine, council, claimed, planned, current(), zone)
    worker, claimed_at = claim

    def still_mine(item: store.Claimed) -> bool:
        """No other process takes over a row while its claim is fresh; in a batch slow enough
        for its claims to near staleness, each row is renewed before it is sent."""
        if current() < claimed_at + store.STALE_CLAIM / 2:
            return True
        with write_session(engine) as session:
            return store.still_mine(session, item.id, worker=worker, now=current())

    for item in claimed:
        if not still_mine(item):
            continue  # taken over by another process while this one was slow
        reason, content = contents[item.id]
        if reason is not None:
            with write_session(engine) as session:
                store.mark_dropped(session, item.id, reason=reason)
            report.dropped += 1
            continue
        assert content is not None
        if item.recovered:
            found = sender.find(item.key, item.recipient)
            if found is not None:
                with write_session(engine) as session:
                    store.mark_sent(session, item.id, channel=found[0], ts=found[1], now=current())
                report.recovered += 1
                continue
        waits = 0
        while True:
            try:
                channel, ts = sender.send(item.key, content)
            except Exception as raised:
                error = raised if isinstance(raised, DeliveryError) else None
                if error is None:  # a bug, not Slack: keep this row queued, go on with the rest
                    log.exception("reminder %s could not be built or sent", item.key)
                    error = DeliveryError(f"{type(raised).__name__}: {raised}")
                if (
                    error.retry_after is not None
                    and error.retry_after <= MAX_WAIT
                    and waits < MAX_WAITS_PER_REMINDER
                ):
                    waits += 1
                    report.waited += error.retry_after
                    sleep(error.retry_after)
                    if not still_mine(item):
                        break
                    continue
                delay = timedelta(minutes=RETRY_DELAYS[min(item.attempts, len(RETRY_DELAYS) - 1)])
                if error.retry_after is not None:  # not before Slack said it may be tried again
                    delay = max(delay, timedelta(seconds=error.retry_after))
                log.warning("reminder %s to %s not delivered: %s", item.key, item.recipient, error)
                with write_session(engine) as session:
                    store.mark_retry(session, item.id, error=str(error), at=current() + delay)
                report.retried += 1
                break
            with write_session(engine) as session:
                store.mark_sent(session, item.id, channel=channel, ts=ts, now=current())
            report.sent += 1
            break


def _contents(
    engine: Engine,
    council: CouncilInfo,
    claimed: list[store.Claimed],
    planned: Plan,
    now: datetime,
    zone: ZoneInfo,
) -> dict[int, tuple[str | None, ReminderContent | None]]:
    """Re-read what each reminder depends on, once for the whole batch."""
    today = now.astimezone(zone).date()
    refs = {item.ref for item in claimed if item.ref}
    labels = {item.period.label for item in claimed if item.period}
    calendar = council.calendar
    with read_session(engine) as session:
        measures = load_measures(session, refs=refs) if refs else {}
        raw = workflow_store.recorded_states(session, refs, labels)
        states = {key: State(value) for key, value in raw.items()}
        latest = workflow_store.latest_submissions(session, refs, labels)
        undelivered = store.undelivered(session, now)
        recent = {
            (ref, label): workflow_store.recent_values(
                session, measures[ref], Period.parse(label), limit=1
            )
            for ref in refs
            for label in labels
            if ref in measures
        }
    result: dict[int, tuple[str | None, ReminderContent | None]] = {}
    for item in claimed:
        reason = _still_useful(item, now, states, latest)
        if reason is not None:
            result[item.id] = (reason, None)
            continue
        if item.kind is Kind.DIGEST:
            result[item.id] = (
                None,
                ReminderContent(
                    Kind.DIGEST,
                    item.recipient,
                    overdue=[(m.ref, str(p), m.collector or "", d) for m, p, d in planned.overdue],
                    uncovered=[(who, ref, str(p)) for who, ref, p in planned.uncovered],
                    undelivered=[u for u in undelivered if not u[0].startswith("digest|")],
                ),
            )
            continue
        measure = measures.get(item.ref or "")
        if measure is None or item.period is None:
            result[item.id] = ("the measure is no longer in the register", None)
            continue
        deadline = item.deadline or calendar.deadline(item.period, measure.reporting_lag)
        last = recent.get((measure.ref, item.period.label)) or []
        result[item.id] = (
            None,
            ReminderContent(
                kind=item.kind,
                recipient=item.recipient,
                ref=measure.ref,
                period=item.period,
                measure=measure,
                deadline=deadline,
                deadline_words=deadline_words(deadline, today, calendar),
                last_value=last[0] if last else None,
                target=target_for(measure.targets, item.period, cumulative=measure.rule.cumulative),
                on_behalf_of=item.on_behalf_of,
                version=item.version,
                pending_submission=latest.get((measure.ref, item.period.label), (0, None))[1]
                if item.kind in (Kind.REVIEW, Kind.CARD)
                else None,
            ),
        )
    return result


def preview(
    engine: Engine, council: CouncilInfo, *, at: datetime, zone: ZoneInfo
) -> list[Reminder]:
    """What the day's ticks up to `at` would send, and to whom (nothing is stored or sent).

    Reminders due earlier that day count; those due on earlier days would only go out if the
    bot had been down, so they are left out, as are any already sent or dropped.
    """
    planned = situation_plan(engine, council, at, zone)
    day = at.astimezone(zone).date()
    with read_session(engine) as session:
        done = store.sent_keys(session, [r.key for r in planned.reminders])
    return [
        r
        for r in planned.reminders
        if r.key not in done and r.due_at.astimezone(zone).date() == day
    ]
