"""Commit first, then acknowledge; everything after goes through the outbox, exactly once
(issue 11), on SQLite and PostgreSQL.

The real app over HTTP against the Slack stand-in (`tests.slack_harness`): a decision is in
the database, with the rows for what must follow, before Slack hears the click was taken; the
deliverer sends each row once, stores DM channels, looks before sending again after an unclear
failure, and a summary interrupted between posting and recording is not posted twice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from slack_sdk import WebClient
from sqlmodel import select

from bot import outbox, summaries
from bot.chat.model import Message
from bot.delivery import drain
from bot.outbox import Ref
from bot.periods import Period
from handlers.slack import ids, interactions
from handlers.slack.transport import SlackTransport
from storage import outbox_store
from storage.engine import read_session, write_session
from storage.models import MessageRef, OutboxItem, Person, Review, SummaryPost
from tests.slack_harness import Bot, replica, running_bot
from tests.test_slack_support import (
    BEN,
    HOS,
    HOS_CORPORATE,
    JANE,
    SAM,
    WASTE,
    cards,
    click,
    count,
    reviews,
    settle,
    submissions,
    submit_figure,
    wait_until,
)
from tests.test_slack_support import (
    buttons as message_buttons,
)

LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def both(db_url: str) -> Iterator[Bot]:
    """The whole bot on SQLite, then on PostgreSQL."""
    with running_bot(db_url) as running:
        yield running
        settle(running)


def outbox_rows(bot: Bot) -> dict[str, OutboxItem]:
    with read_session(bot.engine) as session:
        return {row.key: row for row in session.exec(select(OutboxItem))}


def key_of(message: dict[str, Any]) -> str:
    return str(((message.get("metadata") or {}).get("event_payload") or {}).get("key") or "")


def test_a_decision_and_its_outbox_rows_are_committed_before_the_ack(
    both: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    submit_figure(both, JANE, "SE1.1", "36.5")
    [card] = cards(both, HOS)
    [submission] = submissions(both, "SE1.1")

    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("the listener fails after the acknowledgement")

    monkeypatch.setattr(interactions, "show", broken)  # whatever happens after the ack fails
    answer = click(both, HOS, ids.APPROVE, card)
    assert answer.status == 200
    with read_session(both.engine) as session:
        [review] = session.exec(select(Review).where(Review.submission_id == submission.id))
    assert review.decision == "approved"  # in the database by the time Slack heard back
    rows = outbox_rows(both)
    assert f"card_refresh|{submission.id}" in rows
    assert f"notice|decided|{submission.id}|{JANE}" in rows
    # ...and delivered by the outbox, not by the listener that failed.
    channel = both.slack.dm_channel(both.uid(HOS))
    wait_until(
        lambda: "Approved" in str((both.slack.message(channel, card["ts"]) or {}).get("blocks")),
        what="the card updated by the outbox",
    )
    wait_until(
        lambda: any("was *approved*" in str(m.get("blocks")) for m in both.dms(JANE)),
        what="the collector told by the outbox",
    )


def test_every_consequence_is_sent_once_and_home_pages_are_coalesced(both: Bot) -> None:
    submit_figure(both, JANE, "SE1.1", "36.5")
    [card] = cards(both, HOS)
    publishes = count(both, "views.publish")
    click(both, HOS, ids.APPROVE, card)
    settle(both)
    keys = Counter(key_of(m) for email in (JANE, HOS) for m in both.dms(email) if key_of(m))
    assert keys and set(keys.values()) == {1}, keys
    homes = [c.params["user_id"] for c in both.slack.calls_to("views.publish")[publishes:]]
    assert sorted(homes) == sorted({both.uid(JANE), both.uid(HOS)})  # once each
    statuses = Counter(row.status for row in outbox_rows(both).values())
    assert set(statuses) <= {"sent", "dropped"}, statuses


def test_home_pages_are_paced_per_person_and_the_last_change_is_shown(both: Bot) -> None:
    """A home page sent a moment ago is held back (its re-armed row waits in the outbox),
    while the card and the notice go at once; when the moment passes, the page shows the
    latest state."""
    deliverer = both.deps.deliverer
    assert deliverer is not None
    deliverer.pace.every = 3600.0  # hold every home page sent from now on
    submit_figure(both, JANE, "SE1.1", "36.5")
    [card] = cards(both, HOS)
    jane = both.uid(JANE)

    def janes() -> list[str]:
        return [
            str(c.params["view"])
            for c in both.slack.calls_to("views.publish")
            if c.params["user_id"] == jane
        ]

    wait_until(lambda: janes(), what="Jane's home after her submission")
    shown = len(janes())
    before = count(both, "chat.update")
    click(both, HOS, ids.APPROVE, card)
    wait_until(lambda: count(both, "chat.update") > before, what="the card rewritten")
    wait_until(
        lambda: any("was *approved*" in str(m.get("blocks")) for m in both.dms(JANE)),
        what="Jane told",
    )
    assert len(janes()) == shown  # held back...
    assert outbox_rows(both)[f"home|{JANE}"].status == "pending"  # ...not lost
    deliverer.pace.every = 0.0
    deliverer.wake()
    wait_until(lambda: len(janes()) > shown, what="Jane's home once the moment has passed")
    assert "approved by Helen Carter" in janes()[-1]
    settle(both)
    assert len(janes()) == shown + 1


def test_a_dm_channel_is_opened_once_per_person_and_kept_across_restarts(db_url: str) -> None:
    with running_bot(db_url) as bot:
        submit_figure(bot, JANE, "SE1.1", "36.5")
        submit_figure(bot, JANE, "SE1.1", "36.6")  # a second version: more DMs to both
        settle(bot)
        opened = Counter(c.params["users"] for c in bot.slack.calls_to("conversations.open"))
        assert opened[bot.uid(JANE)] == 1 and opened[bot.uid(HOS)] == 1
        with read_session(bot.engine) as session:
            stored = session.exec(select(Person).where(Person.email == HOS)).one()
        assert stored.slack_dm_channel == bot.slack.dm_channel(bot.uid(HOS))
        # A new process (a restart, another replica) uses the stored channel.
        fresh = SlackTransport(bot.engine, bot.deps.client, bot.deps.directory)
        before = count(bot, "conversations.open")
        fresh.post(HOS, Message.plain("Hello again"), "test|restart")
        assert count(bot, "conversations.open") == before


class Slow(WebClient):
    """A client whose chat.postMessage gives up before Slack answers: Slack keeps the
    message, the bot hears nothing back (issue 11: 3 of 3 such reminders were duplicated)."""

    def chat_postMessage(self, **kwargs: Any) -> Any:
        super().chat_postMessage(**kwargs)
        raise TimeoutError("The read operation timed out")


def test_a_send_that_timed_out_but_arrived_is_found_not_sent_again(both: Bot) -> None:
    submit_figure(both, JANE, "SE1.1", "36.5")
    [submission] = submissions(both, "SE1.1")
    assert both.deps.deliverer is not None and submission.id is not None
    both.deps.deliverer.stop()  # from here on this test delivers by hand
    slow = SlackTransport(
        both.engine,
        Slow(token="xoxb-test-token", base_url=both.slack.api_url, retry_handlers=[]),
        both.deps.directory,
        as_given=True,
    )
    key = f"notice|submitted|again-{submission.id}|{JANE}"
    with write_session(both.engine) as session:
        outbox_store.enqueue(
            session,
            [
                outbox.notice(
                    notice=outbox.SUBMITTED,
                    submission=submission.id,
                    event=f"again-{submission.id}",
                    to=JANE,
                    ref="SE1.1",
                    period=Period.parse("2026-27 Q2"),
                    now=both.clock(),
                )
            ],
            both.clock(),
        )

    def deliver(transport: Any) -> None:
        drain(
            both.engine,
            both.deps.council(),
            transport,
            worker="test",
            zone=LONDON,
            clock=both.clock,
        )

    deliver(slow)  # Slack keeps it; the bot times out
    row = outbox_rows(both)[key]
    assert (row.status, row.uncertain) == ("pending", True)
    both.clock.advance(seconds=2)
    deliver(both.deps.transport)  # the next attempt looks first, and finds it
    assert outbox_rows(both)[key].status == "sent"
    arrived = [m for m in both.dms(JANE) if key_of(m) == key]
    assert len(arrived) == 1, "delivered once, although the first answer was lost"
    assert outbox_rows(both)[key].message_ts == arrived[0]["ts"]


def test_an_unclear_card_send_is_looked_up_recorded_and_updated_in_place(both: Bot) -> None:
    """The card reaches Slack but the answer is lost (any error, not only Slack's): the next
    attempt finds it by its key, records it, and Approve updates that very card."""
    real = both.deps.transport
    lost: list[Ref] = []

    class LosesAnswers:
        surface = "slack"

        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

        def post(self, email: str, message: Message, key: str) -> Ref:
            ref: Ref = real.post(email, message, key)
            if key.startswith("card-") and not lost:
                lost.append(ref)
                raise ConnectionResetError("connection reset after sending")
            return ref

    assert both.deps.deliverer is not None
    both.deps.deliverer.surfaces.by_name["slack"] = LosesAnswers()
    submit_figure(both, JANE, "SE1.1", "36.5")
    assert lost, "the card was sent once and its answer lost"
    both.clock.advance(seconds=2)  # the retry's moment
    wait_until(lambda: bool(message_refs(both)), timeout=10, what="the card recorded")
    settle(both)
    [card] = cards(both, HOS)
    assert card["ts"] == lost[0].ts  # found, not sent again
    assert [r.ts for r in message_refs(both)] == [lost[0].ts]
    before = count(both, "chat.update")
    click(both, HOS, ids.APPROVE, card)
    wait_until(lambda: count(both, "chat.update") > before, what="the card updated")
    updated = both.slack.calls_to("chat.update")[before]
    assert updated.params["ts"] == lost[0].ts


def message_refs(bot: Bot) -> list[MessageRef]:
    with read_session(bot.engine) as session:
        return list(session.exec(select(MessageRef)))


def test_a_summary_posted_before_a_crash_is_found_not_posted_twice(both: Bot) -> None:
    """A process dies after posting a summary and before recording it: after five minutes
    another takes the row over, finds the post by its key, and posts nothing again."""
    channel = both.slack.add_channel("performance")
    council = both.deps.council()
    quarter = Period.parse("2025-26 Q4")
    whole = summaries.summary(both.engine, council, quarter, today=both.clock().date())
    key = "post|2025-26 Q4|#performance|ALL"
    posted = summaries.post_summary(both.deps.transport, whole, key=key, channel=channel)
    moment = datetime(2026, 4, 21, 9, 5, tzinfo=LONDON)
    with write_session(both.engine) as session:  # the row the dead process had claimed
        session.add(
            SummaryPost(
                key=key,
                kind="post",
                quarter=quarter.label,
                target=channel,
                due_at=moment,
                status="sending",
                attempts=1,
                claimed_at=moment,
            )
        )
    tops = [m for m in both.slack.messages(channel) if m.get("thread_ts") in (None, m["ts"])]
    assert len(tops) == 1
    recovered = summaries.summary_tick(
        both.engine, council, both.deps.transport, now=moment + timedelta(minutes=6)
    )
    assert recovered == 1
    tops = [m for m in both.slack.messages(channel) if m.get("thread_ts") in (None, m["ts"])]
    assert len(tops) == 1, "the summary is not posted twice"
    with read_session(both.engine) as session:
        row = session.exec(select(SummaryPost).where(SummaryPost.key == key)).one()
    assert (row.status, row.message_ts) == ("sent", posted.ref.ts)


@pytest.mark.postgres
def test_two_replicas_share_clicks_and_the_outbox_with_no_duplicates(postgres_url: str) -> None:
    """Two `pmf-bot run` processes on one PostgreSQL behind a load balancer: submissions and
    clicks land on either; every decision is recorded once, every card updated, every notice
    and card sent once — whichever replica took the click and whichever delivered."""
    with running_bot(postgres_url, threads=12) as first, replica(first, threads=12) as second:
        figures = [("SE1.1", JANE), ("SE1.2", SAM), ("TC1.1", BEN)]
        for n, (ref, collector) in enumerate(figures):
            submit_figure(
                first if n % 2 else second, collector, ref, "36.5", overview="Q2.", actions="Go on."
            )
        settle(first)
        settle(second)
        pending = [(ref, submissions(first, ref)[-1]) for ref, _ in figures]
        cards_by_sid: dict[int, tuple[str, dict[str, Any]]] = {}
        for email in {HOS, WASTE, HOS_CORPORATE}:
            for message in cards(first, email):
                value = message_buttons(message).get(ids.APPROVE)
                if value:
                    cards_by_sid[int(value)] = (email, message)
        assert {s.id for _, s in pending} <= set(cards_by_sid)

        def approve(bot: Bot, sid: int) -> int:
            email, message = cards_by_sid[sid]
            return click(bot, email, ids.APPROVE, message).status

        with ThreadPoolExecutor(max_workers=8) as pool:  # each card clicked on both replicas
            statuses = list(
                pool.map(
                    lambda job: approve(*job),
                    [(bot, s.id) for _, s in pending for bot in (first, second)],
                )
            )
        assert set(statuses) == {200}
        for bot in (first, second):
            settle(bot)
        for _, submission in pending:
            assert submission.id is not None and len(reviews(first, submission.id)) == 1
        keys = Counter(
            key_of(message)
            for email in {*first.people}
            for message in first.dms(email)
            if key_of(message)
        )
        assert keys and set(keys.values()) == {1}, [k for k, n in keys.items() if n > 1]
        for sid, (email, message) in cards_by_sid.items():
            if sid in {s.id for _, s in pending}:
                channel = first.slack.dm_channel(first.uid(email))
                now = first.slack.message(channel, message["ts"]) or {}
                assert "Approved" in str(now.get("blocks")), sid
        with read_session(first.engine) as session:
            workers = Counter(
                (row.claimed_by or "").split("/")[0]
                for row in session.exec(select(OutboxItem).where(OutboxItem.status == "sent"))
            )
        assert sum(workers.values()) > 0
