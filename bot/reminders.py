"""Which reminders are due, to whom, and until when (PRODUCT §6, seed 002 §10.6–10.7, §11.2).

Pure: the planner takes the register, what is recorded, who is away and `now`, and returns the
reminders whose moment has come and whose use has not passed. Each has a key unique per
(measure, period, kind, recipient), so storing them with "insert if new" makes delivery happen
once whatever the number of ticks, restarts or processes.

Defaults: the collector at 5 and 1 working days before the deadline and on the deadline day,
at 09:00 local, only while nothing is submitted; the reviewer once a version has waited 2
working days; on the first working day after a missed deadline, the Head of Service
(escalation) and the admins (a missing-data digest, listing every figure overdue); then the
collector again every 2 working days (an overdue nudge, on days counted back from the Board
date, so one collector's figures are nudged together) until the figure is in or the quarter's
Performance Board date has passed. Nothing on non-working days.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.calendar import WorkingCalendar
from bot.measures import MeasureInfo
from bot.periods import Period, PeriodKind
from bot.permissions import Absence, away_today, reviewers_now
from bot.ragg import Target
from bot.workflow import State

OUTSTANDING = {None, State.REJECTED, State.REOPENED}  # nothing awaiting review or approved


class Kind(StrEnum):
    """What an outbox row delivers: the planned reminders, and what a change needs sent."""

    BEFORE = "before"
    DEADLINE_DAY = "deadline_day"
    REVIEW = "review"
    ESCALATION = "escalation"
    OVERDUE = "overdue"  # a nudge to the collector every few working days after the deadline
    DIGEST = "digest"
    CARD = "card"  # a review card for a submitted version, to one decider
    CARD_REFRESH = "card_refresh"  # rewrite every copy of a submission's card as it stands
    NOTICE = "notice"  # a one-off message to a person about a submission (payload says which)
    HOME = "home"  # refresh a person's home page
    CLOSE = "close"  # a figure was submitted: its collector reminders say so
    CORRECTION = "correction"  # a late approval: restate the summaries already posted


PLANNED = frozenset(
    {Kind.BEFORE, Kind.DEADLINE_DAY, Kind.OVERDUE, Kind.REVIEW, Kind.ESCALATION, Kind.DIGEST}
)
COLLECTOR_KINDS = (Kind.BEFORE, Kind.DEADLINE_DAY, Kind.OVERDUE)  # answered by submitting


@dataclass(frozen=True)
class Policy:
    """The register's `calendar.reminders` settings."""

    before: tuple[int, ...] = (5, 1)
    deadline_day: bool = True
    at: time = time(9, 0)
    review_after: int = 2
    escalate: bool = True
    overdue_every: int = 2  # working days between overdue nudges; 0: none


@dataclass(frozen=True)
class Pending:
    """A version waiting for review."""

    ref: str
    period: Period
    version: int
    submitted_at: datetime
    submitted_by: str


@dataclass(frozen=True)
class Reminder:
    kind: Kind
    ref: str | None
    period: Period | None
    recipient: str  # e-mail
    due_at: datetime  # aware
    expires_at: datetime
    deadline: date | None = None
    working_days_before: int | None = None
    on_behalf_of: str | None = None  # the person away, when the cover receives it
    version: int | None = None  # review reminders: the version waiting
    # BEFORE: working days before the deadline; OVERDUE: working days after it
    snoozed: bool = False  # sent again the next working day at the collector's asking
    # ESCALATION: every figure escalated to this Head of Service that day, oldest first:
    # (ref, period label, deadline) — one message per Head of Service per day, not per measure
    figures: tuple[tuple[str, str, date], ...] = ()

    @property
    def payload(self) -> dict[str, object] | None:
        """What the outbox row keeps beside its key (an escalation's figures)."""
        if not self.figures:
            return None
        return {"figures": [[ref, period, due.isoformat()] for ref, period, due in self.figures]}

    @property
    def key(self) -> str:
        if self.snoozed:
            return f"snoozed-{replace(self, snoozed=False).key}"
        kind = self.kind.value
        if self.kind is Kind.BEFORE:
            kind = f"before-{self.working_days_before}"
        elif self.kind is Kind.OVERDUE:
            kind = f"overdue-{self.working_days_before}"
        elif self.kind in (Kind.REVIEW, Kind.CARD):
            kind = f"{self.kind.value}-v{self.version}"
        elif self.kind is Kind.DIGEST:
            return f"digest|{self.due_at.date().isoformat()}|{self.recipient}"
        elif self.kind is Kind.ESCALATION and self.ref is None:
            behalf = f"|{self.on_behalf_of}" if self.on_behalf_of else ""
            return f"escalation|{self.due_at.date().isoformat()}|{self.recipient}{behalf}"
        return f"{kind}|{self.ref}|{self.period}|{self.recipient}"

    def as_json(self) -> dict[str, object]:
        data: dict[str, object] = {
            "kind": self.kind.value,
            "ref": self.ref,
            "period": self.period.label if self.period else None,
            "recipient": self.recipient,
            "deadline": self.deadline.isoformat() if self.deadline else None,
        }
        if self.kind is Kind.BEFORE:
            data["working_days_before"] = self.working_days_before
        if self.kind is Kind.OVERDUE:
            data["working_days_after"] = self.working_days_before
        if self.figures:
            data["figures"] = [
                {"ref": ref, "period": period, "deadline": due.isoformat()}
                for ref, period, due in self.figures
            ]
        return data


@dataclass(frozen=True, slots=True)
class Undelivered:
    """One person's messages still being retried: a line of the admins' digest, however
    many there are (200 failing reminders to 20 people are 20 lines)."""

    to: str  # e-mail
    surface: str | None  # the chat they last used ("slack", "teams"), None if none yet
    count: int
    oldest: date  # the day the oldest was due to go, in the council's time zone
    error: str  # what went wrong with the oldest, as last recorded


def undelivered_by_person(
    failing: Iterable[tuple[str, str | None, datetime, str]], zone: ZoneInfo
) -> list[Undelivered]:
    """(to, surface, due at, error) of every message still failing, as one line per person,
    the longest waiting first."""
    found: dict[str, list[tuple[str | None, datetime, str]]] = {}
    for to, surface, due_at, error in failing:
        found.setdefault(to, []).append((surface, due_at, error))
    lines = []
    for to, items in found.items():
        surface, due_at, error = min(items, key=lambda item: item[1])
        lines.append(Undelivered(to, surface, len(items), due_at.astimezone(zone).date(), error))
    return sorted(lines, key=lambda line: (line.oldest, -line.count, line.to))


@dataclass(frozen=True)
class ReminderContent:
    """What a reminder says, read afresh when it is delivered."""

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
    # ref, period, collector, deadline, Head of Service: every figure overdue
    overdue: list[tuple[str, str, str, date, str]] = field(default_factory=list)
    uncovered: list[tuple[str, str, str]] = field(default_factory=list)  # who, ref, period
    undelivered: list[Undelivered] = field(default_factory=list)  # one per person
    progress: tuple[int, int, str] | None = None  # (figures in, figures owed, quarter)
    key: str | None = None  # the outbox row's key: what "Remind me tomorrow" names
    # the collector's open tracked actions past their due date (they own the action or
    # collect its measure): ref, words, due date, progress word (issue 14)
    late_actions: list[tuple[str, str, date, str]] = field(default_factory=list)
    # an escalation's collector on leave today: (until, cover's e-mail or None)
    collector_away: tuple[date, str | None] | None = None
    # ESCALATION: the Head of Service's overdue figures, oldest first:
    # (measure, period, deadline, deadline in words, collector away: (until, cover) or None)
    escalated: list[tuple[MeasureInfo, Period, date, str, tuple[date, str | None] | None]] = field(
        default_factory=list
    )


@dataclass(frozen=True)
class Situation:
    """Everything the planner needs to know, read from storage."""

    measures: Sequence[MeasureInfo]
    states: Mapping[tuple[str, str], State]  # (ref, period label) → recorded state
    pending: Sequence[Pending]
    absences: Mapping[str, list[Absence]]
    admins: Sequence[str]
    calendar: WorkingCalendar
    zone: ZoneInfo
    policy: Policy = field(default_factory=Policy)
    board_weeks: int = 3  # the Performance Board meets this many weeks after a quarter ends


@dataclass(frozen=True)
class Plan:
    reminders: list[Reminder]
    uncovered: list[tuple[str, str, Period]]  # (person away without cover, ref, period)
    overdue: list[tuple[MeasureInfo, Period, date]]


def _at(day: date, moment: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, moment, tzinfo=zone)


def _end_of(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=zone)


LOOK_BACK = timedelta(days=366)  # periods that ended in the last year can still be owed


def periods_in_play(measure: MeasureInfo, today: date, calendar: WorkingCalendar) -> list[Period]:
    """Ended periods that can still be owed: those that ended in the last year (the digest
    lists every one overdue; reminders and nudges only go while their moment lasts)."""
    found = []
    period = Period.containing(measure.interval.kind, today).previous()
    while period.end >= today - LOOK_BACK:
        found.append(period)
        period = period.previous()
    return found


def board_date(period: Period, calendar: WorkingCalendar, weeks: int) -> date:
    """The Performance Board date of the quarter a period is reported in (the quarter its
    last day falls in)."""
    quarter = Period.containing(PeriodKind.QUARTER, period.end)
    return calendar.performance_board_date(quarter, weeks)


def nudge_day(
    deadline: date, board: date, today: date, every: int, calendar: WorkingCalendar
) -> tuple[int, date, date | None] | None:
    """The overdue nudge whose day has come by `today`: (working days after the deadline, its
    day, the next nudge's day or None); None before the first.

    Nudge days count back from the Board date in steps of `every` working days, so every figure
    reported in one quarter is nudged on the same days whatever its deadline: a collector who
    owes several hears once every `every` working days, never on alternate days for each. The
    first nudge is the first such day after the deadline (1 to `every` working days after it);
    the last is the Board date."""
    if every <= 0 or today <= deadline:
        return None
    last = min(today, board)
    back = -(-calendar.working_days_between(last, board) // every) * every  # ceil to a step
    day = calendar.add_working_days(board, -back) if back else board
    if day <= deadline:
        return None
    following = calendar.add_working_days(board, -(back - every)) if back else None
    return calendar.working_days_between(deadline, day), day, following


def _recipient(
    email: str | None, cover: str | None, situation: Situation, day: date
) -> tuple[str | None, str | None]:
    """(who receives it, on whose behalf): the cover while the person is away."""
    if email is None:
        return None, None
    absence = away_today(situation.absences, email, day)
    if absence is None:
        return email, None
    chosen = absence.cover or cover
    return chosen, email


def plan(situation: Situation, now: datetime) -> Plan:
    """The reminders whose moment is at or before `now` and whose use has not passed."""
    now = now.astimezone(situation.zone)
    today = now.date()
    calendar, zone, policy = situation.calendar, situation.zone, situation.policy
    found: list[Reminder] = []
    uncovered: list[tuple[str, str, Period]] = []
    overdue: list[tuple[MeasureInfo, Period, date]] = []
    digest_days: set[date] = set()  # days whose escalations or unsent reminders need a digest
    # (Head of Service or their cover, on behalf of, escalation day) → figures escalated
    escalations: dict[tuple[str, str | None, date], list[tuple[str, str, date]]] = {}
    if not calendar.is_working_day(today):
        return Plan([], [], [])

    def current(due: datetime, expires: datetime) -> bool:
        return due <= now < expires

    def offer(reminder: Reminder) -> None:
        if current(reminder.due_at, reminder.expires_at):
            found.append(reminder)

    for measure in situation.measures:
        for period in periods_in_play(measure, today, calendar):
            deadline = calendar.deadline(period, measure.reporting_lag)
            state = situation.states.get((measure.ref, period.label))
            if state not in OUTSTANDING:
                continue
            if today > deadline:
                overdue.append((measure, period, deadline))
            moments: list[tuple[Kind, int | None, date]] = [
                (Kind.BEFORE, n, calendar.add_working_days(deadline, -n))
                for n in sorted(set(policy.before), reverse=True)
                if n > 0
            ]
            if policy.deadline_day:
                moments.append((Kind.DEADLINE_DAY, None, deadline))
            for index, (kind, n, day) in enumerate(moments):
                if day <= period.end or day > today:
                    continue
                later = moments[index + 1][2] if index + 1 < len(moments) else None
                expires = _at(later, policy.at, zone) if later else _end_of(deadline, zone)
                who, behalf = _recipient(measure.collector, measure.cover, situation, day)
                if who is None:
                    # Reported once, in the digest of the day this reminder could not go.
                    if measure.collector and current(_at(day, policy.at, zone), expires):
                        uncovered.append((measure.collector, measure.ref, period))
                        digest_days.add(day)
                    continue
                offer(
                    Reminder(
                        kind,
                        measure.ref,
                        period,
                        who,
                        _at(day, policy.at, zone),
                        expires,
                        deadline,
                        n,
                        behalf,
                    )
                )
            nudge = nudge_day(
                deadline,
                board_date(period, calendar, situation.board_weeks),
                today,
                policy.overdue_every,
                calendar,
            )
            if nudge is not None:
                after, day, following = nudge
                expires = (
                    _at(following, policy.at, zone)
                    if following
                    else _end_of(calendar.next_working_day(day), zone)
                )
                who, behalf = _recipient(measure.collector, measure.cover, situation, day)
                if who is not None:
                    offer(
                        Reminder(
                            Kind.OVERDUE,
                            measure.ref,
                            period,
                            who,
                            _at(day, policy.at, zone),
                            expires,
                            deadline,
                            after,
                            behalf,
                        )
                    )
            escalation_day = calendar.next_working_day(deadline)
            if policy.escalate and escalation_day <= today and measure.head_of_service:
                due = _at(escalation_day, policy.at, zone)
                expires = _end_of(calendar.next_working_day(escalation_day), zone)
                if current(due, expires):
                    digest_days.add(escalation_day)
                who, behalf = _recipient(measure.head_of_service, None, situation, escalation_day)
                if who is None:
                    if current(due, expires):
                        uncovered.append((measure.head_of_service, measure.ref, period))
                    continue
                if current(due, expires):
                    escalations.setdefault((who, behalf, escalation_day), []).append(
                        (measure.ref, period.label, deadline)
                    )
    by_ref = {measure.ref: measure for measure in situation.measures}
    for waiting in situation.pending:
        reviewed = by_ref.get(waiting.ref)
        if reviewed is None or policy.review_after <= 0:
            continue
        submitted_day = waiting.submitted_at.astimezone(zone).date()
        day = calendar.add_working_days(submitted_day, policy.review_after)
        if day > today:
            continue
        deadline = calendar.deadline(waiting.period, reviewed.reporting_lag)
        now_reviewing = reviewers_now(
            reviewed, waiting.submitted_by, absences=situation.absences, today=day
        )
        if not now_reviewing:
            continue
        who = now_reviewing[0]
        away = away_today(situation.absences, reviewed.reviewer, day)
        behalf = reviewed.reviewer if away is not None and who == away.cover else None
        offer(
            Reminder(
                Kind.REVIEW,
                reviewed.ref,
                waiting.period,
                who,
                _at(day, policy.at, zone),
                _end_of(calendar.next_working_day(day), zone),
                deadline,
                on_behalf_of=behalf,
                version=waiting.version,
            )
        )
    for (who, behalf, day), figures in escalations.items():
        # One message per Head of Service per escalation day, listing every figure that fell
        # overdue for it (seed 002 §10.3); its key names the day, so it goes once.
        figures.sort(key=lambda figure: (figure[2], figure[0], figure[1]))
        found.append(
            Reminder(
                Kind.ESCALATION,
                None,
                None,
                who,
                _at(day, policy.at, zone),
                _end_of(calendar.next_working_day(day), zone),
                on_behalf_of=behalf,
                figures=tuple(figures),
            )
        )
    if digest_days:
        # One digest per day that needs one: the escalation day's is not sent again on the
        # next day, while that escalation can still be caught up.
        day = max(digest_days)
        for admin in situation.admins:
            offer(
                Reminder(
                    Kind.DIGEST,
                    None,
                    None,
                    admin,
                    _at(day, policy.at, zone),
                    _end_of(calendar.next_working_day(day), zone),
                )
            )
    found.sort(key=lambda r: (r.due_at, r.kind.value, r.ref or "", r.recipient))
    return Plan(found, uncovered, overdue)


def deadline_words(deadline: date, today: date, calendar: WorkingCalendar) -> str:
    """'in 3 working days — Thu 10 Jul', 'today — Thu 10 Jul', '2 working days ago — …'."""
    label = deadline.strftime("%a %d %b")
    if deadline == today:
        return f"today — {label}"
    days = calendar.working_days_between(today, deadline)
    if deadline > today:
        return f"in {max(days, 1)} working day{'s' if max(days, 1) != 1 else ''} — {label}"
    late = max(-days, 1)
    return f"{late} working day{'s' if late != 1 else ''} ago — {label}"


def distinct(reminders: Iterable[Reminder]) -> list[Reminder]:
    seen: dict[str, Reminder] = {}
    for reminder in reminders:
        seen.setdefault(reminder.key, reminder)
    return list(seen.values())


SNOOZED = "snoozed-"


def snooze(
    reminder: Reminder, today: date, policy: Policy, calendar: WorkingCalendar, zone: ZoneInfo
) -> Reminder:
    """The same reminder again at the next working day's reminder time (it lasts that day)."""
    day = calendar.next_working_day(today)
    return replace(
        reminder,
        due_at=_at(day, policy.at, zone),
        expires_at=_end_of(day, zone),
        snoozed=True,
    )
