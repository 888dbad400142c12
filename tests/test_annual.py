"""The annual outturn report (`pmf-bot export annual`), through the real command on SQLite and
PostgreSQL, from the example register and actuals."""

from __future__ import annotations

import html
import re
from pathlib import Path

from openpyxl import load_workbook

from tests.conftest import ADMIN, EXAMPLES, Cli

AFTER_YEAR_END = "2026-06-30"


def _load(cli: Cli) -> None:
    for args in (
        ("import", "register", str(EXAMPLES / "register.yaml"), "--by", ADMIN),
        (
            "import",
            "actuals",
            str(EXAMPLES / "actuals.csv"),
            "--by",
            ADMIN,
            "--today",
            AFTER_YEAR_END,
        ),
    ):
        done = cli(*args)
        assert done.code == 0, done.err + done.out


def _plain(page: str) -> str:
    body = page.split("</style>", 1)[1]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def test_the_page_gives_every_measures_outturn_against_its_annual_target(
    cli: Cli, tmp_path: Path
) -> None:
    _load(cli)
    out = tmp_path / "annual.html"
    done = cli(
        "export", "annual", "--year", "2025-26", "--out", str(out), "--today", AFTER_YEAR_END
    )
    assert done.code == 0, done.err
    assert "Wrote the 2025-26 annual outturn report (22 measures)" in done.out
    assert "draft: 1 measure still has no approved year-end figure" in done.out
    page = out.read_text(encoding="utf-8")
    text = _plain(page)
    assert "Example District Council — annual outturn report 2025-26" in text
    # Per priority, the counts in the framework's order; and the whole council.
    assert "Priority Red Amber Green Grey No data" in text
    assert "Whole council 3 3 13 2 1" in text
    # SE1.1: annual target 30.0%, year-end 31.2% (Q4), Green, better than a year before.
    assert "SE1.1 Reduction in the council's own CO2 emissions Helen Carter 30.0% 31.2%" in text
    assert "2025-26 Q4 Green Improved on 2024-25 Q4" in text
    # An annual measure's outturn is the year itself; a half-yearly one's is H2.
    assert "5,360 trees 2025-26 Green" in text
    assert "634 homes 2025-26 H2 Green" in text
    assert "Draft: 1 measure still without an approved year-end figure." in text
    assert 'src="data:image/png;base64,' in page  # the chart, inside the page
    assert "@" not in text


def test_the_workbook_has_numbers_fills_and_the_counts_with_the_chart(
    cli: Cli, tmp_path: Path
) -> None:
    _load(cli)
    out = tmp_path / "annual.xlsx"
    done = cli(
        "export", "annual", "--year", "2025-26", "--out", str(out), "--today", AFTER_YEAR_END
    )
    assert done.code == 0, done.err
    book = load_workbook(out)
    assert book.sheetnames == ["Outturn", "By priority"]
    sheet = book["Outturn"]
    header = [cell.value for cell in sheet[4]]
    assert header[:8] == [
        "Priority",
        "Ref",
        "Measure",
        "Head of Service",
        "Annual target",
        "Outturn",
        "Outturn period",
        "RAGG",
    ]
    rows = {row[1].value: row for row in sheet.iter_rows(min_row=5)}
    se11 = rows["SE1.1"]
    assert se11[5].value == 0.312 and se11[5].number_format == "0.0%"
    assert se11[7].value == "Green" and se11[7].fill.fgColor.rgb.endswith("00703C")
    assert rows["TC1.3"][5].number_format.startswith("£")
    assert rows["SC2.1"][5].value == "not yet reported"
    assert sheet.freeze_panes == "A5"
    assert sheet.auto_filter.ref == "A4:J26"
    counts = book["By priority"]
    assert [cell.value for cell in counts[6]] == ["Whole council", 3, 3, 13, 2, 1]
    assert len(getattr(counts, "_images", [])) == 1  # the chart


def test_export_annual_refuses_kindly(cli: Cli, tmp_path: Path) -> None:
    done = cli("export", "annual", "--year", "2025-26", "--out", str(tmp_path / "a.html"))
    assert done.code != 0 and "import it first" in done.err + done.out
    _load(cli)
    done = cli("export", "annual", "--year", "2025-26 Q2", "--out", str(tmp_path / "a.html"))
    assert done.code != 0 and "write it like 2025-26" in done.err + done.out
    done = cli("export", "annual", "--year", "2025-26", "--out", str(tmp_path / "a.pdf"))
    assert done.code != 0 and ".html" in done.err + done.out
    assert "Traceback" not in done.err
