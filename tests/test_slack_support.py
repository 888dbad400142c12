"""Shared steps for the Slack end-to-end tests (`tests/test_slack_*.py`); no tests here.

Every step drives the real Bolt app through `tests.slack_harness.running_bot`: requests are
signed as Slack signs them, and whatever the bot sends lands in the Slack stand-in. Bolt acks
first and works after the ack, so each step waits for the Web API calls it expects instead
of sleeping blindly.
"""

from __future__ import annotations

import json
import time
import urllib.parse
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select

from handlers.slack import ids
from sandbox.slack_api import Call
from sandbox.slack_client import AppResponse
from storage.engine import read_session, write_session
from storage.models import Leave, Measure, Person, Review, Submission
from tests.slack_harness import Bot

JANE = "jane.doe@example.gov.uk"  # collects SE1.1, covers SE1.2
SAM = "sam.lee@example.gov.uk"  # covers SE1.1, collects SE1.2
HOS = "hos.environment@example.gov.uk"  # reviews SE1.1, Head of Service for SE1.*
WASTE = "waste.manager@example.gov.uk"  # reviews SE1.2
POLICY = "policy.officer@example.gov.uk"  # the admin
CHRIS = "chris.walker@example.gov.uk"  # an officer with nothing to do with SE1.*
BEN = "ben.clarke@example.gov.uk"  # collects TC1.1
HOS_CORPORATE = "hos.corporate@example.gov.uk"  # reviews TC1.1

# How long a test waits for something that should happen. A liveness bound only: the wait
# ends as soon as it happens, so a long bound costs nothing when all is well, and a busy CI
# machine (load 8-9 on 2 cores) has taken over 5 s to answer /pmf summary with its chart.
WAIT = 20.0
LATEST = "2026-27 Q2"  # the latest ended quarter at the harness clock (Thu 8 Oct 2026)


# -- waiting --------------------------------------------------------------------------------


def count(bot: Bot, method: str) -> int:
    return len(bot.slack.calls_to(method))


def wait_new(bot: Bot, method: str, since: int, new: int = 1, timeout: float = WAIT) -> list[Call]:
    """Wait for `new` more calls of `method` after the first `since`; return only those."""
    return bot.slack.wait_for(method, since + new, timeout)[since:]


def settle(bot: Bot, quiet: float = 0.15, timeout: float = 2 * WAIT) -> None:
    """Wait until the outbox has nothing urgent left to send and the bot has made no Web API
    call for `quiet` seconds."""
    deadline = time.monotonic() + timeout
    seen, since = len(bot.slack.calls), time.monotonic()
    deliverer = bot.deps.deliverer
    while time.monotonic() < deadline:
        time.sleep(0.05)
        now = len(bot.slack.calls)
        if now != seen:
            seen, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet and (deliverer is None or deliverer.idle()):
            return
    raise AssertionError("the bot kept calling Slack")


def wait_until(condition: Any, timeout: float = WAIT, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


# -- what people see ------------------------------------------------------------------------


def text_of(thing: Any) -> str:
    """Every string in a message, view or block list, joined: what a person can read (Slack
    shows an escaped `&amp;` as `&`; `&lt;` and `&gt;` are kept, so escaped markup stays
    visible to the tests that look for it)."""
    return json.dumps(thing, ensure_ascii=False).replace("&amp;", "&")


def command(bot: Bot, email: str, text: str) -> dict[str, Any]:
    """`/pmf TEXT` from `email`; the ephemeral answer posted to its response_url."""
    return command_as(bot, bot.uid(email), text)


def command_as(bot: Bot, user_id: str, text: str) -> dict[str, Any]:
    """`/pmf TEXT` from a Slack user; its one answer, which must be ephemeral: the
    acknowledgement itself, or (after a form or a post) a message to its response_url."""
    answer = bot.user.command(user_id, text)
    assert answer.status == 200, answer.text
    if answer.body:
        reply: dict[str, Any] = answer.json()
        assert reply.get("response_type") == "ephemeral", reply
        return reply
    assert bot.user.last_payload is not None
    path = urllib.parse.urlsplit(str(bot.user.last_payload["response_url"])).path

    def replies() -> list[dict[str, Any]]:
        return [c.params for c in bot.slack.calls_to("response_url") if c.path == path]

    wait_until(lambda: replies(), what=f"the answer to /pmf {text}")
    reply = replies()[0]
    assert reply.get("response_type") == "ephemeral", reply
    return reply


def ephemerals(bot: Bot, email: str) -> list[str]:
    """Texts shown only to `email` (respond() after a click lands here)."""
    return [text_of(m) for m in bot.slack.ephemeral_messages(user=bot.uid(email))]


def wait_ephemeral(bot: Bot, email: str, since: int, timeout: float = WAIT) -> str:
    wait_until(lambda: len(ephemerals(bot, email)) > since, timeout, f"a reply to {email}")
    return ephemerals(bot, email)[since]


def cards(bot: Bot, email: str) -> list[dict[str, Any]]:
    """Review cards in `email`'s DM with the bot (current state, oldest first)."""
    return [m for m in bot.dms(email) if " · version " in text_of(m.get("blocks"))]


def buttons(message: dict[str, Any]) -> dict[str, str]:
    """action_id → value of every button in a message."""
    found: dict[str, str] = {}
    for block in message.get("blocks") or []:
        elements = list(block.get("elements") or [])
        if isinstance(block.get("accessory"), dict):
            elements.append(block["accessory"])
        for element in elements:
            if element.get("type") == "button":
                found[element["action_id"]] = element.get("value", "")
    return found


def open_home(bot: Bot, email_or_user: str) -> dict[str, Any]:
    """The App Home the bot publishes when this person opens it."""
    user_id = bot.people.get(email_or_user, email_or_user)
    settle(bot)  # so that an earlier refresh is not taken for this one
    before = count(bot, "views.publish")
    assert bot.user.app_home_opened(user_id).status == 200
    for call in wait_new(bot, "views.publish", before):
        if call.params["user_id"] == user_id:
            view: dict[str, Any] = call.params["view"]
            return view
    raise AssertionError(f"no App Home published for {email_or_user}")


# -- the submission modal -------------------------------------------------------------------


def form_values(
    value: str,
    overview: str | None = "Steady progress this quarter.",
    actions: str | None = None,
    evidence: str | None = None,
) -> dict[str, dict[str, Any]]:
    return {
        ids.VALUE_BLOCK: {ids.VALUE_INPUT: value},
        ids.OVERVIEW_BLOCK: {ids.OVERVIEW_INPUT: overview},
        ids.ACTIONS_BLOCK: {ids.ACTIONS_INPUT: actions},
        ids.EVIDENCE_BLOCK: {ids.EVIDENCE_INPUT: evidence},
    }


def open_submit(bot: Bot, email: str, text: str) -> dict[str, Any]:
    """`/pmf submit TEXT`; the modal as views.open answered it (with its view id)."""
    before = count(bot, "views.open")
    answer = bot.command(email, f"submit {text}")
    assert answer.status == 200
    call = wait_new(bot, "views.open", before)[0]
    assert call.ok, call.response
    view: dict[str, Any] = call.response["view"]
    return view


def submit_view(
    bot: Bot, email: str, view_id: str, values: dict[str, dict[str, Any]]
) -> AppResponse:
    return bot.user.view_submission(bot.uid(email), view_id, values)


def submit_figure(
    bot: Bot,
    email: str,
    ref: str,
    value: str,
    *,
    period: str = LATEST,
    overview: str = "Steady progress this quarter.",
    actions: str | None = None,
    evidence: str | None = None,
) -> dict[str, Any]:
    """Open the modal, submit it, and wait for the submitter's thank-you; returns the
    thank-you message."""
    view = open_submit(bot, email, f"{ref} {period}")
    thanks_before = len(bot.dms(email))
    answer = submit_view(bot, email, view["id"], form_values(value, overview, actions, evidence))
    assert answer.status == 200, answer.text
    assert answer.body == b"", f"the modal closes without errors, got {answer.text}"
    wait_until(lambda: len(bot.dms(email)) > thanks_before, what=f"the thank-you to {email}")
    thanks = bot.dms(email)[thanks_before]
    assert "Thank you" in thanks["text"], thanks
    settle(bot)  # the App Home refreshes that follow
    return thanks


def click(
    bot: Bot, email: str, action_id: str, message: dict[str, Any], value: str | None = None
) -> AppResponse:
    """`email` clicks the button `action_id` on `message` (its value unless one is given)."""
    if value is None:
        value = buttons(message)[action_id]
    answer = bot.user.block_action(bot.uid(email), action_id, value, message=message)
    assert answer.status == 200, answer.text
    return answer


# -- the database ---------------------------------------------------------------------------


def submissions(bot: Bot, ref: str, period: str = LATEST) -> list[Submission]:
    with read_session(bot.engine) as session:
        return list(
            session.exec(
                select(Submission)
                .join(Measure)
                .where(Measure.ref == ref, Submission.period == period)
                .order_by(col(Submission.version))
            )
        )


def reviews(bot: Bot, submission_id: int) -> list[Review]:
    with read_session(bot.engine) as session:
        return list(session.exec(select(Review).where(Review.submission_id == submission_id)))


def all_reviews(bot: Bot) -> int:
    with read_session(bot.engine) as session:
        return int(session.exec(select(func.count()).select_from(Review)).one())


def add_leave(
    bot: Bot, email: str, cover: str | None, *, starts: date | None = None, days: int = 5
) -> None:
    """`email` is away from `starts` (today by default) for `days` days, covered by `cover`."""
    today = bot.clock().date()
    with write_session(bot.engine) as session:
        person_id = session.exec(select(Person.id).where(Person.email == email)).one()
        assert person_id is not None
        cover_id = (
            session.exec(select(Person.id).where(Person.email == cover)).one() if cover else None
        )
        session.add(
            Leave(
                person_id=person_id,
                starts=starts or today,
                ends=(starts or today) + timedelta(days=days),
                cover_id=cover_id,
                created_at=bot.clock(),
            )
        )
