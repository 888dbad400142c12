"""Reporting periods of the financial year (PRODUCT §2, and the interval rule of §4)."""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction
from itertools import pairwise

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from bot.periods import (
    Interval,
    Period,
    PeriodError,
    PeriodKind,
    canonical,
    fy_label,
    fy_of,
    latest_ended,
    periods_of_year,
)

COUNT = {PeriodKind.YEAR: 1, PeriodKind.HALF: 2, PeriodKind.QUARTER: 4, PeriodKind.MONTH: 12}


def q(fy: int, n: int) -> Period:
    return Period(PeriodKind.QUARTER, fy, n)


def h(fy: int, n: int) -> Period:
    return Period(PeriodKind.HALF, fy, n)


def month(year: int, m: int) -> Period:
    return Period.containing(PeriodKind.MONTH, date(year, m, 1))


@st.composite
def periods(draw: st.DrawFn, min_fy: int = 1901, max_fy: int = 2998) -> Period:
    kind = draw(st.sampled_from(list(PeriodKind)))
    fy = draw(st.integers(min_value=min_fy, max_value=max_fy))
    index = draw(st.integers(min_value=1, max_value=COUNT[kind]))
    return Period(kind, fy, index)


def is_ambiguous_month_label(period: Period) -> bool:
    """`2005-06` is both June 2005 and the financial year 2005-06; it reads as the year."""
    return period.kind is PeriodKind.MONTH and period.start.month == (period.start.year + 1) % 100


# -- parsing ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-26", Period.year(2025)),
        ("2025-26 H1", h(2025, 1)),
        ("2025-26 H2", h(2025, 2)),
        ("2025-26 Q1", q(2025, 1)),
        ("2025-26 Q2", q(2025, 2)),
        ("2025-26 Q3", q(2025, 3)),
        ("2025-26 Q4", q(2025, 4)),
        ("2025-04", Period(PeriodKind.MONTH, 2025, 1)),
        ("2025-07", Period(PeriodKind.MONTH, 2025, 4)),
        ("2025-12", Period(PeriodKind.MONTH, 2025, 9)),
        ("2026-01", Period(PeriodKind.MONTH, 2025, 10)),
        ("2026-03", Period(PeriodKind.MONTH, 2025, 12)),
    ],
)
def test_canonical_labels_parse_to_their_period(text: str, expected: Period) -> None:
    assert Period.parse(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025/26", "2025-26"),
        ("2025-2026", "2025-26"),
        ("2025/2026", "2025-26"),
        ("Q1 2025-26", "2025-26 Q1"),
        ("q1 2025/26", "2025-26 Q1"),
        ("2025-26 q1", "2025-26 Q1"),
        ("2025-26-Q1", "2025-26 Q1"),
        ("2025-26Q3", "2025-26 Q3"),
        ("2025-26-H2", "2025-26 H2"),
        ("H2 2025-26", "2025-26 H2"),
        ("2025-2026 Q4", "2025-26 Q4"),
        ("  2025-26   Q2  ", "2025-26 Q2"),
        ("Jul 2025", "2025-07"),
        ("jul 2025", "2025-07"),
        ("JUL 2025", "2025-07"),
        ("Jul. 2025", "2025-07"),
        ("July 2025", "2025-07"),
        ("January 2026", "2026-01"),
        ("2025-7", "2025-07"),
        ("2025/07", "2025-07"),
    ],
)
def test_accepted_variants_parse_to_the_canonical_label(text: str, expected: str) -> None:
    assert str(Period.parse(text)) == expected
    assert canonical(text) == expected


def test_variants_name_the_same_period() -> None:
    variants = ["2025-26 Q1", "Q1 2025-26", "2025-26 q1", "2025-26-Q1", "q1 2025/26"]
    assert {Period.parse(text) for text in variants} == {q(2025, 1)}


def test_a_label_that_is_both_a_month_and_a_year_reads_as_the_financial_year() -> None:
    # Only 2000-01 … 2011-12 (and 1900-01 … 1911-12) are ambiguous; documented in periods.py.
    assert Period.parse("2005-06") == Period.year(2005)
    assert Period.parse("2011-12") == Period.year(2011)
    assert Period.parse("Jun 2005") == month(2005, 6)


def test_century_boundary_year_label() -> None:
    assert Period.parse("1999-00") == Period.year(1999)
    assert Period.parse("2099-00") == Period.year(2099)
    assert str(Period.year(2099)) == "2099-00"


# -- bad labels ---------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "\t\n"])
def test_empty_label_says_a_period_is_needed(text: str) -> None:
    with pytest.raises(PeriodError, match=r"a period is needed, such as 2025-26"):
        Period.parse(text)


@pytest.mark.parametrize("text", ["2025-27", "2025/27", "2025-2027", "Q1 2025-27", "2025-24 Q1"])
def test_wrong_second_year_says_it_must_follow_the_first(text: str) -> None:
    with pytest.raises(PeriodError) as error:
        Period.parse(text)
    message = str(error.value)
    assert f"'{text}' is not a financial year" in message
    assert "the second year must follow the first" in message
    assert "2025-26" in message


@pytest.mark.parametrize(
    "text", ["2025-26 Q5", "2025-26 Q0", "Q5 2025-26", "2025-26 H3", "H0 2025-26"]
)
def test_quarter_or_half_out_of_range_names_the_valid_ones(text: str) -> None:
    with pytest.raises(PeriodError, match=r"quarters Q1–Q4 and halves H1–H2") as error:
        Period.parse(text)
    assert f"'{text}'" in str(error.value)


@pytest.mark.parametrize("text", ["2025-13", "2025-00"])
def test_month_13_is_rejected_with_the_label_and_an_accepted_form(text: str) -> None:
    with pytest.raises(PeriodError) as error:
        Period.parse(text)
    assert f"'{text}'" in str(error.value)
    assert "2025-26" in str(error.value)


def test_month_zero_says_months_run_01_to_12() -> None:
    with pytest.raises(PeriodError, match=r"'2025-0' is not a month: months run 01 to 12"):
        Period.parse("2025-0")


@pytest.mark.parametrize(
    "text",
    ["junk", "Q1", "2025", "2025-26 Q10", "2025-26 X1", "Foo 2025", "Sept 2025x", "25-26", "Q1-Q2"],
)
def test_junk_says_how_to_write_a_period(text: str) -> None:
    with pytest.raises(
        PeriodError,
        match=r"is not a period label; write it like 2025-26, 2025-26 Q1, 2025-26 H2 or 2025-07",
    ):
        Period.parse(text)


def test_period_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        Period.parse("nonsense")


def test_year_out_of_range_is_a_period_error() -> None:
    with pytest.raises(PeriodError, match="out of range"):
        Period.parse("3000-01")


@pytest.mark.parametrize(
    ("kind", "index"),
    [
        (PeriodKind.QUARTER, 0),
        (PeriodKind.QUARTER, 5),
        (PeriodKind.HALF, 3),
        (PeriodKind.MONTH, 13),
        (PeriodKind.YEAR, 2),
    ],
)
def test_constructing_a_period_with_an_impossible_index_fails(kind: PeriodKind, index: int) -> None:
    with pytest.raises(PeriodError, match=f"has no number {index}"):
        Period(kind, 2025, index)


# -- printing ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "label"),
    [
        (Period.year(2025), "2025-26"),
        (Period.year(1999), "1999-00"),
        (h(2025, 1), "2025-26 H1"),
        (h(2025, 2), "2025-26 H2"),
        (q(2025, 1), "2025-26 Q1"),
        (q(2025, 4), "2025-26 Q4"),
        (Period(PeriodKind.MONTH, 2025, 1), "2025-04"),
        (Period(PeriodKind.MONTH, 2025, 12), "2026-03"),
    ],
)
def test_str_prints_the_canonical_label(period: Period, label: str) -> None:
    assert str(period) == label
    assert period.label == label
    assert repr(period) == f"Period({label!r})"


def test_fy_label_and_fy_of() -> None:
    assert fy_label(2025) == "2025-26"
    assert fy_label(2009) == "2009-10"
    assert fy_of(date(2025, 4, 1)) == 2025
    assert fy_of(date(2026, 3, 31)) == 2025
    assert fy_of(date(2025, 3, 31)) == 2024


# -- dates covered ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "start", "end"),
    [
        ("2025-26", date(2025, 4, 1), date(2026, 3, 31)),
        ("2025-26 H1", date(2025, 4, 1), date(2025, 9, 30)),
        ("2025-26 H2", date(2025, 10, 1), date(2026, 3, 31)),
        ("2025-26 Q1", date(2025, 4, 1), date(2025, 6, 30)),
        ("2025-26 Q2", date(2025, 7, 1), date(2025, 9, 30)),
        ("2025-26 Q3", date(2025, 10, 1), date(2025, 12, 31)),
        ("2025-26 Q4", date(2026, 1, 1), date(2026, 3, 31)),
        ("2025-04", date(2025, 4, 1), date(2025, 4, 30)),
        ("2025-07", date(2025, 7, 1), date(2025, 7, 31)),
        ("2026-02", date(2026, 2, 1), date(2026, 2, 28)),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),
        ("2023-24 Q4", date(2024, 1, 1), date(2024, 3, 31)),
    ],
)
def test_start_and_end_dates(label: str, start: date, end: date) -> None:
    period = Period.parse(label)
    assert (period.start, period.end) == (start, end)
    assert period.contains(start) and period.contains(end)
    assert not period.contains(start - timedelta(days=1))
    assert not period.contains(end + timedelta(days=1))


@pytest.mark.parametrize(
    ("kind", "day", "label"),
    [
        (PeriodKind.YEAR, date(2026, 3, 31), "2025-26"),
        (PeriodKind.YEAR, date(2025, 4, 1), "2025-26"),
        (PeriodKind.YEAR, date(2025, 3, 31), "2024-25"),
        (PeriodKind.HALF, date(2025, 9, 30), "2025-26 H1"),
        (PeriodKind.HALF, date(2025, 10, 1), "2025-26 H2"),
        (PeriodKind.QUARTER, date(2026, 2, 14), "2025-26 Q4"),
        (PeriodKind.MONTH, date(2025, 7, 15), "2025-07"),
    ],
)
def test_containing_finds_the_period_of_a_day(kind: PeriodKind, day: date, label: str) -> None:
    assert str(Period.containing(kind, day)) == label


def test_covers_and_financial_year() -> None:
    year = Period.year(2025)
    assert year.covers(q(2025, 4))
    assert year.covers(year)
    assert h(2025, 1).covers(q(2025, 2))
    assert not h(2025, 1).covers(q(2025, 3))
    assert not q(2025, 1).covers(h(2025, 1))
    assert q(2025, 3).covers(month(2025, 12))
    assert month(2026, 1).financial_year == year
    assert q(2025, 4).financial_year == year


def test_periods_sort_by_their_end_date() -> None:
    unordered = [month(2026, 1), Period.year(2024), q(2025, 2), month(2025, 4)]
    assert sorted(unordered) == [Period.year(2024), month(2025, 4), q(2025, 2), month(2026, 1)]
    assert q(2025, 1) <= q(2025, 1)


@pytest.mark.parametrize(
    ("label", "fraction"),
    [
        ("2025-26", Fraction(1)),
        ("2025-26 H1", Fraction(1, 2)),
        ("2025-26 H2", Fraction(1)),
        ("2025-26 Q1", Fraction(1, 4)),
        ("2025-26 Q2", Fraction(1, 2)),
        ("2025-26 Q3", Fraction(3, 4)),
        ("2025-26 Q4", Fraction(1)),
        ("2025-04", Fraction(1, 12)),
        ("2025-07", Fraction(4, 12)),
        ("2025-12", Fraction(9, 12)),
        ("2026-03", Fraction(1)),
    ],
)
def test_year_fraction_is_the_share_of_the_year_elapsed_at_the_end(
    label: str, fraction: Fraction
) -> None:
    assert Period.parse(label).year_fraction == fraction


# -- neighbours ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "previous", "following"),
    [
        ("2025-26 Q1", "2024-25 Q4", "2025-26 Q2"),
        ("2025-26 Q4", "2025-26 Q3", "2026-27 Q1"),
        ("2025-26 H1", "2024-25 H2", "2025-26 H2"),
        ("2025-26 H2", "2025-26 H1", "2026-27 H1"),
        ("2025-26", "2024-25", "2026-27"),
        ("2026-01", "2025-12", "2026-02"),
        ("2025-04", "2025-03", "2025-05"),
        ("2026-03", "2026-02", "2026-04"),
        ("1999-00", "1998-99", "2000-01"),
    ],
)
def test_previous_and_next_cross_year_boundaries(label: str, previous: str, following: str) -> None:
    period = Period.parse(label)
    assert str(period.previous()) == previous
    assert str(period.next()) == following


def test_shifted_moves_several_periods() -> None:
    assert q(2025, 1).shifted(5) == q(2026, 2)
    assert q(2025, 1).shifted(-5) == q(2023, 4)
    assert month(2025, 4).shifted(-12) == month(2024, 4)
    assert h(2025, 2).shifted(0) == h(2025, 2)


@pytest.mark.parametrize(
    ("label", "earlier"),
    [
        ("2025-26", "2024-25"),
        ("2025-26 H2", "2024-25 H2"),
        ("2025-26 Q1", "2024-25 Q1"),
        ("2026-01", "2025-01"),
        ("2025-07", "2024-07"),
    ],
)
def test_year_earlier_is_the_same_period_a_year_before(label: str, earlier: str) -> None:
    assert str(Period.parse(label).year_earlier()) == earlier


# -- a quarter's summary uses the interval's period (PRODUCT §4) ------------------------------


@pytest.mark.parametrize(
    ("quarter", "interval", "expected"),
    [
        ("2025-26 Q1", Interval.MONTHLY, "2025-06"),
        ("2025-26 Q2", Interval.MONTHLY, "2025-09"),
        ("2025-26 Q3", Interval.MONTHLY, "2025-12"),
        ("2025-26 Q4", Interval.MONTHLY, "2026-03"),
        ("2025-26 Q1", Interval.QUARTERLY, "2025-26 Q1"),
        ("2025-26 Q3", Interval.QUARTERLY, "2025-26 Q3"),
        ("2025-26 Q2", Interval.BIANNUAL, "2025-26 H1"),
        ("2025-26 Q4", Interval.BIANNUAL, "2025-26 H2"),
        ("2025-26 Q1", Interval.ANNUAL, "2025-26"),
        ("2025-26 Q2", Interval.ANNUAL, "2025-26"),
        ("2025-26 Q4", Interval.ANNUAL, "2025-26"),
    ],
)
def test_in_interval_uses_the_period_ending_in_or_with_the_quarter(
    quarter: str, interval: Interval, expected: str
) -> None:
    assert str(Period.parse(quarter).in_interval(interval)) == expected


def test_in_interval_of_a_half_or_year() -> None:
    assert str(h(2025, 1).in_interval(Interval.QUARTERLY)) == "2025-26 Q2"
    assert str(Period.year(2025).in_interval(Interval.MONTHLY)) == "2026-03"
    assert str(Period.year(2025).in_interval(Interval.BIANNUAL)) == "2025-26 H2"


def test_interval_kinds() -> None:
    assert Interval.MONTHLY.kind is PeriodKind.MONTH
    assert Interval.QUARTERLY.kind is PeriodKind.QUARTER
    assert Interval.BIANNUAL.kind is PeriodKind.HALF
    assert Interval.ANNUAL.kind is PeriodKind.YEAR


@pytest.mark.parametrize("interval", list(Interval))
def test_periods_of_year_lists_every_period_in_order(interval: Interval) -> None:
    listed = periods_of_year(interval, 2025)
    assert listed[0].start == date(2025, 4, 1)
    assert listed[-1].end == date(2026, 3, 31)
    assert all(p.kind is interval.kind for p in listed)
    assert listed == sorted(listed)


# -- latest ended -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("interval", "today", "expected"),
    [
        (Interval.QUARTERLY, date(2025, 7, 1), "2025-26 Q1"),
        (Interval.QUARTERLY, date(2025, 6, 30), "2024-25 Q4"),
        (Interval.QUARTERLY, date(2025, 4, 1), "2024-25 Q4"),
        (Interval.MONTHLY, date(2026, 1, 15), "2025-12"),
        (Interval.MONTHLY, date(2025, 4, 1), "2025-03"),
        (Interval.BIANNUAL, date(2025, 10, 1), "2025-26 H1"),
        (Interval.BIANNUAL, date(2025, 9, 30), "2024-25 H2"),
        (Interval.ANNUAL, date(2026, 4, 1), "2025-26"),
        (Interval.ANNUAL, date(2026, 3, 31), "2024-25"),
    ],
)
def test_latest_ended_is_the_last_period_finished_before_today(
    interval: Interval, today: date, expected: str
) -> None:
    assert str(latest_ended(interval, today)) == expected


@given(
    interval=st.sampled_from(list(Interval)),
    today=st.dates(min_value=date(1902, 1, 1), max_value=date(2998, 12, 31)),
)
def test_latest_ended_property(interval: Interval, today: date) -> None:
    period = latest_ended(interval, today)
    assert period.kind is interval.kind
    assert period.end < today
    assert period.next().end >= today


# -- properties -------------------------------------------------------------------------------


@given(periods(min_fy=1900, max_fy=2999))
def test_parse_of_str_round_trips(period: Period) -> None:
    assume(not is_ambiguous_month_label(period))
    assert Period.parse(str(period)) == period


@given(periods())
def test_previous_then_next_is_identity(period: Period) -> None:
    assert period.previous().next() == period
    assert period.next().previous() == period


@given(periods())
def test_consecutive_periods_leave_no_gap(period: Period) -> None:
    assert period.next().start == period.end + timedelta(days=1)
    assert period.previous().end == period.start - timedelta(days=1)


@given(
    kind=st.sampled_from(list(PeriodKind)),
    fy=st.integers(min_value=1900, max_value=2999),
)
def test_periods_tile_the_financial_year(kind: PeriodKind, fy: int) -> None:
    listed = [Period(kind, fy, index) for index in range(1, COUNT[kind] + 1)]
    assert listed[0].start == date(fy, 4, 1)
    assert listed[-1].end == date(fy + 1, 3, 31)
    for earlier, later in pairwise(listed):
        assert later.start == earlier.end + timedelta(days=1)
    assert (
        sum((p.end - p.start).days + 1 for p in listed)
        == (date(fy + 1, 4, 1) - date(fy, 4, 1)).days
    )
    assert listed[-1].year_fraction == 1


@given(periods())
def test_year_earlier_is_twelve_months_back(period: Period) -> None:
    earlier = period.year_earlier()
    assert earlier.kind is period.kind
    assert earlier.fy == period.fy - 1
    assert (earlier.start.year, earlier.start.month) == (period.start.year - 1, period.start.month)


@given(periods(), st.dates(min_value=date(1900, 4, 1), max_value=date(2999, 3, 31)))
def test_containing_is_consistent_with_contains(period: Period, day: date) -> None:
    found = Period.containing(period.kind, day)
    assert found.contains(day)
    assert period.contains(day) == (period == found)


@given(periods(), st.sampled_from(list(Interval)))
def test_in_interval_contains_the_period_end(period: Period, interval: Interval) -> None:
    chosen = period.in_interval(interval)
    assert chosen.kind is interval.kind
    assert chosen.contains(period.end)


@pytest.mark.parametrize("label", ["2025-13", "2025-00"])
def test_a_month_out_of_range_says_months_run_01_to_12(label: str) -> None:
    with pytest.raises(PeriodError, match="a month runs 01 to 12"):
        Period.parse(label)


def test_sept_is_accepted_as_september() -> None:
    assert Period.parse("Sept 2025").label == "2025-09"
