"""The hash-chained audit trail: appends, tamper detection and export, on both databases."""

from __future__ import annotations

import csv
import threading
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from storage import audit
from storage.engine import make_engine, write_session

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
