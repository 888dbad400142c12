"""What the core knows of a measure, independent of how it is stored, and value rules.

`check_value` is the one place that decides whether a figure is acceptable for a measure
(PRODUCT §5: a number, no more than `decimals` places, 0–100 for a percentage); the actuals
import, the submission modal and replies to reminders all use it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from bot.periods import Interval, Period
from bot.ragg import Polarity, Rule, Target
from bot.register import Format


@dataclass(frozen=True)
class MeasureInfo:
    ref: str
    title: str
    priority: str
    aim: str
    interval: Interval
    reporting_lag: int
    format: Format
    decimals: int
    rule: Rule
    targets: Mapping[Period, Target] = field(default_factory=dict)
    committee: str | None = None
    units: str | None = None
    definition: str = ""
    collector: str | None = None
    cover: str | None = None
    reviewer: str | None = None
    head_of_service: str | None = None
    priority_name: str = ""
    aim_title: str = ""
    baseline_period: str | None = None
    baseline_value: Decimal | None = None
    benchmarking: str | None = None
    data_source: str | None = None
    confidence: str | None = None

    @property
    def polarity(self) -> Polarity:
        return self.rule.polarity

    def format_value(self, value: Decimal | None) -> str:
        return format_value(value, self.format, self.decimals, self.units)

    def format_target(self, target: Target | None) -> str:
        if target is None:
            return "no target"
        low = self.format_value(target.low)
        if target.high is None:
            return low
        return f"{low} to {self.format_value(target.high)}"


LARGEST = Decimal(10) ** 15  # the database keeps 20 digits before the point; stay well inside
_THOUSANDS = re.compile(r"^[-+]?[£]?\d{1,3}(,\d{3})+(\.\d+)?%?$")


class ValueProblem(ValueError):
    """A figure that cannot be accepted; the message is written for the officer."""


def check_value(text: str | int | Decimal, *, format: Format, decimals: int) -> Decimal:
    """Read a typed figure: thousands separators, a % or £ sign and spaces are allowed."""
    raw = str(text).strip()
    cleaned = raw.replace(" ", "")
    if "," in cleaned:
        if not _THOUSANDS.match(cleaned):
            # "45,5" is a decimal comma, not 455: refuse rather than misread it.
            raise ValueProblem(
                f"'{raw}' has a comma where a full stop belongs; write "
                "decimals with a full stop, such as 45.5."
            )
        cleaned = cleaned.replace(",", "")
    if format is Format.PERCENTAGE:
        cleaned = cleaned.removesuffix("%")
    if format is Format.CURRENCY:
        cleaned = cleaned.replace("£", "", 1)
    if not cleaned:
        raise ValueProblem("Please enter a figure.")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueProblem(f"'{raw}' is not a number. Enter digits only, such as 87.5.") from None
    if not value.is_finite():
        raise ValueProblem(f"'{raw}' is not a number. Enter digits only, such as 87.5.")
    exponent = value.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    if places > decimals:
        allowed = {0: "a whole number", 1: "at most 1 decimal place"}.get(
            decimals, f"at most {decimals} decimal places"
        )
        raise ValueProblem(
            f"{raw} has {places} decimal places; this measure is reported to {allowed}."
        )
    if abs(value) >= LARGEST:
        raise ValueProblem(f"{raw} is too large a figure for a performance measure.")
    if format is Format.PERCENTAGE and not Decimal(0) <= value <= Decimal(100):
        raise ValueProblem(f"{raw} is not a percentage: it must be from 0 to 100.")
    return value


def format_value(
    value: Decimal | None, format: Format, decimals: int, units: str | None = None
) -> str:
    """A figure as officers write it: 87.5%, £12,400.00, 1,250 homes."""
    if value is None:
        return "—"
    quantum = Decimal(1).scaleb(-decimals)
    try:
        shown = value.quantize(quantum)
    except InvalidOperation:
        shown = value
    text = f"{shown:,.{decimals}f}"
    if format is Format.PERCENTAGE:
        return f"{text}%"
    if format is Format.CURRENCY:
        return f"-£{text[1:]}" if text.startswith("-") else f"£{text}"
    return f"{text} {units}" if units else text
