"""Status of measures, aims, priorities and the whole council (PRODUCT §4, §7, §8).

Pure: storage hands in the measures and what is recorded for their periods, and the caller
passes `today`. The same rows feed `pmf-bot status`, `/pmf status` and the summaries.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from bot.calendar import DEFAULT_PERFORMANCE_BOARD_WEEKS, Region, WorkingCalendar
from bot.errors import NotFound
from bot.measures import MeasureInfo
from bot.periods import Interval, Period, PeriodKind, latest_ended
from bot.projects import DEFAULT_AMBER_DAYS, MilestoneReport, MilestoneStanding, project_ragg
from bot.ragg import (
    Committee,
    Direction,
    Ragg,
    Target,
    committee_view,
    direction_of_travel,
    ragg_status,
    target_for,
)
from bot.reminders import Policy
from bot.workflow import State, period_state

if TYPE_CHECKING:
    from bot.chain import ApprovalChain

JSON_KEYS = (
    "ref",
    "title",
    "period",
    "value",
    "target",
    "status",
    "committee",
    "state",
    "direction",
    "direction_year",
    "reason",  # added to PRODUCT §8's keys: why a row is Grey or missing data, else null
)

DEFAULT_EXCEPTIONS = frozenset({Ragg.RED})


@dataclass(frozen=True)
class CouncilInfo:
    """The council and its calendar settings, from the register."""

    name: str
    region: Region = Region.ENG
    closure_days: frozenset[date] = frozenset()
    performance_board_weeks: int = DEFAULT_PERFORMANCE_BOARD_WEEKS
    committee_dates: Mapping[str, Sequence[date]] = field(default_factory=dict)
    channels: Mapping[str, Any] = field(default_factory=dict)
    reminders: Policy = field(default_factory=Policy)
    # Which statuses need an exception report with actions to improve (seed 002 §6.1.8: Red;
    # a council may ask for Amber too, the register's calendar.exception_reports).
    exception_reports: frozenset[Ragg] = DEFAULT_EXCEPTIONS
    # After the Heads of Service: Executive Directors, then the Leadership Team (None: none).
    chain: ApprovalChain | None = None
    # A project's RAGG rule (issue 14): a milestone up to this many working days late is Amber.
    project_amber_days: int = DEFAULT_AMBER_DAYS

    @property
    def calendar(self) -> WorkingCalendar:
        return WorkingCalendar(self.region, self.closure_days)


@dataclass(frozen=True)
class Recorded:
    """What has been recorded for one (measure, period)."""

    state: str
    approved_value: Decimal | None = None
    commentary: str | None = None
    actions: str | None = None
    milestones: tuple[MilestoneReport, ...] | None = None  # a project's approved report

    @property
    def approved(self) -> Decimal | None:
        # Only approved values appear in status (PRODUCT §5); a reopened one is withdrawn.
        return self.approved_value if self.state == State.APPROVED else None


@dataclass(frozen=True)
class Publication:
    """When and by whom a quarter's figures were last published (PRODUCT §4)."""

    at: datetime
    by: str  # a name
    occasion: str  # "posted to #performance", "signed off by Helen Carter"


@dataclass(frozen=True)
class Restatement:
    """A figure changed after the quarter's figures were published (PRODUCT §4): what was
    published, and who changed it, when and why."""

    published_at: datetime
    published_value: Decimal | None
    published_status: Ragg
    by: str  # a name
    at: datetime
    why: str


@dataclass(frozen=True)
class StatusRow:
    measure: MeasureInfo
    period: Period
    deadline: date
    value: Decimal | None
    target: Target | None
    status: Ragg
    committee: Committee
    state: State
    direction: Direction | None
    direction_year: Direction | None
    commentary: str | None = None
    actions: str | None = None
    reason: str | None = None  # why Grey or missing data: not due, monitoring only, no target
    restated: Restatement | None = None
    # A project's milestones as at the period's end, with how late each is (issue 14).
    milestones: tuple[MilestoneStanding, ...] | None = None

    @property
    def shown_value(self) -> str:
        return self.measure.format_value(self.value)

    @property
    def shown_target(self) -> str:
        """The one rule for showing a target beside this row's figure (PRODUCT §4)."""
        return self.measure.format_target(self.target, self.value, self.status)

    @property
    def against_words(self) -> str:
        """'2.48% against 2.00%'; for a project, its milestones and why its RAGG is what it
        is: '2 of 5 milestones done; Heat pumps installed … is at risk at its due date'."""
        if self.measure.is_project:
            return f"{self.shown_value}; {self.reason}" if self.reason else self.shown_value
        return f"{self.shown_value} against {self.shown_target}"

    @property
    def compared_with(self) -> Period:
        """The period `direction` compares with: the previous one, or for a cumulative
        (year-to-date) measure the same period a year earlier (PRODUCT §4)."""
        if self.measure.rule.cumulative:
            return self.period.year_earlier()
        return self.period.previous()

    def as_json(self) -> dict[str, Any]:
        """PRODUCT §8's `status --json` object."""
        value: Any = None
        if self.value is not None:
            value = Target(self.value).as_json()
        return {
            "ref": self.measure.ref,
            "title": self.measure.title,
            "period": self.period.label,
            "value": value,
            "target": self.target.as_json() if self.target is not None else None,
            "status": self.status.value,
            "committee": self.committee.value,
            "state": self.state.value,
            "direction": self.direction.value if self.direction else None,
            "direction_year": self.direction_year.value if self.direction_year else None,
            "reason": self.reason,
        }


_EVERY = {
    Interval.MONTHLY: "monthly",
    Interval.QUARTERLY: "quarterly",
    Interval.BIANNUAL: "half-yearly",
    Interval.ANNUAL: "annually",
}


def not_due_reason(interval: Interval, upcoming: Period) -> str:
    """Why a measure has no figure as at a period: it is next reported later."""
    if interval is Interval.ANNUAL:
        return "annual outturn reported at Q4"
    quarter = Period.containing(PeriodKind.QUARTER, upcoming.end)
    return f"reported {_EVERY[interval]}; next at {quarter}"


def report_period(
    measure: MeasureInfo, requested: Period | None, today: date
) -> tuple[Period, str | None]:
    """The period of the measure's interval that a report uses, and why it is not due.

    With a requested period: the interval's period that ends in or with it (PRODUCT §4, "as
    at": at a quarter, monthly → the quarter's last month, biannual → H1 at Q2 and H2 at Q4,
    annual → the year at Q4). When there is none (a half-yearly measure at Q1), the period in
    progress, with the reason it is not due — never a later period's figure. Without a
    requested period: the measure's most recent ended period (PRODUCT §8).
    """
    if requested is None:
        return latest_ended(measure.interval, today), None
    found = requested.as_at(measure.interval)
    if found is not None:
        return found, None
    upcoming = Period.containing(measure.interval.kind, requested.end)
    return upcoming, not_due_reason(measure.interval, upcoming)


def periods_needed(period: Period, *, cumulative: bool = False) -> tuple[Period, ...]:
    """The period, and those it is compared with for direction of travel."""
    if cumulative:
        return period, period.year_earlier()
    return period, period.previous(), period.year_earlier()


def measure_status(
    measure: MeasureInfo,
    period: Period,
    recorded: Mapping[tuple[str, Period], Recorded],
    *,
    today: date,
    calendar: WorkingCalendar,
    not_due: str | None = None,
    amber_days: int = DEFAULT_AMBER_DAYS,
) -> StatusRow:
    """One measure's status for `period` (PRODUCT §4–5).

    `not_due` (a reason) when the report is as at a period in which this measure reports
    nothing: Grey, no value, state `not_due`. A measure with no target for the year is Grey
    (or, without a value, none) and missing data to committees, never on target. Direction of
    travel compares with the previous period and a year earlier; for a cumulative
    (year-to-date) measure both compare with the same period a year earlier.
    """
    deadline = calendar.deadline(period, measure.reporting_lag)
    target = target_for(measure.targets, period, cumulative=measure.rule.cumulative)
    if not_due is not None:
        return StatusRow(
            measure=measure,
            period=period,
            deadline=deadline,
            value=None,
            target=target,
            status=Ragg.GREY,
            committee=committee_view(Ragg.GREY),
            state=State.NOT_DUE,
            direction=None,
            direction_year=None,
            reason=not_due,
        )
    here = recorded.get((measure.ref, period))
    state = period_state(
        here.state if here else None, period_end=period.end, deadline=deadline, today=today
    )
    value = here.approved if here else None
    if measure.is_project:
        return _project_status(measure, period, deadline, here, state, value, calendar, amber_days)
    status = ragg_status(value, target, measure.rule, outturn_due=today > deadline)
    target_set = target is not None or measure.rule.monitoring_only
    reason = None
    if not target_set:
        reason = f"no target set for {period.financial_year}"
    elif measure.rule.monitoring_only and status is Ragg.GREY:
        reason = "monitoring only"
    elif status is Ragg.GREY and value is None:
        reason = f"outturn not yet due (deadline {deadline:%d %b %Y})"
    year_ago = recorded.get((measure.ref, period.year_earlier()))
    year_ago_value = year_ago.approved if year_ago else None
    if measure.rule.cumulative:
        # Year to date grows through the year: only the same point a year earlier compares.
        previous_value = year_ago_value
    else:
        previous = recorded.get((measure.ref, period.previous()))
        previous_value = previous.approved if previous else None
    return StatusRow(
        measure=measure,
        period=period,
        deadline=deadline,
        value=value,
        target=target,
        status=status,
        committee=committee_view(status, target_set=target_set),
        state=state,
        direction=direction_of_travel(value, previous_value, measure.polarity, target),
        direction_year=direction_of_travel(value, year_ago_value, measure.polarity, target),
        commentary=here.commentary if here and value is not None else None,
        actions=here.actions if here and value is not None else None,
        reason=reason,
    )


def _project_status(
    measure: MeasureInfo,
    period: Period,
    deadline: date,
    here: Recorded | None,
    state: State,
    value: Decimal | None,
    calendar: WorkingCalendar,
    amber_days: int,
) -> StatusRow:
    """A project's row: its RAGG from the approved milestone report, as at the period's end
    (issue 14); no approved report is no data, as for a measure. Direction of travel is not
    given: milestones, not a figure, say how a project is going."""
    reports = here.milestones if here is not None and value is not None else None
    status, reason, standings = Ragg.NONE, None, None
    if reports is not None:
        found = project_ragg(reports, as_at=period.end, calendar=calendar, amber_days=amber_days)
        status, reason, standings = found.status, found.reason, found.standings
    return StatusRow(
        measure=measure,
        period=period,
        deadline=deadline,
        value=value,
        target=None,
        status=status,
        committee=committee_view(status),
        state=state,
        direction=None,
        direction_year=None,
        commentary=here.commentary if here and value is not None else None,
        actions=here.actions if here and value is not None else None,
        reason=reason,
        milestones=standings,
    )


def with_restatements(
    report: StatusReport,
    published: Publication,
    restated: Mapping[tuple[str, Period], Restatement],
) -> StatusReport:
    """The report with its publication, and each row changed since marked restated."""
    rows = [
        replace(row, restated=restated[(row.measure.ref, row.period)])
        if (row.measure.ref, row.period) in restated and row.state is not State.NOT_DUE
        else row
        for row in report.rows
    ]
    return replace(report, rows=rows, published=published)


@dataclass(frozen=True)
class Scope:
    """What a REF names: one measure, an aim, a priority or the whole council."""

    kind: str  # "measure" | "aim" | "priority" | "council"
    code: str | None
    measures: list[MeasureInfo]


def resolve_scope(measures: Mapping[str, MeasureInfo], ref: str | None) -> Scope:
    """Find what `ref` names; an unknown ref raises `NotFound` with the closest matches."""
    if ref is None or not ref.strip():
        return Scope("council", None, list(measures.values()))
    wanted = ref.strip().upper()
    if wanted in measures:
        return Scope("measure", wanted, [measures[wanted]])
    for kind, key in (("aim", "aim"), ("priority", "priority")):
        chosen = [m for m in measures.values() if getattr(m, key) == wanted]
        if chosen:
            return Scope(kind, wanted, chosen)
    known = (
        list(measures)
        + sorted({m.aim for m in measures.values()})
        + sorted({m.priority for m in measures.values()})
    )
    close = difflib.get_close_matches(wanted, known, n=3, cutoff=0.5)
    raise NotFound(f"There is no measure, aim or priority called '{ref.strip()}'.", close)


@dataclass(frozen=True)
class StatusReport:
    council: str
    scope: Scope
    requested: Period | None
    rows: list[StatusRow]
    published: Publication | None = None  # the quarter's figures as last published

    def counts(self) -> Counter[Ragg]:
        return Counter(row.status for row in self.rows)

    def committee_counts(self) -> Counter[Committee]:
        return Counter(row.committee for row in self.rows)

    def as_json(self) -> list[dict[str, Any]]:
        return [row.as_json() for row in self.rows]


def build_report(
    council: CouncilInfo,
    scope: Scope,
    requested: Period | None,
    recorded: Mapping[tuple[str, Period], Recorded],
    *,
    today: date,
) -> StatusReport:
    calendar = council.calendar
    rows = []
    for measure in scope.measures:
        period, not_due = report_period(measure, requested, today)
        rows.append(
            measure_status(
                measure,
                period,
                recorded,
                today=today,
                calendar=calendar,
                not_due=not_due,
                amber_days=council.project_amber_days,
            )
        )
    return StatusReport(council.name, scope, requested, rows)


def wanted_periods(
    measures: Iterable[MeasureInfo], requested: Period | None, today: date
) -> dict[str, set[Period]]:
    """For each measure, the periods whose records a report needs (the period and its
    comparisons): what storage should load, and nothing more."""
    wanted: dict[str, set[Period]] = {}
    for measure in measures:
        period, not_due = report_period(measure, requested, today)
        if not_due is None:
            wanted[measure.ref] = set(periods_needed(period, cumulative=measure.rule.cumulative))
    return wanted
