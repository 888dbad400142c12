"""The Slack surface assembled: client, directory, transport, deliverer, Bolt app, servers.

`pmf-bot run` serves Socket Mode when SLACK_APP_TOKEN is set, otherwise HTTP on PMF_PORT at
/slack/events. There the gate (handlers/slack/gate.py) caps the body at 1 MiB and checks
Slack's signature before anything is parsed (401 when it is missing, malformed, wrong or more
than five minutes old); then Bolt checks it again, and payloads.py refuses a signed payload
whose shape is wrong (400). Every Web API call goes to SLACK_API_URL.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import suppress
from datetime import datetime
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import Engine

from bot import outbox
from bot.delivery import Deliverer, Surfaces
from bot.scheduler import worker_name
from bot.settings import Settings
from handlers.slack import commands, events, interactions, payloads
from handlers.slack.context import Deps, Directory
from handlers.slack.gate import MAX_BODY, SlackGate, is_verified
from handlers.slack.transport import SlackTransport

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
    deliver: bool = True,
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
    deps.transport = SlackTransport(engine, client, directory)
    if deliver:
        deps.deliverer = Deliverer(
            engine,
            deps.council,
            Surfaces([deps.transport]),
            zone=settings.zone,
            clock=now,
            worker=f"{worker_name()}/slack",
        ).start()
        outbox.listen(engine, deps.deliverer.wake)
    secret = (
        settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    )
    app = App(
        client=client,
        signing_secret=secret,
        token_verification_enabled=False,
        request_verification_enabled=not socket_mode,
        before_authorize=payloads.PayloadCheck(deps),
    )
    verifier = SignatureVerifier(secret) if secret else None

    def verified(request: BoltRequest) -> bool:
        if request.mode == "socket_mode":
            return True  # it came over Slack's authenticated socket
        return verifier is not None and is_verified(verifier, request.raw_body, request.headers)

    @app.error
    def on_error(
        error: Exception, request: BoltRequest, body: dict[str, Any], logger: logging.Logger
    ) -> BoltResponse:
        # Nothing in a request that failed Slack's signature check is believed: no event is
        # forgotten and no URL it names is called.
        if not verified(request):
            logger.warning("refused a request that failed Slack's signature check (%r)", error)
            return BoltResponse(status=401, body="Unauthorized")
        logger.exception("unhandled error in a listener", exc_info=error)
        event_id = body.get("event_id")
        if body.get("type") == "event_callback" and isinstance(event_id, str) and event_id:
            try:
                events.forget_event(deps, event_id)
            except Exception:
                logger.exception("could not forget event %s", event_id)
        response_url = body.get("response_url")
        if deps.is_slack_url(response_url):
            deps.later(_sorry, str(response_url))
        return BoltResponse(status=500, body="")

    events.register(app, deps)
    commands.register(app, deps)
    interactions.register(app, deps)
    return app, deps


def _sorry(response_url: str) -> None:
    from slack_sdk.webhook import WebhookClient

    try:
        WebhookClient(response_url, timeout=10).send(
            text=":warning: Sorry, something went wrong on our side. Nothing you entered "
            "was lost; please try again in a minute, and tell the Performance & Policy "
            "Officer if it keeps happening.",
            response_type="ephemeral",
            replace_original=False,
        )
    except Exception:
        log.exception("could not tell the person about the error")


def wsgi_app(app: App, signing_secret: str) -> SlackGate:
    """Bolt's WSGI adapter behind the gate: body capped, signature checked before parsing."""
    return SlackGate(app, signing_secret, path=EVENTS_PATH, max_body=MAX_BODY)


def http_server(
    app: App, signing_secret: str, *, host: str, port: int, threads: int = 16, **options: Any
) -> Any:
    """The waitress server for the app (`pmf-bot run`, the sandbox, tests, benchmarks): it
    refuses a body over MAX_BODY with 413 before reading it. Call `.run()` to serve."""
    from waitress.server import create_server

    return create_server(
        wsgi_app(app, signing_secret),
        host=host,
        port=port,
        threads=threads,
        ident="pmf-bot",
        max_request_body_size=MAX_BODY + 1,  # waitress refuses a body of this size or more
        **options,
    )


def serve_http(app: App, signing_secret: str, *, host: str, port: int, threads: int = 16) -> None:
    """A threaded production WSGI server (waitress) in front of Bolt."""
    server = http_server(app, signing_secret, host=host, port=port, threads=threads)
    log.info("pmf-bot listening on http://%s:%s%s", host, port, EVENTS_PATH)
    server.run()


def stop_http(server: Any, thread: Any, timeout: float = 5.0) -> None:
    """Stop a waitress server run in `thread` (tests, the sandbox): its channels are closed
    from inside its own loop, so the loop ends cleanly instead of selecting on closed sockets."""

    def close_all() -> None:
        for channel in list(server._map.values()):
            channel.close()

    try:
        server.trigger.pull_trigger(close_all)
    except OSError as error:
        # The loop's wake-up pipe was closed under it (seen at tests' teardowns in CI: EBADF),
        # so the loop cannot be asked. It runs while its map has channels: empty the map, let
        # it end at its next turn, then close the channels here. The pipe's write end is left
        # alone (its descriptor number may already be someone else's): the trigger is marked
        # closed, so the server's own close() does not close it again, and only the read end
        # is closed (unless the loop already closed the trigger on seeing the pipe's EOF).
        from waitress import wasyncore

        log.warning("could not wake the HTTP server's loop to stop it (%s); stopping it", error)
        trigger = server.trigger
        channels = [c for c in list(server._map.values()) if c is not trigger]
        server._map.clear()
        thread.join(timeout=timeout)
        if not trigger._closed:
            trigger._closed = True
            with suppress(OSError):
                wasyncore.file_dispatcher.close(trigger)  # the read end only
        for channel in channels:
            with suppress(OSError):
                channel.close()
    thread.join(timeout=timeout)
    server.task_dispatcher.shutdown()


def serve_socket_mode(app: App, app_token: str) -> None:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    SocketModeHandler(app, app_token).start()
