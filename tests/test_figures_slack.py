"""Issue 10's figures in Slack, through the real app over HTTP against the stand-in: `/pmf
status` as at a quarter says why a measure is Grey, the summary posted on the Board date is
recorded as published, and a later approval shows as restated since publication."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time, timedelta

import pytest
from sqlmodel import select

from bot import services, summaries
from bot.periods import Period
from handlers.slack import ids
from storage.engine import read_session
from storage.models import PublishedFigures
from tests.slack_harness import LONDON, Bot, running_bot
from tests.test_slack_support import (
    HOS,
    JANE,
    cards,
    click,
    command,
    settle,
    submit_figure,
    text_of,
)

MAY_DAY = datetime(2026, 5, 1, 10, 0, tzinfo=LONDON)
CHRIS = "chris.walker@example.gov.uk"


@pytest.fixture
def bot(sqlite_url: str) -> Iterator[Bot]:
    with running_bot(sqlite_url) as running:
        running.clock.now = MAY_DAY
        yield running
        settle(running)


def test_status_as_at_q1_says_why_a_measure_has_no_figure(bot: Bot) -> None:
    one = command(bot, CHRIS, "status DE2.2 2025-26 Q1")
    shown = text_of(one["blocks"])
    assert "reported half-yearly; next at 2025-26 Q2" in shown
    assert "no approved value" in shown and "312" not in shown
    whole = text_of(command(bot, CHRIS, "status TC 2025-26 Q1")["blocks"])
    assert "not yet due — annual outturn reported at Q4" in whole
    # A year-to-date measure compares with the same quarter a year earlier.
    cumulative = text_of(command(bot, CHRIS, "status DE1.1 2025-26 Q1")["blocks"])
    assert "improving on 2024-25 Q1 (year to date, same period last year)" in cumulative


def test_status_of_a_measure_shows_its_data_confidence(bot: Bot) -> None:
    shown = text_of(command(bot, CHRIS, "status SE1.1")["blocks"])
    assert "Data confidence" in shown and "Amber — collected by hand" in shown


def test_the_board_date_post_is_published_and_a_late_approval_is_restated(bot: Bot) -> None:
    # The harness loads the history on Thu 8 Oct 2026; 2026-27 Q2 is published on its Board
    # date, then a figure is approved late.
    quarter = Period.parse("2026-27 Q2")
    council = bot.deps.council()
    board = datetime.combine(
        council.calendar.performance_board_date(quarter, council.performance_board_weeks),
        time(10, 0),
        tzinfo=LONDON,
    )
    bot.slack.add_channel("performance")
    bot.clock.now = board
    sent = summaries.summary_tick(bot.engine, council, bot.deps.transport, now=board)
    assert sent >= 1
    with read_session(bot.engine) as session:
        [published] = session.exec(select(PublishedFigures)).all()
    assert published.quarter == "2026-27 Q2" and published.published_by == "pmf-bot"
    assert published.occasion == "posted to #performance on the Performance Board date"

    bot.clock.now = board + timedelta(days=1)
    submit_figure(bot, JANE, "SE1.1", "36.5", period="2026-27 Q2", overview="Late invoices.")
    [card] = cards(bot, HOS)
    click(bot, HOS, ids.APPROVE, card)
    settle(bot)

    preview = text_of(command(bot, CHRIS, "summary 2026-27 Q2")["blocks"])
    assert ":pencil2: *1 restated since publication*" in preview
    status = text_of(command(bot, CHRIS, "status SE1.1 2026-27 Q2")["blocks"])
    assert "Restated since publication on 21 Oct 2026 09:00 UTC: published as no value" in status
    assert "approved after publication — Helen Carter" in status

    again = summaries.as_published(bot.engine, council, quarter)
    se11 = next(row for row in again.rows if row.measure.ref == "SE1.1")
    assert (se11.value, se11.state.value) == (None, "overdue")  # as it was published
    now = services.status(bot.engine, "SE1.1", quarter, today=bot.clock().date())
    assert now.rows[0].value is not None and now.rows[0].restated is not None
