"""The hash-chained audit trail: appends, tamper detection and export, on both databases."""

from __future__ import annotations

import csv
import json
import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine, insert, select, text
from sqlmodel import Session

from storage import audit
from storage.engine import make_engine, write_session
from storage.models import AuditEvent
from tests.conftest import ADMIN, EXAMPLES, Cli

AT = datetime(2026, 4, 20, 10, 0, tzinfo=UTC)


def _append(engine: Engine, count: int, actor: str = "policy.officer@example.gov.uk") -> None:
    with write_session(engine) as session:
        for number in range(count):
            audit.record(
                session,
                actor=actor,
                action="value.import",
                entity="value",
                entity_key=f"SE1.1 2025-26 Q{number % 4 + 1}",
                at=AT,
                before={"value": Decimal("47.50")} if number else None,
                after={"value": Decimal("48.1"), "note": "ünïcode ✓"},
            )


def test_an_untouched_trail_verifies(engine: Engine) -> None:
    _append(engine, 5)
    result = audit.verify(engine)
    assert result.ok, result.problems
    assert result.events == 5


def test_an_empty_trail_verifies(engine: Engine) -> None:
    assert audit.verify(engine).ok


def test_decimals_in_snapshots_are_kept_as_exact_text(engine: Engine) -> None:
    _append(engine, 2)
    event = list(audit.events(engine))[1]
    assert event.before == {"value": "47.5"}
    assert event.after == {"value": "48.1", "note": "ünïcode ✓"}


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        (
            "UPDATE audit_event SET actor = 'someone.else@example.gov.uk' WHERE seq = 2",
            "event 2 (value.import) was changed after it was written",
        ),
        (
            "UPDATE audit_event SET entity_key = 'SE1.1 2025-26 Q4' WHERE seq = 1",
            "event 1 (value.import) was changed after it was written",
        ),
        (
            "UPDATE audit_event SET at = at + interval '1 second' WHERE seq = 3",
            "event 3 (value.import) was changed after it was written",
        ),
        ("DELETE FROM audit_event WHERE seq = 2", "event 2 is missing: it was deleted"),
        (
            "DELETE FROM audit_event WHERE seq = 4",
            "the newest event should be number 4, but the trail ends at 3",
        ),
    ],
)
def test_verify_detects_edited_and_deleted_events(
    engine: Engine, statement: str, expected: str
) -> None:
    _append(engine, 4)
    if engine.dialect.name == "sqlite":
        statement = statement.replace("at + interval '1 second'", "'2026-04-20 10:00:01.000000'")
    with engine.begin() as connection:
        connection.execute(text(statement))
    result = audit.verify(engine)
    assert not result.ok
    assert any(expected in problem for problem in result.problems), result.problems


def test_editing_a_snapshot_and_its_hash_together_still_breaks_the_chain(engine: Engine) -> None:
    _append(engine, 3)
    with engine.begin() as connection:
        connection.execute(text("UPDATE audit_event SET hash = :h WHERE seq = 2"), {"h": "f" * 64})
    problems = audit.verify(engine).problems
    assert "event 2 (value.import) was changed after it was written" in problems
    assert "event 3 does not follow the event before it" in problems


def test_an_append_rolled_back_with_its_change_leaves_no_trace(engine: Engine) -> None:
    _append(engine, 1)
    with pytest.raises(RuntimeError), write_session(engine) as session:
        audit.record(session, actor="x", action="a", entity="e", entity_key="k", at=AT)
        raise RuntimeError("the change failed")
    result = audit.verify(engine)
    assert result.ok and result.events == 1


def test_export_writes_every_event_as_csv(engine: Engine, tmp_path: Path) -> None:
    _append(engine, 3)
    out = tmp_path / "audit.csv"
    assert audit.export_csv(engine, out) == 3
    with out.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == audit.EXPORT_COLUMNS
    assert [row["seq"] for row in rows] == ["1", "2", "3"]
    assert rows[0]["before"] == ""
    assert rows[1]["before"] == '{"value": "47.5"}'
    assert rows[2]["prev_hash"] == rows[1]["hash"]


def test_bulk_appends_continue_the_same_chain(engine: Engine) -> None:
    _append(engine, 2)
    with write_session(engine) as session:
        audit.record_many(
            session,
            actor="importer",
            at=AT,
            events=[
                {
                    "action": "value.import",
                    "entity": "value",
                    "entity_key": f"K{n}",
                    "before": None,
                    "after": {"n": n},
                }
                for n in range(50)
            ],
        )
    _append(engine, 1)
    result = audit.verify(engine)
    assert result.ok and result.events == 53


_VARIED = [
    ("value.import", "value", "SE1.1 2025-26 Q1", None, {"value": Decimal("48.10"), "state": "x"}),
    ("value.import", "value", "ünïcode ✓ “key”", {"value": Decimal(0)}, {"note": 'a "q" \\ \n'}),
    ("measure.update", "measure", "K" * 200, {"dates": [AT, AT.date()]}, {"tags": {"b", "a"}}),
    ("x", "e", "floats", {"f": 0.1, "n": -3, "t": True}, [1, [2, {"z": None, "a": 1.5}]]),
    ("x", "e", "plain", "just text", 12),
]


class _Undo(Exception):
    pass


def _written(engine: Engine, write: Callable[[Session], None]) -> list[tuple[object, ...]]:
    """The audit rows `write` appends, read back, then rolled back."""
    found: list[tuple[object, ...]] = []
    with pytest.raises(_Undo), write_session(engine) as session:
        write(session)
        found = [tuple(row) for row in session.execute(select(AuditEvent.__table__))]  # type: ignore[attr-defined]
        raise _Undo
    return sorted(found)


@pytest.mark.parametrize("keys", [audit.NO_KEYS, audit.AuditKeys.from_text("k" * 40 + "-bulk")])
def test_bulk_appends_write_the_rows_single_appends_would(
    engine: Engine, keys: audit.AuditKeys
) -> None:
    """record_many encodes what a batch shares once, but every row, hash included, is the one
    record() writes event by event (and verify recomputes)."""
    signed = make_engine(engine.url.render_as_string(hide_password=False), audit_keys=keys)

    def one_by_one(session: Session) -> None:
        for action, entity, key, before, after in _VARIED:
            audit.record(
                session,
                actor="ïmporter",
                action=action,
                entity=entity,
                entity_key=key,
                at=AT,
                before=before,
                after=after,
            )

    def at_once(session: Session) -> None:
        audit.record_many(
            session,
            actor="ïmporter",
            at=AT,
            events=[
                {"action": a, "entity": e, "entity_key": k, "before": b, "after": f}
                for a, e, k, b, f in _VARIED
            ],
        )

    try:
        expected = _written(signed, one_by_one)
        assert len(expected) == len(_VARIED)
        assert _written(signed, at_once) == expected
    finally:
        signed.dispose()


def test_concurrent_writers_keep_one_unbroken_chain(db_url: str) -> None:
    """Several threads (each its own connection) appending at once: no gaps, no forks."""
    engines = [make_engine(db_url) for _ in range(4)]
    errors: list[BaseException] = []

    def work(engine: Engine, actor: str) -> None:
        try:
            for _ in range(10):
                _append(engine, 2, actor=actor)
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    from storage.migrate import upgrade

    upgrade(engines[0])
    threads = [threading.Thread(target=work, args=(e, f"writer{n}")) for n, e in enumerate(engines)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    result = audit.verify(engines[0])
    assert result.ok, result.problems
    assert result.events == 4 * 10 * 2
    for engine in engines:
        engine.dispose()


def test_events_written_in_local_summer_time_still_verify(engine: Engine) -> None:
    from zoneinfo import ZoneInfo

    summer = datetime(2026, 7, 1, 10, 0, tzinfo=ZoneInfo("Europe/London"))  # BST, UTC+1
    with write_session(engine) as session:
        audit.record(session, actor="a", action="x", entity="e", entity_key="k", at=summer)
        audit.record_many(
            session,
            actor="a",
            at=summer,
            events=[
                {"action": "y", "entity": "e", "entity_key": "k2", "before": None, "after": None}
            ],
        )
    result = audit.verify(engine)
    assert result.ok, result.problems
    assert next(iter(audit.events(engine))).at == summer


# -- keyed chain and anchors (issue 9, item 11) ---------------------------------------------------

KEY = "k" * 40 + "-test-audit-key-0001"
NEW_KEY = "n" * 40 + "-test-audit-key-0002"
KEYS = audit.AuditKeys.from_text(KEY)
TABLE = AuditEvent.__table__  # type: ignore[attr-defined]


def _keyed(db_url: str, keys: audit.AuditKeys = KEYS) -> Engine:
    """An engine on the same database whose appends are signed with `keys`."""
    return make_engine(db_url, audit_keys=keys)


def _rows(engine: Engine) -> list[dict[str, object]]:
    with engine.connect() as connection:
        result = connection.execute(
            text(
                "SELECT seq, at, actor, action, entity, entity_key, before, after, prev_hash, "
                "hash, key_id FROM audit_event ORDER BY seq"
            )
        )
        return [dict(row) for row in result.mappings()]


def _forge(engine: Engine, *, seq: int, actor: str, key: bytes | None, key_id: str | None) -> None:
    """What someone with write access to the database but not the key can do: change event
    `seq`, re-compute every hash from it on (SHA-256, or HMAC under a key of their own) and
    move the head, so that the chain links up again."""
    events = list(audit.events(engine))
    previous = events[seq - 2].hash if seq > 1 else audit.GENESIS
    with engine.begin() as connection:
        for event in events[seq - 1 :]:
            if event.seq == seq:
                event.actor = actor
            event.prev_hash = previous
            event.hash = previous = audit._digest(event, key)
            connection.execute(
                text(
                    "UPDATE audit_event SET actor = :actor, prev_hash = :prev, hash = :hash, "
                    "key_id = :kid WHERE seq = :seq"
                ),
                {
                    "actor": event.actor,
                    "prev": event.prev_hash,
                    "hash": event.hash,
                    "kid": key_id,
                    "seq": event.seq,
                },
            )
        connection.execute(text("UPDATE audit_head SET hash = :h WHERE id = 1"), {"h": previous})


def _rewind(engine: Engine, to: int) -> None:
    """Drop every event after `to` and move the head back to it: a cut tail, or the audit
    tables of an older backup."""
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_event WHERE seq > :to"), {"to": to})
        last = connection.execute(
            text("SELECT hash FROM audit_event WHERE seq = :to"), {"to": to}
        ).scalar()
        connection.execute(
            text("UPDATE audit_head SET seq = :to, hash = :h WHERE id = 1"),
            {"to": to, "h": last or audit.GENESIS},
        )


def test_keyed_events_record_the_key_id_and_never_the_key(db_url: str, engine: Engine) -> None:
    _append(engine, 2)  # before a key was set
    keyed = _keyed(db_url)
    _append(keyed, 3)
    with write_session(keyed) as session:
        audit.record_many(
            session,
            actor="importer",
            at=AT,
            events=[{"action": "a", "entity": "e", "entity_key": "k", "before": None, "after": 1}],
        )
    rows = _rows(engine)
    kid = audit.key_id(KEY.encode())
    assert [row["key_id"] for row in rows] == [None, None, kid, kid, kid, kid]
    assert len(kid) == 8 and kid not in KEY
    assert KEY not in repr(rows) and KEY[:16] not in repr(rows)
    assert KEY not in repr(KEYS) and kid in repr(KEYS)
    result = audit.verify(keyed)
    assert result.ok, result.problems
    assert result.signed == {None: 2, kid: 4}
    assert result.head == audit.Anchor(6, str(rows[-1]["hash"]))
    assert result.head_key == kid
    # Without the key, the keyed events cannot be checked (and the check says so).
    plain = audit.verify(engine)
    assert not plain.ok and plain.problems == []
    assert plain.unchecked == [
        f"events 3–6 (4) were signed with key {kid}, which this process does not have: "
        "set it as PMF_AUDIT_KEY or in PMF_AUDIT_KEYS_OLD to check them"
    ]
    keyed.dispose()


def test_an_unkeyed_chain_cannot_see_a_rehashed_forgery_but_an_anchor_can(
    engine: Engine,
) -> None:
    _append(engine, 5)
    anchor = audit.verify(engine).head
    _forge(engine, seq=2, actor="someone.else@example.gov.uk", key=None, key_id=None)
    assert audit.verify(engine).ok  # the limit of an unkeyed chain
    result = audit.verify(engine, [anchor])
    assert result.problems == [
        f"anchor {anchor.short}: event 5 is no longer the event that was anchored: events at "
        "or before it were changed, re-written or replaced"
    ]


def test_a_keyed_chain_catches_a_rehashed_forgery(db_url: str, engine: Engine) -> None:
    keyed = _keyed(db_url)
    _append(keyed, 5)
    kid = audit.key_id(KEY.encode())
    forged_key = b"the forger's own guess at a key, long enough"
    _forge(keyed, seq=3, actor="someone.else@example.gov.uk", key=forged_key, key_id=kid)
    problems = audit.verify(keyed).problems
    assert problems == [
        f"event {seq} (value.import) was changed after it was written (its signature does not "
        f"match key {kid})"
        for seq in (3, 4, 5)
    ]
    keyed.dispose()


def test_a_forgery_that_drops_the_key_is_caught(db_url: str, engine: Engine) -> None:
    """Re-writing keyed events as unkeyed ones: from the middle, the key going backwards shows;
    from the start, only an anchor shows it (and verify says the events are unkeyed)."""
    keyed = _keyed(db_url)
    _append(keyed, 4)
    anchor = audit.verify(keyed).head
    kid = audit.key_id(KEY.encode())
    _forge(keyed, seq=3, actor="x@example.gov.uk", key=None, key_id=None)
    assert audit.verify(keyed).problems == [
        f"event 3 was signed with no key, but events before it were signed with key {kid}: a "
        "process still running with an old PMF_AUDIT_KEY (or none), or a forgery"
    ]
    _forge(keyed, seq=1, actor="x@example.gov.uk", key=None, key_id=None)
    unanchored = audit.verify(keyed)
    assert unanchored.ok and unanchored.signed == {None: 4}
    assert not audit.verify(keyed, [anchor]).ok
    keyed.dispose()


def test_anchors_catch_a_cut_tail_a_truncated_trail_and_a_restored_backup(
    db_url: str, engine: Engine
) -> None:
    keyed = _keyed(db_url)
    _append(keyed, 3)
    with keyed.connect() as connection:  # the audit tables as an older backup holds them
        backup = [dict(row) for row in connection.execute(select(TABLE)).mappings()]
    _append(keyed, 3)
    early = audit.verify(keyed).head
    _append(keyed, 2)
    late = audit.verify(keyed).head
    assert (early.seq, late.seq) == (6, 8)
    result = audit.verify(keyed, [early, late])
    assert result.ok and result.held == [early, late]

    _rewind(keyed, 7)  # the newest event dropped and the head moved back: no gap, no mismatch
    assert audit.verify(keyed).ok
    result = audit.verify(keyed, [early, late])
    assert result.held == [early]
    assert result.problems == [
        f"anchor {late.short}: the trail now ends at event 7, before the anchored event 8: "
        "events were removed from the end, or an older backup was restored"
    ]

    _rewind(keyed, 0)  # truncated to nothing
    assert audit.verify(keyed).ok and audit.verify(keyed).events == 0
    assert "the trail now ends at event 0" in audit.verify(keyed, [early]).problems[0]

    with keyed.begin() as connection:  # the older backup restored
        connection.execute(insert(TABLE), backup)
        connection.execute(
            text("UPDATE audit_head SET seq = 3, hash = :h WHERE id = 1"), {"h": backup[-1]["hash"]}
        )
    assert audit.verify(keyed).ok
    problems = audit.verify(keyed, [early]).problems
    assert problems == [
        f"anchor {early.short}: the trail now ends at event 3, before the anchored event 6: "
        "events were removed from the end, or an older backup was restored"
    ]
    keyed.dispose()


def test_an_anchor_of_another_trail_or_a_deleted_event_fails(engine: Engine) -> None:
    _append(engine, 3)
    stranger = audit.Anchor(2, "ab" * 32)
    assert audit.verify(engine, [stranger]).problems == [
        f"anchor {stranger.short}: event 2 is no longer the event that was anchored: events at "
        "or before it were changed, re-written or replaced"
    ]
    head = audit.verify(engine).head
    assert audit.verify(engine, [audit.Anchor(0, audit.GENESIS), head]).ok
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_event WHERE seq = 2"))
    problems = audit.verify(engine, [audit.Anchor(2, head.hash)]).problems
    assert "event 2 is missing: it was deleted" in problems
    assert f"anchor {audit.Anchor(2, head.hash).short}: event 2 is missing" in problems


def test_anchor_text_is_read_from_the_line_audit_anchor_prints() -> None:
    digest = "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08"
    line = f"pmf-bot audit anchor, 24 Nov 2026 10:15 GMT: 1234:{digest}"
    assert audit.Anchor.parse(line) == audit.Anchor(1234, digest.lower())
    assert audit.Anchor.parse(f" 7:{digest.lower()} ") == audit.Anchor(7, digest.lower())
    for bad in ("1234", f"x:{digest}", f"12:{digest[:-1]}", f"1:{digest} 2:{digest}", ""):
        with pytest.raises(ValueError, match="is not an anchor"):
            audit.Anchor.parse(bad)


def test_rotating_the_key_keeps_older_events_verifiable(db_url: str, engine: Engine) -> None:
    old_id, new_id = audit.key_id(KEY.encode()), audit.key_id(NEW_KEY.encode())
    first = _keyed(db_url)
    _append(first, 3)
    rotated = audit.AuditKeys.from_text(NEW_KEY, [KEY])
    second = _keyed(db_url, rotated)
    _append(second, 2)
    result = audit.verify(second)
    assert result.ok, (result.problems, result.unchecked)
    assert result.signed == {old_id: 3, new_id: 2}
    # Forgetting the old key leaves its events unchecked, and says which key they need.
    forgot = audit.verify(engine, keys=audit.AuditKeys.from_text(NEW_KEY))
    assert forgot.problems == []
    assert forgot.unchecked[0].startswith(f"events 1–3 (3) were signed with key {old_id}")
    # A process still signing with the old key after the rotation is caught.
    _append(first, 1)
    assert audit.verify(second).problems == [
        f"event 6 was signed with key {old_id}, but events before it were signed with key "
        f"{new_id}: a process still running with an old PMF_AUDIT_KEY (or none), or a forgery"
    ]
    first.dispose()
    second.dispose()


def test_verify_streams_a_large_trail(sqlite_url: str) -> None:
    """50,000 events are verified in bounded memory (read in batches, not all at once). Its
    speed is measured by a benchmark, not here: timed tests fail on a busy machine."""
    import tracemalloc

    engine = _keyed(sqlite_url)
    from storage.migrate import upgrade

    upgrade(engine)
    with write_session(engine) as session:
        for start in range(0, 50_000, 5_000):
            audit.record_many(
                session,
                actor="importer",
                at=AT,
                events=[
                    {
                        "action": "value.import",
                        "entity": "value",
                        "entity_key": f"K{n}",
                        "before": None,
                        "after": {"value": str(n)},
                    }
                    for n in range(start, start + 5_000)
                ],
            )
    anchor = audit.Anchor(25_000, _rows_at(engine, 25_000))
    tracemalloc.start()
    try:
        result = audit.verify(engine, [anchor])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.ok and result.events == 50_000
    assert peak < 40 * 2**20, f"verify held {peak / 2**20:.0f} MB for 50,000 events"
    engine.dispose()


def _rows_at(engine: Engine, seq: int) -> str:
    with engine.connect() as connection:
        return str(
            connection.execute(
                text("SELECT hash FROM audit_event WHERE seq = :s"), {"s": seq}
            ).scalar()
        )


# -- through the real command line ------------------------------------------------------------


def test_cli_anchor_and_verify_with_a_key(cli: Cli) -> None:
    """`audit anchor` prints one line for the minutes (and JSON); `verify --anchor` proves the
    trail up to it, and fails plainly once the tail is cut and the head rewound."""
    keyed = {"PMF_AUDIT_KEY": KEY}
    assert cli("import", "register", str(EXAMPLES / "register.yaml")).code == 0  # unkeyed
    result = cli(
        "import",
        "actuals",
        str(EXAMPLES / "actuals.csv"),
        "--today",
        "2026-05-01",
        "--by",
        "policy.officer@example.gov.uk",
        env=keyed,
    )
    assert result.code == 0, result.err
    kid = audit.key_id(KEY.encode())

    anchor = cli("audit", "anchor", env=keyed)
    assert anchor.code == 0, anchor.err
    line = anchor.out.splitlines()[0]
    assert re.fullmatch(r"pmf-bot audit anchor, .+: 246:[0-9a-f]{64}", line), line
    assert "committee minutes" in anchor.out
    machine = json.loads(cli("audit", "anchor", "--json", env=keyed).out)
    assert machine["anchor"] == line.rsplit(" ", 1)[1]
    assert (machine["seq"], machine["key_id"]) == (246, kid)
    assert len(machine["hash"]) == 64

    result = cli("audit", "verify", "--anchor", line, "--anchor", machine["anchor"], env=keyed)
    assert result.code == 0, result.err
    assert "The audit trail is intact: 246 events, each linked to the one before it." in result.out
    assert "55 events unkeyed (written before PMF_AUDIT_KEY was set)" in result.out
    assert f"191 events signed with key {kid} (PMF_AUDIT_KEY)." in result.out
    assert "nothing at or before event 246 has been changed or removed" in result.out
    assert KEY not in result.out + result.err

    without = cli("audit", "verify")
    assert without.code == 1
    assert f"events 56–246 (191) were signed with key {kid}, which this process does not have" in (
        without.err
    )

    engine = make_engine(cli.database_url)
    _rewind(engine, 200)
    engine.dispose()
    assert cli("audit", "verify", env=keyed).code == 0  # a rewound head alone is not visible
    result = cli("audit", "verify", "--anchor", line, env=keyed)
    assert result.code == 1
    assert "The audit trail has been tampered with (1 problem):" in result.err
    assert (
        "the trail now ends at event 200, before the anchored event 246: events were removed "
        "from the end, or an older backup was restored"
    ) in result.err
    assert "Traceback" not in result.err


def test_cli_refuses_a_bad_anchor_and_a_short_key_plainly(sqlite_cli: Cli) -> None:
    result = sqlite_cli("audit", "verify", "--anchor", "12:abc")
    assert result.code == 1
    assert result.err.startswith("--anchor '12:abc' is not an anchor")
    result = sqlite_cli("audit", "verify", env={"PMF_AUDIT_KEY": "password1"})
    assert result.code == 1
    assert "PMF_AUDIT_KEY" in result.err and "at least 32 characters" in result.err
    assert "password1" not in result.err
    empty = sqlite_cli("audit", "anchor")
    assert empty.code == 0
    assert empty.out == "The audit trail is empty: there is nothing to anchor yet.\n"


def test_cli_will_not_anchor_a_trail_that_does_not_verify(sqlite_cli: Cli) -> None:
    assert sqlite_cli("import", "register", str(EXAMPLES / "register.yaml")).code == 0
    engine = make_engine(sqlite_cli.database_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE audit_event SET actor = 'x' WHERE seq = 3"))
    engine.dispose()
    result = sqlite_cli("audit", "anchor")
    assert result.code == 1
    assert "does not verify, so it cannot be anchored" in result.err


def test_audit_keys_come_from_the_environment_as_secrets() -> None:
    from bot.settings import load_settings

    settings = load_settings(
        {"PMF_AUDIT_KEY": f"  {NEW_KEY} ", "PMF_AUDIT_KEYS_OLD": f"{KEY}, {'o' * 32}"}
    )
    assert settings.audit_key_text == NEW_KEY
    assert settings.old_audit_keys == [KEY, "o" * 32]
    assert NEW_KEY not in repr(settings) and KEY not in repr(settings)
    with pytest.raises(ValidationError, match="at least 32 characters"):
        load_settings({"PMF_AUDIT_KEYS_OLD": f"{KEY},short"})


def test_audit_export_writes_text_that_looks_like_a_formula_as_text(
    cli: Cli, tmp_path: Path
) -> None:
    """Issue 9 item 6: `--by` (and any other text) starting with = + - @ gets OWASP's leading
    `'` in the CSV, so a spreadsheet shows it instead of running it; numbers stay numbers."""
    by = '=HYPERLINK("https://evil.example","audit")'
    done = cli("import", "register", str(EXAMPLES / "register.yaml"), "--by", by)
    assert done.code == 0, done.err
    done = cli(
        "import", "actuals", str(EXAMPLES / "actuals.csv"), "--by", ADMIN, "--today", "2026-05-01"
    )
    assert done.code == 0, done.err
    out = tmp_path / "audit.csv"
    done = cli("audit", "export", "--out", str(out))
    assert done.code == 0, done.err
    with out.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert {row["actor"] for row in rows} == {f"'{by}", ADMIN}
    assert [row["seq"] for row in rows[:3]] == ["1", "2", "3"]  # numbers, no quote
    for row in rows:
        for column, value in row.items():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), (column, value)
