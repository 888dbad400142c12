"""The quarterly RAGG summary (PRODUCT §4, §7; seed 002 §6.1.6–6.1.8, §9, §11).

What managers, the Leadership Team and councillors read: counts of Red, Amber, Green, Grey
and missing per priority and overall; the committee view (Amber and Grey on target, a measure
without a target missing data); every Red measure (and Amber, where the council asks for it)
with its commentary and actions to improve (the exception reports); direction of travel; what
is still unapproved or has no target; figures restated since publication; and which Heads of
Service have signed off. Built from one status report, so it costs the same few queries as
`status`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from bot.periods import Period, PeriodKind
from bot.ragg import Committee, Direction, Ragg
from bot.status import DEFAULT_EXCEPTIONS, Publication, StatusReport, StatusRow

ORDER = (Ragg.RED, Ragg.AMBER, Ragg.GREEN, Ragg.GREY, Ragg.NONE)


@dataclass(frozen=True)
class Tally:
    """Counts for a priority, or for the whole council."""

    code: str
    name: str
    counts: dict[Ragg, int]
    directions: dict[Direction, int]
    committee: dict[Committee, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def on_target(self) -> int:
        return self.committee.get(Committee.ON_TARGET, 0)

    @property
    def off_target(self) -> int:
        return self.committee.get(Committee.OFF_TARGET, 0)

    @property
    def missing(self) -> int:
        """Missing data: no approved figure, or no target to judge it by (never a measure
        that is simply not due in the quarter)."""
        return self.committee.get(Committee.MISSING, 0)

    @property
    def on_target_share(self) -> int | None:
        """Whole per cent of reported measures on target (committee view), None if none;
        halves rounded up, as everywhere figures are shown."""
        reported = self.on_target + self.off_target
        if reported == 0:
            return None
        share = Decimal(self.on_target * 100) / Decimal(reported)
        return int(share.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class SignOffState:
    head_of_service: str  # e-mail
    name: str
    measures: int
    signed_at: datetime | None


@dataclass(frozen=True)
class Summary:
    council: str
    quarter: Period
    board_date: date
    rows: list[StatusRow]
    overall: Tally
    priorities: list[Tally]
    signoffs: list[SignOffState] = field(default_factory=list)
    exception_statuses: frozenset[Ragg] = DEFAULT_EXCEPTIONS
    published: Publication | None = None  # the figures as last published, if they were
    # Where the report stands in its sign-off chain ("Draft — awaiting Leadership Team
    # approval"), when the register has a chain after the Heads of Service.
    approval: str | None = None

    @property
    def reds(self) -> list[StatusRow]:
        return [row for row in self.rows if row.status is Ragg.RED]

    @property
    def exceptions(self) -> list[StatusRow]:
        """Rows that need an exception report: Red, and Amber where the council asks for it
        (the register's calendar.exception_reports)."""
        return [row for row in self.rows if row.status in self.exception_statuses]

    @property
    def exception_words(self) -> str:
        """'Red' or 'Red and Amber': which measures have exception reports."""
        return " and ".join(s.word for s in (Ragg.RED, Ragg.AMBER) if s in self.exception_statuses)

    @property
    def unapproved(self) -> list[StatusRow]:
        """Every figure counted as "No data", each with its state (not yet due, overdue,
        awaiting review…): the count and the list come from the same rows."""
        return [row for row in self.rows if row.status is Ragg.NONE]

    @property
    def no_target(self) -> list[StatusRow]:
        """Reported figures with no target to judge them by: missing data, not on target."""
        return [
            row
            for row in self.rows
            if row.committee is Committee.MISSING and row.status is not Ragg.NONE
        ]

    @property
    def restated(self) -> list[StatusRow]:
        return [row for row in self.rows if row.restated is not None]


def tally(code: str, name: str, rows: list[StatusRow]) -> Tally:
    counts = Counter(row.status for row in rows)
    directions = Counter(row.direction for row in rows if row.direction is not None)
    committee = Counter(row.committee for row in rows)
    return Tally(
        code,
        name,
        {status: counts.get(status, 0) for status in ORDER},
        {d: directions.get(d, 0) for d in Direction},
        {view: committee.get(view, 0) for view in Committee},
    )


def build_summary(
    report: StatusReport,
    quarter: Period,
    board_date: date,
    signoffs: list[SignOffState] | None = None,
    *,
    exception_statuses: frozenset[Ragg] = DEFAULT_EXCEPTIONS,
    published: Publication | None = None,
) -> Summary:
    """The quarter's summary from its status report; `published` defaults to the report's
    (the figures as last published, whose later changes are marked restated)."""
    priorities: dict[str, list[StatusRow]] = {}
    names: dict[str, str] = {}
    for row in report.rows:
        priorities.setdefault(row.measure.priority, []).append(row)
        names[row.measure.priority] = row.measure.priority_name
    return Summary(
        council=report.council,
        quarter=quarter,
        board_date=board_date,
        rows=report.rows,
        overall=tally("ALL", report.council, report.rows),
        priorities=[tally(code, names[code], rows) for code, rows in priorities.items()],
        signoffs=signoffs or [],
        exception_statuses=exception_statuses,
        published=published or report.published,
    )


def committee_words(view: Committee) -> str:
    return {
        Committee.ON_TARGET: "on target",
        Committee.OFF_TARGET: "off target",
        Committee.MISSING: "missing data",
    }[view]


def for_priority(summary: Summary, code: str) -> Summary:
    """The same summary restricted to one priority (for that priority's channel)."""
    rows = [row for row in summary.rows if row.measure.priority == code]
    name = rows[0].measure.priority_name if rows else code
    emails = {row.measure.head_of_service for row in rows}
    return Summary(
        council=f"{summary.council} — {code} {name}",
        quarter=summary.quarter,
        board_date=summary.board_date,
        rows=rows,
        overall=tally(code, name, rows),
        priorities=[tally(code, name, rows)],
        signoffs=[s for s in summary.signoffs if s.head_of_service in emails],
        exception_statuses=summary.exception_statuses,
        published=summary.published,
    )


def measures_only(summary: Summary) -> Summary:
    """The same summary without projects (issue 14): for reports about figures against their
    targets, such as the annual outturn report."""
    rows = [row for row in summary.rows if not row.measure.is_project]
    names = {row.measure.priority: row.measure.priority_name for row in rows}
    by_priority: dict[str, list[StatusRow]] = {}
    for row in rows:
        by_priority.setdefault(row.measure.priority, []).append(row)
    return replace(
        summary,
        rows=rows,
        overall=tally(summary.overall.code, summary.overall.name, rows),
        priorities=[tally(code, names[code], found) for code, found in by_priority.items()],
    )


def quarter_for(period: Period) -> Period:
    """The quarter whose summary shows a figure for `period` (PRODUCT §4): the quarter it ends
    in, so a month shows in its quarter, H1 at Q2, H2 and the year at Q4."""
    return Period.containing(PeriodKind.QUARTER, period.end)
