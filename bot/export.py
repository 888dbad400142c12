"""The Performance Board and exception reports for committee papers (PRODUCT §8).

Seed 001 §3.7–3.8: progress against every measure is captured in a Performance Board within
three weeks of the quarter's end and reported to the committees. Seed 002 §6.1.8 and
Appendix 1: every under-performing (Red) measure — and Amber too where the council's register
asks for it — needs an exception report with its priority, aim, definition, baseline,
benchmarking, out turn against target, the quarterly overview and the actions to improve
performance. People are named, never shown by e-mail.

Two forms from one `Summary`: an Excel workbook (`board_workbook`) for officers who edit the
papers, and a printable, self-contained HTML page (`board_html`) for A4 landscape print or PDF.
Colour is never the only signal: each RAGG status is written as a word beside its colour.
Officers' and register text is always text: a string cell in the workbook (commentary such as
`=HYPERLINK(…)` is never a formula), escaped HTML in the page.
"""

from __future__ import annotations

import base64
import html
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.chart import RAGG_COLOURS, ragg_chart, text_colour
from bot.ragg import Direction, Ragg
from bot.safe_text import xlsx_cell
from bot.status import StatusRow
from bot.summary import ORDER, SignOffState, Summary, Tally, committee_words
from bot.text import restated_words

if TYPE_CHECKING:
    from openpyxl.cell.cell import Cell
    from openpyxl.worksheet.worksheet import Worksheet

BOARD_SHEET = "Performance Board"
SUMMARY_SHEET = "Summary"
HEADERS = (
    "Priority",
    "Aim",
    "Ref",
    "Measure",
    "Committee",
    "Period",
    "Target",
    "Value",
    "RAGG",
    "Committee view",
    "Direction",
    "Direction (year)",
    "State",
    "Note",
)
WIDTHS = (26, 42, 8, 46, 11, 12, 16, 16, 10, 15, 12, 15, 24, 40)
WRAPPED = {"Aim", "Measure", "Note"}
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


def _direction(direction: Direction | None) -> str:
    return "—" if direction is None else _DIRECTION_WORDS[direction]


def _with_code(code: str, words: str) -> str:
    return f"{code} {words}".strip()


def board_cells(row: StatusRow) -> list[str]:
    """One Performance Board row, as words, in the order of `HEADERS`."""
    measure = row.measure
    return [
        _with_code(measure.priority, measure.priority_name),
        _with_code(measure.aim, measure.aim_title),
        measure.ref,
        measure.title,
        measure.committee or "",
        row.period.label,
        row.shown_target,
        row.shown_value,
        row.status.word,
        committee_words(row.committee).capitalize(),
        _direction(row.direction),
        _direction(row.direction_year),
        row.state.words.capitalize(),
        note(row),
    ]


def note(row: StatusRow) -> str:
    """Why a row is Grey or missing data, and whether it was restated since publication."""
    parts = [row.reason.capitalize()] if row.reason else []
    if row.measure.rule.cumulative and row.direction_year is not None:
        parts.append("Year to date: direction compares with the same period last year")
    if row.restated is not None:
        parts.append(restated_words(row))
    return ". ".join(parts)


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
        (f"{year} Out turn{cumulative}", f"{row.shown_value}{when}"),
        (f"{year} Target", f"{row.shown_target}{when}"),
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


def board_workbook(summary: Summary, out: Path) -> None:
    """Write the Performance Board, the summary and one exception report per Red measure."""
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

    workbook = Workbook()
    workbook.properties.title = title(summary)
    workbook.properties.creator = "pmf-bot"
    workbook.properties.lastModifiedBy = "pmf-bot"
    board = workbook.active
    assert isinstance(board, Worksheet)
    board.title = BOARD_SHEET
    _fill_board(board, summary)
    _fill_summary(workbook.create_sheet(SUMMARY_SHEET), summary)
    for row in summary.exceptions:
        name = exception_sheet_name(row.measure.ref, workbook.sheetnames)
        _fill_exception(workbook.create_sheet(name), row)
    workbook.save(out)


def _put(sheet: Worksheet, row: int, column: int, value: str | int, **style: Any) -> Cell:
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


def _fill_board(sheet: Worksheet, summary: Summary) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    _put(
        sheet,
        1,
        1,
        f"{summary.council} — Performance Board {summary.quarter} — "
        f"board date {_long_date(summary.board_date)}{published_words(summary)}"
        f"{approval_words(summary)}",
        font=Font(bold=True, size=14),
    )
    header_fill = PatternFill(fill_type="solid", start_color="FFF3F2F1", end_color="FFF3F2F1")
    top_wrapped = Alignment(wrap_text=True, vertical="top")
    top = Alignment(vertical="top")
    for column, (header, width) in enumerate(zip(HEADERS, WIDTHS, strict=True), start=1):
        _put(
            sheet, 2, column, header, font=Font(bold=True), fill=header_fill, alignment=top_wrapped
        )
        sheet.column_dimensions[get_column_letter(column)].width = width
    ragg_column = HEADERS.index("RAGG") + 1
    for number, row in enumerate(summary.rows, start=3):
        for column, value in enumerate(board_cells(row), start=1):
            cell = _put(
                sheet,
                number,
                column,
                value,
                alignment=top_wrapped if HEADERS[column - 1] in WRAPPED else top,
            )
            if column == ragg_column:
                _paint(cell, row.status)
    last = 2 + len(summary.rows)
    sheet.freeze_panes = "A3"
    sheet.auto_filter.ref = f"A2:{get_column_letter(len(HEADERS))}{last}"
    _print_setup(sheet, title_rows="2:2")


def _fill_summary(sheet: Worksheet, summary: Summary) -> None:
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    bold = Font(bold=True)
    _put(
        sheet, 1, 1, f"{summary.council} — summary {summary.quarter}", font=Font(bold=True, size=14)
    )
    _put(
        sheet,
        2,
        1,
        f"Performance Board date {_long_date(summary.board_date)}. Committee view (seed 002 "
        "§6.1.7): Amber and Grey are on target, Red is off target; missing data is separate.",
    )
    for column, header in enumerate(SUMMARY_HEADERS, start=1):
        cell = _put(sheet, 4, column, header, font=bold)
        if 3 <= column < 3 + len(ORDER):
            _paint(cell, ORDER[column - 3])
    number = 5
    for tally in [*summary.priorities, summary.overall]:
        cells = tally_cells(tally)
        overall = tally is summary.overall
        if overall:
            cells[0] = "All"
        for column, value in enumerate(cells, start=1):
            _put(sheet, number, column, value, **({"font": bold} if overall else {}))
        number += 1

    number += 1
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
        sheet.column_dimensions[get_column_letter(column)].width = width
    for cells_in_row in sheet.iter_rows(min_row=4):
        for any_cell in cells_in_row:
            any_cell.alignment = Alignment(vertical="top", wrap_text=True)
    _print_setup(sheet)


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
@page { size: A4 landscape; margin: 12mm; }
* { box-sizing: border-box; }
body { font-family: Arial, Helvetica, sans-serif; font-size: 11pt; color: #0b0c0c;
  margin: 1.5rem; line-height: 1.35; }
h1 { font-size: 20pt; margin: 0 0 .25rem; }
h2 { font-size: 15pt; margin: 1.5rem 0 .5rem; }
p.lead { margin: 0 0 1rem; }
table { border-collapse: collapse; width: 100%; margin-bottom: 1rem; }
th, td { border: 1px solid #b1b4b6; padding: 4px 6px; text-align: left; vertical-align: top; }
thead th { background: #f3f2f1; }
td.num, th.num { text-align: right; }
.ragg { font-weight: bold; white-space: nowrap; }
.ragg-red { background: #d4351c; color: #ffffff; }
.ragg-amber { background: #f47738; color: #0b0c0c; }
.ragg-green { background: #00703c; color: #ffffff; }
.ragg-grey { background: #b1b4b6; color: #0b0c0c; }
.ragg-none { background: #ffffff; color: #0b0c0c; font-style: italic;
  outline: 2px dashed #0b0c0c; outline-offset: -4px; }
.text { white-space: pre-line; }
table.appendix th { width: 18%; background: #f3f2f1; }
table.appendix td { width: 32%; }
figure { margin: 0 0 1rem; }
figure img { max-width: 100%; height: auto; }
.exception { break-before: page; page-break-before: always; }
@media print {
  body { margin: 0; font-size: 9pt; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  thead { display: table-header-group; }
  tr, figure { break-inside: avoid; page-break-inside: avoid; }
  .board { break-before: page; page-break-before: always; }
  figure img { max-height: 120mm; width: auto; }
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


def _board_table(summary: Summary) -> str:
    if not summary.rows:
        return "<p>There are no measures in the register.</p>"
    ragg = HEADERS.index("RAGG")
    lines = ['<table class="board-table">', _head(HEADERS), "<tbody>"]
    for row in summary.rows:
        cells = board_cells(row)
        tds = [
            _ragg_td(row.status) if n == ragg else f"<td>{_e(value)}</td>"
            for n, value in enumerate(cells)
        ]
        lines.append(f'<tr id="row-{_e(row.measure.ref)}">{"".join(tds)}</tr>')
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


def board_html(summary: Summary, *, chart: bool = True) -> str:
    """A printable, self-contained HTML page: summary, sign-off, the Performance Board and one
    exception report per Red measure (each on a new page when printed). With `chart`, the RAGG
    chart is embedded as a PNG data URI."""
    heading = title(summary)
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
        "<header>",
        f"<h1>{_e(heading)}</h1>",
        f'<p class="lead">Performance Board date: {_e(_long_date(summary.board_date))}. '
        f"{len(summary.rows)} measures; {len(summary.exceptions)} with an exception report"
        f"{_e(published_words(summary))}{_e(approval_words(summary))}.</p>",
        "</header>",
        "<main>",
        '<section class="summary" id="summary">',
        "<h2>Summary by priority</h2>",
        "<p>Committee view (seed 002 §6.1.7): Amber and Grey are reported as on target, Red "
        "as off target; missing data is listed separately. On target % is the share of "
        "reported measures.</p>",
        _summary_table(summary),
    ]
    if chart:
        png = base64.b64encode(ragg_chart(summary)).decode("ascii")
        parts.append(
            f'<figure><img src="data:image/png;base64,{png}" width="1200" height="600" '
            f'alt="{_e(f"Bar chart of RAGG counts per priority for {summary.quarter}")}; the '
            'same figures are in the table above."></figure>'
        )
    parts += [
        "<h2>Sign-off by Head of Service</h2>",
        _signoff_table(summary),
        "</section>",
        '<section class="board" id="board">',
        f"<h2>Performance Board {_e(summary.quarter)}</h2>",
        _board_table(summary),
        "</section>",
        *(_exception_section(row) for row in summary.exceptions),
        "</main>",
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"


# ---------------------------------------------------------------------------- by file name


def write_board(summary: Summary, out: Path) -> None:
    """Write the Performance Board as `.xlsx` or `.html`, chosen by the file name."""
    suffix = out.suffix.lower()
    if suffix == ".xlsx":
        board_workbook(summary, out)
    elif suffix == ".html":
        out.write_text(board_html(summary), encoding="utf-8")
    else:
        raise ValueError(
            f"Cannot write the Performance Board to '{out.name}': "
            "the file name must end in .xlsx (Excel) or .html (web page for printing)."
        )
