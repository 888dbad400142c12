"""Review cards and events are never lost (PRODUCT §9): a card Slack could not take is queued
and delivered by a later tick; an event whose handling failed is handled when Slack retries."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from bot.delivery import tick
from handlers.slack import ids
from storage.engine import read_session, write_session
from storage.models import InboundEvent, MessageRef
from storage.models import OutboxItem as Reminder
from tests.slack_harness import Bot, register_people
from tests.test_slack_support import (
    HOS,
    JANE,
    buttons,
    click,
    settle,
    submit_figure,
    text_of,
    wait_until,
)


def _tick(bot: Bot) -> None:
    tick(
        bot.engine,
        bot.deps.council(),
        bot.deps.transport,
        now=bot.clock(),
        zone=bot.deps.zone,
        worker="test",
        sleep=lambda _: None,
    )


def test_a_card_that_could_not_be_delivered_is_queued_and_arrives_later(bot: Bot) -> None:
    reviewer = bot.uid(HOS)
    gone = bot.slack.users.pop(reviewer)  # not in Slack for now
    thanks = submit_figure(bot, JANE, "SE1.1", "36.5")
    assert "I will keep trying to deliver the review card" in thanks["text"]
    with read_session(bot.engine) as session:
        queued = session.exec(select(Reminder).where(Reminder.kind == "card")).all()
    assert [(row.status, row.version) for row in queued] == [("pending", 1)]

    _tick(bot)  # still not in Slack: stays queued, with the reason
    with read_session(bot.engine) as session:
        row = session.exec(select(Reminder).where(Reminder.kind == "card")).one()
    assert row.status == "pending" and row.attempts == 1 and row.last_error

    bot.slack.users[reviewer] = gone  # back in the workspace
    bot.clock.advance(hours=2)  # past the delay and the hour a missing person is remembered
    _tick(bot)
    settle(bot)
    card = bot.dms(HOS)[-1]
    assert card["text"].startswith("SE1.1 2026-27 Q2: 36.5% from Jane Doe")
    assert ids.APPROVE in buttons(card)
    with read_session(bot.engine) as session:
        assert session.exec(select(Reminder).where(Reminder.kind == "card")).one().status == "sent"
        assert session.exec(select(MessageRef)).one().ts == card["ts"]

    click(bot, HOS, ids.APPROVE, card)  # the queued card is updated in place like any other
    channel = bot.slack.dm_channel(reviewer)
    wait_until(
        lambda: (
            "Approved* by Helen Carter"
            in text_of((bot.slack.message(channel, card["ts"]) or {}).get("blocks"))
        ),
        what="the card updated in place",
    )

    _tick(bot)  # nothing is sent twice
    assert len([m for m in bot.dms(HOS) if m["text"].startswith("SE1.1 2026-27 Q2")]) == 1


def test_a_card_no_longer_needed_is_dropped_not_sent(bot: Bot) -> None:
    reviewer = bot.uid(HOS)
    gone = bot.slack.users.pop(reviewer)
    submit_figure(bot, JANE, "SE1.1", "36.5")
    submit_figure(bot, JANE, "SE1.1", "36.6")  # version 2 replaces version 1
    bot.slack.users[reviewer] = gone
    bot.clock.advance(hours=2)
    _tick(bot)
    settle(bot)
    texts = [m["text"] for m in bot.dms(HOS)]
    assert [t for t in texts if "from Jane Doe" in t] == [
        "SE1.1 2026-27 Q2: 36.6% from Jane Doe — to review"
    ]
    with read_session(bot.engine) as session:
        statuses = {
            row.version: row.status
            for row in session.exec(select(Reminder).where(Reminder.kind == "card"))
        }
    assert statuses == {1: "dropped", 2: "sent"}


def test_an_event_that_failed_is_handled_when_slack_retries(bot: Bot) -> None:
    user = bot.uid(JANE)
    bot.slack.fail_next("views.publish", status=500, times=10)  # the Home cannot be published
    bot.slack.fail_next("views.publish", status=200, error="fatal_error")
    first = bot.user.event(
        {"type": "app_home_opened", "user": user, "tab": "home"}, event_id="Ev0FAIL"
    )
    assert first.status in (200, 500)
    settle(bot)
    # A listener that raised forgets the event; one that handled it keeps it.
    with read_session(bot.engine) as session:
        kept = session.get(InboundEvent, "Ev0FAIL")
    publishes = len(bot.slack.calls_to("views.publish"))
    again = bot.user.event(
        {"type": "app_home_opened", "user": user, "tab": "home"},
        event_id="Ev0FAIL",
        retry_num=1,
        retry_reason="http_error",
    )
    assert again.status == 200
    settle(bot)
    if kept is None:
        assert len(bot.slack.calls_to("views.publish")) > publishes
    assert register_people()  # the harness's people are the register's


def test_old_event_ids_are_forgotten(bot: Bot) -> None:
    from bot.scheduler import forget_old_events

    bot.user.event(
        {"type": "app_home_opened", "user": bot.uid(JANE), "tab": "home"}, event_id="Ev0OLD"
    )
    settle(bot)
    forget_old_events(bot.engine, bot.clock() + timedelta(days=3))
    with read_session(bot.engine) as session:
        assert session.get(InboundEvent, "Ev0OLD") is None


def test_a_rate_limited_lookup_is_not_taken_for_an_unknown_person(bot: Bot) -> None:
    from storage.models import Person

    with write_session(bot.engine) as session:
        person = session.exec(select(Person).where(Person.email == HOS)).one()
        person.slack_user_id = None
        session.add(person)
    bot.slack.fail_next("users.lookupByEmail", status=429, retry_after=1, times=5)
    assert bot.deps.directory.user_for(HOS) is None  # could not ask: no answer yet
    with read_session(bot.engine) as session:
        assert (
            session.exec(select(Person).where(Person.email == HOS)).one().slack_checked_at is None
        )
    assert bot.deps.directory.user_for(HOS) == bot.uid(HOS)  # asked again, and found
