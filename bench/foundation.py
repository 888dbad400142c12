"""Foundation benchmark: import and status for a 1,000-measure register (PRODUCT §9).

    python -m bench.foundation                       # fresh SQLite files in a temp dir
    python -m bench.foundation --postgres            # a throwaway PostgreSQL database
    python -m bench.foundation --measures 1000 --repeats 5 --json figures.json

Each repeat starts from a freshly migrated, empty database and times, in order: the register
import, a re-import of the unchanged register, the actuals import (four years of history) and
whole-council and single-measure status. Two baselines are timed in the same run so that the
figures can be compared across machines: parsing and validating the register file alone (no
database), and 1,000 `SELECT 1` round trips on the same engine. Memory (tracemalloc) and SQL
statement counts come from separate, untimed passes so they do not distort the timings.

This is a measurement, not a test: it exits 0 whether or not a goal is met.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import secrets
import sqlite3
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy
from sqlalchemy import Engine, event, inspect, text
from sqlalchemy.engine import make_url

from bench.data import Generated, generate
from bot import services
from bot.actuals import parse_actuals
from bot.periods import Period
from bot.register import MAX_FILE_BYTES, MAX_ROWS, load_register
from storage import queries
from storage.engine import make_engine, read_session
from storage.migrate import upgrade

T = TypeVar("T")

POSTGRES_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
TODAY = date(2026, 5, 1)
NOW = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
PERIOD = "2025-26 Q4"
ACTOR = "bench (foundation)"
SMALL = 100  # the second register size for the statement counts
IMPORT_GOAL = 5.0
STATUS_GOAL = 0.5
SUMMARY_GOAL = 1.0
HOME_GOAL = 0.3
REFERENCE = 1000  # parse cost per measure is compared with a register of this size
PARSE_REFERENCE = "parse_reference"
ROUND_TRIPS = 1000

# Baselines: what each step's ratio is taken against.
PARSE = "parse"
SQL = "sql"
TRACED = {  # the steps whose tracemalloc peak is reported
    "register_import": "register import",
    "actuals_import": "actuals import",
    "status_council_period": "whole-council status",
}
BASELINE_NAMES = {
    PARSE: "register parse + validate, no database (bot.register.load_register)",
    SQL: f"{ROUND_TRIPS:,} x SELECT 1 on one connection of the same engine",
}


# -- databases ----------------------------------------------------------------------------------


class Target:
    """Where each repeat's fresh, migrated database comes from."""

    description = ""

    def fresh(self, label: str) -> Engine:
        raise NotImplementedError

    def release(self, engine: Engine) -> None:
        engine.dispose()

    def server_cpu(self, engine: Engine) -> float | None:
        """CPU seconds used so far by the database server's processes serving `engine`'s
        database (PostgreSQL on this machine: its backends' /proc times), None where that
        cannot be read (SQLite runs inside this process, so its CPU is in `cpu s`)."""
        if engine.dialect.name != "postgresql":
            return None
        with engine.connect() as connection:
            pids = list(
                connection.exec_driver_sql(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                ).scalars()
            )
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0.0
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                return None  # a server on another machine, or not ours to read
            total += (int(fields[11]) + int(fields[12])) / ticks  # utime + stime
        return total

    def server_version(self, engine: Engine) -> str:
        with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                return "PostgreSQL " + str(
                    connection.exec_driver_sql("SHOW server_version").scalar()
                )
        return f"SQLite {sqlite3.sqlite_version}"


class TempSqlite(Target):
    """A new SQLite file per repeat, in a temp dir (the default)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.description = f"SQLite, a new file per repeat in {directory}"

    def fresh(self, label: str) -> Engine:
        engine = make_engine(f"sqlite:///{self.directory / f'bench-{label}.db'}")
        upgrade(engine)
        return engine

    def release(self, engine: Engine) -> None:
        engine.dispose()
        database = engine.url.database
        if database:
            for suffix in ("", "-wal", "-shm"):
                Path(database + suffix).unlink(missing_ok=True)


class GivenDatabase(Target):
    """The database at --database-url, emptied before each repeat."""

    def __init__(self, url: str, *, throwaway: bool = False) -> None:
        self.url = url
        how = "a throwaway database, emptied" if throwaway else "emptied"
        self.description = (
            f"{make_url(url).render_as_string(hide_password=True)} ({how} per repeat)"
        )

    def check_safe_to_empty(self) -> None:
        """Refuse to empty a database that holds anything but pmf-bot's own tables."""
        engine = make_engine(self.url)
        try:
            tables = set(inspect(engine).get_table_names())
        finally:
            engine.dispose()
        if tables and "alembic_version" not in tables:
            shown = ", ".join(sorted(tables)[:5]) + ("…" if len(tables) > 5 else "")
            raise SystemExit(
                f"{self.description}: the database holds tables that are not pmf-bot's "
                f"({shown}); the benchmark empties its database, so give it an empty one."
            )

    def fresh(self, label: str) -> Engine:
        parsed = make_url(self.url)
        if parsed.get_backend_name() == "sqlite":
            database = parsed.database
            if database and database != ":memory:":
                for suffix in ("", "-wal", "-shm"):
                    Path(database + suffix).unlink(missing_ok=True)
        elif parsed.get_backend_name() == "postgresql":
            engine = make_engine(self.url)
            with engine.begin() as connection:
                connection.exec_driver_sql("DROP SCHEMA IF EXISTS public CASCADE")
                connection.exec_driver_sql("CREATE SCHEMA public")
            engine.dispose()
        else:
            raise SystemExit(
                f"{parsed.get_backend_name()}: only SQLite and PostgreSQL are supported"
            )
        engine = make_engine(self.url)
        upgrade(engine)
        return engine


@contextmanager
def throwaway_postgres(server: str) -> Iterator[str]:
    """Create `pmf_bench_<random>` on the server and drop it (WITH (FORCE)) at the end."""
    import psycopg
    from psycopg import sql

    url = make_url(server)
    name = f"pmf_bench_{secrets.token_hex(5)}"

    def admin() -> psycopg.Connection[Any]:
        return psycopg.connect(
            host=url.host or "127.0.0.1",
            port=url.port or 5432,
            user=url.username or "postgres",
            password=url.password,
            dbname=url.database or "postgres",
            autocommit=True,
            connect_timeout=5,
        )

    with admin() as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield url.set(drivername="postgresql+psycopg", database=name).render_as_string(
            hide_password=False
        )
    finally:
        with admin() as connection:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


# -- measuring ----------------------------------------------------------------------------------


@dataclass
class Step:
    key: str
    title: str
    baseline: str | None = None  # PARSE or SQL; None for a baseline itself
    goal: float | None = None
    times: list[float] = field(default_factory=list)
    cpu_times: list[float] = field(default_factory=list)  # this process's CPU, not the server's
    server_cpu_times: list[float] = field(default_factory=list)  # PostgreSQL backends' CPU

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu_times)

    @property
    def server_cpu_median(self) -> float | None:
        return statistics.median(self.server_cpu_times) if self.server_cpu_times else None

    def as_json(self, baselines: dict[str, Step]) -> dict[str, Any]:
        ratio = self.median / baselines[self.baseline].median if self.baseline else None
        return {
            "title": self.title,
            "median_s": self.median,
            "min_s": min(self.times),
            "max_s": max(self.times),
            "times_s": self.times,
            "cpu_median_s": self.cpu_median,
            "cpu_times_s": self.cpu_times,
            "server_cpu_median_s": self.server_cpu_median,
            "server_cpu_times_s": self.server_cpu_times,
            "baseline": self.baseline,
            "ratio_to_baseline": ratio,
            "goal_s": self.goal,
            "goal_met": self.median < self.goal if self.goal is not None else None,
        }


def clock(action: Callable[[], T]) -> tuple[float, float, T]:
    """Wall-clock and process CPU seconds taken by `action`, after a garbage collection so one
    step's garbage is not collected on another's time."""
    gc.collect()
    cpu, start = time.process_time(), time.perf_counter()
    result = action()
    return time.perf_counter() - start, time.process_time() - cpu, result


def round_trips(engine: Engine) -> None:
    with engine.connect() as connection:
        for _ in range(ROUND_TRIPS):
            connection.execute(text("SELECT 1")).scalar()


class StatementCounter:
    """Counts cursor executions (each a round trip to the database) on an engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._on_execute)

    def _on_execute(self, *_args: Any) -> None:
        self.count += 1

    def take(self) -> int:
        count, self.count = self.count, 0
        return count

    def remove(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._on_execute)


@dataclass
class Workload:
    """The files and the expectations of one register size."""

    files: Generated

    @property
    def measures(self) -> int:
        return self.files.measures

    def import_register(self, engine: Engine, expect_created: bool) -> None:
        report = services.import_register(engine, self.files.register, actor=ACTOR, now=NOW)
        if expect_created and len(report.created) != self.measures:
            raise RuntimeError(f"register import created {len(report.created)} measures")
        if not expect_created and report.unchanged != self.measures:
            raise RuntimeError(
                f"re-import: {report.unchanged} unchanged, {len(report.updated)} updated"
            )

    def actuals_files(self) -> list[Path]:
        """The actuals file, or, when it is larger than one import may be (10 MB or 100,000
        rows: 10,000 measures' four years are 12 MB and 240,400 rows), consecutive parts of
        it, each imported in turn as a council would."""
        source = self.files.actuals
        lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
        if source.stat().st_size <= MAX_FILE_BYTES and len(lines) <= MAX_ROWS:
            return [source]
        header, rows = lines[0], lines[1:]
        size = MAX_ROWS // 2
        parts = []
        for number, start in enumerate(range(0, len(rows), size), start=1):
            part = source.with_name(f"{source.stem}-part{number}.csv")
            part.write_text(header + "".join(rows[start : start + size]), encoding="utf-8")
            parts.append(part)
        return parts

    def import_actuals(self, engine: Engine) -> None:
        stored = 0
        actor = services.admins(engine)[0]
        for path in self.actuals_files():
            report = services.import_actuals(engine, path, actor=actor, now=NOW, today=TODAY)
            stored += report.stored
        if stored != self.files.actual_rows:
            raise RuntimeError(f"actuals import stored {stored} values")

    def parse_actuals(self, engine: Engine) -> None:
        with read_session(engine) as session:
            measures = queries.load_measures(session, active_only=False)
        for path in self.actuals_files():
            parse_actuals(path, measures, TODAY)

    def status_council(self, engine: Engine, period: str | None) -> services.StatusReport:
        wanted = Period.parse(period) if period else None
        report = services.status(engine, None, wanted, today=TODAY)
        if len(report.rows) != self.measures:
            raise RuntimeError(f"status has {len(report.rows)} rows")
        return report

    def summary(self, engine: Engine) -> None:
        from bot import summaries

        council = services.council_info(engine)
        built = summaries.summary(engine, council, Period.parse(PERIOD), today=TODAY)
        if built is None:
            raise RuntimeError("no summary")

    def app_home(self, engine: Engine) -> None:
        """The App Home of the collector of the first measure, built as pmf-bot builds it when
        they open it (inbox from the database, then the chat-neutral page)."""
        from zoneinfo import ZoneInfo

        from bot.chat.inbox import home_page
        from bot.inbox import inbox

        council = services.council_info(engine)
        email = services.measures(engine)[self.files.first_ref].collector or ""
        box = inbox(engine, council, email=email, today=TODAY)
        home_page(box, ZoneInfo("Europe/London"))

    def status_one(self, engine: Engine) -> None:
        report = services.status(engine, self.files.first_ref, Period.parse(PERIOD), today=TODAY)
        if len(report.rows) != 1:
            raise RuntimeError(f"single-measure status has {len(report.rows)} rows")


def make_steps(reference: bool = False) -> dict[str, Step]:
    steps = [
        Step(PARSE, "register parse + validate (no database)"),
        Step(SQL, f"SQL round trips ({ROUND_TRIPS:,} x SELECT 1)"),
        Step("register_import", "register import (all new)", PARSE, IMPORT_GOAL),
        Step("register_reimport", "register re-import (all unchanged)", PARSE, IMPORT_GOAL),
        Step("actuals_import", "actuals import (four years)", PARSE, IMPORT_GOAL),
        Step("actuals_parse", "  of which: parse + check the file", PARSE),
        Step(
            "status_council_first",
            f"status, whole council, {PERIOD}, 1st call",
            SQL,
            STATUS_GOAL,
        ),
        Step("status_council_period", f"status, whole council, {PERIOD}", SQL, STATUS_GOAL),
        Step("status_council_latest", "status, whole council, latest ended", SQL, STATUS_GOAL),
        Step("status_measure", f"status, one measure, {PERIOD}", SQL, STATUS_GOAL),
        Step("summary", f"summary, whole council, {PERIOD}", SQL, SUMMARY_GOAL),
        Step("app_home", "App Home of one collector (build)", SQL, HOME_GOAL),
    ]
    if reference:
        steps.insert(1, Step(PARSE_REFERENCE, f"register parse at {REFERENCE:,} measures", PARSE))
    return {step.key: step for step in steps}


def timed_repeat(
    target: Target,
    work: Workload,
    steps: dict[str, Step],
    label: str,
    reference: Workload | None = None,
) -> None:
    engine = target.fresh(label)
    try:

        def record(key: str, action: Callable[[], Any]) -> Any:
            server_before = target.server_cpu(engine)
            seconds, cpu, result = clock(action)
            server_after = target.server_cpu(engine)
            steps[key].times.append(seconds)
            steps[key].cpu_times.append(cpu)
            if server_before is not None and server_after is not None:
                steps[key].server_cpu_times.append(server_after - server_before)
            return result

        record(PARSE, lambda: load_register(work.files.register))
        record(SQL, lambda: round_trips(engine))
        record("register_import", lambda: work.import_register(engine, expect_created=True))
        record("register_reimport", lambda: work.import_register(engine, expect_created=False))
        record("actuals_parse", lambda: work.parse_actuals(engine))
        record("actuals_import", lambda: work.import_actuals(engine))
        record("status_council_first", lambda: work.status_council(engine, PERIOD))
        record("status_council_period", lambda: work.status_council(engine, PERIOD))
        record("status_council_latest", lambda: work.status_council(engine, None))
        record("status_measure", lambda: work.status_one(engine))
        record("summary", lambda: work.summary(engine))
        record("app_home", lambda: work.app_home(engine))
        if reference is not None:
            record(PARSE_REFERENCE, lambda: load_register(reference.files.register))
    finally:
        target.release(engine)


@dataclass
class UntimedResult:
    statements: dict[str, int]
    traced_peak: dict[str, int]  # bytes
    status_counts: dict[str, int]


def untimed_pass(target: Target, work: Workload, trace: bool, label: str) -> UntimedResult:
    """Statement counts per step and, with `trace`, the tracemalloc peak of each step."""
    engine = target.fresh(label)
    counter = StatementCounter(engine)
    statements: dict[str, int] = {}
    peaks: dict[str, int] = {}
    if trace:
        tracemalloc.start()
    try:

        def run(key: str, action: Callable[[], T]) -> T:
            gc.collect()
            counter.take()
            if trace:
                tracemalloc.reset_peak()
                before = tracemalloc.get_traced_memory()[0]
            result = action()
            statements[key] = counter.take()
            if trace:
                peaks[key] = tracemalloc.get_traced_memory()[1] - before
            return result

        run("register_import", lambda: work.import_register(engine, expect_created=True))
        run("register_reimport", lambda: work.import_register(engine, expect_created=False))
        run("actuals_import", lambda: work.import_actuals(engine))
        report = run("status_council_period", lambda: work.status_council(engine, PERIOD))
        run("status_council_latest", lambda: work.status_council(engine, None))
        run("status_measure", lambda: work.status_one(engine))
        run("summary", lambda: work.summary(engine))
        run("app_home", lambda: work.app_home(engine))
    finally:
        if trace:
            tracemalloc.stop()
        counter.remove()
        target.release(engine)
    counts = {status.value: count for status, count in sorted(report.counts().items())}
    return UntimedResult(statements, peaks, counts)


def max_rss_kb() -> int:
    # ru_maxrss is in kilobytes on Linux (bytes on macOS).
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak


def current_rss_kb() -> int | None:
    try:
        with open("/proc/self/statm") as handle:
            pages = int(handle.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE") // 1024


# -- report -------------------------------------------------------------------------------------


def mb(kilobytes: int | float) -> str:
    megabytes = kilobytes / 1024
    return f"{megabytes:,.1f} MB" if megabytes < 10 else f"{megabytes:,.0f} MB"


def render(figures: dict[str, Any], steps: dict[str, Step]) -> str:
    lines: list[str] = []
    info = figures["run"]
    lines.append(
        f"pmf-bot foundation benchmark: {info['measures']:,} measures "
        f"({info['intervals']}), {info['people']} people, "
        f"{info['actual_rows']:,} actuals rows; median of {info['repeats']} repeats"
    )
    lines.append(f"database: {info['database']} ({info['server']})")
    lines.append(
        f"machine: {info['python']}, SQLAlchemy {info['sqlalchemy']}, {info['cpus']} CPUs, "
        f"{info['platform']}"
    )
    lines.append(
        f"load average (1 min) at start {info['load_start']:.2f}, at end {info['load_end']:.2f}: "
        "other work on the machine inflates wall-clock times"
    )
    lines.append("")
    server = any(step.server_cpu_times for step in steps.values())
    header = (
        f"{'step':<44} {'median s':>9} {'min':>7} {'max':>7} {'cpu s':>7} "
        + (f"{'srv s':>7} " if server else "")
        + f" {'vs':<5} {'ratio':>6}  {'goal':<8} met"
    )
    lines.append(header)
    lines.append("-" * len(header))
    baselines = {key: steps[key] for key in (PARSE, SQL)}
    for step in steps.values():
        if step.baseline is None:
            versus, ratio, goal, met = "", "1.00", "", "baseline"
        else:
            versus = step.baseline
            ratio = f"{step.median / baselines[step.baseline].median:.2f}"
            goal = f"< {step.goal:g} s" if step.goal is not None else ""
            met = ("yes" if step.median < step.goal else "NO") if step.goal is not None else ""
        served = step.server_cpu_median
        lines.append(
            f"{step.title:<44} {step.median:>9.3f} {min(step.times):>7.3f} "
            f"{max(step.times):>7.3f} {step.cpu_median:>7.3f} "
            + ((f"{served:>7.3f} " if served is not None else f"{'':>7} ") if server else "")
            + f" {versus:<5} {ratio:>6}  {goal:<8} {met}".rstrip()
        )
    lines.append("")
    lines.append("cpu s = median CPU time of this process (the database server's is not counted)")
    if server:
        lines.append(
            "srv s = median CPU time of the PostgreSQL backends serving the bench's database "
            "(/proc), the server's share of the step"
        )
    lines.append("ratio = median / median of the baseline named in 'vs', measured in the same run:")
    for key, name in BASELINE_NAMES.items():
        lines.append(f"  {key:<5} {name}")
    per_measure = [(info["measures"], steps[PARSE])]
    if PARSE_REFERENCE in steps:
        per_measure.append((REFERENCE, steps[PARSE_REFERENCE]))
    lines.append("")
    lines.append(
        "register parse + validate per measure (median, wall / CPU): "
        + "; ".join(
            f"{size:,} measures {step.median / size * 1000:.3f} / "
            f"{step.cpu_median / size * 1000:.3f} ms"
            for size, step in per_measure
        )
    )
    memory = figures["memory"]
    lines.append("")
    lines.append("memory")
    lines.append(f"  RSS at start (modules loaded, no work)        {mb(memory['rss_start_kb']):>8}")
    lines.append(f"  peak RSS of the process over the timed runs   {mb(memory['peak_rss_kb']):>8}")
    lines.append(
        f"  peak RSS at the end (incl. tracemalloc pass)  {mb(memory['peak_rss_end_kb']):>8}"
    )
    for key, peak in memory["tracemalloc_peak_bytes"].items():
        title = "tracemalloc peak, " + TRACED[key]
        lines.append(f"  {title:<46}{mb(peak / 1024):>8}")
    lines.append("")
    counts = figures["statements"]
    sizes = sorted(counts, key=int)
    lines.append(
        f"{'SQL statements (cursor executions)':<46}"
        + "".join(f"{int(size):>9,} m" for size in sizes)
    )
    for key in counts[sizes[0]]:
        lines.append(
            f"  {steps[key].title:<44}" + "".join(f"{counts[size][key]:>11,}" for size in sizes)
        )
    lines.append("")
    lines.append(
        f"status {PERIOD} RAGG counts ({info['measures']:,} measures): "
        + ", ".join(f"{name} {count}" for name, count in figures["status_counts"].items())
    )
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, Step]]:
    """Generate the data, run the timed repeats and the untimed passes; the figures (as
    written by --json) and the steps."""
    rss_start = current_rss_kb() or max_rss_kb()
    load_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="pmf-bench-") as temp:
        directory = Path(temp)
        print(
            f"generating {args.measures:,} measures and their history in {directory}…",
            file=sys.stderr,
        )
        big = generate(directory, args.measures, seed=args.seed)
        small = generate(directory, SMALL, seed=args.seed) if args.measures != SMALL else None
        work = Workload(big)

        target: Target
        if args.database_url:
            given = GivenDatabase(args.database_url, throwaway=args.postgres)
            given.check_safe_to_empty()
            target = given
        else:
            target = TempSqlite(directory)

        probe = target.fresh("probe")
        server = target.server_version(probe)
        target.release(probe)

        reference = None
        if args.measures != REFERENCE:
            reference = Workload(generate(directory, REFERENCE, seed=args.seed))
        steps = make_steps(reference is not None)
        for repeat in range(1, args.repeats + 1):
            print(f"timed repeat {repeat}/{args.repeats}…", file=sys.stderr)
            timed_repeat(target, work, steps, f"r{repeat}", reference)
        peak_rss = max_rss_kb()

        print("untimed pass: statement counts and tracemalloc…", file=sys.stderr)
        big_pass = untimed_pass(target, work, trace=True, label="trace")
        statements = {str(args.measures): big_pass.statements}
        if small is not None:
            small_pass = untimed_pass(target, Workload(small), trace=False, label="s")
            statements[str(SMALL)] = small_pass.statements

    baselines = {key: steps[key] for key in (PARSE, SQL)}
    figures = {
        "run": {
            "measures": big.measures,
            "intervals": ", ".join(f"{count} {name}" for name, count in big.intervals.items()),
            "people": big.people,
            "actual_rows": big.actual_rows,
            "repeats": args.repeats,
            "database": target.description,
            "server": server,
            "python": f"Python {platform.python_version()}",
            "sqlalchemy": sqlalchemy.__version__,
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "load_start": load_start,
            "load_end": os.getloadavg()[0],
        },
        "steps": {key: step.as_json(baselines) for key, step in steps.items()},
        "memory": {
            "rss_start_kb": rss_start,
            "peak_rss_kb": peak_rss,
            "peak_rss_end_kb": max_rss_kb(),
            "tracemalloc_peak_bytes": {key: big_pass.traced_peak[key] for key in TRACED},
        },
        "statements": statements,
        "status_counts": big_pass.status_counts,
    }
    return figures, steps


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.foundation",
        description="Time register and actuals import and whole-council status (PRODUCT §9).",
    )
    parser.add_argument("--measures", type=int, default=1000, help="register size (1000)")
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats (5)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--database-url",
        help="SQLAlchemy URL of a database to use; EMPTIED before every repeat "
        "(default: a fresh SQLite file per repeat in a temp dir)",
    )
    where.add_argument(
        "--postgres",
        action="store_true",
        help=f"create a throwaway database on {POSTGRES_SERVER.rsplit('/', 1)[0]} "
        "and drop it at the end",
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the figures here")
    parser.add_argument("--seed", type=int, default=2026, help="data generator seed (2026)")
    args = parser.parse_args(argv)
    if args.measures < 8 or args.repeats < 1:
        parser.error("--measures must be at least 8 and --repeats at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.postgres:
        with throwaway_postgres(POSTGRES_SERVER) as url:
            args.database_url = url
            figures, steps = run(args)
    else:
        figures, steps = run(args)
    sys.stdout.write(render(figures, steps))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
        print(f"figures written to {args.json}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
