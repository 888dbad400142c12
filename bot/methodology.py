"""Methodology statements (seed 002 §8 and Appendix 2), printable, and the gaps in them.

Every Council Plan measure has a methodology statement recording how it is defined, collected,
checked and reported, with a confidence level for the method of collection. The register holds
the statement field by field; here it is laid out as the framework's form — one table per
measure, in the form's order — for a printable page or a workbook, and `gaps` lists the fields
a statement still lacks (the Performance & Policy Officer reviews every statement, §8).

Officers' and register text is always text: escaped in the page, a string cell in the workbook.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bot.chart import RAGG_COLOURS, text_colour
from bot.measures import MeasureInfo
from bot.periods import Interval
from bot.ragg import Ragg
from bot.register import Format
from bot.safe_text import xlsx_cell

NOT_RECORDED = "Not recorded yet"

_INTERVAL_WORDS = {
    Interval.MONTHLY: "monthly",
    Interval.QUARTERLY: "quarterly",
    Interval.BIANNUAL: "half-yearly",
    Interval.ANNUAL: "annually",
}
_FORMAT_WORDS = {
    Format.PERCENTAGE: "Percentage",
    Format.NUMBER: "Number",
    Format.CURRENCY: "Pounds (£)",
}
# The statement's fields that the register may leave out, with the words the form uses.
GAP_FIELDS = (
    ("purpose", "Summary of measure"),
    ("worked_example", "Summary of measurement (worked example)"),
    ("data_source", "Data source"),
    ("quality_assurance", "Quality assurance"),
    ("confidence", "Confidence level"),
    ("strategic_lead_name", "Strategic lead"),
)


@dataclass(frozen=True)
class Statement:
    ref: str
    title: str
    rows: tuple[tuple[str, str], ...]  # (field as the form names it, what it says)
    confidence: str | None  # green / amber / red, for the colour beside the words
    gaps: tuple[str, ...]


def gaps(measure: MeasureInfo) -> list[str]:
    """The statement fields the register does not yet give for `measure`, in the form's order."""
    missing = [words for name, words in GAP_FIELDS if not getattr(measure, name)]
    if not measure.targets:
        missing.append("Planned targets")
    return missing


def _targets(measure: MeasureInfo) -> str:
    if not measure.targets:
        return NOT_RECORDED
    parts = []
    for period in sorted(measure.targets):
        parts.append(f"{period.label}: {measure.format_target(measure.targets[period])}")
    return "; ".join(parts)


def statement(measure: MeasureInfo) -> Statement:
    """The methodology statement of one measure, laid out as seed 002 Appendix 2."""

    def said(text: str | None) -> str:
        return text if text else NOT_RECORDED

    places = measure.decimals
    lag = measure.reporting_lag
    source = said(measure.data_source)
    rows = (
        ("Measure and reference", f"{measure.ref} — {measure.title}"),
        ("Council Plan priority", measure.priority_name or measure.priority),
        ("Aim", measure.aim_title or measure.aim),
        ("Summary of measure", said(measure.purpose)),
        ("Collection interval", f"Reported {_INTERVAL_WORDS[measure.interval]}"),
        (
            "Reporting lag",
            f"Calculated within {lag} working day{'' if lag == 1 else 's'} of the period end",
        ),
        ("Definition of measure", said(measure.definition)),
        (
            "Return format",
            f"{_FORMAT_WORDS[measure.format]}, to {places} decimal place"
            f"{'' if places == 1 else 's'}"
            + (" (year to date)" if measure.rule.cumulative else ""),
        ),
        ("Planned targets", _targets(measure)),
        ("Good performance is", "higher" if measure.polarity.value == "higher" else "lower"),
        ("Summary of measurement (worked example)", said(measure.worked_example)),
        ("Data collector", said(measure.collector_name)),
        ("Data source", source),
        ("Quality assurance", said(measure.quality_assurance)),
        ("Confidence level", measure.confidence_words or NOT_RECORDED),
        ("Data reviewer", said(measure.reviewer_name)),
        ("Head of Service", said(measure.head_of_service_name)),
        ("Strategic lead", said(measure.strategic_lead_name)),
    )
    return Statement(
        ref=measure.ref,
        title=measure.title,
        rows=rows,
        confidence=measure.confidence,
        gaps=tuple(gaps(measure)),
    )


def statements(measures: Mapping[str, MeasureInfo], ref: str | None = None) -> list[Statement]:
    """Every statement in register order, or the one for `ref` (any case); KeyError if unknown.
    Projects have milestones, not a methodology statement, and are left out."""
    measures = {key: item for key, item in measures.items() if not item.is_project}
    if ref is None:
        return [statement(measure) for measure in measures.values()]
    wanted = ref.strip().upper()
    for key, measure in measures.items():
        if key.upper() == wanted:
            return [statement(measure)]
    raise KeyError(ref)


# -- the printable page ------------------------------------------------------------------------

# Confidence levels are painted in the RAGG palette the paper and the chart use.
_CONFIDENCE_FILL = {
    level: f"#{RAGG_COLOURS[status]}"
    for level, status in (("green", Ragg.GREEN), ("amber", Ragg.AMBER), ("red", Ragg.RED))
}

_CSS = """
@page { size: A4 portrait; margin: 15mm; }
body { font-family: Arial, Helvetica, sans-serif; color: #111; margin: 24px; }
h1 { font-size: 22px; margin: 0 0 4px; }
p.meta { color: #444; margin: 0 0 18px; }
section { break-inside: avoid; page-break-inside: avoid; margin: 0 0 28px; }
section + section { break-before: page; page-break-before: always; }
h2 { font-size: 17px; margin: 0 0 8px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { border: 1px solid #777; padding: 6px 8px; vertical-align: top; text-align: left; }
th { width: 28%; background: #eef1f5; font-weight: bold; }
td.missing { color: #8a1c1c; font-style: italic; }
span.level { display: inline-block; width: 12px; height: 12px; border-radius: 2px;
  margin-right: 6px; vertical-align: -1px; border: 1px solid #555; }
p.gaps { color: #8a1c1c; font-size: 13px; margin: 6px 0 0; }
@media screen { section + section { border-top: 2px solid #ccd; padding-top: 20px; } }
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def statements_html(council: str, found: Iterable[Statement], produced: date) -> str:
    """One self-contained page: a statement per measure, each starting a printed page."""
    sections = []
    for item in found:
        rows = []
        for label, value in item.rows:
            css = ' class="missing"' if value == NOT_RECORDED else ""
            shown = _e(value)
            if label == "Confidence level" and item.confidence in _CONFIDENCE_FILL:
                colour = _CONFIDENCE_FILL[item.confidence]
                shown = f'<span class="level" style="background:{colour}"></span>{shown}'
            rows.append(f"<tr><th scope=row>{_e(label)}</th><td{css}>{shown}</td></tr>")
        gap_line = (
            f'<p class="gaps">Still to complete: {_e(", ".join(item.gaps))}.</p>'
            if item.gaps
            else ""
        )
        sections.append(
            f"<section><h2>{_e(item.ref)} — {_e(item.title)}</h2>"
            f"<table>{''.join(rows)}</table>{gap_line}</section>"
        )
    heading = f"{_e(council)} — methodology statements"
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>{heading}</title><style>{_CSS}</style></head><body>"
        f"<h1>{heading}</h1><p class=meta>Produced {produced.day} "
        f"{produced.strftime('%B %Y')}. One statement per measure, as the Performance "
        "Management Framework's methodology statement form.</p>"
        f"{''.join(sections)}</body></html>"
    )


def statements_workbook(council: str, found: Iterable[Statement], out: Path) -> None:
    """A workbook: one sheet per measure, laid out as the form, text kept as text."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    label_fill = PatternFill("solid", fgColor="EEF1F5")
    for item in found:
        sheet = book.create_sheet(title=item.ref[:31])
        sheet.column_dimensions["A"].width = 34
        sheet.column_dimensions["B"].width = 90
        top = xlsx_cell(sheet.cell(row=1, column=1), f"{council} — methodology statement")
        top.font = Font(bold=True, size=14)
        for number, (label, value) in enumerate(item.rows, start=3):
            head = xlsx_cell(sheet.cell(row=number, column=1), label)
            head.font = Font(bold=True)
            head.fill = label_fill
            head.alignment = Alignment(vertical="top", wrap_text=True)
            cell = xlsx_cell(sheet.cell(row=number, column=2), value)
            cell.alignment = Alignment(vertical="top", wrap_text=True)
            if label == "Confidence level" and item.confidence in _CONFIDENCE_FILL:
                colour = _CONFIDENCE_FILL[item.confidence].lstrip("#").upper()
                cell.fill = PatternFill("solid", fgColor=colour)
                cell.font = Font(color=text_colour(colour))
        if item.gaps:
            last = len(item.rows) + 4
            note = xlsx_cell(
                sheet.cell(row=last, column=1), "Still to complete: " + ", ".join(item.gaps)
            )
            note.font = Font(italic=True, color="8A1C1C")
        sheet.page_setup.orientation = "portrait"
        sheet.page_setup.fitToWidth = 1
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
    if not book.sheetnames:
        book.create_sheet(title="No measures")
    book.save(out)


def write_statements(council: str, found: list[Statement], out: Path, produced: date) -> None:
    """Write the statements as FILE.html or FILE.xlsx; ValueError for any other ending."""
    suffix = out.suffix.lower()
    if suffix == ".html":
        out.write_text(statements_html(council, found, produced), encoding="utf-8")
    elif suffix == ".xlsx":
        statements_workbook(council, found, out)
    else:
        raise ValueError(
            f"Cannot write '{out.name}': name the file .html (a printable page) or .xlsx (Excel)."
        )
