"""kill -9 in the middle of approvals loses no decision and sends nothing twice (issue 11),
on SQLite and PostgreSQL.

The real bot in a child process (`bench.slack_support serve`, the app `pmf-bot run` serves,
with its outbox deliverer) against the Slack stand-in in this process: collectors submit, their
reviewers click Approve on the cards, the server is killed with SIGKILL once about half of the
decisions are in, then started again on the same database, and the clicks not answered are
sent again. Every click answered 200 has its review; no message key was posted twice; every
decision's card was rewritten and its submitter told; the outbox is empty.
"""

from __future__ import annotations

from pathlib import Path

from bench.kill_test import run_kill


def test_kill_9_mid_approvals_loses_nothing_and_sends_nothing_twice(
    db_url: str, tmp_path: Path
) -> None:
    # ten clicks a second: the kill lands half-way however fast the server decides
    figures = run_kill(db_url, measures=60, clicks=40, clients=8, directory=tmp_path, rate=10.0)
    assert figures["killed_after_decisions"] < figures["clicks"], figures
    assert figures["drained"], figures
    assert figures["lost"] == 0, figures
    assert figures["duplicated"] == 0, figures
    assert figures["unkeyed_posts"] == 0, figures
    assert figures["cards_not_updated"] == 0, figures
    assert figures["submitters_not_told"] == 0, figures
    assert figures["left_in_outbox"] == {}, figures
    assert figures["decided"] == figures["clicks"], figures
