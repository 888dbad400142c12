"""The committee paper (issue 10): `pmf-bot export board --period P [--committee NAME]
[--as-published] --out FILE.xlsx|FILE.html`, built by the real command from examples/ on SQLite
and PostgreSQL, and read as a committee clerk would: the workbook with openpyxl, the page with
an HTML parser.

The data: the example register and actuals imported with the command (SE1.1's 2025-26 Q4
commentary carries an officer's `<script>`), the quarter published, then SC2.1's overdue Q4
figure submitted late and approved — so it is flagged late and restated since publication.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.cell.cell import Cell
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from bot import actions, services, summaries
from bot.periods import Period
from bot.submissions import decide, submit
from storage.engine import make_engine
from tests.conftest import ADMIN, EXAMPLES, Cli
from tests.test_export import Node, parse

NOW = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
LATER = datetime(2026, 5, 5, 10, 0, tzinfo=UTC)
TODAY = "2026-05-06"
Q4 = Period.parse("2025-26 Q4")
SCRIPT = '<script>alert("officer")</script> & <b>bold</b> =1+1'
QUARTERS = ["2024-25 Q4", "2025-26 Q1", "2025-26 Q2", "2025-26 Q3", "2025-26 Q4"]
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
APPENDIX_1 = [
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
REDS = ["SE1.P1", "DE2.3", "SC1.2", "TC2.2"]  # the project SE1.P1 first, in register order
EDS = [
    "SE1.1",
    "SE1.2",
    "SE1.3",
    "SE1.P1",
    "SE2.1",
    "SE2.2",
    "SE2.3",
    "DE1.1",
    "DE1.2",
    "DE2.1",
    "DE2.2",
    "DE2.3",
]


@dataclass
class Papers:
    folder: Path
    out: dict[str, str]

    def book(self, name: str) -> Workbook:
        return load_workbook(self.folder / f"{name}.xlsx")

    def page(self, name: str) -> str:
        return (self.folder / f"{name}.html").read_text(encoding="utf-8")


def _actuals(folder: Path) -> Path:
    with (EXAMPLES / "actuals.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        if (row["ref"], row["period"]) == ("SE1.1", "2025-26 Q4"):
            row["commentary"] = SCRIPT
    path = folder / "actuals.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def papers(module_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Papers:
    folder = tmp_path_factory.mktemp("paper")
    cli = Cli(module_db_url, folder)
    for args in (
        ("db", "upgrade"),
        ("import", "register", str(EXAMPLES / "register.yaml")),
        ("import", "actuals", str(_actuals(folder)), "--by", ADMIN, "--today", "2026-05-01"),
    ):
        done = cli(*args)
        assert done.code == 0, done.err
    engine = make_engine(module_db_url)
    try:
        council = services.council_info(engine)
        whole = summaries.summary(engine, council, Q4, today=NOW.date())
        summaries.publish(engine, whole, by=ADMIN, occasion="posted to #performance", now=NOW)
        sent = submit(
            engine,
            council,
            ref="SC2.1",
            period_text="2025-26 Q4",
            value_text="830000",
            overview="Busy Q4 after the pool reopened.",
            actions=None,
            evidence_url=None,
            actor="amy.robinson@example.gov.uk",
            now=LATER,
        )
        decide(
            engine,
            council,
            submission_id=sent.submission.id,
            decision="approved",
            reason=None,
            actor="housing.manager@example.gov.uk",
            now=LATER,
        )
        # Amy Robinson reports one of last quarter's actions done, in chat.
        [pre_allocate] = [
            a for a in actions.listing(engine, ref="SC1.1") if a.text.startswith("Pre-allocate")
        ]
        actions.update(
            engine,
            action_id=pre_allocate.id,
            email="amy.robinson@example.gov.uk",
            progress=actions.DONE,
            note=None,
            now=LATER,
        )
    finally:
        engine.dispose()
    out = {}
    for name, extra in (
        ("paper", []),
        ("eds", ["--committee", "e&ds"]),
        ("published", ["--as-published"]),
    ):
        for suffix in ("xlsx", "html"):
            done = cli(
                "export", "board", "--period", "2025-26 Q4", *extra,
                "--out", str(folder / f"{name}.{suffix}"), "--today", TODAY,
            )  # fmt: skip
            assert done.code == 0, done.err
            out[f"{name}.{suffix}"] = done.out
    return Papers(folder, out)


# ---------------------------------------------------------------------------- the workbook


def _table(sheet: Worksheet, header_row: int) -> dict[str, dict[str, Cell]]:
    header = [str(cell.value) for cell in sheet[header_row]]
    rows: dict[str, dict[str, Cell]] = {}
    for cells in sheet.iter_rows(min_row=header_row + 1):
        record = {name: cell for name, cell in zip(header, cells, strict=True)}
        rows[str(record["Ref"].value)] = record  # type: ignore[assignment]
    return rows


def _sheet(book: Workbook, name: str) -> Worksheet:
    sheet = book[name]
    assert isinstance(sheet, Worksheet)
    return sheet


def test_the_command_says_what_it_wrote(papers: Papers) -> None:
    assert papers.out["paper.xlsx"].startswith(
        "Wrote the 2025-26 Q4 Performance Board for all committees (24 measures, "
        "4 exception reports) to "
    )
    assert "for E&DS Committee (12 measures, 2 exception reports) to " in papers.out["eds.html"]
    assert ", as published) to " in papers.out["published.html"]


def test_workbook_cover_holds_the_key_and_the_on_target_share(papers: Papers) -> None:
    book = papers.book("paper")
    assert book.sheetnames == [
        "Cover",
        "Measures",
        "Data",
        "Actions",
        *(f"Exception {ref}" for ref in REDS),
    ]
    cover = _sheet(book, "Cover")
    facts = {row[0].value: row[1].value for row in cover.iter_rows(max_col=2) if row[0].value}
    assert cover["A1"].value == "Example District Council"
    assert cover["A2"].value == "Performance Board 2025-26 Q4"
    assert facts["Report to"] == "All committees"
    assert facts["Period"] == "2025-26 Q4 (1 January 2026 to 31 March 2026)"
    assert facts["Date produced"] == "6 May 2026"
    assert facts["Performance Board date"] == "21 April 2026"
    # SC2.1, approved late, is now Green: 20 of 24 reported measures and projects on target.
    share = next(row for row in cover.iter_rows() if row[0].value == "On target")
    assert (share[1].value, share[1].data_type, share[1].number_format) == (
        pytest.approx(0.83),
        "n",
        "0%",
    )
    assert str(share[2].value).startswith("on target: 20 of 24 reported measures")
    key: dict[object, Cell] = {}
    for row in cover.iter_rows(max_col=2):  # the key comes before the confidence levels
        if row[0].value in ("Red", "Amber", "Green", "Grey", "No data"):
            key.setdefault(row[0].value, row[1])  # type: ignore[arg-type]
    assert str(key["Red"].value).startswith("More than 5% below target")
    assert str(key["Amber"].value).startswith("Within 5% of target")
    assert str(key["Green"].value).startswith("On or above target")
    assert str(key["Grey"].value).startswith("Monitoring only, or not yet reported")
    red_word = next(row[0] for row in cover.iter_rows(max_col=1) if row[0].value == "Red")
    assert red_word.fill.fgColor.rgb == "FFD4351C"


def test_workbook_measures_are_numbers_in_their_own_formats(papers: Papers) -> None:
    sheet = _sheet(papers.book("paper"), "Measures")
    header = [cell.value for cell in sheet[2]]
    assert header == [
        "Ref", "Measure", "Priority", "Aim", "Committee", "Head of Service", "Polarity",
        "Annual target", "Period", "Target", "Value", "RAGG", "Committee view",
        "Direction of travel", *QUARTERS, "Confidence", "Flags", "Commentary",
        "Actions to improve performance",
    ]  # fmt: skip
    assert sheet.freeze_panes == "C3"
    assert sheet.auto_filter.ref == "A2:W26"
    rows = _table(sheet, 2)
    assert list(rows)[:4] == ["SE1.1", "SE1.2", "SE1.3", "SE1.P1"] and len(rows) == 24

    se12 = rows["SE1.2"]
    for name, number in (("Value", 0.475), ("Target", 0.5), ("Annual target", 0.5)):
        cell = se12[name]
        assert (cell.data_type, cell.number_format) == ("n", "0.0%"), name
        assert cell.value == pytest.approx(number)
    assert se12["2024-25 Q4"].value == pytest.approx(0.449)
    assert se12["2024-25 Q4"].number_format == "0.0%"
    assert (se12["RAGG"].value, se12["RAGG"].fill.fgColor.rgb) == ("Amber", "FFF47738")
    assert se12["Head of Service"].value == "Helen Carter"
    assert se12["Polarity"].value == "Higher is better"
    assert se12["Direction of travel"].value == "Declining on 2025-26 Q3; improving on 2024-25 Q4"
    assert str(se12["Confidence"].value).startswith("Green — collected from a system")
    assert str(se12["Commentary"].value).startswith("5% below target")

    # Money, units and a singular unit, each in an Excel format that writes them.
    assert rows["TC1.3"]["Value"].value == 1236900
    assert rows["TC1.3"]["Value"].number_format == '"£"#,##0;-"£"#,##0'
    assert rows["SE1.3"]["Value"].number_format == '#,##0.0 "kg per household"'
    assert rows["TC2.2"]["Value"].number_format == '[=1]#,##0 "incident";#,##0 "incidents"'
    assert rows["TC2.2"]["RAGG"].fill.fgColor.rgb == "FFD4351C"
    # A range target is words; an annual measure is "not due" in the quarters between.
    assert rows["DE2.1"]["Target"].value == "40.0 days to 56.0 days"
    assert [rows["SE2.3"][q].value for q in QUARTERS] == [
        4120,
        "not due",
        "not due",
        "not due",
        5360,
    ]

    # Every measure has its commentary, not only the Reds; no cell is a formula.
    assert all(row["Commentary"].value for row in rows.values())
    assert rows["SE1.1"]["Commentary"].value == SCRIPT
    assert rows["SE1.1"]["Commentary"].data_type == "s"
    sc21 = rows["SC2.1"]
    assert sc21["Value"].value == 830000 and sc21["RAGG"].value == "Green"
    flags = str(sc21["Flags"].value)
    assert "Late: submitted after its deadline" in flags
    assert "Restated since publication" in flags and "Sunita Patel" in flags


def test_workbook_data_sheet_has_one_row_per_measure_and_period(papers: Papers) -> None:
    sheet = _sheet(papers.book("paper"), "Data")
    header = [cell.value for cell in sheet[1]]
    assert header[:7] == ["Ref", "Measure", "Committee", "Quarter", "Period", "Value", "Target"]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:K{sheet.max_row}"
    rows = [dict(zip(header, cells, strict=True)) for cells in sheet.iter_rows(min_row=2)]
    by_key = {(str(r["Ref"].value), str(r["Quarter"].value)): r for r in rows}
    # Five quarters of a quarterly measure; an annual one only at Q4; monthly ones by month.
    assert [q for ref, q in by_key if ref == "SE1.2"] == QUARTERS
    assert [q for ref, q in by_key if ref == "SE2.3"] == ["2024-25 Q4", "2025-26 Q4"]
    assert by_key[("SE2.1", "2025-26 Q4")]["Period"].value == "2026-03"
    assert len(rows) == len(by_key)
    value = by_key[("SE1.2", "2025-26 Q3")]["Value"]
    assert (value.data_type, value.number_format) == ("n", "0.0%")
    assert value.value == pytest.approx(0.489)
    assert by_key[("SE1.2", "2025-26 Q4")]["RAGG"].fill.fgColor.rgb == "FFF47738"


def test_workbook_exception_reports_hold_every_appendix_field(papers: Papers) -> None:
    sheet = _sheet(papers.book("paper"), "Exception DE2.3")
    fields = {
        str(label.value): value.value
        for label, value in sheet.iter_rows(min_row=4, max_col=2)
        if label.value
    }
    assert list(fields) == APPENDIX_1
    # Imported with the history, in words: people by name, never by e-mail.
    assert fields["Actions to improve performance"] == (
        "Agree standard Section 106 templates with legal services (owner: Laura Bennett, due 30 "
        "Sep 2026)\nChase statutory consultees at 14 days (owner: Chris Walker, due 31 Jul 2026; "
        "on track)"
    )


def test_workbook_has_no_addresses_no_formulas_and_no_words_for_developers(
    papers: Papers,
) -> None:
    for name in ("paper", "eds", "published"):
        for sheet in papers.book(name).worksheets:
            for cells in sheet.iter_rows():
                for cell in cells:
                    assert cell.data_type != "f", (name, sheet.title, cell.coordinate)
                    if isinstance(cell.value, str):
                        assert cell.data_type == "s"
                        assert not EMAIL.search(cell.value), cell.value
                        assert "seed" not in cell.value.lower(), cell.value
                        assert "§" not in cell.value, cell.value


def test_committee_workbook_holds_only_that_committee(papers: Papers) -> None:
    book = papers.book("eds")
    assert book.sheetnames[3:] == ["Actions", "Exception SE1.P1", "Exception DE2.3"]
    cover = _sheet(book, "Cover")
    assert any(row[1].value == "E&DS Committee" for row in cover.iter_rows(max_col=2))
    rows = _table(_sheet(book, "Measures"), 2)
    assert list(rows) == EDS
    assert {row["Committee"].value for row in rows.values()} == {"E&DS"}


def test_as_published_workbook_shows_the_published_figures(papers: Papers) -> None:
    book = papers.book("published")
    rows = _table(_sheet(book, "Measures"), 2)
    assert (rows["SC2.1"]["Value"].value, rows["SC2.1"]["RAGG"].value) == ("—", "No data")
    cover = _sheet(book, "Cover")
    figures = next(row[1].value for row in cover.iter_rows(max_col=2) if row[0].value == "Figures")
    assert str(figures).startswith("As published on 1 May 2026 09:00 UTC by Priya Shah")


# ---------------------------------------------------------------------------- the page


def _by_id(root: Node, tag: str, ident: str) -> Node:
    [found] = [node for node in root.find_all(tag) if node.attrs.get("id") == ident]
    return found


def test_page_is_self_contained_and_prints_on_a4_landscape(papers: Papers) -> None:
    page = papers.page("paper")
    root = parse(page)
    [style] = root.find_all("style")
    assert "@page { size: A4 landscape;" in style.text
    assert "@media print" in style.text
    assert ".exception { break-before: page; page-break-before: always; }" in style.text
    assert root.find_all("script") == [] and root.find_all("link") == []
    assert "http://" not in page and "https://" not in page and "url(" not in page
    for image in root.find_all("img"):
        assert image.attrs["src"].startswith("data:image/png;base64,")


def test_page_cover_has_the_key_and_the_share(papers: Papers) -> None:
    root = parse(papers.page("paper"))
    [title] = root.find_all("head")[0].find_all("title")
    assert title.text == "Example District Council — Performance Board 2025-26 Q4 — All committees"
    cover = _by_id(root, "header", "cover")
    assert "Report to: All committees" in cover.text
    assert "Date produced6 May 2026" in cover.text
    key = _by_id(root, "section", "key")
    rows = key.find_all("table", class_="key")[0].find_all("tr")
    words = [row.find_all("td")[0].text for row in rows]
    assert words == ["Red", "Amber", "Green", "Grey", "No data"]
    assert "ragg-red" in rows[0].find_all("td")[0].attrs["class"].split()
    meanings = [row.find_all("td")[1].text for row in rows]
    assert meanings[0].startswith("More than 5% below target")
    assert meanings[3].startswith("Monitoring only, or not yet reported")
    share = _by_id(root, "p", "on-target")
    assert share.text == "83% on target: 20 of 24 reported measures."


def test_page_shows_every_measure_with_trend_sparkline_and_commentary(papers: Papers) -> None:
    root = parse(papers.page("paper"))
    bodies = root.find_all("tbody", class_="measure")
    assert len(bodies) == 24
    priorities = [h.text for h in root.find_all("section", class_="priority")[0].find_all("h2")]
    assert priorities == ["SE Shape our Environment"]
    se12 = _by_id(root, "tbody", "measure-SE1.2")
    [figures, commentary] = [c for c in se12.children if isinstance(c, Node)]
    cells = [c.text for c in figures.children if isinstance(c, Node) and c.tag == "td"]
    assert "Helen Carter · Higher is better" in figures.text
    [ragg] = figures.find_all("td", class_="ragg")
    assert ragg.text == "Amber" and "ragg-amber" in ragg.attrs["class"].split()
    assert "47.5%" in cells and "Declining on 2025-26 Q3; improving on 2024-25 Q4" in cells
    [trend] = figures.find_all("td", class_="trend")
    [svg] = trend.find_all("svg")
    assert svg.attrs["role"] == "img" and "2024-25 Q4: 44.9%" in svg.attrs["aria-label"]
    assert len(svg.find_all("circle")) == 5 and svg.find_all("polyline")
    assert [td.text for td in trend.find_all("td")] == ["44.9%", "51.6%", "52.3%", "48.9%", "47.5%"]
    assert commentary.text.startswith("Commentary: 5% below target")
    # An annual measure: two dots, no line between quarters it does not report in.
    se23 = _by_id(root, "tbody", "measure-SE2.3")
    [svg] = se23.find_all("svg")
    assert len(svg.find_all("circle")) == 2
    assert [td.text for td in se23.find_all("table", class_="trend")[0].find_all("td")] == [
        "4,120", "not due", "not due", "not due", "5,360",
    ]  # fmt: skip
    assert "Figures in trees" in se23.text
    # Flags: late and restated; Grey with its reason.
    sc21 = _by_id(root, "tbody", "measure-SC2.1")
    flags = [span.text for span in sc21.find_all("span", class_="flag")]
    assert flags[0] == "Late: submitted after its deadline"
    assert flags[1].startswith("Restated since publication")
    assert "Monitoring only" in _by_id(root, "tbody", "measure-SE2.2").text
    assert "Red — project-based" in se23.text


def test_page_escapes_an_officers_script_and_shows_no_address(papers: Papers) -> None:
    page = papers.page("paper")
    assert "<script>" not in page and "<b>bold" not in page
    assert "&lt;script&gt;alert(&quot;officer&quot;)&lt;/script&gt; &amp; &lt;b&gt;" in page
    root = parse(page)
    se11 = _by_id(root, "tbody", "measure-SE1.1")
    assert f"Commentary: {SCRIPT}" in se11.text
    for name in ("paper", "eds", "published"):
        text = papers.page(name)
        assert not EMAIL.search(text), EMAIL.search(text)
        assert "seed" not in text.lower() and "§" not in text


def test_page_exception_reports_start_new_pages_with_every_appendix_field(
    papers: Papers,
) -> None:
    root = parse(papers.page("paper"))
    sections = root.find_all("section", class_="exception")
    assert [s.attrs["id"] for s in sections] == [f"exception-{ref}" for ref in REDS]
    labels = [th.text for th in sections[1].find_all("table", class_="appendix")[0].find_all("th")]
    assert labels == APPENDIX_1
    # A project's report has its milestones and its RAGG's reason instead of out turn and target.
    project = [th.text for th in sections[0].find_all("table", class_="appendix")[0].find_all("th")]
    assert project[7:9] == ["Milestones as at 31 Mar 2026", "RAGG"]
    milestones = sections[0].find_all("table", class_="appendix")[0].find_all("td")[7].text
    assert milestones.splitlines()[2] == (
        "At risk — due 31 Mar 2026 — Heat pumps installed and commissioned"
    )
    history = sections[1].find_all("table", class_="history")[0]
    assert [th.text for th in history.find_all("th")] == QUARTERS


def test_committee_page_and_as_published_page(papers: Papers) -> None:
    root = parse(papers.page("eds"))
    assert "Report to: E&DS Committee" in _by_id(root, "header", "cover").text
    refs = [body.attrs["id"].removeprefix("measure-") for body in root.find_all("tbody")
            if body.attrs.get("id", "").startswith("measure-")]  # fmt: skip
    assert refs == EDS
    published = parse(papers.page("published"))
    assert "As published on 1 May 2026 09:00 UTC by Priya Shah" in published.text
    sc21 = _by_id(published, "tbody", "measure-SC2.1")
    assert "ragg-none" in sc21.find_all("td", class_="ragg")[0].attrs["class"].split()


# ------------------------------------------------------------------ last quarter's actions

Q3_ACTIONS = [
    ("SE1.2", "2025-26 Q3", "Bin-tag contaminated recycling bins on the three worst rounds",
     "Sam Lee", "31 Mar 2026", "Done"),
    ("SE1.2", "2025-26 Q3", "Leaflet every household on what goes in the blue bin",
     "Gareth Price", "30 Sep 2026", "On track"),
    ("SC1.1", "2025-12", "Agree contractor cover for void repairs over the closure days",
     "Sunita Patel", "31 Mar 2026", "Done"),
    ("SC1.1", "2025-12", "Pre-allocate void properties before the Christmas closure",
     "Amy Robinson", "30 Nov 2026", "Done"),
    ("SC1.2", "2025-26 Q3", "Apply for managed payments for tenants over eight weeks in arrears",
     "Sunita Patel", "28 Feb 2026", "Dropped: the DWP now pays the rent direct for these tenants"),
    ("SC1.2", "2025-26 Q3",
     "Call every tenant moving onto Universal Credit before their first payment",
     "Amy Robinson", "30 Sep 2026", "At risk"),
]  # fmt: skip


def test_workbook_follows_up_last_quarters_actions(papers: Papers) -> None:
    """Issue 14: each action set in 2025-26 Q3's exception reports (Q3 and its months), with
    its owner by name, due date (a date cell) and progress as it stands — Amy's update in chat
    included — and the reason it was dropped. Q4's own actions are in its exception reports."""
    sheet = _sheet(papers.book("paper"), "Actions")
    assert sheet["A1"].value == "Actions from last quarter (2025-26 Q3)"
    assert sheet["A2"].value == (
        "6 actions to improve performance from the 2025-26 Q3 exception reports, with progress "
        "as at 6 May 2026."
    )
    assert [cell.value for cell in sheet[4]] == [
        "Ref", "Measure", "Period", "Action", "Owner", "Due", "Progress",
    ]  # fmt: skip
    found = []
    for ref, title, period, text, owner, due, progress in sheet.iter_rows(
        min_row=5, values_only=True
    ):
        assert isinstance(due, datetime) and title
        found.append((ref, period, text, owner, f"{due.day} {due:%b %Y}", progress))
    assert found == Q3_ACTIONS
    assert sheet["F5"].number_format == "d mmm yyyy"
    assert sheet.freeze_panes == "A5" and sheet.auto_filter.ref == "A4:G10"
    # A committee's paper follows up only its own measures' actions.
    eds = _sheet(papers.book("eds"), "Actions")
    assert [row[0] for row in eds.iter_rows(min_row=5, values_only=True)] == ["SE1.2", "SE1.2"]


def test_page_follows_up_last_quarters_actions(papers: Papers) -> None:
    root = parse(papers.page("paper"))
    section = _by_id(root, "section", "actions")
    assert "part" in section.attrs["class"].split()  # a new page when printed
    [heading] = section.find_all("h2")
    assert heading.text == "Actions from last quarter (2025-26 Q3)"
    [table] = section.find_all("table", class_="actions")
    assert [th.text for th in table.find_all("thead")[0].find_all("th")] == [
        "Ref", "Measure", "Period", "Action", "Owner", "Due", "Progress",
    ]  # fmt: skip
    rows = table.find_all("tbody")[0].find_all("tr")
    shown = []
    for row in rows:
        cells = [c.text for c in row.children if isinstance(c, Node)]
        shown.append((cells[0], cells[2], cells[3], cells[4], cells[5], cells[6]))
    assert shown == Q3_ACTIONS
    progress = rows[-1].find_all("td", class_="progress")[0]
    assert "progress-at_risk" in progress.attrs["class"].split()
    # The section sits between the measures and the exception reports.
    page = papers.page("paper")
    assert page.index('id="measure-TC2.2"') < page.index('id="actions"')
    assert page.index('id="actions"') < page.index('id="exception-DE2.3"')


def test_an_action_past_its_due_date_says_overdue() -> None:
    from bot.paper import action_progress

    action = actions.ActionView(
        id=1, ref="SC1.2", title="Rent arrears", period="2025-26 Q3", text="Call tenants",
        owner="amy.robinson@example.gov.uk", owner_name="Amy Robinson",
        due=datetime(2026, 3, 31).date(), progress=actions.AT_RISK, note=None,
        updated_at=NOW, collector=None, reviewer=None, head_of_service=None,
    )  # fmt: skip
    assert action_progress(action, datetime(2026, 3, 31).date()) == "At risk"
    assert action_progress(action, datetime(2026, 4, 1).date()) == "At risk — overdue"
    done = replace(action, progress=actions.DONE)
    assert action_progress(done, datetime(2026, 4, 1).date()) == "Done"


def test_an_unknown_committee_is_a_plain_error(sqlite_url: str, tmp_path: Path) -> None:
    cli = Cli(sqlite_url, tmp_path)
    assert cli("db", "upgrade").code == 0
    assert cli("import", "register", str(EXAMPLES / "register.yaml")).code == 0
    done = cli(
        "export", "board", "--period", "2025-26 Q4", "--committee", "Planning",
        "--out", str(tmp_path / "x.html"), "--today", TODAY,
    )  # fmt: skip
    assert done.code == 1
    assert done.err.strip() == (
        "There is no committee called 'Planning' in the register. "
        "Its committees are: E&DS, H&CS, F&M."
    )
    assert not (tmp_path / "x.html").exists()
