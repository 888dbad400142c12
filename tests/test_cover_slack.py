"""Leave cover keeps segregation of duties (issue 9 item 2), through the real Bolt app over
signed HTTP against the Slack stand-in, on SQLite and PostgreSQL: a reviewer's cover who
collects the measure (or covers its collection) is refused for those measures, with the reason;
nobody decides on a figure they collect, submitted or covered, whatever asks; and review cards,
reminders and home pages go to whoever reviews the figure now — the away reviewer's cover."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.submissions import Refused, decide
from handlers.slack import ids
from tests.slack_harness import Bot, running_bot
from tests.test_slack_review import decide_by_click, refused
from tests.test_slack_support import (
    CHRIS,
    HOS,
    JANE,
    POLICY,
    SAM,
    WASTE,
    cards,
    command,
    open_home,
    reviews,
    settle,
    submissions,
    submit_figure,
    text_of,
)

# Gareth Price (WASTE) reviews SE1.2, SE1.3, SE2.1 and SE2.2; Sam Lee collects them and Jane
# Doe covers their collection; Helen Carter (HOS) is their Head of Service.
WASTE_MEASURES = "SE1.2, SE1.3, SE1.P1, SE2.1 and SE2.2"  # Gareth also reviews the project


@pytest.fixture
def live(db_url: str) -> Iterator[Bot]:
    with running_bot(db_url) as running:
        yield running
        settle(running)


def away(bot: Bot, email: str, cover: str) -> str:
    return text_of(command(bot, email, f"away today 2026-10-16 <@{bot.uid(cover)}>"))


def test_the_collector_named_as_cover_cannot_review_their_own_measure(live: Bot) -> None:
    said = away(live, WASTE, SAM)
    assert "Noted: you are away" in said
    assert (
        f"Except for {WASTE_MEASURES}: Sam Lee cannot review them for you, because they collect "
        "SE1.2, SE1.3, SE2.1 and SE2.2 and cover the collection of SE1.P1, and nobody may review "
        "figures they collect or cover (segregation of duties)."
    ) in said
    assert "Helen Carter, the Head of Service, will get those review requests instead." in said
    assert "sam.lee@" not in said  # people by name

    # The admin submits Sam's figure on his behalf: the card goes to the Head of Service,
    # never to Sam (its collector) nor to Gareth (away).
    submit_figure(live, POLICY, "SE1.2", "52.5")
    settle(live)
    assert cards(live, SAM) == [] and cards(live, WASTE) == []
    [card] = cards(live, HOS)

    # Sam clicks Approve on that card anyway (a forwarded or forged click): refused.
    for action in (ids.APPROVE, ids.REJECT):
        reply = refused(live, SAM, action, card)
        assert "You collect the figures for SE1.2" in reply and "segregation of duties" in reply
    # The decision use case itself refuses, whatever surface asks.
    [version] = submissions(live, "SE1.2")
    assert version.id is not None
    with pytest.raises(Refused, match=r"You collect the figures for SE1\.2"):
        decide(
            live.engine,
            live.deps.council(),
            submission_id=version.id,
            decision="approved",
            reason=None,
            actor=SAM,
            now=live.deps.now(),
        )
    assert reviews(live, version.id) == []
    assert "SE1.2" not in text_of(open_home(live, SAM)).split("review", 1)[-1]

    decide_by_click(live, HOS, card)
    assert reviews(live, version.id)[0].decided_by == HOS


def test_whoever_covers_the_collection_cannot_review_it_either(live: Bot) -> None:
    said = away(live, WASTE, JANE)
    assert (
        f"Except for {WASTE_MEASURES}: Jane Doe cannot review them for you, because they cover "
        "the collection of SE1.2, SE1.3, SE2.1 and SE2.2 and collect SE1.P1"
    ) in said
    submit_figure(live, SAM, "SE1.2", "52.5")
    settle(live)
    assert cards(live, JANE) == [] and cards(live, WASTE) == []
    [card] = cards(live, HOS)
    reply = refused(live, JANE, ids.APPROVE, card)
    assert "You cover the collection of SE1.2's figures" in reply


def test_the_card_goes_to_the_away_reviewers_cover_who_may_decide(live: Bot) -> None:
    said = away(live, WASTE, CHRIS)
    assert "Chris Walker will get your reminders and review requests" in said
    assert "cannot review" not in said
    submit_figure(live, SAM, "SE1.2", "52.5")
    settle(live)
    assert cards(live, WASTE) == [] and cards(live, HOS) == []
    [card] = cards(live, CHRIS)
    home = text_of(open_home(live, CHRIS))
    assert "SE1.2" in home
    decide_by_click(live, CHRIS, card)
    [version] = submissions(live, "SE1.2")
    assert version.id is not None and reviews(live, version.id)[0].decided_by == CHRIS
