"""What a request must be before Bolt reads it, and where the bot may answer (issue 9).

Slack's requests are small, signed and sent to one path. The gate in front of Bolt's WSGI
adapter reads at most MAX_BODY bytes, checks Slack's signature on those raw bytes (a missing,
malformed, wrong or more-than-five-minutes-old signature or timestamp is 401) and only then
lets Bolt parse the body; a signed body Bolt cannot read is 400. Nothing in an unverified
request is ever acted on. Bolt checks the signature again; that costs one HMAC.

`is_slack_url` is the rule for response URLs: the bot answers only on Slack's own hosts
(https, slack.com or slack-gov.com and their subdomains) or on SLACK_API_URL's host, which is
the local stand-in in tests and in the sandbox.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest
from slack_sdk.signature import SignatureVerifier

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024  # Slack's payloads are a few kilobytes; 1 MiB is generous
SLACK_DOMAINS = ("slack.com", "slack-gov.com")
_URL_CHARACTERS = re.compile(r"^[A-Za-z0-9\-._~:/?#\[\]!$&'()*+,;=%]+$")

StartResponse = Callable[..., Any]


def is_slack_url(url: object, api_url: str) -> bool:
    """True when `url` is an https URL on Slack's own hosts, or on SLACK_API_URL's scheme,
    host and port; never for user-info tricks, odd characters or other ports."""
    if not isinstance(url, str) or len(url) > 2000 or not _URL_CHARACTERS.match(url):
        return False
    try:
        parts = urlsplit(url)
        port = parts.port
        api = urlsplit(api_url)
        api_port = api.port
    except ValueError:
        return False
    host = parts.hostname or ""
    if parts.username is not None or parts.password is not None or "%" in parts.netloc:
        return False
    if (
        parts.scheme == "https"
        and port in (None, 443)
        and any(host == domain or host.endswith("." + domain) for domain in SLACK_DOMAINS)
    ):
        return True
    defaults = {"http": 80, "https": 443}
    return (
        bool(host)
        and parts.scheme == api.scheme
        and host == (api.hostname or "")
        and (port or defaults.get(parts.scheme)) == (api_port or defaults.get(api.scheme))
    )


def is_verified(verifier: SignatureVerifier, body: bytes | str, headers: Any) -> bool:
    """Slack's signature check, where anything malformed (a timestamp that is not a number,
    a body that is not UTF-8) is simply not verified."""
    try:
        return bool(
            verifier.is_valid(
                body=body,
                timestamp=_header(headers, "x-slack-request-timestamp"),
                signature=_header(headers, "x-slack-signature"),
            )
        )
    except Exception:  # every way a forged header can break the check means "not from Slack"
        return False


def _header(headers: Any, name: str) -> str | None:
    value = headers.get(name)
    if isinstance(value, list | tuple):
        value = value[0] if value else None
    return value if isinstance(value, str) else None


class _BoltAdapter(SlackRequestHandler):
    """Bolt's WSGI adapter, except that a signed body Bolt cannot read is 400 (logged once)
    instead of an exception that the server would answer with 500."""

    def dispatch(self, request: WsgiHttpRequest) -> BoltResponse:
        try:
            bolt_request = BoltRequest(
                body=request.get_body(), query=request.query_string, headers=request.get_headers()
            )
        except Exception as error:
            log.warning("refused a signed request whose body could not be read (%r)", error)
            return _refusal(400)
        if not isinstance(bolt_request.body, dict):
            log.warning("refused a signed request whose body is not an object")
            return _refusal(400)
        return self.app.dispatch(bolt_request)


def _refusal(status: int) -> BoltResponse:
    text = {400: "Bad Request", 401: "Unauthorized", 413: "Payload Too Large"}[status]
    return BoltResponse(status=status, body=text, headers={"content-type": "text/plain"})


class SlackGate:
    """WSGI app: caps the body, verifies Slack's signature on the raw bytes, then hands the
    request to Bolt's adapter. Requests to other paths or methods go to the adapter unread
    (it answers 404)."""

    def __init__(
        self, app: App, signing_secret: str, *, path: str, max_body: int = MAX_BODY
    ) -> None:
        self.adapter = _BoltAdapter(app, path=path)
        self.verifier = SignatureVerifier(signing_secret)
        self.path = path
        self.max_body = max_body

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST" or environ.get("PATH_INFO") != self.path:
            return self.adapter(environ, start_response)
        length = _content_length(environ.get("CONTENT_LENGTH"))
        if length is None:
            log.warning("refused a request with a malformed Content-Length")
            return _answer(start_response, 400)
        if length > self.max_body:
            log.warning("refused a request of %s bytes (the limit is %s)", length, self.max_body)
            return _answer(start_response, 413)
        body = _read(environ.get("wsgi.input"), length)
        if len(body) != length:
            log.warning("refused a request shorter than its Content-Length")
            return _answer(start_response, 400)
        headers = {
            "x-slack-request-timestamp": environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP"),
            "x-slack-signature": environ.get("HTTP_X_SLACK_SIGNATURE"),
        }
        if not is_verified(self.verifier, body, headers):
            log.warning("refused a request without a valid Slack signature")
            return _answer(start_response, 401)
        inner = dict(environ)
        inner["wsgi.input"] = io.BytesIO(body)
        inner["CONTENT_LENGTH"] = str(length)
        return self.adapter(inner, start_response)


def _content_length(value: Any) -> int | None:
    """The declared length: 0 when absent, None when it is not a plain non-negative number."""
    if value is None or value == "":
        return 0
    text = str(value).strip()
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        return None
    return int(text)


def _read(stream: Any, length: int) -> bytes:
    """Exactly `length` bytes, or fewer if the stream ends first; never more."""
    if stream is None or length == 0:
        return b""
    chunks, left = [], length
    while left > 0:
        chunk = stream.read(min(left, 64 * 1024))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _answer(start_response: StartResponse, status: int) -> list[bytes]:
    refusal = _refusal(status)
    body = str(refusal.body).encode()
    reason = {400: "400 Bad Request", 401: "401 Unauthorized", 413: "413 Payload Too Large"}
    start_response(
        reason[status],
        [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))],
    )
    return [body]
