"""Leave and cover in Slack (issue 13), over signed HTTP against the stand-in, on SQLite and
PostgreSQL: the cover is told when leave is booked and again on its first day, exactly once
each; `/pmf away` lists booked leave with Cancel (audited, the cover told); `/pmf back` before
booked leave says so; the cover may be an escaped mention, as Slack's client sends it, or a
plain `@Name` matched to the register, with ambiguity kindly refused."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time

import pytest
from sqlmodel import select

from bot import services
from bot.delivery import tick
from handlers.slack import ids
from sandbox.slack_client import GENERAL_CHANNEL_ID
from storage.engine import read_session
from storage.models import AuditEvent, Leave
from tests.slack_harness import LONDON, Bot, running_bot
from tests.test_slack_support import (
    JANE,
    SAM,
    buttons,
    command,
    ephemerals,
    settle,
    text_of,
    wait_ephemeral,
)

CANCEL = ids.CANCEL_LEAVE


@pytest.fixture
def bot(db_url: str) -> Iterator[Bot]:
    with running_bot(db_url) as running:  # the clock: Thu 8 Oct 2026 10:00
        yield running
        settle(running)


def run_tick(bot: Bot, day: str, hour: int = 9, minute: int = 5) -> None:
    when = datetime.combine(datetime.fromisoformat(day).date(), time(hour, minute), LONDON)
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


def told(bot: Bot, email: str, words: str) -> list[str]:
    return [text_of(m) for m in bot.dms(email) if words in text_of(m)]


def test_the_cover_is_told_when_leave_is_booked_and_when_it_starts_exactly_once(
    bot: Bot,
) -> None:
    mention = f"<@{bot.uid(SAM)}|sam.lee>"  # as Slack's client sends a mention
    reply = text_of(command(bot, JANE, f"away 12 Oct 16 Oct {mention}"))
    assert "Noted: you are away from Mon 12 Oct to Fri 16 Oct 2026." in reply
    assert "Sam Lee will get your reminders" in reply and "I have told them" in reply
    settle(bot)
    booked = "*Jane Doe* will be away from Mon 12 Oct to Fri 16 Oct 2026 and has named you"
    assert len(told(bot, SAM, booked)) == 1

    # `/pmf back` before the leave starts: it says so, and offers Cancel.
    back = command(bot, JANE, "back")
    assert "You are not away now, so nothing has changed." in text_of(back)
    assert "Away from Mon 12 Oct to Fri 16 Oct 2026, covered by Sam Lee." in text_of(back)
    assert "not recorded as away" not in text_of(back)
    assert CANCEL in buttons(back)

    starts = "*Jane Doe* is away from today until Fri 16 Oct 2026, and you are covering"
    run_tick(bot, "2026-10-09")  # Friday: not yet
    assert told(bot, SAM, starts) == []
    run_tick(bot, "2026-10-12", 9, 1)  # Monday, the first day, after 09:00
    run_tick(bot, "2026-10-12", 9, 2)  # another tick, another process: still once
    run_tick(bot, "2026-10-13")
    assert len(told(bot, SAM, starts)) == 1
    assert len(told(bot, SAM, booked)) == 1

    # Under way, `/pmf away` lists it without Cancel (back ends it).
    listed = command(bot, JANE, "away")
    assert "under way" in text_of(listed) and CANCEL not in buttons(listed)


def test_away_lists_booked_leave_with_cancel_and_cancelling_is_audited_and_told(
    bot: Bot,
) -> None:
    # The form the help suggests, with the name typed as plain text.
    assert "`/pmf away today 31 Jul @Sam Lee`" in text_of(command(bot, JANE, "help"))
    reply = text_of(command(bot, JANE, "away today 31 Oct @Sam Lee"))
    assert "Noted: you are away from Thu 08 Oct to Sat 31 Oct 2026." in reply
    assert "Sam Lee will get your reminders" in reply
    reply = text_of(command(bot, JANE, "away 2 Nov 6 Nov @sam lee"))
    assert "from Mon 02 Nov to Fri 06 Nov 2026" in reply and "Sam Lee" in reply
    settle(bot)
    assert len(told(bot, SAM, "has named you as cover: from today")) == 1

    listed = command(bot, JANE, "away")
    shown = text_of(listed)
    assert "Away from Thu 08 Oct to Sat 31 Oct 2026, covered by Sam Lee — under way" in shown
    assert "Away from Mon 02 Nov to Fri 06 Nov 2026, covered by Sam Lee." in shown
    with read_session(bot.engine) as session:
        later = session.exec(select(Leave).where(Leave.starts == datetime(2026, 11, 2).date()))
        leave_id = str(later.one().id)
    assert buttons(listed) == {CANCEL: leave_id}  # only leave not yet started

    seen = len(ephemerals(bot, JANE))
    bot.user.block_action(bot.uid(JANE), CANCEL, leave_id, channel_id=GENERAL_CHANNEL_ID)
    answer = wait_ephemeral(bot, JANE, seen)
    assert "Cancelled your leave from Mon 02 Nov to Fri 06 Nov 2026. Sam Lee has been told." in (
        answer
    )
    settle(bot)
    assert len(told(bot, SAM, "*Jane Doe* has cancelled their leave from Mon 02 Nov")) == 1
    with read_session(bot.engine) as session:
        [event] = session.exec(select(AuditEvent).where(AuditEvent.action == "leave.cancel"))
    assert event.actor == JANE

    # A second click changes nothing; the cancelled leave's first day tells nobody.
    seen = len(ephemerals(bot, JANE))
    bot.user.block_action(bot.uid(JANE), CANCEL, leave_id, channel_id=GENERAL_CHANNEL_ID)
    assert "already cancelled" in wait_ephemeral(bot, JANE, seen)
    run_tick(bot, "2026-11-02")
    assert told(bot, SAM, "is away from today") == []
    assert "Mon 02 Nov" not in text_of(command(bot, JANE, "away"))


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("@Bennett", "'Bennett' could be Laura Bennett, Olivia Bennett. Please write the full"),
        ("@Nobody Here", "I could not find 'Nobody Here' in the council's register"),
        ("@Jane Doe", "You cannot cover for yourself"),
    ],
)
def test_a_cover_named_in_plain_text_must_be_one_person(bot: Bot, typed: str, says: str) -> None:
    assert says in text_of(command(bot, JANE, f"away 12 Oct 16 Oct {typed}"))
    with read_session(bot.engine) as session:
        assert session.exec(select(Leave)).all() == []


def test_a_cancel_button_naming_no_leave_of_yours_changes_nothing(bot: Bot) -> None:
    command(bot, SAM, f"away 2 Nov 6 Nov <@{bot.uid(JANE)}|jane>")
    with read_session(bot.engine) as session:
        sams = str(session.exec(select(Leave.id)).one())
    for value, says in (
        (sams, "That leave is not yours"),  # Sam's leave, clicked by Jane
        ("abc", "That button does not name any leave"),
        ("99999999999", "That button does not name any leave"),
        ("", "That button does not name any leave"),
    ):
        seen = len(ephemerals(bot, JANE))
        bot.user.block_action(bot.uid(JANE), CANCEL, value, channel_id=GENERAL_CHANNEL_ID)
        assert says in wait_ephemeral(bot, JANE, seen)
    with read_session(bot.engine) as session:
        assert session.exec(select(Leave.ended_at)).one() is None
        assert (
            session.exec(select(AuditEvent).where(AuditEvent.action == "leave.cancel")).all() == []
        )
