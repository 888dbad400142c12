"""The append-only, hash-chained audit trail (PRODUCT §9, seed 002 §13).

Each event's hash covers its contents and the previous event's hash, and events are numbered
1, 2, 3, … with no gaps, so an edited row breaks its hash, a deleted row leaves a gap, and a
deleted newest row no longer matches `audit_head`, which every append updates in the same
transaction.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert
from sqlmodel import Session, col, select

from storage.engine import is_postgres, read_session
from storage.models import AuditEvent, AuditHead

GENESIS = "0" * 64
EXPORT_COLUMNS = (
    "seq",
    "at",
    "actor",
    "action",
    "entity",
    "entity_key",
    "before",
    "after",
    "prev_hash",
    "hash",
)


def jsonable(value: Any) -> Any:
    """Plain JSON for before/after snapshots: Decimals as exact strings, dates as ISO text."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value else "0"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [jsonable(item) for item in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    return value


_FIELDS = ("seq", "at", "actor", "action", "entity", "entity_key", "before", "after", "prev_hash")


def _digest(event: AuditEvent | dict[str, Any]) -> str:
    """SHA-256 over the event's fields and the previous hash, as canonical JSON."""
    fields = event if isinstance(event, dict) else {name: getattr(event, name) for name in _FIELDS}
    body = [fields[name] for name in _FIELDS]
    body[1] = fields["at"].isoformat()
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_key: str,
    at: datetime,
    before: Any = None,
    after: Any = None,
) -> AuditEvent:
    """Append one event in the caller's transaction (it commits or rolls back with the change)."""
    query = select(AuditHead).where(AuditHead.id == 1)
    if is_postgres(session.get_bind()):  # type: ignore[arg-type]
        query = query.with_for_update()
    head = session.exec(query).one()
    event = AuditEvent(
        seq=head.seq + 1,
        at=at.astimezone(UTC),  # hashed as stored: a local offset would not survive storage
        actor=actor,
        action=action,
        entity=entity,
        entity_key=entity_key,
        before=jsonable(before),
        after=jsonable(after),
        prev_hash=head.hash,
        hash="",
    )
    event.hash = _digest(event)
    head.seq, head.hash = event.seq, event.hash
    session.add(event)
    session.add(head)
    session.flush()
    return event


def record_many(
    session: Session, *, actor: str, at: datetime, events: list[dict[str, Any]]
) -> None:
    """Append many events at once (bulk imports); each dict has action, entity, entity_key,
    before and after. Same chain, one locked read of the head and one bulk insert."""
    if not events:
        return
    query = select(AuditHead).where(AuditHead.id == 1)
    if is_postgres(session.get_bind()):  # type: ignore[arg-type]
        query = query.with_for_update()
    head = session.exec(query).one()
    rows: list[dict[str, Any]] = []
    seq, previous = head.seq, head.hash
    moment = at.astimezone(UTC)
    for item in events:
        seq += 1
        row = {
            "seq": seq,
            "at": moment,
            "actor": actor,
            "action": item["action"],
            "entity": item["entity"],
            "entity_key": item["entity_key"],
            "before": jsonable(item.get("before")),
            "after": jsonable(item.get("after")),
            "prev_hash": previous,
        }
        row["hash"] = previous = _digest(row)
        rows.append(row)
    session.execute(insert(AuditEvent), rows)
    head.seq, head.hash = seq, previous
    session.add(head)
    session.flush()


@dataclass(frozen=True)
class Verification:
    events: int
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def events(engine: Engine, batch: int = 1000) -> Iterator[AuditEvent]:
    """Every event in order, read in batches so a long trail never sits in memory at once."""
    last = 0
    while True:
        with read_session(engine) as session:
            rows = list(
                session.exec(
                    select(AuditEvent)
                    .where(col(AuditEvent.seq) > last)
                    .order_by(col(AuditEvent.seq))
                    .limit(batch)
                )
            )
        if not rows:
            return
        yield from rows
        last = rows[-1].seq


def verify(engine: Engine) -> Verification:
    """Recompute the chain; list every edited, deleted or re-ordered event found."""
    problems: list[str] = []
    expected_seq, previous_hash, count = 1, GENESIS, 0
    for event in events(engine):
        count += 1
        if event.seq != expected_seq:
            missing = (
                f"{expected_seq}"
                if event.seq == expected_seq + 1
                else (f"{expected_seq}–{event.seq - 1}")
            )
            problems.append(f"event {missing} is missing: it was deleted")
        if event.prev_hash != previous_hash:
            problems.append(f"event {event.seq} does not follow the event before it")
        if _digest(event) != event.hash:
            problems.append(f"event {event.seq} ({event.action}) was changed after it was written")
        expected_seq, previous_hash = event.seq + 1, event.hash
    with read_session(engine) as session:
        head = session.get(AuditHead, 1)
    if head is None:
        problems.append("the audit trail's head record is missing")
    elif head.seq != expected_seq - 1 or head.hash != previous_hash:
        problems.append(
            f"the newest event should be number {head.seq}, but the trail ends at "
            f"{expected_seq - 1}: events were deleted from the end"
        )
    return Verification(count, problems)


def export_csv(engine: Engine, out: Path) -> int:
    """Write the whole trail to `out` as CSV; returns the number of events written."""
    count = 0
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(EXPORT_COLUMNS)
        for event in events(engine):
            writer.writerow(
                [
                    event.seq,
                    event.at.isoformat(),
                    event.actor,
                    event.action,
                    event.entity,
                    event.entity_key,
                    "" if event.before is None else json.dumps(event.before, sort_keys=True),
                    "" if event.after is None else json.dumps(event.after, sort_keys=True),
                    event.prev_hash,
                    event.hash,
                ]
            )
            count += 1
    return count
