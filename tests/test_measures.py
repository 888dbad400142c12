"""Reading typed figures (the one rule the modal, replies and the actuals import share)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.measures import ValueProblem, check_value, format_value
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
        ("1e20", Format.NUMBER, 0, "too large"),
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
