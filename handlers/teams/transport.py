"""Delivery in Teams: the `Transport` the outbox calls (bot.delivery), over the Bot Connector.

A person is reached in their personal chat with the bot, from the conversation reference
stored when they installed the app or wrote to it; with no such chat but a known Teams id, one
is created (`POST /v3/conversations`, which needs the app installed for them). Someone Teams
cannot reach is "not found", so the delivery loop keeps the row and the admins' digest names
them. Cards are rewritten with `PUT …/activities/{id}`; channel summaries go to the channel's
stored conversation, with the chart as an inline image in a reply.

The Bot Connector cannot read a conversation back, so `find` cannot look for a message a
timeout may have delivered: it answers "not there", and such a message may arrive twice.
"""

from __future__ import annotations

import base64
import logging
import re

from sqlalchemy import Engine

from bot.chat.model import Message
from bot.delivery import NOT_REACHABLE, DeliveryError
from bot.outbox import Ref
from handlers.teams import render
from handlers.teams.connector import Connector
from handlers.teams.people import SURFACE, TeamsPeople

log = logging.getLogger(__name__)

TEAMS_CHANNEL = re.compile(r"^19:[^\s/]+@thread\.[a-z0-9]+$")


class TeamsTransport:
    surface = SURFACE

    def __init__(
        self, engine: Engine, connector: Connector, people: TeamsPeople, *, bot_id: str
    ) -> None:
        self.engine, self.connector, self.people, self.bot_id = engine, connector, people, bot_id

    # -- where a person is -------------------------------------------------------------------

    def reaches(self, email: str) -> bool:
        user = self.people.user_for(email)
        if user is None:
            return False
        return self.people.personal(user) is not None or self.people.any_service() is not None

    def chat_of(self, email: str) -> tuple[str, str]:
        """(service URL, conversation id) of the person's personal chat with the bot."""
        user = self.people.user_for(email)
        if user is None:
            raise DeliveryError(f"{email} is {NOT_REACHABLE} in Teams (never seen there)")
        found = self.people.personal(user)
        if found is not None:
            return found.service_url, found.conversation_id
        known = self.people.any_service()
        if known is None:
            raise DeliveryError(f"{email} is {NOT_REACHABLE} in Teams (no conversation stored)")
        service_url, tenant = known
        conversation = self.connector.create_personal(
            service_url, bot_id=self.bot_id, user_id=user, tenant_id=tenant
        )
        self.people.remember(
            {
                "conversation": {"id": conversation, "conversationType": "personal"},
                "serviceUrl": service_url,
                "from": {"id": user},
                "channelData": {"tenant": {"id": tenant}} if tenant else {},
            }
        )
        return service_url, conversation

    def _service(self, conversation: str) -> str:
        base = conversation.split(";", 1)[0]
        service_url = self.people.service_url_of(base)
        if service_url is None:
            raise DeliveryError(f"no Teams conversation {base} is stored")
        return service_url

    # -- the Transport -----------------------------------------------------------------------

    def post(self, email: str, message: Message, key: str) -> Ref:
        service_url, conversation = self.chat_of(email)
        sent = self.connector.send(service_url, conversation, render.activity(message))
        return Ref(SURFACE, conversation, sent)

    def find(self, email: str, key: str) -> Ref | None:
        return None  # see the module's note: the connector cannot be asked

    def find_in(self, channel: str, key: str, thread: str | None = None) -> Ref | None:
        return None

    def update(self, ref: Ref, message: Message) -> None:
        self.connector.update(
            self._service(ref.channel), ref.channel, ref.ts, render.activity(message)
        )

    def publish_home(self, email: str, home: Message) -> None:
        """Teams has no App Home: the welcome message and `due` stand in for it."""

    def post_to_channel(self, channel: str, message: Message, key: str) -> Ref:
        sent = self.connector.send(self._service(channel), channel, render.activity(message))
        return Ref(SURFACE, channel, sent)

    def reply(self, ref: Ref, message: Message, key: str) -> Ref:
        thread = f"{ref.channel};messageid={ref.ts}"
        sent = self.connector.send(self._service(ref.channel), thread, render.activity(message))
        return Ref(SURFACE, ref.channel, sent)

    def upload_chart(self, ref: Ref, png: bytes, *, name: str, title: str, alt: str) -> None:
        picture = {
            "type": "message",
            "summary": title,
            "attachments": [
                {
                    "contentType": "image/png",
                    "contentUrl": "data:image/png;base64," + base64.b64encode(png).decode(),
                    "name": name,
                }
            ],
        }
        thread = f"{ref.channel};messageid={ref.ts}"
        self.connector.send(self._service(ref.channel), thread, picture)

    def owns(self, channel: str) -> bool:
        return bool(TEAMS_CHANNEL.match(channel.strip()))
