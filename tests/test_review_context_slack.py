"""The reviewer's day (issue 13), in Slack over signed HTTP against the stand-in, on SQLite and
PostgreSQL: the review card puts the figure in context (the last four figures with their RAGG
and a trend, the period's and the year's targets), flags a figure that moves more than the
measure usually does, says "Status" once approved; App Home shows what a reviewer decides on
beside Approve and Reject."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from handlers.slack import ids
from tests.slack_harness import Bot, running_bot
from tests.test_slack_support import (
    HOS,
    JANE,
    buttons,
    cards,
    click,
    count,
    open_home,
    settle,
    submit_figure,
    text_of,
    wait_new,
)

# SE1.1's approved history in examples/actuals.csv ends 28.6, 29.4, 30.2, 31.2 (2025-26);
# its largest move from one quarter to the next in the last eight is 1.4 points.
HISTORY = (
    "28.6% (2025-26 Q1, Amber) → 29.4% (2025-26 Q2, Amber) → "
    "30.2% (2025-26 Q3, Green) → 31.2% (2025-26 Q4, Green)"
)
UNUSUAL = "Unusual change — check the source"


@pytest.fixture
def bot(db_url: str) -> Iterator[Bot]:
    with running_bot(db_url) as running:
        yield running
        settle(running)


def blocks_before_approve(view: dict[str, Any], submission: str) -> str:
    """Everything shown above the Approve button for `submission` on a page."""
    shown: list[dict[str, Any]] = []
    for block in view["blocks"]:
        if block.get("type") == "actions" and any(
            e.get("action_id") == ids.APPROVE and e.get("value") == submission
            for e in block.get("elements", [])
        ):
            return text_of(shown)
        shown.append(block)
    raise AssertionError("no Approve button for that submission")


def test_the_card_shows_context_flags_an_unusual_change_and_says_status_once_approved(
    bot: Bot,
) -> None:
    submit_figure(
        bot,
        JANE,
        "SE1.1",
        "100",
        overview="All buildings on green tariff <!channel>.",
        actions="Check the supplier's invoice.",
    )
    [card] = cards(bot, HOS)
    shown = text_of(card["blocks"])
    assert f":warning: *{UNUSUAL}*: 31.2% → 100.0%, a move of 68.8 percentage points." in shown
    assert f"*Recent figures*\\n{HISTORY} → *100.0%* (this figure, Green) — rising, better" in shown
    assert "*Target*\\n35.0%" in shown and "*Annual target 2026-27*\\n35.0%" in shown
    assert "*Status if approved*\\n:large_green_circle: *Green*" in shown
    assert "&lt;!channel&gt;" in shown and "<!channel>" not in shown  # still escaped

    # App Home: the overview, the actions and the flag come before the buttons.
    first = buttons(card)[ids.APPROVE]
    home = open_home(bot, HOS)
    above = blocks_before_approve(home, first)
    assert UNUSUAL in above and HISTORY in above
    assert "*Performance overview*\\nAll buildings on green tariff &lt;!channel&gt;." in above
    assert "*Actions to improve performance*\\nCheck the supplier's invoice." in above

    # The collector corrects it: an ordinary move is not flagged.
    submit_figure(bot, JANE, "SE1.1", "33.5", overview="Invoice corrected.")
    newest = cards(bot, HOS)[-1]
    shown = text_of(newest["blocks"])
    assert UNUSUAL not in shown
    assert f"{HISTORY} → *33.5%* (this figure, Amber) — rising, better" in shown

    before = count(bot, "chat.update")
    click(bot, HOS, ids.APPROVE, newest)
    wait_new(bot, "chat.update", before)
    settle(bot)
    decided = text_of(cards(bot, HOS)[-1]["blocks"])
    assert "*Status*\\n:large_orange_circle: *Amber*" in decided
    assert "Status if approved" not in decided
    assert ":white_check_mark: *Approved* by Helen Carter" in decided
