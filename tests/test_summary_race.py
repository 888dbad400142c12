"""A quarter's scheduled summary is published once, however its channel posts are split: between
two processes ticking at the same moment, across ticks (a channel retried later), or across a
crash between a post and its record (PRODUCT §4, §7; issue 11 "Exactly once under faults",
"Several replicas").

Each process keeps only its own tick's memory of what it published, so before the published
record had a key, two processes each posting some of a quarter's channels both recorded the
quarter as published, and so did a tick that retried one refused channel.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any

import pytest
from slack_sdk import WebClient
from sqlalchemy import func
from sqlmodel import col, select

from bot import summaries
from bot.delivery import DeliveryError, drain
from bot.periods import Period
from handlers.slack import ids
from handlers.slack.transport import SlackTransport
from storage import summary_store
from storage.engine import make_engine, read_session
from storage.models import AuditEvent, OutboxItem, PublishedFigures, SummaryPost
from tests.slack_harness import LONDON, Bot, running_bot
from tests.test_slack_support import cards, click, settle, submit_figure, wait_until
from tests.test_summary_slack import (
    AMY,
    BOARD,
    CHANNELS,
    HOUSING,
    POLICY,
    add_channels,
    at,
    thread,
    tick,
    top_level,
)

QUARTER = "2025-26 Q4"


def published(bot: Bot) -> list[PublishedFigures]:
    with read_session(bot.engine) as session:
        return list(
            session.exec(select(PublishedFigures).where(PublishedFigures.quarter == QUARTER))
        )


def audited(bot: Bot, action: str) -> int:
    with read_session(bot.engine) as session:
        return session.exec(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
        ).one()


def statuses(bot: Bot) -> dict[str, str]:
    with read_session(bot.engine) as session:
        return {row.key: row.status for row in session.exec(select(SummaryPost))}


def test_two_processes_splitting_one_ticks_channels_publish_the_quarter_once(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two workers on their own engines tick at the same moment; each claims part of the
    quarter's five channel posts (three, then two: the claim's batch made small, as for a
    council with more channels than one batch) and both are held before their first post until
    the other has claimed too, so each posts, and records, its own share."""
    monkeypatch.setattr(summary_store, "claim", partial(summary_store.claim, limit=3))
    barrier = threading.Barrier(2, timeout=60)
    held = threading.local()
    real_post: Callable[..., summaries.Posted] = summaries.post_summary

    def post_after_both_claimed(*args: Any, **kwargs: Any) -> summaries.Posted:
        if not getattr(held, "done", False):
            held.done = True
            barrier.wait()  # both workers have claimed (and committed) their share
        return real_post(*args, **kwargs)

    monkeypatch.setattr(summaries, "post_summary", post_after_both_claimed)
    with running_bot(db_url) as bot:
        channels = add_channels(bot)
        council = bot.deps.council()
        moment = at(BOARD)
        bot.clock.now = moment
        engines = [make_engine(db_url) for _ in range(2)]
        sent: list[int] = []
        errors: list[BaseException] = []

        def run(engine: Any) -> None:
            try:
                sent.append(summaries.summary_tick(engine, council, bot.deps.transport, now=moment))
            except BaseException as error:  # pragma: no cover - reported below
                errors.append(error)
                barrier.abort()

        try:
            workers = [threading.Thread(target=run, args=(e,)) for e in engines]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join(timeout=120)
        finally:
            for engine in engines:
                engine.dispose()
        assert errors == []
        assert sorted(sent) == [2, 3]  # the tick's posts really were split
        for cid in channels.values():
            assert len(top_level(bot, cid)) == 1
        assert audited(bot, "summary.post") == len(CHANNELS)
        [record] = published(bot)
        assert record.published_by == "pmf-bot"
        assert record.occasion.endswith("on the Performance Board date")
        assert len(record.rows) > 0
        settle(bot)


def test_a_channel_retried_in_a_later_tick_does_not_publish_the_quarter_again(
    sqlite_url: str,
) -> None:
    with running_bot(sqlite_url) as bot:
        for scope, name in CHANNELS.items():
            if scope != "TC":
                bot.slack.add_channel(name)
        assert tick(bot, at(BOARD)) == len(CHANNELS) - 1  # '#council-performance' is missing
        [first] = published(bot)
        bot.slack.add_channel(CHANNELS["TC"])
        assert tick(bot, at(BOARD) + timedelta(minutes=6)) == 1
        assert set(statuses(bot).values()) == {"sent"}
        assert [r.id for r in published(bot)] == [first.id]
        assert audited(bot, "summary.post") == len(CHANNELS)
        settle(bot)


def test_a_crash_between_the_last_post_and_its_record_publishes_once_after_restart(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The last channel is posted, then the process stops before recording it (and the
    publication, written in that same transaction): the restarted tick finds the message by
    its key, posts nothing again, and records the post and the publication once."""
    real_mark_sent = summary_store.mark_sent
    calls: list[str] = []

    class Crash(Exception):
        pass

    def crash_on_the_last(session: Any, post_id: int, **kwargs: Any) -> bool:
        calls.append(kwargs["channel"])
        if len(calls) == len(CHANNELS):
            raise Crash("the process stops here")
        return real_mark_sent(session, post_id, **kwargs)

    with running_bot(db_url) as bot:
        channels = add_channels(bot)
        monkeypatch.setattr(summary_store, "mark_sent", crash_on_the_last)
        with pytest.raises(Crash):
            tick(bot, at(BOARD))
        monkeypatch.setattr(summary_store, "mark_sent", real_mark_sent)
        assert sorted(statuses(bot).values()) == ["sending"] + ["sent"] * (len(CHANNELS) - 1)
        [record] = published(bot)  # the four recorded posts published the quarter
        assert tick(bot, at(BOARD) + timedelta(minutes=2)) == 0  # a claim still fresh waits
        # After the stale-claim time, the restarted process recovers the post: looked up, found.
        assert tick(bot, at(BOARD) + timedelta(minutes=6)) == 1
        assert set(statuses(bot).values()) == {"sent"}
        for cid in channels.values():
            assert len(top_level(bot, cid)) == 1
        assert [r.id for r in published(bot)] == [record.id]
        assert audited(bot, "summary.post") == len(CHANNELS)
        settle(bot)


def test_a_slow_tick_overtaken_by_another_process_posts_nothing_twice(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process so slow that, while it posts its first channel, another process finds its
    whole batch stale (claimed over five minutes ago), finds the first post by its key and
    posts the rest: the slow one then sees they are no longer its own and leaves them. Each
    channel has one summary, each post is recorded and audited once, and the quarter is
    published once."""
    real_post: Callable[..., summaries.Posted] = summaries.post_summary
    started: list[bool] = []
    other: list[int] = []

    with running_bot(db_url) as bot:
        channels = add_channels(bot)
        council = bot.deps.council()
        engine = make_engine(db_url)

        def overtaken_while_posting(*args: Any, **kwargs: Any) -> summaries.Posted:
            posted = real_post(*args, **kwargs)
            if not started:  # the slow process's first post: the other process runs meanwhile
                started.append(True)
                later = at(BOARD) + timedelta(minutes=6)
                other.append(summaries.summary_tick(engine, council, bot.deps.transport, now=later))
            return posted

        monkeypatch.setattr(summaries, "post_summary", overtaken_while_posting)
        try:
            slow = tick(bot, at(BOARD))
        finally:
            engine.dispose()
        # The other process took over all five: the first (still being recorded) found by its
        # key, the other four posted; the slow one records none of them.
        assert other == [len(CHANNELS)]
        assert slow == 0
        for cid in channels.values():
            assert len(top_level(bot, cid)) == 1
        assert set(statuses(bot).values()) == {"sent"}
        assert audited(bot, "summary.post") == len(CHANNELS)
        assert len(published(bot)) == 1
        settle(bot)


def correction_row(bot: Bot) -> OutboxItem | None:
    with read_session(bot.engine) as session:
        return session.exec(
            select(OutboxItem).where(col(OutboxItem.key).startswith("correction|SC2.1|"))
        ).first()


def test_a_late_approval_while_the_summary_is_being_posted_still_corrects_it(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tick has claimed the posts and built the summary; SC2.1 is approved, and its
    correction delivered, before the summary reaches the channels (so it shows SC2.1 as not
    approved). The correction must not find "nothing posted yet" and be done: it waits for the
    posts being made and then corrects them."""
    real_post: Callable[..., summaries.Posted] = summaries.post_summary
    started: list[bool] = []

    with running_bot(db_url) as bot:
        channels = add_channels(bot)

        def approved_meanwhile(*args: Any, **kwargs: Any) -> summaries.Posted:
            if not started:
                started.append(True)
                submit_figure(bot, AMY, "SC2.1", "830000", period="2025-26 Q4", overview="Busy.")
                [card] = cards(bot, HOUSING)
                click(bot, HOUSING, ids.APPROVE, card)

                def tried() -> bool:
                    row = correction_row(bot)
                    return row is not None and (row.status == "sent" or row.attempts > 0)

                wait_until(tried, timeout=30, what="the correction's first delivery")
            return real_post(*args, **kwargs)

        monkeypatch.setattr(summaries, "post_summary", approved_meanwhile)
        assert tick(bot, at(BOARD)) == len(CHANNELS)
        monkeypatch.setattr(summaries, "post_summary", real_post)
        settle(bot)
        [stale] = top_level(bot, channels["ALL"])
        assert stale["text"].endswith("14 Green, 2 Grey, 1 No data")  # built before the approval

        bot.clock.now = at(BOARD) + timedelta(minutes=10)  # past the correction's retry time
        drain(
            bot.engine,
            bot.deps.council(),
            bot.deps.transport,
            worker="test",
            zone=LONDON,
            clock=bot.clock,
        )
        row = correction_row(bot)
        assert row is not None and row.status == "sent"
        for scope in ("ALL", "SC"):
            [post] = top_level(bot, channels[scope])
            assert "edited" in post  # rewritten in place with the new counts
            notes = [
                m
                for m in thread(bot, channels[scope], post["ts"])
                if "Correction" in m.get("text", "")
            ]
            assert len(notes) == 1, notes
        assert top_level(bot, channels["ALL"])[0]["text"].endswith("15 Green, 2 Grey, 0 No data")
        [untouched] = top_level(bot, channels["SE"])
        assert "edited" not in untouched
        settle(bot)


class TimesOutOnce(WebClient):
    """The first top-level message times out on its way back: Slack stored it (`stored`) or
    not, and the client cannot tell."""

    def __init__(self, *args: Any, stored: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stored = stored
        self.failures = 1

    def chat_postMessage(self, **kwargs: Any) -> Any:
        if kwargs.get("thread_ts") is None and self.failures:
            self.failures -= 1
            if self.stored:
                super().chat_postMessage(**kwargs)
            raise TimeoutError("The read operation timed out")
        return super().chat_postMessage(**kwargs)


@pytest.mark.parametrize("stored", [True, False], ids=["arrived", "lost"])
def test_an_admins_post_that_timed_out_but_arrived_is_found_and_recorded(
    sqlite_url: str, stored: bool
) -> None:
    """Not a Slack API error but a timeout after Slack stored the message: the post is found by
    its key (message metadata), completed (thread and chart) and recorded, so a late approval
    corrects it; when it did not arrive, the error stands and nothing is recorded or posted."""
    with running_bot(sqlite_url) as bot:
        channel = bot.slack.add_channel(CHANNELS["ALL"])
        now = at(BOARD)
        bot.clock.now = now
        client = TimesOutOnce(token="xoxb-test-token", base_url=bot.slack.api_url, stored=stored)
        poster = SlackTransport(bot.engine, client, bot.deps.directory, as_given=True)
        council = bot.deps.council()
        whole = summaries.summary(bot.engine, council, Period.parse(QUARTER), today=now.date())
        if not stored:
            with pytest.raises(DeliveryError):
                summaries.post_now(
                    bot.engine,
                    poster,
                    whole,
                    channel=channel,
                    shown="#performance",
                    by=POLICY,
                    now=now,
                )
            assert bot.slack.messages(channel) == []
            assert statuses(bot) == {} and published(bot) == []
            return
        posted = summaries.post_now(
            bot.engine, poster, whole, channel=channel, shown="#performance", by=POLICY, now=now
        )
        [top] = top_level(bot, channel)
        assert posted.ref.ts == top["ts"]
        replies = [m for m in thread(bot, channel, top["ts"]) if not m.get("upload")]
        assert len(posted.thread) == len(replies) > 0
        assert len(bot.slack.calls_to("files.completeUploadExternal")) == 1
        with read_session(bot.engine) as session:
            [row] = session.exec(select(SummaryPost)).all()
        assert (row.status, row.channel, row.message_ts) == ("sent", channel, top["ts"])
        assert len(published(bot)) == 1
        assert audited(bot, "summary.post") == 1
        settle(bot)
