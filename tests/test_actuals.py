"""Historical values ("actuals", PRODUCT §3): every row checked like a submission, every
problem located, all-or-nothing, stored as approved with an audit event naming the importer."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import Engine, func
from sqlmodel import SQLModel, col, select

from bot import services
from bot.actuals import Actual, parse_actuals
from bot.errors import InputRejected, LocatedError
from bot.measures import MeasureInfo
from bot.periods import Interval, Period
from bot.ragg import Rule
from bot.register import Format
from storage import audit
from storage.engine import read_session
from storage.models import AuditEvent, Measure, PeriodValue, Review, Submission
from tests.conftest import EXAMPLES, Cli

TODAY = date(2026, 5, 1)
NOW = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
IMPORTER = "policy.officer@example.gov.uk"
HEADER = ["ref", "period", "value", "commentary"]


def info(ref: str, interval: Interval, format: Format, decimals: int) -> MeasureInfo:
    return MeasureInfo(
        ref=ref,
        title=f"Measure {ref}",
        priority=ref[:2],
        aim=ref.split(".")[0],
        interval=interval,
        reporting_lag=8,
        format=format,
        decimals=decimals,
        rule=Rule(interval=interval),
    )


MEASURES = {
    m.ref: m
    for m in [
        info("SE1.1", Interval.QUARTERLY, Format.PERCENTAGE, 1),
        info("SE2.2", Interval.MONTHLY, Format.NUMBER, 0),
        info("DE2.2", Interval.BIANNUAL, Format.NUMBER, 0),
        info("SE2.3", Interval.ANNUAL, Format.NUMBER, 0),
        info("TC1.3", Interval.QUARTERLY, Format.CURRENCY, 2),
    ]
}


def write_csv(path: Path, rows: Sequence[Sequence[Any]], header: Sequence[str] = HEADER) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def parse(path: Path, today: date = TODAY) -> list[Actual]:
    return parse_actuals(path, MEASURES, today)


def problems(path: Path, today: date = TODAY) -> list[LocatedError]:
    with pytest.raises(InputRejected) as caught:
        parse(path, today)
    assert caught.value.what == "actuals file"
    return caught.value.errors


def only_problem(path: Path, today: date = TODAY) -> LocatedError:
    errors = problems(path, today)
    assert len(errors) == 1, errors
    return errors[0]


def one_row_problem(tmp_path: Path, row: Sequence[Any], today: date = TODAY) -> LocatedError:
    error = only_problem(write_csv(tmp_path / "actuals.csv", [row]), today)
    assert (error.file, error.where) == ("actuals.csv", "row 2")
    return error


# -- reading a good file ----------------------------------------------------------------------


def test_a_good_file_is_read_with_canonical_refs_periods_and_values(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "actuals.csv",
        [
            ["SE1.1", "2025-26 Q1", "45.5", "On track, ahead of profile"],
            ["se1.1", "q2 2025/26", "46.0%", ""],
            ["", "", "", ""],
            ["SE2.2", "2025-07", "1,118", "Summer peak"],
            ["DE2.2", "2025-26 H1", "312", ""],
            ["SE2.3", "2024-25", "4120", ""],
            ["TC1.3", "2025-26 Q4", "£1,236,900.50", ""],
        ],
    )
    found = parse(path)
    assert [(a.ref, a.period.label, a.value, a.where) for a in found] == [
        ("SE1.1", "2025-26 Q1", Decimal("45.5"), "row 2"),
        ("SE1.1", "2025-26 Q2", Decimal("46.0"), "row 3"),
        ("SE2.2", "2025-07", Decimal(1118), "row 5"),
        ("DE2.2", "2025-26 H1", Decimal(312), "row 6"),
        ("SE2.3", "2024-25", Decimal(4120), "row 7"),
        ("TC1.3", "2025-26 Q4", Decimal("1236900.50"), "row 8"),
    ]
    assert found[0].commentary == "On track, ahead of profile"


def test_the_header_may_be_in_any_case_and_order_and_commentary_is_optional(
    tmp_path: Path,
) -> None:
    path = write_csv(
        tmp_path / "actuals.csv", [["45.5", "SE1.1", "2025-26 Q1"]], ["Value", "REF", "Period"]
    )
    [actual] = parse(path)
    assert (actual.ref, actual.value, actual.commentary) == ("SE1.1", Decimal("45.5"), "")


def test_an_xlsx_file_is_read_including_a_month_that_excel_made_a_date(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "actuals.xlsx",
        [
            ["SE2.2", datetime(2025, 7, 1), 118, "Excel turned 2025-07 into a date"],
            ["SE1.1", "2025-26 Q1", 45.5, None],
            ["TC1.3", "2025-26 Q1", 301500.25, None],
        ],
    )
    assert [(a.ref, a.period.label, a.value, a.where) for a in parse(path)] == [
        ("SE2.2", "2025-07", Decimal(118), "sheet Actuals, row 2"),
        ("SE1.1", "2025-26 Q1", Decimal("45.5"), "sheet Actuals, row 3"),
        ("TC1.3", "2025-26 Q1", Decimal("301500.25"), "sheet Actuals, row 4"),
    ]


def write_xlsx(path: Path, rows: Sequence[Sequence[Any]]) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Actuals"
    sheet.append(["Ref", "Period", "Value", "Commentary"])
    for row in rows:
        sheet.append(list(row))
    workbook.save(path)
    return path


def test_xlsx_problems_name_the_sheet_and_row(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "actuals.xlsx", [["SE1.1", "2025-26 Q1", 45.55, None]])
    error = only_problem(path)
    assert (error.where, error.field) == ("sheet Actuals, row 2", "value")
    assert "2 decimal places" in error.message


# -- one problem in a row ---------------------------------------------------------------------


def test_an_unknown_ref_suggests_the_closest(tmp_path: Path) -> None:
    error = one_row_problem(tmp_path, ["SE1.7", "2025-26 Q1", "45"])
    assert error.field == "ref"
    assert error.message.startswith("there is no measure 'SE1.7'; did you mean SE1.1")


def test_an_unknown_ref_with_nothing_close_says_to_check_the_register(tmp_path: Path) -> None:
    error = one_row_problem(tmp_path, ["HOUSING", "2025-26 Q1", "45"])
    assert error.message == "there is no measure 'HOUSING'; check the register"


def test_an_empty_ref_is_reported(tmp_path: Path) -> None:
    error = one_row_problem(tmp_path, ["", "2025-26 Q1", "45"])
    assert error.field == "ref"
    assert error.message.startswith("is empty")


@pytest.mark.parametrize(
    ("period", "words"),
    [
        ("2025-26 Q5", "quarters Q1–Q4"),
        ("2025-27", "2025-27"),
        ("last quarter", "is not a period label"),
        ("2025-13", "a month runs 01 to 12"),
        ("", "a period is needed"),
    ],
)
def test_a_bad_period_label_is_reported(tmp_path: Path, period: str, words: str) -> None:
    error = one_row_problem(tmp_path, ["SE1.1", period, "45"])
    assert error.field == "period"
    assert words in error.message


@pytest.mark.parametrize(
    ("ref", "period", "words"),
    [
        ("SE1.1", "2025-07", "SE1.1 is collected quarterly, so the period must be a quarter"),
        ("SE1.1", "2025-26", "must be a quarter such as 2025-26 Q1, not 2025-26"),
        ("SE2.2", "2025-26 Q1", "SE2.2 is collected monthly, so the period must be a month"),
        ("DE2.2", "2025-26 Q2", "collected biannual, so the period must be a half-year"),
        ("SE2.3", "2025-26 H1", "collected annual, so the period must be a year"),
    ],
)
def test_a_period_of_the_wrong_kind_for_the_measure_is_reported(
    tmp_path: Path, ref: str, period: str, words: str
) -> None:
    error = one_row_problem(tmp_path, [ref, period, "4"])
    assert error.field == "period"
    assert words in error.message


@pytest.mark.parametrize(
    ("ref", "period", "today"),
    [
        ("SE1.1", "2026-27 Q1", TODAY),
        ("SE2.2", "2026-05", TODAY),
        ("SE2.3", "2026-27", TODAY),
        ("SE1.1", "2025-26 Q4", date(2026, 3, 31)),  # ends today: not over yet
    ],
)
def test_a_period_that_has_not_ended_is_reported(
    tmp_path: Path, ref: str, period: str, today: date
) -> None:
    error = one_row_problem(tmp_path, [ref, period, "4"], today)
    assert error.field == "period"
    assert f"{period} has not ended yet" in error.message


def test_a_period_that_ended_yesterday_is_accepted(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "actuals.csv", [["SE1.1", "2025-26 Q4", "4"]])
    [actual] = parse(path, date(2026, 4, 1))
    assert actual.period == Period.parse("2025-26 Q4")


@pytest.mark.parametrize(
    ("ref", "value", "words"),
    [
        ("SE1.1", "abc", "'abc' is not a number"),
        ("SE1.1", "n/a", "'n/a' is not a number"),
        ("SE1.1", "1e400x", "is not a number"),
        ("SE1.1", "NaN", "is not a number"),
        ("SE1.1", "", "enter a figure"),
        ("SE1.1", "45.55", "45.55 has 2 decimal places"),
        ("SE2.2", "12.5", "12.5 has 1 decimal place; this measure is reported to a whole number"),
        ("TC1.3", "£10.505", "3 decimal places"),
        ("SE1.1", "100.1", "100.1 is not a percentage: it must be from 0 to 100"),
        ("SE1.1", "-0.5", "is not a percentage"),
    ],
)
def test_a_bad_value_is_reported(tmp_path: Path, ref: str, value: str, words: str) -> None:
    error = one_row_problem(tmp_path, [ref, "2025-26 Q1" if ref != "SE2.2" else "2025-07", value])
    assert error.field == "value"
    assert words.lower() in error.message.lower()


def test_the_same_text_is_checked_against_each_rows_own_measure(tmp_path: Path) -> None:
    """A figure or period typed the same way in many rows is read once, but still checked
    against each row's measure: 12.5 is fine for a one-decimal percentage, not for a whole
    number; a bad figure repeated is reported at every row."""
    path = write_csv(
        tmp_path / "actuals.csv",
        [
            ["SE1.1", "2025-26 Q1", "12.5"],
            ["TC1.3", "2025-26 Q1", "12.5"],
            ["SE2.3", "2025-26 Q1", "12.5"],
            ["SE1.1", "2025-26 Q2", "12.50"],
            ["DE2.2", "2025-26 H1", "12.5"],
            ["DE2.2", "2024-25 H1", "12.5"],
        ],
    )
    errors = problems(path)
    assert [(error.where, error.field) for error in errors] == [
        ("row 4", "period"),
        ("row 6", "value"),
        ("row 7", "value"),
    ]
    assert "SE2.3 is collected annual" in errors[0].message
    assert errors[1].message == errors[2].message


def test_on_behalf_keeps_every_other_field() -> None:
    from dataclasses import fields, replace

    from bot.actions import Planned
    from bot.projects import MilestoneReport, MilestoneState

    actual = Actual(
        "SE1.1",
        Period.parse("2025-26 Q1"),
        Decimal("45.5"),
        "commentary",
        "row 2",
        actions="Chase consultees",
        evidence="https://example.gov.uk/e",
        planned=(Planned("Chase consultees", None, None),),
        milestones=(MilestoneReport("Design", date(2025, 6, 30), MilestoneState.DONE),),
    )
    for flag in (True, False):
        copy = actual.behalf(flag)
        assert copy == replace(actual, on_behalf=flag)
        assert [getattr(copy, f.name) for f in fields(Actual) if f.name != "on_behalf"] == [
            getattr(actual, f.name) for f in fields(Actual) if f.name != "on_behalf"
        ]


def test_a_percentage_of_exactly_0_or_100_is_accepted(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "actuals.csv", [["SE1.1", "2025-26 Q1", "0"], ["SE1.1", "2025-26 Q2", "100%"]]
    )
    assert [a.value for a in parse(path)] == [Decimal(0), Decimal(100)]


def test_the_same_ref_and_period_twice_is_reported_with_both_rows(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "actuals.csv",
        [["SE1.1", "2025-26 Q1", "45.5"], ["SE2.3", "2024-25", "1"], ["se1.1", "Q1 2025/26", "46"]],
    )
    error = only_problem(path)
    assert error.where == "row 4"
    assert error.message == "SE1.1 2025-26 Q1 is already given at row 2; keep one row"


def test_every_problem_in_the_file_is_reported_in_one_go(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "actuals.csv",
        [
            ["SE1.1", "2025-26 Q1", "45.5"],  # row 2: fine
            ["SE1.9", "2025-26 Q1", "45.5"],  # row 3: unknown ref
            ["SE1.1", "2025-26 Q9", "45.5"],  # row 4: bad period
            ["SE2.2", "2025-26", "4"],  # row 5: wrong kind
            ["SE2.3", "2026-27", "4"],  # row 6: not ended
            ["SE1.1", "2025-26 Q2", "lots"],  # row 7: not a number
            ["SE1.1", "2025-26 Q1", "45.5"],  # row 8: duplicate of row 2
        ],
    )
    errors = problems(path)
    assert [(e.where, e.field) for e in errors] == [
        ("row 3", "ref"),
        ("row 4", "period"),
        ("row 5", "period"),
        ("row 6", "period"),
        ("row 7", "value"),
        ("row 8", None),
    ]
    with pytest.raises(InputRejected) as caught:
        parse(path)
    assert caught.value.summary().startswith(
        "The actuals file was not imported: 6 problems to fix. Nothing was changed."
    )


# -- whole-file problems ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "missing"),
    [
        (["ref", "when", "value"], "missing: period"),
        (["measure", "period", "amount", "commentary"], "missing: ref, value"),
        (["SE1.1", "2025-26 Q1", "45.5"], "missing: ref, period, value"),
    ],
)
def test_missing_header_columns_are_reported_at_row_1(
    tmp_path: Path, header: list[str], missing: str
) -> None:
    path = write_csv(tmp_path / "actuals.csv", [["SE1.1", "2025-26 Q1", "45.5"]], header)
    error = only_problem(path)
    assert (error.where, error.field) == ("row 1", None)
    assert error.message.startswith("the header must name the columns ref, period, value")
    assert error.message.endswith(missing)


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "actuals.csv"
    path.write_text("")
    error = only_problem(path)
    assert (error.file, error.where, error.message) == ("actuals.csv", None, "the file is empty")


def test_a_file_with_only_a_header_is_refused(tmp_path: Path) -> None:
    error = only_problem(write_csv(tmp_path / "actuals.csv", [["", "", ""]]))
    assert (error.where, error.message) == (None, "the file has no values in it")


@pytest.mark.parametrize("name", ["actuals.txt", "actuals.yaml", "actuals.xls"])
def test_a_file_of_the_wrong_kind_is_refused(tmp_path: Path, name: str) -> None:
    error = only_problem(write_csv(tmp_path / name, [["SE1.1", "2025-26 Q1", "45.5"]]))
    assert (error.file, error.message) == (name, "use a .csv or .xlsx file")


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    error = only_problem(tmp_path / "nowhere.csv")
    assert error.message == "there is no such file"


def test_a_damaged_xlsx_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "actuals.xlsx"
    path.write_bytes(b"PK not really a workbook")
    assert only_problem(path).message.startswith("cannot be opened as a workbook")


def test_a_csv_that_is_not_text_is_refused_not_a_crash(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "actuals.csv", [["SE1.1", "2025-26 Q1", "45.5", "ok"]])
    path.write_bytes(path.read_bytes().replace(b"ok", b"\x81\x8d"))
    error = only_problem(path)
    assert (error.file, error.where) == ("actuals.csv", None)
    assert "UTF-8" in error.message


def test_a_semicolon_csv_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    path = tmp_path / "actuals.csv"
    path.write_text(
        'ref;period;value;commentary\nSE1.1;2025-26 Q1;45.5;"Good; better"\n',
        encoding="utf-8-sig",
    )
    [actual] = parse(path)
    assert (actual.ref, actual.value, actual.commentary) == (
        "SE1.1",
        Decimal("45.5"),
        "Good; better",
    )


# -- importing into the database (SQLite and PostgreSQL) --------------------------------------

COUNTED: list[type[SQLModel]] = [Submission, Review, PeriodValue, AuditEvent]


@pytest.fixture
def loaded(engine: Engine) -> Engine:
    """The example register, imported."""
    services.import_register(engine, EXAMPLES / "register.yaml", actor=IMPORTER, now=NOW)
    return engine


def import_actuals(engine: Engine, path: Path, actor: str = IMPORTER) -> services.ActualsReport:
    return services.import_actuals(engine, path, actor=actor, now=NOW, today=TODAY)


def counts(engine: Engine) -> dict[str, int]:
    with read_session(engine) as session:
        return {
            model.__name__: session.exec(select(func.count()).select_from(model)).one()
            for model in COUNTED
        }


def events_after(engine: Engine, seq: int) -> list[AuditEvent]:
    with read_session(engine) as session:
        query = select(AuditEvent).where(AuditEvent.seq > seq).order_by(col(AuditEvent.seq))
        return list(session.exec(query))


def last_seq(engine: Engine) -> int:
    with read_session(engine) as session:
        return session.exec(select(func.max(AuditEvent.seq))).one() or 0


def versions(engine: Engine, ref: str, period: str) -> list[Submission]:
    with read_session(engine) as session:
        measure = session.exec(select(Measure).where(Measure.ref == ref)).one()
        query = (
            select(Submission)
            .where(Submission.measure_id == measure.id, Submission.period == period)
            .order_by(col(Submission.version))
        )
        return list(session.exec(query))


def period_value(engine: Engine, ref: str, period: str) -> PeriodValue:
    with read_session(engine) as session:
        measure = session.exec(select(Measure).where(Measure.ref == ref)).one()
        query = select(PeriodValue).where(
            PeriodValue.measure_id == measure.id, PeriodValue.period == period
        )
        return session.exec(query).one()


ROWS = [
    ["SE1.1", "2025-26 Q1", "45.5", "Ahead of profile"],
    ["SE2.2", "2025-07", "118", "Summer peak"],
    ["TC1.3", "2025-26 Q1", "301500", ""],
]


def test_values_are_stored_as_approved_with_an_audit_event_naming_the_importer(
    loaded: Engine, tmp_path: Path
) -> None:
    seq = last_seq(loaded)
    report = import_actuals(loaded, write_csv(tmp_path / "actuals.csv", ROWS))
    assert (report.stored, report.replaced, report.unchanged) == (3, 0, 0)
    [submission] = versions(loaded, "SE1.1", "2025-26 Q1")
    assert (submission.version, submission.value, submission.overview) == (
        1,
        Decimal("45.5"),
        "Ahead of profile",
    )
    assert (submission.source, submission.submitted_by, submission.late) == (
        "import",
        IMPORTER,
        False,
    )
    stored = period_value(loaded, "SE1.1", "2025-26 Q1")
    assert (stored.state, stored.approved_value) == ("approved", Decimal("45.5"))
    assert stored.approved_submission_id == stored.latest_submission_id == submission.id
    with read_session(loaded) as session:
        review = session.exec(select(Review).where(Review.submission_id == submission.id)).one()
    assert (review.decision, review.decided_by) == ("approved", IMPORTER)
    events = events_after(loaded, seq)
    assert [(e.action, e.entity_key, e.actor) for e in events] == [
        ("value.import", "SE1.1 2025-26 Q1", IMPORTER),
        ("value.import", "SE2.2 2025-07", IMPORTER),
        ("value.import", "TC1.3 2025-26 Q1", IMPORTER),
        ("actuals.import", "actuals.csv", IMPORTER),
    ]
    assert events[0].before is None
    assert events[0].after == {
        "value": "45.5",
        "commentary": "Ahead of profile",
        "state": "approved",
        "on_behalf_of": True,  # an admin importing a collector's figures
    }
    assert submission.on_behalf_of
    assert events[-1].after == {"stored": 3, "replaced": 0, "unchanged": 0}
    assert audit.verify(loaded).ok


def test_importing_the_same_file_twice_changes_nothing_the_second_time(
    loaded: Engine, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "actuals.csv", ROWS)
    import_actuals(loaded, path)
    before, seq = counts(loaded), last_seq(loaded)
    report = import_actuals(loaded, path)
    assert (report.stored, report.replaced, report.unchanged) == (0, 0, 3)
    assert counts(loaded) == {**before, "AuditEvent": before["AuditEvent"] + 1}
    [summary] = events_after(loaded, seq)
    assert (summary.action, summary.actor) == ("actuals.import", IMPORTER)
    assert summary.after == {"stored": 0, "replaced": 0, "unchanged": 3}


def test_a_changed_value_becomes_version_2_with_before_and_after(
    loaded: Engine, tmp_path: Path
) -> None:
    import_actuals(loaded, write_csv(tmp_path / "actuals.csv", ROWS))
    seq = last_seq(loaded)
    changed = [["SE1.1", "2025-26 Q1", "47.5", "Corrected invoice"], *ROWS[1:]]
    report = import_actuals(loaded, write_csv(tmp_path / "corrected.csv", changed))
    assert (report.stored, report.replaced, report.unchanged) == (0, 1, 2)
    first, second = versions(loaded, "SE1.1", "2025-26 Q1")
    assert (first.version, first.value) == (1, Decimal("45.5"))
    assert (second.version, second.value, second.overview) == (
        2,
        Decimal("47.5"),
        "Corrected invoice",
    )
    stored = period_value(loaded, "SE1.1", "2025-26 Q1")
    assert (stored.approved_value, stored.approved_submission_id) == (Decimal("47.5"), second.id)
    [event, summary] = events_after(loaded, seq)
    assert (event.action, event.entity_key) == ("value.import", "SE1.1 2025-26 Q1")
    assert event.before == {"value": "45.5", "state": "approved", "commentary": "Ahead of profile"}
    assert event.after == {
        "value": "47.5",
        "commentary": "Corrected invoice",
        "state": "approved",
        "on_behalf_of": True,
    }
    assert summary.after == {"stored": 0, "replaced": 1, "unchanged": 2}


def test_a_file_with_a_problem_stores_nothing(loaded: Engine, tmp_path: Path) -> None:
    import_actuals(loaded, write_csv(tmp_path / "actuals.csv", ROWS[:1]))
    before = counts(loaded)
    bad = [
        ["SE1.1", "2025-26 Q1", "47.5", "A correction"],
        *ROWS[1:],
        ["SE1.1", "2025-26 Q2", "101"],
    ]
    with pytest.raises(InputRejected) as caught:
        import_actuals(loaded, write_csv(tmp_path / "bad.csv", bad))
    assert [(e.where, e.field) for e in caught.value.errors] == [("row 5", "value")]
    assert counts(loaded) == before
    assert period_value(loaded, "SE1.1", "2025-26 Q1").approved_value == Decimal("45.5")


def test_a_failure_while_writing_stores_nothing(
    loaded: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = counts(loaded)

    def failing(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(audit, "record_columns", failing)  # after every value is written
    with pytest.raises(RuntimeError):
        import_actuals(loaded, write_csv(tmp_path / "actuals.csv", ROWS))
    assert counts(loaded) == before


def test_actuals_before_any_register_are_refused(engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(InputRejected) as caught:
        import_actuals(engine, write_csv(tmp_path / "actuals.csv", ROWS))
    [error] = caught.value.errors
    assert "import the register first" in error.message
    assert set(counts(engine).values()) == {0}


def test_the_example_actuals_import_and_reimport(loaded: Engine) -> None:
    report = import_actuals(loaded, EXAMPLES / "actuals.csv")
    # 182 measures' figures and 8 quarterly reports on the two example projects
    assert (report.stored, report.replaced, report.unchanged) == (190, 0, 0)
    report = import_actuals(loaded, EXAMPLES / "actuals.csv")
    assert (report.stored, report.replaced, report.unchanged) == (0, 0, 190)


# -- through the real command line ------------------------------------------------------------


def test_cli_import_of_bad_actuals_exits_1_and_stores_nothing(cli: Cli, tmp_path: Path) -> None:
    assert cli("import", "register", str(EXAMPLES / "register.yaml")).code == 0
    bad = write_csv(tmp_path / "bad.csv", [*ROWS, ["SE1.7", "2025-26 Q1", "4"]])
    result = cli("import", "actuals", str(bad), "--today", TODAY.isoformat(), "--by", IMPORTER)
    assert result.code == 1
    assert "The actuals file was not imported: 1 problem to fix. Nothing was changed." in result.err
    assert "bad.csv, row 5, ref: there is no measure 'SE1.7'; did you mean SE1." in result.err
    assert "Traceback" not in result.err
    good = write_csv(tmp_path / "good.csv", ROWS)
    result = cli("import", "actuals", str(good), "--today", TODAY.isoformat(), "--by", IMPORTER)
    assert result.code == 0, result.err
    assert "3 values stored, 0 replaced with a new version, 0 unchanged" in result.out


# -- actions to improve, tracked from imported history (issue 14) ------------------------------


ACTIONS_HEADER = [*HEADER, "actions"]


def tracked(engine: Engine) -> list[tuple[str, str, str, str, str, str, str | None]]:
    from storage.models import ActionItem, Person

    with read_session(engine) as session:
        rows = session.exec(
            select(ActionItem, Measure.ref, Person.email)
            .join(Measure, col(Measure.id) == col(ActionItem.measure_id))
            .join(Person, col(Person.id) == col(ActionItem.owner_id))
            .order_by(col(ActionItem.id))
        ).all()
        return [
            (ref, item.period, item.text, email, item.due.isoformat(), item.progress, item.note)
            for item, ref, email in rows
        ]


def test_imported_actions_are_tracked_with_owner_due_date_and_progress(
    loaded: Engine, tmp_path: Path
) -> None:
    actions = (
        "Chase statutory consultees at 14 days | chris.walker@example.gov.uk | 2026-07-31 "
        "| on track\n"
        "- Agree Section 106 templates | David Okafor | 30/09/2026\n"
        "Pay for a temporary planner | | 2026-03-31 | dropped: a vacancy was filled instead\n"
        "Review the validation checklist"
    )
    path = write_csv(
        tmp_path / "actuals.csv",
        [["DE2.3", "2025-26 Q4", "64", "Four late decisions", actions]],
        ACTIONS_HEADER,
    )
    import_actuals(loaded, path)
    assert tracked(loaded) == [
        ("DE2.3", "2025-26 Q4", "Chase statutory consultees at 14 days",
         "chris.walker@example.gov.uk", "2026-07-31", "on_track", None),
        ("DE2.3", "2025-26 Q4", "Agree Section 106 templates",
         "hos.planning@example.gov.uk", "2026-09-30", "not_started", None),
        ("DE2.3", "2025-26 Q4", "Pay for a temporary planner",
         "chris.walker@example.gov.uk", "2026-03-31", "dropped", "a vacancy was filled instead"),
        # A line without "|" is read as the chat form reads it: the collector's, due at the
        # end of the next quarter.
        ("DE2.3", "2025-26 Q4", "Review the validation checklist",
         "chris.walker@example.gov.uk", "2026-06-30", "not_started", None),
    ]  # fmt: skip
    # The exception report keeps the actions in words, people by name, never by e-mail.
    [version] = versions(loaded, "DE2.3", "2025-26 Q4")
    assert version.actions == (
        "Chase statutory consultees at 14 days (owner: Chris Walker, due 31 Jul 2026; on track)\n"
        "Agree Section 106 templates (owner: David Okafor, due 30 Sep 2026)\n"
        "Pay for a temporary planner (due 31 Mar 2026; dropped: a vacancy was filled instead)\n"
        "Review the validation checklist"
    )
    # Importing the same file again changes nothing: no second set of actions.
    import_actuals(loaded, path)
    assert len(tracked(loaded)) == 4


def test_bad_actions_are_located_and_nothing_is_stored(loaded: Engine, tmp_path: Path) -> None:
    before = counts(loaded)
    path = write_csv(
        tmp_path / "actuals.csv",
        [
            ["SE1.1", "2025-26 Q1", "45.5", "Ahead", "Fine | jane.doe@example.gov.uk"],
            [
                "DE2.3",
                "2025-26 Q4",
                "64",
                "Late",
                "Chase | nobody@example.gov.uk | 31 Jul | nearly\nDrop it | | | dropped",
            ],
            ["SE1.2", "2025-26 Q4", "47.5", "", "a | b | c | d | e"],
        ],
        ACTIONS_HEADER,
    )
    with pytest.raises(InputRejected) as caught:
        import_actuals(loaded, path)
    found = [(e.where, e.field, e.message) for e in caught.value.errors]
    assert found == [
        ("row 3", "actions", "action 1: the owner 'nobody@example.gov.uk' is not a person in "
         "the register: give their e-mail as the register has it"),
        ("row 3", "actions", "action 1: the due date '31 Jul' is not a full date: write it as "
         "2026-03-31 (or 31/03/2026)"),
        ("row 3", "actions", "action 1: the progress 'nearly' is not one the framework knows: "
         "write not started, on track, at risk, done, or 'dropped: the reason'"),
        ("row 3", "actions", "action 2: a dropped action needs its reason: write "
         "'dropped: the reason'"),
        ("row 4", "actions", "'a | b | c | d | e' has 5 parts; " + actions_hint()),
    ]  # fmt: skip
    assert counts(loaded) == before and tracked(loaded) == []


def actions_hint() -> str:
    from bot.actions import FORMAT_HINT

    assert "what will be done | owner's e-mail | due date | progress" in FORMAT_HINT
    return FORMAT_HINT


def test_the_example_actuals_track_actions_on_their_reds(loaded: Engine) -> None:
    import_actuals(loaded, EXAMPLES / "actuals.csv")
    found = tracked(loaded)
    assert {(ref, period) for ref, period, *_ in found} >= {
        ("DE2.3", "2025-26 Q4"),
        ("SC1.2", "2025-26 Q4"),
        ("TC2.2", "2025-26 H2"),
        ("SC1.1", "2025-12"),
    }
    assert {progress for *_, progress, _ in found} == {
        "not_started", "on_track", "at_risk", "done", "dropped",
    }  # fmt: skip
    # None is overdue when the sandbox opens (1 July 2026): the first thing seen is a reminder.
    assert all(due >= "2026-07-01" for *_, due, progress, _ in found if progress in
               ("not_started", "on_track", "at_risk"))  # fmt: skip
