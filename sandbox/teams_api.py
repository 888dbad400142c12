"""A loopback stand-in for Microsoft's side of a Teams bot, for tests and local try-outs.

One small HTTP server plays three services:
- Bot Framework's OpenID metadata and signing keys (`/v1/.well-known/openidconfiguration`,
  `/v1/.well-known/keys`), publishing an RSA key it signs tokens with (`token_for`);
- the Microsoft Entra token endpoint (`POST /{tenant}/oauth2/v2.0/token`, client credentials);
- the Bot Connector at `service_url` (`/connector/v3/conversations…`): create a conversation,
  send, reply to and update activities, and look up a member — recording every call. Teams
  may move a conversation to another service URL (another region); `service_url_at(name)`
  serves the same connector at `/{name}/` too, and each call records which one it reached.

Everything the bot sends is kept in `sent` (and per conversation in `activities`), so a test
reads what crossed the wire. `fail_next` makes the connector answer the next calls with an
error (a 429 with Retry-After, a 500…).
"""

from __future__ import annotations

import json
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

ISSUER = "https://api.botframework.com"
SCOPE = "https://api.botframework.com/.default"
METADATA_PATH = "/v1/.well-known/openidconfiguration"
KEYS_PATH = "/v1/.well-known/keys"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class TeamsUser:
    email: str
    name: str
    id: str  # "29:…", the bot's id for this person
    aad_object_id: str
    upn_only: bool = False  # the lookup gives userPrincipalName but no email


@dataclass
class Call:
    method: str
    path: str
    body: Any
    authorization: str | None
    service_url: str = ""  # which of the stand-in's service URLs it reached


@dataclass
class TeamsStandIn:
    """Start with `with TeamsStandIn(app_id, app_password) as teams:`."""

    app_id: str = "00000000-0000-4000-8000-000000000001"
    app_password: str = "test-app-password"
    tenant_id: str = "11111111-1111-4111-8111-111111111111"
    token_lifetime: int = 3600
    require_token: bool = True  # False: like Agents Playground's mock connector
    users: dict[str, TeamsUser] = field(default_factory=dict)  # id → user
    calls: list[Call] = field(default_factory=list)
    activities: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    updates: list[dict[str, Any]] = field(default_factory=list)
    token_requests: int = 0
    kid: str = field(default_factory=lambda: "key-" + secrets.token_hex(4))

    def __post_init__(self) -> None:
        self.key = new_key()
        self._lock = threading.Lock()
        self._failures: list[tuple[int, dict[str, str]]] = []
        self._tokens: set[str] = set()
        self._server: ThreadingHTTPServer | None = None
        self._services = {"connector"}  # the path prefixes the Bot Connector answers at

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> TeamsStandIn:
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                stand_in._handle(self, "GET")

            def do_POST(self) -> None:
                stand_in._handle(self, "POST")

            def do_PUT(self) -> None:
                stand_in._handle(self, "PUT")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> TeamsStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def metadata_url(self) -> str:
        return self.base_url + METADATA_PATH

    @property
    def login_url(self) -> str:
        return self.base_url

    @property
    def service_url(self) -> str:
        return self.base_url + "/connector/"

    def service_url_at(self, name: str) -> str:
        """Another service URL for the same Bot Connector (as Teams has one per region)."""
        with self._lock:
            self._services.add(name)
        return f"{self.base_url}/{name}/"

    def settings(self) -> dict[str, str]:
        """The TEAMS_* settings that point a bot at this stand-in."""
        return {
            "TEAMS_APP_ID": self.app_id,
            "TEAMS_APP_PASSWORD": self.app_password,
            "TEAMS_TENANT_ID": self.tenant_id,
            "TEAMS_OPENID_METADATA_URL": self.metadata_url,
            "TEAMS_LOGIN_URL": self.login_url,
        }

    # -- people and tokens ---------------------------------------------------------------------

    def add_user(self, email: str, name: str, *, upn_only: bool = False) -> TeamsUser:
        user = TeamsUser(email, name, "29:" + uuid.uuid4().hex, str(uuid.uuid4()), upn_only)
        self.users[user.id] = user
        return user

    def token_for(
        self,
        *,
        service_url: str | None = None,
        audience: str | None = None,
        issuer: str = ISSUER,
        expires_in: int = 3600,
        key: rsa.RSAPrivateKey | None = None,
        kid: str | None = None,
        algorithm: str = "RS256",
    ) -> str:
        """A Bot Framework token as the Bot Connector signs it (claims overridable)."""
        now = int(time.time())
        claims = {
            "iss": issuer,
            "aud": self.app_id if audience is None else audience,
            "serviceurl": self.service_url if service_url is None else service_url,
            "nbf": now - 10,
            "iat": now - 10,
            "exp": now + expires_in,
        }
        return jwt.encode(
            claims, key or self.key, algorithm=algorithm, headers={"kid": kid or self.kid}
        )

    def fail_next(self, status: int, *, times: int = 1, retry_after: int | None = None) -> None:
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        with self._lock:
            self._failures += [(status, headers)] * times

    # -- what the bot sent ---------------------------------------------------------------------

    def sent_to(self, conversation_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.activities.get(conversation_id, []))

    def personal_conversation(self, user: TeamsUser) -> str:
        return f"a:personal-{user.id.removeprefix('29:')}"

    def cards_in(self, conversation_id: str) -> list[dict[str, Any]]:
        found = []
        for activity in self.sent_to(conversation_id):
            for attachment in activity.get("attachments") or []:
                if attachment.get("contentType") == "application/vnd.microsoft.card.adaptive":
                    found.append(attachment["content"])
        return found

    def activity(self, conversation_id: str, activity_id: str) -> dict[str, Any] | None:
        """The activity as it stands now (with any update applied)."""
        for activity in self.sent_to(conversation_id):
            if activity.get("id") == activity_id:
                return activity
        return None

    # -- the server ----------------------------------------------------------------------------

    def _handle(self, request: BaseHTTPRequestHandler, method: str) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        path = request.path
        authorization = request.headers.get("Authorization")
        if method == "GET" and path == METADATA_PATH:
            return self._json(
                request,
                200,
                {
                    "issuer": ISSUER,
                    "authorization_endpoint": "https://invalid.example/",
                    "jwks_uri": self.base_url + KEYS_PATH,
                    "id_token_signing_alg_values_supported": ["RS256"],
                    "token_endpoint_auth_methods_supported": ["private_key_jwt"],
                },
            )
        if method == "GET" and path == KEYS_PATH:
            jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
            jwk.update({"kid": self.kid, "use": "sig", "endorsements": ["msteams"]})
            return self._json(request, 200, {"keys": [jwk]})
        if method == "POST" and path.endswith("/oauth2/v2.0/token"):
            return self._token(request, path, raw)
        service = path.split("/")[1] if path.count("/") >= 2 else ""
        with self._lock:
            known = service in self._services
        if known and path.startswith(f"/{service}/v3/"):
            body = json.loads(raw) if raw else None
            with self._lock:
                self.calls.append(
                    Call(method, path, body, authorization, f"{self.base_url}/{service}/")
                )
                failure = self._failures.pop(0) if self._failures else None
            token = (authorization or "").removeprefix("Bearer ")
            if self.require_token and token not in self._tokens:
                return self._json(request, 401, {"error": {"code": "Unauthorized"}})
            if failure is not None:
                return self._json(request, failure[0], {"error": {"code": "Failed"}}, failure[1])
            return self._connector(request, method, path.removeprefix(f"/{service}"), body)
        return self._json(request, 404, {"error": {"code": "NotFound"}})

    def _token(self, request: BaseHTTPRequestHandler, path: str, raw: bytes) -> None:
        form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        tenant = path.split("/")[1]
        good = (
            form.get("grant_type") == "client_credentials"
            and form.get("client_id") == self.app_id
            and form.get("client_secret") == self.app_password
            and form.get("scope") == SCOPE
            and tenant == self.tenant_id
        )
        if not good:
            return self._json(request, 401, {"error": "invalid_client"})
        token = "bot-" + secrets.token_hex(12)
        with self._lock:
            self._tokens.add(token)
            self.token_requests += 1
        return self._json(
            request,
            200,
            {"token_type": "Bearer", "expires_in": self.token_lifetime, "access_token": token},
        )

    def _connector(
        self, request: BaseHTTPRequestHandler, method: str, path: str, body: Any
    ) -> None:
        parts = [unquote(p) for p in path.strip("/").split("/")]  # v3 conversations …
        if method == "POST" and parts == ["v3", "conversations"]:
            member = ((body or {}).get("members") or [{}])[0].get("id", "")
            user = self.users.get(member)
            if user is None:
                return self._json(request, 404, {"error": {"code": "ConversationNotFound"}})
            return self._json(request, 201, {"id": self.personal_conversation(user)})
        if len(parts) >= 4 and parts[3] == "activities":
            conversation = parts[2]
            if method == "POST":
                activity = dict(body or {})
                activity["id"] = str(int(time.time() * 1000)) + secrets.token_hex(2)
                if len(parts) == 5:
                    activity["replyToId"] = parts[4]
                with self._lock:
                    self.activities.setdefault(conversation, []).append(activity)
                return self._json(request, 201, {"id": activity["id"]})
            if method == "PUT" and len(parts) == 5:
                with self._lock:
                    for n, activity in enumerate(self.activities.get(conversation, [])):
                        if activity.get("id") == parts[4]:
                            updated = dict(body or {})
                            updated["id"] = parts[4]
                            self.activities[conversation][n] = updated
                            self.updates.append(updated)
                            return self._json(request, 200, {"id": parts[4]})
                return self._json(request, 404, {"error": {"code": "ActivityNotFound"}})
        if method == "GET" and len(parts) == 5 and parts[3] == "members":
            user = self.users.get(parts[4])
            if user is None:
                return self._json(request, 404, {"error": {"code": "MemberNotFound"}})
            found = {
                "id": user.id,
                "name": user.name,
                "aadObjectId": user.aad_object_id,
                "userPrincipalName": user.email,
            }
            if not user.upn_only:
                found["email"] = user.email
            return self._json(request, 200, found)
        return self._json(request, 404, {"error": {"code": "NotFound"}})

    @staticmethod
    def _json(
        request: BaseHTTPRequestHandler,
        status: int,
        body: Any,
        headers: dict[str, str] | None = None,
    ) -> None:
        data = json.dumps(body).encode()
        request.send_response(status)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            request.send_header(name, value)
        request.end_headers()
        request.wfile.write(data)
