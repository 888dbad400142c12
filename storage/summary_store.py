"""The summary outbox: each draft and each channel post is a row with a unique key, claimed
with `SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL, so it goes once whatever the number of
processes."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from storage.engine import is_postgres, plain
from storage.models import AuditEvent, PublishedFigures, SummaryPost

STALE_CLAIM = timedelta(minutes=5)


@dataclass(frozen=True)
class Due:
    key: str
    kind: str  # draft | post
    quarter: str
    target: str  # "#channel" / channel id, or an admin's e-mail
    scope: str | None  # a priority code, or None for the whole council
    due_at: datetime


@dataclass(frozen=True)
class Claimed:
    id: int
    key: str
    kind: str
    quarter: str
    target: str
    recovered: bool
    uncertain: bool = False  # tried before: it may have arrived, so look before posting
    attempt: int = 1  # the row's attempts once claimed: its claim, until another takes it over

    @property
    def scope(self) -> str | None:
        """The priority code a channel post is for; None for the whole council or a draft."""
        last = self.key.rsplit("|", 1)[-1]
        return None if self.kind != "post" or last == "ALL" else last


def enqueue(session: Session, due: Iterable[Due]) -> int:
    rows = [
        {
            "key": d.key,
            "kind": d.kind,
            "quarter": d.quarter,
            "target": d.target,
            "due_at": d.due_at,
            "status": "pending",
            "attempts": 0,
            "thread_ts": [],
        }
        for d in due
    ]
    if not rows:
        return 0
    dialect = postgresql if is_postgres(session.get_bind()) else sqlite  # type: ignore[arg-type]
    statement = dialect.insert(SummaryPost).on_conflict_do_nothing(index_elements=["key"])
    return len(session.execute(statement.returning(col(SummaryPost.id)), rows).all())


def claim(session: Session, *, now: datetime, limit: int = 20) -> list[Claimed]:
    due = or_(
        (col(SummaryPost.status) == "pending")
        & (col(SummaryPost.due_at) <= now)
        & or_(col(SummaryPost.next_attempt_at).is_(None), col(SummaryPost.next_attempt_at) <= now),
        (col(SummaryPost.status) == "sending") & (col(SummaryPost.claimed_at) <= now - STALE_CLAIM),
    )
    query = select(SummaryPost).where(due).order_by(col(SummaryPost.id)).limit(limit)
    if is_postgres(session.get_bind()):  # type: ignore[arg-type]
        query = query.with_for_update(skip_locked=True)
    rows = list(session.exec(query))
    claimed = [
        Claimed(
            row.id,
            row.key,
            row.kind,
            row.quarter,
            row.target,
            row.status == "sending",
            row.attempts > 0,
            row.attempts + 1,
        )
        for row in rows
        if row.id is not None
    ]
    if claimed:
        session.execute(
            update(SummaryPost)
            .where(col(SummaryPost.id).in_([c.id for c in claimed]))
            .values(status="sending", claimed_at=now, attempts=SummaryPost.attempts + 1)
        )
    return claimed


def _ours(post_id: int, attempt: int | None) -> Any:
    """The row, while the claim that gave `attempt` still holds it (None: whoever holds it)."""
    mine = col(SummaryPost.id) == post_id
    if attempt is None:
        return mine
    return mine & (col(SummaryPost.status) == "sending") & (col(SummaryPost.attempts) == attempt)


def still_mine(session: Session, claimed: Claimed) -> bool:
    """Whether `claimed` is still this process's: not taken over by another process that found
    the claim stale (a slow process must then leave it, or it would be posted twice)."""
    return (
        session.exec(select(SummaryPost.id).where(_ours(claimed.id, claimed.attempt))).first()
        is not None
    )


def mark_sent(
    session: Session,
    post_id: int,
    *,
    channel: str,
    ts: str,
    thread: list[str],
    now: datetime,
    surface: str = "slack",
    attempt: int | None = None,
) -> bool:
    """Record the post as sent; with `attempt`, only while that claim holds the row. Returns
    whether it was recorded (False: another process took it over and records it)."""
    done = session.execute(
        update(SummaryPost)
        .where(_ours(post_id, attempt))
        .values(
            status="sent",
            channel=channel,
            message_ts=ts,
            thread_ts=thread,
            posted_at=now,
            last_error=None,
            surface=surface,
        )
    )
    return bool(done.rowcount)  # type: ignore[attr-defined]


def mark_retry(
    session: Session, post_id: int, *, error: str, at: datetime, attempt: int | None = None
) -> None:
    """Back to pending, to try again at `at`; with `attempt`, only while that claim holds it."""
    session.execute(
        update(SummaryPost)
        .where(_ours(post_id, attempt))
        .values(status="pending", last_error=error[:500], next_attempt_at=at)
    )


# built once: every approval asks both
_POSTED_FOR = select(SummaryPost).where(
    col(SummaryPost.quarter) == bindparam("quarter"),
    col(SummaryPost.kind) == "post",
    col(SummaryPost.status) == "sent",
    col(SummaryPost.message_ts).is_not(None),
)
_BEING_POSTED = select(col(SummaryPost.id)).where(
    col(SummaryPost.quarter) == bindparam("quarter"),
    col(SummaryPost.kind) == "post",
    col(SummaryPost.status) == "sending",
)


def posted_for(session: Session, quarter: str) -> list[SummaryPost]:
    """Channel posts already made for `quarter` (to correct after a late approval)."""
    return list(session.exec(_POSTED_FOR, params={"quarter": quarter}))


def being_posted(session: Session, quarter: str) -> bool:
    """Whether a channel post for `quarter` is claimed and being posted now: it may show
    figures read before a change that has just been made, and is not yet there to correct."""
    return plain(session, _BEING_POSTED, {"quarter": quarter}).first() is not None


def record_manual_post(
    session: Session,
    *,
    quarter: str,
    target: str,
    channel: str,
    ts: str,
    thread: list[str],
    now: datetime,
    by: str,
    surface: str = "slack",
) -> None:
    """A summary an admin posted by hand is remembered too, so late approvals correct it."""
    session.add(
        SummaryPost(
            key=f"manual|{quarter}|{channel}|{ts}",
            kind="post",
            quarter=quarter,
            target=target,
            due_at=now,
            status="sent",
            channel=channel,
            message_ts=ts,
            thread_ts=thread,
            posted_at=now,
            last_error=f"posted by {by}",
            surface=surface,
        )
    )


# -- published figures (PRODUCT §4) -------------------------------------------------------------


def record_published(
    session: Session,
    *,
    quarter: str,
    rows: list[dict[str, Any]],
    by: str,
    occasion: str,
    at: datetime,
    key: str | None = None,
) -> bool:
    """Keep a quarter's figures as they were published; never changed afterwards. With `key`
    (the scheduled Board-date posts), only the first record under it is kept: a second, from
    another process or a later tick posting the rest of the channels, is nothing (on
    PostgreSQL it waits for the first to commit). Returns whether this one was recorded."""
    values = {
        "key": key,
        "quarter": quarter,
        "published_at": at,
        "published_by": by,
        "occasion": occasion,
        "rows": rows,
    }
    dialect = postgresql if is_postgres(session.get_bind()) else sqlite  # type: ignore[arg-type]
    statement = dialect.insert(PublishedFigures).values(**values)
    if key is not None:
        statement = statement.on_conflict_do_nothing(index_elements=["key"])
    return session.execute(statement.returning(col(PublishedFigures.id))).first() is not None


def latest_published(session: Session, quarter: str) -> PublishedFigures | None:
    return session.exec(
        select(PublishedFigures)
        .where(PublishedFigures.quarter == quarter)
        .order_by(col(PublishedFigures.published_at).desc(), col(PublishedFigures.id).desc())
        .limit(1)
    ).first()


def changes_since(
    session: Session, keys: Collection[str], since: datetime, actions: Collection[str]
) -> list[AuditEvent]:
    """Audit events of these actions on figures ("SE1.1 2025-26 Q1") after `since`, oldest
    first."""
    wanted = sorted(set(keys))
    found: list[AuditEvent] = []
    for start in range(0, len(wanted), 1000):
        found += session.exec(
            select(AuditEvent)
            .where(
                AuditEvent.entity == "value",
                col(AuditEvent.at) > since,
                col(AuditEvent.action).in_(sorted(actions)),
                col(AuditEvent.entity_key).in_(wanted[start : start + 1000]),
            )
            .order_by(col(AuditEvent.seq))
        ).all()
    return found
