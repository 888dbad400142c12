"""Delivery in Slack: the `Transport` the outbox calls (bot.delivery), over the Web API.

Every message the outbox sends carries its key in Slack message metadata, so after a crash or
a timeout the bot can ask the conversation whether it already arrived rather than send it
twice. Slack's answers become `DeliveryError`s the delivery loop understands: a rate limit
with its `Retry-After`; a refusal (`ok: false`) that is final for this attempt; or an unclear
outcome (a timeout, a dropped connection, a 5xx) after which the message is looked for first.
A direct-message channel, once opened, is kept on the person's row, so `conversations.open`
(a rate-limited method) is called once per person, not once per message.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine, bindparam
from sqlmodel import col, select

from bot.chat.channels import SLACK_CHANNEL
from bot.chat.model import Message
from bot.delivery import DeliveryError
from bot.outbox import Ref
from handlers.slack import render
from handlers.slack.context import Directory
from storage.engine import plain, read_session, write_session
from storage.models import Person

log = logging.getLogger(__name__)

# built once: every direct message asks
_DM_CHANNEL = select(col(Person.slack_dm_channel)).where(col(Person.email) == bindparam("email"))

SURFACE = "slack"
METADATA_TYPE = "pmf_message"
HISTORY_LIMIT = 100


class SlackTransport:
    """Sends, finds and updates messages in Slack for the outbox and the summaries."""

    surface = SURFACE

    def __init__(
        self, engine: Engine, client: WebClient, directory: Directory, *, as_given: bool = False
    ) -> None:
        self.engine, self.directory = engine, directory
        # Its own client, without the SDK's automatic retries: rate limits and failures come
        # back to the delivery loop, which owns the retrying (and looks before re-sending).
        self.client = (
            client
            if as_given
            else WebClient(
                token=client.token, base_url=client.base_url, timeout=10, retry_handlers=[]
            )
        )

    # -- people -------------------------------------------------------------------------------

    def reaches(self, email: str) -> bool:
        return self.directory.user_for(email) is not None

    def _user(self, email: str) -> str:
        user_id = self.directory.user_for(email)
        if user_id is None:
            raise DeliveryError(f"{email} is not found in Slack")
        return user_id

    def dm_channel(self, email: str) -> str:
        """The person's direct-message channel with the bot: stored once opened."""
        with read_session(self.engine) as session:
            stored_channel = plain(session, _DM_CHANNEL, {"email": email}).scalars().first()
        if stored_channel:
            return stored_channel
        user_id = self._user(email)
        answer = self._call("conversations_open", users=user_id)
        channel = str(answer["channel"]["id"])
        with write_session(self.engine) as session:
            stored = session.exec(select(Person).where(Person.email == email)).first()
            if stored is not None:
                stored.slack_dm_channel = channel
                session.add(stored)
        return channel

    # -- the Web API, with Slack's answers turned into DeliveryErrors --------------------------

    def _call(self, method: str, **arguments: Any) -> Any:
        try:
            return getattr(self.client, method)(**arguments)
        except SlackApiError as error:
            response = error.response
            status = int(getattr(response, "status_code", 200) or 200)
            headers = getattr(response, "headers", None) or {}
            if status == 429:
                wait = headers.get("Retry-After", headers.get("retry-after", 1))
                raise DeliveryError("rate limited", retry_after=float(wait)) from None
            reason = response.get("error") if response else ""
            if status == 200:  # `ok: false`: Slack's own error code says why
                raise DeliveryError(str(reason or "refused")) from None
            raise DeliveryError(
                f"Slack answered {status}: {reason}", uncertain=status >= 500
            ) from None
        except Exception as error:
            # A refused connection reached nobody; a timeout or a dropped connection may have
            # delivered it all the same.
            refused = isinstance(error, ConnectionRefusedError) or isinstance(
                getattr(error, "reason", None), ConnectionRefusedError
            )
            raise DeliveryError(
                f"network error: {type(error).__name__}: {error}", uncertain=not refused
            ) from None

    @staticmethod
    def _metadata(key: str) -> dict[str, Any]:
        return {"event_type": METADATA_TYPE, "event_payload": {"key": key}}

    def _post(self, channel: str, message: Message, key: str, thread: str | None = None) -> Ref:
        words, blocks = render.message(message)
        answer = self._call(
            "chat_postMessage",
            channel=channel,
            text=words,
            blocks=blocks,
            thread_ts=thread,
            metadata=self._metadata(key),
        )
        return Ref(SURFACE, str(answer["channel"]), str(answer["ts"]))

    def _search(self, messages: Any, channel: str, key: str) -> Ref | None:
        for found in messages or []:
            payload = (found.get("metadata") or {}).get("event_payload") or {}
            if payload.get("key") == key:
                return Ref(SURFACE, channel, str(found["ts"]))
        return None

    # -- the Transport -----------------------------------------------------------------------

    def post(self, email: str, message: Message, key: str) -> Ref:
        return self._post(self.dm_channel(email), message, key)

    def find(self, email: str, key: str) -> Ref | None:
        return self.find_in(self.dm_channel(email), key)

    def find_in(self, channel: str, key: str, thread: str | None = None) -> Ref | None:
        try:
            if thread is None:
                answer = self._call(
                    "conversations_history",
                    channel=channel,
                    limit=HISTORY_LIMIT,
                    include_all_metadata=True,
                )
            else:
                answer = self._call(
                    "conversations_replies",
                    channel=channel,
                    ts=thread,
                    limit=HISTORY_LIMIT,
                    include_all_metadata=True,
                )
        except DeliveryError as error:
            if error.retry_after is not None:
                raise
            # Not knowing must not look like "not there": the caller retries later.
            raise DeliveryError(f"could not check whether {key} arrived: {error}") from None
        return self._search(answer.get("messages"), str(answer.get("channel") or channel), key)

    def update(self, ref: Ref, message: Message) -> None:
        words, blocks = render.message(message)
        self._call("chat_update", channel=ref.channel, ts=ref.ts, text=words, blocks=blocks)

    def publish_home(self, email: str, home: Message) -> None:
        self._call("views_publish", user_id=self._user(email), view=render.home(home))

    def post_to_channel(self, channel: str, message: Message, key: str) -> Ref:
        return self._post(channel, message, key)

    def reply(self, ref: Ref, message: Message, key: str) -> Ref:
        return self._post(ref.channel, message, key, thread=ref.ts)

    def upload_chart(self, ref: Ref, png: bytes, *, name: str, title: str, alt: str) -> None:
        try:
            self.client.files_upload_v2(
                channel=ref.channel,
                thread_ts=ref.ts,
                content=png,
                filename=name,
                title=title,
                alt_txt=alt,
            )
        except Exception as error:
            raise DeliveryError(f"the chart could not be uploaded: {error}") from None

    def owns(self, channel: str) -> bool:
        return bool(SLACK_CHANNEL.match(channel.strip()))
