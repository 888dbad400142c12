"""The moving parts of the chat benchmark (`bench/slack_ack.py`), one process each.

The benchmark runs in three processes so that no two of them share a GIL:

* the orchestrator (`python -m bench.slack_ack`): loads the database, prepares the pending
  submissions and runs the Slack Web API stand-in, which answers and records what the bot
  sends after its acks, as Slack's servers would on other machines;
* the server (`python -m bench.slack_support serve`): the real pmf-bot app, a bare Bolt app
  (acks only) and the *floor* app (commits one row, acks, then one `chat.update` and one DM:
  the least any bot must do for a click), each behind its own waitress server on 127.0.0.1
  with the same thread count. It holds nothing but these apps, so its peak RSS is the bot's
  serving memory. The kill test (`bench/kill_test.py`) serves pmf-bot alone and `kill -9`s
  this process;
* the load generator (`python -m bench.slack_support load`): `clients` threads, each with its
  own keep-alive `http.client` connection, that sign each request as Slack does at the moment
  it is sent and time it until the HTTP response has been read.

Parent and children talk in JSON lines over the children's stdin and stdout.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import os
import re
import resource
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from bench.foundation import throwaway_postgres as foundation_postgres

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-signing-secret"
BOT_TOKEN = "xoxb-bench-token"
LONDON = ZoneInfo("Europe/London")
# The app's clock: a fixed moment, so the same periods are open on every run (Q2 2026-27 has
# ended, so each measure's latest ended period is still unrecorded).
NOW = datetime(2026, 10, 8, 10, 0, tzinfo=LONDON)
POSTGRES_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


def fixed_clock() -> datetime:
    return NOW


class RunningClock:
    """A clock that starts `offset_s` seconds after NOW and then runs in real time, so that
    failed sends come due again (the kill test restarts the server "later", so the rows the
    killed process had claimed look abandoned). `jump` moves it on: time passing for the one
    replica left after the other was killed."""

    def __init__(self, offset_s: float) -> None:
        self._start = time.monotonic()
        self._offset = offset_s

    def __call__(self) -> datetime:
        return NOW + timedelta(seconds=self._offset + time.monotonic() - self._start)

    def jump(self, seconds: float) -> None:
        self._offset += seconds


def clock_at(offset_s: float) -> RunningClock:
    return RunningClock(offset_s)


# -- process figures ----------------------------------------------------------------------------


def max_rss_kb() -> int:
    """This process's RSS high-water mark, in kilobytes.

    Linux's VmHWM first: a child's `getrusage(RUSAGE_SELF).ru_maxrss` starts at its parent's
    high-water mark (fork/vfork, then exec keeps the larger), so it would report the
    orchestrator's memory as the server's. Elsewhere, getrusage.
    """
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return getrusage_max_rss_kb()


def getrusage_max_rss_kb() -> int:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak


def current_rss_kb() -> int:
    try:
        with open("/proc/self/statm") as handle:
            pages = int(handle.read().split()[1])
    except (OSError, ValueError, IndexError):
        return 0
    return pages * os.sysconf("SC_PAGE_SIZE") // 1024


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def process_figures() -> dict[str, Any]:
    return {
        "max_rss_kb": max_rss_kb(),
        "getrusage_max_rss_kb": getrusage_max_rss_kb(),
        "rss_kb": current_rss_kb(),
        "cpu_s": cpu_seconds(),
        "threads": threading.active_count(),
    }


# -- a throwaway PostgreSQL database -------------------------------------------------------------


@contextmanager
def throwaway_postgres(server: str = POSTGRES_SERVER) -> Iterator[str]:
    """A throwaway database on `server` (bench.foundation's), dropped at the end."""
    with foundation_postgres(server) as url:
        yield url


@dataclass(frozen=True)
class Prepared:
    """One request as Slack would send it, not yet signed (it is signed when sent)."""

    body: str
    content_type: str


# -- child processes -----------------------------------------------------------------------------


class Child:
    """A `python -m bench.slack_support ROLE` child speaking JSON lines on stdin/stdout."""

    def __init__(self, role: str, *, stderr: IO[Any] | None = None) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
        self.role = role
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.slack_support", role],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            encoding="utf-8",
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def send(self, message: Mapping[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(message) + "\n")
        self.process.stdin.flush()

    def receive(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            code = self.process.wait(timeout=10)
            raise RuntimeError(f"the {self.role} child exited ({code})")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def ask(self, message: Mapping[str, Any]) -> dict[str, Any]:
        self.send(message)
        return self.receive()

    def close(self, timeout: float = 15.0) -> None:
        if self.process.poll() is None:
            try:
                self.send({"cmd": "stop"})
                self.process.wait(timeout=timeout)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait(timeout=5)
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()


def _reply(message: Mapping[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


# -- the server role -----------------------------------------------------------------------------


def build_bare_app(api_url: str, signing_secret: str) -> Any:
    """The baseline: a Bolt app built as pmf-bot builds its own, whose `/pmf` only acks."""
    from slack_bolt import Ack, App
    from slack_sdk import WebClient

    app = App(
        client=WebClient(token=BOT_TOKEN, base_url=api_url, timeout=10),
        signing_secret=signing_secret,
        token_verification_enabled=False,
    )

    @app.command("/pmf")
    def bare(ack: Ack) -> None:
        ack("ok")

    return app


FLOOR_TABLE = "bench_floor"


def create_floor_table(engine: Any) -> None:
    """The floor app's one table (in the benchmark's database, beside pmf-bot's)."""
    from sqlalchemy import text

    serial = "SERIAL" if engine.dialect.name == "postgresql" else "INTEGER"
    with engine.begin() as connection:
        connection.execute(
            text(
                f"CREATE TABLE IF NOT EXISTS {FLOOR_TABLE} (id {serial} PRIMARY KEY, "
                "what VARCHAR(200) NOT NULL, at DOUBLE PRECISION NOT NULL)"
            )
        )


def build_floor_app(api_url: str, signing_secret: str, engine: Any) -> Any:
    """The physical floor for pmf-bot's work on this machine: a Bolt app built as pmf-bot's
    is, whose listeners do the least a bot that keeps its promises must do.

    * `/pmf`: one small read, answered in the acknowledgement (as pmf-bot answers status);
    * a `pmf_…` button: commit one row, acknowledge, then one `chat.update` of the clicked
      message and one direct message (to a DM channel opened once per person and kept);
    * a `pmf_…` form: commit one row, acknowledge, then one message carrying the card's
      metadata key (`card-v1|REF|…`, as pmf-bot's review card) and one direct message.
    """
    from slack_bolt import Ack, App
    from slack_sdk import WebClient
    from sqlalchemy import text

    from storage.engine import read_session, write_session

    client = WebClient(token=BOT_TOKEN, base_url=api_url, timeout=10)
    app = App(client=client, signing_secret=signing_secret, token_verification_enabled=False)
    channels: dict[str, str] = {}
    lock = threading.Lock()
    ours = re.compile(r"^pmf_")

    def dm(user_id: str) -> str:
        with lock:
            known = channels.get(user_id)
        if known:
            return known
        channel = str(client.conversations_open(users=user_id)["channel"]["id"])
        with lock:
            channels[user_id] = channel
        return channel

    def commit(what: str) -> None:
        with write_session(engine) as session:
            session.execute(
                text(f"INSERT INTO {FLOOR_TABLE} (what, at) VALUES (:what, :at)"),
                {"what": what[:200], "at": time.time()},
            )

    @app.command("/pmf")
    def status(ack: Ack) -> None:
        with read_session(engine) as session:
            count = session.execute(text(f"SELECT count(*) FROM {FLOOR_TABLE}")).scalar()
        ack(response_type="ephemeral", text=f"{count} rows (floor)")

    @app.action(ours)
    def clicked(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        user_id = str(body["user"]["id"])
        commit(f"click {action.get('action_id')} {action.get('value')} by {user_id}")
        ack()
        container = body.get("container") or {}
        channel = str(container.get("channel_id") or body["channel"]["id"])
        ts = str(container.get("message_ts") or body["message"]["ts"])
        client.chat_update(channel=channel, ts=ts, text="Approved (floor)")
        client.chat_postMessage(channel=dm(user_id), text="Your figure was approved (floor).")

    @app.view(ours)
    def submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        user_id = str(body["user"]["id"])
        try:
            meta = json.loads(view.get("private_metadata") or "{}")
        except ValueError:
            meta = {}
        ref, period = str(meta.get("ref", "")), str(meta.get("period", ""))
        commit(f"submit {ref} {period} by {user_id}")
        ack()
        channel = dm(user_id)
        key = f"card-v1|{ref}|{period}|floor"
        client.chat_postMessage(
            channel=channel,
            text=f"{ref} {period} to review (floor)",
            metadata={"event_type": "pmf_message", "event_payload": {"key": key}},
        )
        client.chat_postMessage(channel=channel, text="Thank you (floor).")

    return app


class AckProbe:
    """Where each request's time goes inside the server (`slack_ack --breakdown`).

    Wraps, in the server process only, Bolt's WSGI adapter, its listener runner, the
    listener executor's `submit` and `Ack.__call__`, and records per request (ms):
    `verify` (WSGI in -> listener matched: parsing, signature check, middleware), `queue`
    (listener submitted -> a listener-executor worker starts it), `to_ack` (listener started ->
    `ack()` called), `after_ack` (`ack()` -> the response leaves Bolt, which polls for the ack
    every 10 ms) and `total` (WSGI in -> out); `late` when the response left before `ack()`
    (Bolt's 3-s ack timeout). Bolt internals change between releases: if a hook point is
    missing, the probe is simply not installed.
    """

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []
        self._local = threading.local()

    def _current(self) -> dict[str, Any] | None:
        record: dict[str, Any] | None = getattr(self._local, "record", None)
        return record

    def install(self) -> bool:
        try:
            import concurrent.futures.thread as futures_thread

            from slack_bolt.adapter.wsgi import SlackRequestHandler
            from slack_bolt.context.ack.ack import Ack
            from slack_bolt.listener.thread_runner import ThreadListenerRunner
        except ImportError:
            return False
        probe, local = self, self._local
        original_call = SlackRequestHandler.__call__
        original_run = ThreadListenerRunner.run
        original_submit = futures_thread.ThreadPoolExecutor.submit
        original_ack = Ack.__call__

        def call(handler: Any, environ: Any, start_response: Any) -> Any:
            record: dict[str, Any] = {"wall": time.time(), "in": time.perf_counter()}
            local.record = record
            try:
                return original_call(handler, environ, start_response)
            finally:
                record["out"] = time.perf_counter()
                local.record = None
                probe.records.append(record)

        def run(runner: Any, *args: Any, **kwargs: Any) -> Any:
            record = probe._current()
            if record is not None and "dispatch" not in record:
                record["dispatch"] = time.perf_counter()
            return original_run(runner, *args, **kwargs)

        def submit(executor: Any, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
            record = probe._current()
            if record is None or "submitted" in record:
                return original_submit(executor, fn, *args, **kwargs)
            record["submitted"] = time.perf_counter()

            def started(*inner_args: Any, **inner_kwargs: Any) -> Any:
                record["start"] = time.perf_counter()
                local.record = record
                try:
                    return fn(*inner_args, **inner_kwargs)
                finally:
                    local.record = None

            return original_submit(executor, started)

        def ack(acknowledger: Any, *args: Any, **kwargs: Any) -> Any:
            record = probe._current()
            if record is not None and "ack" not in record:
                record["ack"] = time.perf_counter()
            return original_ack(acknowledger, *args, **kwargs)

        for owner, name, wrapper in (
            (SlackRequestHandler, "__call__", call),
            (ThreadListenerRunner, "run", run),
            (futures_thread.ThreadPoolExecutor, "submit", submit),
            (Ack, "__call__", ack),
        ):
            setattr(owner, name, wrapper)
        return True

    def stages(self, since: float, until: float) -> dict[str, list[float]]:
        """Stage durations (ms) of the requests that arrived between `since` and `until`."""
        spans = {
            "total": ("in", "out"),
            "verify": ("in", "dispatch"),
            "queue": ("submitted", "start"),
            "to_ack": ("start", "ack"),
            "after_ack": ("ack", "out"),
        }
        found: dict[str, list[float]] = {name: [] for name in (*spans, "late")}
        for record in list(self.records):
            if not since <= record["wall"] <= until:
                continue
            late = "ack" not in record or record["ack"] > record["out"]
            found["late"].append(1.0 if late else 0.0)
            for name, (begin, end) in spans.items():
                if begin in record and end in record and not (late and name == "after_ack"):
                    found[name].append((record[end] - record[begin]) * 1000)
        return found


def serve_role() -> None:
    """Serve the apps until told to stop; answer figure requests meanwhile.

    The first stdin line is the configuration: database_url, api_url, threads, breakdown,
    and optionally apps (default pmf, bare and floor), port (pmf-bot's; default any free
    port) and clock_offset_s (pmf-bot's clock is NOW plus this). Then each line is a command:
    figures, stages (with since/until), jump (pmf-bot's clock moves on `seconds`), stop.
    """
    from bot.settings import load_settings
    from handlers.slack.app import build_app, http_server
    from storage.engine import make_engine

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    config = json.loads(sys.stdin.readline())
    probe = AckProbe()
    probed = bool(config.get("breakdown")) and probe.install()
    engine = make_engine(config["database_url"])
    settings = load_settings(
        {
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": config["api_url"],
            "PMF_DATABASE_URL": config["database_url"],
        }
    )
    wanted = list(config.get("apps") or ["pmf", "bare", "floor"])
    apps: dict[str, Any] = {}
    clock = clock_at(float(config.get("clock_offset_s") or 0))
    if "pmf" in wanted:
        pmf, deps = build_app(settings, engine, clock=clock)
        deps.directory.warm_up()  # as `pmf-bot run` does in the background at start
        apps["pmf"] = pmf
    if "bare" in wanted:
        apps["bare"] = build_bare_app(config["api_url"], SECRET)
    if "floor" in wanted:
        apps["floor"] = build_floor_app(config["api_url"], SECRET, engine)
    servers = {
        name: http_server(
            app,
            SECRET,
            host="127.0.0.1",
            port=int(config.get("port") or 0) if name == "pmf" else 0,
            threads=int(config["threads"]),
        )
        for name, app in apps.items()
    }
    threads = [
        threading.Thread(target=server.run, name=f"waitress-{name}", daemon=True)
        for name, server in servers.items()
    ]
    for thread in threads:
        thread.start()
    _reply(
        {
            "urls": {
                name: f"http://127.0.0.1:{server.effective_port}/slack/events"
                for name, server in servers.items()
            },
            "pid": os.getpid(),
            "probed": probed,
            **process_figures(),
        }
    )
    for line in sys.stdin:
        command = json.loads(line)
        if command.get("cmd") == "stop":
            break
        if command.get("cmd") == "stages":
            _reply(probe.stages(float(command["since"]), float(command["until"])))
        elif command.get("cmd") == "jump":
            clock.jump(float(command["seconds"]))
            _reply(process_figures())
        else:
            _reply(process_figures())
    for server in servers.values():
        server.close()
    for thread in threads:
        thread.join(timeout=5)
    engine.dispose()


# -- the load-generator role ---------------------------------------------------------------------


def _signed_headers(body: bytes, content_type: str, secret: bytes) -> dict[str, str]:
    """Slack's request signing: `v0=` + HMAC-SHA256 of `v0:{timestamp}:{body}`."""
    timestamp = str(int(time.time()))
    digest = hmac.new(secret, b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256)
    return {
        "Content-Type": content_type,
        "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        "X-Slack-Request-Timestamp": timestamp,
        "X-Slack-Signature": "v0=" + digest.hexdigest(),
    }


def run_load(
    url: str,
    items: list[Prepared],
    *,
    clients: int,
    max_seconds: float,
    rate: float | None = None,
    secret: str = SECRET,
) -> dict[str, Any]:
    """Send `items` with `clients` clients, each on its own keep-alive connection.

    Closed loop by default: each client sends its next request as soon as the previous one
    was answered. With `rate` (requests a second), request i is due `i / rate` seconds after
    the start and the next free client sends it then (open loop).

    Each result is `[sent_at (wall clock), latency_ms, status]`, or None for an item not sent
    because `max_seconds` had passed. The latency is from just before the request is written
    to just after the whole response has been read.
    """
    parsed = urllib.parse.urlsplit(url)
    host, port, path = parsed.hostname or "127.0.0.1", parsed.port or 80, parsed.path
    key = secret.encode()
    results: list[list[float] | None] = [None] * len(items)
    lock = threading.Lock()
    cursor = iter(range(len(items)))
    start = threading.Barrier(clients + 1)
    deadline = [0.0]

    def next_index() -> int | None:
        with lock:
            if time.monotonic() > deadline[0]:
                return None
            index = next(cursor, None)
        if index is not None and rate:
            due = deadline[0] - max_seconds + index / rate
            if due > deadline[0]:
                return None
            time.sleep(max(0.0, due - time.monotonic()))
        return index

    def client() -> None:
        connection = http.client.HTTPConnection(host, port, timeout=60)
        connection.connect()
        start.wait()
        while (index := next_index()) is not None:
            item = items[index]
            body = item.body.encode()
            headers = _signed_headers(body, item.content_type, key)
            sent_at = time.time()
            began = time.perf_counter()
            try:
                connection.request("POST", path, body, headers)
                response = connection.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                connection.close()
                status = -1
            results[index] = [sent_at, (time.perf_counter() - began) * 1000, status]
        connection.close()

    workers = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for worker in workers:
        worker.start()
    deadline[0] = time.monotonic() + max_seconds
    began = time.perf_counter()
    start.wait()
    for worker in workers:
        worker.join()
    return {"results": results, "elapsed_s": time.perf_counter() - began, **process_figures()}


def load_role() -> None:
    """Each stdin line is one scenario (url, items [[body, content_type]], clients,
    max_seconds, rate), answered with its results, or a command: figures, stop."""
    for line in sys.stdin:
        job = json.loads(line)
        if job.get("cmd") == "stop":
            break
        if job.get("cmd") == "figures":
            _reply(process_figures())
            continue
        items = [Prepared(body, content_type) for body, content_type in job["items"]]
        _reply(
            run_load(
                job["url"],
                items,
                clients=int(job["clients"]),
                max_seconds=float(job["max_seconds"]),
                rate=job.get("rate"),
            )
        )


def main(argv: list[str] | None = None) -> None:
    role = (argv if argv is not None else sys.argv[1:])[:1]
    if role == ["serve"]:
        serve_role()
    elif role == ["load"]:
        load_role()
    else:
        raise SystemExit("usage: python -m bench.slack_support serve|load (started by slack_ack)")


if __name__ == "__main__":
    main()
