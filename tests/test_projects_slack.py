"""A project's quarter in Slack end to end (issue 14): the collector reports each milestone's
state and a commentary in the modal; the reviewer's card shows the milestones and the proposed
RAGG, with Approve / Reject / Reopen through the same decision use case as a measure's figure
(segregation of duties, version-exactness, audit); status shows the approved project."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import select

from bot import services
from bot.chat import intents
from bot.delivery import tick
from handlers.slack import ids
from handlers.slack.render import input_action_id
from storage.engine import read_session
from storage.models import AuditEvent
from tests.slack_harness import Bot
from tests.test_slack_support import (
    HOS,
    JANE,
    LATEST,
    WASTE,
    buttons,
    cards,
    click,
    command,
    open_submit,
    settle,
    submissions,
    submit_view,
    text_of,
    wait_until,
)

LONDON = ZoneInfo("Europe/London")
STATES = ("done", "done", "at_risk", "on_track", "not_started")


def project_values(
    states: tuple[str | None, ...],
    commentary: str | None = "Heat pumps commissioned late; solar on track.",
    actions: str | None = None,
) -> dict[str, dict[str, Any]]:
    values: dict[str, dict[str, Any]] = {}
    for index, state in enumerate(states):
        name = intents.MILESTONES[index]
        chosen = (
            {"type": "static_select", "selected_option": {"value": state}}
            if state
            else {"type": "static_select", "selected_option": None}
        )
        values[name] = {input_action_id(name): chosen}
    values[ids.OVERVIEW_BLOCK] = {ids.OVERVIEW_INPUT: commentary}
    values[ids.ACTIONS_BLOCK] = {ids.ACTIONS_INPUT: actions}
    values[ids.EVIDENCE_BLOCK] = {ids.EVIDENCE_INPUT: None}
    return values


def test_the_project_modal_lists_each_milestone_with_a_state_to_choose(bot: Bot) -> None:
    view = open_submit(bot, JANE, "SE1.P1")
    shown = text_of(view["blocks"])
    assert view["title"]["text"] == "Report on a project"
    assert "SE1.P1 Decarbonise the civic offices" in shown
    assert f"*Period*\\n{LATEST} (as at Wed 30 Sep 2026)" in shown
    assert "up to 10 working days late" in shown  # the register's rule, stated
    menus = [b for b in view["blocks"] if b.get("block_id", "").startswith("milestone_")]
    assert [b["label"]["text"] for b in menus] == [
        "Heat pump design approved — due Mon 30 Jun 2025",
        "Contractor appointed — due Tue 30 Sep 2025",
        "Heat pumps installed and commissioned — due Tue 31 Mar 2026",
        "Roof solar array connected — due Wed 30 Sep 2026",
        "First full year of metered savings reported — due Wed 31 Mar 2027",
    ]
    options = [o["value"] for o in menus[0]["element"]["options"]]
    assert options == ["not_started", "on_track", "at_risk", "done"]  # late is not chosen
    assert menus[0]["element"]["type"] == "static_select"
    # Past its due date at the quarter's end: the form says so.
    assert menus[2]["hint"]["text"] == "Past its due date at the period's end: late unless done."
    assert "hint" not in menus[3]  # due on the quarter's last day: not yet late
    assert ids.VALUE_BLOCK not in [b.get("block_id") for b in view["blocks"]]
    # The menus start from the last approved report (2025-26 Q4 in the example).
    assert "The milestones start as approved for 2025-26 Q4." in shown
    assert [b["element"]["initial_option"]["value"] for b in menus] == list(STATES)
    assert menus[2]["element"]["initial_option"]["text"]["text"] == "At risk"


def test_a_project_goes_through_submit_review_and_approve(bot: Bot) -> None:
    view = open_submit(bot, JANE, "SE1.P1")
    # Every milestone needs a state.
    missing = submit_view(bot, JANE, view["id"], project_values(("done", None, *STATES[2:])))
    assert missing.json()["errors"] == {
        "milestone_1": "Please say where 'Contractor appointed' stands: not started, on track, "
        "at risk or done."
    }
    # At risk long after its due date makes the project Red: actions are required.
    red = submit_view(bot, JANE, view["id"], project_values(STATES)).json()
    assert red["errors"][ids.ACTIONS_BLOCK].startswith(
        "These milestones make the project Red (Heat pumps installed and commissioned is "
    )
    answer = submit_view(
        bot,
        JANE,
        view["id"],
        project_values(STATES, actions="Commissioning engineer booked for 12 October."),
    )
    assert answer.body == b"", answer.text
    settle(bot)
    [saved] = submissions(bot, "SE1.P1")
    assert saved.value == 2  # milestones done
    assert [item["state"] for item in saved.milestones or []] == list(STATES)
    wait_until(lambda: cards(bot, WASTE), what="the review card to the reviewer")
    [card] = cards(bot, WASTE)
    shown = text_of(card["blocks"])
    assert "*Milestones*\\n2 of 5 milestones done" in shown
    assert (
        "*Status if approved*\\n:red_circle: *Red* — Heat pumps installed and commissioned is "
        "126 working days late and at risk"
    ) in shown
    assert "*Milestones as at Wed 30 Sep 2026*" in shown
    assert "*Late — 126 working days, at risk* · due Tue 31 Mar 2026" in shown
    assert "*On track* · due Wed 30 Sep 2026 · Roof solar array connected" in shown
    assert "*Commentary*" in shown and "Commissioning engineer booked" in shown
    assert set(buttons(card)) == {ids.APPROVE, ids.REJECT}
    # The collector cannot decide on her own report (segregation of duties).
    click(bot, JANE, ids.APPROVE, card)
    settle(bot)
    assert [r.decision for r in _reviews(bot)] == []
    click(bot, WASTE, ids.APPROVE, card)
    wait_until(lambda: _reviews(bot), what="the approval")
    settle(bot)
    [review] = _reviews(bot)
    assert (review.decision, review.decided_by) == ("approved", WASTE)
    [card] = cards(bot, WASTE)
    assert "Approved" in text_of(card["blocks"]) and ids.REOPEN in buttons(card)
    status = text_of(command(bot, HOS, "status SE1.P1"))
    assert "Red" in status and "2 of 5 milestones done" in status
    assert "Heat pumps installed and commissioned" in status
    aim = text_of(command(bot, HOS, "status SE1"))
    assert (
        f"SE1.P1` Decarbonise the civic offices — {LATEST}: 2 of 5 milestones done "
        "(a project, by its milestones)"
    ) in aim
    with read_session(bot.engine) as session:
        events = [
            event
            for event in session.exec(select(AuditEvent).where(AuditEvent.entity == "value"))
            if event.entity_key == f"SE1.P1 {LATEST}"
        ]
    assert [event.action for event in events] == ["submission.create", "submission.approve"]
    assert events[0].after["milestones"][2] == {
        "title": "Heat pumps installed and commissioned",
        "due": "2026-03-31",
        "state": "at_risk",
    }


def _reviews(bot: Bot) -> list[Any]:
    from tests.test_slack_support import reviews

    found = []
    for saved in submissions(bot, "SE1.P1"):
        assert saved.id is not None
        found += reviews(bot, saved.id)
    return found


def test_the_collector_is_reminded_of_a_project_like_a_measure(bot: Bot) -> None:
    # SE1.P1 2026-27 Q2 is due Mon 12 Oct (8 working days after 30 Sep): on Fri 9 Oct, one
    # working day before, Jane is reminded, with the next milestone and a Submit button.
    when = datetime.combine(date(2026, 10, 9), time(9, 5), tzinfo=LONDON)
    bot.clock.now = when
    tick(
        bot.engine,
        services.council_info(bot.engine),
        bot.deps.transport,
        now=when,
        zone=LONDON,
        worker="test",
        sleep=lambda seconds: None,
    )
    settle(bot)
    [reminder] = [m for m in bot.dms(JANE) if m.get("text", "").startswith("Reminder: SE1.P1")]
    assert reminder["text"] == f"Reminder: SE1.P1 {LATEST} is due in 1 working day — Mon 12 Oct"
    shown = text_of(reminder["blocks"])
    assert "the milestone report for *2026-27 Q2* is due" in shown
    assert "*Last report*\\n2025-26 Q4: 2 of 5 milestones done" in shown
    assert "*Next milestone*\\nRoof solar array connected, due Wed 30 Sep 2026" in shown
    assert "Use Submit to say where each milestone stands." in shown
    assert "reply in this thread" not in shown
    assert buttons(reminder)[ids.OPEN_SUBMIT] == f"SE1.P1|{LATEST}"
    # A reply in the reminder's thread cannot say where each milestone stands: it points to
    # the form, and nothing is recorded.
    from tests.test_reminders_slack import reply

    answer = reply(bot, JANE, reminder, "2 Heat pumps running", ts="1800000001.1")
    assert answer["text"] == (
        ":information_source: SE1.P1 is a project: press Submit on the reminder (or type "
        "`/pmf submit SE1.P1`) to say where each milestone stands."
    )
    assert submissions(bot, "SE1.P1") == []
