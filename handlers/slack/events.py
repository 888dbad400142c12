"""Events API listeners: the App Home, direct messages (replies to reminders), and the guard
that makes Slack's retries harmless.

Slack resends an event it thinks was not acknowledged (X-Slack-Retry-Num) with the same
`event_id`; the first delivery is recorded in `inbound_event`, and any later one is
acknowledged and dropped, so a retry never creates a second submission, decision or message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltResponse
from sqlalchemy.exc import IntegrityError

from bot.chat import conversation
from bot.chat.conversation import Reply
from handlers.slack import render
from handlers.slack.context import Deps
from handlers.slack.interactions import publish_home
from storage.engine import write_session
from storage.models import InboundEvent

log = logging.getLogger(__name__)


def first_delivery(deps: Deps, event_id: str) -> bool:
    """Record `event_id`; False if it was recorded before (a retry or a duplicate)."""
    try:
        with write_session(deps.engine) as session:
            session.add(InboundEvent(event_id=event_id, received_at=deps.now()))
    except IntegrityError:
        return False
    return True


def forget_event(deps: Deps, event_id: str) -> None:
    """Handling failed: forget the event, so that Slack's retry of it is handled."""
    with write_session(deps.engine) as session:
        found = session.get(InboundEvent, event_id)
        if found is not None:
            session.delete(found)


def register(app: App, deps: Deps) -> None:
    @app.middleware
    def drop_repeated_events(
        body: dict[str, Any], next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and not first_delivery(deps, str(event_id)):
            log.info("ignoring repeated delivery of event %s", event_id)
            return BoltResponse(status=200, body="")
        return next()

    @app.event("app_home_opened")
    def home_opened(ack: Ack, event: dict[str, Any], body: dict[str, Any]) -> None:
        ack()
        if event.get("tab", "home") != "home":
            return
        try:
            publish_home(deps, deps.directory.who(str(event.get("user") or "")))
        except Exception:
            forget_event(deps, str(body.get("event_id")))  # so Slack's retry is handled
            raise

    @app.event("message")
    def direct_message(ack: Ack, event: dict[str, Any], body: dict[str, Any]) -> None:
        ack()
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
            return
        try:
            answer = _answer(deps, event)
        except Exception:
            forget_event(deps, str(body.get("event_id")))
            raise
        text, blocks = render.message(answer.message)
        deps.client.chat_postMessage(
            channel=event["channel"],
            text=text,
            blocks=blocks,
            thread_ts=event.get("thread_ts") or event["ts"],
        )


def _answer(deps: Deps, event: dict[str, Any]) -> Reply:
    """A direct message: a reply to a reminder is read as a figure; anything else gets help."""
    thread = event.get("thread_ts")
    reminder = (
        conversation.reminder_of_thread(deps.core, str(event["channel"]), str(thread))
        if thread and thread != event.get("ts")
        else None
    )
    someone = deps.directory.who(str(event.get("user") or ""))
    if reminder is None:
        return Reply(conversation.message_hint(deps.core, someone))
    return conversation.reply_to_reminder(
        deps.core,
        someone,
        reminder,
        render.from_message(str(event.get("text") or "")),  # Slack's markup back to words
        key=f"{event['channel']}:{event['ts']}",
    )
