"""Projects beside measures (issue 14): the register's `projects:`, the RAGG rule by milestones
in working days, storage of milestone reports, and status — on SQLite and PostgreSQL."""

from __future__ import annotations

import textwrap
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot import services
from bot.calendar import Region, WorkingCalendar
from bot.errors import InputRejected
from bot.periods import Period
from bot.projects import MilestoneReport, MilestoneState, project_ragg
from bot.ragg import Committee, Ragg
from bot.register import load_register
from tests.conftest import ADMIN, EXAMPLES, Cli

ENG = WorkingCalendar(Region.ENG)
CLOSED = WorkingCalendar(Region.ENG, frozenset({date(2025, 12, 29), date(2025, 12, 30)}))
NOT = MilestoneState.NOT_STARTED
ON = MilestoneState.ON_TRACK
RISK = MilestoneState.AT_RISK
DONE = MilestoneState.DONE


def m(due: str, state: MilestoneState, title: str = "Milestone") -> MilestoneReport:
    return MilestoneReport(title, date.fromisoformat(due), state)


def ragg(
    *reports: MilestoneReport, as_at: str, amber_days: int = 10, calendar: WorkingCalendar = ENG
) -> Ragg:
    found = project_ragg(
        reports, as_at=date.fromisoformat(as_at), calendar=calendar, amber_days=amber_days
    )
    return found.status


# -- the rule ----------------------------------------------------------------------------------


def test_green_when_every_milestone_is_done_or_on_track() -> None:
    assert ragg(m("2025-06-30", DONE), m("2025-12-31", ON), as_at="2025-09-30") is Ragg.GREEN


def test_a_milestone_done_after_its_due_date_is_not_late() -> None:
    assert ragg(m("2025-06-30", DONE), as_at="2025-12-31") is Ragg.GREEN


def test_grey_when_nothing_has_started_and_nothing_is_late() -> None:
    found = project_ragg(
        [m("2026-01-31", NOT), m("2026-03-31", NOT)], as_at=date(2025, 9, 30), calendar=ENG
    )
    assert (found.status, found.reason) == (Ragg.GREY, "not started this year")


def test_a_milestone_not_started_past_its_due_date_is_late_not_grey() -> None:
    # Due Fri 26 Sep 2025, as at Tue 30 Sep: two working days late.
    assert ragg(m("2025-09-26", NOT), m("2026-03-31", NOT), as_at="2025-09-30") is Ragg.AMBER


def test_at_risk_before_its_due_date_is_amber_and_on_or_after_it_red() -> None:
    assert ragg(m("2025-10-01", RISK), as_at="2025-09-30") is Ragg.AMBER
    assert ragg(m("2025-09-30", RISK), as_at="2025-09-30") is Ragg.RED  # at its due date
    assert ragg(m("2025-09-29", RISK), as_at="2025-09-30") is Ragg.RED


def test_due_on_the_report_date_is_not_yet_late() -> None:
    assert ragg(m("2025-09-30", ON), as_at="2025-09-30") is Ragg.GREEN


def test_n_working_days_late_is_amber_and_one_more_is_red() -> None:
    # Due Tue 2 Sep 2025; as at Tue 16 Sep is 10 working days later, Wed 17 Sep is 11.
    assert ragg(m("2025-09-02", ON), as_at="2025-09-16") is Ragg.AMBER
    assert ragg(m("2025-09-02", ON), as_at="2025-09-17") is Ragg.RED
    # The register's N changes the boundary.
    assert ragg(m("2025-09-02", ON), as_at="2025-09-04", amber_days=1) is Ragg.RED
    assert ragg(m("2025-09-02", ON), as_at="2025-09-03", amber_days=1) is Ragg.AMBER
    assert ragg(m("2025-09-02", ON), as_at="2025-09-03", amber_days=0) is Ragg.RED


def test_late_over_a_weekend_only_is_zero_working_days_late_and_amber() -> None:
    found = project_ragg(
        [m("2025-09-26", ON, "Survey")], as_at=date(2025, 9, 28), calendar=ENG, amber_days=0
    )
    assert found.status is Ragg.AMBER
    assert found.standings[0].days_late == 0
    assert found.reason == "Survey is 0 working days late"


def test_bank_holidays_and_closure_days_do_not_count_as_days_late() -> None:
    # Due Fri 19 Dec 2025, as at Wed 31 Dec: Mon 22, Tue 23, Wed 24 work; Christmas Day and
    # Boxing Day are bank holidays; Mon 29 and Tue 30 are closure days; Wed 31 works: 4.
    found = project_ragg(
        [m("2025-12-19", ON, "Site cleared")], as_at=date(2025, 12, 31), calendar=CLOSED
    )
    assert found.standings[0].days_late == 4
    assert found.reason == "Site cleared is 4 working days late"
    assert ragg(m("2025-12-19", ON), as_at="2025-12-31", amber_days=3, calendar=CLOSED) is Ragg.RED
    assert ragg(m("2025-12-19", ON), as_at="2025-12-31", amber_days=4, calendar=CLOSED) is (
        Ragg.AMBER
    )
    # Without the closure days, six working days.
    assert (
        project_ragg([m("2025-12-19", ON)], as_at=date(2025, 12, 31), calendar=ENG)
        .standings[0]
        .days_late
        == 6
    )


def test_easter_bank_holidays_are_skipped_too() -> None:
    # Due Thu 17 Apr 2025; Good Friday and Easter Monday are bank holidays: as at Tue 22 Apr
    # the milestone is one working day late.
    found = project_ragg([m("2025-04-17", RISK)], as_at=date(2025, 4, 22), calendar=ENG)
    assert found.standings[0].days_late == 1
    assert found.standings[0].words == "Late — 1 working day, at risk"
    assert found.status is Ragg.RED  # at risk after its due date
    assert found.reason == "Milestone is 1 working day late and at risk"


def test_red_wins_over_amber_and_the_reason_names_each_red_milestone() -> None:
    found = project_ragg(
        [
            m("2025-06-30", ON, "Design"),  # 65 working days late by 30 Sep
            m("2025-10-31", RISK, "Tender"),  # at risk, not yet due: Amber on its own
            m("2025-09-30", RISK, "Survey"),  # at risk at its due date
        ],
        as_at=date(2025, 9, 30),
        calendar=ENG,
    )
    assert found.status is Ragg.RED
    assert found.reason == ("Design is 65 working days late; Survey is at risk at its due date")


def test_a_project_without_milestones_is_grey() -> None:
    assert project_ragg([], as_at=date(2025, 9, 30), calendar=ENG).status is Ragg.GREY


# -- the register ------------------------------------------------------------------------------


def test_the_example_register_holds_two_projects_with_milestones() -> None:
    spec = load_register(EXAMPLES / "register.yaml")
    projects = [item for _, _, item in spec.measures() if item.kind == "project"]
    assert [item.ref for item in projects] == ["SE1.P1", "SC1.P1"]
    assert all(len(item.milestones) == 5 for item in projects)
    assert projects[0].head_of_service == "hos.environment@example.gov.uk"  # the owner
    assert spec.calendar is not None and spec.calendar.project_amber_days == 10


REGISTER = """\
council: Test Council
calendar:
  project_amber_days: {days}
priorities:
  - code: SE
    name: Environment
    aims:
      - code: SE1
        title: Carbon
        measures:
          - ref: SE1.1
            title: Emissions
            definition: Tonnes
            interval: quarterly
            format: number
            decimals: 0
            polarity: lower
            collector: jane@example.gov.uk
            reviewer: hos@example.gov.uk
            head_of_service: hos@example.gov.uk
        projects:
{projects}
"""

GOOD_PROJECT = """\
          - ref: SE1.P1
            title: Solar
            owner: hos@example.gov.uk
            collector: jane@example.gov.uk
            reviewer: rev@example.gov.uk
            milestones:
              - {title: Design, due: 2025-06-30}
              - {title: Build, due: 2026-03-31}
"""


def write(tmp_path: Path, projects: str, days: str = "10") -> Path:
    path = tmp_path / "register.yaml"
    path.write_text(REGISTER.format(projects=projects.rstrip("\n"), days=days))
    return path


def errors(path: Path) -> list[tuple[str | None, str | None, str]]:
    with pytest.raises(InputRejected) as caught:
        load_register(path)
    return [(error.where, error.field, error.message) for error in caught.value.errors]


def test_a_project_loads_with_its_defaults(tmp_path: Path) -> None:
    spec = load_register(write(tmp_path, GOOD_PROJECT, days="3"))
    [project] = [item for _, _, item in spec.measures() if item.kind == "project"]
    assert (project.interval.value, project.reporting_lag, project.definition) == (
        "quarterly",
        8,
        "Solar",
    )
    assert [(item.title, item.due) for item in project.milestones] == [
        ("Design", date(2025, 6, 30)),
        ("Build", date(2026, 3, 31)),
    ]
    assert spec.calendar is not None and spec.calendar.project_amber_days == 3
    assert "rev@example.gov.uk" in spec.emails()


def test_project_mistakes_are_each_reported_with_line_and_field(tmp_path: Path) -> None:
    bad = """\
          - ref: SE1.P1
            title: Solar
            owner: hos@example.gov.uk
            collector: jane@example.gov.uk
            reviewer: jane@example.gov.uk
            milestones:
              - {title: Design, due: next spring}
          - ref: SE1.1
            title: Again
            owner: hos@example.gov.uk
            collector: jane@example.gov.uk
            reviewer: rev@example.gov.uk
          - ref: SE1.P3
            title: Twice
            owner: hos@example.gov.uk
            collector: jane@example.gov.uk
            reviewer: rev@example.gov.uk
            budget: 100
            milestones:
              - {title: Design, due: 2025-06-30}
              - {title: design, due: 2025-07-30}
"""
    assert errors(write(tmp_path, bad, days="99")) == [
        ("line 3", "calendar.project_amber_days", "must be from 0 to 60 working days (found 99)"),
        (
            "line 26",
            "project SE1.P1, reviewer",
            "the reviewer must be a different person from the collector (segregation of "
            "duties, framework §10.5)",
        ),
        (
            "line 28",
            "project SE1.P1, milestone Design, due",
            "'next spring' is not a date: write it as YYYY-MM-DD",
        ),
        (
            "line 29",
            "project SE1.1, milestones",
            "a project needs at least one milestone: list them as {title: ..., due: YYYY-MM-DD}",
        ),
        (
            "line 29",
            "project SE1.1, ref",
            "ref SE1.1 is used twice (also at line 11); each measure and project needs its own ref",
        ),
        (
            "line 39",
            "project SE1.P3, budget",
            "'budget' is not a field the register knows; check its spelling",
        ),
    ]


def test_a_milestone_named_twice_in_a_project_is_refused(tmp_path: Path) -> None:
    twice = GOOD_PROJECT.replace("{title: Build,", "{title: DESIGN,")
    assert errors(write(tmp_path, twice)) == [
        (
            "line 29",
            "project SE1.P1, milestone DESIGN, title",
            "milestone 'DESIGN' is listed twice in this project",
        )
    ]


def test_a_project_written_under_measures_is_pointed_to_projects(tmp_path: Path) -> None:
    path = tmp_path / "register.yaml"
    path.write_text(
        textwrap.dedent(
            """\
            priorities:
              - code: SE
                name: Environment
                aims:
                  - code: SE1
                    title: Carbon
                    measures:
                      - ref: SE1.1
                        title: Emissions
                        definition: Tonnes
                        interval: quarterly
                        format: number
                        decimals: 0
                        polarity: lower
                        collector: jane@example.gov.uk
                        reviewer: hos@example.gov.uk
                        head_of_service: hos@example.gov.uk
                        kind: project
            """
        )
    )
    [(where, field, message)] = errors(path)
    assert (where, field) == ("line 18", "measure SE1.1, kind")
    assert message == "a project goes in the aim's projects: list, not in measures"


# -- storage and status, on both databases -----------------------------------------------------

NOW = datetime(2026, 10, 8, 9, 0, tzinfo=UTC)
TODAY = NOW.date()


@pytest.fixture
def loaded(engine: Engine) -> Engine:
    services.import_register(engine, EXAMPLES / "register.yaml", actor="tester", now=NOW)
    services.import_actuals(engine, EXAMPLES / "actuals.csv", actor=ADMIN, now=NOW, today=TODAY)
    return engine


def row_of(engine: Engine, ref: str, period: str) -> dict[str, object]:
    [row] = services.status(engine, ref, Period.parse(period), today=TODAY).as_json()
    return row


def test_projects_are_reported_from_their_approved_milestones(loaded: Engine) -> None:
    seen = {
        period: (
            row_of(loaded, "SE1.P1", period)["status"],
            row_of(loaded, "SC1.P1", period)["status"],
        )
        for period in ("2025-26 Q1", "2025-26 Q3", "2025-26 Q4", "2026-27 Q1")
    }
    assert seen == {
        "2025-26 Q1": ("green", "green"),
        "2025-26 Q3": ("amber", "amber"),  # at risk; site clearance 3 working days late
        "2025-26 Q4": ("red", "green"),  # heat pumps at risk at their due date
        "2026-27 Q1": ("none", "none"),  # not reported yet
    }
    q3 = row_of(loaded, "SC1.P1", "2025-26 Q3")
    # Due Fri 19 Dec; the example's closure days 29–31 Dec and the bank holidays do not count.
    assert q3["reason"] == "Site cleared and remediated is 3 working days late"
    assert q3["value"] == 1 and q3["target"] is None and q3["committee"] == "on_target"
    q4 = services.status(loaded, "SE1.P1", Period.parse("2025-26 Q4"), today=TODAY).rows[0]
    assert q4.committee is Committee.OFF_TARGET
    assert q4.milestones is not None
    assert [item.words for item in q4.milestones] == [
        "Done",
        "Done",
        "At risk",
        "On track",
        "Not started",
    ]
    assert q4.actions is not None and q4.actions.startswith("Commission the heat pumps")


def test_the_aim_lists_its_project_beside_its_measures(loaded: Engine) -> None:
    report = services.status(loaded, "SE1", Period.parse("2025-26 Q4"), today=TODAY)
    assert [row.measure.ref for row in report.rows] == ["SE1.1", "SE1.2", "SE1.3", "SE1.P1"]


def test_reimporting_is_unchanged_and_a_changed_milestone_updates_the_project(
    loaded: Engine, tmp_path: Path
) -> None:
    again = services.import_actuals(
        loaded, EXAMPLES / "actuals.csv", actor=ADMIN, now=NOW, today=TODAY
    )
    assert (again.stored, again.replaced) == (0, 0)
    text = (EXAMPLES / "register.yaml").read_text()
    moved = text.replace(
        "{title: Roof solar array connected, due: 2026-09-30}",
        ("{title: Roof solar array connected, due: 2026-12-18}"),
    )
    assert moved != text
    changed = tmp_path / "register.yaml"
    changed.write_text(moved)
    report = services.import_register(loaded, changed, actor="tester", now=NOW)
    assert report.updated == ["SE1.P1"]
    [project] = [item for item in services.measures(loaded).values() if item.ref == "SE1.P1"]
    assert project.milestones[3].due == date(2026, 12, 18)


def test_a_project_row_in_actuals_needs_one_state_per_milestone(
    loaded: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "actuals.csv"
    path.write_text(
        "ref,period,value,commentary\n"
        "SE1.P1,2025-26 Q1,done; on track,Too few\n"
        "SC1.P1,2025-26 Q1,done; late; done; done; done,Late is not chosen\n"
    )
    with pytest.raises(InputRejected) as caught:
        services.import_actuals(loaded, path, actor=ADMIN, now=NOW, today=TODAY)
    assert [(e.where, e.field, e.message) for e in caught.value.errors] == [
        (
            "row 2",
            "value",
            "SE1.P1 has 5 milestones, so give 5 states separated by semicolons, in register "
            "order (found 2)",
        ),
        (
            "row 3",
            "value",
            "'late' for 'Site cleared and remediated' is not a milestone state; use not "
            "started, on track, at risk or done",
        ),
    ]


def test_cli_status_and_register_check_show_projects(cli: Cli) -> None:
    cli("db", "upgrade")
    cli("import", "register", str(EXAMPLES / "register.yaml"))
    cli(
        "import",
        "actuals",
        str(EXAMPLES / "actuals.csv"),
        "--by",
        ADMIN,
        "--today",
        TODAY.isoformat(),
    )
    shown = cli("status", "SE1.P1", "--period", "2025-26 Q4", "--today", TODAY.isoformat())
    assert shown.code == 0, shown.err
    assert "Value: 2 of 5 milestones done" in shown.out
    assert "Status: RED — Heat pumps installed and commissioned is at risk at its due date" in (
        shown.out
    )
    assert "  At risk      due 31 Mar 2026  Heat pumps installed and commissioned" in shown.out
    check = cli("register", "check", "--today", TODAY.isoformat())
    assert check.code == 0, check.err
    assert "2 projects, RAGG by milestones. Green: milestones done or on track." in check.out
    assert "up to 10 working days late" in check.out
    assert "SC1.P1 New council homes at Station Road — owner Fiona Grant" in check.out
    assert "    31 Mar 2027  First 20 homes handed over" in check.out
    assert "SE1.P1 Decarbonise the civic offices: missing" not in check.out
