"""Summaries and sign-off in Slack, end to end (PRODUCT §7): `/pmf summary` previews and posts,
the thread split and the chart upload, Block Kit limits for a large register, the schedule
(a draft to the admins, then the channels, once, even from two processes), corrections after a
late approval, and `/pmf signoff`.

Everything goes through the real app over HTTP (`tests.slack_harness.running_bot`) with the
example register and actuals: 2025-26 Q4 is 4 Red (the project SE1.P1, DE2.3, SC1.2, TC2.2),
3 Amber, 14 Green, 2 Grey and 1 missing (SC2.1).
"""

from __future__ import annotations

import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlmodel import col, select

from bot import outbox, services, summaries
from bot.chat.summaries import summary_messages
from bot.delivery import drain
from bot.periods import Period
from bot.workflow import State
from handlers.slack import ids, render
from handlers.slack.transport import SlackTransport
from sandbox.slack_blocks import MESSAGE_BLOCK_LIMIT, block_errors
from storage import outbox_store
from storage.engine import make_engine, read_session, write_session
from storage.models import AuditEvent, SummaryPost
from tests.slack_harness import ADMIN, LONDON, Bot, running_bot
from tests.test_slack_support import (
    CHRIS,
    HOS,
    JANE,
    POLICY,
    cards,
    click,
    command,
    command_as,
    count,
    settle,
    submit_figure,
    text_of,
    wait_new,
    wait_until,
)
from tests.test_summary import generated_register, write_actuals, write_register

AMY = "amy.robinson@example.gov.uk"  # collects SC2.1
HOUSING = "housing.manager@example.gov.uk"  # Sunita Patel, reviews SC2.1
HOS_COMMUNITIES = "hos.communities@example.gov.uk"  # Fiona Grant, Head of Service for SC*

MAY_DAY = datetime(2026, 5, 1, 10, 0, tzinfo=LONDON)  # after the 2025-26 Q4 Board
Q4 = Period.parse("2025-26 Q4")
BOARD = date(2026, 4, 21)  # Tue: 31 Mar 2026 + 3 weeks
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
REDS = ("SE1.P1", "DE2.3", "SC1.2", "TC2.2")
COUNTS_IN_WORDS = "Example District Council 2025-26 Q4: 4 Red, 3 Amber, 14 Green, 2 Grey, 1 No data"
CHANNELS = {
    "ALL": "performance",
    "SE": "environment-performance",
    "DE": "economy-performance",
    "SC": "communities-performance",
    "TC": "council-performance",
}


@pytest.fixture
def bot(sqlite_url: str) -> Iterator[Bot]:
    with running_bot(sqlite_url) as running:
        running.clock.now = MAY_DAY
        yield running
        settle(running)


# -- helpers --------------------------------------------------------------------------------------


def top_level(bot: Bot, channel: str) -> list[dict[str, Any]]:
    return [
        m
        for m in bot.slack.messages(channel)
        if m.get("thread_ts") in (None, m["ts"]) and not m.get("upload")
    ]


def thread(bot: Bot, channel: str, ts: str) -> list[dict[str, Any]]:
    return [m for m in bot.slack.messages(channel) if m.get("thread_ts") == ts and m["ts"] != ts]


def add_channels(bot: Bot) -> dict[str, str]:
    """The register's summary channels, as ids: 'ALL' and each priority code."""
    return {scope: bot.slack.add_channel(name) for scope, name in CHANNELS.items()}


def section_texts(blocks: list[dict[str, Any]]) -> list[str]:
    return [str(b["text"]["text"]) for b in blocks if b.get("type") == "section"]


def assert_within_limits(blocks: list[dict[str, Any]]) -> None:
    assert len(blocks) <= MESSAGE_BLOCK_LIMIT
    assert all(len(text) <= 3000 for text in section_texts(blocks))
    assert block_errors(blocks) == []


def audit_actions(bot: Bot) -> list[str]:
    with read_session(bot.engine) as session:
        return list(session.exec(select(AuditEvent.action).order_by(col(AuditEvent.seq))))


def tick(bot: Bot, at: datetime) -> int:
    bot.clock.now = at
    return summaries.summary_tick(bot.engine, bot.deps.council(), bot.deps.transport, now=at)


def post_summary_as_admin(bot: Bot, channel_id: str, name: str = "performance") -> str:
    """The admin posts the Q4 summary; the answer comes once the messages and the chart are
    posted, which takes longer than other commands (the chart is drawn first)."""
    text = f"summary 2025-26 Q4 <#{channel_id}|{name}>"
    answer = bot.command(POLICY, text)
    assert answer.status == 200 and answer.body == b"", answer.text
    assert bot.user.last_payload is not None
    path = urllib.parse.urlsplit(str(bot.user.last_payload["response_url"])).path

    def replies() -> list[dict[str, Any]]:
        return [c.params for c in bot.slack.calls_to("response_url") if c.path == path]

    wait_until(lambda: replies(), timeout=60, what=f"the answer to /pmf {text}")
    [reply] = replies()
    assert reply.get("response_type") == "ephemeral", reply
    return str(reply["text"])


# -- /pmf summary: preview ------------------------------------------------------------------------


def test_a_preview_is_ephemeral_for_anyone_and_posts_nothing(bot: Bot) -> None:
    channels = add_channels(bot)
    reply = command(bot, CHRIS, "summary 2025-26 Q4")  # ephemeral, checked by `command`
    assert reply["text"] == COUNTS_IN_WORDS
    shown = text_of(reply["blocks"])
    assert "Example District Council — 2025-26 Q4 performance" in shown
    assert "Performance Board Tue 21 Apr 2026" in shown
    for badge in (
        ":red_circle: Red *4*",
        ":large_orange_circle: Amber *3*",
        ":large_green_circle: Green *14*",
        ":white_circle: Grey *2*",
        ":heavy_minus_sign: No data *1*",
    ):
        assert badge in shown
    assert "*19 of 23* on target (83%), 1 missing" in shown
    assert "*SE Shape our Environment*" in shown and "*TC " in shown
    assert ":red_circle: *4 Red* — exception reports in the thread." in shown
    assert ":hourglass: *1 not yet approved*" in shown
    assert ":hourglass_flowing_sand: Signed off by 0 of 4 Heads of Service: none yet." in shown
    assert "Preview — only you can see this. 2 thread messages follow" in shown
    assert "The Performance & Policy Officer posts summaries" in shown
    assert_within_limits(reply["blocks"])
    assert count(bot, "chat.postMessage") == 0
    assert count(bot, "files.completeUploadExternal") == 0
    assert all(bot.slack.messages(cid) == [] for cid in channels.values())

    admin = command(bot, POLICY, "summary")  # the latest ended quarter by default
    assert admin["text"] == COUNTS_IN_WORDS
    assert "Admins can post it with `/pmf summary 2025-26 Q4 #channel`" in text_of(admin)
    assert count(bot, "chat.postMessage") == 0


def test_a_preview_of_a_bad_period_suggests_one(bot: Bot) -> None:
    reply = command(bot, JANE, "summary 2025-26 Q5")
    assert "Q5" in reply["text"]
    assert "2025-26 Q" in text_of(reply["blocks"])
    assert count(bot, "chat.postMessage") == 0


# -- /pmf summary: posting ------------------------------------------------------------------------


def test_only_an_admin_may_post_to_a_channel(bot: Bot) -> None:
    channel = bot.slack.add_channel("performance")
    for email in (CHRIS, HOS):
        reply = command(bot, email, f"summary 2025-26 Q4 <#{channel}|performance>")
        assert "Only the Performance & Policy Officer" in text_of(reply["text"])
        assert "preview it with `/pmf summary 2025-26 Q4`" in reply["text"]
    assert bot.slack.messages(channel) == []
    assert count(bot, "chat.postMessage") == 0
    assert count(bot, "files.getUploadURLExternal") == 0
    with read_session(bot.engine) as session:
        assert session.exec(select(SummaryPost)).all() == []


def test_the_admin_posts_counts_then_exceptions_in_the_thread_and_the_chart(bot: Bot) -> None:
    channel = bot.slack.add_channel("performance")
    reply = post_summary_as_admin(bot, channel)
    assert reply == ":white_check_mark: Posted the 2025-26 Q4 summary to #performance."

    [first] = top_level(bot, channel)
    assert first["text"] == COUNTS_IN_WORDS  # the words, for notifications and screen readers
    shown = text_of(first["blocks"])
    assert ":red_circle: Red *4*" in shown and ":large_green_circle: Green *14*" in shown
    assert_within_limits(first["blocks"])

    replies = thread(bot, channel, first["ts"])
    texts = [text_of(m) for m in replies if not m.get("upload")]
    assert len(texts) == 2
    exceptions, missing = texts
    assert "*Exception reports*" in exceptions
    for ref in REDS:
        assert f"*{ref}*" in exceptions
    assert "Four of eleven decisions were late awaiting Section 106 agreements" in exceptions
    assert (
        "*Actions to improve:* Weekly arrears surgeries at the housing office (owner: Amy "
        "Robinson, due 30 Sep 2026; on track)"
    ) in exceptions
    assert "*Not yet approved*" in missing and "`SC2.1`" in missing and "overdue" in missing

    [complete] = bot.slack.calls_to("files.completeUploadExternal")
    assert complete.ok, complete.response
    assert complete.params["channel_id"] == channel
    assert complete.params["thread_ts"] == first["ts"]
    [item] = complete.params["files"]
    assert item["title"] == "RAGG by priority, 2025-26 Q4"
    data = bot.slack.uploaded(item["id"])
    assert data[:8] == PNG_SIGNATURE and len(data) > 1000
    [upload] = [m for m in replies if m.get("upload")]
    assert upload["files"][0]["name"] == "ragg-2025-26-Q4.png"

    with read_session(bot.engine) as session:
        [post] = session.exec(select(SummaryPost)).all()
    assert (post.kind, post.quarter, post.channel, post.message_ts, post.status) == (
        "post",
        "2025-26 Q4",
        channel,
        first["ts"],
        "sent",
    )
    assert post.thread_ts == [m["ts"] for m in replies if not m.get("upload")]
    assert "summary.post" in audit_actions(bot)


def test_posting_to_a_channel_slack_does_not_know_says_so(bot: Bot) -> None:
    reply = command(bot, POLICY, "summary 2025-26 Q4 #nowhere")
    assert reply["text"].startswith(":warning: Slack would not post to #nowhere")
    assert "channel_not_found" in reply["text"] and "/invite @pmf-bot" in reply["text"]
    with read_session(bot.engine) as session:
        assert session.exec(select(SummaryPost)).all() == []


def test_a_300_measure_register_stays_within_block_kit_limits(bot: Bot, tmp_path: Path) -> None:
    register, actuals = generated_register(300, priorities=5, red_every=2, missing_every=7)
    services.import_register(  # in place of the example register, which it retires
        bot.engine,
        write_register(tmp_path / "big.yaml", register),
        actor="t",
        now=MAY_DAY,
        retire_missing=True,
    )
    services.import_actuals(
        bot.engine,
        write_actuals(tmp_path / "big.csv", actuals),
        actor=ADMIN,
        now=MAY_DAY,
        today=MAY_DAY.date(),
    )
    whole = summaries.summary(bot.engine, bot.deps.council(), Q4, today=MAY_DAY.date())
    assert whole.overall.total == 300
    reds = [row.measure.ref for row in whole.reds]
    missing = [row.measure.ref for row in whole.unapproved]
    assert len(reds) > 2 * (MESSAGE_BLOCK_LIMIT - 1) and len(missing) > 25

    preview = command(bot, CHRIS, "summary 2025-26 Q4")
    assert_within_limits(preview["blocks"])

    channel = bot.slack.add_channel("performance")
    assert post_summary_as_admin(bot, channel).startswith(":white_check_mark: Posted")
    posts = bot.slack.calls_to("chat.postMessage")
    assert posts and all(call.ok for call in posts), [c.response for c in posts if not c.ok]
    for call in posts:
        assert_within_limits(call.params["blocks"])
    [first] = top_level(bot, channel)
    replies = [m for m in thread(bot, channel, first["ts"]) if not m.get("upload")]
    assert len(replies) >= 4  # three pages of exception reports and the missing list
    assert len(posts) == 1 + len(replies)
    shown = text_of(replies)
    for ref in reds:
        assert f"*{ref}*" in shown, f"{ref} is missing from the exception reports"
    for ref in missing:
        assert f"`{ref}`" in shown, f"{ref} is missing from the unapproved list"
    assert "Exception reports (1 of 3)" in shown and "Exception reports (3 of 3)" in shown
    assert text_of(first["blocks"]).count(" Generated priority P") == 5
    assert len(bot.slack.calls_to("files.completeUploadExternal")) == 1


def test_long_titles_and_states_are_never_cut_from_the_thread(bot: Bot) -> None:
    """Unapproved rows in every state with the longest titles and refs: each is listed in full
    and every message is within Slack's limits (pure rendering, no posting)."""
    whole = summaries.summary(bot.engine, bot.deps.council(), Q4, today=MAY_DAY.date())
    template = whole.unapproved[0]
    states = [State.SUBMITTED, State.REJECTED, State.REOPENED, State.OVERDUE, State.DUE]
    rows = []
    for n in range(120):
        ref = f"LONGREF{n:03d}.{n:03d}XY"[:20]
        measure = replace(template.measure, ref=ref, title="T" * 300)
        rows.append(replace(template, measure=measure, state=states[n % len(states)]))
    crowded = replace(whole, rows=whole.rows + rows)
    messages = [render.message(message) for message in summary_messages(crowded)]
    for _, blocks in messages:
        assert_within_limits(blocks)
    shown = text_of([blocks for _, blocks in messages[1:]])
    for row in crowded.unapproved:
        assert f"`{row.measure.ref}`" in shown, row.measure.ref


# -- the schedule ---------------------------------------------------------------------------------


def draft_day(bot: Bot) -> date:
    council = bot.deps.council()
    board = council.calendar.performance_board_date(Q4, council.performance_board_weeks)
    assert board == BOARD
    return council.calendar.add_working_days(board, -summaries.DRAFT_DAYS_BEFORE)


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=LONDON)


def test_a_draft_goes_to_the_admins_3_working_days_before_the_board_and_nowhere_else(
    bot: Bot,
) -> None:
    channels = add_channels(bot)
    draft = draft_day(bot)
    assert draft == date(2026, 4, 16)  # Thu: Fri 17 and Mon 20 are the other two working days
    assert tick(bot, at(draft - timedelta(days=1))) == 0
    assert tick(bot, at(draft, 8)) == 0  # before the reminder hour (09:00)
    assert bot.dms(POLICY) == []

    assert tick(bot, at(draft)) == 1
    dms = bot.dms(POLICY)
    note, summary = [
        m for m in dms if m.get("thread_ts") in (None, m["ts"]) and not m.get("upload")
    ]
    assert (
        "Draft for checking: this summary goes to the channels on Tue 21 Apr 2026" in note["text"]
    )
    assert summary["text"] == COUNTS_IN_WORDS
    assert any(m.get("upload") for m in dms)  # the chart goes with the draft
    assert all(bot.slack.messages(cid) == [] for cid in channels.values())
    for email in (CHRIS, HOS, JANE):
        assert bot.dms(email) == []

    assert tick(bot, at(draft, 15)) == 0
    assert tick(bot, at(draft + timedelta(days=1))) == 0  # Fri: still before the Board
    assert len(bot.dms(POLICY)) == len(dms)
    assert audit_actions(bot).count("summary.draft") == 1


def test_on_the_board_date_each_channel_gets_the_summary_once(bot: Bot) -> None:
    channels = add_channels(bot)
    assert tick(bot, at(BOARD - timedelta(days=1))) == 1  # Mon: only the draft
    assert all(bot.slack.messages(cid) == [] for cid in channels.values())
    assert tick(bot, at(BOARD, 8)) == 0

    assert tick(bot, at(BOARD)) == len(CHANNELS)
    assert tick(bot, at(BOARD, 14)) == 0
    assert tick(bot, at(BOARD + timedelta(days=1))) == 0
    for scope, cid in channels.items():
        [post] = top_level(bot, cid)
        shown = text_of(post["blocks"])
        if scope == "ALL":
            assert post["text"] == COUNTS_IN_WORDS
        else:
            assert f"— {scope} " in post["text"]
            assert shown.count("*SE Shape our Environment*") == (scope == "SE")
    se = text_of(top_level(bot, channels["SE"])[0]["blocks"])
    assert ":red_circle: Red *1*" in se and ":large_green_circle: Green *4*" in se  # SE1.P1
    sc = channels["SC"]
    sc_thread = text_of(thread(bot, sc, top_level(bot, sc)[0]["ts"]))
    assert "*SC1.2*" in sc_thread and "`SC2.1`" in sc_thread and "*DE2.3*" not in sc_thread
    assert len(bot.slack.calls_to("files.completeUploadExternal")) == 1 + len(CHANNELS)
    assert audit_actions(bot).count("summary.post") == len(CHANNELS)
    assert len(bot.dms(POLICY)) > 0  # the draft, once
    with read_session(bot.engine) as session:
        posts = session.exec(select(SummaryPost)).all()
    assert sorted(p.key for p in posts) == sorted(
        [f"draft|2025-26 Q4|{POLICY}"]
        + [f"post|2025-26 Q4|#{name}|{scope}" for scope, name in CHANNELS.items()]
    )
    assert {p.status for p in posts} == {"sent"}


def test_a_channel_slack_refuses_is_retried_and_posted_once_it_works(bot: Bot) -> None:
    channels = {
        scope: bot.slack.add_channel(name) for scope, name in CHANNELS.items() if scope != "TC"
    }
    assert tick(bot, at(BOARD)) == len(CHANNELS) - 1  # no draft: its days have passed
    with read_session(bot.engine) as session:
        failed = session.exec(select(SummaryPost).where(SummaryPost.status == "pending")).one()
    assert failed.key.endswith("|TC") and "channel_not_found" in (failed.last_error or "")
    assert tick(bot, at(BOARD) + timedelta(minutes=1)) == 0  # waits before retrying
    tc = bot.slack.add_channel(CHANNELS["TC"])
    assert tick(bot, at(BOARD) + timedelta(minutes=6)) == 1
    assert len(top_level(bot, tc)) == 1
    assert all(len(top_level(bot, cid)) == 1 for cid in channels.values())


def test_two_processes_ticking_at_once_post_each_summary_once(db_url: str) -> None:
    with running_bot(db_url) as bot:
        channels = add_channels(bot)
        council = bot.deps.council()
        moment = at(BOARD)
        bot.clock.now = moment
        engines = [make_engine(db_url) for _ in range(2)]
        barrier = threading.Barrier(len(engines) * 2)
        sent: list[int] = []
        errors: list[BaseException] = []

        def run(engine: Any) -> None:
            try:
                barrier.wait()
                sent.append(summaries.summary_tick(engine, council, bot.deps.transport, now=moment))
            except BaseException as error:  # pragma: no cover - reported below
                errors.append(error)

        try:
            workers = [threading.Thread(target=run, args=(e,)) for e in engines for _ in (1, 2)]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join(timeout=60)
        finally:
            for engine in engines:
                engine.dispose()
        assert errors == []
        assert sum(sent) == len(CHANNELS)  # every channel once, whoever sent it
        assert tick(bot, moment + timedelta(minutes=10)) == 0
        for cid in channels.values():
            assert len(top_level(bot, cid)) == 1
        assert len(bot.slack.calls_to("files.completeUploadExternal")) == len(CHANNELS)
        settle(bot)


# -- a late approval ------------------------------------------------------------------------------


def test_an_approval_after_posting_updates_the_posts_in_place_with_a_correction(
    bot: Bot,
) -> None:
    channels = add_channels(bot)
    papers = bot.slack.add_channel("board-papers")
    assert tick(bot, at(BOARD)) == len(CHANNELS)
    bot.clock.now = at(BOARD + timedelta(days=1), 11)
    post_summary_as_admin(bot, papers, "board-papers")
    before = {cid: top_level(bot, cid)[0] for cid in [*channels.values(), papers]}
    draft_before = bot.dms(POLICY)

    submit_figure(bot, AMY, "SC2.1", "830000", period="2025-26 Q4", overview="Busy Q4.")
    [card] = cards(bot, HOUSING)
    updates = count(bot, "chat.update")
    click(bot, HOUSING, ids.APPROVE, card)
    # The card, then '#performance', the SC channel and the board papers.
    wait_new(bot, "chat.update", updates, new=4, timeout=30)
    settle(bot)

    edited = [c.params for c in bot.slack.calls_to("chat.update")[updates:]]
    corrected = {p["channel"] for p in edited if p["ts"] != card["ts"]}
    assert corrected == {channels["ALL"], channels["SC"], papers}
    for cid in corrected:
        [now] = top_level(bot, cid)
        assert now["ts"] == before[cid]["ts"] and "edited" in now
        shown = text_of(now["blocks"])
        assert ":heavy_minus_sign: No data *0*" in shown
        assert ":hourglass:" not in shown
        notes = [m for m in thread(bot, cid, now["ts"]) if "Correction" in m.get("text", "")]
        [note] = notes
        assert (
            "Correction: SC2.1 2025-26 Q4 was approved after this summary was posted — "
            in note["text"]
        )
        assert "Green (approved by Sunita Patel at 11:00 on Wed 22 Apr 2026)" in note["text"]
    assert top_level(bot, channels["ALL"])[0]["text"] == (
        "Example District Council 2025-26 Q4: 4 Red, 3 Amber, 15 Green, 2 Grey, 0 No data"
    )
    for scope in ("SE", "DE", "TC"):
        [untouched] = top_level(bot, channels[scope])
        assert untouched == before[channels[scope]]
    assert bot.dms(POLICY)[: len(draft_before)] == draft_before  # a draft is not corrected


# -- /pmf signoff ---------------------------------------------------------------------------------


def test_sign_off_refusals_then_once_and_the_summary_shows_it(bot: Bot) -> None:
    refused = command(bot, HOS_COMMUNITIES, "signoff 2025-26 Q4")
    assert refused["text"] == (
        "1 of your 6 measures and projects for 2025-26 Q4 are not approved yet, so the quarter "
        "cannot be signed off."
    )
    shown = text_of(refused["blocks"])
    assert (
        "*Still outstanding*" in shown and "`SC2.1` Visits to council leisure facilities" in shown
    )
    assert "2025-26 Q4, overdue" in shown

    not_head = command(bot, CHRIS, "signoff 2025-26 Q4")
    assert "Only a Head of Service can sign off" in not_head["text"]
    stranger = bot.slack.add_user("visitor@elsewhere.example.org", "Vi Sitor")
    outsider = command_as(bot, stranger, "signoff 2025-26 Q4")
    assert (
        "You are not in the council's measure register, so you cannot sign off" in outsider["text"]
    )
    future = command(bot, HOS, "signoff 2026-27 Q1")
    assert future["text"] == (
        "2026-27 Q1 has not ended yet; it can be signed off after Tue 30 Jun 2026."
    )
    bad = command(bot, HOS, "signoff 2025-26 Q9")
    assert "Q9" in bad["text"]
    assert "quarter.signoff" not in audit_actions(bot)

    done = command(bot, HOS, "signoff 2025-26 Q4")
    assert done["text"] == (
        ":white_check_mark: Signed off 2025-26 Q4: all 7 of your measures and projects are "
        "approved. "
        "Summaries now show your sign-off. The report now waits for the sign-off of David "
        "Okafor, Fiona Grant and Martin Hughes."
    )
    again = command(bot, HOS, "signoff 2025-26 Q4")
    assert again["text"] == "You already signed off 2025-26 Q4 at 10:00 on Fri 01 May 2026."
    assert audit_actions(bot).count("quarter.signoff") == 1

    preview = text_of(command(bot, CHRIS, "summary 2025-26 Q4")["blocks"])
    signed = ":hourglass_flowing_sand: Signed off by 1 of 4 Heads of Service: Helen Carter."
    assert signed in preview
    latest = command(bot, HOS, "signoff")  # the latest ended quarter by default
    assert latest["text"].startswith("You already signed off 2025-26 Q4")


class ThreadRepliesFailOnce(WebClient):
    """Slack refuses the first thread reply (say, rate limited past the client's retries)."""

    failures = 1

    def chat_postMessage(self, **kwargs: Any) -> Any:
        if kwargs.get("thread_ts") and self.failures:
            self.failures -= 1
            raise SlackApiError("ratelimited", {"ok": False, "error": "ratelimited"})
        return super().chat_postMessage(**kwargs)


def test_a_failed_thread_reply_does_not_post_the_summary_again(bot: Bot) -> None:
    channels = add_channels(bot)
    flaky = ThreadRepliesFailOnce(token="xoxb-test-token", base_url=bot.slack.api_url)
    poster = SlackTransport(bot.engine, flaky, bot.deps.directory, as_given=True)
    council = bot.deps.council()
    assert summaries.summary_tick(bot.engine, council, poster, now=at(BOARD)) == len(CHANNELS)
    for minutes in (6, 12):  # later ticks find nothing left to send
        assert tick(bot, at(BOARD) + timedelta(minutes=minutes)) == 0
    for cid in channels.values():
        assert len(top_level(bot, cid)) == 1
    [first] = top_level(bot, channels["ALL"])
    assert first["text"] == COUNTS_IN_WORDS
    replies = [m for m in thread(bot, channels["ALL"], first["ts"]) if not m.get("upload")]
    assert len(replies) == 1  # the page Slack refused is lost; the rest went
    with read_session(bot.engine) as session:
        posts = session.exec(select(SummaryPost)).all()
    assert {p.status for p in posts} == {"sent"}


def correct(bot: Bot, ref: str, period: Period, by: str) -> None:
    """A figure approved late: the correction the outbox would deliver, delivered now."""
    with write_session(bot.engine) as session:
        outbox_store.enqueue(
            session,
            [outbox.correction(ref=ref, period=period, review=1, by=by, now=bot.clock())],
            bot.clock(),
        )
    drain(
        bot.engine,
        bot.deps.council(),
        bot.deps.transport,
        worker="test",
        zone=LONDON,
        clock=bot.clock,
    )


def test_a_late_approval_of_a_period_the_summary_does_not_show_corrects_nothing(
    bot: Bot,
) -> None:
    """SE2.1 is monthly: the Q4 summary shows March, so February approved late is not a
    correction to it (and must not be reported as March's)."""
    channels = add_channels(bot)
    assert tick(bot, at(BOARD)) == len(CHANNELS)
    before = count(bot, "chat.update"), count(bot, "chat.postMessage")
    correct(bot, "SE2.1", Period.parse("2026-02"), "Gareth Price")
    correct(bot, "SE1.1", Period.parse("2025-26 Q3"), "Helen Carter")
    assert (count(bot, "chat.update"), count(bot, "chat.postMessage")) == before
    correct(bot, "SE2.1", Period.parse("2026-03"), "Gareth Price")
    assert count(bot, "chat.update") == before[0] + 2  # '#performance' and SE's channel
    [note] = [m for m in bot.slack.messages(channels["SE"]) if "Correction" in m["text"]]
    assert "Correction: SE2.1 2026-03 was approved after" in note["text"]


def test_a_failed_chart_upload_does_not_post_the_summary_again(bot: Bot) -> None:
    channel = bot.slack.add_channel("performance")
    bot.slack.fail_next("upload", status=500, times=3)
    assert tick(bot, at(BOARD)) == len(CHANNELS) - 4  # only '#performance' exists
    assert tick(bot, at(BOARD) + timedelta(minutes=6)) == 0
    [first] = top_level(bot, channel)
    assert first["text"] == COUNTS_IN_WORDS
    assert not any(m.get("upload") for m in bot.slack.messages(channel))
