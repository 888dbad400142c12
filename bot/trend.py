"""What a reviewer needs beside a new figure: its recent history, the targets, and whether it
moved more than the measure usually does (issue 13; seed 002 §10.5, the reviewer checks the
figure "for accuracy").

Pure: the history is handed in, newest first, as approved (period, value) pairs.

**Unusual change** — the rule the README states: a figure is flagged "Unusual change — check
the source" when its change from the last approved figure is

* more than three times the largest change between consecutive approved figures among the
  eight before it (at least three are needed), and at least a tenth of the last figure's size,
  so a steady series that moves a little is not flagged — changes are counted per period, so
  a figure missing in between does not make a normal move look like a jump; or
* with only one or two earlier figures, more than the last figure's own size (it more than
  doubled, or changed sign);
* for a percentage, a jump of 50 points or more is always flagged (31.2 % → 100 %).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise

from bot.measures import MeasureInfo
from bot.periods import Period
from bot.ragg import Polarity, Ragg, Target, ragg_status, target_for
from bot.register import Format

LOOK_BACK = 8  # periods whose changes make the measure's usual range
SHOWN = 4  # figures shown on the card's trend line
TIMES_USUAL = Decimal(3)
SMALLEST_SHARE = Decimal("0.1")
PERCENT_JUMP = Decimal(50)


@dataclass(frozen=True)
class Point:
    """One approved figure on the trend line."""

    period: Period
    value: Decimal
    status: Ragg


@dataclass(frozen=True)
class Context:
    """The new figure in context: earlier figures (oldest first), the annual target, which
    way the figures have been moving, and whether this one moved unusually."""

    earlier: tuple[Point, ...]
    annual_target: Target | None
    annual_label: str | None  # the year, when the period is not itself the year
    trend: str | None  # "rising", "falling", "steady", "up and down"; None without history
    better: bool | None  # whether that way is better, by the measure's polarity
    unusual: str | None  # why the change is unusual, or None


def status_of(measure: MeasureInfo, period: Period, value: Decimal) -> Ragg:
    target = target_for(measure.targets, period, cumulative=measure.rule.cumulative)
    return ragg_status(value, target, measure.rule)


def _trend(values: Sequence[Decimal]) -> str | None:
    """The direction of a series (oldest first)."""
    if len(values) < 2:
        return None
    steps = [b - a for a, b in pairwise(values)]
    if all(step == 0 for step in steps):
        return "steady"
    if all(step >= 0 for step in steps):
        return "rising"
    if all(step <= 0 for step in steps):
        return "falling"
    return "up and down"


def _amount(measure: MeasureInfo, change: Decimal) -> str:
    """A change as people say it: percentage points for a percentage."""
    if not change:
        return "nothing"
    if measure.format is Format.PERCENTAGE:
        return f"{measure.format_value(change).removesuffix('%')} percentage points"
    return measure.format_value(change)


def _months(period: Period) -> int:
    return period.start.year * 12 + period.start.month


def _per_period(a: tuple[Period, Decimal], b: tuple[Period, Decimal]) -> Decimal:
    """The change from figure `a` to the later figure `b`, per period between them (a
    quarter skipped halves the move, so a missing figure does not look like a jump)."""
    (first, old), (later, new) = a, b
    length = max(_months(first.next()) - _months(first), 1)
    gap = max((_months(later) - _months(first)) // length, 1)
    return abs(new - old) / gap


def unusual_change(
    measure: MeasureInfo,
    period: Period,
    value: Decimal,
    history: Sequence[tuple[Period, Decimal]],
) -> str | None:
    """Why `value` moved more than the measure usually does (history newest first), or None."""
    if not history:
        return None
    last = history[0][1]
    change = _per_period(history[0], (period, value))
    shown = f"{measure.format_value(last)} → {measure.format_value(value)}"
    if measure.format is Format.PERCENTAGE and abs(value - last) >= PERCENT_JUMP:
        return f"{shown}, a move of {_amount(measure, abs(value - last))}"
    window = list(history[:LOOK_BACK])
    if len(window) >= 3:
        usual = max(_per_period(b, a) for a, b in pairwise(window))
        if change > TIMES_USUAL * usual and change >= SMALLEST_SHARE * abs(last) and change > 0:
            return (
                f"{shown}; the largest move from one period to the next in the {len(window)} "
                f"figures before it was "
                f"{_amount(measure, usual)}"
            )
        return None
    if last != 0 and change > abs(last):
        return f"{shown}, more than the last figure itself"
    return None


def context(
    measure: MeasureInfo,
    period: Period,
    value: Decimal,
    history: Sequence[tuple[Period, Decimal]],
) -> Context:
    """The card's context for `value` in `period`; `history` is the approved figures of the
    periods before it, newest first (at least `LOOK_BACK` of them when there are)."""
    earlier = tuple(
        Point(p, v, status_of(measure, p, v)) for p, v in reversed(list(history[:SHOWN]))
    )
    year = Period.year(period.fy)
    annual = target_for(measure.targets, year, cumulative=measure.rule.cumulative)
    series = [point.value for point in earlier] + [value]
    trend = _trend(series)
    better: bool | None = None
    if trend in ("rising", "falling") and measure.polarity is not Polarity.RANGE:
        better = (trend == "rising") == (measure.polarity is Polarity.HIGHER)
    return Context(
        earlier=earlier,
        annual_target=annual,
        annual_label=year.label if period != year else None,
        trend=trend,
        better=better,
        unusual=unusual_change(measure, period, value, history),
    )
