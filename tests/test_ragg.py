"""Targets and RAGG status (PRODUCT §4), all in exact Decimal arithmetic."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.periods import Interval, Period
from bot.ragg import (
    Committee,
    Direction,
    Polarity,
    Ragg,
    Rule,
    Target,
    committee_view,
    direction_of_travel,
    ragg_status,
    target_for,
)

D = Decimal
HIGHER = Rule(Polarity.HIGHER)
LOWER = Rule(Polarity.LOWER)
RANGE = Rule(Polarity.RANGE)
RANK = {Ragg.RED: 0, Ragg.AMBER: 1, Ragg.GREEN: 2}


def status(value: str, target: str, rule: Rule = HIGHER, high: str | None = None) -> Ragg:
    return ragg_status(D(value), Target(D(target), None if high is None else D(high)), rule)


def p(label: str) -> Period:
    return Period.parse(label)


# -- higher is better ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("100", Ragg.GREEN),
        ("80.01", Ragg.GREEN),
        ("80", Ragg.GREEN),  # on target
        ("79.99", Ragg.AMBER),
        ("77", Ragg.AMBER),
        ("76", Ragg.AMBER),  # exactly 5 % below: borderline, Amber
        ("76.000", Ragg.AMBER),
        ("75.99", Ragg.RED),
        ("75.9999999", Ragg.RED),
        ("0", Ragg.RED),
        ("-5", Ragg.RED),
    ],
)
def test_higher_target_80_tolerance_5(value: str, expected: Ragg) -> None:
    assert status(value, "80") is expected
    assert status(value, "80", Rule(Polarity.HIGHER, tolerance=D(5))) is expected


@pytest.mark.parametrize(
    ("value", "tolerance", "expected"),
    [
        ("90", "10", Ragg.AMBER),
        ("89.99", "10", Ragg.RED),
        ("99.99", "0", Ragg.RED),  # no tolerance: any miss is Red
        ("100", "0", Ragg.GREEN),
        ("50", "50", Ragg.AMBER),
        ("49.99", "50", Ragg.RED),
    ],
)
def test_higher_with_other_tolerances(value: str, tolerance: str, expected: Ragg) -> None:
    assert status(value, "100", Rule(Polarity.HIGHER, tolerance=D(tolerance))) is expected


def test_higher_boundary_that_binary_floating_point_gets_wrong() -> None:
    rule = Rule(Polarity.HIGHER, tolerance=D(10))
    # 1.1 − 1.1 × 10 ⁄ 100 is 0.99 exactly; in floats it is 0.9900000000000001, so a float
    # comparison would call 0.99 Red.
    assert 1.1 - 1.1 * 10 / 100 > 0.99
    assert ragg_status(D("0.99"), Target(D("1.1")), rule) is Ragg.AMBER
    assert ragg_status(D("0.9899999"), Target(D("1.1")), rule) is Ragg.RED
    # 33.3 × (1 − 0.10) = 29.97 exactly.
    assert ragg_status(D("29.97"), Target(D("33.3")), rule) is Ragg.AMBER
    assert ragg_status(D("29.969"), Target(D("33.3")), rule) is Ragg.RED
    assert ragg_status(D("0.1") + D("0.2"), Target(D("0.3")), HIGHER) is Ragg.GREEN


# -- lower is better ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", Ragg.GREEN),
        ("9.99", Ragg.GREEN),
        ("10", Ragg.GREEN),  # on target
        ("10.01", Ragg.AMBER),
        ("10.5", Ragg.AMBER),  # exactly 5 % above: Amber
        ("10.50", Ragg.AMBER),
        ("10.51", Ragg.RED),
        ("10.5000001", Ragg.RED),
        ("50", Ragg.RED),
    ],
)
def test_lower_target_10_tolerance_5(value: str, expected: Ragg) -> None:
    assert status(value, "10", LOWER) is expected


def test_lower_boundary_that_binary_floating_point_gets_wrong() -> None:
    # 1.1 + 1.1 × 10 ⁄ 100 is 1.21 exactly; in floats it is 1.2100000000000002, which would
    # happen to agree here, but 1.21 must be decided exactly, not by luck.
    assert 1.1 + 1.1 * 10 / 100 != 1.21
    rule = Rule(Polarity.LOWER, tolerance=D(10))
    assert ragg_status(D("1.21"), Target(D("1.1")), rule) is Ragg.AMBER
    assert ragg_status(D("1.2100001"), Target(D("1.1")), rule) is Ragg.RED
    assert ragg_status(D("0.1") + D("0.2"), Target(D("0.3")), LOWER) is Ragg.GREEN


# -- tolerance_abs ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "value", "expected"),
    [
        (Rule(Polarity.HIGHER, tolerance_abs=D(2)), "78", Ragg.AMBER),
        (Rule(Polarity.HIGHER, tolerance_abs=D(2)), "77.99", Ragg.RED),
        (Rule(Polarity.HIGHER, tolerance_abs=D(2)), "80", Ragg.GREEN),
        # the absolute margin replaces the percentage entirely (5 % would allow 76)
        (Rule(Polarity.HIGHER, tolerance=D(5), tolerance_abs=D(2)), "76", Ragg.RED),
        (Rule(Polarity.HIGHER, tolerance=D(1), tolerance_abs=D(10)), "70", Ragg.AMBER),
        (Rule(Polarity.LOWER, tolerance_abs=D("0.5")), "80.5", Ragg.AMBER),
        (Rule(Polarity.LOWER, tolerance_abs=D("0.5")), "80.51", Ragg.RED),
        (Rule(Polarity.HIGHER, tolerance_abs=D(0)), "79.99", Ragg.RED),
        (Rule(Polarity.HIGHER, tolerance_abs=D(-2)), "78", Ragg.AMBER),  # sign ignored
    ],
)
def test_tolerance_abs_is_an_absolute_margin(rule: Rule, value: str, expected: Ragg) -> None:
    assert ragg_status(D(value), Target(D(80)), rule) is expected


# -- zero and negative targets ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "value", "expected"),
    [
        (HIGHER, "0", Ragg.GREEN),
        (HIGHER, "3", Ragg.GREEN),
        (HIGHER, "-0.001", Ragg.RED),
        (LOWER, "0", Ragg.GREEN),
        (LOWER, "-3", Ragg.GREEN),
        (LOWER, "0.001", Ragg.RED),
        (Rule(Polarity.HIGHER, tolerance=D(50)), "-0.001", Ragg.RED),
        (Rule(Polarity.HIGHER, tolerance_abs=D(2)), "-2", Ragg.AMBER),
        (Rule(Polarity.HIGHER, tolerance_abs=D(2)), "-2.01", Ragg.RED),
        (Rule(Polarity.LOWER, tolerance_abs=D(2)), "2", Ragg.AMBER),
        (Rule(Polarity.LOWER, tolerance_abs=D(2)), "2.01", Ragg.RED),
    ],
)
def test_zero_target_any_miss_is_red_unless_tolerance_abs(
    rule: Rule, value: str, expected: Ragg
) -> None:
    assert ragg_status(D(value), Target(D(0)), rule) is expected


@pytest.mark.parametrize(
    ("rule", "value", "expected"),
    [
        # target −10, tolerance 5 % of |t| = 0.5, always on the worse side
        (HIGHER, "-9", Ragg.GREEN),
        (HIGHER, "-10", Ragg.GREEN),
        (HIGHER, "-10.5", Ragg.AMBER),
        (HIGHER, "-10.51", Ragg.RED),
        (LOWER, "-11", Ragg.GREEN),
        (LOWER, "-10", Ragg.GREEN),
        (LOWER, "-9.5", Ragg.AMBER),
        (LOWER, "-9.49", Ragg.RED),
    ],
)
def test_negative_target_band_lies_on_the_worse_side(
    rule: Rule, value: str, expected: Ragg
) -> None:
    assert ragg_status(D(value), Target(D(-10)), rule) is expected


# -- range ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("10", Ragg.GREEN),
        ("15", Ragg.GREEN),
        ("20", Ragg.GREEN),
        ("9.99", Ragg.AMBER),
        ("9.5", Ragg.AMBER),  # 5 % of the lower bound 10
        ("9.49", Ragg.RED),
        ("20.01", Ragg.AMBER),
        ("21", Ragg.AMBER),  # 5 % of the upper bound 20
        ("21.01", Ragg.RED),
        ("0", Ragg.RED),
        ("100", Ragg.RED),
    ],
)
def test_range_10_to_20_tolerance_of_the_nearer_bound(value: str, expected: Ragg) -> None:
    assert status(value, "10", RANGE, high="20") is expected


def test_range_bounds_given_in_either_order() -> None:
    assert status("21", "20", RANGE, high="10") is Ragg.AMBER
    assert status("9.5", "20", RANGE, high="10") is Ragg.AMBER
    assert status("15", "20", RANGE, high="10") is Ragg.GREEN


def test_range_with_tolerance_abs() -> None:
    rule = Rule(Polarity.RANGE, tolerance_abs=D(3))
    assert status("7", "10", rule, high="20") is Ragg.AMBER
    assert status("6.99", "10", rule, high="20") is Ragg.RED
    assert status("23", "10", rule, high="20") is Ragg.AMBER
    assert status("23.01", "10", rule, high="20") is Ragg.RED


def test_range_with_a_single_figure_is_a_range_of_one_value() -> None:
    assert status("50", "50", RANGE) is Ragg.GREEN
    assert status("52.5", "50", RANGE) is Ragg.AMBER
    assert status("47.5", "50", RANGE) is Ragg.AMBER
    assert status("47.49", "50", RANGE) is Ragg.RED


# -- Grey and none ----------------------------------------------------------------------------


def test_monitoring_only_with_a_value_is_grey_even_when_on_target() -> None:
    rule = Rule(monitoring_only=True)
    assert ragg_status(D(100), Target(D(80)), rule) is Ragg.GREY
    assert ragg_status(D(1), Target(D(80)), rule) is Ragg.GREY
    assert ragg_status(D(1), None, rule) is Ragg.GREY


@pytest.mark.parametrize("polarity", list(Polarity))
def test_a_value_without_a_target_is_grey(polarity: Polarity) -> None:
    assert ragg_status(D(5), None, Rule(polarity)) is Ragg.GREY


def test_annual_without_value_before_the_outturn_is_due_is_grey() -> None:
    rule = Rule(interval=Interval.ANNUAL)
    assert ragg_status(None, Target(D(80)), rule, outturn_due=False) is Ragg.GREY
    assert ragg_status(None, None, rule, outturn_due=False) is Ragg.GREY


def test_annual_without_value_once_the_outturn_is_due_is_none() -> None:
    rule = Rule(interval=Interval.ANNUAL)
    assert ragg_status(None, Target(D(80)), rule, outturn_due=True) is Ragg.NONE
    assert ragg_status(None, Target(D(80)), rule) is Ragg.NONE


def test_annual_with_a_value_is_coloured_normally() -> None:
    rule = Rule(interval=Interval.ANNUAL)
    assert ragg_status(D(80), Target(D(80)), rule, outturn_due=False) is Ragg.GREEN
    assert ragg_status(D(70), Target(D(80)), rule, outturn_due=False) is Ragg.RED


@pytest.mark.parametrize("interval", [Interval.MONTHLY, Interval.QUARTERLY, Interval.BIANNUAL])
@pytest.mark.parametrize("outturn_due", [True, False])
def test_no_value_is_none_for_other_intervals(interval: Interval, outturn_due: bool) -> None:
    rule = Rule(interval=interval)
    assert ragg_status(None, Target(D(80)), rule, outturn_due=outturn_due) is Ragg.NONE


@pytest.mark.parametrize("interval", list(Interval))
@pytest.mark.parametrize("outturn_due", [True, False])
def test_monitoring_only_without_a_value_is_none(interval: Interval, outturn_due: bool) -> None:
    rule = Rule(monitoring_only=True, interval=interval)
    assert ragg_status(None, None, rule, outturn_due=outturn_due) is Ragg.NONE


def test_ragg_words_and_meanings() -> None:
    assert [r.word for r in Ragg] == ["Red", "Amber", "Green", "Grey", "No data"]
    assert Ragg.AMBER.meaning.startswith("within the tolerance")
    assert all(r.meaning for r in Ragg)


# -- committee view -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ragg", "view"),
    [
        (Ragg.GREEN, Committee.ON_TARGET),
        (Ragg.AMBER, Committee.ON_TARGET),
        (Ragg.GREY, Committee.ON_TARGET),
        (Ragg.RED, Committee.OFF_TARGET),
        (Ragg.NONE, Committee.MISSING),
    ],
)
def test_committee_view_counts_amber_and_grey_as_on_target(ragg: Ragg, view: Committee) -> None:
    assert committee_view(ragg) is view


# -- targets for a period -----------------------------------------------------------------------


def test_exact_period_target_wins_over_the_year() -> None:
    targets = {p("2025-26"): Target(D(100)), p("2025-26 Q2"): Target(D(7))}
    assert target_for(targets, p("2025-26 Q2"), cumulative=False) == Target(D(7))
    assert target_for(targets, p("2025-26 Q2"), cumulative=True) == Target(D(7))


def test_non_cumulative_uses_the_year_target_for_every_period() -> None:
    targets = {p("2025-26"): Target(D(80))}
    for label in ["2025-26", "2025-26 Q1", "2025-26 H2", "2025-07", "2026-03"]:
        assert target_for(targets, p(label), cumulative=False) == Target(D(80))


def test_no_target_for_the_year_gives_none() -> None:
    targets = {p("2024-25"): Target(D(80)), p("2025-26 Q1"): Target(D(5))}
    assert target_for(targets, p("2025-26 Q2"), cumulative=False) is None
    assert target_for(targets, p("2025-26 Q2"), cumulative=True) is None
    assert target_for({}, p("2025-26"), cumulative=True) is None


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("2025-26 Q1", "25"),
        ("2025-26 Q2", "50"),
        ("2025-26 H1", "50"),
        ("2025-26 Q3", "75"),
        ("2025-26 Q4", "100"),
        ("2025-26 H2", "100"),
        ("2025-26", "100"),
        ("2025-06", "25"),
        ("2025-12", "75"),
    ],
)
def test_cumulative_year_target_is_profiled_pro_rata(label: str, expected: str) -> None:
    targets = {p("2025-26"): Target(D(100))}
    assert target_for(targets, p(label), cumulative=True) == Target(D(expected))


@pytest.mark.parametrize("month_of_year", range(1, 13))
def test_cumulative_month_target_is_m_twelfths_exactly(month_of_year: int) -> None:
    period = p("2025-04").shifted(month_of_year - 1)
    targets = {p("2025-26"): Target(D(120))}
    found = target_for(targets, period, cumulative=True)
    assert found is not None
    assert found.low == D(10 * month_of_year)
    assert found.high is None


@pytest.mark.parametrize(
    ("label", "year_target", "expected"),
    [
        ("2025-07", "30", "10"),  # 30 × 4⁄12 — must be exactly 10, not 9.999…
        ("2025-05", "36", "6"),  # 36 × 2⁄12
        ("2025-05", "24", "4"),
        ("2025-07", "24", "8"),
        ("2025-08", "6", "2.5"),  # 6 × 5⁄12
        ("2025-26 Q1", "33.3", "8.325"),
    ],
)
def test_pro_rata_targets_are_exact_decimals(label: str, year_target: str, expected: str) -> None:
    found = target_for({p("2025-26"): Target(D(year_target))}, p(label), cumulative=True)
    assert found == Target(D(expected))


def test_pro_rata_target_boundary_is_exact_in_the_status() -> None:
    # Cumulative, lower is better: 10 against the July target of 30 × 4⁄12 = 10 is on target.
    targets = {p("2025-26"): Target(D(30))}
    july = target_for(targets, p("2025-07"), cumulative=True)
    rule = Rule(Polarity.LOWER, cumulative=True, interval=Interval.MONTHLY)
    assert ragg_status(D(10), july, rule) is Ragg.GREEN
    higher = Rule(Polarity.HIGHER, cumulative=True, interval=Interval.MONTHLY)
    may = target_for({p("2025-26"): Target(D(36))}, p("2025-05"), cumulative=True)
    assert ragg_status(D(6), may, higher) is Ragg.GREEN


def test_cumulative_range_targets_are_scaled_at_both_ends() -> None:
    targets = {p("2025-26"): Target(D(40), D(80))}
    assert target_for(targets, p("2025-26 Q1"), cumulative=True) == Target(D(10), D(20))
    assert target_for(targets, p("2025-26 H1"), cumulative=True) == Target(D(20), D(40))
    assert target_for(targets, p("2025-26 Q3"), cumulative=True) == Target(D(30), D(60))
    assert target_for(targets, p("2025-26"), cumulative=True) == Target(D(40), D(80))
    assert target_for(targets, p("2025-26 Q1"), cumulative=False) == Target(D(40), D(80))


def test_target_is_range() -> None:
    assert Target(D(1), D(2)).is_range
    assert not Target(D(1)).is_range
    assert Target(D(10), D(20)).scaled(D("0.5")) == Target(D(5), D(10))
    assert Target(D(10)).scaled(D(2)) == Target(D(20))


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        (Target(D(30)), 30),
        (Target(D("30.0")), 30),
        (Target(D("30.5")), 30.5),
        (Target(D("-2.25")), -2.25),
        (Target(D(0)), 0),
        (Target(D(10), D("20.5")), [10, 20.5]),
        (Target(D("0.1"), D(1)), [0.1, 1]),
    ],
)
def test_target_as_json(target: Target, expected: object) -> None:
    result = target.as_json()
    assert result == expected
    assert type(result) is type(expected)
    if isinstance(result, list) and isinstance(expected, list):
        assert [type(x) for x in result] == [type(x) for x in expected]


# -- direction of travel ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "earlier", "polarity", "expected"),
    [
        ("5", "4", Polarity.HIGHER, Direction.IMPROVING),
        ("3", "4", Polarity.HIGHER, Direction.DECLINING),
        ("4", "4", Polarity.HIGHER, Direction.SAME),
        ("4.0", "4", Polarity.HIGHER, Direction.SAME),
        ("5", "4", Polarity.LOWER, Direction.DECLINING),
        ("3", "4", Polarity.LOWER, Direction.IMPROVING),
        ("4", "4.00", Polarity.LOWER, Direction.SAME),
        ("-1", "-2", Polarity.HIGHER, Direction.IMPROVING),
        ("-1", "-2", Polarity.LOWER, Direction.DECLINING),
    ],
)
def test_direction_for_higher_and_lower(
    value: str, earlier: str, polarity: Polarity, expected: Direction
) -> None:
    assert direction_of_travel(D(value), D(earlier), polarity, Target(D(10))) is expected
    assert direction_of_travel(D(value), D(earlier), polarity, None) is expected


@pytest.mark.parametrize(
    ("value", "earlier", "expected"),
    [
        ("15", "25", Direction.IMPROVING),  # moved into the range
        ("25", "15", Direction.DECLINING),  # left the range
        ("12", "18", Direction.SAME),  # both inside: distance 0
        ("5", "4", Direction.IMPROVING),  # below, getting closer
        ("4", "5", Direction.DECLINING),
        ("21", "23", Direction.IMPROVING),  # above, getting closer
        ("23", "21", Direction.DECLINING),
        ("8", "22", Direction.SAME),  # 2 below vs 2 above
        ("5", "26", Direction.IMPROVING),  # 5 below is closer than 6 above
        ("26", "5", Direction.DECLINING),
    ],
)
def test_direction_for_range_is_closer_to_the_range(
    value: str, earlier: str, expected: Direction
) -> None:
    target = Target(D(10), D(20))
    assert direction_of_travel(D(value), D(earlier), Polarity.RANGE, target) is expected


def test_direction_for_range_with_a_single_figure_target() -> None:
    target = Target(D(50))
    assert direction_of_travel(D(49), D(45), Polarity.RANGE, target) is Direction.IMPROVING
    assert direction_of_travel(D(60), D(45), Polarity.RANGE, target) is Direction.DECLINING
    assert direction_of_travel(D(55), D(45), Polarity.RANGE, target) is Direction.SAME


def test_direction_for_range_without_a_target() -> None:
    assert direction_of_travel(D(5), D(5), Polarity.RANGE, None) is Direction.SAME
    assert direction_of_travel(D(5), D(6), Polarity.RANGE, None) is None


@pytest.mark.parametrize("polarity", list(Polarity))
def test_direction_is_none_without_both_values(polarity: Polarity) -> None:
    target = Target(D(10), D(20))
    assert direction_of_travel(None, D(5), polarity, target) is None
    assert direction_of_travel(D(5), None, polarity, target) is None
    assert direction_of_travel(None, None, polarity, target) is None


# -- properties -------------------------------------------------------------------------------

values = st.decimals(
    min_value=-10_000, max_value=10_000, allow_nan=False, allow_infinity=False, places=3
)
positive_targets = st.decimals(
    min_value=D("0.001"), max_value=10_000, allow_nan=False, allow_infinity=False, places=3
)
tolerances = st.decimals(
    min_value=0, max_value=100, allow_nan=False, allow_infinity=False, places=2
)
positive_tolerances = st.decimals(
    min_value=D("0.01"), max_value=100, allow_nan=False, allow_infinity=False, places=2
)
abs_tolerances = st.none() | st.decimals(
    min_value=0, max_value=1_000, allow_nan=False, allow_infinity=False, places=2
)


@given(
    v1=values,
    v2=values,
    t=values,
    tol=tolerances,
    tol_abs=abs_tolerances,
    polarity=st.sampled_from([Polarity.HIGHER, Polarity.LOWER]),
)
def test_ragg_is_monotonic_in_the_value(
    v1: Decimal,
    v2: Decimal,
    t: Decimal,
    tol: Decimal,
    tol_abs: Decimal | None,
    polarity: Polarity,
) -> None:
    low, high = sorted([v1, v2])
    rule = Rule(polarity, tolerance=tol, tolerance_abs=tol_abs)
    rank_low = RANK[ragg_status(low, Target(t), rule)]
    rank_high = RANK[ragg_status(high, Target(t), rule)]
    if polarity is Polarity.HIGHER:
        assert rank_low <= rank_high
    else:
        assert rank_low >= rank_high


@given(v=values, t=values, tol=tolerances, tol_abs=abs_tolerances)
def test_lower_mirrors_higher(
    v: Decimal, t: Decimal, tol: Decimal, tol_abs: Decimal | None
) -> None:
    lower = Rule(Polarity.LOWER, tolerance=tol, tolerance_abs=tol_abs)
    higher = Rule(Polarity.HIGHER, tolerance=tol, tolerance_abs=tol_abs)
    assert ragg_status(v, Target(t), lower) == ragg_status(-v, Target(-t), higher)


@given(t=positive_targets, tol=positive_tolerances)
def test_the_exact_tolerance_boundary_is_amber(t: Decimal, tol: Decimal) -> None:
    boundary = t * (1 - tol / 100)
    assert ragg_status(boundary, Target(t), Rule(Polarity.HIGHER, tolerance=tol)) is Ragg.AMBER
    above = t * (1 + tol / 100)
    assert ragg_status(above, Target(t), Rule(Polarity.LOWER, tolerance=tol)) is Ragg.AMBER
    step = D("0.00001")
    assert ragg_status(boundary - step, Target(t), Rule(tolerance=tol)) is Ragg.RED
    assert ragg_status(above + step, Target(t), Rule(Polarity.LOWER, tolerance=tol)) is Ragg.RED


@given(t=values, tol=tolerances, tol_abs=abs_tolerances, polarity=st.sampled_from(list(Polarity)))
def test_on_target_is_always_green(
    t: Decimal, tol: Decimal, tol_abs: Decimal | None, polarity: Polarity
) -> None:
    rule = Rule(polarity, tolerance=tol, tolerance_abs=tol_abs)
    assert ragg_status(t, Target(t), rule) is Ragg.GREEN


@given(v=values, a=values, b=values, tol=tolerances)
def test_range_is_green_inside_and_never_green_outside(
    v: Decimal, a: Decimal, b: Decimal, tol: Decimal
) -> None:
    low, high = sorted([a, b])
    result = ragg_status(v, Target(low, high), Rule(Polarity.RANGE, tolerance=tol))
    assert (result is Ragg.GREEN) == (low <= v <= high)
    assert result in RANK


@given(v=values, earlier=values, polarity=st.sampled_from([Polarity.HIGHER, Polarity.LOWER]))
def test_direction_is_antisymmetric(v: Decimal, earlier: Decimal, polarity: Polarity) -> None:
    forward = direction_of_travel(v, earlier, polarity, None)
    backward = direction_of_travel(earlier, v, polarity, None)
    flip = {
        Direction.IMPROVING: Direction.DECLINING,
        Direction.DECLINING: Direction.IMPROVING,
        Direction.SAME: Direction.SAME,
    }
    assert forward is not None
    assert backward is flip[forward]


@given(
    t=st.decimals(min_value=0, max_value=100_000, allow_nan=False, allow_infinity=False, places=2),
    months=st.integers(min_value=1, max_value=12),
)
def test_pro_rata_target_times_twelve_is_months_times_year_target(t: Decimal, months: int) -> None:
    period = p("2025-04").shifted(months - 1)
    found = target_for({p("2025-26"): Target(t)}, period, cumulative=True)
    assert found is not None
    # Exact whenever t·m is a multiple of 12 in its last place; always within one ulp.
    if (t * months * 100) % 12 == 0:
        assert found.low * 12 == t * months
    assert abs(found.low * 12 - t * months) <= D("1e-20")
