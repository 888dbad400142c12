"""The outbox (PRODUCT §6, §9; issue 11): every message the bot must send, one row per key.

`enqueue` inserts rows not there before, so every tick of every process can plan the same
reminders and each is stored once; a *coalesced* row (a card to rewrite, a home page to
refresh) is re-armed instead, with its generation bumped. `claim` hands a process the rows that
are due — `SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL, so several processes never take the
same row — and marks them `sending`; the deliverer then marks each `sent` (with where it went),
`dropped` (no longer useful) or back to `pending` with a later attempt. A coalesced row re-armed
while it was being sent goes back to `pending` when the old generation is marked sent, so the
newest state is always sent last.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any, Protocol, cast

from sqlalchemy import Table, bindparam, case, or_, update
from sqlalchemy import select as sa_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from bot.periods import Period
from bot.reminders import Kind
from storage.engine import is_postgres, plain
from storage.models import Measure, OutboxItem, Person

STALE_CLAIM = timedelta(minutes=5)  # a `sending` row older than this was left by a dead process


class Wanted(Protocol):
    """A row to store: a planned reminder (`bot.reminders.Reminder`) or what a change needs
    (`bot.outbox.Item`)."""

    @property
    def kind(self) -> Kind: ...
    @property
    def key(self) -> str: ...
    @property
    def recipient(self) -> str | None: ...
    @property
    def ref(self) -> str | None: ...
    @property
    def period(self) -> Period | None: ...
    @property
    def due_at(self) -> datetime: ...
    @property
    def expires_at(self) -> datetime | None: ...
    @property
    def deadline(self) -> date | None: ...
    @property
    def working_days_before(self) -> int | None: ...
    @property
    def version(self) -> int | None: ...
    @property
    def on_behalf_of(self) -> str | None: ...


def _row(wanted: Wanted, people: Mapping[str, int], measures: Mapping[str, int]) -> dict[str, Any]:
    return {
        "key": wanted.key,
        "kind": wanted.kind.value,
        "measure_id": measures.get(wanted.ref) if wanted.ref else None,
        "period": wanted.period.label if wanted.period else None,
        "recipient_id": people.get(wanted.recipient) if wanted.recipient else None,
        "due_at": wanted.due_at,
        "expires_at": wanted.expires_at,
        "status": "pending",
        "attempts": 0,
        "deadline": wanted.deadline,
        "working_days_before": wanted.working_days_before,
        "version": wanted.version,
        "on_behalf_of": wanted.on_behalf_of,
        "payload": dict(getattr(wanted, "payload", None) or {}) or None,
        "urgent": bool(getattr(wanted, "urgent", False)),
        "generation": 0,
        "uncertain": False,
    }


# Built once (every decision and submission enqueues): the recipients' and measures' ids, and
# per dialect the two inserts (a plain row skipped if its key is stored; a coalesced one
# re-armed).
_PEOPLE_IDS: Any = sa_select(col(Person.email), col(Person.id)).where(
    col(Person.email).in_(bindparam("emails", expanding=True))
)
_MEASURE_IDS: Any = sa_select(col(Measure.ref), col(Measure.id)).where(
    col(Measure.ref).in_(bindparam("refs", expanding=True))
)


@cache
def _inserts(postgres: bool) -> tuple[Any, Any]:
    dialect = postgresql if postgres else sqlite
    plain = (
        dialect.insert(OutboxItem)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(col(OutboxItem.id))
    )
    insert = dialect.insert(OutboxItem)
    coalesced = insert.on_conflict_do_update(
        index_elements=["key"],
        set_={
            "generation": OutboxItem.generation + 1,
            "status": case((col(OutboxItem.status) == "sending", "sending"), else_="pending"),
            "due_at": insert.excluded.due_at,
            "payload": insert.excluded.payload,
            "next_attempt_at": None,
            "attempts": 0,
            "last_error": None,
        },
    )
    return plain, coalesced


def enqueue(session: Session, wanted: Iterable[Wanted], now: datetime) -> int:
    """Store rows not stored before (by key), and re-arm coalesced ones; returns how many
    rows were added or re-armed. A row for someone not in the register is skipped."""
    items = list(wanted)
    if not items:
        return 0
    # As plain SQL on the session's connection (storage.engine.plain): the ORM's bulk insert
    # around these inserts cost as much as the inserts themselves (they run in every decision
    # and submission, before its acknowledgement).
    emails = sorted({item.recipient for item in items if item.recipient})
    refs = sorted({item.ref for item in items if item.ref})
    people: dict[str, int] = (
        dict(plain(session, _PEOPLE_IDS, {"emails": emails}).all()) if emails else {}
    )
    measures: dict[str, int] = (
        dict(plain(session, _MEASURE_IDS, {"refs": refs}).all()) if refs else {}
    )
    fresh: list[dict[str, Any]] = []
    coalesced: list[dict[str, Any]] = []
    for item in items:
        if item.recipient and item.recipient not in people:
            continue
        (coalesced if getattr(item, "coalesce", False) else fresh).append(
            _row(item, people, measures)
        )
    insert_plain, insert_coalesced = _inserts(is_postgres(session.get_bind()))  # type: ignore[arg-type]
    added = 0
    if fresh:
        added += len(plain(session, insert_plain, fresh).all())
    if coalesced:  # one statement for all of them (executemany)
        plain(session, insert_coalesced, coalesced)
        added += len(coalesced)
    return added


@dataclass(frozen=True)
class Claimed:
    id: int
    key: str
    kind: Kind
    ref: str | None
    period: Period | None
    recipient: str | None
    due_at: datetime
    expires_at: datetime | None
    deadline: date | None
    working_days_before: int | None
    version: int | None
    on_behalf_of: str | None
    attempts: int
    recovered: bool  # taken over from a process that died while sending it
    payload: Mapping[str, Any] | None = None
    generation: int = 0
    uncertain: bool = False  # the last attempt may have arrived: look before sending again
    urgent: bool = False

    @property
    def look_first(self) -> bool:
        """Whether the message may already be there (a crash or an unclear failure)."""
        return self.recovered or self.uncertain


CARD_KINDS = (Kind.CARD.value, Kind.CARD_REFRESH.value)


def _due(now: datetime, urgent_only: bool, held: Collection[str] = ()) -> Any:
    due = or_(
        (col(OutboxItem.status) == "pending")
        & (col(OutboxItem.due_at) <= now)
        & or_(col(OutboxItem.next_attempt_at).is_(None), col(OutboxItem.next_attempt_at) <= now),
        (col(OutboxItem.status) == "sending") & (col(OutboxItem.claimed_at) <= now - STALE_CLAIM),
    )
    if held:  # rows this process holds back for now (home pages it has just sent)
        due = col(OutboxItem.key).not_in(sorted(held)) & due
    return (col(OutboxItem.urgent).is_(True) & due) if urgent_only else due


_URGENCY = case(
    (col(OutboxItem.kind).in_(CARD_KINDS), 0),
    (col(OutboxItem.kind) == Kind.HOME.value, 2),
    else_=1,
)


def anything_due(
    session: Session,
    *,
    now: datetime,
    urgent_only: bool = False,
    held: Collection[str] = (),
) -> bool:
    """A cheap read before taking the write lock of a claim."""
    found = session.exec(select(OutboxItem.id).where(_due(now, urgent_only, held)).limit(1)).first()
    return found is not None


def claim(
    session: Session,
    *,
    now: datetime,
    worker: str,
    limit: int = 100,
    urgent_only: bool = False,
    held: Collection[str] = (),
) -> list[Claimed]:
    """Take up to `limit` due rows for this worker and mark them `sending`: urgent ones
    first, and of those the cards (a new one, or one rewritten after a click) before other
    messages, and home pages last — a home page re-armed while it waits is sent once, and
    a burst of clicks does not keep the cards waiting behind pages nobody may be looking at."""
    query = (
        select(OutboxItem)
        .where(_due(now, urgent_only, held))
        .order_by(
            col(OutboxItem.urgent).desc(),
            _URGENCY,
            col(OutboxItem.due_at),
            col(OutboxItem.id),
        )
        .limit(limit)
    )
    if is_postgres(session.get_bind()):  # type: ignore[arg-type]
        query = query.with_for_update(skip_locked=True)
    rows = list(session.exec(query))
    if not rows:
        return []
    person_ids = {row.recipient_id for row in rows if row.recipient_id}
    measure_ids = {row.measure_id for row in rows if row.measure_id}
    emails = dict(
        session.execute(select(Person.id, Person.email).where(col(Person.id).in_(person_ids))).all()
    )
    refs = dict(
        session.execute(
            select(Measure.id, Measure.ref).where(col(Measure.id).in_(measure_ids))
        ).all()
    )
    claimed = []
    for row in rows:
        assert row.id is not None
        claimed.append(
            Claimed(
                id=row.id,
                key=row.key,
                kind=Kind(row.kind),
                ref=refs.get(row.measure_id) if row.measure_id else None,
                period=Period.parse(row.period) if row.period else None,
                recipient=emails.get(row.recipient_id) if row.recipient_id else None,
                due_at=row.due_at,
                expires_at=row.expires_at,
                deadline=row.deadline,
                working_days_before=row.working_days_before,
                version=row.version,
                on_behalf_of=row.on_behalf_of,
                attempts=row.attempts,
                recovered=row.status == "sending",
                payload=row.payload,
                generation=row.generation,
                uncertain=row.uncertain,
                urgent=row.urgent,
            )
        )
    session.execute(
        update(OutboxItem)
        .where(col(OutboxItem.id).in_([c.id for c in claimed]))
        .values(
            status="sending", claimed_by=worker, claimed_at=now, attempts=OutboxItem.attempts + 1
        )
    )
    return claimed


def still_mine(session: Session, item_id: int, *, worker: str, now: datetime) -> bool:
    """Renew `worker`'s claim on a row it is about to send. False when another process took
    the row over meanwhile (this one was so slow that its claim looked stale): then it must
    not be sent from here."""
    renewed = session.execute(
        update(OutboxItem)
        .where(
            col(OutboxItem.id) == item_id,
            col(OutboxItem.status) == "sending",
            col(OutboxItem.claimed_by) == worker,
        )
        .values(claimed_at=now)
        .returning(col(OutboxItem.id))
    )
    return renewed.first() is not None


def mark_sent(
    session: Session,
    item_id: int,
    *,
    channel: str | None,
    ts: str | None,
    now: datetime,
    generation: int = 0,
    surface: str | None = None,
) -> None:
    """Done — unless the row was re-armed meanwhile (a newer generation): then it goes back
    to the queue, to send the newer state."""
    session.execute(
        update(OutboxItem)
        .where(col(OutboxItem.id) == item_id)
        .values(
            status=case((col(OutboxItem.generation) == generation, "sent"), else_="pending"),
            channel=channel,
            message_ts=ts,
            sent_at=now,
            last_error=None,
            uncertain=False,
            surface=surface,
        )
    )


@dataclass(frozen=True)
class SentMark:
    """A row delivered, to record (see `mark_sent`)."""

    id: int
    channel: str | None
    ts: str | None
    surface: str | None
    generation: int = 0


_OUTBOX = cast(Table, OutboxItem.__table__)  # type: ignore[attr-defined]
_SENT_MANY = (  # built once: the same statement for every batch
    update(_OUTBOX)
    .where(_OUTBOX.c.id == bindparam("item_id"))
    .values(
        status=case(
            (_OUTBOX.c.generation == bindparam("item_generation"), "sent"), else_="pending"
        ),
        channel=bindparam("item_channel"),
        message_ts=bindparam("item_ts"),
        sent_at=bindparam("item_sent_at"),
        last_error=None,
        uncertain=False,
        surface=bindparam("item_surface"),
    )
)


def mark_sent_many(session: Session, marks: Iterable[SentMark], *, now: datetime) -> None:
    """`mark_sent` for several rows, in one statement executed for each (executemany)."""
    rows = [
        {
            "item_id": mark.id,
            "item_generation": mark.generation,
            "item_channel": mark.channel,
            "item_ts": mark.ts,
            "item_sent_at": now,
            "item_surface": mark.surface,
        }
        for mark in marks
    ]
    if rows:
        session.connection().execute(_SENT_MANY, rows)


def mark_dropped(session: Session, item_id: int, *, reason: str) -> None:
    session.execute(
        update(OutboxItem)
        .where(col(OutboxItem.id) == item_id)
        .values(status="dropped", last_error=reason, claimed_by=None)
    )


def mark_retry(
    session: Session, item_id: int, *, error: str, at: datetime, uncertain: bool = False
) -> None:
    """Back to the queue: it will be tried again at `at` (and reported until it goes).
    `uncertain`: the message may have arrived, so the next attempt looks for it first."""
    session.execute(
        update(OutboxItem)
        .where(col(OutboxItem.id) == item_id)
        .values(
            status="pending",
            last_error=error[:500],
            next_attempt_at=at,
            claimed_by=None,
            uncertain=uncertain,
        )
    )


@dataclass(frozen=True, slots=True)
class Failing:
    """A message still being retried, as the admins' digest needs it."""

    key: str
    to: str  # the recipient's e-mail
    surface: str | None  # the chat they last used ("slack", "teams"), if any yet
    due_at: datetime  # when it was due to go
    error: str  # the last attempt's error


def undelivered(session: Session, now: datetime) -> list[Failing]:
    """Messages still failing, oldest first: for the digest.

    A failed row whose next attempt has come is claimed (`sending`) in the same batch as
    the digest, and still counts until it is delivered.
    """
    rows = session.execute(
        sa_select(
            col(OutboxItem.key),
            col(Person.email),
            col(Person.surface),
            col(OutboxItem.due_at),
            col(OutboxItem.last_error),
        )
        .join(Person, col(Person.id) == col(OutboxItem.recipient_id))
        .where(
            col(OutboxItem.status).in_(["pending", "sending"]),
            col(OutboxItem.last_error).is_not(None),
            col(OutboxItem.due_at) <= now,
        )
        .order_by(col(OutboxItem.due_at), col(OutboxItem.key))
    )
    return [
        Failing(key, email, surface, due_at, error or "")
        for key, email, surface, due_at, error in rows.all()
    ]


def sent_keys(session: Session, keys: Iterable[str]) -> set[str]:
    wanted = sorted(set(keys))
    if not wanted:
        return set()
    return set(
        session.exec(
            select(OutboxItem.key).where(
                col(OutboxItem.key).in_(wanted), col(OutboxItem.status).in_(["sent", "dropped"])
            )
        )
    )
