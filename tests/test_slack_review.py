"""Review end to end (PRODUCT §5, §7): the reviewer's card, Approve / Reject in place,
resubmission, amendments, and the rules checked on the server whatever a button says —
including exactly one decision under concurrent clicks, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import pytest
from sqlmodel import select

from bot.workflow import State
from handlers.slack import ids
from storage import audit
from storage.engine import read_session
from storage.models import AuditEvent
from tests.slack_harness import Bot, running_bot
from tests.test_slack_support import (
    BEN,
    CHRIS,
    HOS,
    HOS_CORPORATE,
    JANE,
    LATEST,
    POLICY,
    SAM,
    WASTE,
    all_reviews,
    buttons,
    cards,
    click,
    command,
    count,
    ephemerals,
    form_values,
    open_submit,
    reviews,
    settle,
    submissions,
    submit_figure,
    submit_view,
    text_of,
    wait_ephemeral,
    wait_new,
    wait_until,
)


def decision_buttons(message: dict[str, Any]) -> set[str]:
    """The Approve / Reject buttons still on a message (a decided card may offer others)."""
    return set(buttons(message)) & {ids.APPROVE, ids.REJECT}


def decide_by_click(bot: Bot, email: str, card: dict[str, Any]) -> list[dict[str, Any]]:
    """`email` clicks Approve on `card`; the chat.update calls that follow."""
    before = count(bot, "chat.update")
    click(bot, email, ids.APPROVE, card)
    updates = [call.params for call in wait_new(bot, "chat.update", before)]
    settle(bot)
    return updates


def refused(
    bot: Bot, email: str, action_id: str, card: dict[str, Any], value: str | None = None
) -> str:
    """`email` clicks a button; the reply only they see (nothing else may change)."""
    seen = len(ephemerals(bot, email))
    updates, reviews_before = count(bot, "chat.update"), all_reviews(bot)
    opened = count(bot, "views.open")
    click(bot, email, action_id, card, value)
    reply = wait_ephemeral(bot, email, seen)
    settle(bot)
    assert count(bot, "chat.update") == updates, "a refused click changes no card"
    assert count(bot, "views.open") == opened, "a refused click opens no form"
    assert all_reviews(bot) == reviews_before, "a refused click records no decision"
    return reply


# -- the card -------------------------------------------------------------------------------


def test_a_submission_sends_exactly_one_card_to_the_reviewer(bot: Bot) -> None:
    submit_figure(
        bot,
        JANE,
        "SE1.1",
        "20",
        overview="Two boilers failed in the quarter.",
        actions="Replace the depot boilers by March.",
        evidence="https://intranet.example.gov.uk/carbon/q2",
    )
    [saved] = submissions(bot, "SE1.1")
    [card] = cards(bot, HOS)
    shown = text_of(card["blocks"])
    assert "SE1.1 Reduction in the council's own CO2 emissions" in shown
    assert f"{LATEST} · version 1" in shown
    assert "*Value*\\n20.0%" in shown
    assert "*Target*\\n35.0%" in shown
    assert ":red_circle: *Red*" in shown  # computed: 20 is well below 35
    assert "Two boilers failed in the quarter." in shown
    assert "Replace the depot boilers by March." in shown
    assert "https://intranet.example.gov.uk/carbon/q2" in shown
    assert "*Submitted by*\\nJane Doe" in shown
    assert "Data confidence: Amber — collected by hand" in shown  # the methodology statement
    assert buttons(card) == {ids.APPROVE: str(saved.id), ids.REJECT: str(saved.id)}
    # Nobody else got a card: not the collector, not the cover, not the admin.
    for email in (JANE, SAM, WASTE, CHRIS):
        assert cards(bot, email) == []
    assert len(bot.slack.calls_to("chat.postMessage")) == 2  # the card and the thank-you


def test_approve_updates_the_card_in_place_and_tells_the_collector(bot: Bot) -> None:
    submit_figure(bot, JANE, "SE1.1", "36.5")
    [card] = cards(bot, HOS)
    dms_before = len(bot.dms(JANE))
    [update] = decide_by_click(bot, HOS, card)
    assert update["channel"] == bot.slack.channel_of(card["ts"]) and update["ts"] == card["ts"]
    [now] = cards(bot, HOS)
    shown = text_of(now["blocks"])
    assert ":white_check_mark: *Approved* by Helen Carter at 10:00 on Thu 08 Oct 2026" in shown
    assert decision_buttons(now) == set()
    assert now["text"].endswith("approved")

    [notice] = bot.dms(JANE)[dms_before:]
    told = text_of(notice)
    assert "was *approved* by Helen Carter" in told
    assert "SE1.1" in told and "36.5%" in told and ":large_green_circle: *Green*" in told

    [saved] = submissions(bot, "SE1.1")
    assert saved.id is not None
    [review] = reviews(bot, saved.id)
    assert (review.decision, review.decided_by) == ("approved", HOS)


def test_reject_needs_a_reason_and_the_collector_can_resubmit(bot: Bot) -> None:
    submit_figure(
        bot,
        JANE,
        "SE1.1",
        "36.5",
        overview="Depot retrofit finished.",
        actions="Switch the fleet to HVO.",
        evidence="https://example.gov.uk/energy",
    )
    [card] = cards(bot, HOS)
    [v1] = submissions(bot, "SE1.1")

    before = count(bot, "views.open")
    click(bot, HOS, ids.REJECT, card)
    call = wait_new(bot, "views.open", before)[0]
    assert call.ok
    form = call.response["view"]
    assert form["callback_id"] == ids.REJECT_VIEW
    assert "version 1: 36.5% from Jane Doe" in text_of(form["blocks"])

    answer = bot.user.view_submission(
        bot.uid(HOS), form["id"], {ids.REASON_BLOCK: {ids.REASON_INPUT: "  "}}
    )
    body = answer.json()
    assert body["response_action"] == "errors"
    assert list(body["errors"]) == [ids.REASON_BLOCK]
    assert v1.id is not None and reviews(bot, v1.id) == []

    dms_before, updates = len(bot.dms(JANE)), count(bot, "chat.update")
    reason = "The figure leaves out the fleet; please add the fuel card data."
    answer = bot.user.view_submission(
        bot.uid(HOS), form["id"], {ids.REASON_BLOCK: {ids.REASON_INPUT: reason}}
    )
    assert answer.status == 200 and answer.body == b""
    [update] = [c.params for c in wait_new(bot, "chat.update", updates)]
    settle(bot)
    assert update["ts"] == card["ts"]
    [now] = cards(bot, HOS)
    assert ":x: *Rejected* by Helen Carter" in text_of(now["blocks"])
    assert reason in text_of(now["blocks"])
    assert decision_buttons(now) == set()

    [notice] = bot.dms(JANE)[dms_before:]
    assert "was *rejected* by Helen Carter" in text_of(notice)
    assert reason in text_of(notice)
    assert buttons(notice) == {ids.RESUBMIT: f"SE1.1|{LATEST}"}

    before = count(bot, "views.open")
    click(bot, JANE, ids.RESUBMIT, notice)
    call = wait_new(bot, "views.open", before)[0]
    assert call.ok, call.response
    modal = call.response["view"]
    assert modal["callback_id"] == ids.SUBMIT_VIEW
    assert f"*Period*\\n{LATEST}" in text_of(modal["blocks"])
    # The form starts from the rejected version, with the reason at the top.
    top = text_of(modal["blocks"][0])
    assert "*Version 1 was rejected by Helen Carter on Thu 08 Oct 2026*" in top, top
    assert reason in top
    assert {
        b["block_id"]: b["element"].get("initial_value")
        for b in modal["blocks"]
        if b.get("type") == "input"
    } == {
        ids.VALUE_BLOCK: "36.5",
        ids.OVERVIEW_BLOCK: "Depot retrofit finished.",
        ids.ACTIONS_BLOCK: "Switch the fleet to HVO.",
        ids.EVIDENCE_BLOCK: "https://example.gov.uk/energy",
    }

    answer = submit_view(bot, JANE, modal["id"], form_values("37.0", "Fleet now included."))
    assert answer.body == b""
    wait_until(lambda: len(cards(bot, HOS)) == 2, what="the card for version 2")
    settle(bot)
    v1_again, v2 = submissions(bot, "SE1.1")
    assert (v1_again.version, v2.version) == (1, 2)
    old, new = cards(bot, HOS)
    assert "Rejected" in text_of(old["blocks"])  # untouched
    assert f"{LATEST} · version 2" in text_of(new["blocks"])
    assert buttons(new) == {ids.APPROVE: str(v2.id), ids.REJECT: str(v2.id)}


def test_an_amendment_before_the_decision_replaces_the_old_card(bot: Bot) -> None:
    submit_figure(bot, JANE, "SE1.1", "36.5")
    [old_card] = cards(bot, HOS)

    view = open_submit(bot, JANE, "SE1.1")  # prefilled with the pending version
    shown = text_of(view["blocks"])
    assert "Version 1 is waiting for review; submitting again replaces it." in shown
    value_block = next(b for b in view["blocks"] if b.get("block_id") == ids.VALUE_BLOCK)
    assert value_block["element"]["initial_value"] == "36.5"

    updates = count(bot, "chat.update")
    answer = submit_view(bot, JANE, view["id"], form_values("36.8", "Corrected meter reading."))
    assert answer.body == b""
    [update] = [c.params for c in wait_new(bot, "chat.update", updates)]
    wait_until(lambda: len(cards(bot, HOS)) == 2, what="the card for version 2")
    settle(bot)
    assert update["ts"] == old_card["ts"]

    replaced, new = cards(bot, HOS)
    assert replaced["ts"] == old_card["ts"]
    assert "Replaced by version 2" in text_of(replaced["blocks"])
    assert buttons(replaced) == {}  # nothing left to click
    assert "version 2" in text_of(new["blocks"]) and "36.8%" in text_of(new["blocks"])
    v1, v2 = submissions(bot, "SE1.1")
    assert (v1.version, v1.value, v2.version, v2.value) == (1, Decimal("36.5"), 2, Decimal("36.8"))
    assert buttons(new)[ids.APPROVE] == str(v2.id)

    # A click on the old card (as the reviewer's client may still show it) is refused.
    reply = refused(bot, HOS, ids.APPROVE, old_card)
    assert "replaced" in reply and "version 2" in reply
    assert "Please use the newest card" in reply
    # The new card still works.
    decide_by_click(bot, HOS, new)
    assert v2.id is not None and reviews(bot, v2.id)[0].decision == "approved"
    assert v1.id is not None and reviews(bot, v1.id) == []


def test_status_shows_a_figure_only_once_it_is_approved(bot: Bot) -> None:
    submit_figure(bot, JANE, "SE1.1", "36.5")
    for email in (CHRIS, SAM):
        shown = text_of(command(bot, email, "status SE1.1")["blocks"])
        assert "36.5%" not in shown
        assert "no approved value" in shown
        assert f"*Workflow*\\n{State.SUBMITTED.words}" in shown
    assert "36.5%" not in text_of(command(bot, CHRIS, "status SE1")["blocks"])

    decide_by_click(bot, HOS, cards(bot, HOS)[0])
    shown = text_of(command(bot, CHRIS, "status SE1.1")["blocks"])
    assert "*Value*\\n36.5%" in shown
    assert ":large_green_circle: *Green*" in shown
    assert f"*Workflow*\\n{State.APPROVED.words}" in shown
    assert "Steady progress this quarter." in shown  # the commentary
    assert ":large_green_circle: *Green* `SE1.1`" in text_of(
        command(bot, CHRIS, "status SE1")["blocks"]
    )


# -- rules on the server --------------------------------------------------------------------


def test_the_collector_cannot_approve_or_reject_her_own_figure(bot: Bot) -> None:
    submit_figure(bot, JANE, "SE1.1", "36.5")
    [card] = cards(bot, HOS)
    reply = refused(bot, JANE, ids.APPROVE, card)
    assert "segregation of duties" in reply
    reply = refused(bot, JANE, ids.REJECT, card)
    assert "segregation of duties" in reply


def test_an_admin_who_submitted_on_behalf_cannot_decide_it_either(bot: Bot) -> None:
    submit_figure(bot, POLICY, "SE1.1", "36.5")
    reply = refused(bot, POLICY, ids.APPROVE, cards(bot, HOS)[0])
    assert "segregation of duties" in reply


def test_an_unrelated_person_cannot_decide_and_is_told_who_can(bot: Bot) -> None:
    submit_figure(bot, SAM, "SE1.2", "52.5")
    [card] = cards(bot, WASTE)
    for action in (ids.APPROVE, ids.REJECT):
        reply = refused(bot, CHRIS, action, card)
        assert "Only Gareth Price (the data reviewer for SE1.2)" in reply
        assert "Helen Carter (Head of Service)" in reply


def test_a_second_click_after_a_decision_is_refused_naming_who_decided(bot: Bot) -> None:
    submit_figure(bot, SAM, "SE1.2", "52.5")
    [card] = cards(bot, WASTE)
    stale = dict(card)  # what another decider's client still shows
    decide_by_click(bot, WASTE, card)

    reply = refused(bot, HOS, ids.APPROVE, stale)
    assert "already approved by Gareth Price at 10:00 on 08 Oct 2026" in reply
    reply = refused(bot, HOS, ids.REJECT, stale)
    assert "already approved by Gareth Price" in reply


def test_a_double_click_by_the_decider_records_one_decision_and_says_so(bot: Bot) -> None:
    submit_figure(bot, JANE, "SE1.1", "36.5")
    [card] = cards(bot, HOS)
    decide_by_click(bot, HOS, card)
    seen = len(ephemerals(bot, HOS))
    click(bot, HOS, ids.APPROVE, card)
    reply = wait_ephemeral(bot, HOS, seen)
    settle(bot)
    assert "already approved by Helen Carter" in reply
    assert len(bot.dms(JANE)) == 2  # the thank-you and one "approved", not two
    [saved] = submissions(bot, "SE1.1")
    assert saved.id is not None and len(reviews(bot, saved.id)) == 1


@pytest.mark.parametrize("value", ["not-a-number", "", "12; DROP TABLE review", "9999999"])
def test_a_forged_button_value_is_refused(bot: Bot, value: str) -> None:
    submit_figure(bot, JANE, "SE1.1", "36.5")
    [card] = cards(bot, HOS)
    reply = refused(bot, HOS, ids.APPROVE, card, value=value)
    assert ":no_entry:" in reply or "does not name a submission" in reply
    if value == "9999999":
        assert "no longer exists" in reply
    else:
        assert "does not name a submission" in reply


def test_a_forged_button_naming_another_measure_is_refused(bot: Bot) -> None:
    submit_figure(bot, JANE, "SE1.1", "36.5")
    submit_figure(bot, BEN, "TC1.1", "48.0")
    [tc] = submissions(bot, "TC1.1")
    [card] = cards(bot, HOS)  # Helen's own card, with the id changed to TC1.1's submission
    for action in (ids.APPROVE, ids.REJECT):
        reply = refused(bot, HOS, action, card, value=str(tc.id))
        assert "Only Martin Hughes (the data reviewer and Head of Service for TC1.1)" in reply
    assert tc.id is not None and reviews(bot, tc.id) == []
    # The real reviewer still can.
    decide_by_click(bot, HOS_CORPORATE, cards(bot, HOS_CORPORATE)[0])
    assert reviews(bot, tc.id)[0].decided_by == HOS_CORPORATE


def test_a_reject_form_cannot_be_used_by_someone_else(bot: Bot) -> None:
    submit_figure(bot, JANE, "SE1.1", "36.5")
    [saved] = submissions(bot, "SE1.1")
    forged = {
        "callback_id": ids.REJECT_VIEW,
        "private_metadata": f'{{"submission": {saved.id}}}',
        "blocks": [],
    }
    answer = bot.user.view_submission(
        bot.uid(CHRIS), forged, {ids.REASON_BLOCK: {ids.REASON_INPUT: "I don't like it"}}
    )
    body = answer.json()
    assert body["response_action"] == "errors"
    assert (
        "Only Helen Carter (the data reviewer and Head of Service for SE1.1)"
        in body["errors"][ids.REASON_BLOCK]
    )
    assert saved.id is not None and reviews(bot, saved.id) == []


def test_the_head_of_service_may_approve(bot: Bot) -> None:
    submit_figure(bot, SAM, "SE1.2", "52.5")
    [card] = cards(bot, WASTE)  # the reviewer's card; Helen acts from her due list
    reply = command(bot, HOS, "due")
    queue = [
        e["value"]
        for b in reply["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == ids.APPROVE
    ]
    [saved] = submissions(bot, "SE1.2")
    assert queue == [str(saved.id)]
    decide_by_click(bot, HOS, card)
    assert saved.id is not None
    assert reviews(bot, saved.id)[0].decided_by == HOS
    [now] = cards(bot, WASTE)
    assert ":white_check_mark: *Approved* by Helen Carter" in text_of(now["blocks"])


# -- exactly one decision under concurrent clicks -----------------------------------------------


def all_reviews_for(bot: Bot, submission_id: int) -> int:
    return len(reviews(bot, submission_id))


@pytest.mark.postgres
def test_concurrent_approvals_record_exactly_one_decision(db_url: str) -> None:
    clicks = 8
    with running_bot(db_url, threads=clicks + 4) as bot:
        submit_figure(bot, SAM, "SE1.2", "52.5")
        [card] = cards(bot, WASTE)
        [saved] = submissions(bot, "SE1.2")
        assert saved.id is not None
        people = [WASTE, HOS] * (clicks // 2)  # the reviewer and the Head of Service
        barrier = threading.Barrier(clicks)

        def one(email: str) -> int:
            barrier.wait()
            answer = bot.user.block_action(
                bot.uid(email), ids.APPROVE, buttons(card)[ids.APPROVE], message=card
            )
            return answer.status

        with ThreadPoolExecutor(clicks) as pool:
            statuses = list(pool.map(one, people))
        assert statuses == [200] * clicks

        def replies() -> int:
            return len(ephemerals(bot, WASTE)) + len(ephemerals(bot, HOS))

        wait_until(lambda: replies() >= clicks - 1, timeout=15, what="every other click's reply")
        wait_until(lambda: all_reviews_for(bot, saved.id) == 1, what="the decision")
        settle(bot)

        [review] = reviews(bot, saved.id)
        assert review.decision == "approved"
        winner = {WASTE: "Gareth Price", HOS: "Helen Carter"}[review.decided_by]
        told = ephemerals(bot, WASTE) + ephemerals(bot, HOS)
        assert len(told) == clicks - 1, told
        for reply in told:
            assert f"already approved by {winner}" in reply, reply

        [now] = cards(bot, WASTE)
        shown = text_of(now["blocks"])
        assert shown.count("*Approved* by") == 1 and f"*Approved* by {winner}" in shown
        assert "Rejected" not in shown and decision_buttons(now) == set()
        approved_notices = [m for m in bot.dms(SAM) if "was *approved*" in text_of(m)]
        assert len(approved_notices) == 1
        with read_session(bot.engine) as session:
            approvals = session.exec(
                select(AuditEvent).where(AuditEvent.action == "submission.approve")
            ).all()
        assert [e.entity_key for e in approvals if e.actor != "setup"] == [f"SE1.2 {LATEST}"]
        assert audit.verify(bot.engine).ok


# -- the audit trail ----------------------------------------------------------------------------


def test_submit_and_approve_leave_a_verified_audit_trail_naming_the_actors(bot: Bot) -> None:
    submit_figure(bot, JANE, "SE1.1", "36.5")
    decide_by_click(bot, HOS, cards(bot, HOS)[0])
    result = audit.verify(bot.engine)
    assert result.ok, result.problems
    with read_session(bot.engine) as session:
        trail = session.exec(
            select(AuditEvent).where(AuditEvent.entity_key == f"SE1.1 {LATEST}")
        ).all()
    assert [(e.action, e.actor) for e in trail] == [
        ("submission.create", JANE),
        ("submission.approve", HOS),
    ]
    created, approved = trail
    assert created.after["version"] == 1 and created.after["state"] == "submitted"
    assert approved.after["state"] == "approved" and approved.before["state"] == "submitted"
