"""What the core knows of a measure, independent of how it is stored, and value rules.

`check_value` is the one place that decides whether a figure is acceptable for a measure
(PRODUCT §5: a number, no more than `decimals` places, 0–100 for a percentage); the actuals
import, the submission modal and replies to reminders all use it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from bot.periods import Interval, Period
from bot.projects import KIND_PROJECT, Milestone
from bot.ragg import Polarity, Ragg, Rule, Target
from bot.register import Format

CONFIDENCE_WORDS = {
    "green": "Green — collected from a system",
    "amber": "Amber — collected by hand, for example in a spreadsheet",
    "red": "Red — project-based",
}


@dataclass(frozen=True, slots=True)  # slots: the register is cached whole, 10,000 of these
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
    units: str | None = None  # plural, as the register gives it: "homes"
    units_one: str | None = None  # singular, when the register gives it: "home"
    definition: str = ""
    collector: str | None = None
    cover: str | None = None
    reviewer: str | None = None
    head_of_service: str | None = None
    head_of_service_name: str | None = None  # people are shown by name, never by e-mail
    collector_name: str | None = None
    priority_name: str = ""
    aim_title: str = ""
    baseline_period: str | None = None
    baseline_value: Decimal | None = None
    benchmarking: str | None = None
    data_source: str | None = None
    confidence: str | None = None
    reviewer_name: str | None = None
    purpose: str | None = None
    worked_example: str | None = None
    quality_assurance: str | None = None
    strategic_lead_name: str | None = None
    kind: str = "measure"  # or "project" (issue 14): reported by milestones, not a figure
    milestones: tuple[Milestone, ...] = ()

    @property
    def is_project(self) -> bool:
        return self.kind == KIND_PROJECT

    @property
    def confidence_words(self) -> str | None:
        """The confidence level as people read it (seed 002 Appendix 2), or None."""
        return CONFIDENCE_WORDS.get(self.confidence) if self.confidence else None

    @property
    def polarity(self) -> Polarity:
        return self.rule.polarity

    def format_value(self, value: Decimal | None) -> str:
        if self.is_project and value is not None:
            # A project's figure is the number of its milestones done.
            return f"{value:f} of {len(self.milestones)} milestones done"
        return format_value(value, self.format, self.decimals, self.units, self.units_one)

    def format_target(
        self,
        target: Target | None,
        value: Decimal | None = None,
        status: Ragg | None = None,
    ) -> str:
        """The target as every surface shows it (PRODUCT §4, rounding).

        To the measure's decimals, half-up; but where the figure shown would equal the target
        shown while the status says the target was missed (8 against a pro-rata 8.33 is
        Amber), the target is shown to the precision that explains the status.
        """
        if self.is_project:
            return "milestones on time"
        if target is None:
            return "no target"
        places = target_places(target, value, status, self.decimals)
        low = format_value(target.low, self.format, places, self.units, self.units_one)
        if target.high is None:
            return low
        high = format_value(target.high, self.format, places, self.units, self.units_one)
        return f"{low} to {high}"


LARGEST = Decimal(10) ** 15  # the database keeps 20 digits before the point; stay well inside
_THOUSANDS = re.compile(r"^[-+]?[£]?\d{1,3}(,\d{3})+(\.\d+)?%?$")
_PLAIN = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)$")  # digits, at most one full stop
_EXPONENT = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)[eE][-+]?\d+$")
_FRACTIONS = {1: "5", 2: "25", 3: "125", 4: "0625", 5: "03125", 6: "015625"}


class ValueProblem(ValueError):
    """A figure that cannot be accepted; the message is written for the officer."""


def example_figure(format: Format, decimals: int) -> str:
    """A figure this measure accepts, as an officer would type it: '87' for a whole number,
    '87.5' for one decimal place, '12400.25' for pounds and pence. Every hint and placeholder
    uses it, so no example is one the measure would refuse."""
    whole = "12400" if format is Format.CURRENCY else "87"
    fraction = _FRACTIONS.get(decimals, "5".rjust(decimals, "0"))
    return f"{whole}.{fraction}" if decimals > 0 else whole


def places_words(decimals: int) -> str:
    """'a whole number', 'up to 1 decimal place', 'up to 2 decimal places'."""
    if decimals == 0:
        return "a whole number"
    return f"up to {decimals} decimal place{'' if decimals == 1 else 's'}"


def value_hint(format: Format, decimals: int) -> str:
    """'A whole number, such as 87.' / 'Up to 1 decimal place, such as 87.5.'"""
    words = places_words(decimals)
    return f"{words[0].upper()}{words[1:]}, such as {example_figure(format, decimals)}."


def _places(plain: str) -> int:
    """Decimal places that carry precision: '45.50' has 1, '100.0' has none."""
    return len(plain.partition(".")[2].rstrip("0"))


def check_value(text: str | int | Decimal, *, format: Format, decimals: int) -> Decimal:
    """Read a typed figure in plain decimal notation (PRODUCT §5).

    Thousands separators, a % or £ sign and spaces are allowed; trailing zeros that add no
    precision are too (45.50 is 45.5 on a one-decimal measure). Exponents (1e2), 'inf' and
    'nan' are refused: nobody types a performance figure that way, so it is a slip.
    """
    example = example_figure(format, decimals)
    raw = str(text).strip()
    cleaned = raw.replace(" ", "")
    if "," in cleaned:
        if not _THOUSANDS.match(cleaned):
            # "45,5" is a decimal comma, not 455: refuse rather than misread it.
            raise ValueProblem(
                f"'{raw}' has a comma where a full stop belongs; write decimals with a full "
                "stop, such as 45.5, and thousands with commas every three digits, such "
                "as 1,250."
                if decimals
                else f"'{raw}' has a comma where none belongs; this measure is reported to a "
                "whole number, such as 87, with commas only between thousands, such as 1,250."
            )
        cleaned = cleaned.replace(",", "")
    if format is Format.PERCENTAGE:
        cleaned = cleaned.removesuffix("%")
    if format is Format.CURRENCY:
        cleaned = cleaned.replace("£", "", 1)
    if not cleaned:
        raise ValueProblem("Please enter a figure.")
    if _EXPONENT.match(cleaned):
        raise ValueProblem(
            f"'{raw}' is written with a power of ten; please write the figure out in "
            f"digits, such as {example}."
        )
    if not _PLAIN.match(cleaned):
        raise ValueProblem(f"'{raw}' is not a number. Enter digits only, such as {example}.")
    value = Decimal(cleaned)
    if abs(value) >= LARGEST:
        raise ValueProblem(f"{raw} is too large a figure for a performance measure.")
    places = _places(cleaned)
    if places > decimals:
        allowed = (
            "a whole number"
            if decimals == 0
            else f"at most {decimals} decimal place{'' if decimals == 1 else 's'}"
        )
        raise ValueProblem(
            f"{raw} has {places} decimal place{'' if places == 1 else 's'}; this measure "
            f"is reported to {allowed}."
        )
    value = value.quantize(Decimal(1).scaleb(-places))  # exact: the dropped digits are zeros
    if value == 0:
        value = abs(value)  # never "-0"
    if format is Format.PERCENTAGE and not Decimal(0) <= value <= Decimal(100):
        raise ValueProblem(f"{raw} is not a percentage: it must be from 0 to 100.")
    return value


def round_half_up(value: Decimal, decimals: int) -> Decimal:
    """`value` to `decimals` places, halves away from zero, as Excel's ROUND does (8.5 → 9,
    −8.5 → −9; Python's own rounding would give 8)."""
    try:
        return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    except InvalidOperation:  # too many digits for the context: show it as it is
        return value


MOST_PLACES = 6  # the most decimals a register allows


def target_places(target: Target, value: Decimal | None, status: Ragg | None, decimals: int) -> int:
    """How many decimals to show `target` with: the measure's own, unless the figure shown
    would then equal a bound shown while `status` (Red or Amber) says it missed; then the
    fewest places (at least 2) at which they differ."""
    if value is None or status not in (Ragg.RED, Ragg.AMBER):
        return decimals
    shown = round_half_up(value, decimals)
    bounds = [target.low] if target.high is None else [target.low, target.high]
    if all(round_half_up(bound, decimals) != shown for bound in bounds):
        return decimals
    for places in range(max(decimals + 1, 2), MOST_PLACES + 1):
        if all(round_half_up(bound, places) != shown for bound in bounds):
            return places
    return decimals


def singular(units: str) -> str:
    """A simple English singular of a plural unit, first word only: incidents → incident,
    businesses → business, enquiries → enquiry, "days per FTE" → "day per FTE"; "kg per
    household" stays. A register can give the singular itself: units: {one: …, other: …}."""
    first, _, rest = units.partition(" ")
    word = first
    lower = first.lower()
    if lower.endswith("ies") and len(lower) > 4:
        word = first[:-3] + ("Y" if first.isupper() else "y")
    elif lower.endswith(("sses", "shes", "ches", "xes", "zzes")):
        word = first[:-2]
    elif lower.endswith("s") and not lower.endswith(("ss", "us", "is")) and len(lower) > 2:
        word = first[:-1]
    return f"{word} {rest}" if rest else word


def format_value(
    value: Decimal | None,
    format: Format,
    decimals: int,
    units: str | None = None,
    units_one: str | None = None,
) -> str:
    """A figure as officers write it: 87.5%, £12,400.00, 1,250 homes, 1 incident.

    Rounded half-up to `decimals` (Excel's ROUND). A unit is singular only for exactly 1
    shown without decimals ("1 incident", but "1.0 days", as English writes them)."""
    if value is None:
        return "—"
    shown = round_half_up(value, decimals)
    if shown == 0:
        shown = abs(shown)  # never "-0"
    text = f"{shown:,.{decimals}f}"
    if format is Format.PERCENTAGE:
        return f"{text}%"
    if format is Format.CURRENCY:
        return f"-£{text[1:]}" if text.startswith("-") else f"£{text}"
    if not units:
        return text
    if decimals == 0 and abs(shown) == 1:
        return f"{text} {units_one or singular(units)}"
    return f"{text} {units}"
