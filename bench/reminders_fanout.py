"""Reminder fan-out benchmark: 2,000 collector reminders against a rate-limited API (PRODUCT §9).

    python -m bench.reminders_fanout                          # SQLite in a temporary directory
    python -m bench.reminders_fanout --postgres               # a throwaway PostgreSQL database
    python -m bench.reminders_fanout --postgres --processes 2 # two replicas, one database
    python -m bench.reminders_fanout --collectors 2000 --rate 50 --json fanout.json

One run builds a register (from bench/data.py's generator) in which each of `--collectors`
quarterly measures, all with the same reporting lag, has its own data collector, imports it
with `bot.services.import_register`, and picks the moment when every collector's "5 working
days before the deadline" reminder for 2026-27 Q1 falls due (09:05 on that day). The Slack Web
API stand-in (sandbox/slack_api.py) knows every person, and `chat.postMessage` is limited to
`--rate` calls a second (a token bucket holding `--burst` calls, by default one second's worth;
above it the stand-in answers 429 with an integer `Retry-After`, as Slack does).

Slack user ids are resolved before the clock starts with the product's own
`Directory.warm_up()` (users.lookupByEmail for everyone, stored on `person.slack_user_id`, as
`pmf-bot run` does at start-up); `--directory cold` leaves them to the fan-out instead. DM
channels are not pre-opened: each worker calls `conversations.open` once per recipient, as a
freshly started bot does.

Then `--processes` worker processes (1, or 2 on PostgreSQL to show that replicas never send a
reminder twice) run the real `bot.delivery.tick` with the real `SlackTransport`
and a real `time.sleep`, ticking again at once while work is waiting, else every minute of the
app's clock (`--clock-speed` makes that clock run faster, to reach the 5-minute stale-claim
takeover sooner). The clock starts when every worker is ready; the parent watches the outbox
and the run ends when every planned row is there and none is pending or sending (or at the last
successful chat.postMessage, if one came later: it would be a duplicate). The workers are
separate processes from the stand-in, so that the stand-in's HTTP server does not share their
GIL (Slack's servers are on other machines).

`--burst`, `--open-rate` (conversations.open) and `--lookup-rate` (users.lookupByEmail) change
the stand-in's limits to probe how the delivery loop copes; bench/REMINDERS_FANOUT.md has the
figures and what they show.

Reported: reminders that should have been sent, delivered (distinct keys found in the messages
the stand-in stored, from their message metadata), lost, duplicated, 429s received, the total
time, the minimum the rate allows ((reminders − burst) / rate), their ratio, and where the time
went: a replay of the token bucket over the recorded calls (tokens that overflowed a full
bucket are time the rate allowed but nothing was sent), and per worker the time inside `send`
(with its Directory look-ups and its chat.postMessage call), sleeping on `Retry-After`, between
sends and at each claim batch's boundary, and a median-cost probe of one read session and one
write session on the database. This is a measurement, not a test: it exits 0 whether
or not a goal is met.
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import os
import platform
import queue
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as time_of_day
from multiprocessing.queues import Queue as MPQueue
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

import yaml
from slack_sdk import WebClient
from slack_sdk.web import SlackResponse
from sqlalchemy import Engine, event, func, inspect, update
from sqlalchemy.engine import make_url
from sqlmodel import col, select

from bench.data import DOMAIN, register_document
from bench.foundation import throwaway_postgres
from bot import services
from bot.chat.model import Message
from bot.delivery import DeliveryError, Transport, situation_plan, tick
from bot.outbox import Ref
from bot.periods import Period
from bot.reminders import Kind
from bot.scheduler import TICK_SECONDS, worker_name
from bot.settings import load_settings
from handlers.slack.app import build_app
from handlers.slack.context import Directory
from handlers.slack.transport import METADATA_TYPE, SlackTransport
from sandbox.slack_api import SlackStandIn
from storage.engine import make_engine, read_session, write_session
from storage.migrate import upgrade
from storage.models import OutboxItem as ReminderRow
from storage.models import Person

LONDON = ZoneInfo("Europe/London")
POSTGRES_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
PERIOD = "2026-27 Q1"
REPORTING_LAG = 10  # working days after the quarter's end, the same for every measure
DAYS_BEFORE = 5  # the reminder that falls due: 5 working days before the deadline
AT = time_of_day(9, 5)  # just after the policy's 09:00
SETUP_AT = datetime(2026, 6, 1, 9, 0, tzinfo=LONDON)  # when the register is imported
BOT_TOKEN = "xoxb-bench-token"
SECRET = "bench-signing-secret"
RATIO_GOAL = 1.25
READY_TIMEOUT = 120.0  # seconds for a worker to import and connect
WORKER_HEADER = "X-Bench-Worker"
TIMELINE_UP_TO = 200  # runs with at most this many reminders keep every call in the JSON
POLL = 0.05  # seconds between the parent's looks at the outbox
GRACE = 120.0  # seconds a worker may take to finish its tick once told to stop


# -- the register -------------------------------------------------------------------------------


def collector_email(index: int) -> str:
    return f"collector.{index:04d}@{DOMAIN}"


def build_register(collectors: int, seed: int) -> dict[str, Any]:
    """bench/data.py's register for `collectors` measures, made uniform for the fan-out.

    Every measure becomes quarterly with a reporting lag of REPORTING_LAG working days, and
    gets its own new collector (managed by the measure's reviewer). Reviewers, covers (the
    generator's original collector, a second officer) and Heads of Service stay as generated,
    so every reviewer differs from the collector.
    """
    document, _plans = register_document(collectors, seed)
    people: list[dict[str, Any]] = list(document["people"])
    index = 0
    for priority in document["priorities"]:
        for aim in priority["aims"]:
            for measure in aim["measures"]:
                index += 1
                email = collector_email(index)
                people.append(
                    {
                        "email": email,
                        "name": f"Collector {index:04d}",
                        "manager": measure["reviewer"],
                    }
                )
                measure["cover"] = measure["collector"]
                measure["collector"] = email
                measure["interval"] = "quarterly"
                measure["reporting_lag"] = REPORTING_LAG
                measure["definition"] = f"{measure['title']}, per quarter (benchmark measure)"
    if index != collectors:
        raise AssertionError(f"the generator made {index} measures, not {collectors}")
    document["people"] = people
    document["council"] = "Example District Council (reminder fan-out benchmark)"
    return document


def write_register(document: dict[str, Any], directory: Path) -> Path:
    path = directory / "register-fanout.yaml"
    dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    with path.open("w", encoding="utf-8") as handle:
        handle.write("# Generated by bench/reminders_fanout.py: invented council and people.\n")
        yaml.dump(document, handle, Dumper=dumper, sort_keys=False, width=200)
    return path


# -- databases ----------------------------------------------------------------------------------


@contextmanager
def database(args: argparse.Namespace, directory: Path) -> Iterator[str]:
    if args.postgres:
        with throwaway_postgres(POSTGRES_SERVER) as url:
            yield url
    elif args.database_url:
        yield args.database_url
    else:
        yield f"sqlite:///{directory / 'fanout.db'}"


def check_empty(url: str) -> None:
    """The benchmark fills its database, so it must start empty."""
    engine = make_engine(url)
    try:
        tables = inspect(engine).get_table_names()
    finally:
        engine.dispose()
    if tables:
        raise SystemExit(
            f"{describe(url)} already holds tables ({', '.join(sorted(tables)[:5])}…); "
            "give the benchmark an empty database, or use --postgres for a throwaway one."
        )


def describe(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def server_version(engine: Engine) -> str:
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            return "PostgreSQL " + str(connection.exec_driver_sql("SHOW server_version").scalar())
    return f"SQLite {sqlite3.sqlite_version}"


# -- the worker processes -----------------------------------------------------------------------


@dataclass
class Timings:
    """What one worker saw, in seconds unless named otherwise."""

    sends_ok: list[float] = field(default_factory=list)  # each successful send(), whole call
    posts_ok: list[float] = field(default_factory=list)  # its chat.postMessage HTTP call only
    sends_limited: list[float] = field(default_factory=list)  # each send() answered 429
    sends_failed: list[float] = field(default_factory=list)
    retry_after: Counter[str] = field(default_factory=Counter)
    sleep_requested: float = 0.0
    sleep_actual: float = 0.0
    sleeps: int = 0
    http: Counter[str] = field(default_factory=Counter)  # sender-client calls by method
    finds: int = 0
    first_send_at: float | None = None  # wall clock
    last_send_at: float | None = None
    db_seconds: float = 0.0  # inside cursor.execute (commits not included)
    db_statements: int = 0
    # Between the end of one successful send() and the start of the next, sleeps excluded:
    # the row's mark_sent and the loop (`between`), or, every `batch` messages, also the next
    # claim and the re-reading of the batch's contents (`at_batch`).
    between: list[float] = field(default_factory=list)
    at_batch: list[float] = field(default_factory=list)
    user_for: list[float] = field(default_factory=list)  # Directory.user_for, inside send()
    dm_channel: list[float] = field(default_factory=list)  # the DM channel, inside post()


class TimedClient(WebClient):
    """The sender's WebClient, unchanged but for timing each chat.postMessage."""

    def __init__(self, timings: Timings, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.timings = timings

    def api_call(self, api_method: str, **kwargs: Any) -> SlackResponse:
        self.timings.http[api_method] += 1
        started = time.perf_counter()
        try:
            return super().api_call(api_method, **kwargs)
        finally:
            if api_method == "chat.postMessage":
                self.timings.posts_ok.append(time.perf_counter() - started)


class TimedDirectory(Directory):
    """The product's Directory, timing the two look-ups the sender makes for each reminder."""

    def __init__(self, timings: Timings, *args: Any) -> None:
        super().__init__(*args)
        self.timings = timings

    def user_for(self, email: str) -> str | None:
        began = time.perf_counter()
        try:
            return super().user_for(email)
        finally:
            self.timings.user_for.append(time.perf_counter() - began)


class TimedSender:
    """Delegates to the real SlackTransport and records how long each call took."""

    def __init__(self, inner: SlackTransport, timings: Timings, batch: int) -> None:
        self.inner = inner
        self.timings = timings
        self.batch = batch
        self._after_ok: tuple[float, float] | None = None  # (perf_counter, sleep so far)

    surface = "slack"

    def __getattr__(self, name: str) -> Any:  # the rest of the Transport, untimed
        return getattr(self.inner, name)

    def reaches(self, email: str) -> bool:
        return self.inner.reaches(email)

    def find(self, email: str, key: str) -> Ref | None:
        self.timings.finds += 1
        return self.inner.find(email, key)

    def post(self, email: str, message: Message, key: str) -> Ref:
        timings = self.timings
        if timings.first_send_at is None:
            timings.first_send_at = time.time()
        posts = len(timings.posts_ok)
        started = time.perf_counter()
        if self._after_ok is not None:
            gap = started - self._after_ok[0] - (timings.sleep_actual - self._after_ok[1])
            boundary = len(timings.sends_ok) % self.batch == 0
            (timings.at_batch if boundary else timings.between).append(gap)
        self._after_ok = None
        try:
            answer = self.inner.post(email, message, key)
        except DeliveryError as error:
            elapsed = time.perf_counter() - started
            del timings.posts_ok[posts:]  # only successful posts are kept there
            if error.retry_after is not None:
                timings.sends_limited.append(elapsed)
                timings.retry_after[f"{error.retry_after:g}"] += 1
            else:
                timings.sends_failed.append(elapsed)
            raise
        ended = time.perf_counter()
        timings.sends_ok.append(ended - started)
        timings.last_send_at = time.time()
        self._after_ok = (ended, timings.sleep_actual)
        return answer


def count_statements(engine: Engine, timings: Timings) -> None:
    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn: Any, *_args: Any) -> None:
        conn.info.setdefault("bench_started", []).append(time.perf_counter())

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn: Any, *_args: Any) -> None:
        timings.db_seconds += time.perf_counter() - conn.info["bench_started"].pop()
        timings.db_statements += 1


def outbox(engine: Engine) -> Counter[str]:
    """Reminder rows by status."""
    with read_session(engine) as session:
        rows = session.exec(
            select(ReminderRow.status, func.count()).group_by(col(ReminderRow.status))
        ).all()
    return Counter({str(status): int(count) for status, count in rows})


def worker_main(
    config: dict[str, Any],
    ready: MPQueue[Any],
    go: Any,  # multiprocessing.Event
    go_at: Any,  # multiprocessing.Value("d"): the wall-clock second the clock started
    stop: Any,  # multiprocessing.Event, set by the parent once nothing is left (or on timeout)
    results: MPQueue[Any],
) -> None:
    """One bot replica: tick as the scheduler does until told to stop; report what it saw."""
    logging.basicConfig(level=logging.ERROR, format="worker %(process)d: %(message)s")
    timings = Timings()
    zone = LONDON
    start = datetime.fromisoformat(config["start"])
    origin = [time.time()]

    speed = config["clock_speed"]
    idle = min(5.0, TICK_SECONDS / speed)  # the scheduler ticks every minute of the app's clock

    def clock() -> datetime:
        return start + timedelta(seconds=(time.time() - origin[0]) * speed)

    engine = make_engine(config["database_url"])
    settings = load_settings(
        {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": config["api_url"],
            "PMF_DATABASE_URL": config["database_url"],
        }
    )
    _app, deps = build_app(settings, engine, clock=clock, deliver=False)
    deps.directory = TimedDirectory(timings, engine, deps.client, clock)
    name = worker_name()
    product = SlackTransport(engine, deps.client, deps.directory)
    original_dm = product.dm_channel

    def timed_dm(email: str) -> str:
        began = time.perf_counter()
        try:
            return original_dm(email)
        finally:
            timings.dm_channel.append(time.perf_counter() - began)

    product.dm_channel = timed_dm  # type: ignore[method-assign]
    # The sender's own client, configured as the product configures it, timed, and tagged so
    # that the stand-in's record says which worker sent what.
    product.client = TimedClient(
        timings,
        token=product.client.token,
        base_url=product.client.base_url,
        timeout=product.client.timeout,
        retry_handlers=list(product.client.retry_handlers),
        headers={**product.client.headers, WORKER_HEADER: name},
    )
    sender = TimedSender(product, timings, config["batch"])
    # A running bot has ticked every minute since it started: warm imports and caches with a
    # read-only plan (nothing is stored or sent), then count statements from here on.
    situation_plan(engine, services.council_info(engine), start, zone)
    count_statements(engine, timings)
    ready.put(name)
    go.wait()
    origin[0] = go_at.value

    def timed_sleep(seconds: float) -> None:
        timings.sleeps += 1
        timings.sleep_requested += seconds
        began = time.perf_counter()
        time.sleep(seconds)
        timings.sleep_actual += time.perf_counter() - began

    totals: Counter[str] = Counter()
    errors: list[str] = []
    ticks = 0
    busy = 0.0  # in ticks that delivered something (idle ticks are not part of the fan-out)
    idle_ticks = 0.0
    while not stop.is_set():
        began = time.perf_counter()
        try:
            report = tick(
                engine,
                services.council_info(engine),
                cast(Transport, sender),
                now=deps.now(),
                zone=zone,
                worker=name,
                batch=config["batch"],
                sleep=timed_sleep,
                clock=deps.now,
            )
        except Exception as error:  # as bot.scheduler.run_tick: log, and the next tick retries
            errors.append(f"{type(error).__name__}: {error}"[:300])
            report = None
        spent = time.perf_counter() - began
        ticks += 1
        if report is not None:
            for key in ("planned", "sent", "dropped", "retried", "recovered"):
                totals[key] += getattr(report, key)
        worked = report is not None and bool(
            report.sent or report.dropped or report.recovered or report.retried
        )
        if worked:
            busy += spent
        else:
            idle_ticks += spent
        if not worked or outbox(engine)["pending"] == 0:
            # Nothing was due, or nothing is waiting (rows `sending` are the other replica's):
            # wait for the next tick, as the scheduler does, or for the parent's stop.
            stop.wait(idle)
    finished = time.time()
    engine.dispose()
    results.put(
        {
            "worker": name,
            "ticks": ticks,
            "errors": errors,
            "report": dict(totals),
            "finished_at": finished,
            "busy_seconds": busy,
            "idle_tick_seconds": idle_ticks,
            "first_send_at": timings.first_send_at,
            "last_send_at": timings.last_send_at,
            "sends_ok": timings.sends_ok,
            "posts_ok": timings.posts_ok,
            "sends_limited": timings.sends_limited,
            "sends_failed": len(timings.sends_failed),
            "between": timings.between,
            "user_for": timings.user_for,
            "dm_channel": timings.dm_channel,
            "at_batch": timings.at_batch,
            "retry_after": dict(timings.retry_after),
            "sleeps": timings.sleeps,
            "sleep_requested": timings.sleep_requested,
            "sleep_actual": timings.sleep_actual,
            "http": dict(timings.http),
            "finds": timings.finds,
            "db_seconds": timings.db_seconds,
            "db_statements": timings.db_statements,
        }
    )


# -- analysis -----------------------------------------------------------------------------------


@dataclass
class Replay:
    """The stand-in's token bucket replayed over the successful calls' times."""

    wasted_before_first: float = 0.0  # tokens that overflowed a full bucket, by phase
    wasted_between: float = 0.0
    left_at_end: float = 0.0  # tokens still in the bucket at the last successful call
    gaps: list[tuple[float, float, float]] = field(default_factory=list)  # (at, gap, wasted)


def replay_bucket(times: list[float], start: float, rate: float, capacity: float) -> Replay:
    """Where the bucket overflowed: each token that overflowed is 1/rate s the run lost.

    With `ok` successful calls ending at `last`, `ok = capacity + rate·(last − start) − wasted
    − left_at_end`, so `last − start = (ok − capacity)/rate + (wasted + left_at_end)/rate`.
    """
    replay = Replay()
    tokens, previous = capacity, start
    for index, at in enumerate(sorted(times)):
        tokens += (at - previous) * rate
        if tokens > capacity:
            overflow = tokens - capacity
            if index == 0:
                replay.wasted_before_first += overflow
            else:
                replay.wasted_between += overflow
            if at - previous > 0.05:
                replay.gaps.append((at - start, at - previous, overflow))
            tokens = capacity
        tokens -= 1
        previous = at
    replay.left_at_end = max(tokens, 0.0)
    return replay


def stored_keys(slack: SlackStandIn, user_of_channel: dict[str, str]) -> tuple[Counter[str], int]:
    """Reminder keys in every message the stand-in holds, and how many sit in a wrong DM."""
    keys: Counter[str] = Counter()
    misplaced = 0
    for channel in list(slack.channels):
        for message in slack.messages(channel):
            metadata = message.get("metadata") or {}
            if metadata.get("event_type") != METADATA_TYPE:
                continue
            key = str((metadata.get("event_payload") or {}).get("key"))
            keys[key] += 1
            recipient = key.rsplit("|", 1)[-1]
            if user_of_channel.get(channel) != recipient:
                misplaced += 1
    return keys, misplaced


def figures_of(values: list[float]) -> dict[str, float] | None:
    if not values:
        return None
    ordered = sorted(values)
    return {
        "count": len(ordered),
        "mean_ms": statistics.fmean(ordered) * 1000,
        "median_ms": ordered[len(ordered) // 2] * 1000,
        "p95_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] * 1000,
        "total_s": sum(ordered),
    }


def probe_database(engine: Engine, emails: list[str], rounds: int = 200) -> dict[str, float]:
    """Median cost, in ms, of the database work the delivery loop repeats for every reminder:
    a read session with one SELECT (as `Directory.user_for` does in `send`) and a write session
    with one UPDATE and its commit (as `mark_sent`), beside a bare `SELECT 1` round trip."""
    chosen = emails[:rounds]
    moment = SETUP_AT

    def median_ms(action: Callable[[str], object]) -> float:
        spent = []
        for email in chosen:
            began = time.perf_counter()
            action(email)
            spent.append(time.perf_counter() - began)
        return statistics.median(spent) * 1000

    def ping(_email: str) -> None:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1").scalar()

    def read(email: str) -> None:
        with read_session(engine) as session:
            session.exec(select(Person).where(Person.email == email)).first()

    def write(email: str) -> None:
        with write_session(engine) as session:
            session.execute(
                update(Person).where(col(Person.email) == email).values(slack_checked_at=moment)
            )

    return {
        "select_1_ms": median_ms(ping),
        "read_session_ms": median_ms(read),
        "write_session_ms": median_ms(write),
    }


# -- the run ------------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> dict[str, Any]:
    def log(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    figures: dict[str, Any] = {
        "benchmark": "reminder fan-out (PRODUCT §9)",
        "run_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "options": {
            "collectors": args.collectors,
            "rate": args.rate,
            "burst": args.burst,
            "processes": args.processes,
            "batch": args.batch,
            "directory": args.directory,
            "open_rate": args.open_rate,
            "lookup_rate": args.lookup_rate,
            "seed": args.seed,
            "timeout": args.timeout,
            "clock_speed": args.clock_speed,
        },
    }
    with ExitStack() as stack:
        directory = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="pmf-fanout-")))
        url = stack.enter_context(database(args, directory))
        if args.database_url:
            check_empty(url)
        if args.processes > 1 and make_url(url).get_backend_name() != "postgresql":
            raise SystemExit(
                "--processes 2 needs PostgreSQL (PRODUCT §9: SQLite serves one process); "
                "add --postgres"
            )
        engine = make_engine(url)
        stack.callback(engine.dispose)
        upgrade(engine)
        figures["database"] = f"{server_version(engine)} ({describe(url)})"
        log(f"database: {figures['database']}")

        began = time.perf_counter()
        document = build_register(args.collectors, args.seed)
        register = write_register(document, directory)
        services.import_register(engine, register, actor="bench (fan-out)", now=SETUP_AT)
        figures["setup"] = {
            "register_import_seconds": time.perf_counter() - began,
            "people": len(document["people"]),
            "measures": args.collectors,
        }
        log(f"register: {args.collectors:,} measures, {len(document['people']):,} people")

        council = services.council_info(engine)
        calendar = council.calendar
        period = Period.parse(PERIOD)
        deadline = calendar.deadline(period, REPORTING_LAG)
        due_day = calendar.add_working_days(deadline, -DAYS_BEFORE)
        moment = datetime.combine(due_day, AT, tzinfo=LONDON)
        planned = situation_plan(engine, council, moment, LONDON).reminders
        expected = {r.key for r in planned}
        kinds = Counter(
            f"{r.kind.value}-{r.working_days_before}" if r.kind is Kind.BEFORE else r.kind.value
            for r in planned
        )
        figures["moment"] = {
            "now": moment.isoformat(),
            "period": PERIOD,
            "deadline": deadline.isoformat(),
            "due": len(planned),
            "kinds": dict(kinds),
        }
        if len(expected) != args.collectors or set(kinds) != {f"before-{DAYS_BEFORE}"}:
            raise SystemExit(
                f"expected {args.collectors} before-{DAYS_BEFORE} reminders at {moment}, "
                f"planned {dict(kinds)}"
            )
        log(f"due at {moment:%a %d %b %Y %H:%M} {LONDON}: {len(planned):,} reminders")

        slack = stack.enter_context(SlackStandIn())
        users = {p["email"]: slack.add_user(p["email"], p["name"]) for p in document["people"]}
        recipient_of: dict[str, str] = {uid: email for email, uid in users.items()}

        if args.directory == "warm":
            began = time.perf_counter()
            client = WebClient(token=BOT_TOKEN, base_url=slack.api_url, timeout=10)
            found = Directory(engine, client, lambda: moment).warm_up()
            figures["setup"]["directory_warm_up_seconds"] = time.perf_counter() - began
            figures["setup"]["directory_lookups"] = len(slack.calls_to("users.lookupByEmail"))
            figures["setup"]["directory_found"] = found
            log(f"directory warm-up: {found:,} Slack ids stored on person.slack_user_id")
        slack.clear()
        figures["probe"] = probe_database(engine, [p["email"] for p in document["people"]])
        log(f"database probe (median ms): {figures['probe']}")

        context = multiprocessing.get_context("spawn")
        ready: MPQueue[Any] = context.Queue()
        results: MPQueue[Any] = context.Queue()
        go = context.Event()
        stop = context.Event()
        go_at = context.Value("d", 0.0)
        config = {
            "database_url": url,
            "api_url": slack.api_url,
            "start": moment.isoformat(),
            "batch": args.batch,
            "clock_speed": args.clock_speed,
        }
        workers = [
            context.Process(
                target=worker_main,
                args=(config, ready, go, go_at, stop, results),
                name=f"fanout-worker-{index}",
            )
            for index in range(args.processes)
        ]
        for worker in workers:
            worker.start()

        def stop_workers() -> None:
            stop.set()
            for worker in workers:
                if worker.is_alive():
                    worker.terminate()
                worker.join(timeout=10)

        stack.callback(stop_workers)
        for _ in workers:
            try:
                ready.get(timeout=READY_TIMEOUT)
            except queue.Empty:
                raise SystemExit("a worker did not start in time") from None

        capacity = args.burst if args.burst is not None else max(1.0, args.rate)
        slack.rate_limit("chat.postMessage", args.rate, burst=args.burst)
        if args.open_rate:
            slack.rate_limit("conversations.open", args.open_rate)
        if args.lookup_rate:
            slack.rate_limit("users.lookupByEmail", args.lookup_rate)
        figures["machine"]["load_average_before"] = os.getloadavg()
        log(
            f"fan-out: {args.processes} worker process(es), chat.postMessage at "
            f"{args.rate:g}/s (burst {capacity:g})…"
        )
        due = len(expected)
        started = time.time()
        go_at.value = started
        go.set()
        # "Nothing left": every planned row is in the outbox and none is pending or sending.
        done_at: float | None = None
        give_up = started + args.timeout
        while time.time() < give_up and any(w.is_alive() for w in workers):
            counts = outbox(engine)
            if counts.total() >= due and not counts["pending"] and not counts["sending"]:
                done_at = time.time()
                break
            time.sleep(POLL)
        stop.set()  # idle workers stop now; a worker inside a tick finishes that tick first
        outcomes: list[dict[str, Any]] = []
        limit = time.monotonic() + GRACE
        while len(outcomes) < len(workers) and time.monotonic() < limit:
            try:
                outcomes.append(results.get(timeout=1.0))
            except queue.Empty:
                if not any(w.is_alive() for w in workers) and results.empty():
                    break
        figures["machine"]["load_average_after"] = os.getloadavg()
        stop_workers()

        calls = slack.calls_to("chat.postMessage")
        ok_times = [c.at for c in calls if c.ok]
        posts_by_key: dict[str, list[tuple[float, str]]] = {}
        for call in calls:
            if call.ok:
                payload = (call.params.get("metadata") or {}).get("event_payload") or {}
                posts_by_key.setdefault(str(payload.get("key")), []).append(
                    (call.at - started, call.headers.get(WORKER_HEADER.lower(), "?"))
                )
        # The end: nothing left in the outbox, and no message sent after that (a worker still
        # inside a tick could send one more: that would be a duplicate, and it counts).
        ended = max([done_at or time.time(), *ok_times])
        limited = sum(1 for c in calls if c.status == 429)
        keys, misplaced = stored_keys(
            slack,
            {
                cid: recipient_of.get(str(info.get("user")), "")
                for cid, info in slack.channels.items()
            },
        )
        with read_session(engine) as session:
            status = Counter(str(s) for s in session.exec(select(ReminderRow.status)).all())
            by_worker = Counter(
                str(w)
                for w in session.exec(
                    select(ReminderRow.claimed_by).where(col(ReminderRow.status) == "sent")
                ).all()
            )
            reclaimed = int(
                session.exec(select(func.count()).where(col(ReminderRow.attempts) > 1)).one()
            )
            unsent = Counter(
                f"{row_status}: {error}"
                for row_status, error in session.exec(
                    select(ReminderRow.status, ReminderRow.last_error).where(
                        col(ReminderRow.status) != "sent"
                    )
                ).all()
            )

        total = ended - started
        minimum = max(0.0, due - capacity) / args.rate
        replay = replay_bucket(ok_times, started, args.rate, capacity)
        delivered = len(expected & set(keys))
        figures["result"] = {
            "should_have_been_sent": due,
            "delivered": delivered,
            "lost": due - delivered,
            "duplicated": sum(n - 1 for n in keys.values() if n > 1),
            "unexpected_keys": len(set(keys) - expected),
            "in_wrong_dm": misplaced,
            "post_message_calls": len(calls),
            "post_message_ok": len(ok_times),
            "rate_limited_429": limited,
            "total_seconds": total,
            "minimum_seconds": minimum,
            "nominal_seconds": due / args.rate,
            "ratio": total / minimum if minimum else None,
            "ratio_nominal": total / (due / args.rate),
            "goal_ratio": RATIO_GOAL,
            "nothing_left_after": (done_at - started) if done_at else None,
            "first_message_after": (min(ok_times) - started) if ok_times else None,
            "last_message_after": (max(ok_times) - started) if ok_times else None,
            "outbox_status": dict(status),
            "sent_by_worker": dict(by_worker),
            "rows_claimed_more_than_once": reclaimed,
            "duplicates": [
                {"key": key, "posts": [{"at": at, "by": by} for at, by in posts]}
                for key, posts in posts_by_key.items()
                if len(posts) > 1
            ][:5],
            "recovery_checks_by_worker": dict(
                Counter(
                    c.headers.get(WORKER_HEADER.lower(), "?")
                    for c in slack.calls_to("conversations.history")
                )
            ),
            "not_sent_reasons": dict(unsent.most_common(5)),
            "other_calls": dict(
                Counter(c.method for c in slack.calls if c.method != "chat.postMessage")
            ),
        }
        if due <= TIMELINE_UP_TO:  # small runs: every Web API call, for a close look
            figures["timeline"] = [
                {
                    "at": round(call.at - started, 3),
                    "method": call.method,
                    "by": call.headers.get(WORKER_HEADER.lower(), "-"),
                    "status": call.status,
                    "key": ((call.params.get("metadata") or {}).get("event_payload") or {}).get(
                        "key"
                    ),
                    "channel": call.params.get("channel") or call.params.get("users"),
                }
                for call in slack.calls
            ]
        figures["replay"] = {
            "capacity": capacity,
            "wasted_tokens_before_first_message": replay.wasted_before_first,
            "wasted_tokens_between_messages": replay.wasted_between,
            "tokens_left_at_last_message": replay.left_at_end,
            "seconds_lost_before_first_message": replay.wasted_before_first / args.rate,
            "seconds_lost_between_messages": replay.wasted_between / args.rate,
            "seconds_after_last_message": total - ((max(ok_times) - started) if ok_times else 0),
            "largest_gaps": [
                {"at": at, "gap": gap, "wasted_tokens": wasted}
                for at, gap, wasted in sorted(replay.gaps, key=lambda g: -g[2])[:8]
            ],
        }
        figures["workers"] = [
            {
                "worker": o["worker"],
                "ticks": o["ticks"],
                "errors": o["errors"][:5],
                "report": o["report"],
                "finished_after": o["finished_at"] - started,
                "first_send_after": (o["first_send_at"] - started) if o["first_send_at"] else None,
                "busy_seconds": o["busy_seconds"],
                "idle_tick_seconds": o["idle_tick_seconds"],
                "send_ok": figures_of(o["sends_ok"]),
                "post_message_http_ok": figures_of(o["posts_ok"]),
                "send_429": figures_of(o["sends_limited"]),
                "send_failed": o["sends_failed"],
                "gap_between_sends": figures_of(o["between"]),
                "directory_user_for": figures_of(o["user_for"]),
                "directory_dm_channel": figures_of(o["dm_channel"]),
                "gap_at_batch_boundary": figures_of(o["at_batch"]),
                "retry_after_values": o["retry_after"],
                "sleeps": o["sleeps"],
                "sleep_requested_seconds": o["sleep_requested"],
                "sleep_actual_seconds": o["sleep_actual"],
                "outside_send_and_sleep_seconds": o["busy_seconds"]
                - sum(o["sends_ok"])
                - sum(o["sends_limited"])
                - o["sleep_actual"],
                "sending_rate": len(o["sends_ok"])
                / max(o["busy_seconds"] - o["sleep_actual"], 1e-9),
                "db_seconds": o["db_seconds"],
                "db_statements": o["db_statements"],
                "sender_http_calls": o["http"],
                "finds": o["finds"],
            }
            for o in outcomes
        ]
        figures["incomplete_workers"] = len(workers) - len(outcomes)
    return figures


# -- output -------------------------------------------------------------------------------------


def _s(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f} s"


def _ms(block: dict[str, float] | None, key: str) -> str:
    return "—" if not block else f"{block[key]:.1f} ms"


def render(figures: dict[str, Any]) -> str:
    options, result, replay = figures["options"], figures["result"], figures["replay"]
    moment, setup, machine = figures["moment"], figures["setup"], figures["machine"]
    capacity = replay["capacity"]
    rate = options["rate"]
    due = result["should_have_been_sent"]
    load = machine.get("load_average_before"), machine.get("load_average_after")
    limits = [
        f"{name} {options[key]:g}/s"
        for key, name in (
            ("open_rate", "conversations.open"),
            ("lookup_rate", "users.lookupByEmail"),
        )
        if options[key]
    ]
    probe = figures["probe"]
    lines = [
        f"Reminder fan-out: {options['collectors']:,} collectors, chat.postMessage limited to "
        f"{rate:g}/s (burst {capacity:g}), {options['processes']} worker process(es), "
        f"claim batch {options['batch']}",
        f"  database   {figures['database']}",
        f"  machine    Python {machine['python']}, {machine['cpus']} CPUs, load average "
        + " → ".join(f"{pair[0]:.1f}" if pair else "?" for pair in load)
        + " (1 min, before → after the run)",
        f"  due        {moment['due']:,} reminders {', '.join(moment['kinds'])} for "
        f"{moment['period']} (deadline {moment['deadline']}) at {moment['now']}",
        f"  setup      register import {setup['register_import_seconds']:.1f} s ("
        f"{setup['people']:,} people); "
        + (
            f"Slack ids pre-resolved by Directory.warm_up(): {setup['directory_found']:,} "
            f"found with {setup['directory_lookups']:,} users.lookupByEmail in "
            f"{setup['directory_warm_up_seconds']:.1f} s (not timed)"
            if "directory_found" in setup
            else "Slack ids NOT pre-resolved (--directory cold): lookups are in the timed run"
        ),
        f"  db probe   median select 1 {probe['select_1_ms']:.2f} ms, read session "
        f"{probe['read_session_ms']:.2f} ms, write session (UPDATE + commit) "
        f"{probe['write_session_ms']:.2f} ms",
    ]
    if limits:
        lines.append(f"  also      {', '.join(limits)} in the stand-in")
    lines += [
        "",
        f"  {'figure':<48}{'value':>12}   goal",
        f"  {'-' * 48}{'-' * 12}   {'-' * 8}",
    ]

    def row(name: str, value: str, goal: str = "") -> None:
        lines.append(f"  {name:<48}{value:>12}   {goal}".rstrip())

    ratio = result["ratio"]
    row("reminders that should have been sent", f"{due:,}")
    row("delivered (distinct keys in stored messages)", f"{result['delivered']:,}")
    row("lost", f"{result['lost']:,}", "0")
    row("duplicated (messages beyond one per key)", f"{result['duplicated']:,}", "0")
    if result["unexpected_keys"] or result["in_wrong_dm"]:
        row(
            "unexpected keys / in the wrong DM",
            f"{result['unexpected_keys']} / {result['in_wrong_dm']}",
            "0 / 0",
        )
    row("chat.postMessage calls", f"{result['post_message_calls']:,}")
    row("429s received", f"{result['rate_limited_429']:,}")
    row("total fan-out time", _s(result["total_seconds"], 2))
    row(
        f"minimum the rate allows: ({due:,} − {capacity:g}) / {rate:g}",
        _s(result["minimum_seconds"], 2),
    )
    row("ratio total / minimum", "—" if ratio is None else f"{ratio:.3f}×", f"≤ {RATIO_GOAL:g}×")
    row(
        f"  (against {due:,} / {rate:g} = {result['nominal_seconds']:.1f} s)",
        f"{result['ratio_nominal']:.3f}×",
    )
    lines += [
        "",
        "  Where the time went (the token bucket replayed over the successful calls):",
        f"    first message after {_s(result['first_message_after'], 2)}; last after "
        f"{_s(result['last_message_after'], 2)}; outbox empty "
        f"{_s(replay['seconds_after_last_message'], 2)} after the last message",
        f"    bucket full, tokens wasted: before the first message "
        f"{replay['wasted_tokens_before_first_message']:.1f} "
        f"(= {replay['seconds_lost_before_first_message']:.2f} s), between messages "
        f"{replay['wasted_tokens_between_messages']:.1f} "
        f"(= {replay['seconds_lost_between_messages']:.2f} s); "
        f"left unused at the end {replay['tokens_left_at_last_message']:.1f} "
        f"(= {replay['tokens_left_at_last_message'] / rate:.2f} s)",
        f"    outbox: {result['outbox_status']}; sent by worker: "
        f"{result['sent_by_worker']}; rows claimed more than once: "
        f"{result['rows_claimed_more_than_once']}",
        f"    other Web API calls during the run: {result['other_calls'] or 'none'}",
    ]
    if result["not_sent_reasons"]:
        lines.append(f"    not sent: {result['not_sent_reasons']}")
    if result["recovery_checks_by_worker"]:
        lines.append(
            "    rows taken over as stale, checked with conversations.history, by worker: "
            f"{result['recovery_checks_by_worker']}"
        )
    for duplicate in result["duplicates"]:
        posts = ", ".join(f"{p['by']} at {p['at']:.1f} s" for p in duplicate["posts"])
        lines.append(f"    duplicate {duplicate['key']}: sent by {posts}")
    for worker in figures["workers"]:
        lines += [
            f"  worker {worker['worker']}: {worker['ticks']} tick(s), report "
            f"{worker['report']}, errors {len(worker['errors'])}",
            f"    send() ok: median {_ms(worker['send_ok'], 'median_ms')}, p95 "
            f"{_ms(worker['send_ok'], 'p95_ms')} (its chat.postMessage HTTP call: median "
            f"{_ms(worker['post_message_http_ok'], 'median_ms')}); send() answered 429: "
            f"{worker['send_429']['count'] if worker['send_429'] else 0}",
            f"    inside send(): Directory.user_for (a DB read) mean "
            f"{_ms(worker['directory_user_for'], 'mean_ms')}, Directory.dm_channel "
            f"(conversations.open, once a recipient) mean "
            f"{_ms(worker['directory_dm_channel'], 'mean_ms')}; chat.postMessage mean "
            f"{_ms(worker['post_message_http_ok'], 'mean_ms')}; send() mean "
            f"{_ms(worker['send_ok'], 'mean_ms')}",
            f"    in ticks that delivered {worker['busy_seconds']:.2f} s = sends ok "
            f"{(worker['send_ok'] or {}).get('total_s', 0):.2f} s + 429 sends "
            f"{(worker['send_429'] or {}).get('total_s', 0):.2f} s + sleeping "
            f"{worker['sleep_actual_seconds']:.2f} s ({worker['sleeps']}× Retry-After "
            f"{worker['retry_after_values'] or '—'}) + elsewhere "
            f"{worker['outside_send_and_sleep_seconds']:.2f} s",
            f"    between sends (sleeps excluded): median "
            f"{_ms(worker['gap_between_sends'], 'median_ms')}, mean "
            f"{_ms(worker['gap_between_sends'], 'mean_ms')} (mark_sent + loop); at the "
            f"{(worker['gap_at_batch_boundary'] or {}).get('count', 0)} batch boundaries: mean "
            f"{_ms(worker['gap_at_batch_boundary'], 'mean_ms')} (+ claim + the batch's contents)",
            f"    pace when not sleeping {worker['sending_rate']:.1f} messages/s; first send "
            f"{_s(worker['first_send_after'], 2)} after the start; SQL: "
            f"{worker['db_statements']:,} statements, {worker['db_seconds']:.2f} s in execute",
        ]
        for error in worker["errors"]:
            lines.append(f"    tick error: {error}")
    if figures["incomplete_workers"]:
        lines.append(f"  !! {figures['incomplete_workers']} worker(s) did not report")
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.reminders_fanout",
        description="Reminder fan-out against a rate-limited Slack Web API stand-in.",
    )
    parser.add_argument("--collectors", type=int, default=2000, help="measures = collectors")
    parser.add_argument(
        "--rate", type=float, default=50.0, help="chat.postMessage calls a second (default 50)"
    )
    parser.add_argument(
        "--burst",
        type=float,
        default=None,
        help="the bucket's size (default: the stand-in's, max(1, rate))",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--database-url", help="an EMPTY database to use (default: temp SQLite)")
    where.add_argument(
        "--postgres",
        action="store_true",
        help=f"a throwaway database on {POSTGRES_SERVER.rsplit('/', 1)[0]}",
    )
    parser.add_argument("--processes", type=int, choices=(1, 2), default=1)
    parser.add_argument("--batch", type=int, default=200, help="tick's claim batch (default 200)")
    parser.add_argument(
        "--directory",
        choices=("warm", "cold"),
        default="warm",
        help="resolve Slack ids with Directory.warm_up() before timing (warm, the default)",
    )
    parser.add_argument(
        "--open-rate",
        type=float,
        default=None,
        help="also limit conversations.open to this many calls a second (default: no limit)",
    )
    parser.add_argument(
        "--lookup-rate",
        type=float,
        default=None,
        help="also limit users.lookupByEmail to this many calls a second (default: no limit)",
    )
    parser.add_argument(
        "--clock-speed",
        type=float,
        default=1.0,
        help="the app's clock runs this many times faster than real time (default 1); e.g. "
        "to reach the 5-minute stale-claim takeover sooner",
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--timeout",
        type=float,
        default=240.0,
        help="stop the fan-out after this many seconds (default 240)",
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    if args.collectors < 1 or args.rate <= 0 or args.batch < 1 or args.clock_speed <= 0:
        parser.error("--collectors, --rate, --batch and --clock-speed must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    figures = run(args)
    print(render(figures))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, default=str) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
