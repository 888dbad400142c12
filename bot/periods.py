"""Reporting periods of the council's financial year (PRODUCT §2, seed 002 §9).

The financial year runs 1 April – 31 March and is labelled ``2025-26``. Canonical labels:

* year ``2025-26``
* half ``2025-26 H1`` (Apr–Sep) and ``2025-26 H2`` (Oct–Mar)
* quarter ``2025-26 Q1`` (Apr–Jun) … ``2025-26 Q4`` (Jan–Mar)
* month ``2025-07`` (ISO year-month)

`Period.parse` also accepts the spellings officers type (``2025/26``, ``Q1 2025-26``,
``2025-26 q1``, ``2025-26-Q1``, ``Jul 2025``) and `str(period)` always prints the canonical form.
"""

from __future__ import annotations

import calendar as _calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from fractions import Fraction


class PeriodError(ValueError):
    """A period label that cannot be read; the message says what is accepted."""


class PeriodKind(StrEnum):
    YEAR = "year"
    HALF = "half"
    QUARTER = "quarter"
    MONTH = "month"


class Interval(StrEnum):
    """A measure's collection interval (seed 002 Appendix 2)."""

    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    BIANNUAL = "biannual"
    ANNUAL = "annual"

    @property
    def kind(self) -> PeriodKind:
        return _INTERVAL_KIND[self]


_INTERVAL_KIND = {
    Interval.MONTHLY: PeriodKind.MONTH,
    Interval.QUARTERLY: PeriodKind.QUARTER,
    Interval.BIANNUAL: PeriodKind.HALF,
    Interval.ANNUAL: PeriodKind.YEAR,
}

# Number of months in one period of each kind, and how many such periods fit in a year.
_MONTHS = {PeriodKind.YEAR: 12, PeriodKind.HALF: 6, PeriodKind.QUARTER: 3, PeriodKind.MONTH: 1}
_COUNT = {PeriodKind.YEAR: 1, PeriodKind.HALF: 2, PeriodKind.QUARTER: 4, PeriodKind.MONTH: 12}

_MONTH_NAMES = {
    name.lower(): number
    for number in range(1, 13)
    for name in (_calendar.month_name[number], _calendar.month_abbr[number])
} | {"sept": 9}

EXAMPLES = "2025-26, 2025-26 Q1, 2025-26 H2 or 2025-07"


def fy_label(fy: int) -> str:
    """``2025`` → ``2025-26``: the financial year starting in April of `fy`."""
    return f"{fy}-{(fy + 1) % 100:02d}"


def fy_of(day: date) -> int:
    """The starting calendar year of the financial year that contains `day`."""
    return day.year if day.month >= 4 else day.year - 1


@dataclass(frozen=True, slots=True)
class Period:
    """One reporting period: its kind, financial year (by starting year) and position in it."""

    kind: PeriodKind
    fy: int
    index: int  # 1-based position within the financial year

    def __post_init__(self) -> None:
        if not 1 <= self.index <= _COUNT[self.kind]:
            raise PeriodError(f"a {self.kind} has no number {self.index}")
        if not 1900 <= self.fy <= 2999:
            raise PeriodError(f"year {self.fy} is out of range")

    # -- construction -----------------------------------------------------------------------

    @classmethod
    def year(cls, fy: int) -> Period:
        return cls(PeriodKind.YEAR, fy, 1)

    @classmethod
    def containing(cls, kind: PeriodKind, day: date) -> Period:
        """The period of `kind` that contains `day`."""
        fy = fy_of(day)
        month_index = (day.month - 4) % 12  # 0 = April
        return cls(kind, fy, month_index // _MONTHS[kind] + 1)

    @classmethod
    def parse(cls, text: str) -> Period:
        """Read a period label in any accepted spelling; raise `PeriodError` otherwise."""
        found = _PARSED.get(text) if type(text) is str else None
        if found is None:
            found = cls._parse(text)
            if type(text) is str and len(_PARSED) < 10_000:  # labels read back from storage
                _PARSED[text] = found
        return found

    @classmethod
    def _parse(cls, text: str) -> Period:
        raw = " ".join(str(text).strip().split())
        if not raw:
            raise PeriodError(f"a period is needed, such as {EXAMPLES}")
        cleaned = raw.upper().replace("/", "-")
        match = _YEAR_PART.fullmatch(cleaned)
        if match and not _looks_like_month(match):
            return cls.year(_fy_from(match, raw, bare=True))
        match = _SUB_AFTER.fullmatch(cleaned) or _SUB_BEFORE.fullmatch(cleaned)
        if match:
            fy = _fy_from(match, raw)
            letter, number = match.group("letter"), int(match.group("num"))
            kind = PeriodKind.QUARTER if letter == "Q" else PeriodKind.HALF
            if not 1 <= number <= _COUNT[kind]:
                raise PeriodError(
                    f"'{raw}' is not a period: a year has quarters Q1–Q4 and halves H1–H2"
                )
            return cls(kind, fy, number)
        match = _ISO_MONTH.fullmatch(cleaned)
        if match:
            return cls._month(int(match.group("year")), int(match.group("month")), raw)
        match = _NAMED_MONTH.fullmatch(raw.lower())
        if match and match.group("name") in _MONTH_NAMES:
            return cls._month(int(match.group("year")), _MONTH_NAMES[match.group("name")], raw)
        raise PeriodError(f"'{raw}' is not a period label; write it like {EXAMPLES}")

    @classmethod
    def _month(cls, year: int, month: int, raw: str) -> Period:
        if not 1 <= month <= 12:
            raise PeriodError(f"'{raw}' is not a month: months run 01 to 12")
        return cls.containing(PeriodKind.MONTH, date(year, month, 1))

    # -- what the period covers ---------------------------------------------------------------

    # start, end and label are asked for hundreds of thousands of times in a big import, of a
    # few hundred distinct periods: each is worked out once per process (a period is immutable)

    @property
    def start(self) -> date:
        found = _STARTS.get(self)
        if found is None:
            found = _STARTS[self] = _add_months(
                date(self.fy, 4, 1), (self.index - 1) * _MONTHS[self.kind]
            )
        return found

    @property
    def end(self) -> date:
        found = _ENDS.get(self)
        if found is None:
            found = _ENDS[self] = _add_months(self.start, _MONTHS[self.kind]) - timedelta(days=1)
        return found

    @property
    def label(self) -> str:
        found = _LABELS.get(self)
        if found is None:
            found = _LABELS[self] = self._label()
        return found

    def _label(self) -> str:
        if self.kind is PeriodKind.YEAR:
            return fy_label(self.fy)
        if self.kind is PeriodKind.MONTH:
            return f"{self.start.year:04d}-{self.start.month:02d}"
        letter = "Q" if self.kind is PeriodKind.QUARTER else "H"
        return f"{fy_label(self.fy)} {letter}{self.index}"

    @property
    def financial_year(self) -> Period:
        return Period.year(self.fy)

    @property
    def year_fraction(self) -> Fraction:
        """Share of the financial year elapsed at the period's end (Q1 ¼, H1 ½, month m ⁄ 12)."""
        return Fraction(self.index * _MONTHS[self.kind], 12)

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def covers(self, other: Period) -> bool:
        """True when `other` lies wholly inside this period."""
        return self.start <= other.start and other.end <= self.end

    # -- neighbours ---------------------------------------------------------------------------

    def shifted(self, steps: int) -> Period:
        """The period `steps` periods of the same kind later (earlier when negative)."""
        position = self.fy * _COUNT[self.kind] + (self.index - 1) + steps
        fy, offset = divmod(position, _COUNT[self.kind])
        return Period(self.kind, fy, offset + 1)

    def previous(self) -> Period:
        return self.shifted(-1)

    def next(self) -> Period:
        return self.shifted(1)

    def year_earlier(self) -> Period:
        return Period(self.kind, self.fy - 1, self.index)

    def as_at(self, interval: Interval) -> Period | None:
        """The period of `interval` that a report *as at* this period uses (PRODUCT §4).

        It is the interval's period that ends in or with this one: at a quarter, a monthly
        measure reports the quarter's last month, a biannual one H1 at Q2 and H2 at Q4, an
        annual one the year at Q4. None when the interval has no period ending then (a
        half-yearly measure at Q1 or Q3, an annual one before Q4): a later period's figure must
        never stand in for it.
        """
        candidate = Period.containing(interval.kind, self.end)
        return candidate if candidate.end == self.end else None

    def in_interval(self, interval: Interval) -> Period:
        """The period of `interval` that a report for this period uses (PRODUCT §4).

        It is the interval's period containing this period's last day: at Q2 a monthly measure
        reports September, a biannual one H1, an annual one the whole (unfinished) year.
        """
        return Period.containing(interval.kind, self.end)

    # -- presentation -------------------------------------------------------------------------

    def __str__(self) -> str:
        return self.label

    def __repr__(self) -> str:
        return f"Period({self.label!r})"

    @property
    def sort_key(self) -> tuple[date, int]:
        return (self.end, -_MONTHS[self.kind])

    def __lt__(self, other: Period) -> bool:
        return self.sort_key < other.sort_key

    def __le__(self, other: Period) -> bool:
        return self.sort_key <= other.sort_key


def periods_of_year(interval: Interval, fy: int) -> list[Period]:
    """Every period of `interval` in financial year `fy`, in order."""
    kind = interval.kind
    return [Period(kind, fy, index) for index in range(1, _COUNT[kind] + 1)]


def latest_ended(interval: Interval, today: date) -> Period:
    """The most recent period of `interval` whose last day is before `today`."""
    current = Period.containing(interval.kind, today)
    return current.previous()


def canonical(text: str) -> str:
    """The canonical spelling of a period label (raises `PeriodError`)."""
    return Period.parse(text).label


_YEAR = r"(?P<y1>\d{4})-(?P<y2>\d{2}|\d{4})"
_YEAR_PART = re.compile(_YEAR)
_SUB_AFTER = re.compile(_YEAR + r"[ -]?(?P<letter>[QH])(?P<num>\d)")
_SUB_BEFORE = re.compile(r"(?P<letter>[QH])(?P<num>\d)[ -]?" + _YEAR)
_ISO_MONTH = re.compile(r"(?P<year>\d{4})-(?P<month>\d{1,2})")
_NAMED_MONTH = re.compile(r"(?P<name>[a-z]+)\.? (?P<year>\d{4})")


def _looks_like_month(match: re.Match[str]) -> bool:
    # "2025-07" is July 2025; "2025-26" the financial year. A label that fits both (only
    # possible for 2000-01 … 2011-12) is read as the financial year.
    start, second = int(match.group("y1")), match.group("y2")
    return len(second) == 2 and 1 <= int(second) <= 12 and int(second) != (start + 1) % 100


def _fy_from(match: re.Match[str], raw: str, *, bare: bool = False) -> int:
    # `bare`: the label is only "YYYY-NN", which might have been meant as a month.
    start = int(match.group("y1"))
    second = match.group("y2")
    expected = (start + 1) % 100 if len(second) == 2 else start + 1
    if int(second) != expected:
        if bare and len(second) == 2 and abs(int(second) - expected) > 3:
            raise PeriodError(
                f"'{raw}' is not a period: a month runs 01 to 12 (as in {start}-07), and a "
                f"financial year's second year follows the first (as in {fy_label(start)})"
            )
        raise PeriodError(
            f"'{raw}' is not a financial year: the second year must follow the first, "
            f"as in {fy_label(start)}"
        )
    return start


_PARSED: dict[str, Period] = {}
_STARTS: dict[Period, date] = {}
_ENDS: dict[Period, date] = {}
_LABELS: dict[Period, str] = {}


def _add_months(day: date, months: int) -> date:
    total = day.year * 12 + (day.month - 1) + months
    return date(total // 12, total % 12 + 1, 1)
