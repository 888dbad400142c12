"""Status through the use case, on a real database loaded from the example register.

The example figures (examples/actuals.csv) were chosen so that 2025-26 Q4 has Reds, Ambers —
one exactly 5 % below target and one that binary floating point would call Red — Greys and a
missing value.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, func
from sqlmodel import select

from bot import services
from bot.errors import NotFound
from bot.periods import Period
from bot.ragg import Committee, Direction, Ragg, Target
from bot.status import JSON_KEYS, StatusReport
from bot.workflow import State
from storage import queries
from storage.engine import read_session, write_session
from storage.models import PeriodValue
from tests.conftest import ADMIN, EXAMPLES

NOW = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
TODAY = NOW.date()
Q4 = Period.parse("2025-26 Q4")


@pytest.fixture
def loaded(engine: Engine) -> Engine:
    services.import_register(engine, EXAMPLES / "register.yaml", actor="tester", now=NOW)
    services.import_actuals(engine, EXAMPLES / "actuals.csv", actor=ADMIN, now=NOW, today=TODAY)
    return engine


def _rows(report: StatusReport) -> dict[str, dict[str, object]]:
    return {row["ref"]: row for row in report.as_json()}


def test_whole_council_at_q4_counts_every_colour(loaded: Engine) -> None:
    report = services.status(loaded, None, Q4, today=TODAY)
    assert len(report.rows) == 24  # 22 measures and 2 projects (SE1.P1 Red, SC1.P1 Green)
    assert report.counts() == Counter(
        {Ragg.GREEN: 14, Ragg.AMBER: 3, Ragg.RED: 4, Ragg.GREY: 2, Ragg.NONE: 1}
    )
    assert report.committee_counts() == Counter(
        {Committee.ON_TARGET: 19, Committee.OFF_TARGET: 4, Committee.MISSING: 1}
    )


def test_json_rows_have_exactly_the_product_keys(loaded: Engine) -> None:
    for row in services.status(loaded, None, Q4, today=TODAY).as_json():
        assert tuple(row) == JSON_KEYS
        assert row["status"] in {"green", "amber", "red", "grey", "none"}
        assert row["committee"] in {"on_target", "off_target", "missing"}


def test_exactly_five_per_cent_below_target_is_amber(loaded: Engine) -> None:
    row = _rows(services.status(loaded, "SE1.2", Q4, today=TODAY))["SE1.2"]
    assert (row["value"], row["target"], row["status"]) == (47.5, 50, "amber")
    assert row["committee"] == "on_target"


def test_a_boundary_that_floats_get_wrong_is_amber(loaded: Engine) -> None:
    # 7.6 * 1.05 is 7.9799999… in binary floating point; exact decimals give 7.98: Amber.
    row = _rows(services.status(loaded, "TC2.1", Q4, today=TODAY))["TC2.1"]
    assert (row["value"], row["target"], row["status"]) == (7.98, 7.6, "amber")


def test_zero_target_any_miss_is_red(loaded: Engine) -> None:
    row = _rows(services.status(loaded, "TC2.2", Q4, today=TODAY))["TC2.2"]
    assert (row["period"], row["value"], row["target"], row["status"]) == (
        "2025-26 H2",
        1,
        0,
        "red",
    )
    assert row["committee"] == "off_target"


def test_range_target_is_a_json_pair(loaded: Engine) -> None:
    row = _rows(services.status(loaded, "DE2.1", Q4, today=TODAY))["DE2.1"]
    assert row["target"] == [40, 56]
    assert row["status"] == "amber"


def test_missing_value_is_none_and_overdue(loaded: Engine) -> None:
    row = _rows(services.status(loaded, "SC2.1", Q4, today=TODAY))["SC2.1"]
    assert (row["value"], row["status"], row["committee"], row["state"]) == (
        None,
        "none",
        "missing",
        "overdue",
    )
    assert row["direction"] is None and row["direction_year"] is None


def test_monitoring_only_measures_are_grey(loaded: Engine) -> None:
    rows = _rows(services.status(loaded, None, Q4, today=TODAY))
    assert rows["SE2.2"]["status"] == rows["DE1.2"]["status"] == "grey"
    assert rows["SE2.2"]["target"] is None


def test_each_interval_reports_its_period_ending_in_the_quarter(loaded: Engine) -> None:
    rows = _rows(services.status(loaded, None, Q4, today=TODAY))
    assert rows["SE2.1"]["period"] == "2026-03"  # monthly → the quarter's last month
    assert rows["DE2.2"]["period"] == "2025-26 H2"  # biannual → H2 at Q4
    assert rows["SE2.3"]["period"] == "2025-26"  # annual → the year at Q4
    rows_q2 = _rows(services.status(loaded, None, Period.parse("2025-26 Q2"), today=TODAY))
    assert rows_q2["DE2.2"]["period"] == "2025-26 H1"


def test_an_annual_measure_is_grey_before_its_outturn_is_due(loaded: Engine) -> None:
    report = services.status(loaded, "SE2.3", Period.parse("2026-27 Q1"), today=TODAY)
    row = report.as_json()[0]
    assert (row["period"], row["status"], row["state"]) == ("2026-27", "grey", "not_due")


def test_cumulative_year_target_is_profiled_pro_rata(loaded: Engine) -> None:
    # DE1.1 has only a year target of 200 businesses, year to date.
    for label, expected in (
        ("2025-26 Q1", 50),
        ("2025-26 Q2", 100),
        ("2025-26 Q3", 150),
        ("2025-26 Q4", 200),
    ):
        row = services.status(loaded, "DE1.1", Period.parse(label), today=TODAY).as_json()[0]
        assert row["target"] == expected


def test_exact_period_target_wins_over_the_year(loaded: Engine) -> None:
    row = services.status(loaded, "TC1.1", Period.parse("2025-26 Q2"), today=TODAY).rows[0]
    assert row.target == Target(Decimal("56.5"))
    assert row.status is Ragg.AMBER  # 56.1 against the Q2 target of 56.5


def test_direction_of_travel_is_polarity_aware(loaded: Engine) -> None:
    row = services.status(loaded, "SE1.2", Q4, today=TODAY).rows[0]
    assert row.direction is Direction.DECLINING
    assert row.direction_year is Direction.IMPROVING


def test_without_a_period_each_measure_uses_its_latest_ended_period(loaded: Engine) -> None:
    rows = _rows(services.status(loaded, None, None, today=date(2026, 4, 2)))
    assert rows["SE1.1"]["period"] == "2025-26 Q4"
    assert rows["SE2.1"]["period"] == "2026-03"
    assert rows["SE2.3"]["period"] == "2025-26"
    assert rows["DE2.2"]["period"] == "2025-26 H2"


def test_workflow_state_follows_the_calendar(loaded: Engine) -> None:
    period = Period.parse("2026-27 Q1")  # nothing recorded; ends 30 Jun 2026, deadline 10 Jul

    def state(today: date) -> str:
        row = services.status(loaded, "SE1.3", period, today=today).as_json()[0]
        return str(row["state"])

    assert state(date(2026, 6, 30)) == State.NOT_DUE
    assert state(date(2026, 7, 1)) == State.DUE
    assert state(date(2026, 7, 10)) == State.DUE
    assert state(date(2026, 7, 13)) == State.OVERDUE


def test_only_approved_values_count(loaded: Engine) -> None:
    with write_session(loaded) as session:
        values = session.exec(select(PeriodValue).where(PeriodValue.period == Q4.label)).all()
        for value in values:
            value.state = State.SUBMITTED.value
            session.add(value)
    row = _rows(services.status(loaded, None, Q4, today=TODAY))["SE1.1"]
    assert (row["value"], row["status"], row["state"]) == (None, "none", "submitted")


def test_an_aim_or_a_priority_lists_its_measures(loaded: Engine) -> None:
    aim = services.status(loaded, "se1", Q4, today=TODAY)
    assert (aim.scope.kind, [row.measure.ref for row in aim.rows]) == (
        "aim",
        ["SE1.1", "SE1.2", "SE1.3", "SE1.P1"],  # the aim's project after its measures
    )
    priority = services.status(loaded, "SE", Q4, today=TODAY)
    assert priority.scope.kind == "priority"
    assert [row.measure.ref for row in priority.rows] == [
        "SE1.1",
        "SE1.2",
        "SE1.3",
        "SE1.P1",
        "SE2.1",
        "SE2.2",
        "SE2.3",
    ]


def test_an_unknown_ref_suggests_the_closest(loaded: Engine) -> None:
    with pytest.raises(NotFound) as caught:
        services.status(loaded, "SE1.4", Q4, today=TODAY)
    assert "There is no measure, aim or priority called 'SE1.4'" in str(caught.value)
    assert "SE1.1" in caught.value.suggestions


def test_status_uses_a_fixed_number_of_queries(loaded: Engine) -> None:
    from sqlalchemy import event

    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    def statements_for(ref: str | None) -> int:
        statements.clear()
        services.status(loaded, ref, Q4, today=TODAY)
        return len(statements)

    queries._CATALOGUE.clear()  # start cold: nothing cached from other tests
    event.listen(loaded, "before_cursor_execute", count)
    try:
        cold = statements_for(None)
        whole = statements_for(None)
        single = statements_for("SE1.1")
    finally:
        event.remove(loaded, "before_cursor_execute", count)
    assert cold <= 10  # one of them: whether the quarter's figures were published
    # Later answers reuse the register read while the audit trail's head is unchanged.
    assert whole == single < cold


def test_a_register_change_refreshes_the_cached_register(loaded: Engine, tmp_path: Path) -> None:
    services.status(loaded, None, Q4, today=TODAY)
    changed = (
        (EXAMPLES / "register.yaml")
        .read_text(encoding="utf-8")
        .replace(
            "Reduction in the council's own CO2 emissions", "Cut in the council's own CO2 emissions"
        )
    )
    edited = tmp_path / "register.yaml"
    edited.write_text(changed, encoding="utf-8")
    services.import_register(loaded, edited, actor="tester", now=NOW)
    row = services.status(loaded, "SE1.1", Q4, today=TODAY).rows[0]
    assert row.measure.title == "Cut in the council's own CO2 emissions"


def test_empty_register_has_an_empty_status(engine: Engine) -> None:
    report = services.status(engine, None, Q4, today=TODAY)
    assert report.rows == [] and report.council == "The council"
    with read_session(engine) as session:
        assert session.exec(select(func.count()).select_from(PeriodValue)).one() == 0
