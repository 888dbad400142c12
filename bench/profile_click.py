"""Where a click's CPU goes: the real pmf-bot app driven in one thread, profiled (issue 11).

    python -m bench.profile_click                       # 1,000 measures, SQLite, 100 of each
    python -m bench.profile_click --requests 60 --profile /tmp/click   # + cProfile dumps
    python -m bench.profile_click --postgres

The same data and the same signed requests as `bench.slack_ack` (a generated register with
four years of actuals, figure forms submitted by each measure's collector, Approve on the
review cards they post), but no load generator and no threads of its own: each request goes
through the app's WSGI stack (the gate, Bolt's adapter, its middleware, the listener — run
inline instead of on Bolt's executor) in the calling thread, and after every `--burst`
requests the outbox is delivered by `bot.delivery.drain` in the same thread, as the
deliverer's threads would. The Web API stand-in answers from its own threads, so the
thread's CPU time (`time.thread_time`) is the bot's work alone: up to the ack, and delivery.

Half the requests are timed without a profiler; with `--profile DIR` the other half run under
`cProfile` (thread CPU time as its clock) and each phase's statistics are written to
`DIR/<phase>.pstats`, with the top functions printed. A measurement, not a test.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from bench.data import generate, register_document
from bench.slack_ack import (
    ACTOR,
    CapturingSimulator,
    click_items,
    database,
    describe,
    people_of,
    posted_cards,
    status_items,
    submission_items,
)
from bench.slack_support import BOT_TOKEN, LONDON, NOW, SECRET, Prepared, _signed_headers
from bot import services
from bot.chat.conversation import Core
from bot.delivery import Surfaces, drain
from bot.settings import load_settings
from handlers.slack.app import build_app, wsgi_app
from sandbox.slack_api import SlackStandIn
from storage.engine import make_engine
from storage.migrate import upgrade


class Inline:
    """A listener executor that runs the listener in the calling thread (Bolt then finds the
    ack already given)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as error:  # as an executor would keep it
            future.set_exception(error)
        return future

    def shutdown(self, wait: bool = True, **_: Any) -> None:
        pass


def call(wsgi: Any, item: Prepared) -> int:
    body = item.body.encode("utf-8")
    headers = _signed_headers(body, item.content_type, SECRET.encode())
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/slack/events",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "CONTENT_TYPE": item.content_type,
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
    }
    for name, value in headers.items():
        key = name.upper().replace("-", "_")
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            environ[f"HTTP_{key}"] = value
    status: list[str] = []

    def start_response(line: str, _headers: Any, _exc: Any = None) -> None:
        status.append(line)

    for _ in wsgi(environ, start_response):
        pass
    return int(status[0].split()[0])


@contextmanager
def profiled(directory: Path | None, name: str) -> Iterator[None]:
    if directory is None:
        yield
        return
    profiler = cProfile.Profile(time.thread_time)
    profiler.enable()
    try:
        yield
    finally:
        profiler.disable()
        directory.mkdir(parents=True, exist_ok=True)
        profiler.dump_stats(directory / f"{name}.pstats")
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("cumulative").print_stats(45)
        stats.sort_stats("tottime").print_stats(30)
        (directory / f"{name}.txt").write_text(out.getvalue(), encoding="utf-8")


def run(args: argparse.Namespace) -> dict[str, Any]:
    def log(text: str) -> None:
        print(text, flush=True)

    figures: dict[str, Any] = {}
    with ExitStack() as stack:
        directory = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="pmf-prof-")))
        url = stack.enter_context(database(args, directory))
        files = generate(directory, args.measures, seed=args.seed)
        document, _ = register_document(args.measures, args.seed)
        engine = make_engine(url)
        stack.callback(engine.dispose)
        upgrade(engine)
        services.import_register(engine, files.register, actor=ACTOR, now=NOW)
        admin = services.admins(engine)[0]
        services.import_actuals(engine, files.actuals, actor=admin, now=NOW, today=NOW.date())
        slack = stack.enter_context(SlackStandIn())
        uids = {email: slack.add_user(email, name) for email, name in people_of(document)}
        simulator = CapturingSimulator(slack)
        core = Core(engine, lambda: NOW, LONDON)
        halves = 2 if args.profile else 1
        forms, _ = submission_items(
            simulator, core, document, uids, args.requests * halves + 5, args.seed
        )
        log(f"{describe(url)}: {args.measures} measures, {len(forms)} forms prepared")

        settings = load_settings(
            {
                "SLACK_BOT_TOKEN": BOT_TOKEN,
                "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_API_URL": slack.api_url,
                "PMF_DATABASE_URL": url,
            }
        )
        app, deps = build_app(settings, engine, clock=lambda: NOW, deliver=False)
        app.listener_runner.listener_executor = Inline()  # type: ignore[assignment]
        deps.directory.warm_up()
        wsgi = wsgi_app(app, SECRET)
        surfaces = Surfaces([deps.transport])

        def deliver() -> None:
            drain(
                engine,
                deps.council(),
                surfaces,
                worker="profile",
                zone=LONDON,
                clock=lambda: NOW,
                batch=50,
                urgent_only=True,
            )

        def phase(name: str, items: list[Prepared], profile: Path | None) -> dict[str, Any]:
            statuses: Counter[int] = Counter()
            ack_cpu = deliver_cpu = 0.0
            start = len(slack.calls)
            with profiled(profile, name):
                for at in range(0, len(items), args.burst):
                    t0 = time.thread_time()
                    for item in items[at : at + args.burst]:
                        statuses[call(wsgi, item)] += 1
                    t1 = time.thread_time()
                    deliver()
                    ack_cpu += t1 - t0
                    deliver_cpu += time.thread_time() - t1
            count = len(items)
            calls = Counter(c.method for c in slack.calls[start:] if c.ok)
            found = {
                "requests": count,
                "statuses": dict(statuses),
                "to_ack_ms": round(ack_cpu * 1000 / count, 2),
                "delivery_ms": round(deliver_cpu * 1000 / count, 2),
                "total_ms": round((ack_cpu + deliver_cpu) * 1000 / count, 2),
                "web_api_per_request": {m: round(n / count, 2) for m, n in calls.items()},
            }
            log(f"  {name}{' (profiled)' if profile else ''}: {json.dumps(found)}")
            return found

        aim = str(document["priorities"][0]["aims"][0]["code"])
        senders = list(uids.values())
        warm, forms = forms[:5], forms[5:]
        phase("warm-forms", warm, None)
        phase("warm-clicks", click_items(simulator, posted_cards(engine, slack, uids))[0], None)
        done = {c.submission_id for c in posted_cards(engine, slack, uids)}
        phase("warm-status", status_items(simulator, senders, aim, 5), None)
        n = args.requests
        for half, profile in enumerate([None, args.profile][:halves]):
            suffix = "" if profile is None else ".profiled"
            chosen = forms[half * n : (half + 1) * n]
            figures["submission" + suffix] = phase("submission", chosen, profile)
            cards = [c for c in posted_cards(engine, slack, uids) if c.submission_id not in done]
            done |= {c.submission_id for c in cards}
            figures["approve" + suffix] = phase(
                "approve", click_items(simulator, cards)[0], profile
            )
            figures["repeat" + suffix] = phase(
                "repeat", click_items(simulator, cards, repeat=True)[0], profile
            )
            figures["status" + suffix] = phase(
                "status", status_items(simulator, senders, aim, n), profile
            )
        figures["database"] = describe(url)
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_click", description=__doc__)
    parser.add_argument("--measures", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=100, help="of each kind (per half)")
    parser.add_argument("--burst", type=int, default=20, help="requests between deliveries")
    parser.add_argument("--profile", type=Path, help="also profile a second half; dumps here")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--database-url")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    figures = run(args)  # each phase's figures are printed as it ends
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
