"""Where PostgreSQL's own time goes when an actuals file's history is written (issue 11).

    python -m bench.pg_history_costs                        # 2,000 measures, 5 rounds
    python -m bench.pg_history_costs --measures 10000 --rounds 6

A throwaway database on 127.0.0.1:5432 is given the generated register and its four years of
actuals through the real imports (`bot.services`, as `bench.foundation` does). Then one part's
worth of what the actuals import writes (the last fifth of the submissions, with their reviews,
period values and audit events; 48,080 rows a table at 10,000 measures, one of the five files
`bench.foundation` imports) is copied to temporary tables under new ids and inserted again, in a
transaction that is rolled back, once per variant per round; the variants take turns so the
machine's load falls on each alike. The figures are the server backend's CPU (`/proc`), not
wall time, median over the rounds:

* as the import writes them (each foreign key checked row by row at the end of the statement);
* after locking every referenced measure and person once (`FOR KEY SHARE`);
* with the foreign keys made `DEFERRABLE` and deferred to the end (`SET CONSTRAINTS`);
* references, which the import cannot use: without the foreign keys, and without them and the
  tables' secondary indexes.

Then, once each: `EXPLAIN (ANALYZE)` of the inserts as the import writes them, for each foreign
key's trigger time and calls (EXPLAIN's own timing inflates them), and the part's id allocation
as it was (`nextval(pg_get_serial_sequence(...))` for each row) and as it is (the sequence
looked up once). A measurement, not a test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from bench.data import generate
from bench.foundation import POSTGRES_SERVER, Workload, throwaway_postgres
from storage.engine import make_engine
from storage.migrate import upgrade

PARTS = 5  # bench.foundation imports a 10,000-measure history as five files
SHIFT = 10_000_000  # added to the copied rows' ids, versions and sequence numbers
TABLES = ("submission", "review", "period_value", "audit_event")

# One part's rows again, under new ids (a period value's period gets an "x": a new key).
STAGING = (
    "CREATE TEMP TABLE copy_submission AS SELECT * FROM submission ORDER BY id DESC LIMIT %(n)s",
    "UPDATE copy_submission SET id = id + %(shift)s, version = version + %(shift)s",
    "CREATE TEMP TABLE copy_review AS SELECT r.* FROM review r"
    " JOIN copy_submission s ON s.id - %(shift)s = r.submission_id",
    "UPDATE copy_review SET id = id + %(shift)s, submission_id = submission_id + %(shift)s",
    "CREATE TEMP TABLE copy_period_value AS SELECT v.* FROM period_value v"
    " JOIN copy_submission s ON s.id - %(shift)s = v.approved_submission_id",
    "UPDATE copy_period_value SET id = id + %(shift)s, period = period || 'x',"
    " approved_submission_id = approved_submission_id + %(shift)s,"
    " latest_submission_id = latest_submission_id + %(shift)s",
    "CREATE TEMP TABLE copy_audit_event AS SELECT * FROM audit_event"
    " WHERE action = 'value.import' ORDER BY seq DESC LIMIT %(n)s",
    "UPDATE copy_audit_event SET seq = seq + %(shift)s",
)


@dataclass(frozen=True)
class Variant:
    name: str
    before: Sequence[str] = ()  # statements run first, not timed
    after: Sequence[str] = ()  # statements run after the inserts, timed with them


class Backend:
    """One connection and the CPU time of the server process serving it."""

    def __init__(self, url: str) -> None:
        self.connection = psycopg.connect(url, autocommit=True)
        self.pid = self.connection.info.backend_pid
        self.ticks = os.sysconf("SC_CLK_TCK")

    def cpu(self) -> float:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / self.ticks

    def run(self, statement: str, params: dict[str, Any] | None = None) -> list[Any]:
        cursor = self.connection.execute(statement.encode(), params)
        return cursor.fetchall() if cursor.description else []

    def timed(self, statement: str, params: dict[str, Any] | None = None) -> float:
        start = self.cpu()
        self.run(statement, params)
        return self.cpu() - start


def foreign_keys(backend: Backend) -> list[tuple[str, str, str]]:
    """(table, constraint, its definition) of the import's tables' foreign keys."""
    rows = backend.run(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE contype = 'f' AND conrelid::regclass::text = ANY(%(tables)s) ORDER BY 1, 2",
        {"tables": list(TABLES)},
    )
    return [(str(table), str(name), str(definition)) for table, name, definition in rows]


def secondary_indexes(backend: Backend) -> list[str]:
    """The import's tables' indexes that back no constraint."""
    rows = backend.run(
        "SELECT i.indexrelid::regclass::text FROM pg_index i"
        " WHERE i.indrelid::regclass::text = ANY(%(tables)s)"
        " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
        {"tables": list(TABLES)},
    )
    return [str(name) for (name,) in rows]


def variants(backend: Backend) -> list[Variant]:
    keys = foreign_keys(backend)
    drop_keys = [f"ALTER TABLE {table} DROP CONSTRAINT {name}" for table, name, _ in keys]
    return [
        Variant("as the import writes them"),
        Variant(
            "referenced rows locked first",
            (
                "SELECT count(*) FROM (SELECT 1 FROM measure FOR KEY SHARE) AS locked",
                "SELECT count(*) FROM (SELECT 1 FROM person FOR KEY SHARE) AS locked",
            ),
        ),
        Variant(
            "foreign keys deferred",
            [
                f"ALTER TABLE {table} ALTER CONSTRAINT {name} DEFERRABLE INITIALLY IMMEDIATE"
                for table, name, _ in keys
            ]
            + ["SET CONSTRAINTS ALL DEFERRED"],
            ("SET CONSTRAINTS ALL IMMEDIATE",),
        ),
        Variant("(no foreign keys)", drop_keys),
        Variant(
            "(no foreign keys, no 2nd. indexes)",
            drop_keys + [f"DROP INDEX {name}" for name in secondary_indexes(backend)],
        ),
    ]


def measure_variants(backend: Backend, rounds: int) -> dict[str, dict[str, list[float]]]:
    """Each variant's server CPU per table (and "checks at end"), per round."""
    found: dict[str, dict[str, list[float]]] = {}
    chosen = variants(backend)
    for number in range(1, rounds + 1):
        print(f"round {number}/{rounds}…", file=sys.stderr)
        for variant in chosen:
            figures = found.setdefault(variant.name, {})
            backend.run("BEGIN")
            try:
                for statement in variant.before:
                    backend.run(statement)
                for table in TABLES:
                    seconds = backend.timed(f"INSERT INTO {table} SELECT * FROM copy_{table}")
                    figures.setdefault(table, []).append(seconds)
                at_end = sum(backend.timed(statement) for statement in variant.after)
                figures.setdefault("checks at end", []).append(at_end)
            finally:
                backend.run("ROLLBACK")
    return found


def trigger_times(backend: Backend) -> list[tuple[str, int, float]]:
    """(constraint, calls, ms) of each foreign key's trigger, from EXPLAIN ANALYZE."""
    found = []
    backend.run("BEGIN")
    try:
        for table in TABLES:
            ((plan,),) = backend.run(
                "EXPLAIN (ANALYZE, COSTS OFF, FORMAT JSON) "
                f"INSERT INTO {table} SELECT * FROM copy_{table}"
            )
            for trigger in plan[0].get("Triggers", []):
                name = str(trigger.get("Constraint Name") or trigger["Trigger Name"])
                found.append((name, int(trigger["Calls"]), float(trigger["Time"])))
    finally:
        backend.run("ROLLBACK")
    return found


def id_allocation(backend: Backend, count: int, rounds: int) -> dict[str, list[float]]:
    """Server CPU of allocating `count` submission ids, as it was and as it is."""
    (sequence,) = backend.run("SELECT pg_get_serial_sequence('submission', 'id')")[0]
    found: dict[str, list[float]] = {}
    backend.run("BEGIN")
    try:
        for _ in range(rounds):
            found.setdefault("sequence looked up per row (was)", []).append(
                backend.timed(
                    "SELECT nextval(pg_get_serial_sequence('submission', 'id'))"
                    " FROM generate_series(1, %(n)s)",
                    {"n": count},
                )
            )
            found.setdefault("sequence looked up once (is)", []).append(
                backend.timed(
                    "SELECT nextval(%(sequence)s) FROM generate_series(1, %(n)s)",
                    {"sequence": sequence, "n": count},
                )
            )
    finally:
        backend.run("ROLLBACK")
    return found


@contextmanager
def imported_database(measures: int, seed: int) -> Iterator[tuple[str, int]]:
    """A throwaway database holding the register and its history; its URL for psycopg and
    the number of actuals rows."""
    with tempfile.TemporaryDirectory(prefix="pmf-bench-") as temp:
        print(f"generating {measures:,} measures and their history…", file=sys.stderr)
        work = Workload(generate(Path(temp), measures, seed=seed))
        with throwaway_postgres(POSTGRES_SERVER) as url:
            engine = make_engine(url)
            try:
                upgrade(engine)
                print("importing the register and the actuals…", file=sys.stderr)
                work.import_register(engine, expect_created=True)
                work.import_actuals(engine)
            finally:
                engine.dispose()
            yield url.replace("postgresql+psycopg://", "postgresql://"), work.files.actual_rows


def render(
    rows: int,
    found: dict[str, dict[str, list[float]]],
    triggers: list[tuple[str, int, float]],
    allocation: dict[str, list[float]],
    rounds: int,
) -> str:
    columns = [*TABLES, "checks at end"]
    width = max(len(name) for name in found) + 2
    lines = [
        f"one part: {rows:,} rows a table; server backend CPU seconds, median of {rounds} "
        f"rounds; load average {os.getloadavg()[0]:.1f}",
        "",
        f"{'variant':<{width}}"
        + "".join(f"{name.replace('_', ' '):>15}" for name in columns)
        + f"{'total':>9}",
    ]
    for name, figures in found.items():
        medians = [statistics.median(figures[column]) for column in columns]
        lines.append(
            f"{name:<{width}}"
            + "".join(f"{value:>15.2f}" for value in medians)
            + f"{sum(medians):>9.2f}"
        )
    lines += ["", "EXPLAIN ANALYZE, as the import writes them: each foreign key's trigger"]
    for name, calls, ms in triggers:
        lines.append(f"  {name:<45}{calls:>8,} calls {ms:>9.0f} ms {1000 * ms / calls:>6.1f} µs")
    lines += ["", f"allocating {rows:,} submission ids (server CPU s, median)"]
    for name, times in allocation.items():
        lines.append(f"  {name:<45}{statistics.median(times):>8.3f}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.pg_history_costs",
        description="Server CPU of writing one part of an actuals history on PostgreSQL.",
    )
    parser.add_argument("--measures", type=int, default=2000, help="register size (2000)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of the variants (5)")
    parser.add_argument("--seed", type=int, default=2026, help="data generator seed (2026)")
    args = parser.parse_args(argv)
    if args.measures < 8 or args.rounds < 1:
        parser.error("--measures must be at least 8 and --rounds at least 1")
    with imported_database(args.measures, args.seed) as (url, actual_rows):
        backend = Backend(url)
        try:
            part = actual_rows // PARTS
            for statement in STAGING:
                backend.run(statement, {"n": part, "shift": SHIFT})
            found = measure_variants(backend, args.rounds)
            triggers = trigger_times(backend)
            allocation = id_allocation(backend, part, args.rounds)
        finally:
            backend.connection.close()
    sys.stdout.write(render(part, found, triggers, allocation, args.rounds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
