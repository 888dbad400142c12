"""Teams users ↔ register people, and the conversation references the bot writes to.

A Teams user is matched to the register by e-mail: the Bot Connector's member lookup
(`GET {serviceUrl}/v3/conversations/{id}/members/{userId}`) gives `email` (or, failing that,
`userPrincipalName`), and the person's Teams id is stored on their row beside the Slack id.
Every activity's conversation (id, serviceUrl, tenant) is stored, so reminders and cards reach
people — and summaries reach channels — without being spoken to first.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import select

from bot import people
from bot.chat.conversation import Someone, claimed
from bot.delivery import DeliveryError
from handlers.teams.connector import Connector
from storage.engine import read_session, write_session
from storage.models import Person, TeamsConversation

log = logging.getLogger(__name__)

SURFACE = "teams"
UNKNOWN_RECHECK = 60.0


def _kind(activity: dict[str, Any]) -> str:
    conversation = activity.get("conversation") or {}
    return str(conversation.get("conversationType") or "personal")


def _tenant(activity: dict[str, Any]) -> str | None:
    tenant = ((activity.get("channelData") or {}).get("tenant") or {}).get("id")
    tenant = tenant or (activity.get("conversation") or {}).get("tenantId")
    return str(tenant) if tenant else None


class TeamsPeople:
    def __init__(self, engine: Engine, connector: Connector, clock: Callable[[], datetime]) -> None:
        self.engine, self.connector, self.clock = engine, connector, clock
        self._lock = threading.Lock()
        self._people: dict[str, tuple[Someone, float]] = {}
        self._in_teams: set[str] = set()  # people whose row already says they use Teams

    # -- conversation references -------------------------------------------------------------

    def remember(self, activity: dict[str, Any]) -> None:
        """Store where this activity came from, written only when it changed.

        Bot Framework may move a conversation to another service URL at any activity, and a
        bot must write to the latest one. The stored reference is read back each time, not
        remembered by this process: another replica may have recorded a move since (A → B),
        and a move back (B → A) must then be written here too.
        """
        conversation = str((activity.get("conversation") or {}).get("id") or "")
        service_url = str(activity.get("serviceUrl") or "")
        if not conversation or not service_url:
            return
        kind = _kind(activity)
        user = str((activity.get("from") or {}).get("id") or "") if kind == "personal" else ""
        tenant = _tenant(activity)
        where = TeamsConversation.conversation_id == conversation
        with read_session(self.engine) as session:
            stored = session.exec(select(TeamsConversation).where(where)).first()
        unchanged = stored is not None and (
            (stored.service_url, stored.tenant_id, stored.kind, stored.user_id)
            == (service_url, tenant, kind, user or stored.user_id)
        )
        if unchanged:
            return
        name = ((activity.get("channelData") or {}).get("channel") or {}).get("name")
        with write_session(self.engine) as session:
            row = session.exec(select(TeamsConversation).where(where)).first()
            if row is None:
                row = TeamsConversation(
                    conversation_id=conversation,
                    service_url=service_url,
                    kind=kind,
                    updated_at=self.clock(),
                )
            row.service_url, row.tenant_id, row.kind = service_url, tenant, kind
            if user:
                row.user_id = user
            if name:
                row.name = str(name)[:200]
            row.updated_at = self.clock()
            session.add(row)

    def service_url_of(self, conversation: str) -> str | None:
        with read_session(self.engine) as session:
            row = session.exec(
                select(TeamsConversation).where(TeamsConversation.conversation_id == conversation)
            ).first()
        return row.service_url if row else None

    def personal(self, user_id: str) -> TeamsConversation | None:
        with read_session(self.engine) as session:
            return session.exec(
                select(TeamsConversation).where(
                    TeamsConversation.user_id == user_id, TeamsConversation.kind == "personal"
                )
            ).first()

    def any_service(self) -> tuple[str, str | None] | None:
        """A service URL (and tenant) the bot has heard from, to open a personal chat."""
        with read_session(self.engine) as session:
            row = session.exec(
                select(TeamsConversation).order_by(TeamsConversation.updated_at.desc())  # type: ignore[attr-defined]
            ).first()
        return (row.service_url, row.tenant_id) if row else None

    # -- people ------------------------------------------------------------------------------

    def who(self, activity: dict[str, Any]) -> Someone:
        """The register person behind the activity's sender (`email` None if not in it).

        Who an account is bound to, and whether they are an admin, are read afresh each time
        (one indexed row), so a register import that removes an admin, or an admin's
        rebinding, counts from the next message. Only the answer for an account not in the
        register is kept for a minute, to spare the member lookup.
        """
        sender = activity.get("from") or {}
        user_id = str(sender.get("id") or "")
        fresh = people.bound(self.engine, surface=SURFACE, user_id=user_id)
        if fresh is not None:
            self._use_teams(fresh.email or "")
            return Someone(user_id, fresh.email, fresh.name, fresh.is_admin, surface=SURFACE)
        with self._lock:
            cached = self._people.get(user_id)
        if cached and time.monotonic() - cached[1] < UNKNOWN_RECHECK:
            return cached[0]
        someone = self._resolve(activity, user_id, str(sender.get("name") or "") or None)
        if someone.email is None and someone.refused_as is None:  # not in the register at all
            with self._lock:
                self._people[user_id] = (someone, time.monotonic())
        return someone

    def _resolve(self, activity: dict[str, Any], user_id: str, name: str | None) -> Someone:
        """Look the account up (the Bot Connector's member lookup) and claim the register
        person with its e-mail (`bot.people.claim`): bound if that person has no Teams account
        yet; refused, audited and reported to the admins if they have another one."""
        conversation = str((activity.get("conversation") or {}).get("id") or "")
        try:
            member = self.connector.member(
                str(activity.get("serviceUrl") or ""), conversation, user_id
            )
        except DeliveryError as error:
            log.warning("could not look up a Teams member: %s", error)
            return Someone(user_id, None, name, surface=SURFACE)
        email = str(member.get("email") or member.get("userPrincipalName") or "").strip().lower()
        shown = str(member.get("name") or "") or name
        if not email:
            return Someone(user_id, None, shown, surface=SURFACE)
        found = claimed(
            self.engine,
            surface=SURFACE,
            user_id=user_id,
            email=email,
            display_name=shown,
            now=self.clock(),
        )
        if found.email is not None:
            self._use_teams(found.email)
        return found

    def _use_teams(self, email: str) -> None:
        """The person spoke to the bot in Teams: their messages go there from now on."""
        with self._lock:
            if email in self._in_teams:
                return
        with read_session(self.engine) as session:
            surface = session.exec(select(Person.surface).where(Person.email == email)).first()
        if surface != SURFACE:
            with write_session(self.engine) as session:
                person = session.exec(select(Person).where(Person.email == email)).one()
                person.surface = SURFACE
                session.add(person)
        with self._lock:
            self._in_teams.add(email)

    def user_for(self, email: str) -> str | None:
        with read_session(self.engine) as session:
            return session.exec(select(Person.teams_user_id).where(Person.email == email)).first()

    def email_of(self, user_id: str) -> str | None:
        with read_session(self.engine) as session:
            return session.exec(select(Person.email).where(Person.teams_user_id == user_id)).first()
