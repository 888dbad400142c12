"""The quarterly RAGG summary as data (PRODUCT §4, §7): counts, committee view, direction of
travel, Reds, unapproved figures, per-priority views, sign-off, and a bounded number of SQL
statements whatever the register's size.

A crafted register (two priorities, twelve measures chosen to hit every colour, missing data,
an annual measure before its outturn is due, and every direction of travel) is written to
tmp_path and loaded into a real SQLite database, so every count below is known by hand.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import Engine, event

from bot import services, summaries
from bot.periods import Period, PeriodError
from bot.ragg import Committee, Direction, Ragg
from bot.status import CouncilInfo
from bot.summary import Summary, build_summary, for_priority, quarter_for, tally
from bot.workflow import State
from storage.engine import make_engine
from storage.migrate import upgrade
from tests.conftest import EXAMPLES

NOW = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
TODAY = NOW.date()
Q4 = Period.parse("2025-26 Q4")
BOARD = date(2026, 4, 21)  # 31 Mar 2026 + 3 weeks, a Tuesday

HOS_A = "hos.alpha@crafted.gov.uk"
HOS_B = "hos.beta@crafted.gov.uk"
HOS_C = "hos.gamma@crafted.gov.uk"
COLLECTOR = "collector@crafted.gov.uk"
REVIEWER = "reviewer@crafted.gov.uk"
ADMIN = "admin@crafted.gov.uk"


# -- registers written by the tests ---------------------------------------------------------


def measure(
    ref: str,
    title: str,
    *,
    hos: str,
    interval: str = "quarterly",
    polarity: str = "higher",
    targets: dict[str, Any] | None = None,
    collector: str = COLLECTOR,
    reviewer: str = REVIEWER,
    **extra: Any,
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "ref": ref,
        "title": title,
        "definition": f"Definition of {title}",
        "interval": interval,
        "reporting_lag": 8,
        "format": "number",
        "decimals": 1,
        "polarity": polarity,
        "targets": {"2025-26": 100, "2026-27": 100} if targets is None else targets,
        "collector": collector,
        "reviewer": reviewer,
        "head_of_service": hos,
    }
    spec.update(extra)
    return spec


def crafted_register() -> dict[str, Any]:
    return {
        "council": "Crafted Borough Council",
        "calendar": {"region": "ENG", "performance_board_weeks": 3},
        "admins": [ADMIN],
        "people": [
            {"email": HOS_A, "name": "Ann Alpha"},
            {"email": HOS_B, "name": "Bob Beta"},
            {"email": HOS_C, "name": "Cat Gamma"},
            {"email": COLLECTOR, "name": "Col Lector"},
            {"email": REVIEWER, "name": "Rev Iewer"},
            {"email": ADMIN, "name": "Adam Min"},
        ],
        "channels": {"all": "#crafted", "priorities": {"AA": "#alpha", "BB": "#beta"}},
        "priorities": [
            {
                "code": "AA",
                "name": "Alpha Priority",
                "aims": [
                    {
                        "code": "AA1",
                        "title": "Alpha aim",
                        "measures": [
                            measure("AA1.1", "Alpha green", hos=HOS_A),
                            measure("AA1.2", "Alpha amber", hos=HOS_A),
                            measure("AA1.3", "Alpha red", hos=HOS_A),
                            measure(
                                "AA1.4",
                                "Alpha grey",
                                hos=HOS_A,
                                polarity="lower",
                                monitoring_only=True,
                                targets={},
                            ),
                            measure("AA1.5", "Alpha missing", hos=HOS_A),
                        ],
                    }
                ],
            },
            {
                "code": "BB",
                "name": "Beta Priority",
                "aims": [
                    {
                        "code": "BB1",
                        "title": "Beta aim one",
                        "measures": [
                            measure(
                                "BB1.1",
                                "Beta red lower",
                                hos=HOS_B,
                                polarity="lower",
                                targets={"2025-26": 10},
                            ),
                            measure(
                                "BB1.2",
                                "Beta green range",
                                hos=HOS_B,
                                polarity="range",
                                targets={"2025-26": [40, 56]},
                            ),
                            measure(
                                "BB1.3",
                                "Beta annual before its outturn",
                                hos=HOS_B,
                                interval="annual",
                                reporting_lag=40,
                                targets={"2025-26": 5000},
                            ),
                        ],
                    },
                    {
                        "code": "BB2",
                        "title": "Beta aim two",
                        "measures": [
                            measure(
                                "BB2.1",
                                "Beta monthly green",
                                hos=HOS_C,
                                interval="monthly",
                                targets={"2025-26": 95},
                            ),
                            measure(
                                "BB2.2",
                                "Beta biannual amber",
                                hos=HOS_C,
                                interval="biannual",
                                cumulative=True,
                                targets={"2025-26": 600},
                            ),
                            measure(
                                "BB2.3",
                                "Beta red by an absolute margin",
                                hos=HOS_C,
                                tolerance_abs=2,
                            ),
                            measure("BB2.4", "Beta missing", hos=HOS_C),
                        ],
                    },
                ],
            },
        ],
    }


CRAFTED_ACTUALS = [
    ("AA1.1", "2024-25 Q4", "120", "A year ago"),
    ("AA1.1", "2025-26 Q3", "100", "On target"),
    ("AA1.1", "2025-26 Q4", "110", "Above target"),
    ("AA1.2", "2025-26 Q3", "98", ""),
    ("AA1.2", "2025-26 Q4", "95", "Exactly 5% below: borderline"),
    ("AA1.3", "2025-26 Q3", "80", ""),
    ("AA1.3", "2025-26 Q4", "80", "Staff shortages in the team"),
    ("AA1.4", "2025-26 Q3", "9", ""),
    ("AA1.4", "2025-26 Q4", "7", "Monitoring only"),
    ("AA1.5", "2025-26 Q3", "100", "Nothing yet for Q4"),
    ("BB1.1", "2025-26 Q3", "15", ""),
    ("BB1.1", "2025-26 Q4", "20", "Backlog doubled over the winter"),
    ("BB1.2", "2025-26 Q3", "60", ""),
    ("BB1.2", "2025-26 Q4", "50", "Back inside the band"),
    ("BB2.1", "2026-02", "96", ""),
    ("BB2.1", "2026-03", "96", "Steady"),
    ("BB2.2", "2025-26 H1", "300", ""),
    ("BB2.2", "2025-26 H2", "570", "Exactly 5% below the year target"),
    ("BB2.3", "2025-26 Q4", "97.5", "Half a point outside the absolute margin"),
]


def write_register(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def write_actuals(path: Path, rows: list[tuple[str, str, str, str]]) -> Path:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["ref", "period", "value", "commentary"])
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def load(engine: Engine, tmp_path: Path, register: dict[str, Any], actuals: list[Any]) -> None:
    services.import_register(
        engine, write_register(tmp_path / "register.yaml", register), actor="tester", now=NOW
    )
    if actuals:
        services.import_actuals(
            engine,
            write_actuals(tmp_path / "actuals.csv", actuals),
            actor=register["admins"][0],
            now=NOW,
            today=TODAY,
        )


def generated_register(
    measures: int, *, priorities: int = 4, red_every: int = 3, missing_every: int = 7
) -> tuple[dict[str, Any], list[tuple[str, str, str, str]]]:
    """A register of `measures` quarterly measures spread over `priorities`, with the example
    register's council, calendar, people, admins and '#performance' channel (so that the
    Slack harness knows everyone), and 2025-26 Q3 and Q4 actuals: every `red_every`-th measure
    Red, every `missing_every`-th without a Q4 figure, the rest Green. Titles and commentary
    are long, to press on Block Kit's limits."""
    example = yaml.safe_load((EXAMPLES / "register.yaml").read_text(encoding="utf-8"))
    codes = [f"P{chr(ord('A') + n)}" for n in range(priorities)]
    specs: dict[str, list[dict[str, Any]]] = {code: [] for code in codes}
    actuals: list[tuple[str, str, str, str]] = []
    for n in range(measures):
        code = codes[n % priorities]
        ref = f"{code}1.{n // priorities + 1}"
        specs[code].append(
            measure(
                ref,
                f"Generated measure {ref} with a deliberately long title that goes on "
                "and on about what exactly is being counted in the quarter",
                hos="hos.environment@example.gov.uk",
                collector="jane.doe@example.gov.uk",
                reviewer="waste.manager@example.gov.uk",
            )
        )
        actuals.append((ref, "2025-26 Q3", "100", "Q3"))
        if n % missing_every == missing_every - 1:
            continue
        red = n % red_every == 0
        actuals.append(
            (
                ref,
                "2025-26 Q4",
                "50" if red else "120",
                f"{ref}: " + ("Well below target because of " if red else "Fine. ") + "x" * 400,
            )
        )
    data = {
        key: example[key] for key in ("council", "calendar", "admins", "people") if key in example
    }
    data["channels"] = {"all": "#performance"}
    data["priorities"] = [
        {
            "code": code,
            "name": f"Generated priority {code}",
            "aims": [{"code": f"{code}1", "title": f"Aim {code}1", "measures": specs[code]}],
        }
        for code in codes
    ]
    return data, actuals


# -- fixtures -----------------------------------------------------------------------------------


@pytest.fixture
def crafted(sqlite_url: str, tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(sqlite_url)
    upgrade(engine)
    load(engine, tmp_path, crafted_register(), CRAFTED_ACTUALS)
    yield engine
    engine.dispose()


def council_of(engine: Engine) -> CouncilInfo:
    return services.council_info(engine)


@pytest.fixture
def q4(crafted: Engine) -> Summary:
    return summaries.summary(crafted, council_of(crafted), Q4, today=TODAY)


def refs(rows: list[Any]) -> list[str]:
    return [row.measure.ref for row in rows]


def by_ref(summary: Summary) -> dict[str, Any]:
    return {row.measure.ref: row for row in summary.rows}


# -- every count --------------------------------------------------------------------------------


def test_each_crafted_measure_has_the_colour_it_was_built_for(q4: Summary) -> None:
    rows = by_ref(q4)
    assert {ref: row.status for ref, row in rows.items()} == {
        "AA1.1": Ragg.GREEN,
        "AA1.2": Ragg.AMBER,  # exactly 5 % below: borderline
        "AA1.3": Ragg.RED,
        "AA1.4": Ragg.GREY,  # monitoring only
        "AA1.5": Ragg.NONE,
        "BB1.1": Ragg.RED,  # lower is better, twice the target
        "BB1.2": Ragg.GREEN,  # inside the band
        "BB1.3": Ragg.GREY,  # annual, outturn not due until after the deadline
        "BB2.1": Ragg.GREEN,
        "BB2.2": Ragg.AMBER,  # 570 of 600: exactly 5 % below
        "BB2.3": Ragg.RED,  # 97.5 is beyond the absolute margin of 2
        "BB2.4": Ragg.NONE,
    }
    # The period each measure reports at Q4 (PRODUCT §4).
    assert str(rows["BB2.1"].period) == "2026-03"
    assert str(rows["BB2.2"].period) == "2025-26 H2"
    assert str(rows["BB1.3"].period) == "2025-26"
    assert rows["BB1.3"].state is State.DUE and rows["BB1.3"].value is None
    assert rows["AA1.5"].state is State.OVERDUE
    assert {row.committee for ref, row in rows.items() if row.status is Ragg.GREY} == {
        Committee.ON_TARGET
    }
    assert rows["BB2.4"].committee is Committee.MISSING


def test_overall_and_per_priority_counts_and_committee_share(q4: Summary) -> None:
    assert q4.council == "Crafted Borough Council"
    assert q4.quarter == Q4 and q4.board_date == BOARD
    overall = q4.overall
    assert (overall.code, overall.name) == ("ALL", "Crafted Borough Council")
    assert overall.counts == {
        Ragg.RED: 3,
        Ragg.AMBER: 2,
        Ragg.GREEN: 3,
        Ragg.GREY: 2,
        Ragg.NONE: 2,
    }
    assert list(overall.counts) == [Ragg.RED, Ragg.AMBER, Ragg.GREEN, Ragg.GREY, Ragg.NONE]
    assert (overall.total, overall.on_target, overall.off_target, overall.missing) == (12, 7, 3, 2)
    assert overall.on_target_share == 70  # 7 of 10 reported

    alpha, beta = q4.priorities
    assert (alpha.code, alpha.name, beta.code, beta.name) == (
        "AA",
        "Alpha Priority",
        "BB",
        "Beta Priority",
    )
    assert [alpha.counts[s] for s in Ragg] == [1, 1, 1, 1, 1]
    assert (alpha.total, alpha.on_target, alpha.off_target, alpha.missing) == (5, 3, 1, 1)
    assert alpha.on_target_share == 75
    assert [beta.counts[s] for s in Ragg] == [2, 1, 2, 1, 1]
    assert (beta.total, beta.on_target, beta.off_target, beta.missing) == (7, 4, 2, 1)
    assert beta.on_target_share == 67  # 4 of 6, rounded
    for status in Ragg:
        assert overall.counts[status] == alpha.counts[status] + beta.counts[status]


def test_direction_of_travel_counts(q4: Summary) -> None:
    rows = by_ref(q4)
    assert rows["AA1.1"].direction is Direction.IMPROVING
    assert rows["AA1.1"].direction_year is Direction.DECLINING  # 110 after 120 a year ago
    assert rows["AA1.2"].direction is Direction.DECLINING
    assert rows["AA1.3"].direction is Direction.SAME
    assert rows["AA1.4"].direction is Direction.IMPROVING  # lower is better: 7 after 9
    assert rows["BB1.1"].direction is Direction.DECLINING  # lower is better: 20 after 15
    assert rows["BB1.2"].direction is Direction.IMPROVING  # back inside the band
    assert rows["BB2.1"].direction is Direction.SAME
    # BB2.2 is year to date: H2 is compared with H2 a year earlier, of which there is none
    # (never with H1, which a year-to-date figure always beats).
    for ref in ("AA1.5", "BB1.3", "BB2.2", "BB2.3", "BB2.4"):
        assert rows[ref].direction is None, ref
    assert q4.overall.directions == {
        Direction.IMPROVING: 3,
        Direction.DECLINING: 2,
        Direction.SAME: 2,
    }
    alpha, beta = q4.priorities
    assert alpha.directions == {Direction.IMPROVING: 2, Direction.DECLINING: 1, Direction.SAME: 1}
    assert beta.directions == {Direction.IMPROVING: 1, Direction.DECLINING: 1, Direction.SAME: 1}


def test_every_red_is_listed_with_its_commentary_and_the_unapproved_are_listed(
    q4: Summary,
) -> None:
    assert refs(q4.reds) == ["AA1.3", "BB1.1", "BB2.3"]  # register order
    commentary = {row.measure.ref: row.commentary for row in q4.reds}
    assert commentary["AA1.3"] == "Staff shortages in the team"
    assert commentary["BB1.1"] == "Backlog doubled over the winter"
    # Missing data is listed; the annual measure before its outturn is Grey, not missing.
    assert refs(q4.unapproved) == ["AA1.5", "BB2.4"]
    assert all(row.state is State.OVERDUE for row in q4.unapproved)


def test_a_quarter_in_progress_has_nothing_unapproved_yet(crafted: Engine) -> None:
    current = summaries.summary(
        crafted, council_of(crafted), Period.parse("2026-27 Q1"), today=TODAY
    )
    assert current.reds == []
    # "No data" lists every figure it counts, each with its state: here all not yet due
    assert len(current.unapproved) == current.overall.counts[Ragg.NONE]
    assert {row.state for row in current.unapproved} == {State.NOT_DUE}
    assert {row.state for row in current.rows} == {State.NOT_DUE}
    assert current.overall.counts[Ragg.NONE] == current.overall.missing == 10
    # The annual and the half-yearly measures report nothing at Q1: Grey, not missing.
    assert current.overall.counts[Ragg.GREY] == 2
    assert current.overall.on_target_share == 100  # only the Greys are "reported"
    assert current.board_date == date(2026, 7, 21)


def test_unapproved_lists_submitted_and_rejected_figures_but_not_the_not_yet_due(
    q4: Summary,
) -> None:
    rows = [
        replace(row, state=State.SUBMITTED) if row.measure.ref == "AA1.5" else row
        for row in q4.rows
    ]
    rows = [
        replace(row, state=State.NOT_DUE) if row.measure.ref == "BB2.4" else row for row in rows
    ]
    changed = replace(q4, rows=rows)
    # BB2.4 is not yet due: still counted as "No data", so still listed (with its state)
    assert refs(changed.unapproved) == ["AA1.5", "BB2.4"]


def test_an_empty_report_has_no_share(q4: Summary) -> None:
    empty = tally("ALL", "Nobody", [])
    assert empty.total == 0 and empty.on_target_share is None
    assert empty.directions == {d: 0 for d in Direction}
    only_missing = tally("X", "X", [row for row in q4.rows if row.status is Ragg.NONE])
    assert only_missing.on_target_share is None and only_missing.missing == 2


# -- per priority -------------------------------------------------------------------------------


def test_for_priority_keeps_only_that_priority(q4: Summary) -> None:
    beta = for_priority(q4, "BB")
    assert beta.council == "Crafted Borough Council — BB Beta Priority"
    assert beta.quarter == q4.quarter and beta.board_date == q4.board_date
    assert refs(beta.rows) == ["BB1.1", "BB1.2", "BB1.3", "BB2.1", "BB2.2", "BB2.3", "BB2.4"]
    assert beta.overall.code == "BB" and beta.overall.counts == q4.priorities[1].counts
    assert [t.code for t in beta.priorities] == ["BB"]
    assert refs(beta.reds) == ["BB1.1", "BB2.3"]
    assert refs(beta.unapproved) == ["BB2.4"]
    assert [s.head_of_service for s in beta.signoffs] == [HOS_B, HOS_C]

    alpha = for_priority(q4, "AA")
    assert refs(alpha.reds) == ["AA1.3"] and refs(alpha.unapproved) == ["AA1.5"]
    assert alpha.overall.on_target_share == 75
    assert [s.head_of_service for s in alpha.signoffs] == [HOS_A]

    nothing = for_priority(q4, "ZZ")
    assert nothing.rows == [] and nothing.overall.total == 0
    assert nothing.council == "Crafted Borough Council — ZZ ZZ" and nothing.signoffs == []


def test_build_summary_groups_rows_by_priority_in_register_order(crafted: Engine) -> None:
    report = services.status(crafted, None, Q4, today=TODAY)
    built = build_summary(report, Q4, BOARD)
    assert [t.code for t in built.priorities] == ["AA", "BB"]
    assert built.signoffs == []
    assert refs(built.rows) == refs(report.rows)


# -- which quarter ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "quarter"),
    [
        ("2026-03", "2025-26 Q4"),
        ("2025-04", "2025-26 Q1"),
        ("2025-26 Q2", "2025-26 Q2"),
        ("2025-26 H1", "2025-26 Q2"),
        ("2025-26 H2", "2025-26 Q4"),
        ("2025-26", "2025-26 Q4"),
    ],
)
def test_quarter_for_is_the_quarter_the_period_ends_in(label: str, quarter: str) -> None:
    assert quarter_for(Period.parse(label)) == Period.parse(quarter)


@pytest.mark.parametrize(
    ("text", "today", "quarter"),
    [
        (None, date(2026, 5, 1), "2025-26 Q4"),
        ("", date(2026, 5, 1), "2025-26 Q4"),
        ("   ", date(2026, 4, 1), "2025-26 Q4"),
        (None, date(2026, 3, 31), "2025-26 Q3"),  # Q4 has not ended yet
        (None, date(2025, 4, 1), "2024-25 Q4"),
        ("2025-26 Q3", date(2026, 5, 1), "2025-26 Q3"),
        ("2025-26", date(2026, 5, 1), "2025-26 Q4"),
        ("2025-26 H1", date(2026, 5, 1), "2025-26 Q2"),
        ("2026-01", date(2026, 5, 1), "2025-26 Q4"),
        ("2025-26 q4", date(2026, 5, 1), "2025-26 Q4"),
    ],
)
def test_quarter_of_reads_a_label_or_takes_the_latest_ended(
    text: str | None, today: date, quarter: str
) -> None:
    assert summaries.quarter_of(text, today) == Period.parse(quarter)


@pytest.mark.parametrize("text", ["Q4", "2025-26 Q5", "next quarter"])
def test_quarter_of_refuses_what_is_not_a_period(text: str) -> None:
    with pytest.raises(PeriodError):
        summaries.quarter_of(text, TODAY)


# -- sign-off -----------------------------------------------------------------------------------


def sign(engine: Engine, email: str, quarter: str | None = "2025-26 Q4") -> summaries.SignedOff:
    return summaries.sign_off(
        engine, council_of(engine), email=email, quarter_text=quarter, now=NOW
    )


def test_sign_off_is_refused_listing_what_is_outstanding(crafted: Engine) -> None:
    with pytest.raises(summaries.SignOffRefused) as refused:
        sign(crafted, HOS_A)
    assert "1 of your 5 measures for 2025-26 Q4 are not approved" in str(refused.value)
    assert refs(refused.value.outstanding) == ["AA1.5"]
    with pytest.raises(summaries.SignOffRefused) as refused:
        sign(crafted, HOS_C)
    assert refs(refused.value.outstanding) == ["BB2.4"]


def test_sign_off_by_someone_who_heads_no_measure_is_refused(crafted: Engine) -> None:
    for email in (COLLECTOR, ADMIN, "stranger@crafted.gov.uk"):
        with pytest.raises(summaries.SignOffRefused, match="Only a Head of Service"):
            sign(crafted, email)


@pytest.mark.parametrize("quarter", ["2026-27 Q1", "2026-27 Q3"])
def test_a_quarter_not_ended_cannot_be_signed_off(crafted: Engine, quarter: str) -> None:
    with pytest.raises(summaries.SignOffRefused, match="has not ended yet"):
        sign(crafted, HOS_B, quarter)


def test_a_bad_quarter_is_refused_plainly(crafted: Engine) -> None:
    with pytest.raises(summaries.SignOffRefused) as refused:
        sign(crafted, HOS_B, "2025-26 Q7")
    assert str(refused.value).endswith(".")


def test_sign_off_once_then_already_signed_and_the_summary_shows_it(crafted: Engine) -> None:
    # BB1.3 is annual and its outturn is not due yet: it does not stop the sign-off.
    done = sign(crafted, HOS_B)
    assert (done.quarter, done.measures, done.signed_at) == (Q4, 3, NOW)
    with pytest.raises(summaries.SignOffRefused, match="already signed off 2025-26 Q4"):
        sign(crafted, HOS_B)
    states = summaries.signoff_states(crafted, Q4)
    assert [(s.head_of_service, s.name, s.measures) for s in states] == [
        (HOS_A, "Ann Alpha", 5),
        (HOS_B, "Bob Beta", 3),
        (HOS_C, "Cat Gamma", 4),
    ]
    signed = {s.head_of_service: s.signed_at for s in states}
    assert signed == {HOS_A: None, HOS_B: NOW, HOS_C: None}
    # Another quarter is unaffected; the quarter's summary carries the sign-off.
    assert all(s.signed_at is None for s in summaries.signoff_states(crafted, Q4.previous()))
    shown = summaries.summary(crafted, council_of(crafted), Q4, today=TODAY)
    assert [s.signed_at is not None for s in shown.signoffs] == [False, True, False]
    assert [s.head_of_service for s in for_priority(shown, "BB").signoffs] == [HOS_B, HOS_C]


def test_outstanding_for_ignores_not_yet_due_and_the_annual_before_its_outturn(
    q4: Summary,
) -> None:
    assert refs(summaries.outstanding_for(q4.rows)) == ["AA1.5", "BB2.4"]
    submitted = [replace(row, state=State.SUBMITTED) for row in q4.rows[:1]]
    assert refs(summaries.outstanding_for(submitted)) == ["AA1.1"]


# -- the number of SQL statements ---------------------------------------------------------------


def statements_for_summary(engine: Engine) -> tuple[int, Summary]:
    council = council_of(engine)
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        built = summaries.summary(engine, council, Q4, today=TODAY)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen), built


def test_a_summary_costs_the_same_few_statements_for_20_or_200_measures(
    engine: Engine, tmp_path: Path
) -> None:
    """On both databases: the 200-measure register replaces the 20-measure one in place."""
    counted: dict[int, int] = {}
    for size in (20, 200):
        folder = tmp_path / str(size)
        folder.mkdir()
        register, actuals = generated_register(size)
        load(engine, folder, register, actuals)
        counted[size], built = statements_for_summary(engine)
        assert built.overall.total == size
        assert len(built.reds) == len([n for n in range(size) if n % 3 == 0 and n % 7 != 6])
    assert counted[20] == counted[200], counted
    assert counted[200] <= 15, counted
