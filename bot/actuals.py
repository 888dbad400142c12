"""Historical and bulk values ("actuals") from CSV or XLSX (PRODUCT §3).

Columns `ref, period, value, commentary`. Every row is checked against its measure exactly as a
submission would be; any problem rejects the whole file, with every problem located.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from bot.errors import InputRejected, LocatedError
from bot.measures import MeasureInfo, ValueProblem, check_value
from bot.periods import Period, PeriodError
from bot.register import check_file, read_csv_rows, read_xlsx_rows

COLUMNS = ("ref", "period", "value", "commentary")
_KIND_EXAMPLE = {
    "month": "a month such as 2025-07",
    "quarter": "a quarter such as 2025-26 Q1",
    "half": "a half-year such as 2025-26 H1",
    "year": "a year such as 2025-26",
}


@dataclass(frozen=True)
class Actual:
    ref: str
    period: Period
    value: Decimal
    commentary: str
    where: str  # "row 7"


def read_rows(path: Path) -> tuple[str, list[list[Any]]]:
    """The file's rows and the prefix for locations ("" or "sheet actuals, "). Size-capped
    like a register file."""
    what = "actuals file"
    check_file(path, what)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "", [list(row) for row in read_csv_rows(path, what)]
    if suffix == ".xlsx":
        title, rows = read_xlsx_rows(path, ("actuals", "values"), what)
        return f"sheet {title}, ", rows
    raise InputRejected([LocatedError(path.name, None, None, "use a .csv or .xlsx file")], what)


def parse_actuals(path: Path, measures: Mapping[str, MeasureInfo], today: date) -> list[Actual]:
    """Read and check an actuals file; raise `InputRejected` listing every problem."""
    prefix, rows = read_rows(path)
    file = path.name
    errors: list[LocatedError] = []

    def problem(where: str | None, field: str | None, message: str) -> None:
        errors.append(LocatedError(file, where, field, message))

    if not rows:
        raise InputRejected([LocatedError(file, None, None, "the file is empty")], "actuals file")
    header = [str(cell or "").strip().lower() for cell in rows[0]]
    missing = [name for name in COLUMNS[:3] if name not in header]
    if missing:
        problem(
            f"{prefix}row 1",
            None,
            f"the header must name the columns {', '.join(COLUMNS)}; missing: {', '.join(missing)}",
        )
        raise InputRejected(errors, "actuals file")
    column = {name: header.index(name) for name in COLUMNS if name in header}
    seen: dict[tuple[str, Period], str] = {}
    found: list[Actual] = []
    for number, row in enumerate(rows[1:], start=2):
        cells = {name: _cell(row, index) for name, index in column.items()}
        if not any(cells.values()):
            continue
        where = f"{prefix}row {number}"
        if not cells["ref"]:
            problem(where, "ref", "is empty: give the measure's ref, such as SE1.2")
            continue
        ref = cells["ref"].upper()
        measure = measures.get(ref)
        if measure is None:
            close = difflib.get_close_matches(ref, list(measures), n=3, cutoff=0.6)
            hint = f"; did you mean {' or '.join(close)}?" if close else "; check the register"
            problem(where, "ref", f"there is no measure '{cells['ref']}'{hint}")
            continue
        try:
            period = Period.parse(cells["period"])
        except PeriodError as error:
            problem(where, "period", str(error))
            continue
        if period.kind is not measure.interval.kind:
            problem(
                where,
                "period",
                f"{ref} is collected {measure.interval.value}, so the "
                f"period must be {_KIND_EXAMPLE[measure.interval.kind.value]}, "
                f"not {period}",
            )
            continue
        if period.end >= today:
            problem(
                where,
                "period",
                f"{period} has not ended yet (it ends "
                f"{period.end:%d %b %Y}); only finished periods can have actuals",
            )
            continue
        try:
            value = check_value(cells["value"], format=measure.format, decimals=measure.decimals)
        except ValueProblem as error:
            problem(where, "value", str(error))
            continue
        key = (ref, period)
        if key in seen:
            problem(where, None, f"{ref} {period} is already given at {seen[key]}; keep one row")
            continue
        seen[key] = where
        found.append(Actual(ref, period, value, cells.get("commentary", ""), where))
    if errors:
        raise InputRejected(errors, "actuals file")
    if not found:
        raise InputRejected(
            [LocatedError(file, None, None, "the file has no values in it")], "actuals file"
        )
    return found


def _cell(row: list[Any], index: int) -> str:
    if index >= len(row) or row[index] is None:
        return ""
    value = row[index]
    if isinstance(value, float):
        value = repr(value) if not value.is_integer() else int(value)
    if isinstance(value, date):
        # Spreadsheets turn "2025-07" into a date; a month label is what was meant.
        return f"{value.year:04d}-{value.month:02d}"
    return str(value).strip()
