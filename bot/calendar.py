"""Working days, deadlines and Performance Board dates (PRODUCT §2, seed 002 §9, seed 001 §3.7).

A working day is a weekday that is neither a bank holiday of the configured UK region (from the
`holidays` package, which knows substitute days and one-off days such as 8 May 2023) nor one of
the council's closure days. A period's deadline is its last day plus the measure's reporting lag
in working days ("within 8 working days of the period end", seed 002 Appendix 2).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from functools import cached_property, lru_cache

import holidays

from bot.periods import Period, PeriodKind

DEFAULT_REPORTING_LAG = 8
DEFAULT_PERFORMANCE_BOARD_WEEKS = 3


class Region(StrEnum):
    """UK bank-holiday regions, as the register's `calendar.region` names them."""

    ENG = "ENG"  # England and Wales
    SCT = "SCT"  # Scotland
    NIR = "NIR"  # Northern Ireland

    @property
    def description(self) -> str:
        return {
            Region.ENG: "England and Wales",
            Region.SCT: "Scotland",
            Region.NIR: "Northern Ireland",
        }[self]


@dataclass(frozen=True)
class WorkingCalendar:
    """The council's working days: weekdays less bank holidays and closure days."""

    region: Region = Region.ENG
    closure_days: frozenset[date] = field(default_factory=frozenset)

    @cached_property
    def _bank_holidays(self) -> holidays.HolidayBase:
        return _country_holidays(self.region.value)

    def bank_holiday(self, day: date) -> str | None:
        """The bank holiday's name on `day`, if it is one."""
        name = self._bank_holidays.get(day)
        return str(name) if name else None

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.closure_days and day not in self._bank_holidays

    def why_not_working(self, day: date) -> str | None:
        """Plain words for why `day` is not a working day, or None when it is one."""
        if day.weekday() >= 5:
            return day.strftime("%A")
        if day in self.closure_days:
            return "a council closure day"
        return self.bank_holiday(day)

    def add_working_days(self, day: date, count: int) -> date:
        """The `count`-th working day after `day` (before it when `count` is negative).

        With `count` 0 the answer is `day` itself if it is a working day, else the next one.
        Remembered per calendar (a status or home page asks for the same few deadlines
        hundreds of times).
        """
        return _add_working_days(self, day, count)

    def _count_working_days(self, day: date, count: int) -> date:
        step = 1 if count >= 0 else -1
        remaining = abs(count)
        current = day
        if remaining == 0:
            while not self.is_working_day(current):
                current += timedelta(days=1)
            return current
        while remaining:
            current += timedelta(days=step)
            if self.is_working_day(current):
                remaining -= 1
        return current

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end` (negative if `end` < `start`)."""
        if end < start:
            return -self.working_days_between(end, start)
        return sum(1 for day in _days(start + timedelta(days=1), end) if self.is_working_day(day))

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after `day`."""
        return self.add_working_days(day, 1)

    def deadline(self, period: Period, reporting_lag: int = DEFAULT_REPORTING_LAG) -> date:
        """Period end plus `reporting_lag` working days (seed 002 Appendix 2)."""
        return self.add_working_days(period.end, reporting_lag)

    def performance_board_date(
        self, quarter: Period, weeks: int = DEFAULT_PERFORMANCE_BOARD_WEEKS
    ) -> date:
        """Quarter end plus `weeks` weeks (seed 001 §3.7: "within three weeks of each quarter
        ending"), moved back to the last working day when it falls on a day off."""
        if quarter.kind is not PeriodKind.QUARTER:
            raise ValueError(f"{quarter} is not a quarter")
        board = quarter.end + timedelta(weeks=weeks)
        while not self.is_working_day(board):
            board -= timedelta(days=1)
        return board

    def non_working_days(self, start: date, end: date) -> Iterator[tuple[date, str]]:
        """Each day off between `start` and `end` inclusive, with the reason."""
        for day in _days(start, end):
            reason = self.why_not_working(day)
            if reason:
                yield day, reason


def make_calendar(
    region: str | Region = Region.ENG, closure_days: Iterable[date] = ()
) -> WorkingCalendar:
    return WorkingCalendar(Region(region), frozenset(closure_days))


def _days(start: date, end: date) -> Iterator[date]:
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


@lru_cache(maxsize=8)
def _country_holidays(subdivision: str) -> holidays.HolidayBase:
    """One bank-holiday table per UK region for the whole process (building one costs more
    than a status answer)."""
    return holidays.country_holidays("GB", subdiv=subdivision)


@lru_cache(maxsize=65536)
def _add_working_days(calendar: WorkingCalendar, day: date, count: int) -> date:
    return calendar._count_working_days(day, count)
