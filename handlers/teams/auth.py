"""Who may talk to the bot, and how the bot proves itself (PRODUCT §10).

Inbound: every request to /api/messages carries a Bot Framework JWT. It must be RS256, signed
with a key published at the `jwks_uri` of TEAMS_OPENID_METADATA_URL, issued by
https://api.botframework.com for audience TEAMS_APP_ID, unexpired, and its `serviceurl` claim
must equal the activity's `serviceUrl` (so a token for one service cannot send the bot's
replies elsewhere). Keys are fetched once a day, and again (at most every five minutes) when a
token names a key not yet seen.

Outbound: the bot's own token comes from the client-credentials grant at
`{TEAMS_LOGIN_URL}/{TEAMS_TENANT_ID}/oauth2/v2.0/token` and is kept until five minutes before
it expires.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import jwt

log = logging.getLogger(__name__)

ISSUER = "https://api.botframework.com"
SCOPE = "https://api.botframework.com/.default"
KEYS_KEPT = 24 * 3600.0
UNKNOWN_KEY_RECHECK = 300.0
CLOCK_SKEW = 300  # seconds of leeway on exp/nbf, as Bot Framework allows
TOKEN_MARGIN = 300.0
MULTI_TENANT = "botframework.com"


class Unauthorized(Exception):
    """The request is not from the Bot Connector for this bot; answer 401, do nothing."""


def same_service(claimed: object, service_url: object) -> bool:
    if not isinstance(claimed, str) or not isinstance(service_url, str) or not claimed:
        return False
    return claimed.rstrip("/").lower() == service_url.rstrip("/").lower()


class InboundAuth:
    """Checks the Bot Framework token of an inbound activity."""

    def __init__(
        self,
        app_id: str,
        metadata_url: str,
        *,
        http: httpx.Client | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.app_id, self.metadata_url = app_id, metadata_url
        self.http = http or httpx.Client(timeout=10)
        self.clock = clock
        self._lock = threading.Lock()
        self._keys: dict[str, Any] = {}
        self._fetched_at = 0.0

    def _fetch_keys(self) -> None:
        metadata = self.http.get(self.metadata_url)
        metadata.raise_for_status()
        jwks_uri = metadata.json()["jwks_uri"]
        answer = self.http.get(jwks_uri)
        answer.raise_for_status()
        keys: dict[str, Any] = {}
        for jwk in answer.json().get("keys", []):
            if jwk.get("kty") == "RSA" and jwk.get("kid"):
                keys[str(jwk["kid"])] = jwt.PyJWK.from_json(json.dumps(jwk), "RS256").key
        self._keys, self._fetched_at = keys, self.clock()

    def _key(self, kid: str) -> Any:
        with self._lock:
            age = self.clock() - self._fetched_at
            stale = age > KEYS_KEPT or (kid not in self._keys and age > UNKNOWN_KEY_RECHECK)
            if stale:
                try:
                    self._fetch_keys()
                except (httpx.HTTPError, KeyError, ValueError) as error:
                    log.warning("could not fetch Bot Framework keys: %s", error)
            key = self._keys.get(kid)
        if key is None:
            raise Unauthorized("signed with a key Bot Framework does not publish")
        return key

    def verify(self, authorization: str | None, service_url: object) -> dict[str, Any]:
        """The token's claims, or Unauthorized."""
        if not authorization or not authorization.startswith("Bearer "):
            raise Unauthorized("no bearer token")
        token = authorization.removeprefix("Bearer ").strip()
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise Unauthorized(f"malformed token: {error}") from None
        if header.get("alg") != "RS256":
            raise Unauthorized("not RS256")
        key = self._key(str(header.get("kid") or ""))
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                audience=self.app_id,
                issuer=ISSUER,
                leeway=CLOCK_SKEW,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.PyJWTError as error:
            raise Unauthorized(str(error)) from None
        if not same_service(claims.get("serviceurl"), service_url):
            raise Unauthorized("the token's serviceurl is not the activity's serviceUrl")
        return claims


class BotToken:
    """The bot's bearer token for the Bot Connector (client credentials), cached."""

    def __init__(
        self,
        *,
        app_id: str,
        password: str,
        login_url: str,
        tenant_id: str | None,
        http: httpx.Client | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = f"{login_url.rstrip('/')}/{tenant_id or MULTI_TENANT}/oauth2/v2.0/token"
        self._form = {
            "grant_type": "client_credentials",
            "client_id": app_id,
            "client_secret": password,
            "scope": SCOPE,
        }
        self.http = http or httpx.Client(timeout=10)
        self.clock = clock
        self._lock = threading.Lock()
        self._token: str | None = None
        self._until = 0.0

    def get(self) -> str:
        with self._lock:
            if self._token is not None and self.clock() < self._until:
                return self._token
            answer = self.http.post(self.url, data=self._form)
            if answer.status_code != 200:
                raise httpx.HTTPStatusError(
                    f"the token endpoint answered {answer.status_code}",
                    request=answer.request,
                    response=answer,
                )
            body = answer.json()
            lifetime = float(body.get("expires_in") or 3600)
            self._token = str(body["access_token"])
            self._until = self.clock() + max(lifetime - TOKEN_MARGIN, lifetime / 2)
            return self._token

    def kept(self) -> str | None:
        """The token if one is kept and fresh, without waiting (None: call `get`): the Teams
        SDK's event loop asks for it before every call and must not block on a fetch."""
        if not self._lock.acquire(blocking=False):
            return None  # being fetched: `get` waits for it
        try:
            fresh = self._token is not None and self.clock() < self._until
            return self._token if fresh else None
        finally:
            self._lock.release()

    def forget(self) -> None:
        """A 401 from the connector: fetch a new token next time."""
        with self._lock:
            self._token = None
