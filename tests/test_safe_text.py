"""The chat-neutral text rules on their own (`bot.safe_text`): which addresses may be links,
and spreadsheet cells. Slack's rendering is in tests/test_render.py; the end-to-end checks
are in tests/test_slack_escaping.py, test_export.py and test_audit.py."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from bot.safe_text import csv_cell, link_problem, web_link, xlsx_cell


@pytest.mark.parametrize(
    "url",
    [
        "https://intranet.example.gov.uk/carbon/q2",
        "https://intranet/reports",
        "HTTPS://Example.GOV.UK/Reports?id=1&x=%20y#part",
        "https://example.gov.uk:8443/x",
        "",
    ],
)
def test_ordinary_https_addresses_are_accepted(url: str) -> None:
    assert link_problem(url) is None
    if url:
        checked = web_link(url)
        assert checked is not None and checked.url == url


def test_a_link_shows_the_site_as_a_browser_resolves_it() -> None:
    checked = web_link("https://Intranet.Example.GOV.uk/carbon/q2?a=1&b=2")
    assert checked is not None
    assert (checked.host, checked.label) == (
        "intranet.example.gov.uk",
        "Intranet.Example.GOV.uk/carbon/q2?a=1&b=2",
    )
    long = web_link("https://intranet.example.gov.uk/" + "x" * 100)
    assert long is not None and len(long.label) == 60 and long.label.endswith("x…")
    # A look-alike international name (a Cyrillic о): the site is shown in its xn-- form.
    lookalike = web_link("https://gоv.uk/guidance")
    assert lookalike is not None and lookalike.host == "xn--gv-fmc.uk"


@pytest.mark.parametrize(
    "url",
    [
        "http://example.gov.uk/",
        "ftp://example.gov.uk/",
        "example.gov.uk/report",
        "https://",
        "https://example.gov.uk/a|b",
        "https://example.gov.uk/<x>",
        "https://example.gov.uk/a b",
        "https://example.gov.uk/a\tb",
        "https://example.gov.uk/\u202egnp.exe",  # a right-to-left override
        "https://example.gov.uk\\@evil.example/",
        "https://user:pass@example.gov.uk/",
        "https://example.gov.uk:99999/",
        "https://" + "a" * 1000 + ".example/",
    ],
)
def test_addresses_that_could_mislead_are_refused(url: str) -> None:
    problem = link_problem(url)
    assert problem and problem.startswith("The evidence link")
    assert web_link(url) is None  # and one stored before the rule is never shown as a link


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        (
            '=HYPERLINK("https://evil.example","Click")',
            '\'=HYPERLINK("https://evil.example","Click")',
        ),
        ("+cmd", "'+cmd"),
        ("-cmd|' /C calc'!A0", "'-cmd|' /C calc'!A0"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("-", "'-"),
        ("Ordinary words", "Ordinary words"),
        ("", ""),
        ("-3.5", "-3.5"),  # a number written as text stays a number
        ("+44", "+44"),
        (-3, -3),
        (Decimal("-2.50"), Decimal("-2.50")),
        (None, None),
    ],
)
def test_csv_cells_follow_the_owasp_rule_and_numbers_stay_numbers(
    value: object, cell: object
) -> None:
    assert csv_cell(value) == cell


def test_xlsx_text_cells_are_strings_and_numbers_are_numbers(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    texts = ['=HYPERLINK("https://evil.example","Click")', "@SUM(A1)", "-x", "plain", "\x01bell"]
    for row, text in enumerate(texts, start=1):
        xlsx_cell(sheet.cell(row=row, column=1), text)
    xlsx_cell(sheet.cell(row=1, column=2), -5)
    xlsx_cell(sheet.cell(row=2, column=2), 2.5)
    out = tmp_path / "cells.xlsx"
    workbook.save(out)
    read = load_workbook(out).active
    assert read is not None
    for row, text in enumerate(texts, start=1):
        cell = read.cell(row=row, column=1)
        assert cell.data_type == "s"
        assert cell.value == text.replace("\x01", "")  # XML cannot hold control characters
    assert read.cell(row=1, column=1).quotePrefix is True
    assert read.cell(row=4, column=1).quotePrefix is False
    assert (read.cell(row=1, column=2).value, read.cell(row=1, column=2).data_type) == (-5, "n")
    assert read.cell(row=2, column=2).value == 2.5
