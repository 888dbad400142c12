"""What reaches the bot and what it does when Slack misbehaves (PRODUCT §8, §9): signatures
and replays are refused with 401 before anything happens, Slack's retries never repeat work,
and Web API failures (unknown user, 5xx, 429) neither lose a figure nor a card."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest

from handlers.slack import ids
from sandbox.slack_api import GENERAL_CHANNEL_ID
from tests.slack_harness import Bot
from tests.test_slack_support import (
    CHRIS,
    HOS,
    JANE,
    buttons,
    cards,
    click,
    count,
    form_values,
    open_submit,
    settle,
    submissions,
    submit_figure,
    submit_view,
    text_of,
    wait_new,
    wait_until,
)

# -- request signatures -------------------------------------------------------------------------


def command_body(bot: Bot, email: str, text: str = "submit SE1.1") -> bytes:
    """A slash command that, if believed, would open a modal."""
    fields = {
        "team_id": "T0001",
        "channel_id": GENERAL_CHANNEL_ID,
        "user_id": bot.uid(email),
        "command": "/pmf",
        "text": text,
        "response_url": bot.slack.new_response_url(
            channel_id=GENERAL_CHANNEL_ID, user_id=bot.uid(email)
        ),
        "trigger_id": bot.slack.issue_trigger(bot.uid(email)),
    }
    return urllib.parse.urlencode(fields).encode()


def submission_body(bot: Bot, email: str) -> bytes:
    """A view submission that, if believed, would record a figure for SE1.1."""
    payload = {
        "type": "view_submission",
        "team": {"id": "T0001", "domain": "pmf-sandbox"},
        "user": {"id": bot.uid(email), "username": "jane.doe", "team_id": "T0001"},
        "api_app_id": "A0001",
        "view": {
            "id": "VFORGED01",
            "type": "modal",
            "callback_id": ids.SUBMIT_VIEW,
            "private_metadata": json.dumps({"ref": "SE1.1", "period": "2026-27 Q2"}),
            "state": {
                "values": {
                    block: {
                        action: {"type": "plain_text_input", "value": value}
                        for action, value in actions.items()
                    }
                    for block, actions in form_values("36.5").items()
                }
            },
        },
    }
    return urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()


def post_unsigned(bot: Bot, body: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(bot.url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


@pytest.mark.parametrize("body_of", [command_body, submission_body])
def test_forged_replayed_or_unsigned_requests_are_refused_and_reach_nothing(
    bot: Bot, body_of: Callable[[Bot, str], bytes]
) -> None:
    settle(bot)
    calls_before = len(bot.slack.calls)
    body = body_of(bot, JANE)
    form = "application/x-www-form-urlencoded"
    now = int(time.time())

    # A signature made with another secret.
    forged = bot.user.post(body, form, signature="v0=" + "0" * 64)
    assert forged.status == 401
    # The right secret, but over a different body (tampered in transit).
    tampered = bot.user.post(body, form, signature=bot.user.sign(body + b"x", str(now)))
    assert tampered.status == 401
    # A correctly signed request replayed six minutes later.
    old = now - 6 * 60
    replayed = bot.user.post(body, form, timestamp=old, signature=bot.user.sign(body, str(old)))
    assert replayed.status == 401
    # A correctly signed request from the future, beyond the same window.
    future = now + 6 * 60
    assert bot.user.post(body, form, timestamp=future).status == 401
    # No signature header at all; and none with a timestamp either.
    assert post_unsigned(bot, body, {"Content-Type": form}) == 401
    assert (
        post_unsigned(bot, body, {"Content-Type": form, "X-Slack-Request-Timestamp": str(now)})
        == 401
    )

    time.sleep(0.5)  # anything wrongly let through would have called Slack by now
    assert len(bot.slack.calls) == calls_before, [c.method for c in bot.slack.calls[calls_before:]]
    assert submissions(bot, "SE1.1") == []

    # The same body, properly signed and fresh, is accepted and acted on: the refusals were
    # about the signature, not the body.
    assert bot.user.post(body, form).status == 200
    wait_until(lambda: len(bot.slack.calls) > calls_before, what="the genuine request's work")


def test_a_signed_request_within_five_minutes_is_accepted(bot: Bot) -> None:
    body = command_body(bot, JANE, "help")
    ts = int(time.time()) - 4 * 60
    answer = bot.user.post(body, "application/x-www-form-urlencoded", timestamp=ts)
    assert answer.status == 200
    assert answer.json()["response_type"] == "ephemeral"  # the help, in the acknowledgement


def test_a_forged_modal_for_someone_elses_measure_is_refused(bot: Bot) -> None:
    # Correctly signed (Slack sent it), but the modal was never opened for Chris: the server
    # checks who may submit, whatever the private metadata says.
    view = {
        "callback_id": ids.SUBMIT_VIEW,
        "private_metadata": json.dumps({"ref": "SE1.1", "period": "2026-27 Q2"}),
        "blocks": [],
    }
    answer = bot.user.view_submission(bot.uid(CHRIS), view, form_values("36.5"))
    body = answer.json()
    assert body["response_action"] == "errors"
    assert "Only Jane Doe" in body["errors"][ids.VALUE_BLOCK]
    settle(bot)
    assert submissions(bot, "SE1.1") == []
    assert cards(bot, HOS) == []


# -- Slack's retries ----------------------------------------------------------------------------


def test_a_retried_app_home_event_publishes_the_home_once(bot: Bot) -> None:
    settle(bot)
    event = {
        "type": "app_home_opened",
        "user": bot.uid(JANE),
        "channel": bot.slack.dm_channel(bot.uid(JANE)),
        "tab": "home",
    }
    before = count(bot, "views.publish")
    first = bot.user.event(event, event_id="Ev0HOME00001")
    again = bot.user.event(event, event_id="Ev0HOME00001", retry_num=1)
    third = bot.user.event(event, event_id="Ev0HOME00001", retry_num=2, retry_reason="http_error")
    assert (first.status, again.status, third.status) == (200, 200, 200)
    wait_new(bot, "views.publish", before)
    settle(bot)
    assert count(bot, "views.publish") == before + 1

    # A new event (another opening of the tab) is not a retry.
    bot.user.event(event, event_id="Ev0HOME00002")
    wait_new(bot, "views.publish", before, 2)


def test_a_view_submission_sent_twice_records_one_submission_and_one_card(bot: Bot) -> None:
    view = open_submit(bot, JANE, "SE1.1")
    values = form_values("36.5")
    first = submit_view(bot, JANE, view["id"], values)
    again = submit_view(bot, JANE, view["id"], values)
    assert (first.status, again.status) == (200, 200)
    assert first.body == b"" and again.body == b""
    wait_until(lambda: len(cards(bot, HOS)) >= 1, what="the card")
    settle(bot)
    assert len(submissions(bot, "SE1.1")) == 1
    assert len(cards(bot, HOS)) == 1
    thanks = [m for m in bot.dms(JANE) if "Thank you" in m["text"]]
    assert len(thanks) == 1


def test_a_view_submission_sent_twice_at_once_records_one_submission(bot: Bot) -> None:
    view = open_submit(bot, JANE, "SE1.1")
    values = form_values("36.5")
    statuses: list[int] = []
    barrier = threading.Barrier(2)

    def send() -> None:
        barrier.wait()
        statuses.append(submit_view(bot, JANE, view["id"], values).status)

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert statuses == [200, 200]
    wait_until(lambda: len(cards(bot, HOS)) >= 1, what="the card")
    settle(bot)
    assert len(submissions(bot, "SE1.1")) == 1
    assert len(cards(bot, HOS)) == 1


# -- Slack API errors ---------------------------------------------------------------------------


def test_a_reviewer_missing_from_slack_still_gets_the_figure_saved(bot: Bot) -> None:
    del bot.slack.users[bot.uid(HOS)]  # left the workspace: users.lookupByEmail fails
    thanks = submit_figure(bot, JANE, "SE1.1", "36.5")
    lookups = [c for c in bot.slack.calls_to("users.lookupByEmail") if c.params["email"] == HOS]
    assert lookups and not lookups[0].ok
    assert len(submissions(bot, "SE1.1")) == 1
    assert "could not reach Helen Carter" in thanks["text"]
    assert "Your figure is saved" in thanks["text"]
    posted = [c.params["text"] for c in bot.slack.calls_to("chat.postMessage")]
    assert not [text for text in posted if "to review" in text]  # no card went anywhere


def test_a_server_error_on_post_message_is_retried_and_the_card_arrives(bot: Bot) -> None:
    bot.slack.fail_next("chat.postMessage", status=500)
    submit_figure(bot, JANE, "SE1.1", "36.5")

    def card_posts() -> list[Any]:
        return [
            c for c in bot.slack.calls_to("chat.postMessage") if "to review" in c.params["text"]
        ]

    wait_until(lambda: len(card_posts()) >= 1, what="the first attempt")
    bot.clock.advance(seconds=2)  # the outbox tries again a second later (the app's clock)
    wait_until(lambda: len(card_posts()) >= 2, timeout=10, what="the card sent again")
    settle(bot)
    posts = card_posts()
    assert posts[0].status == 500
    assert posts[1].ok and posts[1].params["text"] == posts[0].params["text"]
    assert len(posts) == 2  # looked for first (it had not arrived), then sent once
    [card] = cards(bot, HOS)
    [saved] = submissions(bot, "SE1.1")
    assert buttons(card)[ids.APPROVE] == str(saved.id)
    # The card was recorded where it really landed, so it can be updated in place.
    before = count(bot, "chat.update")
    click(bot, HOS, ids.APPROVE, card)
    [update] = wait_new(bot, "chat.update", before)
    assert update.params["ts"] == card["ts"] and update.ok


def test_a_rate_limited_card_update_waits_and_still_updates_the_card(bot: Bot) -> None:
    submit_figure(bot, JANE, "SE1.1", "36.5")
    [card] = cards(bot, HOS)
    bot.slack.fail_next("chat.update", status=429, retry_after=1)
    before = count(bot, "chat.update")
    started = time.monotonic()
    click(bot, HOS, ids.APPROVE, card)
    limited, retried = wait_new(bot, "chat.update", before, 2, timeout=10)
    assert limited.status == 429 and limited.response["error"] == "ratelimited"
    assert retried.ok and retried.params["ts"] == card["ts"]
    assert retried.at - limited.at >= 0.9  # Retry-After: 1 was honoured
    assert time.monotonic() - started < 8
    settle(bot)
    [now] = cards(bot, HOS)
    assert "*Approved* by Helen Carter" in text_of(now["blocks"])
