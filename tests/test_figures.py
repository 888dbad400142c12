"""Figures a committee can trust (issue 10; PRODUCT §4): as at a quarter, like-for-like
direction for year-to-date measures, half-up rounding with a target that explains its status,
no target as missing data, Amber exception reports on request, words, and published figures
that stay reproducible. On SQLite and PostgreSQL, with the example register and actuals."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from openpyxl import load_workbook
from sqlalchemy import Engine
from sqlmodel import select

from bot import services, summaries
from bot.errors import InputRejected
from bot.measures import format_value
from bot.periods import Period
from bot.ragg import Committee, Direction, Ragg
from bot.register import Format
from bot.status import StatusRow
from bot.submissions import Invalid, decide, reopen, submit
from bot.text import render_report, render_summary
from bot.workflow import State
from storage.engine import make_engine, read_session
from storage.migrate import upgrade
from storage.models import Measure, PublishedFigures
from tests.conftest import ADMIN, EXAMPLES, Cli

NOW = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
TODAY = NOW.date()
Q1 = Period.parse("2025-26 Q1")
Q4 = Period.parse("2025-26 Q4")
BOARD_Q1 = date(2025, 7, 21)  # 30 Jun 2025 + 3 weeks
HOS_ENV = "hos.environment@example.gov.uk"  # Helen Carter
HOUSING = "housing.manager@example.gov.uk"  # Sunita Patel, reviews SC2.1
AMY = "amy.robinson@example.gov.uk"  # collects SC2.1
NOT_DUE_HALF = "reported half-yearly; next at 2025-26 Q2"
NOT_DUE_YEAR = "annual outturn reported at Q4"


@pytest.fixture
def loaded(engine: Engine) -> Engine:
    services.import_register(engine, EXAMPLES / "register.yaml", actor=ADMIN, now=NOW)
    services.import_actuals(engine, EXAMPLES / "actuals.csv", actor=ADMIN, now=NOW, today=TODAY)
    return engine


def rows_of(engine: Engine, period: Period | None, today: date = TODAY) -> dict[str, StatusRow]:
    return {row.measure.ref: row for row in services.status(engine, None, period, today=today).rows}


# -- 1. as at a quarter -------------------------------------------------------------------------


@pytest.mark.parametrize("today", [BOARD_Q1, TODAY])
def test_at_q1_a_later_period_never_stands_in_for_a_measure_not_due(
    loaded: Engine, today: date
) -> None:
    rows = rows_of(loaded, Q1, today)
    for ref, reason in [
        ("SE2.3", NOT_DUE_YEAR),
        ("TC2.3", NOT_DUE_YEAR),
        ("DE2.2", NOT_DUE_HALF),
        ("SC2.2", NOT_DUE_HALF),
        ("TC2.2", NOT_DUE_HALF),
    ]:
        row = rows[ref]
        assert (row.value, row.status, row.state, row.reason) == (
            None,
            Ragg.GREY,
            State.NOT_DUE,
            reason,
        ), ref
        assert row.committee is not Committee.MISSING
        assert row.as_json()["reason"] == reason
    # Monthly measures report the quarter's last month, quarterly ones the quarter.
    assert (rows["SE2.1"].period.label, rows["SE2.1"].value) == ("2025-06", Decimal(94))
    assert rows["SE1.1"].value == Decimal("28.6")


def test_half_yearly_at_q2_and_q3_and_annual_at_q4(loaded: Engine) -> None:
    q2 = rows_of(loaded, Period.parse("2025-26 Q2"))
    assert (q2["DE2.2"].period.label, q2["DE2.2"].value) == ("2025-26 H1", Decimal(312))
    assert q2["SE2.3"].reason == NOT_DUE_YEAR
    q3 = rows_of(loaded, Period.parse("2025-26 Q3"))
    assert q3["TC2.2"].reason == "reported half-yearly; next at 2025-26 Q4"
    q4 = rows_of(loaded, Q4)
    assert (q4["SE2.3"].period.label, q4["SE2.3"].value) == ("2025-26", Decimal(5360))
    assert q4["SE2.3"].reason is None


def test_without_a_period_each_measure_keeps_its_latest_ended_period(loaded: Engine) -> None:
    rows = rows_of(loaded, None, date(2025, 7, 21))
    assert (rows["DE2.2"].period.label, rows["DE2.2"].value) == ("2024-25 H2", Decimal(571))
    assert (rows["SE2.3"].period.label, rows["SE2.3"].value) == ("2024-25", Decimal(4120))
    assert all(row.reason != NOT_DUE_HALF for row in rows.values())


def test_status_json_and_text_at_q1_say_why(cli: Cli) -> None:
    assert cli("import", "register", str(EXAMPLES / "register.yaml")).code == 0
    imported = cli(
        "import", "actuals", str(EXAMPLES / "actuals.csv"), "--by", ADMIN, "--today", "2026-05-01"
    )
    assert imported.code == 0, imported.err
    result = cli("status", "--period", "2025-26 Q1", "--json", "--today", "2025-07-21")
    assert result.code == 0, result.err
    rows = {row["ref"]: row for row in json.loads(result.out)}
    assert rows["TC2.3"] == {
        "ref": "TC2.3",
        "title": "Customers satisfied with the council's customer services",
        "period": "2025-26",
        "value": None,
        "target": 85,
        "status": "grey",
        "committee": "on_target",
        "state": "not_due",
        "direction": None,
        "direction_year": None,
        "reason": NOT_DUE_YEAR,
    }
    assert rows["DE2.2"]["value"] is None and rows["DE2.2"]["reason"] == NOT_DUE_HALF
    text = cli("status", "--period", "2025-26 Q1", "--today", "2025-07-21")
    assert f"not yet due — {NOT_DUE_HALF}" in text.out
    assert "5,360" not in text.out and "312 homes" not in text.out

    # 2. Not-due measures are not missing data.
    summary = cli("summary", "--period", "2025-26 Q1", "--today", "2025-07-21")
    assert summary.code == 0, summary.err
    lines = summary.out.splitlines()
    assert lines[2] == "Committee view: 23 of 24 on target (96%)"  # no "3 missing"
    assert "missing" not in lines[2]
    assert "Not due this quarter (5):" in summary.out
    assert f"  DE2.2, SC2.2, TC2.2 — {NOT_DUE_HALF}" in summary.out
    assert "Not yet approved" not in summary.out


# -- 3. direction of travel for year-to-date measures -------------------------------------------


def test_year_to_date_measures_compare_with_the_same_period_a_year_earlier(
    loaded: Engine,
) -> None:
    rows = rows_of(loaded, Q1)
    # At Q1 the old rule compared Q1 with last year's full-year Q4: always "declining".
    for ref in ("DE1.1", "SC2.1", "TC1.1", "TC1.3"):
        assert rows[ref].direction is Direction.IMPROVING, ref
        assert rows[ref].direction_year is Direction.IMPROVING, ref
        assert rows[ref].compared_with == Period.parse("2024-25 Q1")
    # None when there is no same period a year earlier (not last quarter's year to date).
    first_year = rows_of(loaded, Period.parse("2024-25 Q2"))
    assert first_year["DE1.1"].direction is None
    assert first_year["DE1.1"].direction_year is None
    # Non-cumulative measures keep previous-period and year-ago directions.
    q4 = rows_of(loaded, Q4)
    assert (q4["SE1.2"].direction, q4["SE1.2"].direction_year) == (
        Direction.DECLINING,
        Direction.IMPROVING,
    )


# -- 4. rounding --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "decimals", "shown"),
    [
        ("8.5", 0, "9"),
        ("2.5", 0, "3"),
        ("-8.5", 0, "-9"),
        ("2.665", 2, "2.67"),
        ("0.125", 2, "0.13"),
        ("-0.4", 0, "0"),
    ],
)
def test_figures_are_shown_half_up_like_excel_round(value: str, decimals: int, shown: str) -> None:
    assert format_value(Decimal(value), Format.NUMBER, decimals) == shown


def small_register(**calendar: Any) -> dict[str, Any]:
    """One council with a monthly year-to-date measure (target 100 a year: 8.33 a month), a
    measure with a target for 2025-26 only, and a half-yearly count of incidents."""
    people = [
        {"email": "collector@small.gov.uk", "name": "Col Lector"},
        {"email": "reviewer@small.gov.uk", "name": "Rev Iewer"},
        {"email": "admin@small.gov.uk", "name": "Adam Min"},
    ]

    def measure(ref: str, **extra: Any) -> dict[str, Any]:
        return {
            "ref": ref,
            "title": f"Measure {ref}",
            "definition": "A definition",
            "interval": "quarterly",
            "format": "number",
            "decimals": 0,
            "polarity": "higher",
            "targets": {"2025-26": 100},
            "collector": "collector@small.gov.uk",
            "reviewer": "reviewer@small.gov.uk",
            "head_of_service": "reviewer@small.gov.uk",
        } | extra

    return {
        "council": "Small Council",
        "calendar": {"region": "ENG", **calendar},
        "admins": ["admin@small.gov.uk"],
        "people": people,
        "priorities": [
            {
                "code": "AA",
                "name": "Alpha",
                "aims": [
                    {
                        "code": "AA1",
                        "title": "Alpha aim",
                        "measures": [
                            measure("AA1.1", interval="monthly", cumulative=True),
                            measure("AA1.2"),
                            measure(
                                "AA1.3",
                                interval="biannual",
                                polarity="lower",
                                targets={"2025-26": 3},
                                units={"one": "person", "other": "people"},
                            ),
                            measure("AA1.4", units="incidents", targets={"2025-26": 2}),
                        ],
                    }
                ],
            }
        ],
    }


def load_small(
    engine: Engine, tmp_path: Path, rows: list[list[str]], today: date, **calendar: Any
) -> None:
    register = tmp_path / "small.yaml"
    register.write_text(yaml.safe_dump(small_register(**calendar)), encoding="utf-8")
    services.import_register(engine, register, actor="admin@small.gov.uk", now=NOW)
    if not rows:
        return
    actuals = tmp_path / "small.csv"
    lines = ["ref,period,value,commentary,actions", *(",".join(row) for row in rows)]
    actuals.write_text("\n".join(lines) + "\n", encoding="utf-8")
    services.import_actuals(engine, actuals, actor="admin@small.gov.uk", now=NOW, today=today)


def test_value_equal_to_the_target_shown_but_amber_shows_the_target_that_explains_it(
    engine: Engine, tmp_path: Path
) -> None:
    load_small(
        engine,
        tmp_path,
        [
            ["AA1.1", "2025-04", "8", "Just short", "Catch up in May"],
            ["AA1.1", "2025-05", "17", "", ""],
        ],
        TODAY,
    )
    april = services.status(engine, "AA1.1", Period.parse("2025-04"), today=TODAY).rows[0]
    assert april.status is Ragg.AMBER  # 8 against 100 × 1⁄12 = 8.333…, on the exact value
    assert (april.shown_value, april.shown_target) == ("8", "8.33")
    text = render_report(services.status(engine, "AA1.1", Period.parse("2025-04"), today=TODAY))
    assert "Value: 8   Target: 8.33" in text
    # Where the shown figures already explain the status, the measure's own decimals.
    may = services.status(engine, "AA1.1", Period.parse("2025-05"), today=TODAY).rows[0]
    assert (may.status, may.shown_value, may.shown_target) == (Ragg.GREEN, "17", "17")


# -- 5. no target --------------------------------------------------------------------------------


def test_a_measure_without_a_target_for_the_year_is_missing_data_not_on_target(
    engine: Engine, tmp_path: Path
) -> None:
    load_small(engine, tmp_path, [["AA1.2", "2026-27 Q1", "120", "Fine", ""]], date(2026, 8, 20))
    report = services.status(engine, None, Period.parse("2026-27 Q1"), today=date(2026, 8, 20))
    row = next(row for row in report.rows if row.measure.ref == "AA1.2")
    assert (row.status, row.committee, row.reason) == (
        Ragg.GREY,
        Committee.MISSING,
        "no target set for 2026-27",
    )
    council = services.council_info(engine)
    summary = summaries.summary(
        engine, council, Period.parse("2026-27 Q1"), today=date(2026, 8, 20)
    )
    assert [r.measure.ref for r in summary.no_target] == ["AA1.2"]
    # Only the half-yearly AA1.3, not due at Q1, is Grey on target (seed 002 §6.1.7); AA1.2
    # is missing data beside the two measures with no figure.
    assert (summary.overall.on_target, summary.overall.missing) == (1, 3)
    text = render_summary(summary)
    assert "Committee view: 1 of 1 on target (100%), 3 missing" in text
    assert "Missing data — no target (1):" in text
    assert "AA1.2  2026-27 Q1 — 120, no target set for 2026-27" in text


# -- 8. exception reports for Amber too ---------------------------------------------------------


def test_amber_needs_actions_and_an_exception_report_when_the_register_says_so(
    engine: Engine, tmp_path: Path
) -> None:
    load_small(engine, tmp_path, [], TODAY, exception_reports=["red", "amber"])
    council = services.council_info(engine)
    assert council.exception_reports == {Ragg.RED, Ragg.AMBER}
    with pytest.raises(Invalid) as caught:
        submit(
            engine,
            council,
            ref="AA1.2",
            period_text="2025-26 Q4",
            value_text="97",  # Amber: within 5 % of 100
            overview="Close",
            actions=None,
            evidence_url=None,
            actor="collector@small.gov.uk",
            now=NOW,
        )
    assert caught.value.problems["actions"].startswith("This figure is Amber against its target")
    load_small(
        engine,
        tmp_path,
        [["AA1.2", "2025-26 Q4", "97", "Close", "More staff"]],
        TODAY,
        exception_reports=["red", "amber"],
    )
    summary = summaries.summary(engine, council, Q4, today=TODAY)
    assert [row.measure.ref for row in summary.exceptions] == ["AA1.2"]
    assert "Red and Amber measures (1):" in render_summary(summary)


def test_exception_reports_must_include_red(tmp_path: Path) -> None:
    from bot.register import load_register

    path = tmp_path / "small.yaml"
    path.write_text(yaml.safe_dump(small_register(exception_reports=["amber"])), encoding="utf-8")
    with pytest.raises(InputRejected) as caught:
        load_register(path)
    [error] = caught.value.errors
    assert error.where == "line 4" and "calendar" in str(error.field)
    assert "always written for Red measures" in error.message


# -- 9. words -------------------------------------------------------------------------------------


def test_units_are_singular_for_one_and_the_register_may_name_both(
    engine: Engine, tmp_path: Path
) -> None:
    assert format_value(Decimal(1), Format.NUMBER, 0, "incidents") == "1 incident"
    assert format_value(Decimal(2), Format.NUMBER, 0, "incidents") == "2 incidents"
    assert format_value(Decimal(1), Format.NUMBER, 0, "businesses") == "1 business"
    assert format_value(Decimal(1), Format.NUMBER, 1, "days") == "1.0 days"
    assert format_value(Decimal(1), Format.NUMBER, 0, "days per FTE") == "1 day per FTE"
    load_small(engine, tmp_path, [["AA1.3", "2025-26 H1", "1", "One case", ""]], TODAY)
    with read_session(engine) as session:
        stored = session.exec(select(Measure).where(Measure.ref == "AA1.3")).one()
    assert (stored.units, stored.units_one) == ("people", "person")
    row = services.status(engine, "AA1.3", Period.parse("2025-26 Q2"), today=TODAY).rows[0]
    assert (row.shown_value, row.shown_target) == ("1 person", "3 people")


# -- 7. published figures -------------------------------------------------------------------------


def test_published_figures_are_reproduced_and_later_changes_show_as_restated(
    loaded: Engine,
) -> None:
    council = services.council_info(loaded)
    posted = summaries.summary(loaded, council, Q4, today=TODAY)
    summaries.publish(loaded, posted, by=ADMIN, occasion="posted to #performance", now=NOW)

    # After publication: SC2.1 is approved late, SE1.1 is reopened for correction.
    later = datetime(2026, 5, 5, 10, 0, tzinfo=UTC)
    sent = submit(
        loaded,
        council,
        ref="SC2.1",
        period_text="2025-26 Q4",
        value_text="830000",
        overview="Busy Q4",
        actions=None,
        evidence_url=None,
        actor=AMY,
        now=later,
    )
    decide(
        loaded,
        council,
        submission_id=sent.submission.id,
        decision="approved",
        reason=None,
        actor=HOUSING,
        now=later,
    )
    reopen(
        loaded,
        council,
        ref="SE1.1",
        period_text="2025-26 Q4",
        reason="Invoice double-counted",
        actor=HOS_ENV,
        now=later,
    )

    now = summaries.summary(loaded, council, Q4, today=date(2026, 5, 6))
    restated = {row.measure.ref: row.restated for row in now.restated}
    assert set(restated) == {"SC2.1", "SE1.1"}
    sc21, se11 = restated["SC2.1"], restated["SE1.1"]
    assert sc21 is not None and se11 is not None
    assert (sc21.published_status, sc21.published_value, sc21.by) == (
        Ragg.NONE,
        None,
        "Sunita Patel",
    )
    assert sc21.why == "approved after publication"
    assert (se11.published_value, se11.by, se11.why) == (
        Decimal("31.2"),
        "Helen Carter",
        "reopened: Invoice double-counted",
    )
    text = render_summary(now)
    assert "Restated since publication (2):" in text
    assert "Published 01 May 2026 09:00 UTC by Priya Shah (posted to #performance)." in text
    status_text = render_report(services.status(loaded, "SE1.1", Q4, today=date(2026, 5, 6)))
    assert "Restated since publication on 01 May 2026 09:00 UTC: published as 31.2% (Green)" in (
        status_text
    )

    # As published: the same figures and statuses, whatever changed since.
    again = summaries.as_published(loaded, council, Q4)
    assert [row.as_json() for row in again.rows] == [row.as_json() for row in posted.rows]
    assert [(r.shown_value, r.shown_target) for r in again.rows] == [
        (r.shown_value, r.shown_target) for r in posted.rows
    ]
    assert again.published is not None and again.published.by == "Priya Shah"


def test_sign_off_records_the_figures_as_published(loaded: Engine) -> None:
    council = services.council_info(loaded)
    summaries.sign_off(loaded, council, email=HOS_ENV, quarter_text="2025-26 Q4", now=NOW)
    with read_session(loaded) as session:
        [published] = session.exec(select(PublishedFigures)).all()
    assert (published.quarter, published.published_by) == ("2025-26 Q4", HOS_ENV)
    assert published.occasion == "signed off by Helen Carter"
    assert len(published.rows) == 24  # 22 measures and 2 projects
    sc21 = next(row for row in published.rows if row["ref"] == "SC2.1")
    assert (sc21["status"], sc21["value"], sc21["state"]) == ("none", None, "overdue")


def test_export_as_published_reproduces_the_paper_after_a_late_approval(
    cli: Cli, tmp_path: Path
) -> None:
    engine = make_engine(cli.database_url)
    try:
        upgrade(engine)
        services.import_register(engine, EXAMPLES / "register.yaml", actor=ADMIN, now=NOW)
        services.import_actuals(engine, EXAMPLES / "actuals.csv", actor=ADMIN, now=NOW, today=TODAY)
        council = services.council_info(engine)
        nothing = cli(
            "export", "board", "--period", "2025-26 Q4", "--as-published", "--out",
            str(tmp_path / "x.xlsx"), "--today", "2026-05-01",
        )  # fmt: skip
        assert nothing.code == 1 and "have not been published yet" in nothing.err
        summaries.publish(
            engine,
            summaries.summary(engine, council, Q4, today=TODAY),
            by=ADMIN,
            occasion="posted to #performance",
            now=NOW,
        )
        later = datetime(2026, 5, 5, 10, 0, tzinfo=UTC)
        sent = submit(
            engine,
            council,
            ref="SC2.1",
            period_text="2025-26 Q4",
            value_text="830000",
            overview="Busy Q4",
            actions=None,
            evidence_url=None,
            actor=AMY,
            now=later,
        )
        decide(
            engine,
            council,
            submission_id=sent.submission.id,
            decision="approved",
            reason=None,
            actor=HOUSING,
            now=later,
        )
    finally:
        engine.dispose()

    def board_row(path: Path, ref: str) -> dict[str, Any]:
        sheet = load_workbook(path)["Measures"]
        header = [str(cell.value) for cell in sheet[2]]
        for cells in sheet.iter_rows(min_row=3, values_only=True):
            if cells[0] == ref:
                return dict(zip(header, cells, strict=True))
        raise AssertionError(ref)

    published, current = tmp_path / "published.xlsx", tmp_path / "current.xlsx"
    for out, extra in ((published, ["--as-published"]), (current, [])):
        result = cli(
            "export", "board", "--period", "2025-26 Q4", *extra, "--out", str(out),
            "--today", "2026-05-06",
        )  # fmt: skip
        assert result.code == 0, result.err
    assert result.out.endswith("exception reports) to " + str(current) + ".\n")
    was = board_row(published, "SC2.1")
    assert (was["Value"], was["RAGG"]) == ("—", "No data")
    assert "No approved figure yet (overdue)" in str(was["Flags"])
    assert "figures as published on 1 May 2026 09:00 UTC by Priya Shah" in str(
        load_workbook(published)["Measures"]["A1"].value
    )
    now = board_row(current, "SC2.1")
    assert (now["Value"], now["RAGG"]) == (830000, "Green")
    assert "Restated since publication on 01 May 2026 09:00 UTC: published as no value " in (
        str(now["Flags"])
    )
    assert "approved after publication — Sunita Patel, 05 May 2026 10:00 UTC" in str(now["Flags"])
