"""Tracked actions, the sign-off chain's buttons and the methodology's confidence level in
Teams (issue 14): the chat-neutral messages rendered as Adaptive Cards 1.5 (the card JSON), and
`actions` end to end through the Teams surface on SQLite and PostgreSQL — listed with progress
buttons as `Action.Execute` verbs, an update recorded, a drop refused without its reason and
recorded with it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot import actions
from bot.chain import ChainState, Decision, Step
from bot.chat import actions as actions_view
from bot.chat import chain as chain_view
from bot.chat import intents
from bot.chat import status as status_view
from bot.periods import Period
from bot.ragg import Ragg
from bot.summary import Tally
from handlers.teams import render
from tests.teams_harness import running_teams_bot
from tests.test_teams_e2e import ACTIVITY_MESSAGE, CARD, assert_adaptive_15, click, verbs, words

LONDON = ZoneInfo("Europe/London")
AMY = "amy.robinson@example.gov.uk"  # collects SC1.1 and SC1.2
CHRIS = "chris.walker@example.gov.uk"  # nothing to do with SC1.*
NOW = datetime(2026, 10, 8, 9, 0, tzinfo=UTC)


def action(**changes: Any) -> actions.ActionView:
    found = actions.ActionView(
        id=7,
        ref="SC1.2",
        title="Rent arrears of current tenants",
        period="2025-26 Q3",
        text="Call every tenant moving onto *Universal Credit* [now](https://evil.example)",
        owner=AMY,
        owner_name="Amy Robinson",
        due=date(2026, 9, 30),
        progress=actions.AT_RISK,
        note=None,
        updated_at=NOW,
        collector=AMY,
        reviewer=None,
        head_of_service=None,
    )
    return actions.ActionView(**{**found.__dict__, **changes})


# -- the card JSON ------------------------------------------------------------------------------


def test_actions_render_as_an_adaptive_card_with_progress_verbs() -> None:
    shown = actions_view.listing(
        [action(), action(id=8, progress=actions.ON_TRACK, due=date(2026, 11, 30))],
        date(2026, 10, 8),
        title="Open actions on your measures",
        editable=[7],
    )
    card = render.card(shown)
    assert_adaptive_15(card)
    said = words(card)
    assert "Open actions on your measures" in said
    assert "Owner Amy Robinson · due Wed 30 Sep 2026 · at risk 🚨 overdue" in said
    # The officer's words are escaped: no bold, no link made of them.
    body = str(card["body"])
    assert "\\\\*Universal Credit\\\\*" in body and "\\\\[now\\\\]\\\\(https" in body
    # Buttons only for the action the person may update: On track, At risk, Done, Drop….
    sets = [item for item in card["body"] if item["type"] == "ActionSet"]
    assert len(sets) == 1 and sets[0]["id"] == "action_7"
    [on_track, at_risk, done, drop] = sets[0]["actions"]
    assert [a["title"] for a in (on_track, at_risk, done, drop)] == [
        "On track", "At risk", "Done", "Drop…",
    ]  # fmt: skip
    assert {a["type"] for a in sets[0]["actions"]} == {"Action.Execute"}
    assert done["verb"] == intents.ACTION_PROGRESS and done["style"] == "positive"
    assert done["data"] == {"pmf_action": "action_progress", "pmf_value": "7|done"}
    assert drop["verb"] == intents.ACTION_DROP and drop["data"]["pmf_value"] == "7"
    # The drop form is a card form whose submit comes back with the form's kind.
    form = render.form_card(
        actions_view.drop_form(action()), opened_by=(intents.ACTION_DROP, "7"), dialog=False
    )
    [reason] = [item for item in form["body"] if item.get("id") == intents.REASON]
    assert reason["isRequired"] and reason["isMultiline"]
    [submit] = form["actions"]
    assert submit["verb"] == render.FORM_VERB
    assert submit["data"]["pmf_form"] == intents.ACTION_DROP_FORM
    assert submit["data"]["pmf_meta"] == {"action": 7, "channel": None}


def test_the_chains_approval_card_has_approve_and_refuse_verbs() -> None:
    quarter = Period.parse("2026-27 Q1")
    step = Step("Place", ("exec.director@example.gov.uk",), ("Alex Morgan",), None)
    state = ChainState(quarter, (), (step,), None)
    tally = Tally("ALL", "All", {status: 0 for status in Ragg} | {Ragg.RED: 2, Ragg.GREEN: 9}, {})
    card = render.card(
        chain_view.approval_card(
            state, step, tally, LONDON, meeting=date(2026, 9, 15), deadline=date(2026, 9, 1)
        )
    )
    assert_adaptive_15(card)
    assert "2026-27 Q1 performance report" in words(card)
    found = verbs(card)
    assert set(found) == {intents.REPORT_APPROVE, intents.REPORT_REFUSE}
    assert found[intents.REPORT_APPROVE]["style"] == "positive"
    assert found[intents.REPORT_REFUSE]["style"] == "destructive"
    value = chain_view.button_value(quarter, "Place")
    assert found[intents.REPORT_APPROVE]["data"]["pmf_value"] == value
    # Once approved, the card no longer asks: no buttons, who decided instead.
    approved = Step(
        "Place",
        step.approvers,
        step.approver_names,
        Decision("Place", "exec.director@example.gov.uk", "Alex Morgan", "approved", None, NOW),
    )
    done = render.card(
        chain_view.approval_card(
            ChainState(quarter, (), (approved,), None), approved, tally, LONDON
        )
    )
    assert verbs(done) == {} and "Alex Morgan" in words(done)


# -- end to end ---------------------------------------------------------------------------------


def _action_sets(card: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    return {
        item["id"]: item["actions"]
        for item in card.get("body", [])
        if item.get("type") == "ActionSet" and str(item.get("id", "")).startswith("action_")
    }


def test_actions_in_teams_list_update_and_drop(db_url: str) -> None:
    with running_teams_bot(db_url) as bot:
        for email in (AMY, CHRIS):
            assert bot.client.install(bot.people[email]).status_code == 200
        # The example history tracks Amy's actions on SC1.1 and SC1.2.
        bot.say(AMY, "actions")
        [activity] = [
            a
            for a in bot.chat(AMY)
            if any("Call every tenant" in words(x["content"]) for x in a.get("attachments") or [])
        ]
        [attachment] = activity["attachments"]
        assert attachment["contentType"] == CARD
        listed = attachment["content"]
        assert_adaptive_15(listed)
        said = words(listed)
        assert "Call every tenant moving onto Universal Credit" in said
        assert "Owner Amy Robinson · due Wed 30 Sep 2026 · at risk 🚨 overdue" in said
        mine = {a.text.split()[0]: a for a in actions.listing(bot.engine, email=AMY)}
        call, surgeries = mine["Call"], mine["Weekly"]
        sets = _action_sets(listed)
        assert f"action_{call.id}" in sets and f"action_{surgeries.id}" in sets

        # Chris, who has nothing to do with it, is refused on the server.
        done = next(a for a in sets[f"action_{call.id}"] if a["title"] == "Done")
        answer = click(bot, CHRIS, done)
        assert answer["type"] == ACTIVITY_MESSAGE and "Only Amy Robinson" in str(answer["value"])
        assert actions.one(bot.engine, call.id).progress == actions.AT_RISK  # type: ignore[union-attr]

        # Amy marks it done.
        click(bot, AMY, done)
        bot.settle()
        assert actions.one(bot.engine, call.id).progress == actions.DONE  # type: ignore[union-attr]

        # Drop…: the reason form in the card; without a reason it is refused inline.
        drop = next(a for a in sets[f"action_{surgeries.id}"] if a["title"] == "Drop…")
        opened = click(bot, AMY, drop)
        form = opened["value"]
        assert_adaptive_15(form)
        [send] = form["actions"]
        empty = bot.client.execute(
            bot.people[AMY], send["verb"], {**send["data"], intents.REASON: " "}
        )
        refused_form = empty.json()["value"]
        assert "Please say why the action is dropped." in words(refused_form)
        assert [i.get("id") for i in refused_form["body"]].count(intents.REASON) == 1
        assert actions.one(bot.engine, surgeries.id).progress == actions.ON_TRACK  # type: ignore[union-attr]
        why = "The housing office closes; calls replace the surgeries."
        bot.client.execute(bot.people[AMY], send["verb"], {**send["data"], intents.REASON: why})
        bot.settle()
        dropped = actions.one(bot.engine, surgeries.id)
        assert dropped is not None and (dropped.progress, dropped.note) == (actions.DROPPED, why)


def test_confidence_shows_on_teams_status(db_url: str) -> None:
    """The methodology's confidence level, on `status REF` in Teams."""
    assert status_view  # the status message is the chat-neutral one Slack shows too
    with running_teams_bot(db_url) as bot:
        assert bot.client.install(bot.people[AMY]).status_code == 200
        bot.say(AMY, "status SC1.2")
        card = bot.cards(AMY)[-1]
        assert_adaptive_15(card)
        assert "Data confidence" in words(card)


def test_an_escalation_renders_as_one_card_listing_the_heads_figures() -> None:
    """Issue 13's one-message-per-Head-of-Service escalation, as Teams shows it."""
    from bot.chat.reminders import reminder_message
    from bot.reminders import Kind, ReminderContent
    from tests.test_reminders_plan import measure

    names = {"collector@example.gov.uk": "Ben Clarke", "cover@example.gov.uk": "Sam Lee"}
    content = ReminderContent(
        Kind.ESCALATION,
        "hos@example.gov.uk",
        escalated=[
            (measure("TC1.1"), Period.parse("2026-27 Q2"), date(2026, 10, 7), "1 working day "
             "ago — Wed 07 Oct", None),
            (measure("TC1.2"), Period.parse("2026-09"), date(2026, 10, 7), "1 working day ago — "
             "Wed 07 Oct", (date(2026, 10, 16), "cover@example.gov.uk")),
        ],
    )  # fmt: skip
    card = render.card(reminder_message(content, lambda email: names.get(email, email)))
    assert_adaptive_15(card)
    said = words(card)
    assert "🚨 2 figures in your service are overdue and not yet submitted:" in said
    assert "TC1.1 Measure TC1.1 — 2026-27 Q2, due 1 working day ago — Wed 07 Oct." in said
    assert "Ben Clarke is away until Fri 16 Oct 2026; Sam Lee is covering." in said
    assert verbs(card) == {}  # nothing to click: the figures are the collectors' to submit
