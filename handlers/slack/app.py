"""The composition root for the Slack app: client, Bolt app, listeners and servers.

`pmf-bot run` serves Socket Mode when SLACK_APP_TOKEN is set, otherwise HTTP on PMF_PORT at
/slack/events, where Bolt verifies Slack's request signature (401 when it is wrong or more
than five minutes old). Every Web API call goes to SLACK_API_URL.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from sqlalchemy import Engine

from bot.settings import Settings
from handlers.slack import commands, events, interactions, replies
from handlers.slack.context import Deps, Directory

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"


class NotConfigured(RuntimeError):
    """A setting the chosen mode needs is missing; the message says which."""


def make_client(settings: Settings) -> WebClient:
    if settings.slack_bot_token is None:
        raise NotConfigured("SLACK_BOT_TOKEN is not set: the bot needs its xoxb- token.")
    return WebClient(
        token=settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_url,
        timeout=10,
        retry_handlers=[
            RateLimitErrorRetryHandler(max_retry_count=2),
            ServerErrorRetryHandler(max_retry_count=2),
            ConnectionErrorRetryHandler(max_retry_count=2),
        ],
    )


def build_app(
    settings: Settings,
    engine: Engine,
    *,
    clock: Callable[[], datetime] | None = None,
    socket_mode: bool = False,
) -> tuple[App, Deps]:
    """The Bolt app with every listener registered; nothing runs until a server starts it."""
    client = make_client(settings)
    if not socket_mode and settings.slack_signing_secret is None:
        raise NotConfigured(
            "SLACK_SIGNING_SECRET is not set: HTTP mode needs it to verify "
            "that requests come from Slack."
        )
    now = clock or (lambda: datetime.now(settings.zone))
    directory = Directory(engine, client, now)
    deps = Deps(settings=settings, engine=engine, client=client, clock=now, directory=directory)
    secret = (
        settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    )
    app = App(
        client=client,
        signing_secret=secret,
        token_verification_enabled=False,
        request_verification_enabled=not socket_mode,
    )

    @app.error
    def on_error(error: Exception, body: dict[str, Any], logger: logging.Logger) -> BoltResponse:
        logger.exception("unhandled error in a listener", exc_info=error)
        if body.get("type") == "event_callback" and body.get("event_id"):
            try:
                deps.forget_event(str(body["event_id"]))
            except Exception:
                logger.exception("could not forget event %s", body["event_id"])
        response_url = body.get("response_url")
        if response_url:
            try:
                from slack_sdk.webhook import WebhookClient

                WebhookClient(response_url).send(
                    text=":warning: Sorry, something went wrong on our side. Nothing you entered "
                    "was lost; please try again in a minute, and tell the Performance & Policy "
                    "Officer if it keeps happening.",
                    response_type="ephemeral",
                    replace_original=False,
                )
            except Exception:
                logger.exception("could not tell the user about the error")
        return BoltResponse(status=500, body="")

    events.register(app, deps)
    commands.register(app, deps)
    interactions.register(app, deps)
    replies.register(app, deps)
    return app, deps


def wsgi_app(app: App) -> Any:
    from slack_bolt.adapter.wsgi import SlackRequestHandler

    return SlackRequestHandler(app, path=EVENTS_PATH)


def serve_http(app: App, *, host: str, port: int, threads: int = 16) -> None:
    """A threaded production WSGI server (waitress) in front of Bolt."""
    from waitress import serve

    log.info("pmf-bot listening on http://%s:%s%s", host, port, EVENTS_PATH)
    serve(wsgi_app(app), host=host, port=port, threads=threads, ident="pmf-bot")


def stop_http(server: Any, thread: Any, timeout: float = 5.0) -> None:
    """Stop a waitress server run in `thread` (tests, the sandbox): its channels are closed
    from inside its own loop, so the loop ends cleanly instead of selecting on closed sockets."""

    def close_all() -> None:
        for channel in list(server._map.values()):
            channel.close()

    server.trigger.pull_trigger(close_all)
    thread.join(timeout=timeout)
    server.task_dispatcher.shutdown()


def serve_socket_mode(app: App, app_token: str) -> None:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    SocketModeHandler(app, app_token).start()
