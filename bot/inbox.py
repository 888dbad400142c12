"""A person's outstanding work: figures due from them, figures waiting for their review, and
recent decisions (PRODUCT §7: `/pmf due` and the App Home)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

from sqlalchemy import Engine

from bot import trend
from bot.calendar import WorkingCalendar
from bot.measures import MeasureInfo
from bot.periods import Period, PeriodKind
from bot.permissions import active_cover_for_collector, may_decide
from bot.status import CouncilInfo
from bot.submissions import SubmissionView
from bot.workflow import State, period_state
from storage import queries
from storage import workflow_store as store
from storage.engine import read_session

LOOK_BACK = timedelta(days=366)  # periods that ended in the last year can still be owed
REVIEWS_SHOWN = 10  # reviews shown in full (figure, context, overview, actions) on a page
OWED = {State.DUE, State.OVERDUE, State.REJECTED, State.REOPENED}


@dataclass(frozen=True)
class Owed:
    measure: MeasureInfo
    period: Period
    deadline: date
    state: State


@dataclass(frozen=True)
class Late:
    """A figure overdue in a Head of Service's service, from someone else."""

    owed: Owed
    collector: str  # by name


@dataclass(frozen=True)
class Inbox:
    known: bool
    name: str | None
    due: list[Owed]
    reviews: list[SubmissionView]
    decisions: list[SubmissionView]
    # each review's recent figures and any unusual change, by submission id (issue 13)
    contexts: dict[int, trend.Context] = field(default_factory=dict)
    # None: not a Head of Service; else what is overdue in their service from others, which
    # they are escalated once and would otherwise have to remember (seen walking the sandbox)
    late: list[Late] | None = None


@lru_cache(maxsize=64)
def _periods_back(kind: PeriodKind, today: date) -> tuple[Period, ...]:
    """The periods of this kind that ended in the last year, newest first (the same few
    lists for every measure and every home page of a day)."""
    periods = []
    period = Period.containing(kind, today).previous()
    while period.end >= today - LOOK_BACK:
        periods.append(period)
        period = period.previous()
    return tuple(periods)


@lru_cache(maxsize=256)
def _dated(
    kind: PeriodKind, lag: int, today: date, calendar: WorkingCalendar
) -> tuple[tuple[Period, str, date, date], ...]:
    """Each of those periods with its label, end and deadline (the calendar's working days
    after its end), worked out once per kind of period, reporting lag and day."""
    return tuple(
        (period, period.label, period.end, calendar.deadline(period, lag))
        for period in _periods_back(kind, today)
    )


def inbox(engine: Engine, council: CouncilInfo, *, email: str, today: date) -> Inbox:
    """Everything `email` has to do, oldest deadline first."""
    with read_session(engine) as session:
        name = queries.name_of(session, email)
        if name is None:
            return Inbox(False, None, [], [], [])
        measures = queries.load_measures(session)
        collectors = {m.collector for m in measures.values() if m.collector}
        away = store.absences(session, collectors, today)  # by index, not every leave ever
        mine: list[MeasureInfo] = []
        led: list[MeasureInfo] = []
        heads = False
        for m in measures.values():  # one pass over the register
            if m.collector == email or (
                m.collector in away and active_cover_for_collector(m, away, today) == email
            ):
                mine.append(m)
            elif m.head_of_service == email:
                led.append(m)
            heads = heads or m.head_of_service == email
        kinds = {m.interval.kind for m in [*mine, *led]}
        states = store.recorded_states(
            session,
            [m.ref for m in [*mine, *led]],
            {p.label for kind in kinds for p in _periods_back(kind, today)},
        )
        calendar = council.calendar

        def owed(measure: MeasureInfo) -> list[Owed]:
            found: list[Owed] = []
            dated = _dated(measure.interval.kind, measure.reporting_lag, today, calendar)
            for period, label, end, deadline in dated:
                state = period_state(
                    states.get((measure.ref, label)), period_end=end, deadline=deadline, today=today
                )
                if state in OWED:
                    found.append(Owed(measure, period, deadline, state))
            return found

        due = sorted(
            (item for measure in mine for item in owed(measure)),
            key=lambda item: (item.deadline, item.measure.ref),
        )
        late: list[Late] | None = None
        if heads:
            overdue = sorted(
                (item for measure in led for item in owed(measure) if item.state is State.OVERDUE),
                key=lambda item: (item.deadline, item.measure.ref),
            )
            named = queries.names(session, {item.measure.collector or "" for item in overdue})
            late = [
                Late(item, named.get(item.measure.collector or "", "no collector named"))
                for item in overdue
            ]
        queue = store.review_queue(session, email, today)
        recent = store.recent_decisions(session, email)
        shown = {view.id: view for view in store.views(session, [*queue, *recent], council)}
        waiting = [shown[sid] for sid in queue if sid in shown]
        # the leave of their collectors and reviewers: the collectors' is read already
        people = {v.measure.collector for v in waiting} | {v.measure.reviewer for v in waiting}
        others = {who for who in people if who and who not in collectors}
        absent = {**away, **store.absences(session, others, today)}
        reviews = [  # the rule cards and reminders follow, so a list never offers a refusal
            view
            for view in waiting
            if may_decide(
                email, view.measure, view.submitted_by, absences=absent, today=today
            ).allowed
        ]
        decisions = [shown[sid] for sid in recent if sid in shown]
        in_full = reviews[:REVIEWS_SHOWN]
        history = store.recent_values_of(
            session, [(view.measure, view.period) for view in in_full], limit=trend.LOOK_BACK
        )
        contexts = {
            view.id: trend.context(
                view.measure,
                view.period,
                view.value,
                history.get((view.measure.ref, view.period.label), []),
            )
            for view in in_full
        }
    return Inbox(True, name, due, reviews, decisions, contexts, late)
