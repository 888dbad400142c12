"""The quarterly RAGG summary (PRODUCT §4, §7; seed 002 §6.1.6–6.1.8, §9, §11).

What managers, the Leadership Team and councillors read: counts of Red, Amber, Green, Grey
and missing per priority and overall; the committee view (Amber and Grey on target); every Red
measure with its commentary and actions to improve (the exception reports); direction of
travel against the previous quarter; what is still unapproved; and which Heads of Service have
signed off. Built from one status report, so it costs the same few queries as `status`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from bot.periods import Period
from bot.ragg import Committee, Direction, Ragg
from bot.status import StatusReport, StatusRow
from bot.workflow import State

ORDER = (Ragg.RED, Ragg.AMBER, Ragg.GREEN, Ragg.GREY, Ragg.NONE)


@dataclass(frozen=True)
class Tally:
    """Counts for a priority, or for the whole council."""

    code: str
    name: str
    counts: dict[Ragg, int]
    directions: dict[Direction, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def on_target(self) -> int:
        return self.counts[Ragg.AMBER] + self.counts[Ragg.GREEN] + self.counts[Ragg.GREY]

    @property
    def off_target(self) -> int:
        return self.counts[Ragg.RED]

    @property
    def missing(self) -> int:
        return self.counts[Ragg.NONE]

    @property
    def on_target_share(self) -> int | None:
        """Whole per cent of reported measures on target (committee view), None if none."""
        reported = self.on_target + self.off_target
        return None if reported == 0 else round(self.on_target * 100 / reported)


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

    @property
    def reds(self) -> list[StatusRow]:
        return [row for row in self.rows if row.status is Ragg.RED]

    @property
    def unapproved(self) -> list[StatusRow]:
        """Figures whose period has ended but that are not approved yet."""
        return [
            row for row in self.rows if row.status is Ragg.NONE and row.state is not State.NOT_DUE
        ]


def tally(code: str, name: str, rows: list[StatusRow]) -> Tally:
    counts = Counter(row.status for row in rows)
    directions = Counter(row.direction for row in rows if row.direction is not None)
    return Tally(
        code,
        name,
        {status: counts.get(status, 0) for status in ORDER},
        {d: directions.get(d, 0) for d in Direction},
    )


def build_summary(
    report: StatusReport,
    quarter: Period,
    board_date: date,
    signoffs: list[SignOffState] | None = None,
) -> Summary:
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
    )


def quarter_for(period: Period) -> Period:
    """The quarter whose summary shows a figure for `period` (PRODUCT §4): the quarter it ends
    in, so a month shows in its quarter, H1 at Q2, H2 and the year at Q4."""
    from bot.periods import PeriodKind

    return Period.containing(PeriodKind.QUARTER, period.end)
