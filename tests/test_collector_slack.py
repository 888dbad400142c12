"""The collector's day in Slack end to end (issue 13): Resubmit and Edit open the form
prefilled with the last version and the reason it must be redone; on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot import services
from bot.delivery import tick
from handlers.slack import ids
from storage.engine import read_session
from storage.models import AuditEvent
from tests.conftest import Cli
from tests.slack_harness import Bot, running_bot
from tests.test_slack_review import decide_by_click
from tests.test_slack_support import (
    BEN,
    CHRIS,
    HOS,
    HOS_CORPORATE,
    JANE,
    LATEST,
    POLICY,
    SAM,
    buttons,
    cards,
    click,
    command,
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


# -- nudges after the deadline, progress, and the digest ------------------------------------


LONDON = ZoneInfo("Europe/London")
SAM_FIGURES = 8  # Sam collects SE1.2 and SE1.3 (quarterly), SE2.1 and SE2.2 (monthly)


def run_tick(bot: Bot, day: str) -> None:
    when = datetime.combine(date.fromisoformat(day), time(9, 5), tzinfo=LONDON)
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


def keyed(bot: Bot, email: str, prefix: str) -> list[dict[str, Any]]:
    return [
        m
        for m in bot.dms(email)
        if str(((m.get("metadata") or {}).get("event_payload") or {}).get("key") or "").startswith(
            prefix
        )
    ]


def test_an_overdue_figure_is_nudged_every_two_working_days_with_progress(both: Bot) -> None:
    # SE1.1 2026-27 Q2 was due Wed 14 Oct: escalated Thu 15, nudged on days counted back from
    # the Board date, Wed 21 Oct, every 2 working days (Thu 15, Mon 19, Wed 21), and not again
    # once submitted.
    run_tick(both, "2026-10-15")
    [nudge] = keyed(both, JANE, "overdue-1|SE1.1|2026-27 Q2|")
    assert nudge["text"] == "Overdue: SE1.1 2026-27 Q2 was due 1 working day ago — Wed 14 Oct"
    shown = text_of(nudge["blocks"])
    assert "and is not in yet" in shown
    assert buttons(nudge)[ids.OPEN_SUBMIT] == "SE1.1|2026-27 Q2"
    assert ids.SNOOZE in buttons(nudge)
    run_tick(both, "2026-10-16")
    se11 = [m for m in keyed(both, JANE, "overdue-") if "|SE1.1|" in str(m["metadata"])]
    assert len(se11) == 1, "every 2 working days, not every day"
    run_tick(both, "2026-10-19")
    assert len(keyed(both, JANE, "overdue-3|SE1.1|2026-27 Q2|")) == 1
    # Sam's reminders say how far along he is with the quarter.
    [sams] = keyed(both, SAM, "overdue-3|SE1.2|2026-27 Q2|")
    assert f"0 of {SAM_FIGURES} figures in for 2026-27 Q2." in text_of(sams["blocks"])
    submit_figure(both, JANE, "SE1.1", "36.5")
    wait_until(
        lambda: "was submitted by Jane Doe" in text_of(keyed(both, JANE, "overdue-3|SE1.1|")[0]),
        what="the nudge closed",
    )
    run_tick(both, "2026-10-21")
    assert keyed(both, JANE, "overdue-5|SE1.1|") == []


def test_the_digest_lists_every_overdue_figure_grouped_by_head_of_service(both: Bot) -> None:
    run_tick(both, "2026-10-08")
    [digest] = keyed(both, POLICY, "digest|2026-10-08|")
    shown = text_of(digest["blocks"])
    # Older months are listed as /pmf due lists them, under their Head of Service by name.
    assert "*Martin Hughes, Head of Service*" in shown
    assert "`TC1.1` 2026-27 Q2 — Ben Clarke, due Wed 07 Oct 2026" in shown
    assert "@example.gov.uk" not in shown
    due = text_of(command(both, BEN, "due")["blocks"])
    for ref, period in re.findall(r"`(TC1\.\d)` (\d{4}-\d\d(?: Q\d)?)", due):
        assert f"`{ref}` {period} — Ben Clarke" in shown, (ref, period)


# -- consistent and kind wording -----------------------------------------------------------


def test_the_command_name_is_answered_whatever_its_case(reader: Bot) -> None:
    for name in ("/PMF", "/Pmf"):
        answer = reader.user.command(reader.uid(JANE), "help", command=name)
        assert answer.status == 200, answer.text
        assert "/pmf status" in answer.text


def test_a_bad_period_is_explained_once_and_a_bare_quarter_gets_full_names(reader: Bot) -> None:
    shown = text_of(command(reader, JANE, "status se1 q4")["blocks"])
    assert shown.count("2025-26 Q1") == 1, "the examples are given once"
    assert "Periods look like" not in shown
    assert "Did you mean `2026-27 Q4` or `2025-26 Q4`?" in shown
    shown = text_of(command(reader, JANE, "status SE1 2026-27 Q9")["blocks"])
    assert shown.count("Periods look like") + shown.count("write it like") <= 1


def test_an_overdue_line_says_overdue_once(reader: Bot) -> None:
    due = command(reader, BEN, "due")
    lines = [
        block["text"]["text"]
        for block in due["blocks"]
        if "deadline" in (block.get("text") or {}).get("text", "")
    ]
    assert lines and all(line.count("overdue") <= 1 for line in lines), lines
    assert any("*overdue*" in line for line in lines)


def test_a_head_of_service_sees_what_is_overdue_in_their_service(reader: Bot) -> None:
    """Seen walking the sandbox: a Head of Service, escalated to once, found `/pmf due` saying
    "Nothing to submit. Nothing to review." while their service's figures were overdue. At Thu
    8 Oct 2026 Ben Clarke's TC1.1 (due Wed 7 Oct) is overdue in Martin Hughes's service."""
    due = command(reader, HOS_CORPORATE, "due")
    shown = text_of(due["blocks"])
    assert "*Overdue in your service*" in shown
    assert (
        "`TC1.1` Council tax collected in year — *2026-27 Q2* from Ben Clarke, due Wed 07 Oct 2026"
        in shown
    )
    assert "overdue in your service" in due["text"]
    assert "@" not in shown.split("*Overdue in your service*", 1)[1]  # by name, not e-mail
    # Someone who is no Head of Service sees no such section.
    assert "Overdue in your service" not in text_of(command(reader, BEN, "due")["blocks"])
    helen = text_of(command(reader, HOS, "due")["blocks"])
    assert "*Overdue in your service*" in helen
    # Older months are listed too, as /pmf due and the digest list them.
    assert (
        "`SE2.1` Fly-tipping incidents removed within two working days — *2026-04* from Sam Lee"
        in helen
    )


def test_refusals_name_people_never_their_e_mail(reader: Bot) -> None:
    reply = command(reader, BEN, "submit SE1.1")["text"]
    assert "Only Jane Doe, the data collector for SE1.1" in reply
    assert "@" not in reply


def dm_hint(bot: Bot, user_id: str, words: str, ts: str) -> str:
    """`user_id` writes `words` to the bot outside any reminder's thread; the bot's answer."""
    channel = bot.slack.dm_channel(user_id)
    before = count(bot, "chat.postMessage")
    event = {
        "type": "message",
        "channel": channel,
        "channel_type": "im",
        "user": user_id,
        "text": words,
        "ts": ts,
    }
    assert bot.user.event(event).status == 200
    call = wait_new(bot, "chat.postMessage", before)[0]
    assert call.ok, call.response
    return str(call.params["text"])


def test_a_direct_message_gets_help_that_fits_the_person(reader: Bot) -> None:
    collector = dm_hint(reader, reader.uid(JANE), "hello", "1800000101.1")
    assert collector.startswith("To submit a figure by message, reply in the thread")
    reviewer = dm_hint(reader, reader.uid(HOS), "hello", "1800000102.1")
    assert "Figures for your review arrive here as cards" in reviewer
    assert "submit" not in reviewer.replace("/pmf summary", "")
    councillor = reader.slack.add_user("cllr.jones@elsewhere.example.org", "Cllr Jones")
    reader_help = dm_hint(reader, councillor, "what is SE1?", "1800000103.1")
    assert "/pmf status" in reader_help and "not in the council's measure register" in reader_help
    assert "submit" not in reader_help.lower().replace("submit or review", "")


def counts_of(message: dict[str, Any]) -> list[tuple[str, str]]:
    """The overall Red … No data counts of a status or summary message."""
    for block in message["blocks"]:
        words = re.sub(r":[a-z_]+:|\*", "", (block.get("text") or {}).get("text", ""))
        found = re.findall(r"(Red|Amber|Green|Grey|No data) (\d+)", words.split("\n")[0])
        if len(found) == 5:
            return found
    raise AssertionError("no counts in the message")


@pytest.mark.parametrize("quarter", ["2025-26 Q4", "2026-27 Q1", "2026-27 Q2"])
def test_status_and_summary_agree_for_the_same_quarter(reader: Bot, quarter: str) -> None:
    status = command(reader, CHRIS, f"status {quarter}")
    summary = command(reader, CHRIS, f"summary {quarter}")
    assert counts_of(status) == counts_of(summary), (counts_of(status), counts_of(summary))
    # Each line of the whole-council list names its period.
    assert f"— {quarter}:" in text_of(status["blocks"])
    latest = text_of(command(reader, CHRIS, "status")["blocks"])
    assert re.search(r"`SE2\.1` [^—]+— 2026-\d\d:", latest), "a monthly line names its month"


def test_the_summary_lists_every_figure_it_counts_as_no_data(cli: Cli) -> None:
    examples = Path(__file__).resolve().parent.parent / "examples"
    assert cli("import", "register", str(examples / "register.yaml")).code == 0
    # A quarter under way: its figures are not yet due, and still counted as No data.
    shown = cli("summary", "--period", "2026-27 Q3", "--today", "2026-10-08").out
    counted = int(re.findall(r"No data (\d+)", shown)[0])
    listed = re.search(r"Not yet approved \((\d+)\):", shown)
    assert listed is not None and int(listed.group(1)) == counted > 0, shown
    assert "not yet due" in shown


def test_remind_me_tomorrow_sends_the_reminder_again_once_and_is_recorded(both: Bot) -> None:
    run_tick(both, "2026-10-07")  # Wed: 5 working days before SE1.1's deadline
    [first] = keyed(both, JANE, "before-5|SE1.1|2026-27 Q2|")
    assert buttons(first)[ids.SNOOZE] == f"before-5|SE1.1|2026-27 Q2|{JANE}"
    # Someone else cannot put Jane's reminder off: told so, only them (not the reminder).
    before = count(both, "response_url")
    answer = click(both, SAM, ids.SNOOZE, first)
    assert answer.status == 200
    [refused] = wait_new(both, "response_url", before)  # before counting Jane's answer
    assert not refused.params.get("replace_original")
    before = count(both, "response_url")
    click(both, JANE, ids.SNOOZE, first)
    # The reminder itself now says when it comes back, and offers Submit but no second put-off.
    [replaced] = wait_new(both, "response_url", before)
    assert replaced.params["replace_original"] is True
    shown = text_of(replaced.params["blocks"])
    assert "is due Wed 14 Oct 2026. I will remind you again on Thu 08 Oct at 09:00." in shown
    assert set(buttons(replaced.params)) == {ids.OPEN_SUBMIT}
    run_tick(both, "2026-10-07")
    assert keyed(both, JANE, "snoozed-") == [], "not before tomorrow"
    run_tick(both, "2026-10-08")
    [again] = keyed(both, JANE, "snoozed-before-5|SE1.1|2026-27 Q2|")
    assert again["text"] == "Reminder: SE1.1 2026-27 Q2 is due in 4 working days — Wed 14 Oct"
    assert set(buttons(again)) == {ids.OPEN_SUBMIT}, "once per reminder"
    # A second click on the first reminder changes nothing.
    click(both, JANE, ids.SNOOZE, first)
    settle(both)
    run_tick(both, "2026-10-09")
    assert len(keyed(both, JANE, "snoozed-")) == 1
    with read_session(both.engine) as session:
        events = session.exec(
            select(AuditEvent).where(AuditEvent.action == "reminder.snooze")
        ).all()
    assert [(e.actor, e.entity_key) for e in events] == [
        (JANE, f"before-5|SE1.1|2026-27 Q2|{JANE}")
    ]
