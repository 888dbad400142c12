"""Reminders in Slack end to end (PRODUCT §6–7, issue 4): what a reminder says, its Submit
button, closing it once submitted, replying in its thread, and leave and cover.

The real app runs over HTTP against the Slack stand-in (`tests.slack_harness`); reminders are
delivered by the real `tick` with the real `SlackTransport`, at moments set on the app's
clock. In the example register Jane Doe collects SE1.1 (2026-27 Q2 due Wed 14 Oct 2026, lag
10), Sam Lee is its cover and the Head of Service for Environment reviews it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot import services
from bot.chat.conversation import read_reply
from bot.delivery import TickReport, tick
from handlers.slack import ids
from tests.slack_harness import Bot, running_bot
from tests.test_slack_support import (
    HOS,
    JANE,
    POLICY,
    SAM,
    buttons,
    cards,
    command,
    count,
    ephemerals,
    form_values,
    settle,
    submissions,
    submit_view,
    text_of,
    wait_ephemeral,
    wait_new,
    wait_until,
)

LONDON = ZoneInfo("Europe/London")
AMY = "amy.robinson@example.gov.uk"  # collects SC2.1, which has no cover
HOUSING = "housing.manager@example.gov.uk"  # covers Amy's other measures
BEN = "ben.clarke@example.gov.uk"
HOS_CORPORATE = "hos.corporate@example.gov.uk"
Q2 = "2026-27 Q2"
SE11_BEFORE_5 = f"before-5|SE1.1|{Q2}|"
SE11_BEFORE_1 = f"before-1|SE1.1|{Q2}|"


def at(day: str, hour: int = 9, minute: int = 5) -> datetime:
    return datetime.combine(datetime.fromisoformat(day).date(), time(hour, minute), tzinfo=LONDON)


def run_tick(bot: Bot, when: datetime) -> TickReport:
    bot.clock.now = when
    report = tick(
        bot.engine,
        services.council_info(bot.engine),
        bot.deps.transport,
        now=when,
        zone=LONDON,
        worker="test",
        sleep=lambda seconds: None,
    )
    settle(bot)
    return report


def key_of(message: dict[str, Any]) -> str:
    return str(((message.get("metadata") or {}).get("event_payload") or {}).get("key") or "")


def reminder(bot: Bot, email: str, key: str) -> dict[str, Any]:
    """The reminder `key` (its prefix, without the recipient) in `email`'s DM, as it is now."""
    found = [m for m in bot.dms(email) if key_of(m) == key + email]
    assert len(found) == 1, [key_of(m) for m in bot.dms(email)]
    return found[0]


def reminder_keys(bot: Bot, email: str) -> list[str]:
    return [key_of(m) for m in bot.dms(email) if key_of(m)]


def reply(bot: Bot, email: str, to: dict[str, Any], text: str, *, ts: str) -> dict[str, Any]:
    """`email` replies `text` in the thread of message `to` (or top level when `to` has no ts
    of its own: pass {}); returns the bot's answer in that thread."""
    channel = bot.slack.dm_channel(bot.uid(email))
    before = count(bot, "chat.postMessage")
    event: dict[str, Any] = {
        "type": "message",
        "channel": channel,
        "channel_type": "im",
        "user": bot.uid(email),
        "text": text,
        "ts": ts,
    }
    if to:
        event["thread_ts"] = to["ts"]
    assert bot.user.event(event).status == 200
    call = wait_new(bot, "chat.postMessage", before)[0]
    settle(bot)
    assert call.ok, call.response
    assert call.params["thread_ts"] == (to["ts"] if to else ts)
    answer = bot.slack.message(channel, str(call.response["ts"]))
    assert answer is not None
    return answer


def click(bot: Bot, email: str, action_id: str, message: dict[str, Any]) -> None:
    answer = bot.user.block_action(
        bot.uid(email), action_id, buttons(message)[action_id], message=message
    )
    assert answer.status == 200, answer.text


def opened_view(bot: Bot, email: str, action_id: str, message: dict[str, Any]) -> dict[str, Any]:
    """Click `action_id` on `message`; the modal views.open answered with."""
    before = count(bot, "views.open")
    click(bot, email, action_id, message)
    call = wait_new(bot, "views.open", before)[0]
    assert call.ok, call.response
    assert call.params["trigger_id"] == bot.user.last_trigger_id
    view: dict[str, Any] = call.response["view"]
    return view


def initial_values(view: dict[str, Any]) -> dict[str, str | None]:
    return {
        block["block_id"]: block["element"].get("initial_value")
        for block in view["blocks"]
        if block.get("type") == "input"
    }


# -- one bot for what only reads ---------------------------------------------------------------


@pytest.fixture(scope="module")
def reminded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bot]:
    """Reminders delivered on Wed 7 Oct 2026 at 09:05 (5 working days before SE1.1's
    deadline) and Thu 8 Oct (TC1.1 and TC1.2 escalated, the missing-data digest)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('reminders_slack') / 'pmf.db'}"
    with running_bot(url) as bot:
        run_tick(bot, at("2026-10-07"))
        run_tick(bot, at("2026-10-08"))
        bot.clock.now = at("2026-10-08", 11)
        yield bot
        settle(bot)


def test_a_reminder_names_the_measure_period_deadline_in_words_last_value_and_target(
    reminded: Bot,
) -> None:
    message = reminder(reminded, JANE, SE11_BEFORE_5)
    assert message["text"] == "Reminder: SE1.1 2026-27 Q2 is due in 5 working days — Wed 14 Oct"
    first = message["blocks"][0]["text"]["text"]
    assert first == (
        ":alarm_clock: *SE1.1* Reduction in the council's own CO2 emissions — the figure for "
        "*2026-27 Q2* is due *in 5 working days — Wed 14 Oct*."
    )
    [block] = [b for b in message["blocks"] if "fields" in b]
    facts = [field["text"] for field in block["fields"]]
    assert facts == ["*Last value*\n2025-26 Q4: 31.2%", "*Target*\n35.0%"]
    assert buttons(message) == {
        ids.OPEN_SUBMIT: "SE1.1|2026-27 Q2",
        ids.SNOOZE: f"{SE11_BEFORE_5}{JANE}",  # Remind me tomorrow (issue 13)
    }
    assert "reply in this thread with the figure" in text_of(message["blocks"])
    assert message["metadata"]["event_type"] == "pmf_message"


def test_the_submit_button_opens_the_submission_modal(reminded: Bot) -> None:
    view = opened_view(reminded, JANE, ids.OPEN_SUBMIT, reminder(reminded, JANE, SE11_BEFORE_5))
    assert view["callback_id"] == ids.SUBMIT_VIEW
    shown = text_of(view["blocks"])
    assert "SE1.1 Reduction in the council's own CO2 emissions" in shown
    assert "*Period*\\n2026-27 Q2" in shown and "*Deadline*\\nWed 14 Oct 2026" in shown


def test_an_escalation_and_the_digest_say_what_is_missing(reminded: Bot) -> None:
    # One message for all of Martin Hughes's figures escalated that day (issue 13), not one per
    # measure; ticking again, and the next day's catch-up, send nothing more.
    run_tick(reminded, at("2026-10-08", 10))
    run_tick(reminded, at("2026-10-09"))
    escalations = [m for m in reminded.dms(HOS_CORPORATE) if key_of(m).startswith("escalation|")]
    [escalation] = escalations
    assert key_of(escalation) == f"escalation|2026-10-08|{HOS_CORPORATE}"
    assert escalation["text"] == "2 figures in your service are overdue"
    shown = text_of(escalation["blocks"])
    assert "*2 figures in your service are overdue* and not yet submitted:" in shown
    assert (
        "• `TC1.1` Council tax collected in year — *2026-27 Q2*, due 1 working day ago — "
        "Wed 07 Oct. Data collector: Ben Clarke.\\n• `TC1.2` Undisputed invoices paid within 30 "
        "days — *2026-09*, due 1 working day ago — Wed 07 Oct. Data collector: Ben Clarke."
    ) in shown
    assert "You are receiving this as Head of Service" in shown
    [digest] = [m for m in reminded.dms(POLICY) if key_of(m).startswith("digest|2026-10-08|")]
    # Every figure overdue, older months too (issue 13), grouped by Head of Service.
    assert digest["text"] == "Missing-data digest: 38 overdue"  # 2 of them projects
    shown = text_of(digest["blocks"])
    assert "*Martin Hughes, Head of Service* (10)" in shown
    assert "`TC1.1` 2026-27 Q2 — Ben Clarke, due Wed 07 Oct 2026" in shown
    assert "`TC1.2` 2026-09 — Ben Clarke, due Wed 07 Oct 2026" in shown
    assert "Away with no cover" not in shown and "not yet delivered" not in shown


def test_a_reply_in_the_thread_is_read_back_with_confirm_and_edit(reminded: Bot) -> None:
    message = reminder(reminded, JANE, SE11_BEFORE_5)
    answer = reply(
        reminded, JANE, message, "36.5 Emissions fell after the depot retrofit", ts="1800000001.1"
    )
    assert answer["text"] == (
        "I read 36.5% for SE1.1 2026-27 Q2, with the overview: "
        "“Emissions fell after the depot retrofit”."
    )
    assert "I read *36.5%* for *SE1.1* 2026-27 Q2" in text_of(answer["blocks"])
    assert "Submit it for review?" in text_of(answer["blocks"])
    found = buttons(answer)
    assert set(found) == {ids.REPLY_CONFIRM, ids.REPLY_EDIT}
    assert json.loads(found[ids.REPLY_EDIT]) == {
        "r": "SE1.1",
        "p": Q2,
        "v": "36.5",
        "o": "Emissions fell after the depot retrofit",
    }
    assert submissions(reminded, "SE1.1", Q2) == [], "nothing is recorded before Confirm"


def test_a_reply_with_trailing_zeros_is_read_as_the_figure(reminded: Bot) -> None:
    message = reminder(reminded, JANE, SE11_BEFORE_5)
    answer = reply(reminded, JANE, message, "36.50 Emissions fell", ts="1800000007.1")
    assert answer["text"].startswith("I read 36.5% for SE1.1 2026-27 Q2"), answer["text"]
    assert ids.REPLY_CONFIRM in buttons(answer)


def test_edit_opens_the_modal_prefilled_with_the_reply(reminded: Bot) -> None:
    message = reminder(reminded, JANE, SE11_BEFORE_5)
    answer = reply(reminded, JANE, message, "37 – Lower heating demand.", ts="1800000002.1")
    view = opened_view(reminded, JANE, ids.REPLY_EDIT, answer)
    assert view["callback_id"] == ids.SUBMIT_VIEW
    values = initial_values(view)
    assert values[ids.VALUE_BLOCK] == "37"
    assert values[ids.OVERVIEW_BLOCK] == "Lower heating demand."
    assert "*Period*\\n2026-27 Q2" in text_of(view["blocks"])


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("36.55 Close to target", "has 2 decimal places; this measure is reported to at most 1"),
        ("120 Way up", "is not a percentage: it must be from 0 to 100"),
        ("45,5 Decimal comma", "has a comma where a full stop belongs"),
        ("1e2% Written as a power of ten", "is written with a power of ten"),
    ],
)
def test_a_reply_is_checked_exactly_as_the_modal_checks(
    reminded: Bot, text: str, words: str
) -> None:
    message = reminder(reminded, JANE, SE11_BEFORE_5)
    answer = reply(reminded, JANE, message, text, ts=f"18000001{len(text):02d}.1")
    assert answer["text"].startswith(":warning:")
    assert words in answer["text"]
    assert not buttons(answer)


def test_a_reply_that_would_be_red_or_has_no_commentary_is_sent_to_the_form(
    reminded: Bot,
) -> None:
    message = reminder(reminded, JANE, SE11_BEFORE_5)
    red = reply(reminded, JANE, message, "20 Boiler failure at the depot", ts="1800000003.1")
    assert "actions to improve performance, because the figure is Red" in text_of(red["blocks"])
    assert set(buttons(red)) == {ids.REPLY_EDIT}, "no Confirm: the form must be finished"
    bare = reply(reminded, JANE, message, "36.5", ts="1800000004.1")
    assert "a sentence of commentary after the figure" in text_of(bare["blocks"])
    assert set(buttons(bare)) == {ids.REPLY_EDIT}


@pytest.mark.parametrize(
    "text", ["about ninety I think", "Recycling rose to 87.5", "", "not sure yet, will check"]
)
def test_a_reply_it_cannot_read_gets_a_short_hint_with_an_example(reminded: Bot, text: str) -> None:
    message = reminder(reminded, JANE, SE11_BEFORE_5)
    answer = reply(reminded, JANE, message, text, ts=f"18000002{len(text):02d}.1")
    assert answer["text"].startswith("I could not find a figure at the start of that.")
    # SE1.1 is a percentage to 1 decimal place: the example is one it accepts.
    assert "`87.5 Up on last quarter after the new round started`" in answer["text"]
    assert len(answer.get("blocks") or []) <= 1  # a short hint: one paragraph at most


def test_a_message_outside_a_reminders_thread_gets_the_hint(reminded: Bot) -> None:
    answer = reply(reminded, JANE, {}, "36.5 Emissions fell", ts="1800000005.1")
    assert answer["text"].startswith("To submit a figure by message, reply in the thread of")
    assert "`/pmf submit REF`" in answer["text"]
    # A reply under a message that is no reminder (the digest is not for submitting) too.
    [digest] = [m for m in reminded.dms(POLICY) if key_of(m).startswith("digest|")]
    answer = reply(reminded, POLICY, digest, "36.5 Emissions fell", ts="1800000006.1")
    assert answer["text"].startswith("To submit a figure by message")


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("away", "You have no leave booked"),
        ("away 2026-10-20", "Tell me the first and last day you are away"),
        ("away 2026-13-01 2026-13-05", "'2026-13-01' is not a date. Write dates like"),
        ("away 31/02/2027 03/03/2027", "'31/02/2027' is not a date."),
        ("away next-week 2026-10-30", "'next-week' is not a date."),
        ("away 2026-10-16 2026-10-09", "The leave ends (Fri 09 Oct 2026) before it starts"),
        ("away 2026-09-01 2026-09-04", "That leave is over already (it ended Fri 04 Sep 2026)"),
        ("away 2026-10-12 2028-01-01", "Leave longer than a year cannot be recorded here"),
        ("away 2026-10-12 2026-10-16 @nobody", "I could not find 'nobody' in the council"),
        ("away 2026-10-12 2026-10-16 nobody@elsewhere.org", "is not in the council's register"),
    ],
)
def test_leave_requests_that_cannot_be_recorded_are_explained(
    reminded: Bot, text: str, says: str
) -> None:
    reply_ = command(reminded, JANE, text)
    assert says in reply_["text"], reply_["text"]
    assert "Noted" not in reply_["text"]


def test_dates_may_be_written_as_the_hint_suggests(reminded: Bot) -> None:
    noted = command(reminded, BEN, f"away 12 Oct 16 October 2026 <@{reminded.uid(HOS_CORPORATE)}>")
    assert noted["text"].startswith(
        ":palm_tree: Noted: you are away from Mon 12 Oct to Fri 16 Oct 2026. Martin Hughes will "
        "get your reminders"
    )
    noted = command(reminded, BEN, "away 19/10 23/10/2026")
    assert noted["text"].startswith(
        ":palm_tree: Noted: you are away from Mon 19 Oct to Fri 23 Oct 2026. You have named no "
        "cover"
    )


def test_you_cannot_cover_for_yourself(reminded: Bot) -> None:
    reply_ = command(reminded, JANE, f"away 2026-10-12 2026-10-16 <@{reminded.uid(JANE)}>")
    assert "You cannot cover for yourself" in reply_["text"]


def test_back_without_leave_changes_nothing(reminded: Bot) -> None:
    assert command(reminded, JANE, "back")["text"] == (
        "You were not recorded as away, so nothing has changed."
    )


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("87.5 Recycling rose", ("87.5", "Recycling rose")),
        ("87.5% – Recycling rose", ("87.5%", "Recycling rose")),
        ("87.5: Recycling rose", ("87.5", "Recycling rose")),
        ("1,250 homes, more than planned", ("1,250", "homes, more than planned")),
        ("£12,400.50 - on budget", ("£12,400.50", "on budget")),
        ("  42\nTwo lines\nof text", ("42", "Two lines\nof text")),
        ("36.5", ("36.5", "")),
        ("Recycling rose to 87.5", None),
        ("", None),
    ],
)
def test_a_reply_is_read_figure_first(text: str, read: tuple[str, str] | None) -> None:
    assert read_reply(text) == read


# -- submitting closes the reminder ------------------------------------------------------------


def test_submitting_from_the_reminder_updates_it_and_stops_the_next_ones(bot: Bot) -> None:
    run_tick(bot, at("2026-10-07"))
    message = reminder(bot, JANE, SE11_BEFORE_5)
    view = opened_view(bot, JANE, ids.OPEN_SUBMIT, message)
    bot.clock.now = at("2026-10-07", 11)
    updates = count(bot, "chat.update")
    answer = submit_view(bot, JANE, view["id"], form_values("36.5"))
    assert answer.status == 200 and answer.body == b"", answer.text
    wait_new(bot, "chat.update", updates)
    settle(bot)
    closed = reminder(bot, JANE, SE11_BEFORE_5)
    assert closed["text"] == "SE1.1 2026-27 Q2 was submitted"
    assert "was submitted by Jane Doe (version 1)" in text_of(closed["blocks"])
    assert not buttons(closed), "no Submit button once submitted"
    assert len(submissions(bot, "SE1.1", Q2)) == 1
    # Nothing more for SE1.1: no 1-day or deadline-day reminder, no escalation.
    for day in ("2026-10-13", "2026-10-14", "2026-10-15"):
        run_tick(bot, at(day))
    assert SE11_BEFORE_1 + JANE not in reminder_keys(bot, JANE)
    assert not [k for k in reminder_keys(bot, JANE) if "|SE1.1|" in k and k != SE11_BEFORE_5 + JANE]
    assert not [
        m
        for m in bot.dms(HOS)
        if key_of(m).startswith("escalation|") and "SE1.1" in text_of(m["blocks"])
    ]


def test_confirming_a_reply_records_one_submission_even_when_clicked_twice(bot: Bot) -> None:
    run_tick(bot, at("2026-10-07"))
    bot.clock.now = at("2026-10-07", 10)
    message = reminder(bot, JANE, SE11_BEFORE_5)
    answer = reply(bot, JANE, message, "36.5 Emissions fell after the retrofit", ts="1800000010.1")
    cards_before = len(cards(bot, HOS))
    responses = count(bot, "response_url")
    click(bot, JANE, ids.REPLY_CONFIRM, answer)
    click(bot, JANE, ids.REPLY_CONFIRM, answer)  # the same button again, before it changed
    wait_new(bot, "response_url", responses, new=2)
    wait_until(lambda: len(cards(bot, HOS)) > cards_before, what="the reviewer's card")
    wait_until(
        lambda: "was submitted by" in text_of(reminder(bot, JANE, SE11_BEFORE_5)["blocks"]),
        what="the reminder closed",
    )
    settle(bot)
    [recorded] = submissions(bot, "SE1.1", Q2)
    assert (str(recorded.value), recorded.overview, recorded.submitted_by) == (
        "36.5",
        "Emissions fell after the retrofit",
        JANE,
    )
    assert len(cards(bot, HOS)) == cards_before + 1, "one card for the reviewer"
    confirmed = bot.slack.message(bot.slack.dm_channel(bot.uid(JANE)), answer["ts"])
    assert confirmed is not None
    assert "Submitted *SE1.1* 2026-27 Q2: 36.5% (version 1)" in text_of(confirmed["blocks"])
    closed = reminder(bot, JANE, SE11_BEFORE_5)
    assert "was submitted by Jane Doe (version 1)" in text_of(closed["blocks"])


# -- leave and cover ---------------------------------------------------------------------------


def test_while_away_reminders_go_to_the_cover_who_may_submit_and_no_cover_means_the_digest(
    bot: Bot,
) -> None:
    bot.clock.now = at("2026-10-06", 16)
    noted = command(bot, JANE, f"away 2026-10-07 2026-10-16 <@{bot.uid(SAM)}>")
    assert noted["text"] == (
        ":palm_tree: Noted: you are away from Wed 07 Oct to Fri 16 Oct 2026. Sam Lee will get "
        "your reminders and review requests, and may submit or decide for you; I have told "
        "them, and will again when your leave starts. Use `/pmf back` if you return early, or "
        "`/pmf away` to see or cancel your leave."
    )
    alone = command(bot, AMY, "away 7/10/2026 16 Oct")
    assert "You have named no cover" in alone["text"]

    run_tick(bot, at("2026-10-07"))
    assert SE11_BEFORE_5 + JANE not in reminder_keys(bot, JANE)
    covering = reminder(bot, SAM, SE11_BEFORE_5)
    assert "You are covering for Jane Doe while they are away." in text_of(covering["blocks"])
    assert "due *in 5 working days — Wed 14 Oct*" in text_of(covering["blocks"])

    # Fri 9 Oct: SC2.1's 1-day reminder cannot go to Amy, who has no cover: the admins'
    # digest lists her. Her measures that have a cover in the register go to it.
    run_tick(bot, at("2026-10-09"))
    assert f"before-1|SC2.1|{Q2}|{AMY}" not in reminder_keys(bot, AMY)
    assert f"before-1|SC1.1|2026-09|{HOUSING}" in reminder_keys(bot, HOUSING)
    [digest] = [m for m in bot.dms(POLICY) if key_of(m) == f"digest|2026-10-09|{POLICY}"]
    shown = text_of(digest["blocks"])
    assert "*Away with no cover* (their reminders could not be sent):" in shown
    assert "• Amy Robinson — `SC2.1` 2026-27 Q2" in shown

    # The cover submits from the reminder.
    view = opened_view(bot, SAM, ids.OPEN_SUBMIT, covering)
    bot.clock.now = at("2026-10-09", 11)
    answer = submit_view(bot, SAM, view["id"], form_values("36.5"))
    assert answer.status == 200 and answer.body == b"", answer.text
    wait_until(
        lambda: (
            "was submitted by Sam Lee (version 1)"
            in text_of(reminder(bot, SAM, SE11_BEFORE_5)["blocks"])
        ),
        what="the cover's reminder closed",
    )
    settle(bot)
    [recorded] = submissions(bot, "SE1.1", Q2)
    assert recorded.submitted_by == SAM


def test_an_escalation_says_the_collector_is_away_and_who_covers(bot: Bot) -> None:
    """Seen walking the sandbox: Helen Carter was escalated to about Jane Doe's SE1.1 while
    Jane was on leave, with no word of it or of who was covering."""
    bot.clock.now = at("2026-10-06", 16)
    command(bot, JANE, f"away 2026-10-07 2026-10-16 <@{bot.uid(SAM)}>")
    run_tick(bot, at("2026-10-15"))  # SE1.1 2026-27 Q2 was due Wed 14 Oct
    # One escalation for Helen Carter's figures that day (issue 13), each line with its collector.
    [escalation] = [m for m in bot.dms(HOS) if key_of(m).startswith("escalation|")]
    shown = text_of(escalation["blocks"])
    assert (
        "Data collector: Jane Doe. Jane Doe is away until Fri 16 Oct 2026; Sam Lee is covering."
        in shown
    )
    # A collector who is not away: nothing more is said.
    [sams] = re.findall(r"`SE1\.2`[^\\\"]*", shown)
    assert sams.endswith("Data collector: Sam Lee.")


def test_back_sends_reminders_to_the_person_again_and_ends_the_covers_rights(bot: Bot) -> None:
    bot.clock.now = at("2026-10-06", 16)
    command(bot, JANE, f"away 2026-10-07 2026-10-16 <@{bot.uid(SAM)}>")
    run_tick(bot, at("2026-10-07"))
    covering = reminder(bot, SAM, SE11_BEFORE_5)

    bot.clock.now = at("2026-10-12", 8)
    assert command(bot, JANE, "back")["text"] == (
        ":wave: Welcome back — your reminders and review requests come to you again."
    )
    run_tick(bot, at("2026-10-12"))  # Monday: the 5-day reminder is not sent again to her
    # (her project SE1.P1, due that Monday, is reminded to her now that she is back)
    assert [key for key in reminder_keys(bot, JANE) if "|SE1.1|" in key] == []
    run_tick(bot, at("2026-10-13"))
    back = reminder(bot, JANE, SE11_BEFORE_1)
    assert "covering" not in text_of(back["blocks"])
    assert "due *in 1 working day — Wed 14 Oct*" in text_of(back["blocks"])
    assert SE11_BEFORE_1 + SAM not in reminder_keys(bot, SAM)

    # Sam's old reminder no longer lets him submit.
    seen = len(ephemerals(bot, SAM))
    opened = count(bot, "views.open")
    click(bot, SAM, ids.OPEN_SUBMIT, covering)
    refused = wait_ephemeral(bot, SAM, seen)
    assert "You are the cover for SE1.1" in refused
    assert "They are not recorded as away today" in refused
    settle(bot)
    assert count(bot, "views.open") == opened
