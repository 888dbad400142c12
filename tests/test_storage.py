"""Migrations, column types and SQLite settings, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, event, inspect, text
from sqlalchemy.exc import IntegrityError, StatementError
from sqlmodel import SQLModel, select

from storage.engine import make_engine, read_session, write_session
from storage.migrate import current_revision, downgrade, head_revision, is_current, upgrade
from storage.models import Aim, AuditHead, Council, Measure, Person, Priority

TABLES = {
    "council",
    "person",
    "priority",
    "aim",
    "measure",
    "target",
    "period_value",
    "submission",
    "review",
    "leave",
    "outbox",
    "message_ref",
    "inbound_event",
    "signoff",
    "report_approval",
    "teams_conversation",
    "action_item",
    "summary_post",
    "published_figures",
    "audit_event",
    "audit_head",
    "alembic_version",
}


def test_migrations_create_every_table_and_match_the_models(engine: Engine) -> None:
    assert set(inspect(engine).get_table_names()) == TABLES
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []
    assert is_current(engine)
    assert current_revision(engine) == head_revision(engine)


def test_upgrade_twice_is_harmless_and_downgrade_then_upgrade_round_trips(engine: Engine) -> None:
    before, after = upgrade(engine)
    assert before == after == head_revision(engine)
    downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    upgrade(engine)
    assert set(inspect(engine).get_table_names()) == TABLES


def test_the_audit_chain_starts_at_its_genesis_row(engine: Engine) -> None:
    with read_session(engine) as session:
        head = session.get(AuditHead, 1)
    assert head is not None
    assert (head.seq, head.hash) == (0, "0" * 64)


def test_sqlite_runs_with_wal_busy_timeout_and_foreign_keys(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 10_000
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


def test_foreign_keys_are_enforced(engine: Engine) -> None:
    with pytest.raises(IntegrityError), write_session(engine) as session:
        session.add(Aim(code="X1", title="Orphan", priority_id=999))


def _measure(session_priority_id: int, person_id: int, **values: object) -> Measure:
    fields: dict[str, object] = {
        "ref": "X1.1",
        "aim_id": session_priority_id,
        "title": "t",
        "definition": "d",
        "interval": "quarterly",
        "format": "number",
        "decimals": 6,
        "polarity": "higher",
        "tolerance": Decimal(5),
        "collector_id": person_id,
        "reviewer_id": person_id,
        "head_of_service_id": person_id,
    }
    fields |= values
    return Measure(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "number",
    ["0.1", "7.98", "-5", "123456789.123456", "0", "1E+3", "33.333333", "0.000001"],
)
def test_decimals_round_trip_exactly(engine: Engine, number: str) -> None:
    with write_session(engine) as session:
        person = Person(email="a@example.gov.uk", name="A")
        priority = Priority(code="X", name="X")
        session.add_all([person, priority])
        session.flush()
        aim = Aim(code="X1", title="X", priority_id=priority.id)  # type: ignore[arg-type]
        session.add(aim)
        session.flush()
        assert aim.id is not None and person.id is not None
        session.add(_measure(aim.id, person.id, tolerance_abs=Decimal(number)))
    with read_session(engine) as session:
        stored = session.exec(select(Measure)).one()
    assert stored.tolerance_abs == Decimal(number)
    assert isinstance(stored.tolerance_abs, Decimal)


def test_times_are_stored_as_utc_and_naive_times_are_refused(engine: Engine) -> None:
    moment = datetime(2026, 7, 1, 9, 30, 15, 123456, tzinfo=UTC)
    with write_session(engine) as session:
        session.add(Council(name="C", updated_at=moment))
    with read_session(engine) as session:
        council = session.exec(select(Council)).one()
    assert council.updated_at == moment
    assert council.updated_at.tzinfo is not None
    with pytest.raises(StatementError), write_session(engine) as session:
        session.add(Council(name="D", updated_at=datetime(2026, 7, 1, 9, 30)))


def test_a_failed_write_session_leaves_nothing_behind(engine: Engine) -> None:
    with pytest.raises(RuntimeError), write_session(engine) as session:
        session.add(Person(email="gone@example.gov.uk", name="Gone"))
        session.flush()
        raise RuntimeError("boom")
    with read_session(engine) as session:
        assert session.exec(select(Person)).all() == []


def test_postgresql_urls_use_psycopg_3() -> None:
    engine = make_engine("postgresql://postgres@127.0.0.1:5432/test")
    assert engine.dialect.driver == "psycopg"
    engine.dispose()


def _plans(engine: Engine, run: Callable[[], object]) -> list[str]:
    """EXPLAIN of every SELECT `run` sends (PostgreSQL: with sequential scans discouraged, so
    the plan shows whether an index can serve the query at all, whatever the table's size)."""
    sent: list[tuple[str, Any]] = []

    def on_execute(_c: Any, _cur: Any, statement: str, parameters: Any, *_rest: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        run()
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
    postgres = engine.dialect.name == "postgresql"
    plans = []
    with engine.connect() as connection:
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        if postgres:
            cursor.execute("SET enable_seqscan = off")
        for statement, parameters in sent:
            cursor.execute(
                ("EXPLAIN " if postgres else "EXPLAIN QUERY PLAN ") + statement, parameters
            )
            plans.append("\n".join(str(row[0 if postgres else 3]) for row in cursor.fetchall()))
    return plans


def test_the_app_homes_and_the_outbox_claims_queries_read_indexes(engine: Engine) -> None:
    """Migration 0014: a person's recent decisions, the review queue, the leave they cover and
    the outbox rows still to send are found through indexes, not by reading every review,
    period value or sent message (EXPLAIN on this database)."""
    from storage import outbox_store
    from storage import workflow_store as store

    with write_session(engine) as session:
        session.add(Person(email="ann@example.gov.uk", name="Ann"))
    now = datetime(2026, 5, 1, 9, tzinfo=UTC)

    def home() -> None:
        with read_session(engine) as session:
            store.recent_decisions(session, "ann@example.gov.uk")
            store.review_queue(session, "ann@example.gov.uk", now.date())

    def claim() -> None:
        with write_session(engine) as session:
            outbox_store.anything_due(session, now=now, urgent_only=True)
            outbox_store.claim(session, now=now, worker="w", urgent_only=True)

    plans = "\n".join(_plans(engine, home) + _plans(engine, claim))
    for index in (
        "ix_review_decided_by_at",
        "ix_submission_submitted_by",
        "ix_period_value_state",
        "ix_leave_cover_id",
    ):
        assert index in plans, plans
    # SQLite, never ANALYZEd, takes the (status, urgent, due_at) index for each arm of the OR;
    # PostgreSQL the partial index of the rows still to send
    assert "ix_outbox_open" in plans or "ix_outbox_status_due" in plans, plans
    for table in ("review", "submission", "period_value", "leave", "outbox"):
        assert f"SCAN {table}\n" not in plans + "\n" and f"Seq Scan on {table} " not in plans
