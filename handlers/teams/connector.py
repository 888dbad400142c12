"""The Bot Connector, as the bot calls it: send, update, create a personal chat, look up a
member — through the Teams SDK's API client (`ApiClient.conversations`), on the SDK's event
loop (`sdk.Loop`), for pmf-bot's sync callers (the outbox's workers, the handlers' threads).

Failures become `DeliveryError`s the outbox understands, as Slack's do: a 429 carries its
Retry-After; a refused connection reached nobody; a timeout or a 5xx may have delivered all
the same (`uncertain`); a 403/404 for a person means Teams cannot reach them (the admins'
digest names them). A 401 makes the bot fetch a new token next time.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote

import httpx

from bot.delivery import NOT_REACHABLE, DeliveryError
from handlers.teams.auth import BotToken
from handlers.teams.sdk import CreateConversationParams, Loop, LoopStopped, NoBotToken, params

log = logging.getLogger(__name__)

PATIENCE = 5.0  # the longest Retry-After a reply to a person is worth waiting for inline
WAIT = 30.0  # the longest a caller waits for one call (the token, then the call itself)
NO_ID = "DO_NOT_USE_PLACEHOLDER_ID"  # the SDK's id for an answer that carried none


def _part(value: str) -> str:
    """A conversation or activity id as it goes in the path (the SDK puts it in as given)."""
    return quote(value, safe=":@;=")


Call = Callable[[Any], Coroutine[Any, Any, Any]]  # given the ApiClient for the service URL


class Connector:
    def __init__(self, api: Any, loop: Loop, token: BotToken | None) -> None:
        self.api = api  # the SDK's ApiClient (App.api); each call scopes it to a service URL
        self.loop = loop
        self.token = token  # None: a loopback try-out whose connector wants no token

    def call(self, service_url: str, work: Call, *, patient: bool = False) -> Any:
        """One call; with `patient`, a short rate limit is waited out twice before giving up."""
        for attempt in range(3):
            try:
                return self._call(service_url, work)
            except DeliveryError as error:
                wait = error.retry_after
                if not patient or wait is None or wait > PATIENCE or attempt == 2:
                    raise
                time.sleep(wait)
        raise AssertionError("unreachable")

    def _call(self, service_url: str, work: Call) -> Any:
        async def scoped() -> Any:
            return await work(self.api.from_service_url(service_url.rstrip("/")))

        try:
            return self.loop.run(scoped(), timeout=WAIT)
        except NoBotToken as error:
            raise DeliveryError(f"no bot token: {error}") from None
        except LoopStopped as error:
            raise DeliveryError(str(error), uncertain=False) from None
        except httpx.HTTPStatusError as error:
            raise self._refused(error.response) from None
        except (httpx.ConnectError, ConnectionRefusedError) as error:
            raise DeliveryError(f"network error: {error}", uncertain=False) from None
        except (httpx.HTTPError, TimeoutError) as error:
            raise DeliveryError(
                f"network error: {type(error).__name__}: {error}", uncertain=True
            ) from None

    def _refused(self, answer: httpx.Response) -> DeliveryError:
        status = answer.status_code
        if status == 429:
            wait = answer.headers.get("Retry-After", "1")
            try:
                seconds = float(wait)
            except ValueError:
                seconds = 1.0
            return DeliveryError("rate limited", retry_after=seconds)
        if status == 401 and self.token is not None:
            self.token.forget()
        code = ""
        with contextlib.suppress(ValueError, AttributeError):
            code = str(((answer.json() or {}).get("error") or {}).get("code") or "")
        if status in (403, 404) and ("Conversation" in code or "Member" in code):
            return DeliveryError(f"the person is {NOT_REACHABLE} in Teams ({code})")
        return DeliveryError(f"Teams answered {status} {code}".strip(), uncertain=status >= 500)

    # -- the calls the bot makes -------------------------------------------------------------

    def send(self, service_url: str, conversation: str, activity: Any, **kw: Any) -> str:
        shown = params(activity)
        sent = self.call(
            service_url,
            lambda api: api.conversations.create_activity(_part(conversation), shown),
            **kw,
        )
        return "" if sent.id == NO_ID else str(sent.id or "")

    def update(self, service_url: str, conversation: str, activity_id: str, activity: Any) -> None:
        shown = params({**activity, "id": activity_id} if isinstance(activity, dict) else activity)
        self.call(
            service_url,
            lambda api: api.conversations.update_activity(
                _part(conversation), _part(activity_id), shown
            ),
        )

    def create_personal(
        self, service_url: str, *, bot_id: str, user_id: str, tenant_id: str | None
    ) -> str:
        body = CreateConversationParams.model_validate(
            {
                "bot": {"id": bot_id},
                "members": [{"id": user_id}],
                "isGroup": False,
                "tenantId": tenant_id,
                "channelData": {"tenant": {"id": tenant_id}},
            }
        )
        made = self.call(service_url, lambda api: api.conversations.create(body))
        return str(made.id)

    def member(self, service_url: str, conversation: str, user_id: str) -> dict[str, Any]:
        found = self.call(
            service_url,
            lambda api: api.conversations.get_member_by_id(_part(conversation), _part(user_id)),
            patient=True,
        )
        member: dict[str, Any] = found.model_dump(by_alias=True, exclude_none=True)
        return member
