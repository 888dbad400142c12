"""The committee paper, written as a workbook or a printable page (issue 10; PRODUCT §8).

Seed 001 §3.7–3.8: progress against every measure is captured in a Performance Board within
three weeks of the quarter's end and reported to the committees. Seed 002 §6.1.8 and
Appendix 1: every under-performing (Red) measure — and Amber too where the council's register
asks for it — needs an exception report with its priority, aim, definition, baseline,
benchmarking, out turn against target, the quarterly overview and the actions to improve
performance. People are named, never shown by e-mail.

Two forms of one `Paper` (bot.paper): an Excel workbook (`board_workbook`: a cover with the
key, every measure with figures as numbers in the measure's own format, a data sheet of the
last five quarters, one sheet per exception report) for officers who edit the papers, and a
self-contained HTML page (`board_html`: inline CSS and SVG sparklines) that prints on A4
landscape. Colour is never the only signal: each RAGG status is written as a word beside its
colour. Officers' and register text is always text: a string cell in the workbook (commentary
such as `=HYPERLINK(…)` is never a formula), escaped HTML in the page.
"""

from __future__ import annotations

import base64
import html
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.chart import RAGG_COLOURS, ragg_chart, text_colour
from bot.paper import (
    ACTIONS_HEADING,
    CONFIDENCE_KEY,
    KEY,
    KEY_NOTE,
    Paper,
    action_owner,
    action_progress,
    actions_intro,
    annual_target,
    annual_target_words,
    commentary_words,
    confidence_words,
    direction_words,
    excel_format,
    excel_number,
    flags,
    milestones_words,
    on_target_words,
    owner,
    polarity_words,
    target_places_for,
    target_words,
    unit_words,
    value_words,
)
from bot.periods import Period
from bot.ragg import Direction, Ragg
from bot.safe_text import xlsx_cell
from bot.status import StatusRow
from bot.summary import ORDER, SignOffState, Summary, Tally, committee_words
from bot.workflow import State

if TYPE_CHECKING:
    from openpyxl.cell.cell import Cell
    from openpyxl.worksheet.worksheet import Worksheet

SUMMARY_HEADERS = (
    "Priority",
    "Name",
    "Red",
    "Amber",
    "Green",
    "Grey",
    "Missing",
    "Total",
    "On target %",
    "Improving",
    "Declining",
    "No change",
)
SIGNOFF_HEADERS = ("Head of Service", "Measures", "Sign-off")
NONE_RECORDED = "None recorded"
_DIRECTION_WORDS = {
    Direction.IMPROVING: "Improving",
    Direction.DECLINING: "Declining",
    Direction.SAME: "No change",
}
_BAD_SHEET_CHARACTERS = str.maketrans({c: "-" for c in "[]:*?/\\"})


# ---------------------------------------------------------------------------- shared words


def _long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def title(summary: Summary) -> str:
    return f"{summary.council} — Performance Board {summary.quarter}"


def published_words(summary: Summary) -> str:
    """'; figures as published on …' for a paper reproduced as published, else ''."""
    published = summary.published
    if published is None:
        return ""
    return (
        f"; figures as published on {_signed_at(published.at)} by {published.by} "
        f"({published.occasion})"
    )


def approval_words(summary: Summary) -> str:
    """'. Draft — awaiting Leadership Team approval' (or who approved it), where the register
    has a sign-off chain after the Heads of Service; else ''."""
    return f". {summary.approval}" if summary.approval else ""


def _with_code(code: str, words: str) -> str:
    return f"{code} {words}".strip()


def exception_fields(row: StatusRow) -> list[tuple[str, str]]:
    """Seed 002 Appendix 1 (Exception Report), label and value, in the appendix's order."""
    measure = row.measure
    year = row.period.financial_year.label
    cumulative = " (Cumulative)" if measure.rule.cumulative else ""
    when = "" if row.period == row.period.financial_year else f" ({row.period.label})"
    baseline = NONE_RECORDED
    if measure.baseline_period or measure.baseline_value is not None:
        figure = measure.format_value(measure.baseline_value)
        baseline = f"{measure.baseline_period or 'Baseline'}: {figure}"
    return [
        ("Priority", _with_code(measure.priority, measure.priority_name)),
        ("Aim", _with_code(measure.aim, measure.aim_title)),
        ("Measure and Reference", f"{measure.ref} {measure.title}"),
        ("Committee", measure.committee or NONE_RECORDED),
        ("Definition", measure.definition or NONE_RECORDED),
        ("Baseline Data", baseline),
        ("Benchmarking Information", measure.benchmarking or NONE_RECORDED),
        *(
            (
                (f"Milestones as at {row.period.end:%d %b %Y}", milestones_words(row)),
                ("RAGG", f"{row.status.word}: {row.reason}" if row.reason else row.status.word),
            )
            if measure.is_project
            else (
                (f"{year} Out turn{cumulative}", f"{row.shown_value}{when}"),
                (f"{year} Target", f"{row.shown_target}{when}"),
            )
        ),
        ("Performance Overview - Quarterly Update", row.commentary or NONE_RECORDED),
        ("Actions to improve performance", row.actions or NONE_RECORDED),
    ]


def exception_heading(row: StatusRow) -> str:
    return f"Exception report: {row.measure.ref} {row.measure.title} — {row.period.label}"


def signoff_states(summary: Summary) -> list[SignOffState]:
    """The sign-offs given, then every other Head of Service with measures in the summary
    (not signed off), each by name."""
    listed = {state.head_of_service.strip().lower() for state in summary.signoffs}
    owners: Counter[str] = Counter()
    names: dict[str, str] = {}
    for row in summary.rows:
        email = (row.measure.head_of_service or "").strip().lower()
        if email:
            owners[email] += 1
            names[email] = row.measure.head_of_service_name or "Head of Service (name not known)"
    missing = [
        SignOffState(email, names[email], count, None)
        for email, count in owners.items()
        if email not in listed
    ]
    return [*summary.signoffs, *missing]


def signoff_words(state: SignOffState) -> str:
    if state.signed_at is None:
        return "Not signed off"
    return f"Signed off {_signed_at(state.signed_at)}"


def _signed_at(moment: datetime) -> str:
    """Stored times are UTC (PRODUCT §2); say so rather than guess the local zone."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return f"{moment.day} {moment:%B %Y %H:%M} UTC"


def tally_cells(tally: Tally) -> list[str | int]:
    share = tally.on_target_share
    return [
        tally.code,
        tally.name,
        *(tally.counts.get(status, 0) for status in ORDER),
        tally.total,
        "—" if share is None else share,
        tally.directions.get(Direction.IMPROVING, 0),
        tally.directions.get(Direction.DECLINING, 0),
        tally.directions.get(Direction.SAME, 0),
    ]


def exception_sheet_name(ref: str, taken: Iterable[str] = ()) -> str:
    """`Exception <ref>`, made a legal Excel sheet name (≤ 31 characters, none of []:*?/\\)
    and distinct from `taken` (compared as Excel does, ignoring case)."""
    base = f"Exception {ref}".translate(_BAD_SHEET_CHARACTERS).strip("'")[:31]
    used = {name.lower() for name in taken}
    name, n = base, 1
    while name.lower() in used:
        n += 1
        suffix = f" ({n})"
        name = base[: 31 - len(suffix)] + suffix
    return name


# ---------------------------------------------------------------------------- the workbook

ACTIONS_SHEET = "Actions"
ACTION_HEADERS = ("Ref", "Measure", "Period", "Action", "Owner", "Due", "Progress")
ACTION_WIDTHS = (8, 34, 11, 60, 18, 13, 40)
COVER_SHEET = "Cover"
MEASURES_SHEET = "Measures"
DATA_SHEET = "Data"
# (header, width, kind): kind "number" columns hold figures as numbers in the measure's format.
MEASURE_COLUMNS: tuple[tuple[str, int, str], ...] = (
    ("Ref", 8, "text"),
    ("Measure", 40, "wrap"),
    ("Priority", 22, "wrap"),
    ("Aim", 34, "wrap"),
    ("Committee", 11, "text"),
    ("Head of Service", 18, "text"),
    ("Polarity", 15, "wrap"),
    ("Annual target", 14, "number"),
    ("Period", 11, "text"),
    ("Target", 14, "number"),
    ("Value", 14, "number"),
    ("RAGG", 9, "ragg"),
    ("Committee view", 13, "text"),
    ("Direction of travel", 26, "wrap"),
    # the five quarters of the trend follow here, then:
    ("Confidence", 22, "wrap"),
    ("Flags", 34, "wrap"),
    ("Commentary", 60, "wrap"),
    ("Actions to improve performance", 40, "wrap"),
)
TREND_AFTER = "Direction of travel"
TREND_WIDTH = 12
DATA_HEADERS = (
    "Ref",
    "Measure",
    "Committee",
    "Quarter",
    "Period",
    "Value",
    "Target",
    "RAGG",
    "Committee view",
    "State",
    "Direction of travel",
)
DATA_WIDTHS = (8, 40, 11, 11, 11, 14, 14, 9, 13, 14, 30)
RAGG_COLUMN = DATA_HEADERS.index("RAGG") + 1


def _letter(column: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(column)


def measure_headers(paper: Paper) -> list[str]:
    names = [name for name, _, _ in MEASURE_COLUMNS]
    at = names.index(TREND_AFTER) + 1
    return [*names[:at], *(q.label for q in paper.quarters), *names[at:]]


def board_workbook(paper: Paper, out: Path) -> None:
    """Write the paper: cover and key, every measure, the data sheet, exception reports."""
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

    summary = paper.summary
    workbook = Workbook()
    workbook.properties.title = f"{paper.title} — {paper.audience}"
    workbook.properties.creator = "pmf-bot"
    workbook.properties.lastModifiedBy = "pmf-bot"
    cover = workbook.active
    assert isinstance(cover, Worksheet)
    cover.title = COVER_SHEET
    _fill_cover(cover, paper)
    _fill_measures(workbook.create_sheet(MEASURES_SHEET), paper)
    _fill_data(workbook.create_sheet(DATA_SHEET), paper)
    _fill_actions(workbook.create_sheet(ACTIONS_SHEET), paper)
    for row in summary.exceptions:
        name = exception_sheet_name(row.measure.ref, workbook.sheetnames)
        _fill_exception(workbook.create_sheet(name), row)
    workbook.save(out)


def _number(sheet: Worksheet, row: int, column: int, value: Decimal, number_format: str) -> Cell:
    cell = _put(sheet, row, column, value)
    cell.number_format = number_format
    return cell


def _figure_cell(measure: Any, value: Decimal | None, places: int) -> tuple[Any, str | None]:
    """A figure and its number format, as `_figure` writes them."""
    if value is None:
        return "—", None
    return excel_number(measure, value), excel_format(measure, places)


def _target_cell(status_row: StatusRow, which: str) -> tuple[Any, str | None]:
    """The annual or the period's target and its number format, as `_target` writes them."""
    measure = status_row.measure
    if which == "annual":
        target, places, words = (
            annual_target(status_row),
            measure.decimals,
            annual_target_words(status_row),
        )
    else:
        target, places, words = (
            status_row.target,
            target_places_for(status_row),
            target_words(status_row),
        )
    if target is None or target.high is not None:
        return words, None
    return _figure_cell(measure, target.low, places)


class _Styles:
    """Styles of the big sheets, set once per kind and copied after (openpyxl looks every
    style up on each assignment, which costs seconds over a 1,000-measure register)."""

    def __init__(self) -> None:
        self.found: dict[tuple[Any, ...], Any] = {}

    def put(
        self,
        sheet: Worksheet,
        row: int,
        column: int,
        value: Any,
        number_format: str | None,
        alignment: Any,
        status: Ragg | None = None,
    ) -> Cell:
        from copy import copy

        cell: Any = sheet.cell(row=row, column=column)
        key = (number_format, id(alignment), status)
        style = self.found.get(key)
        if style is None:
            if number_format:
                cell.number_format = number_format
            cell.alignment = alignment
            if status is not None:
                _paint(cell, status)
            self.found[key] = copy(cell._style)
        else:
            cell._style = copy(style)
        return xlsx_cell(cell, value)  # text as text (a quote prefix where it looks a formula)


def _fill_cover(sheet: Worksheet, paper: Paper) -> None:
    from openpyxl.styles import Alignment, Font

    summary = paper.summary
    bold = Font(bold=True)
    wrapped = Alignment(wrap_text=True, vertical="top")
    _put(sheet, 1, 1, summary.council, font=Font(bold=True, size=16))
    _put(sheet, 2, 1, f"Performance Board {summary.quarter}", font=Font(bold=True, size=14))
    facts = [
        ("Report to", paper.audience),
        ("Period", f"{summary.quarter} ({period_span(summary.quarter)})"),
        ("Performance Board date", _long_date(summary.board_date)),
        ("Date produced", _long_date(paper.produced)),
        ("Figures", figures_words(summary)),
        *((("Approval", summary.approval),) if summary.approval else ()),
    ]
    number = 4
    for label, fact in facts:
        _put(sheet, number, 1, label, font=bold)
        _put(sheet, number, 2, fact, alignment=wrapped)
        number += 1
    number += 1
    _put(sheet, number, 1, "On target", font=Font(bold=True, size=12))
    share = summary.overall.on_target_share
    if share is not None:
        _number(sheet, number, 2, Decimal(share) / 100, "0%").font = Font(bold=True, size=12)
    _put(sheet, number, 3, on_target_words(summary, share=share is None), alignment=wrapped)
    sheet.merge_cells(start_row=number, start_column=3, end_row=number, end_column=12)
    number += 2

    _put(sheet, number, 1, "RAGG key", font=Font(bold=True, size=12))
    for status, meaning in KEY:
        number += 1
        _paint(_put(sheet, number, 1, status.word), status)
        _put(sheet, number, 2, meaning, alignment=wrapped)
        sheet.merge_cells(start_row=number, start_column=2, end_row=number, end_column=12)
    for words in key_notes(paper):
        number += 1
        _put(sheet, number, 2, words, alignment=wrapped)
        sheet.merge_cells(start_row=number, start_column=2, end_row=number, end_column=12)
        sheet.row_dimensions[number].height = 30
    number += 2

    _put(sheet, number, 1, "Measures by priority", font=Font(bold=True, size=12))
    number += 1
    for column, header in enumerate(SUMMARY_HEADERS, start=1):
        cell = _put(sheet, number, column, header, font=bold, alignment=wrapped)
        if 3 <= column < 3 + len(ORDER):
            _paint(cell, ORDER[column - 3])
    for tally in [*summary.priorities, summary.overall]:
        number += 1
        cells = tally_cells(tally)
        overall = tally is summary.overall
        if overall:
            cells[0] = "All"
        for column, count in enumerate(cells, start=1):
            if SUMMARY_HEADERS[column - 1] == "On target %" and isinstance(count, int):
                cell = _number(sheet, number, column, Decimal(count) / 100, "0%")
            else:
                cell = _put(sheet, number, column, count, alignment=wrapped)
            if overall:
                cell.font = bold
    number += 2

    _put(sheet, number, 1, "Data confidence", font=Font(bold=True, size=12))
    for level, meaning in CONFIDENCE_KEY:
        number += 1
        _put(sheet, number, 1, level, font=bold)
        _put(sheet, number, 2, meaning)
    number += 2

    _put(sheet, number, 1, "Sign-off by Head of Service", font=Font(bold=True, size=12))
    number += 1
    for column, header in enumerate(SIGNOFF_HEADERS, start=1):
        _put(sheet, number, column, header, font=bold)
    for state in signoff_states(summary):
        number += 1
        values: list[str | int] = [state.name, state.measures, signoff_words(state)]
        for column, value in enumerate(values, start=1):
            _put(sheet, number, column, value)
    widths = (24, 30, 9, 9, 9, 9, 9, 9, 12, 11, 11, 11)
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[_letter(column)].width = width
    _print_setup(sheet)


def _fill_measures(sheet: Worksheet, paper: Paper) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill

    headers = measure_headers(paper)
    kinds = {name: kind for name, _, kind in MEASURE_COLUMNS}
    widths = {name: width for name, width, _ in MEASURE_COLUMNS}
    _put(
        sheet,
        1,
        1,
        f"{paper.title} — {paper.audience} — produced {_long_date(paper.produced)}"
        f"{published_words(paper.summary)}{approval_words(paper.summary)}",
        font=Font(bold=True, size=14),
    )
    header_fill = PatternFill(fill_type="solid", start_color="FFF3F2F1", end_color="FFF3F2F1")
    top_wrapped = Alignment(wrap_text=True, vertical="top")
    top = Alignment(vertical="top")
    for column, header in enumerate(headers, start=1):
        _put(
            sheet, 2, column, header, font=Font(bold=True), fill=header_fill, alignment=top_wrapped
        )
        sheet.column_dimensions[_letter(column)].width = widths.get(header, TREND_WIDTH)
    trend_start = headers.index(paper.quarters[0].label) + 1
    styles = _Styles()
    for number, row in enumerate(paper.summary.rows, start=3):
        measure = row.measure
        late = measure.ref in paper.late
        words = {
            "Ref": measure.ref,
            "Measure": measure.title,
            "Priority": _with_code(measure.priority, measure.priority_name),
            "Aim": _with_code(measure.aim, measure.aim_title),
            "Committee": measure.committee or "",
            "Head of Service": owner(measure),
            "Polarity": polarity_words(measure),
            "Period": row.period.label,
            "RAGG": row.status.word,
            "Committee view": committee_words(row.committee).capitalize(),
            "Direction of travel": direction_words(row),
            "Confidence": confidence_words(measure),
            "Flags": ". ".join(flags(row, late)),
            "Commentary": commentary_words(row),
            "Actions to improve performance": row.actions or "",
        }
        trend = paper.trend(row)
        for column, header in enumerate(headers, start=1):
            kind = kinds.get(header, "number")
            value: Any
            number_format: str | None = None
            if header == "Annual target":
                value, number_format = _target_cell(row, "annual")
            elif header == "Target":
                value, number_format = _target_cell(row, "period")
            elif header == "Value":
                value, number_format = _figure_cell(measure, row.value, measure.decimals)
            elif trend_start <= column < trend_start + len(paper.quarters):
                point = trend[column - trend_start]
                if point.value is None:
                    value = point.words
                else:
                    value, number_format = _figure_cell(measure, point.value, measure.decimals)
            else:
                value = words[header]
            styles.put(
                sheet,
                number,
                column,
                value,
                number_format,
                top_wrapped if kind == "wrap" else top,
                row.status if kind == "ragg" else None,
            )
    last = 2 + len(paper.summary.rows)
    sheet.freeze_panes = "C3"
    sheet.auto_filter.ref = f"A2:{_letter(len(headers))}{last}"
    _print_setup(sheet, title_rows="2:2")


def _fill_actions(sheet: Worksheet, paper: Paper) -> None:
    """The previous quarter's tracked actions: each with its owner by name, due date (a date
    cell) and progress (and the reason when dropped)."""
    from openpyxl.styles import Alignment, Font, PatternFill

    wrapped = Alignment(wrap_text=True, vertical="top")
    _put(sheet, 1, 1, f"{ACTIONS_HEADING} ({paper.actions_from})", font=Font(bold=True, size=14))
    _put(sheet, 2, 1, actions_intro(paper))
    header_fill = PatternFill(fill_type="solid", start_color="FFF3F2F1", end_color="FFF3F2F1")
    for column, (header, width) in enumerate(zip(ACTION_HEADERS, ACTION_WIDTHS, strict=True), 1):
        _put(sheet, 4, column, header, font=Font(bold=True), fill=header_fill, alignment=wrapped)
        sheet.column_dimensions[_letter(column)].width = width
    for number, action in enumerate(paper.actions, start=5):
        values: list[Any] = [
            action.ref,
            action.title,
            action.period,
            action.text,
            action_owner(action),
            action.due,
            action_progress(action, paper.produced),
        ]
        for column, value in enumerate(values, start=1):
            if isinstance(value, date):
                cell = sheet.cell(row=number, column=column, value=value)  # a date, not text
                cell.number_format = "d mmm yyyy"
                cell.alignment = wrapped
            else:
                _put(sheet, number, column, value, alignment=wrapped)
    if paper.actions:
        sheet.freeze_panes = "A5"
        sheet.auto_filter.ref = f"A4:{_letter(len(ACTION_HEADERS))}{4 + len(paper.actions)}"
    _print_setup(sheet, title_rows="4:4")


def _fill_data(sheet: Worksheet, paper: Paper) -> None:
    """One row per measure and period for the last five quarters (periods not due left out)."""
    from openpyxl.styles import Alignment, Font, PatternFill

    header_fill = PatternFill(fill_type="solid", start_color="FFF3F2F1", end_color="FFF3F2F1")
    for column, (header, width) in enumerate(zip(DATA_HEADERS, DATA_WIDTHS, strict=True), 1):
        _put(sheet, 1, column, header, font=Font(bold=True), fill=header_fill)
        sheet.column_dimensions[_letter(column)].width = width
    number = 1
    top = Alignment(vertical="top")
    styles = _Styles()
    for current in paper.summary.rows:
        for point in paper.trend(current):
            row = point.row
            if row is None or row.state is State.NOT_DUE:
                continue
            number += 1
            measure = row.measure
            cells: list[Any] = [
                measure.ref,
                measure.title,
                measure.committee or "",
                point.quarter.label,
                row.period.label,
            ]
            value, value_format = _figure_cell(measure, row.value, measure.decimals)
            target, target_format = _target_cell(row, "period")
            cells += [
                (value, value_format),
                (target, target_format),
                (row.status.word, None),
                (committee_words(row.committee).capitalize(), None),
                (row.state.words.capitalize(), None),
                (direction_words(row), None),
            ]
            for column, item in enumerate(cells, start=1):
                shown, number_format = item if isinstance(item, tuple) else (item, None)
                status = row.status if column == RAGG_COLUMN else None
                styles.put(sheet, number, column, shown, number_format, top, status)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{_letter(len(DATA_HEADERS))}{max(number, 1)}"
    _print_setup(sheet, title_rows="1:1")


def period_span(period: Period) -> str:
    return f"{_long_date(period.start)} to {_long_date(period.end)}"


def figures_words(summary: Summary) -> str:
    published = summary.published
    if published is None:
        return "Approved figures as they stand on the date produced."
    return f"As published on {_signed_at(published.at)} by {published.by} ({published.occasion})."


def key_notes(paper: Paper) -> list[str]:
    notes = [KEY_NOTE]
    if paper.other_tolerances:
        notes.append(
            "Some measures use their own margin for Amber instead of 5%, as agreed in their "
            "methodology statements."
        )
    notes.append(
        "Direction of travel compares with the previous period and the same period a year "
        "earlier; for year-to-date measures, only with the same period a year earlier."
    )
    return notes


def _put(sheet: Worksheet, row: int, column: int, value: str | int | Decimal, **style: Any) -> Cell:
    """Write a cell — text always as text, never a formula (`xlsx_cell`) — and set its style
    attributes (font, fill, alignment). Every cell of the workbook is written here."""
    cell = xlsx_cell(sheet.cell(row=row, column=column), value)
    for name, setting in style.items():
        setattr(cell, name, setting)
    return cell


def _paint(cell: Cell, status: Ragg) -> None:
    """The RAGG colour as a solid fill (none for missing data), with contrasting bold text."""
    from openpyxl.styles import Font, PatternFill

    colour = RAGG_COLOURS[status]
    if colour is None:
        cell.font = Font(bold=True, italic=True)
        return
    argb = f"FF{colour}"
    cell.fill = PatternFill(fill_type="solid", start_color=argb, end_color=argb)
    cell.font = Font(bold=True, color=f"FF{text_colour(colour)}")


def _print_setup(sheet: Worksheet, *, title_rows: str | None = None) -> None:
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    if sheet.sheet_properties.pageSetUpPr is not None:
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
    if title_rows:
        sheet.print_title_rows = title_rows


def _fill_exception(sheet: Worksheet, row: StatusRow) -> None:
    from openpyxl.styles import Alignment, Font

    wrapped = Alignment(wrap_text=True, vertical="top")
    _put(sheet, 1, 1, exception_heading(row), font=Font(bold=True, size=14))
    status = _put(sheet, 2, 1, f"Status: {row.status.word} — {committee_words(row.committee)}")
    _paint(status, row.status)
    for number, (label, value) in enumerate(exception_fields(row), start=4):
        _put(sheet, number, 1, label, font=Font(bold=True), alignment=wrapped)
        _put(sheet, number, 2, value, alignment=wrapped)
    sheet.column_dimensions["A"].width = 34
    sheet.column_dimensions["B"].width = 100
    _print_setup(sheet)


# ---------------------------------------------------------------------------- the HTML page

_CSS = """
@page { size: A4 landscape; margin: 10mm; }
* { box-sizing: border-box; }
body { font-family: Arial, Helvetica, sans-serif; font-size: 10.5pt; color: #0b0c0c;
  margin: 1.5rem; line-height: 1.35; }
h1 { font-size: 22pt; margin: 0 0 .25rem; }
h2 { font-size: 15pt; margin: 1.25rem 0 .5rem; }
h3 { font-size: 12pt; margin: 1rem 0 .4rem; }
p.council { font-size: 13pt; font-weight: bold; margin: 0 0 .25rem; }
p.audience { font-size: 15pt; margin: 0 0 1rem; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem;
  margin: 0 0 1rem; }
dl.facts dt { font-weight: bold; }
dl.facts dd { margin: 0; }
.share { font-size: 13pt; border-left: 6px solid #1d70b8; padding: .4rem .8rem; margin: 0 0 1rem;
  background: #f3f2f1; }
.share strong { font-size: 18pt; }
.columns { display: grid; grid-template-columns: 1fr 1fr; gap: 0 1.5rem; }
table { border-collapse: collapse; width: 100%; margin-bottom: .8rem; }
th, td { border: 1px solid #b1b4b6; padding: 3px 5px; text-align: left; vertical-align: top; }
thead th { background: #f3f2f1; }
td.num, th.num { text-align: right; }
.ragg { font-weight: bold; white-space: nowrap; }
.ragg-red { background: #d4351c; color: #ffffff; }
.ragg-amber { background: #f47738; color: #0b0c0c; }
.ragg-green { background: #00703c; color: #ffffff; }
.ragg-grey { background: #b1b4b6; color: #0b0c0c; }
.ragg-none { background: #ffffff; color: #0b0c0c; font-style: italic;
  outline: 2px dashed #0b0c0c; outline-offset: -4px; }
table.key td.ragg { width: 6.5rem; text-align: center; }
.text { white-space: pre-line; }
.note { color: #505a5f; font-size: 9.5pt; }
table.measures { table-layout: fixed; }
table.measures col.ref { width: 4.2%; }
table.measures col.title { width: 17%; }
table.measures col.fig { width: 7.2%; }
table.measures col.ragg { width: 5.6%; }
table.measures col.dir { width: 11%; }
table.measures col.trend { width: 19%; }
table.measures col.conf { width: 8.5%; }
table.measures col.flags { width: 13.3%; }
table.measures td.title .owner { display: block; color: #505a5f; font-size: 9pt;
  margin-top: .15rem; }
tbody.measure { break-inside: avoid; page-break-inside: avoid; }
tbody.measure tr.figures td { border-bottom: none; }
tr.commentary td { border-top: none; background: #fafafa; padding-bottom: 6px; }
tr.commentary .label { font-weight: bold; }
table.trend { width: 100%; margin: 2px 0 0; font-size: 8pt; table-layout: fixed; }
table.trend th, table.trend td { border: none; padding: 0 1px; text-align: center;
  background: none; font-weight: normal; line-height: 1.15; overflow-wrap: anywhere; }
table.trend th { color: #505a5f; }
svg.spark { display: block; width: 100%; height: 30px; }
.flag { display: inline-block; border: 1px solid #0b0c0c; padding: 0 3px; margin: 0 2px 2px 0;
  font-size: 8.5pt; }
table.appendix th { width: 18%; background: #f3f2f1; }
table.appendix td { width: 32%; }
figure { margin: 0 0 1rem; }
figure img { max-width: 100%; height: auto; }
.part { break-before: page; page-break-before: always; }
.exception { break-before: page; page-break-before: always; }
table.actions { table-layout: fixed; }
table.actions col.ref { width: 5%; }
table.actions col.title { width: 18%; }
table.actions col.period { width: 8%; }
table.actions col.text { width: 33%; }
table.actions col.owner { width: 11%; }
table.actions col.due { width: 9%; }
table.actions col.progress { width: 16%; }
td.due { white-space: nowrap; }
td.progress { font-weight: bold; }
td.progress-done { color: #00703c; }
td.progress-at_risk, td.overdue { color: #d4351c; }
td.progress-dropped { font-weight: normal; font-style: italic; }
@media print {
  body { margin: 0; font-size: 8.5pt; }
  h1 { font-size: 18pt; }
  h2 { font-size: 13pt; }
  h3 { font-size: 10.5pt; }
  .note { font-size: 8pt; }
  table.trend { font-size: 6.5pt; }
  header.cover { font-size: 8pt; }
  header.cover h2 { margin: .6rem 0 .3rem; }
  p.audience { margin-bottom: .5rem; }
  .share { font-size: 10pt; padding: .2rem .6rem; margin-bottom: .5rem; }
  .share strong { font-size: 14pt; }
  figure.chart { margin: 0; }
  figure.chart img { max-height: 80mm; width: auto; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  thead { display: table-header-group; }
  tr, figure { break-inside: avoid; page-break-inside: avoid; }
  h2, h3 { break-after: avoid; page-break-after: avoid; }
}
""".strip()


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _ragg_td(status: Ragg) -> str:
    return f'<td class="ragg ragg-{status.value}">{_e(status.word)}</td>'


def _head(headers: Iterable[str], numeric: Iterable[str] = ()) -> str:
    right = set(numeric)
    cells = "".join(
        f'<th scope="col" class="num">{_e(header)}</th>'
        if header in right
        else f'<th scope="col">{_e(header)}</th>'
        for header in headers
    )
    return f"<thead><tr>{cells}</tr></thead>"


def _summary_table(summary: Summary) -> str:
    numeric = SUMMARY_HEADERS[2:]
    lines = ['<table class="counts">', _head(SUMMARY_HEADERS, numeric), "<tbody>"]
    for tally in [*summary.priorities, summary.overall]:
        cells = tally_cells(tally)
        code = "All" if tally is summary.overall else str(cells[0])
        body = "".join(f'<td class="num">{_e(value)}</td>' for value in cells[2:])
        strong = ' class="overall"' if tally is summary.overall else ""
        lines.append(
            f'<tr{strong}><th scope="row">{_e(code)}</th><td>{_e(cells[1])}</td>{body}</tr>'
        )
    lines.append("</tbody></table>")
    return "\n".join(lines)


def _signoff_table(summary: Summary) -> str:
    states = signoff_states(summary)
    if not states:
        return "<p>No Head of Service has measures in this summary.</p>"
    lines = ['<table class="signoff">', _head(SIGNOFF_HEADERS, ("Measures",)), "<tbody>"]
    for state in states:
        lines.append(
            f'<tr><th scope="row">{_e(state.name)}</th>'
            f'<td class="num">{state.measures}</td><td>{_e(signoff_words(state))}</td></tr>'
        )
    lines.append("</tbody></table>")
    return "\n".join(lines)


# Seed 002 Appendix 1 is a four-column grid: label, value, label, value.
_APPENDIX_LAYOUT = ((0,), (1,), (2, 3), (4, 5), (6,), (7, 8), (9, 10))


def _exception_section(row: StatusRow) -> str:
    fields = exception_fields(row)
    lines = [
        f'<section class="exception" id="exception-{_e(row.measure.ref)}">',
        f"<h2>{_e(exception_heading(row))}</h2>",
        f'<p>Status: <span class="ragg ragg-{row.status.value}">{_e(row.status.word)}</span> '
        f"— {_e(committee_words(row.committee))}</p>",
        '<table class="appendix"><tbody>',
    ]
    for line in _APPENDIX_LAYOUT:
        cells = []
        for index in line:
            label, value = fields[index]
            span = ' colspan="3"' if len(line) == 1 else ""
            cells.append(f'<th scope="row">{_e(label)}</th><td class="text"{span}>{_e(value)}</td>')
        lines.append(f"<tr>{''.join(cells)}</tr>")
    lines.append("</tbody></table></section>")
    return "\n".join(lines)


_SPARK_WIDTH, _SPARK_HEIGHT, _SPARK_PAD = 150, 30, 5
_SPARK_DOT = {
    Ragg.RED: "#d4351c",
    Ragg.AMBER: "#f47738",
    Ragg.GREEN: "#00703c",
    Ragg.GREY: "#b1b4b6",
    Ragg.NONE: "#ffffff",
}


def _short_quarter(quarter: Period) -> str:
    """'2025-26 Q4' → 'Q4' over '25-26', to fit five quarters in a column."""
    return f"Q{quarter.index}<br>{_e(quarter.label[2:7])}"


def sparkline(paper: Paper, row: StatusRow) -> str:
    """An inline SVG of the last five quarters: the figures joined by a line (broken where a
    quarter has none), each dot in its RAGG colour, and the period targets dashed."""
    points = paper.trend(row)
    values = [p.value for p in points]
    targets = [
        p.row.target.low
        if p.row is not None
        and p.row.target is not None
        and p.row.target.high is None
        and p.row.state is not State.NOT_DUE
        else None
        for p in points
    ]
    known = [v for v in [*values, *targets] if v is not None]
    words = "; ".join(f"{p.quarter.label}: {p.words}" for p in points)
    label = f"Trend over the last five quarters: {words}"
    if not any(v is not None for v in values):
        return (
            f'<svg class="spark" viewBox="0 0 {_SPARK_WIDTH} {_SPARK_HEIGHT}" role="img" '
            f'aria-label="{_e(label)}"><title>{_e(label)}</title></svg>'
        )
    low, high = min(known), max(known)
    spread = high - low or Decimal(1)
    step = (_SPARK_WIDTH - 2 * _SPARK_PAD) / (len(points) - 1)

    def xy(index: int, value: Decimal) -> tuple[float, float]:
        share = float((value - low) / spread) if high != low else 0.5
        y = _SPARK_HEIGHT - _SPARK_PAD - share * (_SPARK_HEIGHT - 2 * _SPARK_PAD)
        return round(_SPARK_PAD + index * step, 1), round(y, 1)

    def runs(series: list[Decimal | None]) -> list[list[tuple[float, float]]]:
        found: list[list[tuple[float, float]]] = [[]]
        for index, value in enumerate(series):
            if value is None:
                found.append([])
            else:
                found[-1].append(xy(index, value))
        return [run for run in found if run]

    parts = [
        f'<svg class="spark" viewBox="0 0 {_SPARK_WIDTH} {_SPARK_HEIGHT}" '
        f'preserveAspectRatio="none" role="img" aria-label="{_e(label)}">',
        f"<title>{_e(label)}</title>",
    ]
    for run in runs(targets):
        if len(run) > 1:
            joined = " ".join(f"{x},{y}" for x, y in run)
            parts.append(
                f'<polyline points="{joined}" fill="none" stroke="#505a5f" '
                'stroke-width="1" stroke-dasharray="3 2"/>'
            )
    for run in runs(values):
        if len(run) > 1:
            joined = " ".join(f"{x},{y}" for x, y in run)
            parts.append(
                f'<polyline points="{joined}" fill="none" stroke="#0b0c0c" stroke-width="1.5"/>'
            )
    for index, point in enumerate(points):
        if point.value is None or point.row is None:
            continue
        x, y = xy(index, point.value)
        radius = 3.5 if index == len(points) - 1 else 2.5
        parts.append(
            f'<circle cx="{x}" cy="{y}" r="{radius}" fill="{_SPARK_DOT[point.row.status]}" '
            'stroke="#0b0c0c" stroke-width="0.8"/>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _trend_cell(paper: Paper, row: StatusRow) -> str:
    points = paper.trend(row)
    heads = "".join(
        f'<th scope="col" title="{_e(p.quarter.label)}">{_short_quarter(p.quarter)}</th>'
        for p in points
    )
    cells = "".join(f"<td>{_e(p.figure)}</td>" for p in points)
    return (
        f'<td class="trend">{sparkline(paper, row)}'
        f'<table class="trend"><thead><tr>{heads}</tr></thead>'
        f"<tbody><tr>{cells}</tr></tbody></table></td>"
    )


_MEASURE_HEADERS = (
    ("Ref", "ref", False),
    ("Measure and Head of Service", "title", False),
    ("Annual target", "fig", True),
    ("Target", "fig", True),
    ("Value", "fig", True),
    ("RAGG", "ragg", False),
    ("Direction of travel", "dir", False),
    ("Last five quarters", "trend", False),
    ("Confidence", "conf", False),
    ("Flags", "flags", False),
)


def _measure_body(paper: Paper, row: StatusRow) -> str:
    measure = row.measure
    flagged = flags(row, measure.ref in paper.late)
    flag_html = "".join(f'<span class="flag">{_e(words)}</span> ' for words in flagged) or "—"
    period = f'<span class="note">{_e(row.period.label)}</span>'
    about = " · ".join(
        words for words in (owner(measure), polarity_words(measure), unit_words(measure)) if words
    )
    figures = (
        f'<tr class="figures"><th scope="row">{_e(measure.ref)}</th>'
        f'<td class="title">{_e(measure.title)}'
        f'<span class="owner">{_e(about)}</span></td>'
        f'<td class="num">{_e(annual_target_words(row, units=False))}</td>'
        f'<td class="num">{_e(target_words(row, units=False))}<br>{period}</td>'
        f'<td class="num"><strong>{_e(value_words(row, units=False))}</strong></td>'
        f"{_ragg_td(row.status)}"
        f"<td>{_e(direction_words(row))}</td>"
        f"{_trend_cell(paper, row)}"
        f"<td>{_e(confidence_words(measure))}</td>"
        f"<td>{flag_html}</td></tr>"
    )
    notes = [
        f'<span class="label">Commentary:</span> <span class="text">'
        f"{_e(commentary_words(row))}</span>"
    ]
    if row.actions:
        notes.append(
            f'<br><span class="label">Actions to improve performance:</span> '
            f'<span class="text">{_e(row.actions)}</span>'
        )
    commentary = (
        f'<tr class="commentary"><td></td><td colspan="{len(_MEASURE_HEADERS) - 1}">'
        f"{''.join(notes)}</td></tr>"
    )
    return f'<tbody class="measure" id="measure-{_e(measure.ref)}">{figures}{commentary}</tbody>'


def _measures_table(paper: Paper, rows: list[StatusRow]) -> str:
    cols = "".join(f'<col class="{kind}">' for _, kind, _ in _MEASURE_HEADERS)
    numeric = [name for name, _, right in _MEASURE_HEADERS if right]
    heads = _head([name for name, _, _ in _MEASURE_HEADERS], numeric)
    bodies = "\n".join(_measure_body(paper, row) for row in rows)
    return f'<table class="measures"><colgroup>{cols}</colgroup>{heads}\n{bodies}\n</table>'


def _key_table() -> str:
    rows = "".join(f"<tr>{_ragg_td(status)}<td>{_e(meaning)}</td></tr>" for status, meaning in KEY)
    return f'<table class="key"><tbody>{rows}</tbody></table>'


def _cover(paper: Paper, *, chart: bool) -> str:
    summary = paper.summary
    share = summary.overall.on_target_share
    facts = [
        ("Period", f"{summary.quarter} ({period_span(summary.quarter)})"),
        ("Performance Board date", _long_date(summary.board_date)),
        ("Date produced", _long_date(paper.produced)),
        ("Figures", figures_words(summary)),
        *((("Approval", summary.approval),) if summary.approval else ()),
        (
            "Exception reports",
            f"{len(summary.exceptions)} ({summary.exception_words} measures)",
        ),
    ]
    confidence = "; ".join(f"{level}: {meaning}" for level, meaning in CONFIDENCE_KEY)
    parts = [
        '<header class="cover" id="cover">',
        f'<p class="council">{_e(summary.council)}</p>',
        f"<h1>Performance Board {_e(summary.quarter)}</h1>",
        f'<p class="audience">Report to: {_e(paper.audience)}</p>',
        '<dl class="facts">',
        *(f"<dt>{_e(label)}</dt><dd>{_e(value)}</dd>" for label, value in facts),
        "</dl>",
        '<p class="share" id="on-target">'
        + (f"<strong>{share}%</strong> " if share is not None else "")
        + f"{_e(on_target_words(summary, share=share is None))}</p>",
        '<div class="columns"><section class="key" id="key">',
        "<h2>RAGG key</h2>",
        _key_table(),
        *(f'<p class="note">{_e(words)}</p>' for words in key_notes(paper)),
        f'<p class="note">Data confidence — {_e(confidence)}.</p>',
        "</section>",
        '<section class="counts" id="counts">',
        "<h2>Measures by priority</h2>",
        _summary_table(summary),
        "</section></div>",
        "</header>",
        '<section class="overview part" id="overview"><div class="columns">',
        "<section><h2>Sign-off by Head of Service</h2>",
        _signoff_table(summary),
        "</section><section>",
    ]
    if chart and summary.rows:
        png = base64.b64encode(ragg_chart(summary)).decode("ascii")
        alt = (
            f"Bar chart of RAGG counts per priority for {summary.quarter}; the same figures "
            "are in the table of measures by priority."
        )
        parts.append(
            f'<h2>RAGG by priority</h2><figure class="chart"><img src="data:image/png;base64,'
            f'{png}" width="1200" height="600" alt="{_e(alt)}"></figure>'
        )
    parts.append("</section></div></section>")
    return "\n".join(parts)


def _exception_trend(paper: Paper, row: StatusRow) -> str:
    points = paper.trend(row)
    heads = "".join(f'<th scope="col" class="num">{_e(p.quarter.label)}</th>' for p in points)
    cells = "".join(f'<td class="num">{_e(p.words)}</td>' for p in points)
    return (
        '<table class="history"><caption class="note">The last five quarters</caption>'
        f"<thead><tr>{heads}</tr></thead><tbody><tr>{cells}</tr></tbody></table>"
    )


def _actions_section(paper: Paper) -> str:
    """The previous quarter's tracked actions, followed up: owner by name, due date and
    progress (with the reason when dropped)."""
    parts = [
        '<section class="actions part" id="actions">',
        f"<h2>{_e(ACTIONS_HEADING)} ({_e(paper.actions_from)})</h2>",
        f'<p class="note">{_e(actions_intro(paper))}</p>',
    ]
    if paper.actions:
        parts += [
            '<table class="actions"><colgroup><col class="ref"><col class="title">'
            '<col class="period"><col class="text"><col class="owner"><col class="due">'
            '<col class="progress"></colgroup>',
            _head(ACTION_HEADERS),
            "<tbody>",
        ]
        for action in paper.actions:
            progress = action_progress(action, paper.produced)
            parts.append(
                f'<tr><th scope="row">{_e(action.ref)}</th><td>{_e(action.title)}</td>'
                f"<td>{_e(action.period)}</td>"
                f'<td class="text">{_e(action.text)}</td><td>{_e(action_owner(action))}</td>'
                f'<td class="due">{_e(_short_date(action.due))}</td>'
                f'<td class="progress progress-{_e(action.progress)}'
                f'{" overdue" if action.overdue(paper.produced) else ""}">{_e(progress)}</td></tr>'
            )
        parts.append("</tbody></table>")
    parts.append("</section>")
    return "\n".join(parts)


def _short_date(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def board_html(paper: Paper, *, chart: bool = True) -> str:
    """The paper as one self-contained page: the cover with the key, every measure by
    priority and aim, and one exception report per Red (and Amber, where asked) measure, each
    starting a new page when printed. With `chart`, the RAGG chart is a PNG data URI."""
    summary = paper.summary
    heading = f"{paper.title} — {paper.audience}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en-GB">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="generator" content="pmf-bot">',
        f"<title>{_e(heading)}</title>",
        f"<style>\n{_CSS}\n</style>",
        "</head>",
        "<body>",
        _cover(paper, chart=chart),
        "<main>",
    ]
    if not summary.rows:
        parts.append("<p>There are no measures in the register for this paper.</p>")
    for number, (priority, aims) in enumerate(paper.sections()):
        parts.append(
            f'<section class="priority{" part" if number == 0 else ""}"><h2>{_e(priority)}</h2>'
        )
        for aim, rows in aims:
            parts.append(f'<section class="aim"><h3>{_e(aim)}</h3>')
            parts.append(_measures_table(paper, rows))
            parts.append("</section>")
        parts.append("</section>")
    parts.append(_actions_section(paper))
    for row in summary.exceptions:
        section = _exception_section(row)
        closing = "</section>"
        about = (
            f'<p class="about">Head of Service: {_e(owner(row.measure))} · '
            f"{_e(polarity_words(row.measure))} · Direction of travel: {_e(direction_words(row))}"
            f" · Data confidence: {_e(confidence_words(row.measure))}</p>"
        )
        parts.append(section[: -len(closing)] + about + _exception_trend(paper, row) + closing)
    parts += ["</main>", "</body>", "</html>"]
    return "\n".join(parts) + "\n"


# ---------------------------------------------------------------------------- by file name


def write_board(paper: Paper, out: Path) -> None:
    """Write the committee paper as `.xlsx` or `.html`, chosen by the file name."""
    suffix = out.suffix.lower()
    if suffix == ".xlsx":
        board_workbook(paper, out)
    elif suffix == ".html":
        out.write_text(board_html(paper), encoding="utf-8")
    else:
        raise ValueError(
            f"Cannot write the Performance Board to '{out.name}': "
            "the file name must end in .xlsx (Excel) or .html (web page for printing)."
        )
