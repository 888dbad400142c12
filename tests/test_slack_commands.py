"""`/pmf` end to end (PRODUCT §7): help, status, due, and people outside the register; and
the App Home. Every reply must be ephemeral (checked by `command`)."""

from __future__ import annotations

import html
import re

import pytest

from bot.workflow import State
from handlers.slack import commands, ids
from tests.slack_harness import Bot
from tests.test_slack_support import (
    CHRIS,
    HOS,
    JANE,
    SAM,
    WASTE,
    buttons,
    cards,
    click,
    command,
    command_as,
    count,
    open_home,
    settle,
    submit_figure,
    text_of,
    wait_new,
    wait_until,
)

# -- help and unknown verbs -----------------------------------------------------------------


@pytest.mark.parametrize("text", ["help", "", "HELP"])
def test_help_and_no_text_list_every_command_with_examples(reader: Bot, text: str) -> None:
    reply = command(reader, JANE, text)
    shown = text_of(reply["blocks"])
    for usage in ("/pmf status [REF] [PERIOD]", "/pmf submit REF [PERIOD]", "/pmf due"):
        assert usage in shown
    assert "/pmf status SE1 2025-26 Q4" in shown  # an example
    assert "I don't know" not in shown


@pytest.mark.parametrize(("verb", "closest"), [("stauts", "status"), ("sbumit", "submit")])
def test_an_unknown_verb_suggests_the_closest_and_shows_help(
    reader: Bot, verb: str, closest: str
) -> None:
    reply = command(reader, JANE, f"{verb} SE1.1")
    assert f"I don't know '{verb}'" in reply["text"]
    assert f"Did you mean `/pmf {closest}`?" in reply["text"]
    assert "/pmf due" in text_of(reply["blocks"])  # the help follows


# -- status -----------------------------------------------------------------------------------


def test_status_of_a_measure_shows_figure_target_ragg_travel_state_and_commentary(
    reader: Bot,
) -> None:
    reply = command(reader, CHRIS, "status SE1.2 2025-26 Q4")
    shown = text_of(reply["blocks"])
    assert "SE1.2 Household waste sent for reuse, recycling and composting" in shown
    assert "2025-26 Q4" in shown
    assert "*Value*\\n47.5%" in shown
    assert "*Target*\\n50.0%" in shown
    assert ":large_orange_circle: *Amber*" in shown  # emoji AND word
    assert "declining on 2025-26 Q3" in shown  # 47.5 after 48.9
    assert "improving on 2024-25 Q4" in shown  # 47.5 after 44.9 a year earlier
    assert f"*Workflow*\\n{State.APPROVED.words}" in shown
    assert "rejected load of contaminated recycling" in shown  # the commentary
    assert "Committee view: on target" in shown


def test_status_keeps_units_and_decimals(reader: Bot) -> None:
    shown = text_of(command(reader, CHRIS, "status SE1.3 2025-26 Q4")["blocks"])
    assert "103.8 kg per household" in shown
    assert "105.0 kg per household" in shown
    assert ":large_green_circle: *Green*" in shown
    shown = text_of(command(reader, CHRIS, "status SE1.1 2025-26 Q3")["blocks"])
    assert "30.2%" in shown and "30.0%" in shown


def test_status_of_an_aim_lists_its_measures(reader: Bot) -> None:
    reply = command(reader, CHRIS, "status SE1 2025-26 Q4")
    shown = text_of(reply["blocks"])
    assert "Aim SE1" in shown
    for ref in ("`SE1.1`", "`SE1.2`", "`SE1.3`"):
        assert ref in shown
    assert "`SE2.1`" not in shown
    assert ":large_orange_circle: *Amber* `SE1.2`" in shown
    assert ":large_green_circle: *Green* `SE1.1`" in shown
    assert "31.2%" in shown and "47.5%" in shown


def test_status_of_a_priority_groups_its_aims(reader: Bot) -> None:
    shown = text_of(command(reader, CHRIS, "status SE 2025-26 Q4")["blocks"])
    assert "Priority SE" in shown
    for ref in ("`SE1.1`", "`SE1.2`", "`SE1.3`", "`SE2.1`", "`SE2.2`", "`SE2.3`"):
        assert ref in shown
    assert "`DE1.1`" not in shown


def test_status_of_the_whole_council_by_default_and_for_a_period(reader: Bot) -> None:
    latest = text_of(command(reader, CHRIS, "status")["blocks"])
    assert "Example District Council" in latest and "latest periods" in latest
    for priority in ("Shape our Environment", "Drive our Economy", "Transform our Council"):
        assert priority in latest
    # Nothing is recorded for 2026-27 Q2 yet: no figure, and the workflow says why.
    assert ":heavy_minus_sign: *No data* `SE1.1`" in latest
    assert f"_{State.DUE.words}_" in latest
    # A measure without a target says so plainly (not "target no target"); one with says it.
    se22 = latest.split("`SE2.2`", 1)[1].split("\\n", 1)[0]
    assert "(no target)" in se22 and "target no target" not in latest
    assert "(target 35.0%)" in latest.split("`SE1.1`", 1)[1].split("\\n", 1)[0]

    # "Latest periods" says why its counts may differ from a summary's, and how to see the
    # quarter's; that status and the quarter's summary count alike.
    assert "Each line shows its own latest period, so the counts can differ" in latest
    assert "`/pmf status 2026-27 Q2`" in latest
    quarter = text_of(command(reader, CHRIS, "status 2026-27 Q2")["blocks"])
    assert "Each line shows its own latest period" not in quarter
    summary = text_of(command(reader, CHRIS, "summary 2026-27 Q2")["blocks"])
    said = re.search(r"Red (\d+) · Amber (\d+) · Green (\d+) · Grey (\d+) · No data (\d+)", quarter)
    overall = re.findall(r"(Red|Amber|Green|Grey|No data) \*(\d+)\*", summary)[:5]
    assert said and [int(n) for n in said.groups()] == [int(n) for _, n in overall]

    q4 = text_of(command(reader, CHRIS, "status 2025-26 Q4")["blocks"])
    assert "2025-26 Q4" in q4
    assert ":large_green_circle: *Green* `SE1.1`" in q4 and "31.2%" in q4
    assert "`TC1.1`" in q4


def test_an_unknown_ref_gets_the_closest_matches(reader: Bot) -> None:
    reply = command(reader, CHRIS, "status SE1.9")
    assert "There is no measure, aim or priority called 'SE1.9'" in reply["text"]
    assert "Did you mean" in reply["text"]
    assert "SE1.1" in reply["text"]
    reply = command(reader, CHRIS, "status se3")
    assert "Did you mean" in reply["text"]
    hint = reply["text"].split("Did you mean", 1)[1]
    assert "SE1" in hint or "SE2" in hint


@pytest.mark.parametrize(
    ("text", "suggestion"),
    [
        ("SE1.1 2025-26 Q5", "`2025-26 Q4`"),
        ("SE1 2025-26 H3", "`2025-26 H"),
        ("2025-26 Q0", "`2025-26 Q"),  # no REF: the whole text is the (malformed) period
        ("SE1.1 2026-27 Q", "`2026-27 Q"),
    ],
)
def test_a_malformed_period_gets_the_closest_period_labels(
    reader: Bot, text: str, suggestion: str
) -> None:
    reply = command(reader, CHRIS, f"status {text}")
    shown = text_of(reply["blocks"])
    assert "not a period" in shown, shown
    assert "Did you mean" in shown, shown
    hint = shown.split("Did you mean", 1)[1]
    assert suggestion in hint, shown


def test_a_period_that_is_no_label_at_all_explains_the_forms(reader: Bot) -> None:
    shown = text_of(command(reader, CHRIS, "status SE1.1 last-quarter")["blocks"])
    assert ":warning:" in shown
    assert "2025-26 Q1" in shown  # either a suggestion or the forms a period takes


# -- due ----------------------------------------------------------------------------------------


def test_due_lists_my_items_with_submit_buttons(reader: Bot) -> None:
    reply = command(reader, JANE, "due")
    shown = text_of(reply["blocks"])
    assert "*Due from you*" in shown
    assert "*2026-27 Q2*" in shown and "*2026-27 Q1*" in shown
    assert ":rotating_light: *overdue*" in shown  # Q1's deadline was in July
    submit_values = [
        block["accessory"]["value"]
        for block in reply["blocks"]
        if block.get("accessory", {}).get("action_id") == ids.OPEN_SUBMIT
    ]
    assert [v for v in submit_values if v.startswith("SE1.1|")] == [
        "SE1.1|2026-27 Q1",
        "SE1.1|2026-27 Q2",
    ]
    assert {"SE1.P1|2026-27 Q1", "SE1.P1|2026-27 Q2"} <= set(submit_values)  # her project
    assert "Nothing to review." in shown
    assert "SE1.2" not in shown  # Sam collects SE1.2; Jane only covers it


def test_due_shows_my_review_queue(bot: Bot) -> None:
    submit_figure(bot, JANE, "SE1.1", "36.5")
    reply = command(bot, HOS, "due")
    shown = text_of(reply["blocks"])
    assert "Nothing to submit." in shown
    assert "*Waiting for your review*" in shown
    assert "*2026-27 Q2*, version 1: *36.5%* against a target of 35.0% from Jane Doe" in shown
    assert "*Performance overview*\\nSteady progress this quarter." in shown  # before deciding
    review_buttons = [
        element
        for block in reply["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]
    assert {b["action_id"] for b in review_buttons} == {ids.APPROVE, ids.REJECT}
    # The collector does not review her own figure.
    assert "Nothing to review." in text_of(command(bot, JANE, "due")["blocks"])


def test_someone_not_in_the_register_can_read_status_but_is_told_why_not_more(
    reader: Bot,
) -> None:
    stranger = reader.slack.add_user("visitor@elsewhere.example.org", "Val Visitor")
    status = command_as(reader, stranger, "status SE1.2 2025-26 Q4")
    assert ":large_orange_circle: *Amber*" in text_of(status["blocks"])

    views_before = count(reader, "views.open")
    for verb, what in (("submit SE1.1", "submit figures"), ("due", "have figures due")):
        told = html.unescape(command_as(reader, stranger, verb)["text"])  # Slack shows &amp; as &
        assert f"You are not in the council's measure register, so you cannot {what}" in told
        assert "/pmf status" in told  # what they can do instead
        assert "Performance & Policy Officer" in told  # who can add them
    assert count(reader, "views.open") == views_before


def test_a_slow_read_is_acknowledged_in_time_and_its_answer_follows(reader: Bot) -> None:
    # Slack shows an error when the acknowledgement takes over 3 s. A stranger's first command
    # looks them up (users.info); with Slack answering 3.2 s late, the answer cannot be ready
    # in time: a holding line acknowledges it, and the answer follows to the response URL.
    stranger = reader.slack.add_user("slow@elsewhere.example.org", "Sol Slow")
    before = count(reader, "response_url")
    reader.slack.set_latency(3.2)
    try:
        acknowledged = reader.user.command(stranger, "status SE1.2 2025-26 Q4")
        [answer] = wait_new(reader, "response_url", before)
    finally:
        reader.slack.set_latency(0)
    # 200: Bolt acknowledged within Slack's 3 s (later, it answers 404)
    assert acknowledged.status == 200, acknowledged.text
    assert acknowledged.json() == {"response_type": "ephemeral", "text": commands.HOLDING}
    assert answer.params["response_type"] == "ephemeral"
    assert ":large_orange_circle: *Amber*" in text_of(answer.params["blocks"])
    # Answered in time, the same command is the acknowledgement itself, as before.
    fast = command_as(reader, stranger, "status SE1.2 2025-26 Q4")
    assert ":large_orange_circle: *Amber*" in text_of(fast["blocks"])
    assert count(reader, "response_url") == before + 1


def test_every_command_answers_ephemerally(reader: Bot) -> None:
    # `command` fails unless the answer is ephemeral; this runs every verb and error path.
    settle(reader)
    posted = count(reader, "chat.postMessage")
    for email, text in [
        (JANE, "help"),
        (JANE, "status"),
        (JANE, "status SE1.1"),
        (JANE, "status nope"),
        (JANE, "status SE1 2025-26 Q9"),
        (JANE, "due"),
        (CHRIS, "submit SE1.1"),
        (JANE, "submit"),
        (JANE, "submit XX1.1"),
        (JANE, "wat"),
    ]:
        command(reader, email, text)
    settle(reader)
    assert count(reader, "chat.postMessage") == posted  # nothing went to a channel or a DM


# -- App Home -----------------------------------------------------------------------------------


def test_app_home_shows_due_items_review_queue_and_recent_decisions(bot: Bot) -> None:
    submit_figure(bot, JANE, "SE1.1", "36.5")
    submit_figure(bot, SAM, "SE1.2", "52.5")
    before = count(bot, "chat.update")
    click(bot, HOS, ids.APPROVE, cards(bot, HOS)[0])
    wait_new(bot, "chat.update", before)

    home = open_home(bot, WASTE)
    shown = text_of(home)
    assert home["type"] == "home"
    assert "Hello Gareth Price" in shown
    assert "*2026-27 Q2*, version 1: *52.5%*" in shown and "from Sam Lee" in shown  # his queue
    assert buttons(home) == {
        ids.APPROVE: buttons(cards(bot, WASTE)[0])[ids.APPROVE],
        ids.REJECT: buttons(cards(bot, WASTE)[0])[ids.REJECT],
        ids.REFRESH_HOME: "refresh",
    }
    assert "Nothing to submit." in shown

    shown = text_of(open_home(bot, HOS))
    assert "*Recent decisions*" in shown
    assert "`SE1.1` 2026-27 Q2 v1 (36.5%) approved by Helen Carter" in shown
    assert "`SE1.2`" in shown and "version 1: *52.5%*" in shown  # also hers, as HoS

    view = open_home(bot, JANE)
    shown = text_of(view)
    assert "*2026-27 Q1*" in shown and ":rotating_light: *overdue*" in shown
    submit_values = [
        block["accessory"]["value"]
        for block in view["blocks"]
        if block.get("accessory", {}).get("action_id") == ids.OPEN_SUBMIT
    ]
    # SE1.1's Q2 is submitted and approved; her project SE1.P1 is still owed.
    assert [v for v in submit_values if v.startswith("SE1.1|")] == ["SE1.1|2026-27 Q1"]
    assert "`SE1.1` 2026-27 Q2 v1 (36.5%) approved by Helen Carter" in shown


def test_app_home_for_someone_not_in_the_register(reader: Bot) -> None:
    stranger = reader.slack.add_user("guest@elsewhere.example.org", "Gus Guest")
    shown = text_of(open_home(reader, stranger))
    assert "You are not in the council's measure register" in shown
    assert "Due from you" not in shown


def test_the_collectors_home_is_refreshed_after_an_approval(bot: Bot) -> None:
    submit_figure(bot, JANE, "SE1.1", "36.5")
    jane = bot.uid(JANE)
    published = [c for c in bot.slack.calls_to("views.publish") if c.params["user_id"] == jane]
    before = count(bot, "chat.update")
    click(bot, HOS, ids.APPROVE, cards(bot, HOS)[0])
    wait_new(bot, "chat.update", before)

    def janes() -> list[str]:
        return [
            text_of(c.params["view"])
            for c in bot.slack.calls_to("views.publish")
            if c.params["user_id"] == jane
        ]

    wait_until(lambda: len(janes()) > len(published), what="Jane's App Home refresh")
    assert "approved by Helen Carter" in janes()[-1]
