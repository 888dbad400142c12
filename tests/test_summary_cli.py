"""`pmf-bot summary` and `pmf-bot export board` as an officer runs them (PRODUCT §8): the
installed command in a subprocess against a real database loaded with the example register
and actuals (2025-26 Q4: 3 Red, 3 Amber, 13 Green, 2 Grey, 1 missing). The export's cells and
HTML are checked in detail by tests/test_export.py; here, the command around them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot import services
from sandbox.slack_api import SlackStandIn
from storage.engine import make_engine
from storage.migrate import upgrade
from tests.conftest import ADMIN, EXAMPLES, Cli

TODAY = "2026-05-01"
NOW = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def load_examples(database_url: str) -> None:
    """The example register and actuals, loaded in-process (the import commands have their
    own tests; each command run here costs a subprocess)."""
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        services.import_register(engine, EXAMPLES / "register.yaml", actor="tester", now=NOW)
        services.import_actuals(
            engine, EXAMPLES / "actuals.csv", actor=ADMIN, now=NOW, today=NOW.date()
        )
    finally:
        engine.dispose()


@pytest.fixture
def pmf(cli: Cli, db_url: str) -> Cli:
    """The command on both databases, with the example data loaded."""
    load_examples(db_url)
    return cli


@pytest.fixture(scope="module")
def lite(tmp_path_factory: pytest.TempPathFactory) -> Cli:
    """The command on one SQLite database for the whole module, for the error paths."""
    folder = tmp_path_factory.mktemp("summary_cli")
    url = f"sqlite:///{folder / 'pmf.db'}"
    load_examples(url)
    return Cli(url, folder)


def plain_failure(result: object, message: str) -> None:
    code, out, err = (getattr(result, name) for name in ("code", "out", "err"))
    assert code == 1, (out, err)
    assert message in err, err
    assert "Traceback" not in err and "Error:" not in err.split(message)[0]


def test_summary_prints_counts_priorities_reds_unapproved_and_sign_off(pmf: Cli) -> None:
    result = pmf("summary", "--period", "2025-26 Q4", "--today", TODAY)
    assert result.code == 0, result.err
    assert result.err == ""
    lines = result.out.splitlines()
    assert lines[0] == (
        "Example District Council — 2025-26 Q4 summary (Performance Board Tue 21 Apr 2026)"
    )
    assert lines[1] == "Red 4 · Amber 3 · Green 14 · Grey 2 · No data 1"
    assert lines[2].startswith("Committee view: 19 of 23 on target (")
    assert lines[2].endswith("), 1 missing")
    out = result.out
    by_priority = {
        line.split()[0]: line for line in lines if line.startswith("  ") and "Red " in line
    }
    assert set(by_priority) == {"SE", "DE", "SC", "TC"}
    assert "Red 1 Amber 1 Green 4 Grey 1 No data 0" in by_priority["SE"]  # SE1.P1 is Red
    assert "Red 1 Amber 0 Green 4 Grey 0 No data 1" in by_priority["SC"]  # SC1.P1 is Green
    assert by_priority["SC"].endswith("on target 80%")
    assert "Direction of travel (on the previous period; year-to-date measures on the same" in out
    assert "Red measures (4):" in out
    assert (
        "\n  SE1.P1  Decarbonise the civic offices — Red, 2 of 5 milestones done; Heat pumps "
        "installed and commissioned is at risk at its due date (2025-26 Q4)"
    ) in out
    for ref in ("DE2.3", "SC1.2", "TC2.2"):
        assert f"\n  {ref}  " in out
    assert "Four of eleven decisions were late" in out
    assert "Not yet approved (1):\n  SC2.1  2025-26 Q4 — overdue" in out
    assert "Sign-off:" in out and "  Helen Carter: not yet" in out

    default = pmf("summary", "--today", TODAY)  # the latest ended quarter
    assert default.code == 0 and default.out == result.out


def test_summary_of_a_month_is_its_quarter_and_a_bad_period_fails_plainly(lite: Cli) -> None:
    monthly = lite("summary", "--period", "2026-03", "--today", TODAY)
    assert monthly.code == 0, monthly.err
    assert monthly.out.startswith("Example District Council — 2025-26 Q4 summary")
    plain_failure(lite("summary", "--period", "2025-26 Q9", "--today", TODAY), "not a period")


def test_export_board_writes_a_workbook_and_a_page(pmf: Cli, tmp_path: Path) -> None:
    book = tmp_path / "board.xlsx"
    result = pmf("export", "board", "--period", "2025-26 Q4", "--out", str(book), "--today", TODAY)
    assert result.code == 0, result.err
    assert result.out.strip() == (
        "Wrote the 2025-26 Q4 Performance Board for all committees (24 measures, "
        f"4 exception reports) to {book}."
    )
    workbook = load_workbook(book)
    assert workbook.sheetnames == [
        "Cover",
        "Measures",
        "Data",
        "Actions",
        "Exception SE1.P1",
        "Exception DE2.3",
        "Exception SC1.2",
        "Exception TC2.2",
    ]

    page = tmp_path / "board.html"
    result = pmf("export", "board", "--period", "2025-26 Q4", "--out", str(page), "--today", TODAY)
    assert result.code == 0, result.err
    text = page.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert 'id="exception-SC1.2"' in text and "data:image/png;base64," in text


def test_export_board_refuses_a_bad_suffix_or_folder_plainly(lite: Cli, tmp_path: Path) -> None:
    out = tmp_path / "board.pdf"
    result = lite("export", "board", "--period", "2025-26 Q4", "--out", str(out))
    plain_failure(result, "must end in .xlsx (Excel) or .html")
    assert result.out == "" and not out.exists()
    missing = tmp_path / "no-such-folder" / "board.xlsx"
    result = lite("export", "board", "--period", "2025-26 Q4", "--out", str(missing))
    plain_failure(result, f"Cannot write {missing}: No such file or directory.")


def test_post_without_a_slack_token_fails_plainly(lite: Cli) -> None:
    result = lite("summary", "--period", "2025-26 Q4", "--post", "#performance")
    plain_failure(result, "SLACK_BOT_TOKEN is not set")
    assert result.out == ""


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn() as stand_in:
        yield stand_in


def test_post_sends_the_summary_thread_and_chart_to_slack(lite: Cli, slack: SlackStandIn) -> None:
    channel = slack.add_channel("performance")
    env = {"SLACK_BOT_TOKEN": "xoxb-test-token", "SLACK_API_URL": slack.api_url}
    result = lite(
        "summary", "--period", "2025-26 Q4", "--today", TODAY, "--post", "#performance", env=env
    )
    assert result.code == 0, result.err
    assert result.out.strip() == (
        "Posted the 2025-26 Q4 summary to #performance (2 thread messages). Its figures are "
        "recorded as published."
    )
    messages = slack.messages(channel)
    [first] = [m for m in messages if "thread_ts" not in m or m["thread_ts"] == m["ts"]]
    assert first["text"].endswith("4 Red, 3 Amber, 14 Green, 2 Grey, 1 No data")
    replies = [m for m in messages if m.get("thread_ts") == first["ts"] and m is not first]
    assert len(replies) == 3  # two messages and the chart
    [complete] = slack.calls_to("files.completeUploadExternal")
    assert slack.uploaded(complete.params["files"][0]["id"])[:8] == PNG_SIGNATURE

    refused = lite("summary", "--period", "2025-26 Q4", "--post", "#nowhere", env=env)
    plain_failure(refused, "Slack would not post to #nowhere: channel_not_found.")
