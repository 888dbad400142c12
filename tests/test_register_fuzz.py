"""Malformed register files thrown at the real import (issue 9, "Done when"): YAML of random
shapes and wrong types, with anchors and aliases, deep nesting, huge numbers, odd unicode and
tabs; CSV and XLSX with random headers and cells in assorted encodings; and plain junk.

Whatever comes in, the import either succeeds or raises `InputRejected` whose every error is
located in the file — never another exception — and a rejected file writes nothing. A handful
go through the real `pmf-bot import register`, which must never print a traceback.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from sqlalchemy import Engine, func, select
from sqlmodel import SQLModel

from bot import services
from bot.errors import InputRejected
from bot.register import MeasureSpec
from tests.conftest import Cli
from tests.test_register import ACTOR, CSV_COLUMNS, CSV_ROWS, NOW, measure, register_yaml

FIELDS = sorted(
    {*MeasureSpec.model_fields, *CSV_COLUMNS}
    | {"council", "calendar", "people", "admins", "channels", "priorities", "aims", "measures"}
    | {"code", "name", "email", "manager", "region", "closure_days", "reminders", "before"}
)
ODD = [
    "",
    " ",
    "\t",
    "\u202e",  # right-to-left override
    "\ufeff",
    "\u0085",
    "\u2028",
    "\x00",
    "\x1b[31m",
    "💥",
    "Ω≈ç√",
    "ﷺ",
    "<!channel>",
    '=HYPERLINK("http://x")',
    "9" * 5000,
    "1e999999",
    "-0",
    "NaN",
    "2025-02-30",
    "2025-26 Q5",
    "E&DS",
    "a@b",
    "jane.doe@example.gov.uk",
    "SE1.1",
]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**25, max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(ODD),
    st.dates(),
)
keys = st.one_of(st.sampled_from(FIELDS), st.text(max_size=8), st.integers(0, 3))
structures = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=5)
    ),
    max_leaves=25,
)


def _dump(data: Any) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)


BASE = yaml.safe_load(
    register_yaml(measure(), measure(ref="SE1.2", title="Household waste recycled"))
)


@st.composite
def register_like(draw: st.DrawFn) -> str:
    """A sound register with a few fields replaced, dropped or added at random."""
    document = yaml.safe_load(_dump(BASE))
    places: list[Callable[[Any], Any]] = [
        lambda d: d,
        lambda d: d["priorities"][0],
        lambda d: d["priorities"][0]["aims"][0],
        lambda d: d["priorities"][0]["aims"][0]["measures"][0],
        lambda d: d["priorities"][0]["aims"][0]["measures"][1],
        lambda d: d["people"][0],
    ]
    for _ in range(draw(st.integers(1, 4))):
        try:
            target = draw(st.sampled_from(places))(document)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change removed it
        if not isinstance(target, dict) or not target:
            continue
        key = draw(st.one_of(st.sampled_from(sorted(target, key=str)), st.sampled_from(FIELDS)))
        action = draw(st.sampled_from(["replace", "drop", "nest"]))
        if action == "drop":
            target.pop(key, None)
        elif action == "replace":
            target[key] = draw(structures)
        else:
            target[key] = {key: [draw(structures)]}
    return _dump(document)


@st.composite
def yaml_mutations(draw: st.DrawFn, text: str) -> str:
    """Anchors, aliases, tabs, odd characters and deep nesting spliced into YAML text."""
    lines = text.splitlines() or [""]
    for _ in range(draw(st.integers(0, 3))):
        index = draw(st.integers(0, len(lines) - 1))
        line = lines[index]
        kind = draw(st.sampled_from(["anchor", "alias", "tab", "odd", "deep", "cut"]))
        if kind == "anchor" and ": " in line:
            lines[index] = line.replace(": ", ": &x ", 1)
        elif kind == "alias" and ": " in line:
            lines[index] = line.split(": ", 1)[0] + ": *x"
        elif kind == "tab":
            lines[index] = "\t" + line
        elif kind == "odd":
            lines[index] = line + draw(st.sampled_from(ODD))
        elif kind == "deep":
            depth = draw(st.integers(20, 3000))
            lines[index] = "deep: " + "[" * depth + "]" * depth
        else:
            lines[index] = line[: draw(st.integers(0, len(line)))]
    return "\n".join(lines) + "\n"


@st.composite
def yaml_files(draw: st.DrawFn) -> tuple[str, bytes]:
    text = draw(st.one_of(register_like(), structures.map(_dump), st.text(max_size=200)))
    if draw(st.booleans()):
        text = draw(yaml_mutations(text))
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "utf-16", "latin-1"]))
    return draw(st.sampled_from(["register.yaml", "register.yml"])), text.encode(
        encoding, errors="replace"
    )


cells = st.one_of(
    st.none(),
    st.text(max_size=20),
    st.sampled_from(ODD),
    st.integers(-(10**30), 10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.dates(),
)
headers = st.lists(st.one_of(st.sampled_from(CSV_COLUMNS), st.text(max_size=10)), max_size=25)


@st.composite
def tables(draw: st.DrawFn) -> list[list[Any]]:
    """Either random headers and rows, or the sound CSV register with cells replaced."""
    if draw(st.booleans()):
        return [draw(headers), *draw(st.lists(st.lists(cells, max_size=25), max_size=5))]
    rows = [list(CSV_COLUMNS)] + [[row.get(name, "") for name in CSV_COLUMNS] for row in CSV_ROWS]
    for _ in range(draw(st.integers(1, 6))):
        row = draw(st.integers(0, len(rows) - 1))
        column = draw(st.integers(0, len(CSV_COLUMNS) - 1))
        rows[row][column] = draw(cells)
    if draw(st.booleans()):
        rows = rows[: draw(st.integers(0, len(rows)))]
    return rows


@st.composite
def csv_files(draw: st.DrawFn) -> tuple[str, bytes]:
    out = io.StringIO()
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    csv.writer(out, delimiter=delimiter).writerows(draw(tables()))
    encoding = draw(
        st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1252", "latin-1"])
    )
    raw = out.getvalue().encode(encoding, errors="replace")
    if draw(st.integers(0, 9)) == 0:
        raw = raw[: draw(st.integers(0, len(raw)))]  # cut mid-character
    return "register.csv", raw


def _xlsx_cell(value: Any) -> Any:
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)[:32_000]
    return value


@st.composite
def xlsx_files(draw: st.DrawFn) -> tuple[str, bytes]:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = draw(st.sampled_from(["measures", "Register", "Sheet1"]))
    for row in draw(tables()):
        sheet.append([_xlsx_cell(value) for value in row])
    out = io.BytesIO()
    workbook.save(out)
    raw = out.getvalue()
    if draw(st.integers(0, 5)) == 0:
        raw = raw[: draw(st.integers(0, len(raw)))]  # a damaged zip
    return "register.xlsx", raw


junk = st.tuples(
    st.sampled_from(["register.yaml", "register.csv", "register.xlsx", "register.txt"]),
    st.binary(max_size=300),
)
files = st.one_of(yaml_files(), yaml_files(), csv_files(), xlsx_files(), junk)


def _row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in SQLModel.metadata.sorted_tables
        }


def _check(engine: Engine, folder: Path, name: str, raw: bytes, retire: bool) -> None:
    path = folder / name
    path.write_bytes(raw)
    before = _row_counts(engine)
    try:
        services.import_register(engine, path, actor=ACTOR, now=NOW, retire_missing=retire)
    except InputRejected as rejected:
        assert rejected.errors, "a rejection names at least one problem"
        for error in rejected.errors:
            assert error.file == name, error
            assert error.message.strip(), error
            assert error.where is None or re.fullmatch(
                r"(sheet .+, )?(line|row) \d+|sheet .+", error.where
            ), error
        assert "Nothing was changed." in rejected.summary()
        assert _row_counts(engine) == before, "a rejected file wrote something"


SEEDS: list[tuple[str, bytes]] = [
    ("register.yaml", b"a: &a [1, 2]\nb: [*a, *a]\n"),
    ("register.yaml", b"? [a, b]\n: 1\n"),
    ("register.yaml", b"council: !!python/object/apply:os.system [echo hi]\n"),
    ("register.yaml", b"--- a\n--- b\n"),
    ("register.yaml", b"council: x\npriorities: !!set {a, b}\n"),
    ("register.yaml", b"council: x\npriorities:\n\t- code: SE\n"),
    ("register.yaml", b"~: 1\n2025-01-01: 2\n1.5: 3\ntrue: 4\n"),
    ("register.yaml", b"council: " + b"9" * 6000 + b"\n"),
    ("register.yaml", register_yaml(measure(decimals="1e400")).encode()),
    ("register.yaml", register_yaml(measure(targets="{2025-26: .inf}")).encode()),
    ("register.csv", ",".join(CSV_COLUMNS).encode("utf-16")),
    ("register.csv", b"priority,aim,ref\n"),
    ("register.csv", b'priority,aim\n"unterminated\n'),
    ("register.xlsx", b"PK\x03\x04 not really a zip"),
]


def _with_seeds(test: Callable[..., None]) -> Callable[..., None]:
    for name, raw in SEEDS:
        test = example(file=(name, raw), retire=False)(test)
    return test


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@_with_seeds
@given(file=files, retire=st.booleans())
def test_malformed_register_files_get_a_located_no_and_write_nothing(
    sqlite_engine: Engine, tmp_path: Path, file: tuple[str, bytes], retire: bool
) -> None:
    _check(sqlite_engine, tmp_path, *file, retire)


@pytest.mark.postgres
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(file=files, retire=st.booleans())
def test_malformed_register_files_write_nothing_on_postgres(
    postgres_engine: Engine, tmp_path: Path, file: tuple[str, bytes], retire: bool
) -> None:
    _check(postgres_engine, tmp_path, *file, retire)


@pytest.fixture
def sqlite_engine(sqlite_url: str) -> Any:
    from storage.engine import make_engine
    from storage.migrate import upgrade

    engine = make_engine(sqlite_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def postgres_engine(postgres_url: str) -> Any:
    from storage.engine import make_engine

    engine = make_engine(postgres_url)
    yield engine
    engine.dispose()


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@example(file=SEEDS[0])
@example(file=SEEDS[10])
@given(file=files)
def test_the_cli_never_prints_a_traceback(
    sqlite_cli: Cli, sqlite_url: str, tmp_path: Path, file: tuple[str, bytes]
) -> None:
    from storage.engine import make_engine

    name, raw = file
    path = tmp_path / name
    path.write_bytes(raw)
    engine = make_engine(sqlite_url)
    before = _row_counts(engine) if (tmp_path / "pmf.db").exists() else None
    result = sqlite_cli("import", "register", str(path))
    assert "Traceback" not in result.out + result.err
    assert result.code in (0, 1), result.err
    if result.code == 1:
        assert result.err.startswith("The register was not imported: "), result.err
        assert "Nothing was changed." in result.err
        if before is not None:
            assert _row_counts(engine) == before
    else:
        assert result.out.startswith(f"Imported {name}:"), result.out
    engine.dispose()


def test_the_strategies_reach_every_kind_of_file() -> None:
    """The fuzzing is only worth what it generates: check each kind can appear."""
    seen: set[str] = set()

    @settings(max_examples=60, deadline=None, database=None)
    @given(file=files)
    def collect(file: tuple[str, bytes]) -> None:
        seen.add(Path(file[0]).suffix)

    collect()
    assert {".csv", ".xlsx"} <= seen and seen & {".yaml", ".yml"}
