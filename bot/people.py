"""Register people and their chat accounts (PRODUCT §1; issue 9: identity rebinding).

People are named by e-mail in the register. The first chat account a surface shows us with a
person's e-mail — Slack's own `users.lookupByEmail` answer, or the profile of someone who talks
to the bot — is bound to that person. From then on, another account claiming the same e-mail
(a second Slack account whose profile says `Jane.Doe@…`, say) is *refused*: it acts as nobody,
is told plainly to ask the PMF admin, and the admins are told through the durable outbox, with
an audit event. Moving a person to another account is an admin's act (`pmf-bot people
rebind`), audited.

Chat-neutral: each surface names its own account column (`SURFACES`); a Teams id column joins
beside Slack's without changing the rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Engine, bindparam
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from bot import outbox
from storage import audit, outbox_store
from storage.engine import is_postgres, plain, read_session, write_session
from storage.models import Measure, Person

SURFACES = {"slack": "slack_user_id", "teams": "teams_user_id"}  # its account column on `person`
SURFACE_NAMES = {"slack": "Slack", "teams": "Teams"}


class PeopleProblem(ValueError):
    """Something about a rebinding the admin can fix; the message says what."""


@dataclass(frozen=True)
class Identity:
    """Who a chat account is: a register person (`email` set), nobody, or refused — an
    account claiming the e-mail of `refused_as` (their name), who is bound to another one."""

    user_id: str
    email: str | None
    name: str | None
    is_admin: bool = False
    refused_as: str | None = None


def _column(surface: str) -> Any:
    try:
        return getattr(Person, SURFACES[surface])
    except KeyError:
        raise ValueError(f"unknown chat surface {surface!r}") from None


def _account(person: Person, surface: str) -> str | None:
    value = getattr(person, SURFACES[surface])
    return str(value) if value else None


def bound(engine: Engine, *, surface: str, user_id: str) -> Identity | None:
    """The register person this account is bound to, read now (admin rights included)."""
    if not user_id:
        return None
    with read_session(engine) as session:
        person = plain(session, _bound(surface), {"user_id": user_id}).first()
    if person is None:
        return None
    return Identity(user_id, person.email, person.name, person.is_admin)


@cache
def _bound(surface: str) -> Any:
    """Who an account is, as a plain row (built once per surface: every request asks)."""
    return sa_select(col(Person.email), col(Person.name), col(Person.is_admin)).where(
        _column(surface) == bindparam("user_id")
    )


def _locked_person(session: Session, email: str) -> Person | None:
    query = select(Person).where(Person.email == email.strip().lower())
    if is_postgres(session.get_bind()):  # type: ignore[arg-type]
        query = query.with_for_update()
    return session.exec(query).first()


def claim(
    engine: Engine,
    *,
    surface: str,
    user_id: str,
    email: str,
    display_name: str | None,
    now: datetime,
) -> Identity:
    """An account not bound to anyone says (in its chat profile) that its e-mail is `email`.

    Bound to the register person with that e-mail (compared case-insensitively) when that
    person has no account on this surface yet. When they already have another one, refused:
    the account acts as nobody, an audit event records the attempt and each admin gets one
    notice about this account through the outbox.
    """
    with write_session(engine) as session:
        person = _locked_person(session, email)
        if person is None:
            return Identity(user_id, None, display_name)
        current = _account(person, surface)
        if current is None or current == user_id:
            setattr(person, SURFACES[surface], user_id)
            if surface == "slack":
                person.slack_checked_at = now
            session.add(person)
            return Identity(user_id, person.email, person.name, person.is_admin)
        account = f"{surface}:{user_id}"
        audit.record(
            session,
            actor=account,
            action="person.bind_refused",
            entity="person",
            entity_key=person.email,
            at=now,
            before={"account": current},
            after={"claimed_by": user_id, "profile_name": display_name},
        )
        admins = list(session.exec(select(Person.email).where(col(Person.is_admin).is_(True))))
        outbox_store.enqueue(
            session,
            [
                outbox.identity_refused(
                    surface=surface,
                    user_id=user_id,
                    claimed=person.email,
                    profile_name=display_name,
                    to=admin,
                    now=now,
                )
                for admin in admins
            ],
            now,
        )
        refused = Identity(user_id, None, display_name, refused_as=person.name)
    outbox.committed(engine)
    return refused


def found_by_surface(
    engine: Engine, *, surface: str, email: str, user_id: str | None, now: datetime
) -> str | None:
    """The surface's own directory answered for `email` (Slack's `users.lookupByEmail`): bind
    that account unless the person already has one, which wins. Returns the bound account."""
    with write_session(engine) as session:
        person = _locked_person(session, email)
        if person is None:
            return None
        current = _account(person, surface)
        if current is None and user_id is not None:
            taken = session.exec(
                select(Person.email).where(_column(surface) == user_id, Person.id != person.id)
            ).first()
            if taken is None:
                setattr(person, SURFACES[surface], user_id)
                current = user_id
        if surface == "slack":
            person.slack_checked_at = now
        session.add(person)
        return current


@dataclass(frozen=True)
class PersonRow:
    """One line of `pmf-bot people list`."""

    email: str
    name: str
    roles: tuple[str, ...]
    accounts: dict[str, str | None]


def everyone(engine: Engine) -> list[PersonRow]:
    """Every register person with their roles and bound chat accounts, by name."""
    with read_session(engine) as session:
        people = list(session.exec(select(Person).order_by(col(Person.name), col(Person.email))))
        measures = list(session.exec(select(Measure).where(col(Measure.active).is_(True))))
    roles: dict[int, list[str]] = {}
    for measure in measures:
        for person_id, role in (
            (measure.collector_id, "collector"),
            (measure.cover_id, "cover"),
            (measure.reviewer_id, "reviewer"),
            (measure.head_of_service_id, "head of service"),
        ):
            if person_id is not None and role not in roles.setdefault(person_id, []):
                roles[person_id].append(role)
    order = ["admin", "collector", "cover", "reviewer", "head of service"]
    rows = []
    for person in people:
        assert person.id is not None
        found = roles.get(person.id, []) + (["admin"] if person.is_admin else [])
        rows.append(
            PersonRow(
                person.email,
                person.name,
                tuple(sorted(found, key=order.index)),
                {surface: _account(person, surface) for surface in SURFACES},
            )
        )
    return rows


@dataclass(frozen=True)
class Rebound:
    name: str
    surface: str
    user_id: str
    before: str | None  # the account the person had
    taken_from: str | None  # the name of the person the account was bound to, if anyone


def rebind(
    engine: Engine, *, email: str, surface: str, user_id: str, by: str, now: datetime
) -> Rebound:
    """An admin binds a register person to a chat account (a new Slack account, say), audited.
    The account's earlier binding to someone else, if any, is removed in the same change."""
    user_id = user_id.strip()
    if not user_id:
        raise PeopleProblem(
            "Say which account: --slack-user with the Slack member id (U…), or --teams-user "
            "with the Teams account id (29:…)."
        )
    wanted = email.strip().lower()
    actor = by.strip().lower()
    with write_session(engine) as session:
        admin = session.exec(select(Person).where(Person.email == actor)).first()
        if admin is None or not admin.is_admin:
            raise PeopleProblem(
                f"{by.strip()} is not an admin in the register, so cannot rebind accounts: "
                "--by must name an admin (the register's admins list)."
            )
        person = _locked_person(session, wanted)
        if person is None:
            raise PeopleProblem(
                f"Nobody in the register has the e-mail {email.strip()}; "
                "'pmf-bot people list' shows everyone."
            )
        before = _account(person, surface)
        holder = session.exec(
            select(Person).where(_column(surface) == user_id, Person.id != person.id)
        ).first()
        taken_from = None
        if holder is not None:
            taken_from = holder.name
            setattr(holder, SURFACES[surface], None)
            session.add(holder)
            session.flush()
            audit.record(
                session,
                actor=actor,
                action="person.unbind",
                entity="person",
                entity_key=holder.email,
                at=now,
                before={"account": f"{surface}:{user_id}"},
                after={"account": None, "moved_to": person.email},
            )
        setattr(person, SURFACES[surface], user_id)
        if surface == "slack":
            person.slack_checked_at = now
            person.slack_dm_channel = None  # the new account has its own conversation
        session.add(person)
        audit.record(
            session,
            actor=actor,
            action="person.rebind",
            entity="person",
            entity_key=person.email,
            at=now,
            before={"account": f"{surface}:{before}" if before else None},
            after={"account": f"{surface}:{user_id}"},
        )
        return Rebound(person.name, surface, user_id, before, taken_from)
