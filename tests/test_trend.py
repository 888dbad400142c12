"""The review card's context (bot/trend.py, issue 13): the trend words and the unusual-change
rule exactly as the README states it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.measures import MeasureInfo
from bot.periods import Interval, Period
from bot.ragg import Polarity, Ragg, Rule, Target
from bot.register import Format
from bot.trend import context

Q = Period.parse


def measure(
    format: Format = Format.NUMBER, polarity: Polarity = Polarity.HIGHER, decimals: int = 1
) -> MeasureInfo:
    return MeasureInfo(
        ref="SE1.1",
        title="A measure",
        priority="SE",
        aim="SE1",
        interval=Interval.QUARTERLY,
        reporting_lag=8,
        format=format,
        decimals=decimals,
        rule=Rule(polarity=polarity),
        targets={Q("2026-27"): Target(Decimal(35)), Q("2026-27 Q2"): Target(Decimal(33))},
    )


def history(*values: str, latest: str = "2026-27 Q1") -> list[tuple[Period, Decimal]]:
    """Approved figures, newest first, for consecutive quarters ending at `latest`."""
    start = Q(latest)
    return [(start.shifted(-n), Decimal(v)) for n, v in enumerate(values)]


def unusual(value: str, *values: str, format: Format = Format.NUMBER) -> str | None:
    found = context(measure(format), Q("2026-27 Q2"), Decimal(value), history(*values))
    return found.unusual


def test_the_card_shows_four_earlier_figures_oldest_first_with_their_status() -> None:
    found = context(measure(), Q("2026-27 Q2"), Decimal(35), history("34", "32", "31", "30", "29"))
    assert [str(p.period) for p in found.earlier] == [
        "2025-26 Q2",
        "2025-26 Q3",
        "2025-26 Q4",
        "2026-27 Q1",
    ]
    assert found.earlier[-1].status is Ragg.AMBER  # 34 against the year's 35
    assert found.earlier[0].status is Ragg.GREY  # 2025-26 has no target
    assert found.annual_target == Target(Decimal(35)) and found.annual_label == "2026-27"
    assert (found.trend, found.better) == ("rising", True)


@pytest.mark.parametrize(
    ("polarity", "values", "trend", "better"),
    [
        (Polarity.LOWER, ("33", "32"), "rising", False),
        (Polarity.LOWER, ("35", "36"), "falling", True),
        (Polarity.HIGHER, ("34", "34"), "steady", None),
        (Polarity.HIGHER, ("35", "33"), "up and down", None),
        (Polarity.RANGE, ("33", "32"), "rising", None),
    ],
)
def test_trend_words_follow_the_series_and_the_polarity(
    polarity: Polarity, values: tuple[str, ...], trend: str, better: bool | None
) -> None:
    found = context(measure(polarity=polarity), Q("2026-27 Q2"), Decimal("34"), history(*values))
    assert (found.trend, found.better) == (trend, better)


def test_a_move_more_than_three_times_the_usual_is_flagged_with_the_numbers() -> None:
    series = ("31.2", "30.2", "29.4", "28.6")  # largest move 1.0
    assert unusual("34.2", *series) is None  # 3.0: exactly three times is usual
    assert unusual("34.5", *series) == (
        "31.2 → 34.5; the largest move from one period to the next in the 4 figures before it "
        "was 1.0"
    )


def test_a_steady_series_is_not_flagged_for_a_small_move() -> None:
    assert unusual("52", "50", "50", "50") is None  # 4 % of 50: under a tenth
    assert unusual("56", "50", "50", "50") is not None


def test_a_missing_period_is_not_taken_for_a_jump() -> None:
    m = measure()
    gap = [(Q("2025-26 Q4"), Decimal("31.2")), (Q("2025-26 Q3"), Decimal("30.2"))]
    gap += [(Q("2025-26 Q2"), Decimal("29.4")), (Q("2025-26 Q1"), Decimal("28.6"))]
    # 2026-27 Q1 has no figure: 31.2 → 36.5 over two quarters is 2.65 a quarter.
    assert context(m, Q("2026-27 Q2"), Decimal("36.5"), gap).unusual is None
    assert context(m, Q("2026-27 Q2"), Decimal("38.5"), gap).unusual is not None


def test_with_little_history_only_a_doubling_or_a_change_of_sign_is_flagged() -> None:
    assert unusual("40", "30") is None
    assert unusual("61", "30") == "30.0 → 61.0, more than the last figure itself"
    assert unusual("-5", "30", "29") is not None
    assert unusual("100") is None  # nothing to compare with


def test_a_percentage_jump_of_fifty_points_is_always_flagged() -> None:
    said = unusual("100", "31.2", "20", "60", format=Format.PERCENTAGE)
    assert said == "31.2% → 100.0%, a move of 68.8 percentage points"
