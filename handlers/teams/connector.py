"""The Bot Connector REST API (v3), as the bot calls it: send, reply, update, create a personal
chat, look up a member. Answers become `DeliveryError`s the outbox understands, as Slack's do:
a 429 carries its Retry-After; a refused connection reached nobody; a timeout or a 5xx may
have delivered all the same (`uncertain`); a 403/404 for a person means Teams cannot reach
them (the admins' digest names them).
"""

from __future__ import annotations

import contextlib
import logging
import time
from typing import Any
from urllib.parse import quote

import httpx

from bot.delivery import NOT_REACHABLE, DeliveryError
from handlers.teams.auth import BotToken

log = logging.getLogger(__name__)

PATIENCE = 5.0  # the longest Retry-After a reply to a person is worth waiting for inline


def _part(value: str) -> str:
    return quote(value, safe=":@;=")


class Connector:
    def __init__(self, token: BotToken | None, *, http: httpx.Client | None = None) -> None:
        self.token = token  # None: a loopback try-out whose connector wants no token
        self.http = http or httpx.Client(timeout=10)

    def call(
        self,
        method: str,
        service_url: str,
        path: str,
        body: Any = None,
        *,
        patient: bool = False,
    ) -> Any:
        """One call; with `patient`, a short rate limit is waited out twice before giving up."""
        for attempt in range(3):
            try:
                return self._call(method, service_url, path, body)
            except DeliveryError as error:
                wait = error.retry_after
                if not patient or wait is None or wait > PATIENCE or attempt == 2:
                    raise
                time.sleep(wait)
        raise AssertionError("unreachable")

    def _call(self, method: str, service_url: str, path: str, body: Any) -> Any:
        url = service_url.rstrip("/") + "/" + path.lstrip("/")
        headers = {}
        try:
            if self.token is not None:
                headers["Authorization"] = f"Bearer {self.token.get()}"
            answer = self.http.request(method, url, json=body, headers=headers)
        except httpx.HTTPStatusError as error:  # from the token endpoint
            raise DeliveryError(f"no bot token: {error}") from None
        except (httpx.ConnectError, ConnectionRefusedError) as error:
            raise DeliveryError(f"network error: {error}", uncertain=False) from None
        except httpx.HTTPError as error:
            raise DeliveryError(
                f"network error: {type(error).__name__}: {error}", uncertain=True
            ) from None
        status = answer.status_code
        if status < 300:
            return answer.json() if answer.content else {}
        if status == 429:
            wait = answer.headers.get("Retry-After", "1")
            try:
                seconds = float(wait)
            except ValueError:
                seconds = 1.0
            raise DeliveryError("rate limited", retry_after=seconds)
        if status == 401 and self.token is not None:
            self.token.forget()
        code = ""
        with contextlib.suppress(ValueError):
            code = str(((answer.json() or {}).get("error") or {}).get("code") or "")
        if status in (403, 404) and ("Conversation" in code or "Member" in code):
            raise DeliveryError(f"the person is {NOT_REACHABLE} in Teams ({code})")
        raise DeliveryError(f"Teams answered {status} {code}".strip(), uncertain=status >= 500)

    # -- the calls the bot makes -------------------------------------------------------------

    def send(self, service_url: str, conversation: str, activity: Any, **kw: Any) -> str:
        path = f"v3/conversations/{_part(conversation)}/activities"
        return str(self.call("POST", service_url, path, activity, **kw).get("id") or "")

    def reply(self, service_url: str, conversation: str, to: str, activity: Any, **kw: Any) -> str:
        path = f"v3/conversations/{_part(conversation)}/activities/{_part(to)}"
        return str(self.call("POST", service_url, path, activity, **kw).get("id") or "")

    def update(self, service_url: str, conversation: str, activity_id: str, activity: Any) -> None:
        path = f"v3/conversations/{_part(conversation)}/activities/{_part(activity_id)}"
        self.call("PUT", service_url, path, {**activity, "id": activity_id})

    def create_personal(
        self, service_url: str, *, bot_id: str, user_id: str, tenant_id: str | None
    ) -> str:
        body = {
            "bot": {"id": bot_id},
            "members": [{"id": user_id}],
            "isGroup": False,
            "tenantId": tenant_id,
            "channelData": {"tenant": {"id": tenant_id}},
        }
        return str(self.call("POST", service_url, "v3/conversations", body)["id"])

    def member(self, service_url: str, conversation: str, user_id: str) -> dict[str, Any]:
        path = f"v3/conversations/{_part(conversation)}/members/{_part(user_id)}"
        found = self.call("GET", service_url, path, patient=True)
        return found if isinstance(found, dict) else {}
