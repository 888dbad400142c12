"""Status of measures, aims, priorities and the whole council (PRODUCT §4, §7, §8).

Pure: storage hands in the measures and what is recorded for their periods, and the caller
passes `today`. The same rows feed `pmf-bot status`, `/pmf status` and the summaries.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from bot.calendar import DEFAULT_PERFORMANCE_BOARD_WEEKS, Region, WorkingCalendar
from bot.errors import NotFound
from bot.measures import MeasureInfo
from bot.periods import Period, latest_ended
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
)


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

    @property
    def approved(self) -> Decimal | None:
        # Only approved values appear in status (PRODUCT §5); a reopened one is withdrawn.
        return self.approved_value if self.state == State.APPROVED else None


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
        }


def report_period(measure: MeasureInfo, requested: Period | None, today: date) -> Period:
    """The period of the measure's interval that a report uses.

    With a requested period: the interval's period containing its last day (PRODUCT §4: at a
    quarter, monthly → the quarter's last month, biannual → H1 at Q2 and H2 at Q4, annual → the
    year). Without: the measure's most recent ended period (PRODUCT §8).
    """
    if requested is not None:
        return requested.in_interval(measure.interval)
    return latest_ended(measure.interval, today)


def periods_needed(period: Period) -> tuple[Period, Period, Period]:
    """The period, and the two it is compared with for direction of travel."""
    return period, period.previous(), period.year_earlier()


def measure_status(
    measure: MeasureInfo,
    period: Period,
    recorded: Mapping[tuple[str, Period], Recorded],
    *,
    today: date,
    calendar: WorkingCalendar,
) -> StatusRow:
    """One measure's status for `period` (PRODUCT §4–5)."""
    deadline = calendar.deadline(period, measure.reporting_lag)
    here = recorded.get((measure.ref, period))
    state = period_state(
        here.state if here else None, period_end=period.end, deadline=deadline, today=today
    )
    value = here.approved if here else None
    target = target_for(measure.targets, period, cumulative=measure.rule.cumulative)
    status = ragg_status(value, target, measure.rule, outturn_due=today > deadline)
    previous = recorded.get((measure.ref, period.previous()))
    year_ago = recorded.get((measure.ref, period.year_earlier()))
    return StatusRow(
        measure=measure,
        period=period,
        deadline=deadline,
        value=value,
        target=target,
        status=status,
        committee=committee_view(status),
        state=state,
        direction=direction_of_travel(
            value, previous.approved if previous else None, measure.polarity, target
        ),
        direction_year=direction_of_travel(
            value, year_ago.approved if year_ago else None, measure.polarity, target
        ),
        commentary=here.commentary if here and value is not None else None,
        actions=here.actions if here and value is not None else None,
    )


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
    rows = [
        measure_status(
            measure,
            report_period(measure, requested, today),
            recorded,
            today=today,
            calendar=calendar,
        )
        for measure in scope.measures
    ]
    return StatusReport(council.name, scope, requested, rows)


def wanted_periods(
    measures: Iterable[MeasureInfo], requested: Period | None, today: date
) -> dict[str, set[Period]]:
    """For each measure, the periods whose records a report needs (the period and its two
    comparisons): what storage should load, and nothing more."""
    return {
        measure.ref: set(periods_needed(report_period(measure, requested, today)))
        for measure in measures
    }
