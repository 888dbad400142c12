"""A local stand-in for Slack, so the bot can be driven end to end with no Slack account.

Two halves, after Bolt's own test suite (`tests/mock_web_api_server`):

* `SlackStandIn` is a real HTTP server on 127.0.0.1 that plays Slack's Web API. Point
  `SLACK_API_URL` (or `WebClient(base_url=...)`) at `stand_in.api_url`; every call is recorded
  as a `Call`, and a small simulated workspace (users, channels, messages, views, files) answers
  with Slack-shaped bodies and Slack's own error codes. Failures (429 with `Retry-After`, 5xx,
  `ok: false`), per-method rate limits and latency can be injected to test the bot's handling.
* `SlackClientSimulator` plays Slack's side of the app's HTTP endpoint: slash commands, block
  actions, view submissions and Events API callbacks, signed exactly as Slack signs them.
  Linked to a stand-in, its `response_url`s and `trigger_id`s point back at that stand-in, so
  Bolt's `respond()` and `views.open` land there too.

The server uses only the standard library; the simulator borrows slack_sdk's
`SignatureVerifier` so that the signature is computed by the same code that checks it.
Run `python -m sandbox.slack_api --port 8080` to serve one by hand.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import math
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter, deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.message import Message
from email.parser import BytesHeaderParser
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, cast

from sandbox.slack_blocks import (
    MESSAGE_TEXT_LIMIT,
    block_errors,
    view_errors,
)

TEAM_ID = "T0001"
TEAM_NAME = "PMF Sandbox"
TEAM_DOMAIN = "pmf-sandbox"
APP_ID = "A0001"
BOT_ID = "B0001"
BOT_USER_ID = "UBOT"
BOT_NAME = "pmf-bot"
GENERAL_CHANNEL_ID = "C0001"
VERIFICATION_TOKEN = "stand-in-verification-token"
DEFAULT_TZ = "Europe/London"

# Form fields that slack_sdk (and Slack's own clients) send as JSON text.
JSON_FIELDS = frozenset(
    {"attachments", "blocks", "files", "metadata", "outputs", "inputs", "unfurls", "view"}
    | {"user_auth_blocks"}
)


_TS_BASE = 1_700_000_000
_CONTENT_KEYS = ("text", "blocks", "attachments")


# --------------------------------------------------------------------------------------------
# What the stand-in records
# --------------------------------------------------------------------------------------------


Page = Callable[[str, str, str, bytes], tuple[int, str, bytes]]


@dataclass(frozen=True)
class Call:
    """One request that reached the stand-in.

    `method` is the Web API method (`chat.postMessage`), or `response_url` for a post to a
    response URL, or `upload` for the bytes of a `files_upload_v2` upload. `params` merges the
    query string and the body (form fields, JSON, or multipart fields, with file parts as
    `{"filename", "size", "content_type"}`); JSON-encoded form fields such as `blocks` and
    `view` are decoded. `headers` has lower-case names. `status` and `response` are what the
    stand-in answered (a dict for JSON answers, else the text).
    """

    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    at: float
    token: str | None = None
    status: int = 200
    response: Any = None
    path: str = ""

    @property
    def ok(self) -> bool:
        """True when the stand-in answered 200 and, for a JSON answer, `ok: true`."""
        if self.status != 200:
            return False
        return not isinstance(self.response, dict) or self.response.get("ok") is True


@dataclass
class _Failure:
    status: int
    error: str | None
    retry_after: int | None
    body: bytes | str | Mapping[str, Any] | None
    remaining: int


@dataclass
class _Bucket:
    rate: float
    capacity: float
    tokens: float
    updated: float


@dataclass
class _Answer:
    status: int
    body: bytes
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    decoded: Any = None

    @classmethod
    def of_json(cls, data: Any, status: int = 200, **headers: str) -> _Answer:
        return cls(status, json.dumps(data).encode(), headers=dict(headers), decoded=data)

    @classmethod
    def of_text(cls, text: str, status: int = 200, **headers: str) -> _Answer:
        return cls(status, text.encode(), "text/plain; charset=utf-8", dict(headers), text)


class _SlackError(Exception):
    """Raised by a method implementation to answer `{"ok": false, "error": ...}`."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


# --------------------------------------------------------------------------------------------
# Request parsing
# --------------------------------------------------------------------------------------------


def _decode_json_fields(params: dict[str, Any]) -> dict[str, Any]:
    for key in JSON_FIELDS & params.keys():
        value = params[key]
        if isinstance(value, str):
            # Slack would reject bad JSON; keep the text so the caller can see what was sent.
            with contextlib.suppress(ValueError):
                params[key] = json.loads(value)
    return params


def _content_type(header: str) -> tuple[str, Message]:
    msg = Message()
    msg["content-type"] = header or "application/x-www-form-urlencoded"
    return msg.get_content_type(), msg


def _parse_multipart(body: bytes, boundary: str) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for chunk in body.split(b"--" + boundary.encode()):
        if chunk.startswith(b"--"):
            break  # the closing delimiter
        chunk = chunk.removeprefix(b"\r\n")
        if not chunk.strip():
            continue
        head, _, data = chunk.partition(b"\r\n\r\n")
        data = data.removesuffix(b"\r\n")
        part = BytesHeaderParser().parsebytes(head + b"\r\n\r\n")
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        filename = part.get_filename()
        if filename is not None:
            fields[name] = {
                "filename": filename,
                "size": len(data),
                "content_type": part.get_content_type(),
            }
        else:
            fields[name] = data.decode("utf-8", "replace")
    return fields


def _parse_params(query: str, body: bytes, content_type: str) -> dict[str, Any]:
    params: dict[str, Any] = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
    kind, header = _content_type(content_type)
    if body:
        if kind == "application/json":
            data = json.loads(body.decode("utf-8"))
            if not isinstance(data, dict):
                raise ValueError("a JSON body must be an object")
            params.update(data)
        elif kind == "multipart/form-data":
            boundary = header.get_param("boundary")
            if not isinstance(boundary, str):
                raise ValueError("multipart body without a boundary")
            params.update(_parse_multipart(body, boundary))
        else:
            text = body.decode("utf-8")
            params.update(urllib.parse.parse_qsl(text, keep_blank_values=True))
    return _decode_json_fields(params)


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return bool(value)


def _csv(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    return [v.strip() for v in str(value or "").split(",") if v.strip()]


def _copy(data: Any) -> Any:
    return copy.deepcopy(data)


# --------------------------------------------------------------------------------------------
# The Web API stand-in
# --------------------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    stand_in: SlackStandIn


class _Handler(BaseHTTPRequestHandler):
    server_version = "SlackStandIn/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the calls are recorded; stderr noise helps nobody

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _handle(self) -> None:
        stand_in = cast(_Server, self.server).stand_in
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        headers[":method"] = self.command
        answer = stand_in._dispatch(self.path, headers, body)
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(answer.body)))
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(answer.body)


class SlackStandIn:
    """A local HTTP server that plays Slack's Web API and records every call.

    >>> with SlackStandIn() as slack:
    ...     client = WebClient(base_url=slack.api_url, token="xoxb-test")
    ...     client.chat_postMessage(channel="C0001", text="hi")
    ...     slack.last("chat.postMessage").params["text"]
    'hi'

    The workspace starts with the bot user (`UBOT`) and `#general` (`C0001`). Methods that
    resolve a user (`users.info`, `conversations.open`, `chat.postEphemeral`,
    `views.publish`) answer `user_not_found` for users that were not added with `add_user`.
    With a `clock`, messages are stamped with its time (their `ts`), as the sandbox's
    simulated clock needs; without, `ts` is a counter. Channels may be given as ids (any
    `C…`/`D…`/`G…` id is accepted), `#names` of channels added with `add_channel`, or user
    ids (posting to a user id posts in the DM, as Slack does).
    With `strict=True`, methods the stand-in does not implement answer `unknown_method`
    instead of `{"ok": true}`. Trigger ids issued by `issue_trigger` (the simulator uses it)
    expire after `trigger_ttl` seconds, as Slack's do after 3 s.
    """

    def __init__(
        self,
        port: int = 0,
        *,
        host: str = "127.0.0.1",
        strict: bool = False,
        trigger_ttl: float = 3.0,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.host = host
        self.clock = clock
        self._last_micros = 0
        self.port = port
        self.strict = strict
        self.trigger_ttl = trigger_ttl
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._counters: Counter[str] = Counter()
        self._failures: dict[str, deque[_Failure]] = {}
        self._buckets: dict[str, _Bucket] = {}
        self._latency = 0.0
        self.calls: list[Call] = []
        self._reset_workspace()
        self._methods: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "api.test": self._api_test,
            "auth.test": self._auth_test,
            "users.info": self._users_info,
            "users.list": self._users_list,
            "users.lookupByEmail": self._users_lookup_by_email,
            "conversations.open": self._conversations_open,
            "conversations.info": self._conversations_info,
            "conversations.history": self._conversations_history,
            "conversations.replies": self._conversations_replies,
            "chat.postMessage": self._chat_post_message,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "chat.getPermalink": self._chat_get_permalink,
            "views.open": self._views_open,
            "views.push": self._views_push,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "files.getUploadURLExternal": self._files_get_upload_url_external,
            "files.completeUploadExternal": self._files_complete_upload_external,
        }

    def _reset_workspace(self) -> None:
        self.users: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, dict[str, Any]] = {}
        self.views: dict[str, dict[str, Any]] = {}
        self.home_views: dict[str, dict[str, Any]] = {}
        self.files: dict[str, dict[str, Any]] = {}
        self._file_data: dict[str, bytes] = {}
        self._messages: dict[str, dict[str, dict[str, Any]]] = {}
        self._ephemerals: list[dict[str, Any]] = []
        self._dms: dict[frozenset[str], str] = {}
        self._triggers: dict[str, tuple[float, str | None]] = {}
        self._response_urls: dict[str, dict[str, str | None]] = {}
        self._last_modal: str | None = None
        self._mounts: list[tuple[str, Page]] = []
        self.modal_owner: dict[str, str] = {}  # view id → the user whose trigger opened it
        self.add_user("", BOT_NAME, user_id=BOT_USER_ID, is_bot=True)
        self.add_channel("general", GENERAL_CHANNEL_ID)

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> SlackStandIn:
        """Bind `host:port` (port 0 picks a free one) and serve in a daemon thread."""
        if self._server is not None:
            return self
        server = _Server((self.host, self.port), _Handler)
        server.stand_in = self
        self._server = server
        self.port = server.server_address[1]
        self._thread = threading.Thread(
            target=server.serve_forever,
            args=(0.05,),  # the poll interval bounds how long stop() waits
            name=f"slack-stand-in:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> SlackStandIn:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT`, the root of every URL the stand-in hands out."""
        if self._server is None:
            raise RuntimeError("the stand-in is not running; call start() first")
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        """The Web API base URL (`SLACK_API_URL`): `http://127.0.0.1:PORT/api/`."""
        return f"{self.base_url}/api/"

    # -- recording ---------------------------------------------------------------------------

    def calls_to(self, method: str) -> list[Call]:
        """Every recorded call of `method`, oldest first (failed ones included)."""
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def last(self, method: str) -> Call | None:
        """The most recent call of `method`, or None."""
        with self._lock:
            return next((c for c in reversed(self.calls) if c.method == method), None)

    def wait_for(self, method: str, count: int = 1, timeout: float = 20.0) -> list[Call]:
        """Block until at least `count` calls of `method` were recorded; return them all.

        Raises AssertionError, listing the methods that were seen, on timeout.
        """
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                found = [c for c in self.calls if c.method == method]
                if len(found) >= count:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = Counter(c.method for c in self.calls)
                    listing = ", ".join(f"{m} ×{n}" for m, n in seen.items()) or "none"
                    raise AssertionError(
                        f"expected {count} call(s) to {method} within {timeout:g}s, "
                        f"got {len(found)}; methods seen: {listing}"
                    )
                self._changed.wait(remaining)

    def clear(self) -> None:
        """Forget the recorded calls (the workspace state is kept)."""
        with self._lock:
            self.calls.clear()

    def reset(self) -> None:
        """Forget calls, workspace state, queued failures, rate limits and latency."""
        with self._lock:
            self.calls.clear()
            self._failures.clear()
            self._buckets.clear()
            self._latency = 0.0
            self._reset_workspace()

    def responses(self) -> list[dict[str, Any]]:
        """The bodies posted to response URLs (Bolt's `respond()`), oldest first."""
        return [c.params for c in self.calls_to("response_url")]

    # -- failure injection -------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        *,
        status: int = 200,
        error: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
        body: bytes | str | Mapping[str, Any] | None = None,
    ) -> None:
        """Make the next `times` calls of `method` fail.

        * `status=429`: body `{"ok": false, "error": "ratelimited"}` and `Retry-After`
          (`retry_after`, default 1).
        * `status=500`/`503`/…: a plain-text body, as Slack's edge sends (`Retry-After` if given).
        * `status=200, error="channel_not_found"`: `{"ok": false, "error": ...}`.
        * `body=` replaces the body (a dict is sent as JSON).
        `method` may also be `response_url` or `upload`.
        """
        if status == 200 and error is None and body is None:
            raise ValueError("a failure with status 200 needs error= (e.g. 'channel_not_found')")
        if times < 1:
            raise ValueError("times must be at least 1")
        if status == 429 and retry_after is None:
            retry_after = 1
        with self._lock:
            queue = self._failures.setdefault(method, deque())
            queue.append(_Failure(status, error, retry_after, body, times))

    def rate_limit(
        self, method: str, per_second: float | None, *, burst: float | None = None
    ) -> None:
        """Answer 429 with `Retry-After` when `method` is called faster than `per_second`.

        A token bucket holding `burst` calls (default `max(1, per_second)`), refilled at
        `per_second`; `per_second=None` removes the limit.
        """
        with self._lock:
            if per_second is None:
                self._buckets.pop(method, None)
                return
            if per_second <= 0:
                raise ValueError("per_second must be positive")
            capacity = burst if burst is not None else max(1.0, per_second)
            self._buckets[method] = _Bucket(per_second, capacity, capacity, time.monotonic())

    def set_latency(self, seconds: float) -> None:
        """Delay every answer by `seconds` (0 to stop)."""
        with self._lock:
            self._latency = max(0.0, seconds)

    # -- the simulated workspace -------------------------------------------------------------

    def _next(self, prefix: str, taken: Mapping[str, Any] | None = None) -> str:
        while True:
            self._counters[prefix] += 1
            candidate = f"{prefix}{self._counters[prefix]:04d}"
            if taken is None or candidate not in taken:
                return candidate

    def _next_ts(self) -> str:
        """A message's ts. With a `clock` (the sandbox's simulated one) it is that time, as
        Slack's is the time of posting, so each message carries when it was sent; always
        unique and growing (a microsecond after the last when several share a moment)."""
        if self.clock is not None:
            micros = max(round(self.clock().timestamp() * 1_000_000), self._last_micros + 1)
            self._last_micros = micros
            return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"
        self._counters["ts"] += 1
        micros = self._counters["ts"] * 100
        return f"{_TS_BASE + micros // 1_000_000}.{micros % 1_000_000:06d}"

    def add_user(
        self,
        email: str,
        name: str,
        user_id: str | None = None,
        is_bot: bool = False,
        *,
        tz: str = DEFAULT_TZ,
        is_admin: bool = False,
    ) -> str:
        """Add a workspace member and return their id (`U0001`, `U0002`, … unless given).

        `name` is the person's real and display name; Slack's `name` (the handle) is the
        local part of the email.
        """
        with self._lock:
            uid = user_id or self._next("U", self.users)
            handle = email.split("@", 1)[0] if email else name.lower().replace(" ", ".")
            profile: dict[str, Any] = {
                "real_name": name,
                "display_name": name,
                "real_name_normalized": name,
                "display_name_normalized": name,
                "team": TEAM_ID,
            }
            if email:
                profile["email"] = email
            if is_bot:
                profile["bot_id"] = BOT_ID
            self.users[uid] = {
                "id": uid,
                "team_id": TEAM_ID,
                "name": handle,
                "real_name": name,
                "deleted": False,
                "tz": tz,
                "tz_label": "Greenwich Mean Time",
                "tz_offset": 0,
                "is_admin": is_admin,
                "is_owner": False,
                "is_bot": is_bot,
                "is_app_user": False,
                "profile": profile,
            }
            return uid

    def add_channel(
        self, name: str, channel_id: str | None = None, *, is_private: bool = False
    ) -> str:
        """Add a channel (`#name`, id `C0002`… unless given) and return its id."""
        with self._lock:
            cid = channel_id or self._next("G" if is_private else "C", self.channels)
            self.channels[cid] = {
                "id": cid,
                "name": name.lstrip("#"),
                "is_channel": not is_private,
                "is_group": is_private,
                "is_im": False,
                "is_private": is_private,
                "is_member": True,
                "context_team_id": TEAM_ID,
            }
            return cid

    def dm_channel(self, user_id: str) -> str:
        """The id of the bot's DM with `user_id` (opened if need be), as conversations.open."""
        with self._lock:
            try:
                return self._open_dm([user_id])[0]
            except _SlackError:
                raise KeyError(f"no user {user_id!r}; add_user() first") from None

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """The current state of every message in `channel` (id or #name), oldest first."""
        with self._lock:
            cid = self._known_channel(channel)
            return _copy(list(self._messages.get(cid, {}).values()))

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        """The current state of one message, or None."""
        with self._lock:
            cid = self._known_channel(channel)
            found = self._messages.get(cid, {}).get(ts)
            return _copy(found) if found is not None else None

    def channel_of(self, ts: str) -> str | None:
        """The channel holding the message with timestamp `ts`, or None."""
        with self._lock:
            return next((c for c, msgs in self._messages.items() if ts in msgs), None)

    def ephemeral_messages(
        self, *, channel: str | None = None, user: str | None = None
    ) -> list[dict[str, Any]]:
        """Ephemeral messages (`chat.postEphemeral` and ephemeral `respond()`), oldest first.

        Each is `{"channel", "user", "ts", "text", "blocks"?}`.
        """
        with self._lock:
            return _copy(
                [
                    m
                    for m in self._ephemerals
                    if (channel is None or m["channel"] == channel)
                    and (user is None or m["user"] == user)
                ]
            )

    def uploaded(self, file_id: str) -> bytes:
        """The bytes uploaded for `file_id` (KeyError if none arrived)."""
        with self._lock:
            return self._file_data[file_id]

    def post_as_user(
        self,
        channel: str,
        user_id: str,
        text: str,
        thread_ts: str | None = None,
        *,
        formatted: bool = False,
    ) -> dict[str, Any]:
        """Store a message a person typed (the sandbox's composer); returns it, with its ts.
        As Slack does, `&`, `<` and `>` typed by the person are stored escaped, so what they
        typed is never taken for a mention or a link. `formatted` text is already as Slack's
        client sends it (escaped, with `<@U…>` for the mentions the person chose): kept."""
        typed = (
            text
            if formatted
            else text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        )
        with self._changed:
            message: dict[str, Any] = {
                "type": "message",
                "user": user_id,
                "team": TEAM_ID,
                "text": typed,
                "ts": self._next_ts(),
            }
            if thread_ts:
                message["thread_ts"] = thread_ts
            self._store_message(channel, message)
            self._changed.notify_all()
            return _copy(message)

    def mount(self, prefix: str, page: Page) -> None:
        """Serve `prefix` (and paths under it) with `page` — how the sandbox adds its web page
        and JSON endpoints to this same server. `page(method, path, query, body)` returns
        (status, content type, body)."""
        with self._lock:
            self._mounts.append((prefix, page))
            self._mounts.sort(key=lambda item: -len(item[0]))

    def modals_of(self, user_id: str) -> list[dict[str, Any]]:
        """Modals opened for `user_id` (newest last), as stored now."""
        with self._lock:
            return _copy(
                [view for vid, view in self.views.items() if self.modal_owner.get(vid) == user_id]
            )

    @staticmethod
    def _method_of(headers: dict[str, str]) -> str:
        return headers.get(":method", "POST")

    def find_view(self, callback_id: str) -> dict[str, Any] | None:
        """The view with `callback_id` opened, pushed, updated or published last, or None."""
        with self._lock:
            for view in reversed(list(self.views.values())):
                if view.get("callback_id") == callback_id:
                    return _copy(view)
            return None

    def issue_trigger(self, user_id: str | None = None) -> str:
        """A fresh trigger id that views.open/push accept for `trigger_ttl` seconds."""
        with self._lock:
            self._counters["trigger"] += 1
            trigger = f"{self._counters['trigger']}.{_TS_BASE}.{uuid.uuid4().hex}"
            self._triggers[trigger] = (time.monotonic(), user_id)
            return trigger

    def new_response_url(
        self,
        *,
        channel_id: str | None = None,
        message_ts: str | None = None,
        user_id: str | None = None,
    ) -> str:
        """A response URL on this server. Given the context it came from, posts to it act as
        Slack's do: `replace_original` / `delete_original` change that message,
        `response_type: in_channel` posts in the channel, otherwise the user sees an ephemeral.
        """
        with self._lock:
            rid = uuid.uuid4().hex
            self._response_urls[rid] = {
                "channel_id": channel_id,
                "message_ts": message_ts,
                "user_id": user_id,
            }
            return f"{self.base_url}/response/{rid}"

    def show_answer(self, response_url: str, answer: Mapping[str, Any]) -> None:
        """What Slack's client does with a slash command's acknowledgement that carries a
        message: shows it to the user (ephemeral unless `response_type: in_channel`), as a post
        to the command's response URL would. Not recorded as a call: the app made none."""
        rid = response_url.rstrip("/").rsplit("/", 1)[-1]
        if rid in self._response_urls and ("text" in answer or "blocks" in answer):
            with self._lock:
                self._response_url(rid, dict(answer))

    # -- request dispatch --------------------------------------------------------------------

    def _dispatch(self, raw_path: str, headers: dict[str, str], body: bytes) -> _Answer:
        latency = self._latency
        if latency:
            time.sleep(latency)
        parsed = urllib.parse.urlsplit(raw_path)
        path = parsed.path
        if path.startswith("/api/"):
            kind, name = "api", path.removeprefix("/api/")
        elif path.startswith("/upload/"):
            kind, name = "upload", path.removeprefix("/upload/")
        elif path.startswith("/response/"):
            kind, name = "response_url", path.removeprefix("/response/")
        else:
            for prefix, page in self._mounts:
                if path == prefix or path.startswith(prefix.rstrip("/") + "/"):
                    status, content_type, content = page(
                        self._method_of(headers), path, parsed.query, body
                    )
                    return _Answer(status, content, content_type)
            return _Answer.of_text("Not Found", 404)
        method = name if kind == "api" else kind

        params: dict[str, Any]
        parse_error: str | None = None
        if kind == "upload":
            params = {"file_id": name, "size": len(body)}
        else:
            try:
                params = _parse_params(parsed.query, body, headers.get("content-type", ""))
            except (ValueError, UnicodeDecodeError) as exc:
                params, parse_error = {"_raw": body.decode("utf-8", "replace")}, str(exc)

        token: str | None = None
        auth = headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            token = auth[7:].strip() or None
        if token is None and isinstance(params.get("token"), str):
            token = params["token"] or None

        with self._changed:
            answer = self._answer(kind, name, method, params, token, body, parse_error)
            self.calls.append(
                Call(
                    method=method,
                    params=params,
                    headers=headers,
                    at=time.time(),
                    token=token,
                    status=answer.status,
                    response=answer.decoded,
                    path=path,
                )
            )
            self._changed.notify_all()
        return answer

    def _answer(
        self,
        kind: str,
        name: str,
        method: str,
        params: dict[str, Any],
        token: str | None,
        body: bytes,
        parse_error: str | None,
    ) -> _Answer:
        injected = self._injected_failure(method)
        if injected is not None:
            return injected
        limited = self._rate_limited(method)
        if limited is not None:
            return limited
        if kind == "upload":
            return self._upload(name, body)
        if parse_error is not None:
            return _Answer.of_json({"ok": False, "error": "invalid_json", "detail": parse_error})
        if kind == "response_url":
            return self._response_url(name, params)
        if token is None:
            return _Answer.of_json({"ok": False, "error": "not_authed"})
        if not token.startswith(("xoxb-", "xoxp-")):
            return _Answer.of_json({"ok": False, "error": "invalid_auth"})
        implementation = self._methods.get(name)
        if implementation is None:
            if self.strict:
                return _Answer.of_json({"ok": False, "error": "unknown_method"})
            return _Answer.of_json({"ok": True})
        try:
            return _Answer.of_json(implementation(params))
        except _SlackError as err:
            return _Answer.of_json({"ok": False, "error": err.error, **err.extra})

    def _injected_failure(self, method: str) -> _Answer | None:
        queue = self._failures.get(method)
        if not queue:
            return None
        failure = queue[0]
        failure.remaining -= 1
        if failure.remaining <= 0:
            queue.popleft()
        headers = {} if failure.retry_after is None else {"Retry-After": str(failure.retry_after)}
        if failure.body is not None:
            if isinstance(failure.body, Mapping):
                return _Answer.of_json(dict(failure.body), failure.status, **headers)
            text = failure.body.decode() if isinstance(failure.body, bytes) else failure.body
            return _Answer.of_text(text, failure.status, **headers)
        if failure.status == 429:
            error = failure.error or "ratelimited"
            return _Answer.of_json({"ok": False, "error": error}, 429, **headers)
        if failure.status != 200 and failure.error is None:
            return _Answer.of_text(HTTPStatus(failure.status).phrase, failure.status, **headers)
        return _Answer.of_json({"ok": False, "error": failure.error}, failure.status, **headers)

    def _rate_limited(self, method: str) -> _Answer | None:
        bucket = self._buckets.get(method)
        if bucket is None:
            return None
        now = time.monotonic()
        bucket.tokens = min(bucket.capacity, bucket.tokens + (now - bucket.updated) * bucket.rate)
        bucket.updated = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return None
        wait = max(1, math.ceil((1 - bucket.tokens) / bucket.rate))
        return _Answer.of_json(
            {"ok": False, "error": "ratelimited"}, 429, **{"Retry-After": str(wait)}
        )

    # -- helpers for the methods -------------------------------------------------------------

    def _user(self, user_id: Any) -> dict[str, Any]:
        user = self.users.get(str(user_id or ""))
        if user is None:
            raise _SlackError("user_not_found")
        return user

    def _open_dm(self, user_ids: Sequence[str]) -> tuple[str, bool]:
        for uid in user_ids:
            self._user(uid)
        key = frozenset(user_ids) - {BOT_USER_ID} or frozenset({BOT_USER_ID})
        existing = self._dms.get(key)
        if existing is not None:
            return existing, True
        cid = self._next("D" if len(key) == 1 else "G", self.channels)
        self._dms[key] = cid
        self.channels[cid] = {
            "id": cid,
            "is_im": len(key) == 1,
            "is_mpim": len(key) > 1,
            "is_private": True,
            "user": next(iter(key)) if len(key) == 1 else None,
            "context_team_id": TEAM_ID,
        }
        return cid, False

    def _resolve_channel(self, value: Any, *, create_dm: bool = True) -> str:
        channel = str(value or "").strip()
        if not channel:
            raise _SlackError("channel_not_found")
        if channel in self.channels:
            return channel
        name = channel.removeprefix("#")
        for cid, info in self.channels.items():
            if info.get("name") == name:
                return cid
        if channel in self.users:
            if not create_dm:
                return self._dms.get(frozenset({channel}), channel)
            return self._open_dm([channel])[0]
        if not channel.startswith("#") and channel[:1] in ("C", "D", "G") and channel.isalnum():
            return channel
        raise _SlackError("channel_not_found")

    def _known_channel(self, channel: str) -> str:
        try:
            return self._resolve_channel(channel, create_dm=False)
        except _SlackError:
            raise KeyError(f"no channel {channel!r}") from None

    def _content_errors(self, params: Mapping[str, Any], *, require: bool) -> None:
        has_content = any(
            params.get(k) not in (None, "", []) for k in ("text", "blocks", "attachments")
        )
        if require and not has_content:
            raise _SlackError("no_text")
        if len(str(params.get("text") or "")) > MESSAGE_TEXT_LIMIT:
            raise _SlackError("msg_too_long")
        if "blocks" in params:
            errors = block_errors(params["blocks"])
            if errors:
                raise _SlackError(
                    "invalid_blocks", errors=errors, response_metadata={"messages": errors}
                )

    def _store_message(self, channel: str, message: dict[str, Any]) -> None:
        self._messages.setdefault(channel, {})[message["ts"]] = message
        parent_ts = message.get("thread_ts")
        if parent_ts and parent_ts != message["ts"]:
            parent = self._messages[channel].get(parent_ts)
            if parent is not None:
                parent["thread_ts"] = parent_ts
                parent["reply_count"] = parent.get("reply_count", 0) + 1
                parent["latest_reply"] = message["ts"]

    def _new_message(self, params: Mapping[str, Any]) -> dict[str, Any]:
        message: dict[str, Any] = {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "team": TEAM_ID,
            "text": str(params.get("text") or ""),
            "ts": self._next_ts(),
        }
        for key in ("blocks", "attachments", "metadata"):
            if params.get(key) not in (None, ""):
                message[key] = _copy(params[key])
        if params.get("thread_ts"):
            message["thread_ts"] = str(params["thread_ts"])
        return message

    def _find_view(self, params: Mapping[str, Any]) -> dict[str, Any]:
        view_id, external_id = params.get("view_id"), params.get("external_id")
        if not view_id and not external_id:
            raise _SlackError("invalid_arguments")
        for view in self.views.values():
            if (view_id and view["id"] == view_id) or (
                external_id and view.get("external_id") == external_id
            ):
                return view
        raise _SlackError("not_found")

    def _check_trigger(self, params: Mapping[str, Any]) -> None:
        trigger = params.get("trigger_id") or params.get("interactivity_pointer")
        if not trigger:
            raise _SlackError(
                "invalid_arguments",
                response_metadata={"messages": ["[ERROR] missing required field: trigger_id"]},
            )
        issued = self._triggers.get(str(trigger))
        if issued is not None and time.monotonic() - issued[0] > self.trigger_ttl:
            raise _SlackError("expired_trigger_id")

    def _view_input(self, params: Mapping[str, Any]) -> dict[str, Any]:
        view = params.get("view")
        errors = view_errors(view)
        if errors:
            raise _SlackError(
                "invalid_arguments",
                response_metadata={"messages": [f"[ERROR] {e}" for e in errors]},
            )
        return cast(dict[str, Any], view)

    def _make_view(
        self,
        given: Mapping[str, Any],
        *,
        view_id: str | None = None,
        previous_view_id: str | None = None,
        root_view_id: str | None = None,
    ) -> dict[str, Any]:
        vid = view_id or self._next("V", self.views)
        self._counters["hash"] += 1
        view: dict[str, Any] = {
            "id": vid,
            "team_id": TEAM_ID,
            "type": given.get("type", "modal"),
            "blocks": [],
            "private_metadata": "",
            "callback_id": "",
            "state": {"values": {}},
            "hash": f"{_TS_BASE + self._counters['hash']}.{uuid.uuid4().hex[:8]}",
            "title": None,
            "clear_on_close": False,
            "notify_on_close": False,
            "close": None,
            "submit": None,
            "previous_view_id": previous_view_id,
            "root_view_id": root_view_id or vid,
            "app_id": APP_ID,
            "external_id": "",
            "app_installed_team_id": TEAM_ID,
            "bot_id": BOT_ID,
        }
        view.update(
            {k: _copy(v) for k, v in given.items() if k not in ("id", "hash", "state", "team_id")}
        )
        self.views.pop(vid, None)  # keep the dict ordered by last change, for find_view
        self.views[vid] = view
        return view

    # -- the methods -------------------------------------------------------------------------

    def _api_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "args": {k: v for k, v in params.items() if k != "token"}}

    def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": f"https://{TEAM_DOMAIN}.slack.com/",
            "team": TEAM_NAME,
            "user": BOT_NAME,
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "user": _copy(self._user(params.get("user")))}

    def _users_list(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "members": _copy(list(self.users.values())),
            "response_metadata": {"next_cursor": ""},
        }

    def _users_lookup_by_email(self, params: dict[str, Any]) -> dict[str, Any]:
        email = str(params.get("email") or "").strip().lower()
        if not email:
            raise _SlackError("invalid_arguments")
        for user in self.users.values():
            if str(user["profile"].get("email", "")).lower() == email:
                return {"ok": True, "user": _copy(user)}
        raise _SlackError("users_not_found")

    def _conversations_open(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("channel"):
            cid = self._resolve_channel(params["channel"])
            return {"ok": True, "no_op": True, "already_open": True, "channel": {"id": cid}}
        users = _csv(params.get("users"))
        if not users:
            raise _SlackError("users_list_not_supplied")
        cid, existed = self._open_dm(users)
        answer: dict[str, Any] = {"ok": True, "channel": {"id": cid}}
        if existed:
            answer.update(no_op=True, already_open=True)
        return answer

    def _conversations_info(self, params: dict[str, Any]) -> dict[str, Any]:
        cid = self._resolve_channel(params.get("channel"), create_dm=False)
        return {"ok": True, "channel": _copy(self.channels.get(cid, {"id": cid}))}

    def _conversations_history(self, params: dict[str, Any]) -> dict[str, Any]:
        cid = self._resolve_channel(params.get("channel"), create_dm=False)
        top = [
            m for m in self._messages.get(cid, {}).values() if m.get("thread_ts") in (None, m["ts"])
        ]
        limit = int(params.get("limit") or 100)
        newest_first = list(reversed(top))[:limit]
        return {"ok": True, "messages": _copy(newest_first), "has_more": len(top) > limit}

    def _conversations_replies(self, params: dict[str, Any]) -> dict[str, Any]:
        cid = self._resolve_channel(params.get("channel"), create_dm=False)
        ts = str(params.get("ts") or "")
        thread = [
            m
            for m in self._messages.get(cid, {}).values()
            if m["ts"] == ts or m.get("thread_ts") == ts
        ]
        if not thread:
            raise _SlackError("thread_not_found")
        return {"ok": True, "messages": _copy(thread), "has_more": False}

    def _chat_post_message(self, params: dict[str, Any]) -> dict[str, Any]:
        cid = self._resolve_channel(params.get("channel"))
        self._content_errors(params, require=True)
        message = self._new_message(params)
        self._store_message(cid, message)
        return {"ok": True, "channel": cid, "ts": message["ts"], "message": _copy(message)}

    def _chat_post_ephemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        cid = self._resolve_channel(params.get("channel"))
        user = self._user(params.get("user"))
        self._content_errors(params, require=True)
        ts = self._next_ts()
        ephemeral: dict[str, Any] = {
            "channel": cid,
            "user": user["id"],
            "ts": ts,
            "text": str(params.get("text") or ""),
        }
        for key in ("blocks", "attachments", "thread_ts"):
            if params.get(key) not in (None, ""):
                ephemeral[key] = _copy(params[key])
        self._ephemerals.append(ephemeral)
        return {"ok": True, "message_ts": ts}

    def _chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        cid = self._resolve_channel(params.get("channel"), create_dm=False)
        ts = str(params.get("ts") or "")
        message = self._messages.get(cid, {}).get(ts)
        if message is None:
            raise _SlackError("message_not_found")
        self._content_errors(params, require=False)
        for key in ("text", "blocks", "attachments", "metadata"):
            if key in params and params[key] is not None:
                message[key] = _copy(params[key])
        message["edited"] = {"user": BOT_USER_ID, "ts": self._next_ts()}
        return {
            "ok": True,
            "channel": cid,
            "ts": ts,
            "text": message.get("text", ""),
            "message": _copy(message),
        }

    def _chat_delete(self, params: dict[str, Any]) -> dict[str, Any]:
        cid = self._resolve_channel(params.get("channel"), create_dm=False)
        ts = str(params.get("ts") or "")
        if self._messages.get(cid, {}).pop(ts, None) is None:
            raise _SlackError("message_not_found")
        return {"ok": True, "channel": cid, "ts": ts}

    def _chat_get_permalink(self, params: dict[str, Any]) -> dict[str, Any]:
        cid = self._resolve_channel(params.get("channel"), create_dm=False)
        ts = str(params.get("message_ts") or "")
        if ts not in self._messages.get(cid, {}):
            raise _SlackError("message_not_found")
        link = f"https://{TEAM_DOMAIN}.slack.com/archives/{cid}/p{ts.replace('.', '')}"
        return {"ok": True, "channel": cid, "permalink": link}

    def _views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        self._check_trigger(params)
        given = self._view_input(params)
        view = self._make_view(given)
        self._last_modal = view["id"]
        issued = self._triggers.get(str(params.get("trigger_id") or ""))
        if issued is not None and issued[1]:
            self.modal_owner[view["id"]] = issued[1]
        return {"ok": True, "view": _copy(view)}

    def _views_push(self, params: dict[str, Any]) -> dict[str, Any]:
        self._check_trigger(params)
        given = self._view_input(params)
        previous = self.views.get(self._last_modal or "")
        root = previous["root_view_id"] if previous is not None else None
        view = self._make_view(
            given,
            previous_view_id=previous["id"] if previous is not None else None,
            root_view_id=root,
        )
        self._last_modal = view["id"]
        return {"ok": True, "view": _copy(view)}

    def _views_update(self, params: dict[str, Any]) -> dict[str, Any]:
        current = self._find_view(params)
        given = self._view_input(params)
        if params.get("hash") and params["hash"] != current["hash"]:
            raise _SlackError("hash_conflict")
        view = self._make_view(
            given,
            view_id=current["id"],
            previous_view_id=current.get("previous_view_id"),
            root_view_id=current.get("root_view_id"),
        )
        if current.get("external_id") and "external_id" not in given:
            view["external_id"] = current["external_id"]
        return {"ok": True, "view": _copy(view)}

    def _views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self._user(params.get("user_id"))
        given = self._view_input(params)
        if given.get("type") != "home":
            raise _SlackError(
                "invalid_arguments",
                response_metadata={"messages": ["[ERROR] must be home [json-pointer:/view/type]"]},
            )
        current = self.home_views.get(user["id"])
        if current is not None and params.get("hash") and params["hash"] != current["hash"]:
            raise _SlackError("hash_conflict")
        view = self._make_view(given, view_id=current["id"] if current is not None else None)
        self.home_views[user["id"]] = view
        return {"ok": True, "view": _copy(view)}

    def _files_get_upload_url_external(self, params: dict[str, Any]) -> dict[str, Any]:
        filename = params.get("filename")
        try:
            length = int(params.get("length"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise _SlackError("invalid_arguments") from None
        if not filename or length < 0:
            raise _SlackError("invalid_arguments")
        file_id = self._next("F", self.files)
        self.files[file_id] = {
            "id": file_id,
            "name": str(filename),
            "title": str(filename),
            "size": length,
            "alt_txt": params.get("alt_txt"),
            "snippet_type": params.get("snippet_type"),
            "completed": False,
            "channels": [],
        }
        return {"ok": True, "upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}

    def _upload(self, file_id: str, body: bytes) -> _Answer:
        if file_id not in self.files:
            return _Answer.of_text("file not found", 404)
        self._file_data[file_id] = body
        self.files[file_id]["size"] = len(body)
        return _Answer.of_text(f"OK - {len(body)}")

    def _files_complete_upload_external(self, params: dict[str, Any]) -> dict[str, Any]:
        items = params.get("files")
        if not isinstance(items, list) or not items:
            raise _SlackError("invalid_arguments")
        channels = _csv(params.get("channels"))
        if params.get("channel_id"):
            channels.insert(0, str(params["channel_id"]))
        resolved = [self._resolve_channel(c) for c in channels]
        done = []
        for item in items:
            file_id = str(item.get("id") if isinstance(item, Mapping) else "")
            record = self.files.get(file_id)
            if record is None or file_id not in self._file_data:
                raise _SlackError("file_not_found")
            if isinstance(item, Mapping) and item.get("title"):
                record["title"] = str(item["title"])
            record["completed"] = True
            record["channels"] = resolved
            done.append(record)
        summaries = [{"id": r["id"], "title": r["title"]} for r in done]
        for cid in resolved:
            message = self._new_message(
                {"text": params.get("initial_comment") or "", "thread_ts": params.get("thread_ts")}
            )
            message["upload"] = True
            message["files"] = [
                {"id": r["id"], "name": r["name"], "title": r["title"], "size": r["size"]}
                for r in done
            ]
            self._store_message(cid, message)
        return {"ok": True, "files": summaries}

    def _response_url(self, rid: str, params: dict[str, Any]) -> _Answer:
        context = self._response_urls.get(rid, {})
        channel, ts, user = (
            context.get("channel_id"),
            context.get("message_ts"),
            context.get("user_id"),
        )
        original = self._messages.get(channel or "", {}).get(ts or "")
        if _truthy(params.get("delete_original")):
            if original is not None:
                del self._messages[cast(str, channel)][cast(str, ts)]
        elif _truthy(params.get("replace_original")) and original is not None:
            for key in ("text", "blocks", "attachments"):
                if key in params:
                    original[key] = _copy(params[key])
        elif channel is not None and params.get("response_type") == "in_channel":
            self._store_message(channel, self._new_message(params))
        elif channel is not None and user is not None:
            ephemeral = {"channel": channel, "user": user, "ts": self._next_ts()}
            ephemeral.update({k: _copy(params[k]) for k in ("text", "blocks") if k in params})
            self._ephemerals.append(ephemeral)
        return _Answer.of_json({"ok": True})


# --------------------------------------------------------------------------------------------
# Slack's side of the app's HTTP endpoint
# --------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> None:
    """Serve a stand-in until interrupted: `python -m sandbox.slack_api --port 8080`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--strict", action="store_true")
    args = parser.parse_args(argv)
    with SlackStandIn(args.port, strict=args.strict) as stand_in:
        print(f"Slack stand-in serving the Web API; export SLACK_API_URL={stand_in.api_url}")
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
