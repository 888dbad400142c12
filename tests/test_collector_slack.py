"""The collector's day in Slack end to end (issue 13): Resubmit and Edit open the form
prefilled with the last version and the reason it must be redone; on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from handlers.slack import ids
from tests.slack_harness import Bot, running_bot
from tests.test_slack_review import decide_by_click
from tests.test_slack_support import (
    HOS,
    JANE,
    LATEST,
    buttons,
    cards,
    click,
    count,
    settle,
    submit_figure,
    text_of,
    wait_new,
    wait_until,
)


@pytest.fixture
def both(db_url: str) -> Iterator[Bot]:
    with running_bot(db_url) as running:
        yield running
        settle(running)


def prefilled(view: dict[str, Any]) -> dict[str, str | None]:
    return {
        block["block_id"]: block["element"].get("initial_value")
        for block in view["blocks"]
        if block.get("type") == "input"
    }


def test_edit_on_the_thank_you_opens_the_pending_version_before_the_decision(both: Bot) -> None:
    thanks = submit_figure(
        both, JANE, "SE1.1", "36.5", overview="Depot retrofit.", evidence="https://example.gov.uk/e"
    )
    assert buttons(thanks) == {ids.OPEN_SUBMIT: f"SE1.1|{LATEST}"}
    before = count(both, "views.open")
    click(both, JANE, ids.OPEN_SUBMIT, thanks)
    modal = wait_new(both, "views.open", before)[0].response["view"]
    assert prefilled(modal) == {
        ids.VALUE_BLOCK: "36.5",
        ids.OVERVIEW_BLOCK: "Depot retrofit.",
        ids.ACTIONS_BLOCK: None,
        ids.EVIDENCE_BLOCK: "https://example.gov.uk/e",
    }
    assert "Version 1 is waiting for review" in text_of(modal["blocks"])


def test_resubmit_after_a_reopening_starts_from_the_approved_version_and_says_why(
    both: Bot,
) -> None:
    submit_figure(both, JANE, "SE1.1", "36.5", overview="Depot retrofit.")
    [card] = cards(both, HOS)
    decide_by_click(both, HOS, card)
    [card] = cards(both, HOS)
    before = count(both, "views.open")
    click(both, HOS, ids.REOPEN, card)
    form = wait_new(both, "views.open", before)[0].response["view"]
    dms = len(both.dms(JANE))
    answer = both.user.view_submission(
        both.uid(HOS), form["id"], {ids.REASON_BLOCK: {ids.REASON_INPUT: "The meter was misread."}}
    )
    assert answer.body == b"", answer.text
    wait_until(lambda: len(both.dms(JANE)) > dms, what="the reopened notice")
    settle(both)
    notice = both.dms(JANE)[-1]
    before = count(both, "views.open")
    click(both, JANE, ids.RESUBMIT, notice)
    modal = wait_new(both, "views.open", before)[0].response["view"]
    top = text_of(modal["blocks"][0])
    assert "*Version 1 was reopened by Helen Carter" in top and "The meter was misread." in top
    assert prefilled(modal)[ids.VALUE_BLOCK] == "36.5"
    assert prefilled(modal)[ids.OVERVIEW_BLOCK] == "Depot retrofit."
