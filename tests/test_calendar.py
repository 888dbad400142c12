"""Working days, deadlines and Performance Board dates (PRODUCT §2).

Every expected date below was worked out by hand from a calendar; the comments show the count.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.calendar import (
    DEFAULT_PERFORMANCE_BOARD_WEEKS,
    DEFAULT_REPORTING_LAG,
    Region,
    WorkingCalendar,
    make_calendar,
)
from bot.periods import Period, PeriodKind

ENG = make_calendar()
SCT = make_calendar("SCT")
NIR = make_calendar(Region.NIR)
CHRISTMAS_CLOSURE_2025 = [date(2025, 12, 29), date(2025, 12, 30), date(2025, 12, 31)]
ENG_CLOSED = make_calendar("ENG", CHRISTMAS_CLOSURE_2025)

COUNT = {PeriodKind.YEAR: 1, PeriodKind.HALF: 2, PeriodKind.QUARTER: 4, PeriodKind.MONTH: 12}


def test_defaults_are_england_and_wales_lag_8_and_three_weeks() -> None:
    assert WorkingCalendar().region is Region.ENG
    assert ENG.region is Region.ENG
    assert ENG.closure_days == frozenset()
    assert DEFAULT_REPORTING_LAG == 8
    assert DEFAULT_PERFORMANCE_BOARD_WEEKS == 3


def test_region_descriptions() -> None:
    assert Region.ENG.description == "England and Wales"
    assert Region.SCT.description == "Scotland"
    assert Region.NIR.description == "Northern Ireland"


def test_unknown_region_is_rejected() -> None:
    with pytest.raises(ValueError):
        make_calendar("XYZ")


# -- bank holidays (from the `holidays` package) ----------------------------------------------


@pytest.mark.parametrize(
    ("day", "name"),
    [
        (date(2025, 4, 18), "Good Friday"),
        (date(2025, 4, 21), "Easter Monday"),
        (date(2022, 12, 26), "Boxing Day"),
        (date(2022, 12, 27), "Christmas Day (observed)"),
        (date(2023, 1, 2), "New Year's Day (observed)"),
        (date(2023, 5, 8), "Coronation of Charles III"),
        (date(2022, 9, 19), "State Funeral of Queen Elizabeth II"),
        (date(2022, 6, 3), "Platinum Jubilee of Elizabeth II"),
        (date(2025, 8, 25), "Late Summer Bank Holiday"),
    ],
)
def test_england_bank_holidays_are_not_working_days(day: date, name: str) -> None:
    assert day.weekday() < 5
    assert ENG.bank_holiday(day) == name
    assert not ENG.is_working_day(day)
    assert ENG.why_not_working(day) == name


def test_christmas_2022_on_a_sunday_moves_to_tuesday_27th() -> None:
    assert date(2022, 12, 25).weekday() == 6  # Sunday
    assert ENG.why_not_working(date(2022, 12, 25)) == "Sunday"
    assert not ENG.is_working_day(date(2022, 12, 26))
    assert not ENG.is_working_day(date(2022, 12, 27))
    assert ENG.is_working_day(date(2022, 12, 23))
    assert ENG.is_working_day(date(2022, 12, 28))


@pytest.mark.parametrize("day", [date(2025, 4, 17), date(2025, 4, 22), date(2023, 5, 9)])
def test_days_around_bank_holidays_are_working_days(day: date) -> None:
    assert ENG.is_working_day(day)
    assert ENG.bank_holiday(day) is None
    assert ENG.why_not_working(day) is None


def test_scotland_has_2_january_and_st_andrews_day_but_england_does_not() -> None:
    assert SCT.bank_holiday(date(2025, 1, 2)) == "New Year Holiday"
    assert ENG.is_working_day(date(2025, 1, 2))
    assert not SCT.is_working_day(date(2025, 1, 2))
    assert SCT.bank_holiday(date(2023, 11, 30)) == "Saint Andrew's Day"
    assert ENG.is_working_day(date(2023, 11, 30))
    assert not SCT.is_working_day(date(2023, 11, 30))


def test_st_andrews_day_2025_on_a_sunday_is_substituted_on_monday_1_december() -> None:
    assert date(2025, 11, 30).weekday() == 6
    assert SCT.bank_holiday(date(2025, 12, 1)) == "Saint Andrew's Day (observed)"
    assert not SCT.is_working_day(date(2025, 12, 1))
    assert ENG.is_working_day(date(2025, 12, 1))


def test_scotland_has_no_easter_monday_but_england_does() -> None:
    assert SCT.is_working_day(date(2025, 4, 21))
    assert not ENG.is_working_day(date(2025, 4, 21))
    assert not SCT.is_working_day(date(2025, 4, 18))  # Good Friday everywhere


def test_northern_ireland_has_st_patricks_day_and_the_boyne() -> None:
    assert NIR.bank_holiday(date(2025, 3, 17)) == "Saint Patrick's Day"
    assert not NIR.is_working_day(date(2025, 3, 17))
    assert ENG.is_working_day(date(2025, 3, 17))
    assert SCT.is_working_day(date(2025, 3, 17))
    # 12 July 2025 is a Saturday: substitute on Monday 14 July.
    assert not NIR.is_working_day(date(2025, 7, 14))
    assert ENG.is_working_day(date(2025, 7, 14))


def test_one_off_days_apply_in_every_region() -> None:
    for calendar in (ENG, SCT, NIR):
        assert not calendar.is_working_day(date(2023, 5, 8))
        assert not calendar.is_working_day(date(2022, 9, 19))


# -- closure days and reasons -------------------------------------------------------------------


def test_closure_days_are_not_working_days() -> None:
    for day in CHRISTMAS_CLOSURE_2025:
        assert ENG.is_working_day(day)
        assert not ENG_CLOSED.is_working_day(day)
        assert ENG_CLOSED.why_not_working(day) == "a council closure day"


@pytest.mark.parametrize(
    ("day", "reason"),
    [
        (date(2025, 7, 5), "Saturday"),
        (date(2025, 7, 6), "Sunday"),
        (date(2025, 12, 27), "Saturday"),
        (date(2025, 12, 25), "Christmas Day"),
        (date(2025, 12, 26), "Boxing Day"),
        (date(2025, 12, 29), "a council closure day"),
        (date(2026, 1, 1), "New Year's Day"),
        (date(2026, 1, 2), None),
        (date(2025, 7, 7), None),
    ],
)
def test_why_not_working_gives_the_reason_in_plain_words(day: date, reason: str | None) -> None:
    assert ENG_CLOSED.why_not_working(day) == reason
    assert ENG_CLOSED.is_working_day(day) == (reason is None)


def test_non_working_days_lists_each_day_off_with_its_reason() -> None:
    days_off = list(ENG_CLOSED.non_working_days(date(2025, 12, 24), date(2026, 1, 5)))
    assert days_off == [
        (date(2025, 12, 25), "Christmas Day"),
        (date(2025, 12, 26), "Boxing Day"),
        (date(2025, 12, 27), "Saturday"),
        (date(2025, 12, 28), "Sunday"),
        (date(2025, 12, 29), "a council closure day"),
        (date(2025, 12, 30), "a council closure day"),
        (date(2025, 12, 31), "a council closure day"),
        (date(2026, 1, 1), "New Year's Day"),
        (date(2026, 1, 3), "Saturday"),
        (date(2026, 1, 4), "Sunday"),
    ]


# -- counting working days ----------------------------------------------------------------------


def test_add_working_days_forward_skips_weekends_and_bank_holidays() -> None:
    # Fri 23 Dec 2022 → Sat, Sun, Mon 26 (Boxing Day), Tue 27 (substitute) → Wed 28.
    assert ENG.add_working_days(date(2022, 12, 23), 1) == date(2022, 12, 28)
    assert ENG.add_working_days(date(2022, 12, 23), 2) == date(2022, 12, 29)
    # Thu 17 Apr 2025 → Good Friday, weekend, Easter Monday → Tue 22 Apr.
    assert ENG.add_working_days(date(2025, 4, 17), 1) == date(2025, 4, 22)
    assert ENG.next_working_day(date(2025, 4, 17)) == date(2025, 4, 22)


def test_add_working_days_backward() -> None:
    assert ENG.add_working_days(date(2022, 12, 28), -1) == date(2022, 12, 23)
    assert ENG.add_working_days(date(2025, 4, 22), -1) == date(2025, 4, 17)
    assert ENG.add_working_days(date(2025, 7, 7), -5) == date(2025, 6, 30)


def test_add_zero_working_days_keeps_a_working_day_or_moves_to_the_next() -> None:
    assert ENG.add_working_days(date(2025, 7, 7), 0) == date(2025, 7, 7)
    assert ENG.add_working_days(date(2022, 12, 24), 0) == date(2022, 12, 28)
    assert ENG_CLOSED.add_working_days(date(2025, 12, 25), 0) == date(2026, 1, 2)


def test_working_days_between_counts_after_start_up_to_and_including_end() -> None:
    assert ENG.working_days_between(date(2025, 6, 30), date(2025, 7, 10)) == 8
    assert ENG.working_days_between(date(2025, 7, 10), date(2025, 6, 30)) == -8
    assert ENG.working_days_between(date(2025, 7, 7), date(2025, 7, 7)) == 0
    assert ENG.working_days_between(date(2022, 12, 23), date(2022, 12, 28)) == 1


# -- deadlines ------------------------------------------------------------------------------------


def test_q1_2025_26_deadline_is_thursday_10_july_2025() -> None:
    # Q1 ends Mon 30 Jun 2025: Tue 1 (1), Wed 2, Thu 3, Fri 4 (4), Mon 7, Tue 8, Wed 9 (7),
    # Thu 10 July (8).
    quarter = Period.parse("2025-26 Q1")
    assert quarter.end == date(2025, 6, 30)
    assert ENG.deadline(quarter) == date(2025, 7, 10)
    assert ENG.deadline(quarter, 8) == date(2025, 7, 10)


def test_q3_2025_26_deadline_with_christmas_closure_is_tuesday_13_january_2026() -> None:
    # Q3 ends Wed 31 Dec 2025 (a closure day; counting starts after it). Thu 1 Jan is New
    # Year's Day; Fri 2 (1); Mon 5, Tue 6, Wed 7, Thu 8, Fri 9 (6); Mon 12 (7); Tue 13 Jan (8).
    quarter = Period.parse("2025-26 Q3")
    assert ENG_CLOSED.deadline(quarter) == date(2026, 1, 13)
    assert ENG.deadline(quarter) == date(2026, 1, 13)


def test_q3_2025_26_deadline_in_scotland_is_a_day_later() -> None:
    # Scotland also has Fri 2 Jan 2026 off: Mon 5 (1) … Fri 9 (5), Mon 12 … Wed 14 Jan (8).
    assert SCT.deadline(Period.parse("2025-26 Q3")) == date(2026, 1, 14)


def test_closure_days_push_a_long_lag_deadline_into_january() -> None:
    # November 2025 ends Sun 30 Nov; lag 20. December: Mon 1 – Fri 5 (5), 8–12 (10), 15–19
    # (15), Mon 22 (16), Tue 23 (17), Wed 24 (18); Thu 25 and Fri 26 are bank holidays.
    # Without closures: Mon 29 (19), Tue 30 (20).
    # With 29–31 closed and 1 Jan a bank holiday: Fri 2 Jan (19), Mon 5 Jan (20).
    november = Period.parse("2025-11")
    assert ENG.deadline(november, 20) == date(2025, 12, 30)
    assert ENG_CLOSED.deadline(november, 20) == date(2026, 1, 5)


def test_q4_2024_25_deadlines_around_easter_2025() -> None:
    # Q4 ends Mon 31 Mar 2025. Lag 8: Tue 1 – Fri 4 Apr (4), Mon 7 – Thu 10 Apr (8).
    # Lag 14: Fri 11 (9), Mon 14 – Thu 17 (13), Good Friday, weekend, Easter Monday, Tue 22 (14).
    quarter = Period.parse("2024-25 Q4")
    assert ENG.deadline(quarter) == date(2025, 4, 10)
    assert ENG.deadline(quarter, 14) == date(2025, 4, 22)
    # Scotland works Easter Monday: Mon 21 Apr is the 14th working day there.
    assert SCT.deadline(quarter, 14) == date(2025, 4, 21)


def test_deadline_over_the_2022_christmas_substitute_days() -> None:
    # Q3 2022-23 ends Sat 31 Dec 2022; Mon 2 Jan 2023 is the New Year substitute day.
    quarter = Period.parse("2022-23 Q3")
    assert ENG.deadline(quarter, 1) == date(2023, 1, 3)
    # Scotland: 2 and 3 January are both bank holidays in 2023.
    assert SCT.deadline(quarter, 1) == date(2023, 1, 4)
    # December 2022 monthly with lag 0 on a Saturday: the next working day.
    assert ENG.deadline(Period.parse("2022-12"), 0) == date(2023, 1, 3)


def test_deadline_lag_zero_on_a_working_day_is_the_period_end() -> None:
    quarter = Period.parse("2025-26 Q1")  # Mon 30 Jun 2025
    assert ENG.deadline(quarter, 0) == date(2025, 6, 30)


def test_annual_and_half_year_deadlines() -> None:
    # 2025-26 ends Tue 31 Mar 2026: Wed 1, Thu 2 (2); Fri 3 Apr 2026 Good Friday; Mon 6 Easter
    # Monday; Tue 7 – Fri 10 (6); Mon 13 (7); Tue 14 Apr 2026 (8).
    assert ENG.deadline(Period.parse("2025-26")) == date(2026, 4, 14)
    # H1 ends Tue 30 Sep 2025: Wed 1 – Fri 3 Oct (3), Mon 6 – Fri 10 (8).
    assert ENG.deadline(Period.parse("2025-26 H1")) == date(2025, 10, 10)


# -- Performance Board --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quarter", "board"),
    [
        ("2025-26 Q1", date(2025, 7, 21)),  # Mon 30 Jun + 21 days = Mon 21 Jul
        ("2025-26 Q2", date(2025, 10, 21)),  # Tue 30 Sep + 21 = Tue 21 Oct
        ("2025-26 Q3", date(2026, 1, 21)),  # Wed 31 Dec + 21 = Wed 21 Jan
        ("2025-26 Q4", date(2026, 4, 21)),  # Tue 31 Mar + 21 = Tue 21 Apr 2026
        ("2024-25 Q4", date(2025, 4, 17)),  # Mon 21 Apr 2025 is Easter Monday → back to Thu 17
        ("2022-23 Q3", date(2023, 1, 20)),  # Sat 31 Dec + 21 = Sat 21 Jan → back to Fri 20
    ],
)
def test_performance_board_is_three_weeks_after_quarter_end_on_a_working_day(
    quarter: str, board: date
) -> None:
    assert ENG.performance_board_date(Period.parse(quarter)) == board


def test_performance_board_weeks_is_configurable() -> None:
    # Sat 31 Dec 2022 + 2 weeks = Sat 14 Jan 2023 → back to Fri 13 Jan.
    assert ENG.performance_board_date(Period.parse("2022-23 Q3"), weeks=2) == date(2023, 1, 13)
    assert ENG.performance_board_date(Period.parse("2025-26 Q1"), 4) == date(2025, 7, 28)


def test_performance_board_moves_back_over_closure_days() -> None:
    closed = make_calendar("ENG", [date(2025, 7, 21), date(2025, 7, 18)])
    # Mon 21 Jul closed, weekend, Fri 18 closed → Thu 17 Jul.
    assert closed.performance_board_date(Period.parse("2025-26 Q1")) == date(2025, 7, 17)


@pytest.mark.parametrize("label", ["2025-26", "2025-26 H1", "2025-07"])
def test_performance_board_date_needs_a_quarter(label: str) -> None:
    with pytest.raises(ValueError, match="is not a quarter"):
        ENG.performance_board_date(Period.parse(label))


# -- properties -------------------------------------------------------------------------------


@st.composite
def periods(draw: st.DrawFn) -> Period:
    kind = draw(st.sampled_from(list(PeriodKind)))
    fy = draw(st.integers(min_value=2015, max_value=2035))
    return Period(kind, fy, draw(st.integers(min_value=1, max_value=COUNT[kind])))


closure_sets = st.frozensets(
    st.dates(min_value=date(2015, 4, 1), max_value=date(2036, 6, 30)), max_size=20
)


@settings(max_examples=200)
@given(
    period=periods(),
    lag=st.integers(min_value=0, max_value=20),
    region=st.sampled_from(list(Region)),
    closures=closure_sets,
)
def test_deadline_is_a_working_day_lag_working_days_after_the_end(
    period: Period, lag: int, region: Region, closures: frozenset[date]
) -> None:
    calendar = WorkingCalendar(region, closures)
    deadline = calendar.deadline(period, lag)
    assert calendar.is_working_day(deadline)
    if lag >= 1:
        assert deadline > period.end
        assert calendar.working_days_between(period.end, deadline) == lag
        # …and it is the first day with that count: the day before has one fewer.
        assert calendar.working_days_between(period.end, deadline - timedelta(days=1)) == lag - 1
    elif calendar.is_working_day(period.end):
        assert deadline == period.end
        assert calendar.working_days_between(period.end, deadline) == 0
    else:
        # Lag 0 on a day off: the first working day after it.
        assert deadline == calendar.next_working_day(period.end)


@given(
    start=st.dates(min_value=date(2015, 1, 1), max_value=date(2035, 12, 31)),
    count=st.integers(min_value=-30, max_value=30),
    region=st.sampled_from(list(Region)),
)
def test_add_working_days_then_count_back(start: date, count: int, region: Region) -> None:
    calendar = make_calendar(region)
    moved = calendar.add_working_days(start, count)
    assert calendar.is_working_day(moved)
    if count > 0:
        assert calendar.working_days_between(start, moved) == count
    elif count < 0:
        # The working days in [moved, start) number exactly -count.
        day_before = timedelta(days=1)
        assert calendar.working_days_between(moved - day_before, start - day_before) == -count
    else:
        assert moved >= start
        assert calendar.working_days_between(start, moved) <= 1


@given(
    quarter=st.builds(
        lambda fy, n: Period(PeriodKind.QUARTER, fy, n),
        st.integers(min_value=2015, max_value=2035),
        st.integers(min_value=1, max_value=4),
    ),
    weeks=st.integers(min_value=1, max_value=6),
)
def test_performance_board_is_the_last_working_day_on_or_before_the_target(
    quarter: Period, weeks: int
) -> None:
    board = ENG.performance_board_date(quarter, weeks)
    latest = quarter.end + timedelta(weeks=weeks)
    assert ENG.is_working_day(board)
    assert board <= latest
    assert all(not ENG.is_working_day(day) for day in _days_after(board, latest))


def _days_after(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range(1, (end - start).days + 1)]
