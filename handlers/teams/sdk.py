"""Microsoft's Teams SDK for Python (`microsoft-teams-apps` 2.1): its app and API packages are
imported here and nowhere else (`render.py` builds cards with `microsoft_teams.cards`, which
reads nothing from the environment).

What the SDK does for pmf-bot: it routes each activity to our handlers (`App.on_message`,
`on_card_action`, `on_dialog_open`…, see `activities.register`), parses it into its activity
models, and is the Bot Connector client (`ApiClient`: send, update, create a conversation,
look a member up; see `connector.py`).

What pmf-bot keeps in front of it, and why:
- **Who may call.** The inbound token is checked by `auth.InboundAuth` before the SDK sees a
  request, exactly as PRODUCT §10 states (one issuer, one audience, keys from the metadata's
  `jwks_uri`, the `serviceurl` claim always checked), so the `App` is built with
  `dangerously_allow_unauthenticated_requests=True` — which is safe only because that check has
  already run. The SDK's own check differs (it derives the keys' address from the metadata's,
  and accepts more issuers and audiences).
- **The bot's own token.** It comes from our client-credentials call to
  `{TEAMS_LOGIN_URL}/{TEAMS_TENANT_ID}/oauth2/v2.0/token` (`auth.BotToken`), handed to the SDK
  through its `token` option (`TokenCredentials`), so MSAL is never used.
- **Settings.** Importing the SDK loads a `.env` file from the working folder
  (`load_dotenv(find_dotenv(usecwd=True))`), and building an `App` reads `CLIENT_ID`,
  `CLIENT_SECRET`, `TENANT_ID`, `SERVICE_URL`, `CLOUD`, `OAUTH_URL`, `MANAGED_IDENTITY_CLIENT_ID`
  and `DANGEROUSLY_ALLOW_UNAUTHENTICATED_REQUESTS` (`App.start`, never called, reads `PORT`).
  pmf-bot's settings (`TEAMS_*`, `PMF_TEAMS_PORT`) decide who the bot is: the import and the
  building of the `App` happen inside `_own_environment()`, which takes the SDK's names out of
  the environment and afterwards puts the environment back exactly as it was; every option is
  passed explicitly, and `make_app` checks the credentials it got.
- **HTTP.** pmf-bot serves `POST /api/messages` from its own waitress server (`app.py`); the
  SDK's route is handed to it through `WsgiRoutes`, an `HttpServerAdapter`.

The SDK is async, pmf-bot is sync: the SDK runs on one event loop in a daemon thread
(`Loop`); sync code hands it coroutines with `Loop.run` (`asyncio.run_coroutine_threadsafe`),
and the handlers do their database work off the loop (`asyncio.to_thread`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import os
import threading
import warnings
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError

from handlers.teams.auth import BotToken

log = logging.getLogger(__name__)

# What the SDK reads from the environment (at import, and when an App is built).
SDK_NAMES = (
    "CLIENT_ID",
    "CLIENT_SECRET",
    "TENANT_ID",
    "SERVICE_URL",
    "PORT",
    "CLOUD",
    "OAUTH_URL",
    "MANAGED_IDENTITY_CLIENT_ID",
    "DANGEROUSLY_ALLOW_UNAUTHENTICATED_REQUESTS",
)
_ENVIRONMENT = threading.Lock()


@contextmanager
def _own_environment() -> Iterator[None]:
    """The SDK's names out of the environment while it is imported or an App is built; then
    the environment exactly as it was (what a `.env` file added is gone again)."""
    with _ENVIRONMENT:
        saved = dict(os.environ)
        for name in SDK_NAMES:
            os.environ.pop(name, None)
        try:
            yield
        finally:
            for name in set(os.environ) - set(saved):
                del os.environ[name]
            for name, value in saved.items():
                if os.environ.get(name) != value:
                    os.environ[name] = value


with _own_environment(), warnings.catch_warnings():
    # (its preview features announce themselves at import: not pmf-bot's to show)
    warnings.simplefilter("ignore")
    from microsoft_teams.api import (
        ActivityParams,
        ApiClientSettings,
        ConversationUpdateActivity,
        InstallUpdateActivity,
        InvokeResponse,
        TokenCredentials,
    )
    from microsoft_teams.api.activities import (
        ActivityTypeAdapter,
        AdaptiveCardInvokeActivity,
        MessageActivity,
    )
    from microsoft_teams.api.activities.invoke.task import (
        TaskFetchInvokeActivity,
        TaskSubmitInvokeActivity,
    )
    from microsoft_teams.api.auth.caller import CallerType
    from microsoft_teams.api.auth.cloud_environment import PUBLIC, with_overrides
    from microsoft_teams.api.clients.conversation.params import CreateConversationParams
    from microsoft_teams.apps import ActivityContext, App
    from microsoft_teams.apps.http.adapter import (
        HttpMethod,
        HttpRequest,
        HttpResponse,
        HttpRouteHandler,
    )
    from microsoft_teams.common import ClientOptions

__all__ = [
    "ActivityContext",
    "AdaptiveCardInvokeActivity",
    "App",
    "ConversationUpdateActivity",
    "CreateConversationParams",
    "HttpRequest",
    "HttpResponse",
    "InstallUpdateActivity",
    "InvokeResponse",
    "Loop",
    "LoopStopped",
    "MessageActivity",
    "NoBotToken",
    "TaskFetchInvokeActivity",
    "TaskSubmitInvokeActivity",
    "WsgiRoutes",
    "as_json",
    "invoke_answer",
    "make_app",
    "params",
]

T = TypeVar("T")
TIMEOUT = 10.0  # seconds: one call to the Bot Connector
# The App wants a default Bot Connector address; pmf-bot never uses it: every call names the
# conversation's own `serviceUrl`.
PUBLIC_SERVICE_URL = "https://smba.trafficmanager.net/teams"


class LoopStopped(RuntimeError):
    """The SDK's event loop is not running (its thread died, or it was stopped)."""


class NoBotToken(Exception):
    """The token endpoint would not give the bot a token (an answer, not a network error)."""


class Loop:
    """The SDK's asyncio event loop, run in one daemon thread."""

    def __init__(self, *, workers: int = 8, name: str = "teams-sdk-loop") -> None:
        self.loop = asyncio.new_event_loop()
        # Database work (`asyncio.to_thread`) runs in the default executor; fetching the bot's
        # token has a thread of its own, so a full executor can never starve it.
        self.loop.set_default_executor(
            concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="teams-work")
        )
        self.token_executor = concurrent.futures.ThreadPoolExecutor(
            1, thread_name_prefix="teams-token"
        )
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._stopped = False

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def start(self) -> Loop:
        self.thread.start()
        return self

    @property
    def alive(self) -> bool:
        return self.thread.is_alive() and not self._stopped

    def run(self, work: Coroutine[Any, Any, T], timeout: float | None = TIMEOUT) -> T:
        """Run `work` on the loop and wait for it (from any thread but the loop's own)."""
        if threading.current_thread() is self.thread:
            work.close()
            raise RuntimeError("Loop.run was called on the loop's own thread; await instead")
        if not self.alive:
            work.close()
            raise LoopStopped("the Teams SDK's event loop is not running")
        future = asyncio.run_coroutine_threadsafe(work, self.loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise TimeoutError(f"no answer within {timeout} seconds") from None

    def stop(self) -> None:
        """Let the worker threads finish (up to five seconds), then stop the loop."""
        if self.alive:
            with contextlib.suppress(Exception):
                self.run(self.loop.shutdown_default_executor(), timeout=5)
        self._stopped = True
        if self.loop.is_running():
            self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        if not self.thread.is_alive() and not self.loop.is_closed():
            self.loop.close()
        self.token_executor.shutdown(wait=False)


class WsgiRoutes:
    """The SDK's `HttpServerAdapter`: it only collects the routes the App registers
    (`POST /api/messages`); pmf-bot's waitress server (`app.wsgi_app`) calls them."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], HttpRouteHandler] = {}

    def register_route(self, method: HttpMethod, path: str, handler: HttpRouteHandler) -> None:
        self.routes[(method, path)] = handler

    def route(self, method: str, path: str) -> HttpRouteHandler | None:
        return self.routes.get((method, path))

    def serve_static(self, path: str, directory: str) -> None:
        raise NotImplementedError("pmf-bot serves no static pages for Teams")

    async def start(self, port: int) -> None:
        raise NotImplementedError("pmf-bot serves Teams from its own server (handlers.teams.app)")

    async def stop(self) -> None:
        """Nothing to stop: the server is pmf-bot's."""


@dataclass(frozen=True)
class BearerToken:
    """The bot's token as the SDK wants it (`TokenProtocol`): an opaque bearer string. The
    SDK would otherwise decode a returned string as a JWT, which a token need not be."""

    value: str
    app_id: str
    tenant_id: str | None = None
    app_display_name: str | None = None
    service_url: str = ""
    from_: CallerType = "azure"
    from_id: str = ""
    expiration: int | None = None

    def is_expired(self, buffer_ms: int = 5 * 60 * 1000) -> bool:
        return False  # auth.BotToken renews it before it expires

    def __str__(self) -> str:
        return self.value


def make_app(
    *,
    app_id: str,
    tenant_id: str | None,
    login_url: str,
    metadata_url: str,
    token: BotToken | None,
    loop: Loop,
    routes: WsgiRoutes,
) -> App:
    """The SDK's App, every option from pmf-bot's settings, initialised on `loop`.

    `token`: the bot's bearer token (kept by `auth.BotToken`; fetched, when it must be, on
    `loop.token_executor`); None for the loopback try-out, whose connector (Agents Playground)
    wants none.
    """
    scope = PUBLIC.bot_scope

    async def provide(wanted: str | list[str], tenant: str | None) -> BearerToken | None:
        if token is None:
            return None
        if wanted != scope:
            raise NoBotToken(f"pmf-bot fetches no token for {wanted!r}")
        value = token.kept()
        if value is None:
            try:
                running = asyncio.get_running_loop()
                value = await running.run_in_executor(loop.token_executor, token.get)
            except httpx.HTTPStatusError as error:  # the token endpoint's refusal
                raise NoBotToken(str(error)) from None
        return BearerToken(value, app_id, tenant_id)

    cloud = with_overrides(PUBLIC, login_endpoint=login_url, openid_metadata_url=metadata_url)
    with _own_environment(), _quiet(*_CONSTRUCTION_LOGGERS):
        app = App(
            client_id=app_id,
            tenant_id=tenant_id,
            token=provide,
            # Safe ONLY because pmf-bot's own check (auth.InboundAuth: issuer, audience, keys
            # from the metadata's jwks_uri, the serviceurl claim) has already run on every
            # request before app.wsgi_app hands it to the SDK; --teams-local skips it on
            # loopback only.
            dangerously_allow_unauthenticated_requests=True,
            http_server_adapter=routes,
            messaging_endpoint="/api/messages",
            service_url=PUBLIC_SERVICE_URL,
            cloud=cloud,
            api_client_settings=ApiClientSettings(oauth_url=cloud.token_service_url),
            client=ClientOptions(timeout=TIMEOUT),
            state=False,
            fetch_user_token=False,
            telemetry={"agent365": False},
        )
    credentials = app.credentials
    if not isinstance(credentials, TokenCredentials) or credentials.client_id != app_id:
        raise RuntimeError("the Teams SDK did not take pmf-bot's credentials")
    loop.run(app.initialize())
    return app


# Building an App warns, without a tenant (the loopback try-out), about what pmf-bot does not
# use: the SDK's own token (pmf-bot's comes from auth.BotToken) and its Entra token validator
# for remote functions (`App.func`, never registered). Not for the operator to worry about.
_CONSTRUCTION_LOGGERS = ("microsoft_teams.apps.app", "microsoft_teams.apps.auth.token_validator")


@contextmanager
def _quiet(*names: str) -> Iterator[None]:
    loggers = [logging.getLogger(name) for name in names]
    levels = [found.level for found in loggers]
    for found in loggers:
        found.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for found, level in zip(loggers, levels, strict=True):
            found.setLevel(level)


_PARAMS: TypeAdapter[Any] = TypeAdapter(ActivityParams)


def params(activity: Any) -> Any:
    """An outgoing activity (the renderer's JSON, or already an SDK model) as the SDK's
    `ActivityParams`; it is sent exactly as given (cards are kept as they are)."""
    if isinstance(activity, BaseModel):
        return activity
    return _PARAMS.validate_python(activity)


def unreadable(activity: dict[str, Any]) -> str | None:
    """Why the SDK could not read this activity (no `type`, a type it does not know, a field
    of the wrong kind), located at the field; None when it can. Checked before the SDK's
    route, which would answer a 500 for what is the sender's mistake."""
    try:
        ActivityTypeAdapter.validate_python(activity)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "the activity"
        return f"{where}: {first['msg']}"
    return None


def as_json(activity: BaseModel) -> dict[str, Any]:
    """An inbound activity model as the Bot Framework JSON the conversation code reads."""
    found: dict[str, Any] = activity.model_dump(by_alias=True, exclude_none=True, mode="json")
    return found


def invoke_answer(body: Any) -> InvokeResponse[Any]:
    return InvokeResponse[Any](status=200, body=body)
