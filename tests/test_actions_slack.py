"""Tracked actions (issue 14): an approved exception report's actions become items with an
owner, a due date and progress; `/pmf actions` lists them with buttons; dropping needs a
reason; an overdue action is chased once; the next submission form lists them. Slack over
signed HTTP against the stand-in, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import pytest

from bot import actions
from bot.chat import intents
from bot.scheduler import run_tick
from handlers.slack import ids
from tests.slack_harness import LONDON, Bot, running_bot
from tests.test_slack_support import (
    CHRIS,
    HOS,
    JANE,
    SAM,
    buttons,
    cards,
    click,
    command,
    count,
    ephemerals,
    open_submit,
    settle,
    submit_figure,
    text_of,
    wait_ephemeral,
    wait_new,
    wait_until,
)

PROGRESS = ids.action_id(intents.ACTION_PROGRESS)
DROP = ids.action_id(intents.ACTION_DROP)
PEOPLE = {"sam lee": SAM, "jane doe": JANE}


def test_each_line_is_an_action_with_its_owner_and_due_date() -> None:
    found = actions.parse(
        "- Replace the depot boilers by 31 Mar 2027 @Sam Lee\n"
        "2. Switch the fleet to HVO fuel (owner: Jane Doe)\n"
        "\n"
        "• Review street lighting with @Nobody Known, due 15/01/2027",
        PEOPLE,
        date(2026, 10, 8),
    )
    assert [(a.text, a.owner, a.due) for a in found] == [
        ("Replace the depot boilers by 31 Mar 2027 @Sam Lee", SAM, date(2027, 3, 31)),
        ("Switch the fleet to HVO fuel (owner: Jane Doe)", JANE, None),
        ("Review street lighting with @Nobody Known, due 15/01/2027", None, date(2027, 1, 15)),
    ]
    assert actions.parse("One paragraph of actions, no lines.", PEOPLE, date(2026, 10, 8))[0].text


@pytest.fixture
def bot(db_url: str) -> Iterator[Bot]:
    with running_bot(db_url) as running:
        yield running
        settle(running)


def press(bot: Bot, email: str, action: str, value: str) -> None:
    """A button on an answer only `email` sees (in their DM with the bot)."""
    uid = bot.uid(email)
    answer = bot.user.block_action(uid, action, value, channel_id=bot.slack.dm_channel(uid))
    assert answer.status == 200, answer.text


def reply_to_click(bot: Bot, email: str, action: str, message: dict[str, Any], value: str) -> str:
    assert action in buttons(message)
    seen = len(ephemerals(bot, email))
    press(bot, email, action, value)
    return wait_ephemeral(bot, email, seen)


def test_actions_are_tracked_from_approval_to_done_or_dropped(bot: Bot) -> None:
    submit_figure(
        bot,
        JANE,
        "SE1.1",
        "20",
        overview="Two boilers failed in the quarter.",
        actions=(
            "- Replace the depot boilers by 31 Mar 2027 @Sam Lee\n"
            "- Switch the fleet to HVO fuel (owner: Jane Doe)"
        ),
    )
    # Nothing is tracked until it is approved (the example history tracks other measures').
    assert actions.listing(bot.engine, ref="SE1.1") == []
    [card] = cards(bot, HOS)
    click(bot, HOS, ids.APPROVE, card)
    wait_until(
        lambda: len(actions.listing(bot.engine, ref="SE1.1")) == 2, what="the tracked actions"
    )
    settle(bot)
    found = {a.text.split()[0]: a for a in actions.listing(bot.engine, ref="SE1.1")}
    boilers, fleet = found["Replace"], found["Switch"]
    assert (boilers.owner, boilers.due, boilers.progress) == (SAM, date(2027, 3, 31), "not_started")
    assert (fleet.owner, fleet.due) == (JANE, date(2026, 12, 31))  # the end of the next quarter

    listed = command(bot, JANE, "actions SE1.1")
    shown = text_of(listed["blocks"])
    assert "Owner Sam Lee · due Wed 31 Mar 2027 · *not started*" in shown
    assert PROGRESS in buttons(listed) and DROP in buttons(listed)

    # Sam Lee owns the boilers action: On track. Chris Walker has nothing to do with it.
    said = reply_to_click(bot, SAM, PROGRESS, listed, f"{boilers.id}|{actions.ON_TRACK}")
    assert "SE1.1 action now on track" in said
    refused = reply_to_click(bot, CHRIS, PROGRESS, listed, f"{boilers.id}|{actions.DONE}")
    assert "Only Sam Lee (the action's owner)" in refused
    forged = reply_to_click(bot, SAM, PROGRESS, listed, f"{boilers.id}|finished")
    assert "does not name an action" in forged
    again = actions.one(bot.engine, boilers.id)
    assert again is not None and again.progress == actions.ON_TRACK

    # Jane Doe drops the fleet action: a reason is needed.
    before = count(bot, "views.open")
    press(bot, JANE, DROP, str(fleet.id))
    form = wait_new(bot, "views.open", before)[0].response["view"]
    empty = bot.user.view_submission(
        bot.uid(JANE), form["id"], {ids.REASON_BLOCK: {ids.REASON_INPUT: ""}}
    )
    assert empty.json()["errors"][ids.REASON_BLOCK] == "Please say why the action is dropped."
    done = bot.user.view_submission(
        bot.uid(JANE),
        form["id"],
        {
            ids.REASON_BLOCK: {
                ids.REASON_INPUT: "The fleet lease ends in March; new vans are electric."
            }
        },
    )
    assert done.status == 200
    wait_until(
        lambda: (
            (found := actions.one(bot.engine, fleet.id)) is not None
            and found.progress == actions.DROPPED
        ),
        what="the dropped action",
    )
    mine = text_of(command(bot, SAM, "actions mine")["blocks"])
    assert "Replace the depot boilers" in mine and "*on track*" in mine
    on_hers = text_of(command(bot, JANE, "actions")["blocks"])
    assert "HVO" not in on_hers  # dropped is closed
    assert "Actions on your measures and projects" in on_hers  # SE1.P1's actions count too
    unknown = command(bot, JANE, "actions SE9.9")["text"]
    assert "There is no measure or project SE9.9" in unknown and "SE1.P1" in unknown

    # The next quarter's form lists the open action.
    bot.clock.now = datetime(2027, 1, 6, 10, 0, tzinfo=LONDON)
    view = open_submit(bot, JANE, "SE1.1 2026-27 Q3")
    shown = text_of(view["blocks"])
    assert "Open actions from earlier reports" in shown
    assert (
        "Replace the depot boilers" in shown and "Sam Lee, due Wed 31 Mar 2027, on track" in shown
    )

    # Past its due date, its owner (and the collector) are asked once.
    bot.clock.now = datetime(2027, 4, 1, 9, 30, tzinfo=LONDON)
    for _ in range(2):
        run_tick(bot.engine, bot.deps.transport, LONDON, bot.clock)
    settle(bot)

    def chased(email: str) -> list[dict[str, Any]]:
        return [
            m for m in bot.dms(email) if "An action on SE1.1 is past its due" in str(m.get("text"))
        ]

    assert len(chased(SAM)) == 1 and len(chased(JANE)) == 1
    assert "was due Wed 31 Mar 2027" in text_of(chased(SAM)[0]["blocks"])

    # The collector's next reminder (here for another of Jane's measures) lists the action
    # still past its due date (issue 14).
    bot.clock.now = datetime(2027, 4, 5, 9, 30, tzinfo=LONDON)
    for _ in range(2):
        run_tick(bot.engine, bot.deps.transport, LONDON, bot.clock)
    settle(bot)
    wait_until(
        lambda: any("Reminder: SE2.3 2026-27 is due" in str(m.get("text")) for m in bot.dms(JANE)),
        what="Jane's reminder",
    )
    [reminder] = [
        m for m in bot.dms(JANE) if "Reminder: SE2.3 2026-27 is due" in str(m.get("text"))
    ]
    shown = text_of(reminder["blocks"])
    assert "*2 actions past their due date*" in shown  # and one on the project SE1.P1
    assert (
        "`SE1.1` Replace the depot boilers by 31 Mar 2027 @Sam Lee — due Wed 31 Mar 2027, on track"
    ) in shown
    assert "HVO" not in shown  # dropped: closed, not chased
