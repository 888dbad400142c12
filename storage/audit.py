"""The append-only, hash-chained audit trail (PRODUCT §9, seed 002 §13).

Each event's hash covers its contents and the previous event's hash, and events are numbered
1, 2, 3, … with no gaps, so an edited row breaks its hash, a deleted row leaves a gap, and a
deleted newest row no longer matches `audit_head`, which every append updates in the same
transaction.

An unkeyed chain (SHA-256) cannot stop someone with write access to the database from
re-writing events and re-computing every hash after them, or from cutting the tail off and
rewinding the head. So:

* with `PMF_AUDIT_KEY` set, each hash is an HMAC-SHA256 under that key, which is never stored
  in the database; each event records the id of the key that signed it (`key_id`, derived from
  the key, not the key), so events signed before a rotation stay verifiable with the old key
  (`PMF_AUDIT_KEYS_OLD`), and events written before any key was set stay verifiable unkeyed;
* an anchor — `SEQ:HASH` of the newest event, kept outside the database — pins everything up to
  that event: `verify` with the anchor fails if any of it was changed, re-written or removed.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from functools import cached_property
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, RowMapping
from sqlmodel import Session, col, select

from bot.safe_text import csv_cell
from storage import bulk
from storage.engine import AUDIT_KEYS_OPTION, is_postgres, read_session
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
    "key_id",
)
_KEY_ID_LABEL = b"pmf-bot audit key id"


def key_id(key: bytes) -> str:
    """A short public name for a key: 8 hex characters of an HMAC of a fixed text under it.
    It identifies the key without revealing it."""
    return hmac.new(key, _KEY_ID_LABEL, hashlib.sha256).hexdigest()[:8]


@dataclass(frozen=True, repr=False)
class AuditKeys:
    """`current` signs new events (PMF_AUDIT_KEY); `old` keys only verify the events they
    signed before a rotation (PMF_AUDIT_KEYS_OLD). Never printed."""

    current: bytes | None = None
    old: tuple[bytes, ...] = ()

    @classmethod
    def from_text(cls, current: str | None, old: Sequence[str] = ()) -> AuditKeys:
        return cls(
            current.encode("utf-8") if current else None,
            tuple(key.encode("utf-8") for key in old if key),
        )

    @property
    def current_id(self) -> str | None:
        return key_id(self.current) if self.current else None

    def find(self, wanted: str) -> bytes | None:
        """The key whose id is `wanted`, if this process has it."""
        return self._by_id.get(wanted)

    @cached_property
    def _by_id(self) -> dict[str, bytes]:
        found: dict[str, bytes] = {}
        for key in (*reversed(self.old), self.current):
            if key:
                found[key_id(key)] = key
        return found

    def __repr__(self) -> str:
        old = ", ".join(key_id(key) for key in self.old)
        return f"AuditKeys(current={self.current_id}, old=[{old}])"


NO_KEYS = AuditKeys()


def keys_of(bind: Engine | Connection | Any) -> AuditKeys:
    """The keys an engine was made with (`make_engine(…, audit_keys=…)`)."""
    options = bind.get_execution_options() if hasattr(bind, "get_execution_options") else {}
    keys = options.get(AUDIT_KEYS_OPTION)
    return keys if isinstance(keys, AuditKeys) else NO_KEYS


_PLAIN = frozenset({str, int, bool, float, type(None)})


def jsonable(value: Any) -> Any:
    """Plain JSON for before/after snapshots: Decimals as exact strings, dates as ISO text."""
    kind = type(value)
    if kind in _PLAIN:  # the common case first: bulk imports call this for every field
        return value
    if kind is dict:
        return {str(key): jsonable(item) for key, item in value.items()}
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


# json.dumps(…, sort_keys=True, separators=(",", ":"), ensure_ascii=False), made once
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
_encode_text = (
    json.encoder.encode_basestring
)  # a string as _CANONICAL encodes it (no ASCII escapes)
_FIELDS = ("seq", "at", "actor", "action", "entity", "entity_key", "before", "after", "prev_hash")


def _digest(event: AuditEvent | Mapping[str, Any] | RowMapping, key: bytes | None = None) -> str:
    """SHA-256 (no key) or HMAC-SHA256 (a key) over the event's fields and the previous hash,
    as canonical JSON."""
    fields = (
        event
        if isinstance(event, Mapping | RowMapping)
        else {name: getattr(event, name) for name in _FIELDS}
    )
    body = [fields[name] for name in _FIELDS]
    body[1] = fields["at"].isoformat()
    text = _CANONICAL.encode(body)
    if key is None:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()
    return hmac.digest(key, text.encode("utf-8"), "sha256").hex()


_HEAD = select(AuditHead).where(col(AuditHead.id) == 1)  # built once: every change reads it
_HEAD_FOR_UPDATE = _HEAD.with_for_update()  # PostgreSQL; SQLite's write transaction locks


def _locked_head(session: Session) -> AuditHead:
    postgres = is_postgres(session.get_bind())  # type: ignore[arg-type]
    return session.exec(_HEAD_FOR_UPDATE if postgres else _HEAD).one()


KEY_LENGTH = 120  # audit_event.entity_key


def fit_key(key: str) -> str:
    """An entity key within its column (a long file or council name is cut, marked with …);
    the full value is in the event's before/after."""
    return key if len(key) <= KEY_LENGTH else key[: KEY_LENGTH - 1] + "…"


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
    """Append one event in the caller's transaction (it commits or rolls back with the change).
    Signed with PMF_AUDIT_KEY when the engine has it."""
    keys = keys_of(session.get_bind())
    head = _locked_head(session)
    event = AuditEvent(
        seq=head.seq + 1,
        at=at.astimezone(UTC),  # hashed as stored: a local offset would not survive storage
        actor=actor,
        action=action,
        entity=entity,
        entity_key=fit_key(entity_key),
        before=jsonable(before),
        after=jsonable(after),
        prev_hash=head.hash,
        hash="",
        key_id=keys.current_id,
    )
    event.hash = _digest(event, keys.current)
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
    record_columns(
        session,
        actor=actor,
        at=at,
        action=[item["action"] for item in events],
        entity=[item["entity"] for item in events],
        entity_key=[item["entity_key"] for item in events],
        before=[item.get("before") for item in events],
        after=[item.get("after") for item in events],
    )


def _canonical(value: Any) -> str:
    """One value as `_CANONICAL` encodes it (text directly: the common case)."""
    if type(value) is str:
        return _encode_text(value)
    if value is None:
        return "null"
    return _CANONICAL.encode(value)


def record_columns(
    session: Session,
    *,
    actor: str,
    at: datetime,
    action: Sequence[str],
    entity: Sequence[str],
    entity_key: Sequence[str],
    before: Sequence[Any],
    after: Sequence[Any],
) -> None:
    """`record_many` given column by column: event n is every column's n-th value. The same
    chain and the same rows as `record` would write one by one, in one bulk insert."""
    count = len(action)
    if not count:
        return
    if not count == len(entity) == len(entity_key) == len(before) == len(after):
        raise ValueError("audit columns of different lengths")
    keys = keys_of(session.get_bind())
    key = keys.current
    head = _locked_head(session)
    moment = at.astimezone(UTC)
    # Each hash is over the canonical JSON of the list of `_FIELDS` (see `_digest`); a JSON
    # list is its items' encodings joined by commas, so what every event of the batch shares
    # (time and actor) is encoded once, the few actions and entities once each, and each
    # event's own items once.
    shared = f",{_canonical(moment.isoformat())},{_canonical(actor)},"
    words: dict[str, str] = {}
    seqs: list[int] = []
    prev_hashes: list[str] = []
    hashes: list[str] = []
    entity_keys: list[str] = []
    befores: list[Any] = []
    afters: list[Any] = []
    seq, previous = head.seq, head.hash
    for what, kind, entity_text, old, new in zip(
        action, entity, entity_key, before, after, strict=True
    ):
        seq += 1
        fitted = fit_key(str(entity_text))
        old, new = jsonable(old), jsonable(new)
        what_json = words.get(what) or words.setdefault(what, _canonical(what))
        kind_json = words.get(kind) or words.setdefault(kind, _canonical(kind))
        body = (
            f"[{seq}{shared}{what_json},{kind_json},{_canonical(fitted)},{_canonical(old)},"
            f"{_canonical(new)},{_canonical(previous)}]"
        ).encode()
        seqs.append(seq)
        prev_hashes.append(previous)
        previous = (
            hashlib.sha256(body).hexdigest()
            if key is None
            else hmac.digest(key, body, "sha256").hex()
        )
        hashes.append(previous)
        entity_keys.append(fitted)
        befores.append(old)
        afters.append(new)
    bulk.insert_columns(
        session,
        AuditEvent,
        {
            "seq": seqs,
            "at": [moment] * count,
            "actor": [actor] * count,
            "action": list(action),
            "entity": list(entity),
            "entity_key": entity_keys,
            "before": befores,
            "after": afters,
            "prev_hash": prev_hashes,
            "hash": hashes,
            "key_id": [keys.current_id] * count,
        },
    )
    head.seq, head.hash = seq, previous
    session.add(head)
    session.flush()


# -- anchors ------------------------------------------------------------------------------------

_ANCHOR = re.compile(r"(?<![0-9A-Za-z])(\d{1,18}):([0-9a-fA-F]{64})(?![0-9A-Za-z])")


@dataclass(frozen=True)
class Anchor:
    """The newest event's number and hash, kept outside the database (e.g. in the minutes)."""

    seq: int
    hash: str

    @classmethod
    def parse(cls, text: str) -> Anchor:
        """`SEQ:HASH`, alone or inside the line `audit anchor` printed; ValueError if none."""
        found = _ANCHOR.findall(text)
        if len(found) != 1:
            raise ValueError(
                f"'{text.strip()[:120]}' is not an anchor: give it as 'pmf-bot audit anchor' "
                "printed it, a number, a colon and 64 hexadecimal characters (1234:9f86d0…)"
            )
        seq, digest = found[0]
        return cls(int(seq), digest.lower())

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash}"

    @property
    def short(self) -> str:
        return f"{self.seq}:{self.hash[:12]}…"


# -- verification -------------------------------------------------------------------------------


@dataclass
class _KeyedRun:
    """Events signed with one key id: how many, the first and the last."""

    count: int = 0
    first: int = 0
    last: int = 0

    def add(self, seq: int) -> None:
        self.count += 1
        self.first = self.first or seq
        self.last = seq

    @property
    def span(self) -> str:
        if self.first == self.last:
            return f"event {self.first}"
        return f"events {self.first}–{self.last}"


@dataclass(frozen=True)
class Verification:
    events: int
    problems: list[str]  # what was changed, removed or forged
    unchecked: list[str] = field(default_factory=list)  # events whose key this process lacks
    signed: dict[str | None, int] = field(default_factory=dict)  # key id (None: unkeyed) → count
    held: list[Anchor] = field(default_factory=list)  # anchors given that the trail matches
    head: Anchor = field(default_factory=lambda: Anchor(0, GENESIS))  # the newest event
    head_key: str | None = None  # the key id that signed the newest event

    @property
    def ok(self) -> bool:
        return not self.problems and not self.unchecked


def _describe_key(kid: str | None) -> str:
    return "no key" if kid is None else f"key {kid}"


_COLUMNS = (*_FIELDS, "hash", "key_id")


def _rows(engine: Engine, batch: int) -> Iterator[RowMapping]:
    """The events as plain rows, oldest first, a batch at a time (no ORM objects: fast)."""
    table = AuditEvent.__table__  # type: ignore[attr-defined]
    columns = [table.c[name] for name in _COLUMNS]
    last = 0
    while True:
        with engine.connect() as connection:
            rows = (
                connection.execute(
                    select(*columns).where(table.c.seq > last).order_by(table.c.seq).limit(batch)
                )
                .mappings()
                .all()
            )
        if not rows:
            return
        yield from rows
        last = rows[-1]["seq"]


def verify(
    engine: Engine,
    anchors: Sequence[Anchor] = (),
    *,
    keys: AuditKeys | None = None,
    batch: int = 5000,
) -> Verification:
    """Recompute the chain; list every edited, deleted, re-ordered or forged event found.

    Each event is checked with the key that signed it (PMF_AUDIT_KEY or one of
    PMF_AUDIT_KEYS_OLD; unkeyed events by SHA-256). Keys only move forward: an event signed with
    an earlier key, or with none, after events signed with a later one is a problem. Each
    anchor must match its event exactly, so nothing at or before it was changed or removed.
    """
    keys = keys if keys is not None else keys_of(engine)
    problems: list[str] = []
    expected_seq, previous_hash, count = 1, GENESIS, 0
    runs: dict[str | None, _KeyedRun] = {}
    missing_keys: dict[str, _KeyedRun] = {}
    chain_key: str | None = None
    superseded: set[str | None] = set()
    started = False
    pinned: dict[int, list[Anchor]] = {}
    for anchor in anchors:
        pinned.setdefault(anchor.seq, []).append(anchor)
    found: dict[int, str] = {}
    last_kid: str | None = None
    for event in _rows(engine, batch):
        seq = event["seq"]
        count += 1
        if seq != expected_seq:
            missing = f"{expected_seq}" if seq == expected_seq + 1 else f"{expected_seq}–{seq - 1}"
            problems.append(f"event {missing} is missing: it was deleted")
        if event["prev_hash"] != previous_hash:
            problems.append(f"event {seq} does not follow the event before it")
        kid = event["key_id"]
        runs.setdefault(kid, _KeyedRun()).add(seq)
        if not started:
            chain_key, started = kid, True
        elif kid != chain_key:
            if kid is None or kid in superseded:
                if kid != last_kid:  # name the first event of each such run, not every one
                    problems.append(
                        f"event {seq} was signed with {_describe_key(kid)}, but events before it "
                        f"were signed with {_describe_key(chain_key)}: a process still running "
                        "with an old PMF_AUDIT_KEY (or none), or a forgery"
                    )
            else:
                superseded.add(chain_key)
                chain_key = kid
        last_kid = kid
        key = None if kid is None else keys.find(kid)
        if kid is not None and key is None:
            missing_keys.setdefault(kid, _KeyedRun()).add(seq)
        elif _digest(event, key) != event["hash"]:
            how = "" if kid is None else f" (its signature does not match key {kid})"
            problems.append(
                f"event {seq} ({event['action']}) was changed after it was written{how}"
            )
        if seq in pinned:
            found[seq] = event["hash"]
        expected_seq, previous_hash = seq + 1, event["hash"]
    with read_session(engine) as session:
        head = session.get(AuditHead, 1)
    if head is None:
        problems.append("the audit trail's head record is missing")
    elif head.seq != expected_seq - 1 or head.hash != previous_hash:
        problems.append(
            f"the newest event should be number {head.seq}, but the trail ends at "
            f"{expected_seq - 1}: events were deleted from the end"
        )
    held: list[Anchor] = []
    last = expected_seq - 1
    for anchor in anchors:
        if anchor.seq == 0:
            if anchor.hash == GENESIS:
                held.append(anchor)
            else:
                problems.append(f"anchor {anchor.short} is not an anchor of this audit trail")
        elif anchor.seq > last:
            problems.append(
                f"anchor {anchor.short}: the trail now ends at event {last}, before the anchored "
                f"event {anchor.seq}: events were removed from the end, or an older backup was "
                "restored"
            )
        elif anchor.seq not in found:
            problems.append(f"anchor {anchor.short}: event {anchor.seq} is missing")
        elif not hmac.compare_digest(found[anchor.seq], anchor.hash):
            problems.append(
                f"anchor {anchor.short}: event {anchor.seq} is no longer the event that was "
                "anchored: events at or before it were changed, re-written or replaced"
            )
        else:
            held.append(anchor)
    unchecked = [
        f"{run.span} ({run.count}) were signed with key {kid}, which this process does not "
        "have: set it as PMF_AUDIT_KEY or in PMF_AUDIT_KEYS_OLD to check them"
        for kid, run in missing_keys.items()
    ]
    return Verification(
        events=count,
        problems=problems,
        unchecked=unchecked,
        signed={kid: run.count for kid, run in runs.items()},
        held=held,
        head=Anchor(last, previous_hash),
        head_key=last_kid,
    )


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


def export_csv(engine: Engine, out: Path) -> int:
    """Write the whole trail to `out` as CSV; returns the number of events written. Text
    cells that a spreadsheet would run as a formula (an actor named `=cmd|…`, say) get a
    leading `'` (`csv_cell`, OWASP); numbers stay numbers."""
    count = 0
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(EXPORT_COLUMNS)
        for event in events(engine):
            writer.writerow(
                csv_cell(value)
                for value in [
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
                    event.key_id or "",
                ]
            )
            count += 1
    return count
