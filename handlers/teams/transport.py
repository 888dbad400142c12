"""Delivery in Teams: the `Transport` the outbox calls (bot.delivery), over the Bot Connector.

A person is reached in their personal chat with the bot, from the conversation reference
stored when they installed the app or wrote to it; with no such chat but a known Teams id, one
is created (`POST /v3/conversations`, which needs the app installed for them). Someone Teams
cannot reach is "not found", so the delivery loop keeps the row and the admins' digest names
them. Cards are rewritten with `PUT …/activities/{id}`. Summaries go to the register's Teams
channels (`19:…@thread.tacv2`, bot.chat.channels) as new posts, the exception reports and the
chart (an inline image) as replies in the post's thread.

The Bot Connector cannot read a conversation back, so `find` cannot look for a message a
timeout may have delivered: it answers "not there", and such a message may arrive twice.
"""

from __future__ import annotations

import base64
import io
import logging

from sqlalchemy import Engine

from bot.chat.channels import TEAMS_CHANNEL
from bot.chat.model import Message
from bot.delivery import NOT_REACHABLE, DeliveryError
from bot.outbox import Ref
from handlers.teams import render
from handlers.teams.connector import Connector
from handlers.teams.people import SURFACE, TeamsPeople

log = logging.getLogger(__name__)


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
        """The service URL for a conversation: the one stored with it; for a channel never
        heard from (a team's other channels send nothing when the app is added), the
        council's own — Teams gives one service URL per tenant and region."""
        base = conversation.split(";", 1)[0]
        service_url = self.people.service_url_of(base)
        if service_url is None and TEAMS_CHANNEL.match(base):
            known = self.people.any_service()
            service_url = known[0] if known else None
        if service_url is None:
            raise DeliveryError(
                f"no Teams conversation {base} is stored: add the app to that channel's team"
            )
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
        png = fit_picture(png)
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


MAX_PICTURE_SIDE = 1024  # Teams shows inline images up to 1024×1024 pixels …
MAX_PICTURE_BYTES = 1024 * 1024  # … and 1 MB


def fit_picture(png: bytes) -> bytes:
    """The PNG as Teams accepts it inline: scaled down (never up) to fit 1024×1024, and
    smaller still, in steps, until it is under 1 MB."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as picture:
        width, height = picture.size
        scale = min(1.0, MAX_PICTURE_SIDE / max(width, height))
        if scale == 1.0 and len(png) <= MAX_PICTURE_BYTES:
            return png
        picture.load()
        source = picture.copy()
    while True:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        out = io.BytesIO()
        source.resize(size, Image.Resampling.LANCZOS).save(out, format="PNG", optimize=True)
        if out.tell() <= MAX_PICTURE_BYTES or scale < 0.1:
            return out.getvalue()
        scale *= 0.8
