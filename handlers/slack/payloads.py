"""What a Slack payload must hold before any listener reads it (issue 9, item 10).

Slack always sends the fields below, with these types. A signed request that lacks one, has
the wrong type, names a response URL off Slack's hosts or is of a kind this app never asks for
is refused before Bolt routes it: logged once, answered 400, and the person told where Slack
gave a way to tell them (an ephemeral message to a verified response URL, or the form's error
for one of our modals). So listeners may read `body["user"]["id"]` and the like without guards.

Ids that name rows (a submission in a button's value) are checked by `row_id`: a plain
number in PostgreSQL's INTEGER range, or nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware
from slack_sdk.webhook import WebhookClient

from handlers.slack import ids
from handlers.slack.context import Deps
from handlers.slack.gate import is_slack_url

log = logging.getLogger(__name__)


UNREADABLE = (
    ":warning: Slack sent me that in a form I could not read, so I have not acted on it. "
    "Please try again; if it keeps happening, tell the Performance & Policy Officer."
)
DAMAGED_FORM = (
    "This form reached me damaged, so nothing was saved. Please close it and open it again."
)
FORM_BLOCKS = {  # where each of our modals shows an error about the whole form
    ids.SUBMIT_VIEW: ids.VALUE_BLOCK,
    ids.REJECT_VIEW: ids.REASON_BLOCK,
    ids.REOPEN_VIEW: ids.REASON_BLOCK,
}


# -- the shapes Slack sends ----------------------------------------------------------------------

SlackId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,80}$")]
UserId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]{1,32}$")]


class _Shape(BaseModel):
    model_config = ConfigDict(strict=True, extra="allow")


class _User(_Shape):
    id: UserId


class _Channel(_Shape):
    id: SlackId


class _Action(_Shape):
    action_id: str
    block_id: str | None = None
    value: str | None = None


class _InputValue(_Shape):
    value: str | None = None


class _State(_Shape):
    values: dict[str, dict[str, _InputValue]]


class _View(_Shape):
    id: SlackId
    type: str
    callback_id: str
    private_metadata: str = ""
    state: _State


class _ResponseUrl(_Shape):
    response_url: str


class _Command(_Shape):
    command: str
    user_id: UserId
    text: str
    trigger_id: SlackId
    response_url: str
    channel_id: SlackId | None = None


class _BlockActions(_Shape):
    type: Literal["block_actions"]
    user: _User
    trigger_id: SlackId
    actions: Annotated[list[_Action], Field(min_length=1)]
    response_url: str | None = None
    channel: _Channel | None = None
    message: dict[str, Any] | None = None
    view: dict[str, Any] | None = None
    container: dict[str, Any] | None = None


class _ViewSubmission(_Shape):
    type: Literal["view_submission"]
    user: _User
    view: _View
    trigger_id: SlackId | None = None
    response_urls: list[_ResponseUrl] = []


class _ViewClosed(_Shape):
    type: Literal["view_closed"]
    user: _User
    view: _View


class _Event(_Shape):
    type: str
    user: UserId | None = None
    channel: SlackId | None = None
    ts: SlackId | None = None
    thread_ts: SlackId | None = None
    text: str | None = None
    tab: str | None = None
    channel_type: str | None = None
    subtype: str | None = None
    bot_id: str | None = None


class _EventCallback(_Shape):
    type: Literal["event_callback"]
    event_id: SlackId
    event: _Event


class _UrlVerification(_Shape):
    type: Literal["url_verification"]
    challenge: str


class _AppRateLimited(_Shape):
    type: Literal["app_rate_limited"]


SHAPES: dict[str, type[_Shape]] = {
    "block_actions": _BlockActions,
    "view_submission": _ViewSubmission,
    "view_closed": _ViewClosed,
    "event_callback": _EventCallback,
    "url_verification": _UrlVerification,
    "app_rate_limited": _AppRateLimited,
}


def problem(body: dict[str, Any], api_url: str) -> str | None:
    """What is wrong with a payload, in one line; None when the listeners can trust its shape."""
    if "event" in body and not isinstance(body["event"], dict):
        return "event: not an object"
    kind = body.get("type")
    if kind is None and "command" in body:
        shape: type[_Shape] | None = _Command
    else:
        shape = SHAPES.get(kind) if isinstance(kind, str) else None
    if shape is None:
        return f"a request of a kind this app does not use (type {str(kind)[:40]!r})"
    try:
        shape.model_validate(body)
    except ValidationError as error:
        return "; ".join(
            f"{'.'.join(str(part) for part in found['loc']) or 'body'}: {found['msg']}"
            for found in error.errors(include_url=False, include_input=False)[:3]
        )
    listed = body.get("response_urls")
    urls = [body.get("response_url")] + [
        found.get("response_url") if isinstance(found, dict) else found
        for found in (listed if isinstance(listed, list) else [listed])
    ]
    if any(url is not None and not is_slack_url(url, api_url) for url in urls):
        return "a response URL that is not on Slack's hosts"
    event = body.get("event") or {}
    if event.get("type") == "app_home_opened" and event.get("user") is None:
        return "event.user: missing"
    if (
        event.get("type") == "message"
        and not event.get("subtype")
        and not event.get("bot_id")
        and None in (event.get("user"), event.get("channel"), event.get("ts"))
    ):
        return "event: a person's message needs user, channel and ts"
    return None


def _what(body: dict[str, Any]) -> str:
    if body.get("type") is None and "command" in body:
        return "slash command"
    return str(body.get("type"))[:40]


class PayloadCheck(Middleware):
    """Bolt middleware, run right after the signature check: refuses malformed payloads.

    A class, not a function: Bolt injects a function middleware's arguments by reading the
    payload (its first action, its view…), which itself fails on a malformed one."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        body = req.body
        found = problem(body, self.deps.settings.slack_api_url)
        if found is None:
            return next()
        log.warning("refused a malformed %s from Slack: %s", _what(body), found)
        view = body.get("view")
        callback = view.get("callback_id") if isinstance(view, dict) else None
        if body.get("type") == "view_submission" and isinstance(callback, str):
            block = FORM_BLOCKS.get(callback)
            if block is not None:
                return BoltResponse(
                    status=200,
                    body={"response_action": "errors", "errors": {block: DAMAGED_FORM}},
                )
        response_url = body.get("response_url")
        if self.deps.is_slack_url(response_url):
            self.deps.later(_tell, str(response_url))
        return BoltResponse(status=400, body="Bad Request")


def _tell(response_url: str) -> None:
    WebhookClient(response_url, timeout=10).send(
        text=UNREADABLE, response_type="ephemeral", replace_original=False
    )
