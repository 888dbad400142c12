"""The Teams surface assembled: the Teams SDK's App on its event loop (`sdk.py`), token,
connector, people, transport, deliverer, and the WSGI app for `POST /api/messages`
(PRODUCT §10).

Before the SDK sees anything, the body is capped at 1 MiB (413) and the Bot Framework token is
checked (`auth.InboundAuth`): no token, a wrong audience or issuer, an unknown key, an expired
token or a `serviceurl` claim that is not the activity's `serviceUrl` is a 401 and nothing is
done. Only then is the activity handed to the SDK's App, which routes it to the handlers in
`activities.py`. `--teams-local` skips the token check for a loopback try-out (Agents
Playground): it serves 127.0.0.1 only and writes only to loopback service URLs.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from http import HTTPStatus
from typing import Any

import httpx
from sqlalchemy import Engine

from bot import outbox
from bot.chat.conversation import Core
from bot.delivery import Deliverer, Surfaces, Transport
from bot.scheduler import worker_name
from bot.settings import Settings
from handlers.teams import sdk
from handlers.teams.auth import BotToken, InboundAuth, Unauthorized
from handlers.teams.connector import Connector
from handlers.teams.local import is_loopback, loopback_url
from handlers.teams.people import TeamsPeople
from handlers.teams.transport import TeamsTransport

log = logging.getLogger(__name__)

MESSAGES_PATH = "/api/messages"
MAX_BODY = 1024 * 1024
ANSWER_WITHIN = 120.0  # seconds a request may wait for the SDK's answer before a 503
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


class NotConfigured(RuntimeError):
    """A Teams setting is missing; the message says which."""


@dataclass
class TeamsDeps:
    settings: Settings
    engine: Engine
    clock: Callable[[], datetime]
    connector: Connector
    people: TeamsPeople
    transport: TeamsTransport
    auth: InboundAuth | None  # None: the loopback try-out (--teams-local)
    loop: sdk.Loop  # the Teams SDK's event loop, in a daemon thread
    app: sdk.App  # the Teams SDK's App: routes activities to activities.py
    routes: sdk.WsgiRoutes  # the App's routes, served by wsgi_app
    deliverer: Deliverer | None = None
    _core: Core | None = field(default=None, repr=False)

    @property
    def core(self) -> Core:
        if self._core is None:
            self._core = Core(self.engine, self.clock, self.settings.zone)
        return self._core

    @property
    def local(self) -> bool:
        return self.auth is None

    def close(self) -> None:
        if self.deliverer is not None:
            self.deliverer.stop()
        self.loop.stop()


def build(
    settings: Settings,
    engine: Engine,
    *,
    clock: Callable[[], datetime] | None = None,
    local: bool = False,
    deliver: bool = True,
    also: Iterable[Transport] = (),
    threads: int = 8,
) -> TeamsDeps:
    """The Teams surface; `also`: the process's other transports, so the deliverer reaches
    each person wherever they are; `threads`: how many handlers may work at once."""
    app_id = settings.teams_app_id
    if not app_id:
        raise NotConfigured("TEAMS_APP_ID is not set: the bot needs its Microsoft app id.")
    password = settings.teams_app_password
    if password is None and not local:
        raise NotConfigured(
            "TEAMS_APP_PASSWORD is not set: the bot needs its client secret to send messages."
        )
    from handlers.teams import activities

    now = clock or (lambda: datetime.now(settings.zone))
    http = httpx.Client(timeout=10)
    token = (
        BotToken(
            app_id=app_id,
            password=password.get_secret_value(),
            login_url=settings.teams_login_url,
            tenant_id=settings.teams_tenant_id,
            http=http,
        )
        if password is not None and not local
        else None  # the try-out's connector (Agents Playground) wants no token: none is fetched
    )
    loop = sdk.Loop(workers=threads).start()
    routes = sdk.WsgiRoutes()
    try:
        app = sdk.make_app(
            app_id=app_id,
            tenant_id=settings.teams_tenant_id,
            login_url=settings.teams_login_url,
            metadata_url=settings.teams_openid_metadata_url,
            token=token,
            loop=loop,
            routes=routes,
        )
    except BaseException:
        loop.stop()
        raise
    connector = Connector(app.api, loop, token)
    people = TeamsPeople(engine, connector, now)
    transport = TeamsTransport(engine, connector, people, bot_id=f"28:{app_id}")
    auth = None if local else InboundAuth(app_id, settings.teams_openid_metadata_url, http=http)
    deps = TeamsDeps(settings, engine, now, connector, people, transport, auth, loop, app, routes)
    activities.register(app, deps)
    if deliver:
        deps.deliverer = Deliverer(
            engine,
            lambda: deps.core.council(),
            Surfaces([transport, *also]),
            zone=settings.zone,
            clock=now,
            worker=f"{worker_name()}/teams",
        ).start()
        outbox.listen(engine, deps.deliverer.wake)
    return deps


def _answer(start_response: Any, status: int, body: Any = None) -> list[bytes]:
    data = b"" if body is None else json.dumps(body).encode()
    headers = [("Content-Length", str(len(data)))]
    if body is not None:
        headers.append(("Content-Type", "application/json; charset=utf-8"))
    start_response(f"{status} {HTTPStatus(status).phrase}", headers)
    return [data]


def wsgi_app(deps: TeamsDeps) -> Callable[..., list[bytes]]:
    """POST /api/messages: capped, authenticated, then handed to the SDK's App (its route,
    run on its event loop), which routes it to `activities.py`."""
    route = deps.routes.route("POST", MESSAGES_PATH)
    if route is None:
        raise RuntimeError(f"the Teams SDK registered no route for {MESSAGES_PATH}")

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if environ.get("PATH_INFO") != MESSAGES_PATH:
            return _answer(start_response, 404)
        if environ.get("REQUEST_METHOD") != "POST":
            return _answer(start_response, 405)
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _answer(start_response, 400)
        if length > MAX_BODY:
            return _answer(start_response, 413)
        raw = environ["wsgi.input"].read(length) if length else b""
        authorization = environ.get("HTTP_AUTHORIZATION")
        try:
            activity = json.loads(raw)
        except ValueError:
            activity = None
        if deps.auth is not None:
            service_url = activity.get("serviceUrl") if isinstance(activity, dict) else None
            try:
                deps.auth.verify(authorization, service_url)
            except Unauthorized as error:
                log.warning("refused a request to %s: %s", MESSAGES_PATH, error)
                return _answer(start_response, 401)
        if not isinstance(activity, dict):
            return _answer(start_response, 400)
        if deps.local and not loopback_url(activity.get("serviceUrl")):
            log.warning("local mode: refused an activity whose serviceUrl is not loopback")
            return _answer(start_response, 401)
        problem = sdk.unreadable(activity)
        if problem is not None:
            log.warning("refused an activity the Teams SDK cannot read: %s", problem[:300])
            return _answer(start_response, 400, {"error": f"not a readable activity: {problem}"})
        request: sdk.HttpRequest = {
            "body": activity,
            "headers": {"authorization": authorization} if authorization else {},
        }
        try:
            answer = deps.loop.run(route(request), timeout=ANSWER_WITHIN)
        except (sdk.LoopStopped, TimeoutError) as error:
            log.error("a Teams activity got no answer: %s", error)
            return _answer(start_response, 503)
        except Exception:
            log.exception("a Teams activity could not be handled")
            return _answer(start_response, 500)
        return _answer(start_response, answer["status"], answer["body"])

    return app


def http_server(deps: TeamsDeps, *, host: str, port: int, threads: int = 8, **options: Any) -> Any:
    from waitress.server import create_server

    if deps.local and not is_loopback(host):
        raise NotConfigured(
            f"--teams-local serves only 127.0.0.1 (it accepts unauthenticated requests); "
            f"refusing to listen on {host}."
        )
    return create_server(
        wsgi_app(deps),
        host=host,
        port=port,
        threads=threads,
        ident="pmf-bot",
        max_request_body_size=MAX_BODY + 1,
        **options,
    )
