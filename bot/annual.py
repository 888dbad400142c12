"""The annual outturn report (seed 000; seed 001 §3.10): the year's results per measure.

For each measure: its annual target, its outturn — the year-end figure, i.e. the figure of
the measure's period that ends with the year (the year itself for an annual measure, H2 for a
half-yearly one, Q4 for a quarterly one, March for a monthly one; for a year-to-date measure
that is the whole year's total) — its RAGG status against the annual target, its direction
against the year before (the same period a year earlier) and the collector's commentary. Per
priority, the counts; and the RAGG chart. These are exactly the figures "as at Q4" (the same
rule as every other report), framed as the year's outturn.

Officers' and register text is always text: escaped in the page, a string cell in the workbook.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import Engine

from bot.chart import RAGG_COLOURS, ragg_chart, text_colour
from bot.paper import annual_target_words
from bot.periods import Period, PeriodKind
from bot.ragg import Direction, Ragg
from bot.status import StatusRow
from bot.summary import ORDER, Summary, Tally, measures_only

_DIRECTION = {
    Direction.IMPROVING: "Improved",
    Direction.DECLINING: "Declined",
    Direction.SAME: "No change",
}
HEADERS = (
    "Priority",
    "Ref",
    "Measure",
    "Head of Service",
    "Annual target",
    "Outturn",
    "Outturn period",
    "RAGG",
    "Against last year",
    "Commentary",
)


@dataclass(frozen=True)
class OutturnRow:
    row: StatusRow

    @property
    def annual_target(self) -> str:
        return annual_target_words(self.row)

    @property
    def outturn(self) -> str:
        if self.row.value is None:
            return "not yet reported" if self.row.reason is None else self.row.reason
        return self.row.shown_value

    @property
    def status_word(self) -> str:
        return self.row.status.word

    @property
    def against_last_year(self) -> str:
        found = self.row.direction_year
        if found is None:
            return "no figure for last year"
        return f"{_DIRECTION[found]} on {self.row.period.year_earlier()}"


@dataclass(frozen=True)
class AnnualReport:
    council: str
    year: Period
    summary: Summary  # as at the year's last quarter
    produced: date

    @property
    def rows(self) -> list[OutturnRow]:
        return [OutturnRow(row) for row in self.summary.rows]

    @property
    def outstanding(self) -> int:
        """Measures with no approved outturn yet (the report is then a draft)."""
        return sum(1 for row in self.summary.rows if row.status is Ragg.NONE)


def year_of(text: str) -> Period:
    """A financial year as '2025-26' (or any spelling periods accept); ValueError otherwise."""
    from bot.periods import PeriodError

    try:
        found = Period.parse(text)
    except PeriodError as error:
        raise ValueError(f"'{text}' is not a financial year: {error}") from None
    if found.kind is not PeriodKind.YEAR:
        raise ValueError(f"'{text}' is not a financial year: write it like 2025-26.")
    return found


def annual_report(engine: Engine, year: Period, *, today: date) -> AnnualReport:
    from bot import services, summaries

    council = services.council_info(engine)
    last_quarter = Period(PeriodKind.QUARTER, year.fy, 4)
    # Projects have milestones, not an outturn against an annual target: not in this report.
    whole = measures_only(summaries.summary(engine, council, last_quarter, today=today))
    return AnnualReport(council=council.name, year=year, summary=whole, produced=today)


def _title(report: AnnualReport) -> str:
    return f"{report.council} — annual outturn report {report.year}"


def _chart(report: AnnualReport) -> bytes:
    return ragg_chart(report.summary, title=f"{report.council} — {report.year} outturn by priority")


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _name(tally: Tally) -> str:
    return "Whole council" if tally.code == "ALL" else f"{tally.code} {tally.name}".strip()


def _counts(tally: Tally) -> list[int]:
    return [tally.counts.get(status, 0) for status in ORDER]


_CSS = """
@page { size: A4 landscape; margin: 12mm; }
body { font-family: Arial, Helvetica, sans-serif; color: #0b0c0c; margin: 20px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 22px 0 8px; }
p.meta { color: #444; margin: 0 0 14px; } p.draft { color: #8a1c1c; font-weight: bold; }
table { border-collapse: collapse; width: 100%; font-size: 12px; margin-bottom: 12px; }
th, td { border: 1px solid #777; padding: 4px 6px; vertical-align: top; text-align: left; }
th { background: #eef1f5; } td.n { text-align: right; white-space: nowrap; }
tr { break-inside: avoid; page-break-inside: avoid; }
img.chart { max-width: 100%; height: auto; break-inside: avoid; }
section.measures { break-before: page; page-break-before: always; }
"""


def _ragg_cell(status: Ragg, word: str) -> str:
    colour = RAGG_COLOURS.get(status)
    if colour is None:
        return f"<td>{_e(word)}</td>"
    return (
        f'<td style="background:#{colour};color:#{text_colour(colour)};font-weight:bold">'
        f"{_e(word)}</td>"
    )


def annual_html(report: AnnualReport, *, chart: bool = True) -> str:
    """One self-contained page for print on A4 landscape."""
    counts_head = "".join(f"<th>{_e(s.word)}</th>" for s in ORDER)
    tallies = [*report.summary.priorities, report.summary.overall]
    count_rows = "".join(
        f"<tr><td>{_e(_name(t))}</td>"
        + "".join(f'<td class="n">{n}</td>' for n in _counts(t))
        + "</tr>"
        for t in tallies
    )
    measure_rows = []
    for item in report.rows:
        row = item.row
        measure = row.measure
        measure_rows.append(
            "<tr>"
            f"<td>{_e(measure.priority)}</td><td>{_e(measure.ref)}</td>"
            f"<td>{_e(measure.title)}</td>"
            f"<td>{_e(measure.head_of_service_name or '')}</td>"
            f'<td class="n">{_e(item.annual_target)}</td>'
            f'<td class="n">{_e(item.outturn)}</td><td>{_e(row.period)}</td>'
            f"{_ragg_cell(row.status, item.status_word)}"
            f"<td>{_e(item.against_last_year)}</td>"
            f"<td>{_e(row.commentary or '')}</td>"
            "</tr>"
        )
    picture = ""
    if chart:
        encoded = base64.b64encode(_chart(report)).decode("ascii")
        picture = (
            f'<img class="chart" alt="RAGG outturn by priority" '
            f'src="data:image/png;base64,{encoded}">'
        )
    draft = (
        f'<p class="draft">Draft: {report.outstanding} measure'
        f"{'' if report.outstanding == 1 else 's'} "
        "still without an approved year-end figure.</p>"
        if report.outstanding
        else ""
    )
    head = "".join(f"<th>{_e(h)}</th>" for h in HEADERS)
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>{_e(_title(report))}</title><style>{_CSS}</style></head><body>"
        f"<h1>{_e(_title(report))}</h1>"
        f'<p class="meta">The year\'s results for every measure against its annual target. '
        f"Produced {report.produced.day} {report.produced:%B %Y}. The outturn is each "
        "measure's year-end figure: the year itself, its second half, its last quarter or "
        "March, as the measure is reported.</p>"
        f"{draft}<h2>Results by priority</h2>"
        f"<table><tr><th>Priority</th>{counts_head}</tr>{count_rows}</table>{picture}"
        f'<section class="measures"><h2>Every measure</h2>'
        f"<table><tr>{head}</tr>{''.join(measure_rows)}</table></section>"
        "</body></html>"
    )


def annual_workbook(report: AnnualReport, out: Path) -> None:
    """Two sheets: the measures (numbers as numbers, RAGG fills) and the counts with the chart."""
    from io import BytesIO

    from openpyxl import Workbook
    from openpyxl.drawing.image import Image
    from openpyxl.styles import Alignment, Font, PatternFill

    from bot.safe_text import xlsx_cell

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Outturn"
    xlsx_cell(sheet.cell(row=1, column=1), _title(report)).font = Font(bold=True, size=14)
    if report.outstanding:
        note = f"Draft: {report.outstanding} measures still without an approved year-end figure."
        xlsx_cell(sheet.cell(row=2, column=1), note).font = Font(bold=True, color="8A1C1C")
    top = 4
    for column, header in enumerate(HEADERS, start=1):
        cell = xlsx_cell(sheet.cell(row=top, column=column), header)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="EEF1F5")
    for number, item in enumerate(report.rows, start=top + 1):
        row = item.row
        measure = row.measure
        values: Iterable[str | float] = (
            measure.priority,
            measure.ref,
            measure.title,
            measure.head_of_service_name or "",
            item.annual_target,
            item.outturn,
            str(row.period),
            item.status_word,
            item.against_last_year,
            row.commentary or "",
        )
        for column, value in enumerate(values, start=1):
            cell = xlsx_cell(sheet.cell(row=number, column=column), value)
            cell.alignment = Alignment(vertical="top", wrap_text=column in (3, 10))
        if row.value is not None:  # the outturn as a number, formatted as the measure is
            cell = sheet.cell(row=number, column=6)
            places = measure.decimals
            if measure.format.value == "percentage":
                cell.value = float(row.value) / 100
                cell.number_format = "0" + ("." + "0" * places if places else "") + "%"
            else:
                cell.value = float(row.value)
                pattern = "#,##0" + ("." + "0" * places if places else "")
                cell.number_format = ("£" if measure.format.value == "currency" else "") + pattern
        colour = RAGG_COLOURS.get(row.status)
        if colour:
            status_cell = sheet.cell(row=number, column=8)
            status_cell.fill = PatternFill("solid", fgColor=colour)
            status_cell.font = Font(bold=True, color=text_colour(colour))
    for column, width in enumerate((10, 8, 44, 18, 14, 14, 13, 9, 24, 60), start=1):
        sheet.column_dimensions[chr(64 + column)].width = width
    sheet.freeze_panes = f"A{top + 1}"
    sheet.auto_filter.ref = f"A{top}:J{top + len(report.rows)}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    if sheet.sheet_properties.pageSetUpPr is not None:
        sheet.sheet_properties.pageSetUpPr.fitToPage = True

    counts = book.create_sheet("By priority")
    for column, header in enumerate(("Priority", *(s.word for s in ORDER)), start=1):
        xlsx_cell(counts.cell(row=1, column=column), header).font = Font(bold=True)
    tallies = [*report.summary.priorities, report.summary.overall]
    for number, tally in enumerate(tallies, start=2):
        xlsx_cell(counts.cell(row=number, column=1), _name(tally))
        for column, count in enumerate(_counts(tally), start=2):
            counts.cell(row=number, column=column, value=count)
    counts.column_dimensions["A"].width = 40
    picture = Image(BytesIO(_chart(report)))
    picture.width, picture.height = 900, 450
    counts.add_image(picture, f"A{len(tallies) + 3}")
    book.save(out)


def write_annual(report: AnnualReport, out: Path) -> None:
    suffix = out.suffix.lower()
    if suffix == ".html":
        out.write_text(annual_html(report), encoding="utf-8")
    elif suffix == ".xlsx":
        annual_workbook(report, out)
    else:
        raise ValueError(
            f"Cannot write '{out.name}': name the file .html (a printable page) or .xlsx (Excel)."
        )
