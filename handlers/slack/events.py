"""Events API listeners: App Home, and the guard that makes Slack's retries harmless.

Slack resends an event it thinks was not acknowledged (X-Slack-Retry-Num) with the same
`event_id`; the first delivery is recorded in `inbound_event`, and any later one is
acknowledged and dropped, so a retry never creates a second submission, decision or message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltResponse
from sqlalchemy.exc import IntegrityError

from bot.inbox import inbox
from handlers.slack.context import Deps
from handlers.slack.notify import Notifier
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
    @deps.after_ack
    def home_opened(event: dict[str, Any]) -> None:
        if event.get("tab", "home") != "home":
            return
        someone = deps.directory.who(event["user"])
        notifier = Notifier(deps)
        if someone.email is None:
            notifier.publish_home(event["user"], False, None, None)
            return
        box = inbox(deps.engine, deps.council(), email=someone.email, today=deps.now().date())
        notifier.publish_home(event["user"], box.known, box.name, box)
