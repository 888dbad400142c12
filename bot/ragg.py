"""RAGG status, targets, committee view and direction of travel (PRODUCT §4, seed 002 §6.1.6–7).

All arithmetic is exact `Decimal`; boundaries are never decided by binary floating point.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from bot.periods import Interval, Period, PeriodKind

DEFAULT_TOLERANCE = Decimal(5)
HUNDRED = Decimal(100)


class Polarity(StrEnum):
    """Which way is better."""

    HIGHER = "higher"
    LOWER = "lower"
    RANGE = "range"


class Ragg(StrEnum):
    """A measure's status for a period. `NONE` is not a colour: there is no approved value."""

    RED = "red"
    AMBER = "amber"
    GREEN = "green"
    GREY = "grey"
    NONE = "none"

    @property
    def word(self) -> str:
        return "No data" if self is Ragg.NONE else self.value.capitalize()

    @property
    def meaning(self) -> str:
        """Seed 002 §6.1.7, in the framework's own words."""
        return _MEANINGS[self]


_MEANINGS = {
    Ragg.RED: "more than the tolerance below target: under-performing, urgent action required",
    Ragg.AMBER: "within the tolerance of target: borderline performance, on watch",
    Ragg.GREEN: "performing on or above target",
    Ragg.GREY: "monitoring only, or annual reporting where an outturn is not yet reported",
    Ragg.NONE: "no approved value yet",
}


class Committee(StrEnum):
    """How committees see a status (seed 002 §6.1.7): Amber and Grey count as on target."""

    ON_TARGET = "on_target"
    OFF_TARGET = "off_target"
    MISSING = "missing"


class Direction(StrEnum):
    IMPROVING = "improving"
    DECLINING = "declining"
    SAME = "same"


@dataclass(frozen=True, slots=True)
class Target:
    """A single figure, or `low`–`high` for a `range` measure."""

    low: Decimal
    high: Decimal | None = None

    @property
    def is_range(self) -> bool:
        return self.high is not None

    def scaled(self, factor: Decimal) -> Target:
        return Target(self.low * factor, None if self.high is None else self.high * factor)

    def as_json(self) -> int | float | list[int | float]:
        if self.high is None:
            return _json_number(self.low)
        return [_json_number(self.low), _json_number(self.high)]


@dataclass(frozen=True, slots=True)
class Rule:
    """What the RAGG rules need to know of a measure."""

    polarity: Polarity = Polarity.HIGHER
    tolerance: Decimal = DEFAULT_TOLERANCE  # per cent of the target
    tolerance_abs: Decimal | None = None  # absolute margin, replaces the percentage when set
    monitoring_only: bool = False
    interval: Interval = Interval.QUARTERLY
    cumulative: bool = False


def target_for(
    targets: Mapping[Period, Target], period: Period, *, cumulative: bool
) -> Target | None:
    """The target for `period` (PRODUCT §4).

    An exact period key wins; otherwise the financial year's target. A cumulative (year-to-date)
    measure with only a year target has it profiled pro-rata by the elapsed share of the year
    (Q1 ¼, H1 ½, month m ⁄ 12); a non-cumulative one uses the year target for every period.
    """
    exact = targets.get(period)
    if exact is not None:
        return exact
    yearly = targets.get(period.financial_year)
    if yearly is None:
        return None
    if cumulative and period.kind is not PeriodKind.YEAR:
        # Multiply before dividing, so t·m⁄12 is exact whenever it has a finite decimal form
        # (30 at July is 10, not 9.999…9 from multiplying by a rounded 1⁄3).
        fraction = period.year_fraction
        numerator, denominator = Decimal(fraction.numerator), Decimal(fraction.denominator)
        return Target(
            yearly.low * numerator / denominator,
            None if yearly.high is None else yearly.high * numerator / denominator,
        )
    return yearly


def _margin(reference: Decimal, rule: Rule) -> Decimal:
    if rule.tolerance_abs is not None:
        return abs(rule.tolerance_abs)
    # |t| keeps the band on the "worse" side of a negative target too; with t = 0 and no
    # absolute tolerance the margin is 0, so any miss is Red (PRODUCT §4).
    return abs(reference) * rule.tolerance / HUNDRED


def ragg_status(
    value: Decimal | None, target: Target | None, rule: Rule, *, outturn_due: bool = True
) -> Ragg:
    """The RAGG colour of an approved `value` against `target` (seed 002 §6.1.7).

    * higher: Green v ≥ t; Amber t − margin ≤ v < t; Red below that.
    * lower: Green v ≤ t; Amber t < v ≤ t + margin; Red above that.
    * range [lo, hi]: Green inside; Amber within the margin of the nearer bound; Red beyond.

    The margin is `tolerance` % of the target (exactly 5 % below is Amber, "borderline"), or
    `tolerance_abs` when set. Grey: monitoring only, no target for the period, or an annual
    measure whose outturn is not yet due (`outturn_due` False). No value at all is `NONE`.
    """
    if value is None:
        if rule.interval is Interval.ANNUAL and not outturn_due and not rule.monitoring_only:
            return Ragg.GREY
        return Ragg.NONE
    if rule.monitoring_only or target is None:
        return Ragg.GREY
    if rule.polarity is Polarity.RANGE:
        low, high = target.low, target.high if target.high is not None else target.low
        if low > high:
            low, high = high, low
        if low <= value <= high:
            return Ragg.GREEN
        if value < low:
            return Ragg.AMBER if value >= low - _margin(low, rule) else Ragg.RED
        return Ragg.AMBER if value <= high + _margin(high, rule) else Ragg.RED
    t = target.low
    if rule.polarity is Polarity.LOWER:
        if value <= t:
            return Ragg.GREEN
        return Ragg.AMBER if value <= t + _margin(t, rule) else Ragg.RED
    if value >= t:
        return Ragg.GREEN
    return Ragg.AMBER if value >= t - _margin(t, rule) else Ragg.RED


def committee_view(status: Ragg, *, target_set: bool = True) -> Committee:
    """Seed 002 §6.1.7: Amber and Grey are reported to committees as on target.

    A measure with no target for the year (and not monitoring only) is Grey, but it is
    missing data to a committee, never on target (PRODUCT §4): `target_set` False.
    """
    if status is Ragg.NONE or not target_set:
        return Committee.MISSING
    return Committee.OFF_TARGET if status is Ragg.RED else Committee.ON_TARGET


def direction_of_travel(
    value: Decimal | None, earlier: Decimal | None, polarity: Polarity, target: Target | None
) -> Direction | None:
    """Polarity-aware change from `earlier` to `value`; None when either is missing.

    For a range measure, "better" is closer to the range (inside it counts as distance 0).
    """
    if value is None or earlier is None:
        return None
    if polarity is Polarity.RANGE:
        if target is None:
            return Direction.SAME if value == earlier else None
        now, before = _distance(value, target), _distance(earlier, target)
        if now == before:
            return Direction.SAME
        return Direction.IMPROVING if now < before else Direction.DECLINING
    if value == earlier:
        return Direction.SAME
    better = value > earlier if polarity is Polarity.HIGHER else value < earlier
    return Direction.IMPROVING if better else Direction.DECLINING


def _distance(value: Decimal, target: Target) -> Decimal:
    low, high = target.low, target.high if target.high is not None else target.low
    if value < low:
        return low - value
    if value > high:
        return value - high
    return Decimal(0)


def _json_number(number: Decimal) -> int | float:
    # JSON has one number type; the exact Decimal is what every decision above used.
    return int(number) if number == number.to_integral_value() else float(number)
