"""Reading typed figures (the one rule the modal, replies and the actuals import share)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.measures import ValueProblem, check_value, example_figure, format_value, value_hint
from bot.register import Format


@pytest.mark.parametrize(
    ("text", "format", "decimals", "expected"),
    [
        ("87.5", Format.PERCENTAGE, 1, Decimal("87.5")),
        (" 87.5% ", Format.PERCENTAGE, 1, Decimal("87.5")),
        ("1,234", Format.NUMBER, 0, Decimal(1234)),
        ("1,234.56", Format.NUMBER, 2, Decimal("1234.56")),
        ("£1,236,900", Format.CURRENCY, 0, Decimal(1236900)),
        ("-1,000", Format.NUMBER, 0, Decimal(-1000)),
        ("0", Format.PERCENTAGE, 0, Decimal(0)),
        ("100", Format.PERCENTAGE, 0, Decimal(100)),
        ("7.98", Format.NUMBER, 2, Decimal("7.98")),
        # Trailing zeros add no precision: 45.50 is 45.5 on a one-decimal measure.
        ("45.50", Format.PERCENTAGE, 1, Decimal("45.5")),
        ("100.0", Format.PERCENTAGE, 0, Decimal(100)),
        ("£12,400.00", Format.CURRENCY, 0, Decimal(12400)),
        ("-0.0", Format.NUMBER, 1, Decimal(0)),
        (".5", Format.NUMBER, 1, Decimal("0.5")),
    ],
)
def test_accepted_figures(text: str, format: Format, decimals: int, expected: Decimal) -> None:
    assert check_value(text, format=format, decimals=decimals) == expected


@pytest.mark.parametrize(
    ("text", "format", "decimals", "message"),
    [
        ("", Format.NUMBER, 0, "Please enter a figure."),
        ("abc", Format.NUMBER, 0, "'abc' is not a number"),
        ("NaN", Format.NUMBER, 0, "'NaN' is not a number"),
        ("12.345", Format.NUMBER, 2, "has 3 decimal places; this measure is reported to at most 2"),
        ("12.3", Format.NUMBER, 0, "reported to a whole number"),
        ("12.34", Format.NUMBER, 1, "at most 1 decimal place."),
        ("100.1", Format.PERCENTAGE, 1, "is not a percentage: it must be from 0 to 100"),
        ("-1", Format.PERCENTAGE, 0, "is not a percentage"),
        ("45,5", Format.NUMBER, 1, "comma where a full stop belongs"),
        ("1,0", Format.NUMBER, 1, "comma where a full stop belongs"),
        ("1e20", Format.NUMBER, 0, "with a power of ten"),
        (
            "1e2",
            Format.NUMBER,
            0,
            "'1e2' is written with a power of ten; please write the figure "
            "out in digits, such as 87.",
        ),
        ("1E-1", Format.PERCENTAGE, 1, "such as 87.5."),
        ("inf", Format.NUMBER, 0, "'inf' is not a number. Enter digits only, such as 87."),
        ("-Infinity", Format.NUMBER, 0, "is not a number"),
        ("nan", Format.CURRENCY, 2, "'nan' is not a number. Enter digits only, such as 12400.25."),
        ("0x10", Format.NUMBER, 0, "is not a number"),
        ("1_000", Format.NUMBER, 0, "is not a number"),
        ("1" * 16, Format.NUMBER, 0, "too large"),
        (
            "45.55",
            Format.PERCENTAGE,
            1,
            "45.55 has 2 decimal places; this measure is reported to at most 1 decimal place.",
        ),
        (
            "12.5",
            Format.NUMBER,
            0,
            "12.5 has 1 decimal place; this measure is reported to a whole number.",
        ),
        (
            "45,5",
            Format.NUMBER,
            0,
            "has a comma where none belongs; this measure is reported to "
            "a whole number, such as 87",
        ),
        ("87.5%", Format.NUMBER, 1, "is not a number"),
    ],
)
def test_refused_figures_say_why(text: str, format: Format, decimals: int, message: str) -> None:
    with pytest.raises(ValueProblem) as caught:
        check_value(text, format=format, decimals=decimals)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("value", "format", "decimals", "units", "shown"),
    [
        (Decimal("87.5"), Format.PERCENTAGE, 1, None, "87.5%"),
        (Decimal("30"), Format.PERCENTAGE, 1, None, "30.0%"),
        (Decimal("1236900"), Format.CURRENCY, 0, None, "£1,236,900"),
        (Decimal("-50.5"), Format.CURRENCY, 2, None, "-£50.50"),
        (Decimal("634"), Format.NUMBER, 0, "homes", "634 homes"),
        (None, Format.NUMBER, 0, None, "—"),
    ],
)
def test_figures_are_shown_as_officers_write_them(
    value: Decimal | None, format: Format, decimals: int, units: str | None, shown: str
) -> None:
    assert format_value(value, format, decimals, units) == shown


@pytest.mark.parametrize(
    ("format", "decimals", "example", "hint"),
    [
        (Format.PERCENTAGE, 0, "87", "A whole number, such as 87."),
        (Format.PERCENTAGE, 1, "87.5", "Up to 1 decimal place, such as 87.5."),
        (Format.NUMBER, 2, "87.25", "Up to 2 decimal places, such as 87.25."),
        (Format.CURRENCY, 0, "12400", "A whole number, such as 12400."),
        (Format.NUMBER, 6, "87.015625", "Up to 6 decimal places, such as 87.015625."),
    ],
)
def test_every_example_is_one_the_measure_accepts(
    format: Format, decimals: int, example: str, hint: str
) -> None:
    assert example_figure(format, decimals) == example
    assert value_hint(format, decimals) == hint
    assert check_value(example, format=format, decimals=decimals) == Decimal(example)
    for fewer in range(decimals):
        with pytest.raises(ValueProblem):
            check_value(example, format=format, decimals=fewer)
