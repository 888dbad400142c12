"""Slack's side of the app's HTTP endpoint: slash commands, block actions, view submissions and
Events API callbacks, signed exactly as Slack signs them (slack_sdk's `SignatureVerifier`)."""

from __future__ import annotations

import contextlib
import json
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Mapping
from typing import Any, NamedTuple, cast

from slack_sdk.signature import SignatureVerifier

from sandbox.slack_api import (
    _TS_BASE,
    APP_ID,
    BOT_ID,
    BOT_USER_ID,
    GENERAL_CHANNEL_ID,
    TEAM_DOMAIN,
    TEAM_ID,
    VERIFICATION_TOKEN,
    SlackStandIn,
    _copy,
)


class AppResponse(NamedTuple):
    """What the app answered: unpacks as `(status, headers, body)`."""

    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


def _find_element(blocks: Any, action_id: str) -> tuple[str | None, dict[str, Any] | None]:
    for block in blocks if isinstance(blocks, list) else []:
        if not isinstance(block, Mapping):
            continue
        candidates = list(block.get("elements") or [])
        for key in ("accessory", "element"):
            if isinstance(block.get(key), Mapping):
                candidates.append(block[key])
        for element in candidates:
            if isinstance(element, Mapping) and element.get("action_id") == action_id:
                return block.get("block_id"), dict(element)
    return None, None


def _state_values(values: Mapping[str, Mapping[str, Any]] | None) -> dict[str, Any]:
    """`values[block_id][action_id]`, where a plain string is short for a text input."""
    state: dict[str, Any] = {}
    for block_id, actions in (values or {}).items():
        state[block_id] = {
            action_id: (
                {"type": "plain_text_input", "value": value}
                if isinstance(value, str) or value is None
                else _copy(dict(value))
            )
            for action_id, value in actions.items()
        }
    return state


class SlackClientSimulator:
    """Sends the app what Slack sends it, signed with the app's signing secret.

    `app_url` is the app's request URL (e.g. `http://127.0.0.1:3000/slack/events`). With
    `stand_in`, the `response_url`s point at that stand-in (so `respond()` is recorded there and
    acts on the original message), trigger ids come from `stand_in.issue_trigger`, users' names
    come from its workspace, and messages and views may be given by ts / view id.
    Every method returns the app's `AppResponse(status, headers, body)`.
    """

    def __init__(
        self,
        app_url: str,
        signing_secret: str,
        *,
        stand_in: SlackStandIn | None = None,
        team_id: str = TEAM_ID,
        team_domain: str = TEAM_DOMAIN,
        api_app_id: str = APP_ID,
        verification_token: str = VERIFICATION_TOKEN,
        timeout: float = 10.0,
    ) -> None:
        self.app_url = app_url
        self.signing_secret = signing_secret
        self.stand_in = stand_in
        self.team_id = team_id
        self.team_domain = team_domain
        self.api_app_id = api_app_id
        self.verification_token = verification_token
        self.timeout = timeout
        self._verifier = SignatureVerifier(signing_secret)
        self._counter = 0
        self.last_payload: dict[str, Any] | None = None
        self.last_trigger_id: str | None = None

    # -- low level ---------------------------------------------------------------------------

    def sign(self, body: bytes, timestamp: str) -> str:
        """`v0=` + HMAC-SHA256 of `v0:{timestamp}:{body}` with the signing secret."""
        signature = self._verifier.generate_signature(
            timestamp=timestamp, body=body.decode("utf-8")
        )
        return cast(str, signature)

    def post(
        self,
        body: bytes,
        content_type: str,
        *,
        timestamp: int | str | None = None,
        signature: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> AppResponse:
        """POST `body` to the app, signed (unless `signature` overrides it) at `timestamp`
        (default now). HTTP errors are returned, not raised."""
        ts = str(int(time.time()) if timestamp is None else timestamp)
        request_headers = {
            "Content-Type": content_type,
            "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": signature if signature is not None else self.sign(body, ts),
        }
        request_headers.update(headers or {})
        request = urllib.request.Request(
            self.app_url, data=body, headers=request_headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return AppResponse(response.status, dict(response.headers.items()), response.read())
        except urllib.error.HTTPError as err:
            return AppResponse(err.code, dict(err.headers.items()), err.read())

    def _post_form(self, fields: Mapping[str, str]) -> AppResponse:
        body = urllib.parse.urlencode(fields).encode()
        return self.post(body, "application/x-www-form-urlencoded")

    def _post_payload(self, payload: dict[str, Any]) -> AppResponse:
        self.last_payload = payload
        return self._post_form({"payload": json.dumps(payload)})

    # -- building blocks ---------------------------------------------------------------------

    def _trigger(self, user_id: str, given: str | None) -> str:
        if given is not None:
            trigger = given
        elif self.stand_in is not None:
            trigger = self.stand_in.issue_trigger(user_id)
        else:
            self._counter += 1
            trigger = f"{self._counter}.{_TS_BASE}.{uuid.uuid4().hex}"
        self.last_trigger_id = trigger
        return trigger

    def _response_url(self, *, channel_id: str | None, message_ts: str | None, user_id: str) -> str:
        if self.stand_in is not None:
            return self.stand_in.new_response_url(
                channel_id=channel_id, message_ts=message_ts, user_id=user_id
            )
        # Not linked: a Slack-shaped URL that respond() cannot reach.
        return f"https://hooks.slack.com/actions/{self.team_id}/{_TS_BASE}/{uuid.uuid4().hex}"

    def _handle(self, user_id: str) -> str:
        if self.stand_in is not None:
            user = self.stand_in.users.get(user_id)
            if user is not None:
                return str(user["name"])
        return user_id.lower()

    def _user(self, user_id: str) -> dict[str, str]:
        handle = self._handle(user_id)
        return {"id": user_id, "username": handle, "name": handle, "team_id": self.team_id}

    def _team(self) -> dict[str, str]:
        return {"id": self.team_id, "domain": self.team_domain}

    def _channel_name(self, channel_id: str) -> str:
        if self.stand_in is not None:
            info = self.stand_in.channels.get(channel_id, {})
            if info.get("is_im"):
                return "directmessage"
            if info.get("name"):
                return str(info["name"])
        return "directmessage" if channel_id.startswith("D") else "general"

    def _view(self, view: Mapping[str, Any] | str) -> dict[str, Any]:
        if isinstance(view, str):
            if self.stand_in is None or view not in self.stand_in.views:
                raise KeyError(f"no view {view!r} in the stand-in")
            return _copy(self.stand_in.views[view])
        filled: dict[str, Any] = {
            "id": f"V{uuid.uuid4().hex[:10].upper()}",
            "team_id": self.team_id,
            "type": "modal",
            "blocks": [],
            "private_metadata": "",
            "callback_id": "",
            "hash": f"{_TS_BASE}.{uuid.uuid4().hex[:8]}",
            "title": {"type": "plain_text", "text": "Modal"},
            "clear_on_close": False,
            "notify_on_close": False,
            "close": None,
            "submit": None,
            "previous_view_id": None,
            "root_view_id": None,
            "app_id": self.api_app_id,
            "external_id": "",
            "app_installed_team_id": self.team_id,
            "bot_id": BOT_ID,
        }
        filled.update(_copy(dict(view)))
        filled.setdefault("state", {"values": {}})
        if not filled.get("root_view_id"):
            filled["root_view_id"] = filled["id"]
        return filled

    # -- what Slack sends --------------------------------------------------------------------

    def command(
        self,
        user_id: str,
        text: str = "",
        command: str = "/pmf",
        channel_id: str = GENERAL_CHANNEL_ID,
        trigger_id: str | None = None,
        *,
        channel_name: str | None = None,
    ) -> AppResponse:
        """A slash command, as a form post with Slack's fields."""
        fields = {
            "token": self.verification_token,
            "team_id": self.team_id,
            "team_domain": self.team_domain,
            "channel_id": channel_id,
            "channel_name": channel_name or self._channel_name(channel_id),
            "user_id": user_id,
            "user_name": self._handle(user_id),
            "command": command,
            "text": text,
            "api_app_id": self.api_app_id,
            "is_enterprise_install": "false",
            "response_url": self._response_url(
                channel_id=channel_id, message_ts=None, user_id=user_id
            ),
            "trigger_id": self._trigger(user_id, trigger_id),
        }
        self.last_payload = dict(fields)
        answer = self._post_form(fields)
        if self.stand_in is not None and answer.status == 200 and answer.body:
            with contextlib.suppress(ValueError):
                shown = answer.json()
                if isinstance(shown, dict):
                    self.stand_in.show_answer(fields["response_url"], shown)
        return answer

    def block_action(
        self,
        user_id: str,
        action_id: str,
        value: str | None = None,
        *,
        message: Mapping[str, Any] | str | None = None,
        container: Mapping[str, Any] | None = None,
        view: Mapping[str, Any] | str | None = None,
        trigger_id: str | None = None,
        block_id: str | None = None,
        channel_id: str | None = None,
        values: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> AppResponse:
        """A click (or selection) on an interactive element.

        In a message: pass `message` (the message dict, or its ts with a linked stand-in) and,
        unless the stand-in knows it, `channel_id`. With only `channel_id`, the click is on an
        ephemeral message. In a modal or the App Home: pass `view` (dict or view id).
        The element is looked up by `action_id` in the blocks to fill `block_id`, its type and
        its text; `value` becomes `value` for a button and `selected_option` (etc.) for menus.
        `values` fills `state.values` (see `view_submission`).
        """
        message_dict: dict[str, Any] | None = None
        if isinstance(message, str):
            if self.stand_in is None:
                raise KeyError("a message given by ts needs a linked stand-in")
            channel_id = channel_id or self.stand_in.channel_of(message)
            message_dict = self.stand_in.message(channel_id or "", message)
            if message_dict is None:
                raise KeyError(f"no message {message!r} in the stand-in")
        elif message is not None:
            message_dict = _copy(dict(message))
            if channel_id is None and self.stand_in is not None:
                channel_id = self.stand_in.channel_of(str(message_dict.get("ts", "")))
        view_dict = self._view(view) if view is not None else None
        blocks = (view_dict or message_dict or {}).get("blocks")
        found_block, element = _find_element(blocks, action_id)

        kind = str((element or {}).get("type", "button"))
        action: dict[str, Any] = {
            "action_id": action_id,
            "block_id": block_id or found_block or uuid.uuid4().hex[:5],
            "type": kind,
            "action_ts": f"{time.time():.6f}",
        }
        if kind == "button":
            action["value"] = value
            action["text"] = (element or {}).get(
                "text", {"type": "plain_text", "text": value or action_id, "emoji": True}
            )
            if element and element.get("style"):
                action["style"] = element["style"]
        elif kind in ("static_select", "external_select", "overflow", "radio_buttons"):
            options = [o for o in (element or {}).get("options", []) if o.get("value") == value]
            action["selected_option"] = (
                options[0]
                if options
                else {"text": {"type": "plain_text", "text": value}, "value": value}
            )
        elif kind == "users_select":
            action["selected_user"] = value
        elif kind == "conversations_select":
            action["selected_conversation"] = value
        elif kind == "channels_select":
            action["selected_channel"] = value
        elif kind == "datepicker":
            action["selected_date"] = value
        else:
            action["value"] = value

        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": self._user(user_id),
            "api_app_id": self.api_app_id,
            "token": self.verification_token,
            "trigger_id": self._trigger(user_id, trigger_id),
            "team": self._team(),
            "enterprise": None,
            "is_enterprise_install": False,
        }
        if view_dict is not None:
            if values is not None:
                view_dict["state"] = {"values": _state_values(values)}
            payload["container"] = dict(container or {"type": "view", "view_id": view_dict["id"]})
            payload["view"] = view_dict
        else:
            message_ts = str(message_dict["ts"]) if message_dict is not None else None
            if channel_id is None:
                raise ValueError("a block action outside a view needs channel_id or a message")
            payload["container"] = dict(
                container
                or {
                    "type": "message",
                    "message_ts": message_ts or "",
                    "channel_id": channel_id,
                    "is_ephemeral": message_dict is None,
                }
            )
            payload["channel"] = {"id": channel_id, "name": self._channel_name(channel_id)}
            if message_dict is not None:
                payload["message"] = message_dict
            payload["state"] = {"values": _state_values(values)}
            payload["response_url"] = self._response_url(
                channel_id=channel_id, message_ts=message_ts, user_id=user_id
            )
        payload["actions"] = [action]
        return self._post_payload(payload)

    def view_submission(
        self,
        user_id: str,
        view: Mapping[str, Any] | str,
        values: Mapping[str, Mapping[str, Any]] | None = None,
        *,
        trigger_id: str | None = None,
    ) -> AppResponse:
        """The user pressed Submit on `view` (a view dict, or a view id in the linked
        stand-in). `values[block_id][action_id]` is Slack's state value, such as
        `{"type": "plain_text_input", "value": "42"}`; a plain string is short for that."""
        view_dict = self._view(view)
        view_dict["state"] = {"values": _state_values(values)}
        payload = {
            "type": "view_submission",
            "team": self._team(),
            "user": self._user(user_id),
            "api_app_id": self.api_app_id,
            "token": self.verification_token,
            "trigger_id": self._trigger(user_id, trigger_id),
            "view": view_dict,
            "response_urls": [],
            "is_enterprise_install": False,
            "enterprise": None,
        }
        return self._post_payload(payload)

    def view_closed(
        self, user_id: str, view: Mapping[str, Any] | str, *, is_cleared: bool = False
    ) -> AppResponse:
        """The user closed a modal that has `notify_on_close`."""
        view_dict = self._view(view)
        payload = {
            "type": "view_closed",
            "team": self._team(),
            "user": self._user(user_id),
            "api_app_id": self.api_app_id,
            "token": self.verification_token,
            "view": view_dict,
            "is_cleared": is_cleared,
            "is_enterprise_install": False,
            "enterprise": None,
        }
        return self._post_payload(payload)

    def event(
        self,
        event: Mapping[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str | None = None,
    ) -> AppResponse:
        """An Events API `event_callback`. Slack redelivers with the same `event_id` and
        `retry_num` 1, 2, 3 (headers X-Slack-Retry-Num / X-Slack-Retry-Reason)."""
        inner = _copy(dict(event))
        inner.setdefault("event_ts", f"{time.time():.6f}")
        envelope = {
            "token": self.verification_token,
            "team_id": self.team_id,
            "context_team_id": self.team_id,
            "context_enterprise_id": None,
            "api_app_id": self.api_app_id,
            "event": inner,
            "type": "event_callback",
            "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}",
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": self.team_id,
                    "user_id": BOT_USER_ID,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": f"4-{uuid.uuid4().hex}",
        }
        headers: dict[str, str] = {}
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = retry_reason or "http_timeout"
        self.last_payload = envelope
        return self.post(json.dumps(envelope).encode(), "application/json", headers=headers)

    def app_home_opened(self, user_id: str, *, tab: str = "home") -> AppResponse:
        """The user opened the app's Home tab."""
        channel = self.stand_in.dm_channel(user_id) if self.stand_in is not None else "D0001"
        event = {"type": "app_home_opened", "user": user_id, "channel": channel, "tab": tab}
        if self.stand_in is not None and user_id in self.stand_in.home_views:
            event["view"] = _copy(self.stand_in.home_views[user_id])
        return self.event(event)

    def url_verification(self, challenge: str = "stand-in-challenge") -> AppResponse:
        """The handshake Slack sends when the request URL is saved."""
        body = {
            "token": self.verification_token,
            "challenge": challenge,
            "type": "url_verification",
        }
        return self.post(json.dumps(body).encode(), "application/json")
