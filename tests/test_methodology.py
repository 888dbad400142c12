"""Methodology statements (seed 002 Appendix 2): the register's new fields, `register check`
and `export methodology`, through the real `pmf-bot` command on SQLite and PostgreSQL."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import yaml
from openpyxl import load_workbook

from tests.conftest import ADMIN, EXAMPLES, Cli


def _import(cli: Cli, register: Path) -> None:
    done = cli("import", "register", str(register), "--by", ADMIN)
    assert done.code == 0, done.err + done.out


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.tags and self.tags[-1] == tag:
            self.tags.pop()

    def handle_data(self, data: str) -> None:
        if "style" not in self.tags:  # the page's own CSS has @page
            self.parts.append(data)


def test_the_statement_is_printed_in_the_forms_layout_with_names_not_emails(
    cli: Cli, tmp_path: Path
) -> None:
    _import(cli, EXAMPLES / "register.yaml")
    page = tmp_path / "SE1.1.html"
    done = cli("export", "methodology", "se1.1", "--out", str(page), "--today", "2026-05-01")
    assert done.code == 0, done.err
    assert "Wrote 1 methodology statement" in done.out
    parser = _Text()
    parser.feed(page.read_text(encoding="utf-8"))
    text = " ".join(" ".join(parser.parts).split())
    labels = [
        "Measure and reference",
        "Summary of measure",
        "Collection interval",
        "Reporting lag",
        "Definition of measure",
        "Return format",
        "Planned targets",
        "Summary of measurement (worked example)",
        "Data collector",
        "Data source",
        "Quality assurance",
        "Confidence level",
        "Data reviewer",
        "Head of Service",
        "Strategic lead",
    ]
    positions = [text.index(label) for label in labels]
    assert positions == sorted(positions)  # the form's order
    assert "SE1.1 — Reduction in the council's own CO2 emissions" in text
    assert "Reported quarterly" in text
    assert "Calculated within 10 working days of the period end" in text
    assert "Percentage, to 1 decimal place" in text
    assert "2025-26: 30.0%" in text and "2026-27: 35.0%" in text
    assert "Amber — collected by hand" in text
    assert "Jane Doe" in text and "Helen Carter" in text and "Alex Morgan" in text
    assert "@" not in text  # people by name, never by e-mail
    assert "Still to complete" not in text  # SE1.1 is complete in the example
    assert "Produced 1 May 2026" in text


def test_every_statement_to_a_workbook_keeps_text_as_text(cli: Cli, tmp_path: Path) -> None:
    register = yaml.safe_load((EXAMPLES / "register.yaml").read_text(encoding="utf-8"))
    measure = register["priorities"][0]["aims"][0]["measures"][1]
    measure["purpose"] = '=HYPERLINK("https://evil.example","Click")'
    changed = tmp_path / "register.yaml"
    changed.write_text(yaml.safe_dump(register, sort_keys=False), encoding="utf-8")
    _import(cli, changed)
    book_path = tmp_path / "statements.xlsx"
    done = cli("export", "methodology", "--out", str(book_path))
    assert done.code == 0, done.err
    book = load_workbook(book_path)
    assert book.sheetnames[:2] == ["SE1.1", measure["ref"]]
    sheet = book[measure["ref"]]
    rows = {
        sheet.cell(row=number, column=1).value: sheet.cell(row=number, column=2)
        for number in range(3, sheet.max_row + 1)
    }
    purpose = rows["Summary of measure"]
    # text, never a live formula: a string cell, kept text by Excel's quote prefix
    assert (purpose.value, purpose.data_type, purpose.quotePrefix) == (
        measure["purpose"],
        "s",
        True,
    )
    assert rows["Strategic lead"].value == "Not recorded yet"
    notes = [
        str(sheet.cell(row=number, column=1).value)
        for number in range(1, sheet.max_row + 1)
        if str(sheet.cell(row=number, column=1).value or "").startswith("Still to complete")
    ]
    assert notes and "Strategic lead" in notes[0] and "Quality assurance" in notes[0]


def test_register_check_lists_the_gaps_measure_by_measure(cli: Cli) -> None:
    _import(cli, EXAMPLES / "register.yaml")
    done = cli("register", "check")
    assert done.code == 0, done.err
    lines = done.out.splitlines()
    assert not any(line.startswith("SE1.1 ") for line in lines)  # complete
    se12 = next(line for line in lines if line.startswith("SE1.2 "))
    assert "missing Summary of measure" in se12
    assert "Strategic lead" in se12
    assert "Confidence level" not in se12  # the example gives SE1.2's confidence
    assert any(
        line.endswith("still have gaps; add the fields to the register and import it again.")
        for line in lines
    )


def test_a_strategic_lead_must_be_a_valid_address_and_changes_are_audited(
    cli: Cli, tmp_path: Path
) -> None:
    register = yaml.safe_load((EXAMPLES / "register.yaml").read_text(encoding="utf-8"))
    register["priorities"][0]["aims"][0]["measures"][0]["strategic_lead"] = "not an address"
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(register, sort_keys=False), encoding="utf-8")
    done = cli("import", "register", str(bad), "--by", ADMIN)
    assert done.code != 0
    assert "strategic_lead" in done.err + done.out
    assert "Traceback" not in done.err

    _import(cli, EXAMPLES / "register.yaml")
    register["priorities"][0]["aims"][0]["measures"][0]["strategic_lead"] = (
        "hos.environment@example.gov.uk"
    )
    changed = tmp_path / "changed.yaml"
    changed.write_text(yaml.safe_dump(register, sort_keys=False), encoding="utf-8")
    done = cli("import", "register", str(changed), "--by", ADMIN)
    assert done.code == 0, done.err
    assert "1 updated" in done.out
    trail = tmp_path / "audit.csv"
    done = cli("audit", "export", "--out", str(trail))
    assert done.code == 0, done.err
    assert "hos.environment@example.gov.uk" in trail.read_text(encoding="utf-8")
    page = tmp_path / "se.html"
    assert cli("export", "methodology", "SE1.1", "--out", str(page)).code == 0
    assert "Helen Carter" in page.read_text(encoding="utf-8").split("Strategic lead")[1]


def test_export_methodology_refuses_kindly(cli: Cli, tmp_path: Path) -> None:
    done = cli("export", "methodology", "--out", str(tmp_path / "x.html"))
    assert done.code != 0 and "import it first" in done.err + done.out
    _import(cli, EXAMPLES / "register.yaml")
    done = cli("export", "methodology", "XX9", "--out", str(tmp_path / "x.html"))
    assert done.code != 0 and "no measure 'XX9'" in done.err + done.out
    done = cli("export", "methodology", "--out", str(tmp_path / "x.pdf"))
    assert done.code != 0 and ".html" in done.err + done.out
    assert "Traceback" not in done.err


def test_status_of_a_measure_shows_its_data_confidence(cli: Cli) -> None:
    _import(cli, EXAMPLES / "register.yaml")
    done = cli("status", "SE1.1", "--today", "2026-05-01")
    assert done.code == 0, done.err
    assert "Data confidence: Amber — collected by hand, for example in a spreadsheet" in done.out
