"""Hostile or damaged register and actuals files get a clear, located "no" and cost little
(issue 9, item 8): YAML aliases and anchors, deep nesting, files too large, workbooks that
unpack to far more than they weigh, UTF-16 text, and a file that would retire every measure."""

from __future__ import annotations

import json
import re
import time
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import Engine

from bot import register, services
from bot.errors import InputRejected, LocatedError
from bot.register import load_register
from tests.conftest import EXAMPLES, Cli
from tests.test_register import (
    CSV_COLUMNS,
    CSV_ROWS,
    NOW,
    counts,
    import_file,
    line_of,
    measure,
    register_yaml,
    stored_measure,
    two_measures,
    write,
    write_csv,
    write_xlsx,
    xlsx_rows,
)

BILLION_LAUGHS = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def refused(path: Path) -> LocatedError:
    with pytest.raises(InputRejected) as caught:
        load_register(path)
    assert len(caught.value.errors) == 1, caught.value.errors
    return caught.value.errors[0]


# -- YAML -------------------------------------------------------------------------------------


def test_a_billion_laughs_register_is_refused_at_once(tmp_path: Path) -> None:
    path = write(tmp_path, BILLION_LAUGHS, "laughs.yaml")
    assert path.stat().st_size < 400
    began = time.perf_counter()
    error = refused(path)
    assert time.perf_counter() - began < 10  # the defect took 72 s; a loaded CI machine needs room
    assert (error.file, error.where) == ("laughs.yaml", "line 1")
    assert error.message.startswith("'&a' names part of the file for repeating (a YAML anchor)")
    assert "write values in full" in error.message


def test_an_alias_is_refused_where_it_is(tmp_path: Path) -> None:
    """An alias whose anchor is not in the file (so the anchor check cannot catch it first)."""
    text = register_yaml(measure(), measure(ref="SE1.2", title="*undefined"))
    text = text.replace("title: *undefined", "title: *shared")
    error = refused(write(tmp_path, text))
    assert error.where == f"line {line_of(text, 'title: *shared')}"
    assert error.message.startswith("'*shared' repeats another part of the file (a YAML alias)")


def test_an_anchor_inside_a_measure_is_refused_with_its_line(tmp_path: Path) -> None:
    text = register_yaml(measure(targets="&t {2025-26: 30}"), measure(ref="SE1.2", targets="*t"))
    error = refused(write(tmp_path, text))
    assert error.where == f"line {line_of(text, '&t')}"
    assert "'&t'" in error.message and "anchor" in error.message


def test_deep_nesting_is_refused_without_a_recursion_error(tmp_path: Path) -> None:
    for text in (
        "council: " + "[" * 5000 + "]" * 5000,
        "x:\n" + "".join(f"{'  ' * depth}- \n" for depth in range(1, 200)),
    ):
        error = refused(write(tmp_path, text, "deep.yaml"))
        assert error.file == "deep.yaml" and error.where and error.where.startswith("line ")
        assert "deep" in error.message or "not valid YAML" in error.message


def test_control_characters_and_huge_numbers_are_located_errors(tmp_path: Path) -> None:
    text = register_yaml(
        measure(title='"Waste\\0 recycled"', targets="{2025-26: 1e30, 2026-27: 0.00000000001}")
    )
    with pytest.raises(InputRejected) as caught:
        load_register(write(tmp_path, text))
    found = {(error.where, error.field): error.message for error in caught.value.errors}
    title_line = f"line {line_of(text, 'Waste')}"
    assert found[(title_line, "measure SE1.1, title")] == (
        "holds an invisible control character (U+0000) at character 6: retype the text there"
    )
    targets = {field: message for (_, field), message in found.items() if "targets" in str(field)}
    assert "at most 20 digits before the decimal point" in targets["measure SE1.1, targets.2025-26"]
    assert "more than 10 decimal places" in targets["measure SE1.1, targets.2026-27"]


def test_an_unprintable_character_in_yaml_is_located(tmp_path: Path) -> None:
    text = register_yaml().replace("Tackle climate change", "Tackle \x07 climate change")
    error = refused(write(tmp_path, text))
    assert error.where == f"line {line_of(text, 'Tackle')}"
    assert error.message == (
        "not valid YAML: the invisible character U+0007 is not allowed; delete it or retype the "
        "text around it"
    )


def test_a_utf16_yaml_register_is_refused_with_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "register.yaml"
    path.write_bytes(register_yaml().encode("utf-16"))
    error = refused(path)
    assert (error.where, error.message) == (
        None,
        "is UTF-16 text, which pmf-bot does not read: save it as UTF-8",
    )


# -- size caps --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["register.yaml", "register.csv", "register.xlsx"])
def test_a_register_file_over_10_mb_is_refused_unread(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    with path.open("wb") as handle:
        handle.truncate(register.MAX_FILE_BYTES + 1)  # sparse: nothing is really written
    error = refused(path)
    assert (error.file, error.where) == (name, None)
    assert error.message == (
        "is 10.0 MB, more than the 10 MB a register may be: check it is the right file, or split it"
    )


def test_an_actuals_file_over_10_mb_is_refused_unread(engine: Engine, tmp_path: Path) -> None:
    services.import_register(engine, EXAMPLES / "register.yaml", actor="t", now=NOW)
    before = counts(engine)
    path = tmp_path / "actuals.csv"
    with path.open("wb") as handle:
        handle.truncate(register.MAX_FILE_BYTES + 1)
    with pytest.raises(InputRejected) as caught:
        services.import_actuals(engine, path, actor="t", now=NOW, today=NOW.date())
    assert caught.value.what == "actuals file"
    assert "is 10.0 MB, more than the 10 MB an actuals file may be" in caught.value.summary()
    assert counts(engine) == before


def test_a_workbook_that_unpacks_to_far_more_than_it_weighs_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "register.xlsx"
    chunk = b" " * (1024 * 1024)
    with (
        zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive,
        archive.open("xl/worksheets/sheet1.xml", "w") as member,
    ):
        for _ in range(register.MAX_UNPACKED_BYTES // len(chunk) + 1):
            member.write(chunk)
    assert path.stat().st_size < 1024 * 1024
    began = time.perf_counter()
    error = refused(path)
    assert time.perf_counter() - began < 10  # loaded machines; the defect: GBs
    assert (
        error.message
        == "unpacks to 101 MB, far more than a register needs: check it is the right file"
    )


def test_a_sheet_claiming_a_million_rows_costs_little(tmp_path: Path) -> None:
    """openpyxl pads every row missing before a row it reads, each to the sheet's declared
    width: one empty cell at XFD1048576 and a declared size of A1:XFD1048576 would become a
    million rows of 16,384 cells (a few hundred bytes unpacking to gigabytes in memory)."""
    path = write_xlsx(tmp_path / "register.xlsx", xlsx_rows(CSV_ROWS))
    inflated = tmp_path / "inflated.xlsx"
    far = b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t></t></is></c></row>'
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(inflated, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet2.xml":
                data = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', data)
                data = data.replace(b"</sheetData>", far + b"</sheetData>")
            target.writestr(item, data)
    assert inflated.stat().st_size < 10_000
    began = time.perf_counter()
    spec = load_register(inflated)
    assert time.perf_counter() - began < 60  # loaded machines; the defect: 1M rows
    assert [m.ref for _, _, m in spec.measures()] == ["SE1.1", "SE1.2", "DE2.1"]


def test_a_sheet_with_data_past_the_row_cap_is_refused(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "measures"
    sheet.append(list(CSV_COLUMNS))
    sheet.cell(row=register.MAX_ROWS + 5, column=1, value="SE")
    path = tmp_path / "register.xlsx"
    workbook.save(path)
    error = refused(path)
    assert error.where == f"sheet measures, row {register.MAX_ROWS + 5}"
    assert error.message == "has more than 100,000 rows, more than a register may have: split it"


def test_a_csv_past_the_row_cap_is_refused_at_the_first_row_too_many(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(register, "MAX_ROWS", 5)
    path = tmp_path / "register.csv"
    path.write_text("\n".join(["a,b", *[f"{n},x" for n in range(5)]]) + "\n", encoding="utf-8")
    with pytest.raises(InputRejected) as caught:
        register.read_csv_rows(path)
    assert caught.value.errors[0].where == "row 6"
    assert "has more than 5 rows" in caught.value.errors[0].message
    path.write_text("\n".join(["a,b", *[f"{n},x" for n in range(4)]]) + "\n", encoding="utf-8")
    assert len(register.read_csv_rows(path)) == 5


def test_a_sheet_wider_than_the_column_cap_is_refused(tmp_path: Path) -> None:
    rows = xlsx_rows(CSV_ROWS)
    rows[0] = [*rows[0], *[f"extra{n}" for n in range(register.MAX_COLUMNS)]]
    error = refused(write_xlsx(tmp_path / "register.xlsx", rows))
    assert error.where == "sheet measures, row 1"
    assert error.message == "has more than 200 columns, more than a register may have"


# -- encodings ----------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-32"])
def test_a_utf16_csv_register_gets_a_clear_encoding_error(tmp_path: Path, encoding: str) -> None:
    path = write_csv(tmp_path / "register.csv", CSV_ROWS, encoding=encoding, delimiter="\t")
    error = refused(path)
    assert (error.file, error.where) == ("register.csv", None)
    wide = "UTF-32" if encoding == "utf-32" else "UTF-16"
    assert error.message == (
        f"is {wide} text, which pmf-bot does not read: save it as 'CSV UTF-8 (Comma delimited)'"
    )


def test_a_utf8_csv_with_a_byte_order_mark_still_loads(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "register.csv", CSV_ROWS, encoding="utf-8-sig")
    assert len(list(load_register(path).measures())) == 3


def test_a_utf16_actuals_file_gets_a_clear_encoding_error(engine: Engine, tmp_path: Path) -> None:
    services.import_register(engine, EXAMPLES / "register.yaml", actor="t", now=NOW)
    before = counts(engine)
    path = tmp_path / "actuals.csv"
    path.write_text("ref,period,value,commentary\nSE1.1,2025-26 Q1,20,ok\n", encoding="utf-16")
    with pytest.raises(InputRejected) as caught:
        services.import_actuals(engine, path, actor="t", now=NOW, today=NOW.date())
    [error] = caught.value.errors
    assert error.message.startswith("is UTF-16 text, which pmf-bot does not read")
    assert counts(engine) == before


def test_a_csv_field_larger_than_the_csv_reader_takes_is_a_located_error(tmp_path: Path) -> None:
    path = tmp_path / "register.csv"
    path.write_text(",".join(CSV_COLUMNS) + '\nSE,x,SE1,x,"' + "a" * 200_000 + '"\n')
    error = refused(path)
    assert (error.file, error.where) == ("register.csv", "row 2")
    assert error.message.startswith("cannot be read as CSV (field larger than field limit")


# -- a file that would retire measures --------------------------------------------------------


def test_a_header_only_register_does_not_retire_every_measure(
    engine: Engine, tmp_path: Path
) -> None:
    import_file(engine, write(tmp_path, two_measures()))
    before = counts(engine)
    header_only = tmp_path / "header.csv"
    header_only.write_text(",".join(CSV_COLUMNS) + "\n", encoding="utf-8")
    with pytest.raises(InputRejected) as caught:
        import_file(engine, header_only)
    [error] = caught.value.errors
    assert (error.file, error.where) == ("header.csv", None)
    assert error.message.startswith(
        "the file lists no measures, so importing it would retire all 2 measures in the "
        "database. If they should no longer be reported, import it again with --retire-missing"
    )
    assert counts(engine) == before
    with pytest.raises(InputRejected):  # a dry run reports what the import would do
        import_file(engine, header_only, dry_run=True)
    report = import_file(engine, header_only, retire_missing=True)
    assert report.retired == ["SE1.1", "SE1.2"]
    assert not stored_measure(engine, "SE1.1").active


def test_a_register_leaving_measures_out_needs_retire_missing(
    engine: Engine, tmp_path: Path
) -> None:
    import_file(engine, write(tmp_path, two_measures()))
    before = counts(engine)
    one = write(tmp_path, register_yaml(measure(title="A new title")), "one.yaml")
    with pytest.raises(InputRejected) as caught:
        import_file(engine, one)
    [error] = caught.value.errors
    assert error.message.startswith("1 measure is in the database but not in this file (SE1.2).")
    assert counts(engine) == before
    assert stored_measure(engine, "SE1.1").title != "A new title"
    assert import_file(engine, one, retire_missing=True).retired == ["SE1.2"]


def test_cli_refuses_a_header_only_register_unless_told_to_retire(cli: Cli, tmp_path: Path) -> None:
    assert cli("import", "register", str(EXAMPLES / "register.yaml")).code == 0
    header_only = tmp_path / "header.csv"
    header_only.write_text("priority,aim,ref\n", encoding="utf-8")
    result = cli("import", "register", str(header_only))
    assert result.code == 1
    assert result.err.startswith("The register was not imported: 1 problem to fix.")
    assert "would retire all 22 measures" in result.err and "--retire-missing" in result.err
    assert "Traceback" not in result.err
    status = cli("status", "--json", "--today", "2026-05-01")
    assert status.code == 0 and len(json.loads(status.out)) == 24  # nothing was retired
    result = cli("import", "register", str(header_only), "--retire-missing")
    assert result.code == 0, result.err
    assert "22 retired" in result.out
    # A CSV register holds measures only: the YAML register's projects are not retired.
    left = cli("status", "--json", "--today", "2026-05-01")
    assert [row["ref"] for row in json.loads(left.out)] == ["SE1.P1", "SC1.P1"]


def test_cli_refuses_a_utf16_register_without_a_traceback(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "register.csv"
    path.write_text("priority,aim,ref\nSE,SE1,SE1.1\n", encoding="utf-16")
    result = cli("import", "register", str(path))
    assert result.code == 1
    assert "register.csv: is UTF-16 text, which pmf-bot does not read: save it as 'CSV UTF-8" in (
        result.err
    )
    assert "Traceback" not in result.err
    laughs = write(tmp_path, BILLION_LAUGHS, "laughs.yaml")
    result = cli("import", "register", str(laughs))
    assert result.code == 1 and "laughs.yaml, line 1: '&a'" in result.err


NOW_SAFE = datetime.fromisoformat("2026-05-01T09:00:00+01:00")


def _with_council(line: str) -> str:
    """The example register with its `council:` line replaced by `line`."""
    text = (EXAMPLES / "register.yaml").read_text(encoding="utf-8")
    return re.sub(r"(?m)^council:.*$", lambda _: line, text, count=1)


def test_a_council_name_given_as_fields_is_a_located_error_and_writes_nothing(
    engine: Engine, tmp_path: Path
) -> None:
    """Found by the fuzz test on PostgreSQL: a mapping under `council:` was read as its text
    (str of a dict) and overflowed the audit trail's key column."""
    path = tmp_path / "register.yaml"
    path.write_text(_with_council("council:\n  name: x\n  admins: null"), encoding="utf-8")
    with pytest.raises(InputRejected) as rejected:
        services.import_register(engine, path, actor="t", now=NOW_SAFE)
    problems = rejected.value.errors
    assert any("council" in (e.field or "") and "must be text" in e.message for e in problems)


def test_a_long_council_name_is_audited_within_the_key_column(
    engine: Engine, tmp_path: Path
) -> None:
    long_name = ("The Borough Council of " + "Somewhere " * 17).strip()  # 192 characters
    path = tmp_path / "register.yaml"
    path.write_text(_with_council(f"council: {long_name}"), encoding="utf-8")
    services.import_register(engine, path, actor="t", now=NOW_SAFE)  # no DataError on PostgreSQL
