"""The report's sign-off chain up to committee (issue 14), in Slack over signed HTTP against the
stand-in, on SQLite and PostgreSQL: Heads of Service sign off → each Executive Director approves
for their directorate (one refuses first, with a reason) → the Leadership Team approves; the
committee paper says Draft until then; agenda-deadline reminders go out once each."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from bot import chain, services
from bot.export import write_board
from bot.paper import Paper, simple_paper
from bot.periods import Period
from bot.scheduler import run_tick
from bot.status import CouncilInfo
from bot.summaries import summary
from handlers.slack import ids
from tests.slack_harness import ADMIN, LONDON, Bot, running_bot
from tests.test_slack_support import (
    buttons,
    click,
    command,
    count,
    ephemerals,
    settle,
    text_of,
    wait_ephemeral,
    wait_new,
    wait_until,
)

MAY_DAY = datetime(2026, 5, 1, 10, 0, tzinfo=LONDON)
Q3 = "2025-26 Q3"
HEADS = (
    "hos.environment@example.gov.uk",
    "hos.planning@example.gov.uk",
    "hos.communities@example.gov.uk",
    "hos.corporate@example.gov.uk",
)
PLACE = "exec.director@example.gov.uk"  # Alex Morgan
RESOURCES = "exec.resources@example.gov.uk"  # Rachel Adams
CHIEF = "chief.executive@example.gov.uk"  # Olivia Bennett
CHRIS = "chris.walker@example.gov.uk"
APPROVE = ids.action_id("report_approve")
REFUSE = ids.action_id("report_refuse")


def refused(message: dict[str, Any]) -> bool:
    return "refused the 2025-26 Q3" in str(message.get("text"))


@pytest.fixture
def bot(db_url: str) -> Iterator[Bot]:
    with running_bot(db_url) as running:
        running.clock.now = MAY_DAY
        yield running
        settle(running)


def report_cards(bot: Bot, email: str) -> list[dict[str, Any]]:
    return [m for m in bot.dms(email) if "needs your approval" in str(m.get("text", ""))]


def audit_actions(bot: Bot) -> list[str]:
    from sqlmodel import select

    from storage.engine import read_session
    from storage.models import AuditEvent

    with read_session(bot.engine) as session:
        return list(session.exec(select(AuditEvent.action)))


def card_now(bot: Bot, email: str, card: dict[str, Any]) -> dict[str, Any]:
    """The card as `email` sees it now (rewritten in place after a decision)."""
    return next(m for m in bot.dms(email) if m["ts"] == card["ts"])


def approve_in_place(bot: Bot, email: str, card: dict[str, Any], by: str) -> str:
    """`email` clicks Approve on `card`: the card itself then says who approved it and what
    the report waits for now, without its buttons (as a review card does)."""
    click(bot, email, APPROVE, card)
    wait_until(
        lambda: f"*Approved* by {by}" in text_of(card_now(bot, email, card).get("blocks")),
        what=f"{by}'s card to show the approval",
    )
    now = card_now(bot, email, card)
    assert buttons(now) == {}
    assert "ready for your approval" not in text_of(now["blocks"])  # it no longer asks
    assert f"approved by {by}" in now["text"]
    return text_of(now["blocks"])


def reply_to_click(bot: Bot, email: str, action: str, card: dict[str, Any]) -> str:
    seen = len(ephemerals(bot, email))
    click(bot, email, action, card)
    return wait_ephemeral(bot, email, seen)


def test_the_report_climbs_the_chain_with_a_refusal_on_the_way(bot: Bot, tmp_path: Path) -> None:
    shown = text_of(command(bot, ADMIN, f"report {Q3}")["blocks"])
    assert "Draft — awaiting Heads of Service sign-off" in shown
    assert "Helen Carter: not yet" in shown

    signed = [command(bot, head, f"signoff {Q3}")["text"] for head in HEADS[:3]]
    assert all(words.startswith(":white_check_mark:") for words in signed)
    # Each Head of Service is told what happens next.
    assert signed[2].endswith("The report now waits for the sign-off of Martin Hughes.")
    settle(bot)
    assert report_cards(bot, PLACE) == []  # not before the last Head of Service
    # Before every Head of Service has signed off, /pmf report offers the director no buttons.
    early = command(bot, PLACE, f"report {Q3}")
    assert "Approve" not in str(buttons(early))
    last = command(bot, HEADS[3], f"signoff {Q3}")["text"]
    assert last.startswith(":white_check_mark:")
    assert last.endswith(
        "Every Head of Service has signed off: the report has gone to Alex Morgan and Rachel "
        "Adams (Executive Directors) for approval."
    )

    wait_until(lambda: report_cards(bot, PLACE) and report_cards(bot, RESOURCES), what="cards")
    settle(bot)
    [place_card] = report_cards(bot, PLACE)
    [resources_card] = report_cards(bot, RESOURCES)
    assert report_cards(bot, CHIEF) == []  # the Leadership Team comes after the directors
    place_text = text_of(place_card["blocks"])
    assert "2025-26 Q3 performance report — Place directorate" in place_text
    assert "every Head of Service has signed off" in place_text
    # Helen Carter's 6 measures and her project, David Okafor's 5
    assert "*Measures and projects*\\n12" in place_text
    assert "Committee" in place_text and "Thu 05 Mar 2026" in place_text
    assert "(the agenda deadline)" in place_text
    assert set(buttons(place_card)) == {
        APPROVE,
        REFUSE,
    }

    # Someone else's click changes nothing.
    outsider = reply_to_click(bot, CHRIS, APPROVE, place_card)
    assert (
        "Only Alex Morgan can decide on the 2025-26 Q3 report for the Place directorate" in outsider
    )
    assert "report.approved" not in audit_actions(bot)

    # Rachel Adams refuses, with a reason; an empty reason is asked for again.
    before = count(bot, "views.open")
    click(bot, RESOURCES, REFUSE, resources_card)
    form = wait_new(bot, "views.open", before)[0].response["view"]
    assert form["callback_id"] == ids.action_id("report_refuse_reason")
    empty = bot.user.view_submission(
        bot.uid(RESOURCES), form["id"], {ids.REASON_BLOCK: {ids.REASON_INPUT: " "}}
    )
    assert empty.json()["response_action"] == "errors"
    reason = "SC1.2's commentary does not explain the rise in arrears; <!channel> please redo it."
    done = bot.user.view_submission(
        bot.uid(RESOURCES), form["id"], {ids.REASON_BLOCK: {ids.REASON_INPUT: reason}}
    )
    assert done.status == 200
    for email in (ADMIN, "hos.communities@example.gov.uk", "hos.corporate@example.gov.uk"):
        wait_until(
            lambda email=email: any(
                "refused the 2025-26 Q3" in str(m.get("text")) for m in bot.dms(email)
            ),
            what=f"the refusal to {email}",
        )
    refusal = next(m for m in bot.dms(ADMIN) if refused(m))
    said = text_of(refusal.get("blocks"))
    assert (
        "Rachel Adams refused the 2025-26 Q3 performance report for the Resources and "
        "Communities directorate" in said
    )
    assert "&lt;!channel&gt;" in said  # an approver's words stay words
    assert not any(
        "refused" in str(m.get("text")) for m in bot.dms("hos.environment@example.gov.uk")
    )

    # Alex Morgan approves; the report still waits for Rachel Adams.
    answer = approve_in_place(bot, PLACE, place_card, "Alex Morgan")
    assert "2025-26 Q3 performance report — Place directorate" in answer
    assert "Draft — awaiting Executive Directors' approval" in answer
    again = reply_to_click(bot, PLACE, APPROVE, place_card)
    assert "already approved by Alex Morgan" in again

    # With the commentary put right, Rachel Adams approves: the card goes to the Chief Executive.
    mine = command(bot, RESOURCES, f"report {Q3}")
    assert "refused by Rachel Adams" in text_of(mine["blocks"])
    approve_in_place(bot, RESOURCES, resources_card, "Rachel Adams")
    wait_until(lambda: report_cards(bot, CHIEF), what="the Leadership Team's card")
    [chief_card] = report_cards(bot, CHIEF)
    chief_text = text_of(chief_card["blocks"])
    assert "2025-26 Q3 performance report — Leadership Team" in chief_text
    assert "every Executive Director has approved it" in chief_text
    assert "*Measures and projects*\\n24" in chief_text

    # Until the Leadership Team approves, the committee paper is a draft.
    council = services.council_info(bot.engine)
    quarter = Period.parse(Q3)
    paper = tmp_path / "board.xlsx"
    write_board(
        simple_paper(summary(bot.engine, council, quarter, today=MAY_DAY.date()), MAY_DAY.date()),
        paper,
    )
    assert "Draft — awaiting Leadership Team approval" in _cells(paper)
    page = tmp_path / "board.html"
    write_board(
        simple_paper(summary(bot.engine, council, quarter, today=MAY_DAY.date()), MAY_DAY.date()),
        page,
    )
    assert "Draft — awaiting Leadership Team approval" in page.read_text(encoding="utf-8")

    answer = approve_in_place(bot, CHIEF, chief_card, "Olivia Bennett")
    assert "Approved for committee by Olivia Bennett (the Leadership Team)" in answer
    wait_until(
        lambda: any("approved for committee" in str(m.get("text")) for m in bot.dms(ADMIN)),
        what="the approval notice",
    )
    write_board(
        simple_paper(summary(bot.engine, council, quarter, today=MAY_DAY.date()), MAY_DAY.date()),
        paper,
    )
    assert "Draft" not in _cells(paper)
    assert "Approved for committee by Olivia Bennett" in _cells(paper)
    final = text_of(command(bot, CHRIS, f"report {Q3}")["blocks"])
    assert "Approved for committee by Olivia Bennett (the Leadership Team)" in final
    actions = audit_actions(bot)
    assert actions.count("report.approved") == 3 and actions.count("report.refused") == 1


def _paper(bot: Bot, council: CouncilInfo, quarter: Period) -> Paper:
    return simple_paper(summary(bot.engine, council, quarter, today=MAY_DAY.date()), MAY_DAY.date())


def _cells(path: Path) -> str:
    book = load_workbook(path)
    return " ".join(
        str(cell.value)
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.value is not None
    )


def test_agenda_deadline_reminders_go_out_once_each(bot: Bot) -> None:
    council = services.council_info(bot.engine)
    timetable = chain.agenda_deadline(council, Period.parse(Q3))
    assert timetable is not None
    meeting, deadline = timetable
    assert meeting.isoformat() == "2026-03-05"
    assert deadline == council.calendar.add_working_days(meeting, -10)
    three_before = council.calendar.add_working_days(deadline, -3)
    at_nine = datetime.combine(three_before, council.reminders.at, tzinfo=LONDON)
    bot.clock.now = at_nine
    for _ in range(2):  # two ticks (or two replicas): each reminder once
        run_tick(bot.engine, bot.deps.transport, LONDON, bot.clock)
    settle(bot)

    def reminders(email: str) -> list[dict[str, Any]]:
        return [m for m in bot.dms(email) if "must be approved by" in str(m.get("text"))]

    [to_admin] = reminders(ADMIN)
    said = text_of(to_admin.get("blocks"))
    assert (
        f"must be approved by {deadline:%a %d %b %Y} for the committee on Thu 05 Mar 2026" in said
    )
    assert "It is waiting for: " in said and "Helen Carter" in said
    for head in HEADS:
        assert len(reminders(head)) == 1  # the Heads of Service it waits for
    assert reminders(PLACE) == []  # not yet their turn
    bot.clock.now = at_nine.replace(hour=15)
    run_tick(bot.engine, bot.deps.transport, LONDON, bot.clock)
    settle(bot)
    assert len(reminders(ADMIN)) == 1
