"""Chat benchmark: pmf-bot beside a bare Bolt app and a floor app, under load (PRODUCT §9,
issues 3 and 11).

    python -m bench.slack_ack                    # SQLite in a temporary directory
    python -m bench.slack_ack --postgres         # a throwaway PostgreSQL database
    python -m bench.slack_ack --measures 1000 --clients 20 --requests 400 --json ack.json
    python -m bench.slack_ack --kill             # the kill test instead (bench/kill_test.py)

One run loads a generated register (bench/data.py) with four years of actuals into a fresh
database, starts the Slack Web API stand-in, and serves three apps with waitress on 127.0.0.1
(same thread count), in one server process:

* pmf-bot itself (handlers.slack.app.build_app, with its outbox deliverer);
* the *bare* app: a Bolt app whose `/pmf` only calls `ack("ok")` — the ack baseline;
* the *floor* app: a Bolt app that, per click, commits one row, acknowledges, then makes the
  Web API calls pmf-bot must make for it (one `chat.update`, one direct message) — the
  physical floor for this work on this machine (bench/slack_support.build_floor_app).

`--clients` concurrent clients then send requests signed as Slack signs them, timed from
sending to receiving the HTTP response (the ack), in these scenarios (the floor app gets the
very same requests as pmf-bot):

  a. bare app: `/pmf status <aim>` (the ack baseline)
  s. `/pmf status <aim>`: floor, then pmf-bot (the answer is the ack itself)
  f. a submission (`view_submission` of the figure form) by each measure's collector:
     floor, then pmf-bot; done when the review card is posted
  c. Approve on those review cards by their reviewer (a new decision): floor, then pmf-bot;
     done when the card is rewritten (`chat.update`)
  r. pmf-bot: Approve again on the same (stale) cards by the same reviewer (a repeat click:
     records nothing; done when the refusal reaches the click's response URL)

Each scenario's requests are sent for at most `--max-seconds`; then the benchmark waits (at
most `--drain-seconds`) until the work after the acks is done and the server is idle, so that
scenarios do not overlap. For each: ack latency, click -> card updated latency (from the
stand-in's own record of when it received each call), completion (first request -> last Web
API call the scenario caused), and the server's CPU time per request. The servers, the load
generator and the orchestrator with the stand-in are three processes, so that no two share a
GIL (see bench/slack_support.py). `--breakdown` also times each request's stages inside the
server. Notes and results: bench/SLACK_ACK.md. This is a measurement, not a test: it exits 0
whether or not the goals are met.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import platform
import random
import re
import statistics
import sys
import tempfile
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlmodel import col, select

from bench.data import generate, register_document
from bench.slack_support import (
    LONDON,
    NOW,
    POSTGRES_SERVER,
    SECRET,
    Child,
    Prepared,
    create_floor_table,
    fixed_clock,
    process_figures,
    throwaway_postgres,
)
from bot import services
from bot.chat import conversation
from bot.chat.conversation import Core, OpenForm, Someone
from bot.delivery import REVIEW_CARD
from handlers.slack import ids
from handlers.slack import render as slack_render
from sandbox.slack_api import SlackStandIn
from sandbox.slack_client import AppResponse, SlackClientSimulator
from storage.engine import make_engine, read_session
from storage.migrate import upgrade
from storage.models import MessageRef, OutboxItem, Review

ACTOR = "bench (slack_ack)"
P99_GOAL_MS = 250.0  # issue 3's goal for the ack, kept for comparison
MEDIAN_RATIO_GOAL = 1.5  # issue 11: ack median at most 1.5x the bare app's
CARD_P99_GOAL_MS = 2000.0  # issue 11: click -> card updated, p99
FLOOR_RATIO_GOAL = 2.0  # issue 11: completion at most 2x the floor app's
MEMORY_GOAL_MB = 200.0
SLACK_DEADLINE_MS = 3000.0  # Slack shows the user an error when the ack takes longer
WARM_UP = 5  # unmeasured requests that run each code path once before the measurements


# -- the workload -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Card:
    """A review card posted for a pending submission, as its reviewer sees it."""

    submission_id: int
    channel: str
    ts: str
    message: dict[str, Any]
    reviewer_uid: str


@dataclass
class Scenario:
    key: str
    label: str
    app: str  # "bare", "floor" or "pmf"
    items: list[Prepared]
    done_keys: list[str]  # what the stand-in records when the work after each ack is done
    done_label: str = ""  # empty: the answer is the ack itself
    floor: str | None = None  # the key of the floor app's run of the same requests


@dataclass
class Figures:
    count: int
    median: float
    p90: float
    p99: float
    max: float

    @classmethod
    def of(cls, values: list[float]) -> Figures | None:
        if not values:
            return None
        ordered = sorted(values)

        def rank(q: float) -> float:
            # nearest rank: the smallest value with at least q of the values at or below it
            return ordered[min(len(ordered), max(1, math.ceil(len(ordered) * q))) - 1]

        return cls(len(ordered), statistics.median(ordered), rank(0.9), rank(0.99), ordered[-1])

    def as_json(self) -> dict[str, float]:
        return {
            "count": self.count,
            "median_ms": round(self.median, 2),
            "p90_ms": round(self.p90, 2),
            "p99_ms": round(self.p99, 2),
            "max_ms": round(self.max, 2),
        }


@dataclass
class Outcome:
    scenario: Scenario
    planned: int
    sent: int
    statuses: Counter[int]
    ack: Figures | None
    done: Figures | None
    done_count: int
    elapsed_s: float
    drain_s: float
    drained: bool  # False: work was still running when the wait gave up
    over_deadline: int  # answers that took longer than Slack's 3 s
    all_done_s: float  # from the first request sent to the last Web API call it caused
    last_done_s: float  # from the first request sent to the last request's work done
    server_cpu_s: float
    started_at: float  # wall clock, when the first request was sent
    api_calls: Counter[str] = field(default_factory=Counter)
    stages: dict[str, Any] = field(default_factory=dict)  # with --breakdown

    def as_json(self) -> dict[str, Any]:
        return {
            "label": self.scenario.label,
            "app": self.scenario.app,
            "floor": self.scenario.floor,
            "planned": self.planned,
            "sent": self.sent,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "ack": self.ack.as_json() if self.ack else None,
            "work_done": self.done.as_json() if self.done else None,
            "work_done_of": self.scenario.done_label,
            "work_done_count": self.done_count,
            "started_at": round(self.started_at, 3),
            "load_ended_at": round(self.started_at + self.elapsed_s, 3),
            "load_elapsed_s": round(self.elapsed_s, 2),
            "drain_s": round(self.drain_s, 2),
            "drained": self.drained,
            "over_3s": self.over_deadline,
            "all_work_done_s": round(self.all_done_s, 2),
            "last_done_s": round(self.last_done_s, 2),
            "acks_per_s": round(self.sent / self.elapsed_s, 1) if self.elapsed_s else None,
            "server_cpu_ms_per_request": (
                round(self.server_cpu_s * 1000 / self.sent, 1) if self.sent else None
            ),
            "web_api_calls": dict(self.api_calls.most_common()),
            "server_stages": self.stages,
        }


def people_of(document: dict[str, Any]) -> list[tuple[str, str]]:
    return [(person["email"], person["name"]) for person in document["people"]]


def measures_of(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        measure
        for priority in document["priorities"]
        for aim in priority["aims"]
        for measure in aim["measures"]
    ]


class CapturingSimulator(SlackClientSimulator):
    """The stand-in's client simulator, except that `post` keeps the body instead of sending
    it: the payloads (response URLs, trigger ids, the message clicked) are built exactly as the
    simulator builds them, and the load generator signs and sends them later."""

    def __init__(self, stand_in: SlackStandIn) -> None:
        super().__init__("http://127.0.0.1/unused", SECRET, stand_in=stand_in)
        self.captured: Prepared | None = None

    def post(
        self,
        body: bytes,
        content_type: str,
        *,
        timestamp: int | str | None = None,
        signature: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> AppResponse:
        self.captured = Prepared(body.decode("utf-8"), content_type)
        return AppResponse(0, {}, b"")

    def take(self) -> Prepared:
        captured, self.captured = self.captured, None
        if captured is None:
            raise RuntimeError("the simulator built no request")
        return captured


def response_key(prepared: Prepared) -> str:
    """What the stand-in records for a post to the request's `response_url`."""
    fields = dict(urllib.parse.parse_qsl(prepared.body))
    if "payload" in fields:
        url = str(json.loads(fields["payload"])["response_url"])
    else:
        url = fields["response_url"]
    return "response_url " + url.rsplit("/", 1)[-1]


def status_items(
    simulator: CapturingSimulator, senders: list[str], aim: str, count: int
) -> list[Prepared]:
    items = []
    for index in range(count):
        simulator.command(senders[index % len(senders)], f"status {aim}")
        items.append(simulator.take())
    return items


SUBMITTED_VALUES: dict[str, dict[str, Any]] = {
    ids.VALUE_BLOCK: {ids.VALUE_INPUT: "50"},
    ids.OVERVIEW_BLOCK: {
        ids.OVERVIEW_INPUT: "Benchmark figure: in line with the seasonal pattern."
    },
    ids.ACTIONS_BLOCK: {ids.ACTIONS_INPUT: "Benchmark: keep the new process under review."},
    ids.EVIDENCE_BLOCK: {ids.EVIDENCE_INPUT: None},
}


def submission_items(
    simulator: CapturingSimulator,
    core: Core,
    document: dict[str, Any],
    uids: dict[str, str],
    wanted: int,
    seed: int,
) -> tuple[list[Prepared], list[str]]:
    """`wanted` submissions of the figure form, each by its measure's collector for the
    latest ended period, as Slack sends them when Submit is pressed; and the key each one's
    review card will be recorded under."""
    measures = measures_of(document)
    random.Random(seed).shuffle(measures)  # spread the decisions over reviewers and aims
    names = dict(people_of(document))
    items: list[Prepared] = []
    keys: list[str] = []
    for measure in measures:
        if len(items) == wanted:
            break
        collector = measure["collector"]
        someone = Someone(uids[collector], collector, names.get(collector))
        outcome = conversation.command(core, someone, f"submit {measure['ref']}", mentions={})
        if not isinstance(outcome, OpenForm):
            continue  # e.g. an annual measure whose last ended year is already approved
        simulator.view_submission(
            uids[collector], slack_render.modal(outcome.form), SUBMITTED_VALUES
        )
        items.append(simulator.take())
        keys.append(f"card {measure['ref']}")
    return items, keys


def posted_cards(engine: Engine, slack: SlackStandIn, uids: dict[str, str]) -> list[Card]:
    """Every review card posted so far, one per submission (its first decider's copy)."""
    with read_session(engine) as session:
        refs = list(session.exec(select(MessageRef).where(MessageRef.kind == REVIEW_CARD)))
    cards: dict[int, Card] = {}
    for ref in sorted(refs, key=lambda r: (int(r.key.split("/")[0]), r.id or 0)):
        submission_id, email = ref.key.split("/", 1)
        message = slack.message(ref.channel, ref.ts)
        if message is None or int(submission_id) in cards or email not in uids:
            continue
        cards[int(submission_id)] = Card(
            int(submission_id), ref.channel, ref.ts, message, uids[email]
        )
    return list(cards.values())


def click_items(
    simulator: CapturingSimulator, cards: list[Card], *, repeat: bool = False
) -> tuple[list[Prepared], list[str]]:
    """Approve clicks on the cards as they were posted (a stale card, for repeat clicks)."""
    items, keys = [], []
    for card in cards:
        simulator.block_action(
            card.reviewer_uid,
            ids.APPROVE,
            str(card.submission_id),
            message=card.message,
            channel_id=card.channel,
        )
        prepared = simulator.take()
        items.append(prepared)
        if repeat:  # refused, nothing recorded: the bot answers on the click's response_url
            keys.append(response_key(prepared))
        else:  # decided: the bot rewrites the card in place
            keys.append(f"chat.update {card.channel} {card.ts}")
    return items, keys


def call_key(method: str, params: dict[str, Any], path: str) -> str:
    if method == "response_url":
        return "response_url " + path.rsplit("/", 1)[-1]
    if method == "chat.update":
        return f"chat.update {params.get('channel')} {params.get('ts')}"
    if method == "chat.postMessage":
        metadata = params.get("metadata")
        payload = (metadata.get("event_payload") if isinstance(metadata, dict) else None) or {}
        key = str(payload.get("key") or "")
        if key.startswith("card-v"):  # a review card: card-v{version}|{ref}|{period}|{to}
            return "card " + key.split("|")[1]
    return method


def recorded_since(slack: SlackStandIn, start: int) -> list[tuple[str, float]]:
    calls = slack.calls[start:]  # a slice of a list being appended to is safe under the GIL
    return [(call_key(c.method, c.params, c.path), c.at) for c in calls if c.ok]


# -- running a scenario -------------------------------------------------------------------------


@dataclass
class Harness:
    slack: SlackStandIn
    server: Child
    load: Child
    urls: dict[str, str]
    clients: int
    max_seconds: float
    drain_seconds: float
    rate: float | None
    breakdown: bool
    log: Callable[[str], None]

    def server_figures(self) -> dict[str, Any]:
        return self.server.ask({"cmd": "figures"})

    def run(self, scenario: Scenario, *, measured: bool = True) -> Outcome:
        start_index = len(self.slack.calls)
        before = self.server_figures()
        answer = self.load.ask(
            {
                "url": self.urls[scenario.app],
                "items": [[item.body, item.content_type] for item in scenario.items],
                "clients": self.clients,
                "max_seconds": self.max_seconds,
                "rate": self.rate,
            }
        )
        results: list[list[float] | None] = answer["results"]
        sent = [(index, r) for index, r in enumerate(results) if r is not None]
        first_sent = min((r[0] for _, r in sent), default=time.time())
        wanted = {scenario.done_keys[index]: r[0] for index, r in sent if scenario.done_keys}
        done, drain, drained = self.drain(start_index, wanted)
        after = self.server_figures()
        recorded = recorded_since(self.slack, start_index)
        last_call = max((at for _, at in recorded), default=first_sent)
        if scenario.done_keys:
            finished = [wanted[key] + ms / 1000 for key, ms in done.items()]
        else:  # the answer is the acknowledgement itself
            answered = [r for _, r in sent if int(r[2]) == 200]
            done = {str(i): r[1] for i, r in enumerate(answered)}
            finished = [r[0] + r[1] / 1000 for r in answered]
        last_done = max(finished, default=first_sent) - first_sent
        outcome = Outcome(
            scenario=scenario,
            planned=len(scenario.items),
            sent=len(sent),
            statuses=Counter(int(r[2]) for _, r in sent),
            ack=Figures.of([r[1] for _, r in sent]),
            done=Figures.of(list(done.values())),
            done_count=len(done),
            elapsed_s=float(answer["elapsed_s"]),
            drain_s=drain,
            drained=drained,
            over_deadline=sum(1 for _, r in sent if r[1] > SLACK_DEADLINE_MS),
            all_done_s=max(last_call - first_sent, float(answer["elapsed_s"]), last_done),
            last_done_s=last_done,
            server_cpu_s=float(after["cpu_s"]) - float(before["cpu_s"]),
            started_at=first_sent,
            api_calls=Counter(key.split(" ", 1)[0] for key, _ in recorded),
        )
        if self.breakdown:
            found = self.server.ask(
                {
                    "cmd": "stages",
                    "since": first_sent - 0.05,
                    "until": first_sent + outcome.elapsed_s + 0.05,
                }
            )
            late = found.pop("late")
            outcome.stages = {
                name: figures.as_json()
                for name, values in found.items()
                if (figures := Figures.of(values)) is not None
            }
            outcome.stages["answered_before_ack"] = int(sum(late))
        if measured:
            self.log(
                f"  {scenario.key}. {scenario.label}: {outcome.sent} sent in "
                f"{outcome.elapsed_s:.1f} s; work done for {outcome.done_count}, all work "
                f"finished {outcome.all_done_s:.1f} s after the first request"
            )
        return outcome

    def drain(
        self, start_index: int, wanted: dict[str, float]
    ) -> tuple[dict[str, float], float, bool]:
        """Wait until the work after the acks is done, then until the server is idle (no Web
        API call and almost no CPU for half a second), so that scenarios do not overlap.

        Returns the milliseconds from sending each request to its `wanted` call, how long the
        wait took, and whether the server became idle within `drain_seconds`."""
        began = time.monotonic()
        done: dict[str, float] = {}
        seen = start_index
        quiet_since, cpu = time.monotonic(), float(self.server_figures()["cpu_s"])
        while time.monotonic() - began < self.drain_seconds:
            time.sleep(0.1)
            recorded = recorded_since(self.slack, seen)
            seen += len(recorded)
            for key, at in recorded:
                if key in wanted and key not in done and at >= wanted[key]:
                    done[key] = (at - wanted[key]) * 1000
            now_cpu = float(self.server_figures()["cpu_s"])
            if recorded or now_cpu - cpu > 0.01:
                quiet_since, cpu = time.monotonic(), now_cpu
            elif len(done) == len(wanted) and time.monotonic() - quiet_since >= 0.5:
                return done, time.monotonic() - began, True
        self.log(f"  the work was still running after {self.drain_seconds:g} s; going on")
        return done, time.monotonic() - began, False


# -- the run ------------------------------------------------------------------------------------


@contextmanager
def database(args: argparse.Namespace, directory: Path) -> Iterator[str]:
    if args.postgres:
        with throwaway_postgres(POSTGRES_SERVER) as url:
            yield url
    elif args.database_url:
        yield args.database_url
    else:
        yield f"sqlite:///{directory / 'pmf-bench.db'}"


def describe(url: str) -> str:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return "SQLite (file, WAL)"
    return f"PostgreSQL ({parsed.database} on {parsed.host}:{parsed.port or 5432})"


def outbox_busy(engine: Engine) -> bool:
    """Whether urgent outbox rows are still to send or being sent (by any process; the
    server's clock runs on from NOW, so every such row comes due)."""
    with read_session(engine) as session:
        found = session.exec(
            select(OutboxItem.id)
            .where(
                col(OutboxItem.status).in_(["pending", "sending"]),
                col(OutboxItem.urgent).is_(True),
            )
            .limit(1)
        ).first()
    return found is not None


def wait_idle(engine: Engine, seconds: float = 900.0) -> None:
    """Until nothing urgent is left in the outbox (the server's deliverer sends it)."""
    deadline = time.monotonic() + seconds
    while outbox_busy(engine):
        if time.monotonic() > deadline:
            raise RuntimeError(f"the outbox was not empty after {seconds:g} s")
        time.sleep(0.2)


def run(args: argparse.Namespace) -> dict[str, Any]:
    def log(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    began = time.perf_counter()
    load_before = machine()["load_average"]
    with ExitStack() as stack:
        directory = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="pmf-ack-")))
        url = stack.enter_context(database(args, directory))
        log(f"database: {describe(url)}")

        # 1. The register, four years of actuals, the stand-in and the people in it.
        files = generate(directory, args.measures, seed=args.seed)
        document, _plans = register_document(args.measures, args.seed)
        engine = make_engine(url)
        stack.callback(engine.dispose)
        upgrade(engine)
        create_floor_table(engine)
        t0 = time.perf_counter()
        services.import_register(engine, files.register, actor=ACTOR, now=NOW)
        admin = services.admins(engine)[0]
        services.import_actuals(engine, files.actuals, actor=admin, now=NOW, today=NOW.date())
        load_s = time.perf_counter() - t0
        log(
            f"loaded {files.measures} measures, {files.actual_rows} actuals, "
            f"{files.people} people in {load_s:.1f} s"
        )
        slack = stack.enter_context(SlackStandIn())
        uids = {email: slack.add_user(email, name) for email, name in people_of(document)}
        core = Core(engine, fixed_clock, LONDON)

        # 2. The requests: status commands, one submission per measure (the forms as the bot
        # would open them), later the clicks on the cards those submissions post.
        simulator = CapturingSimulator(slack)
        senders = list(uids.values())
        aim = str(document["priorities"][0]["aims"][0]["code"])
        t0 = time.perf_counter()
        submitted, card_keys = submission_items(
            simulator, core, document, uids, args.requests + WARM_UP, args.seed
        )
        prepare_s = time.perf_counter() - t0
        log(f"prepared {len(submitted)} submission forms in {prepare_s:.1f} s")
        warm_forms, forms = submitted[:WARM_UP], submitted[WARM_UP:]
        warm_keys, form_keys = card_keys[:WARM_UP], card_keys[WARM_UP:]

        # 3. The server (pmf-bot, the bare app, the floor app) and the load generator.
        server_log = (directory / "server.log").open("w+", encoding="utf-8")
        stack.callback(server_log.close)
        server = Child("serve", stderr=server_log)
        stack.callback(server.close)
        ready = server.ask(
            {
                "database_url": url,
                "api_url": slack.api_url,
                "threads": args.threads,
                "breakdown": args.breakdown,
            }
        )
        load = Child("load")
        stack.callback(load.close)
        harness = Harness(
            slack,
            server,
            load,
            ready["urls"],
            args.clients,
            args.max_seconds,
            args.drain_seconds,
            args.rate,
            bool(ready["probed"]),
            log,
        )

        def status(key: str, app: str, count: int) -> Scenario:
            items = status_items(simulator, senders, aim, count)
            name = {"bare": "bare app", "floor": "floor app", "pmf": "pmf-bot"}[app]
            return Scenario(key, f"{name}: /pmf status {aim}", app, items, [])

        def submissions(key: str, app: str, items: list[Prepared], keys: list[str]) -> Scenario:
            name = "floor app" if app == "floor" else "pmf-bot"
            floor = None if app == "floor" else key.replace("pmf", "floor")
            return Scenario(
                key, f"{name}: submission", app, items, keys, "review card posted", floor
            )

        def approvals(key: str, app: str, chosen: list[Card], *, repeat: bool = False) -> Scenario:
            items, keys = click_items(simulator, chosen, repeat=repeat)
            name = "floor app" if app == "floor" else "pmf-bot"
            what = "Approve again, same reviewer" if repeat else "Approve (a new decision)"
            done = "refusal on the response URL" if repeat else "card updated (chat.update)"
            floor = None if app == "floor" else "c.floor"
            return Scenario(key, f"{name}: {what}", app, items, keys, done, floor)

        # Warm every app (imports, caches, connections, directory) outside the measurements.
        log("warming up")
        harness.run(status("w", "bare", 2 * args.clients), measured=False)
        harness.run(status("w", "floor", 2 * args.clients), measured=False)
        harness.run(status("w", "pmf", WARM_UP), measured=False)
        harness.run(submissions("w", "floor", warm_forms, warm_keys), measured=False)
        harness.run(submissions("w", "pmf", warm_forms, warm_keys), measured=False)
        wait_idle(engine)
        warm_cards = posted_cards(engine, slack, uids)
        harness.run(approvals("w", "floor", warm_cards), measured=False)
        harness.run(approvals("w", "pmf", warm_cards), measured=False)
        wait_idle(engine)
        warmed = {card.submission_id for card in warm_cards}

        log(f"measuring with {args.clients} clients")
        outcomes = [
            harness.run(status("a", "bare", args.requests)),
            harness.run(status("s.floor", "floor", args.requests)),
        ]
        outcomes.append(
            harness.run(replace(status("s.pmf", "pmf", args.requests), floor="s.floor"))
        )
        outcomes.append(harness.run(submissions("f.floor", "floor", forms, form_keys)))
        outcomes.append(harness.run(submissions("f.pmf", "pmf", forms, form_keys)))
        wait_idle(engine)
        cards = [
            card for card in posted_cards(engine, slack, uids) if card.submission_id not in warmed
        ]
        log(f"  {len(cards)} review cards to click")
        outcomes.append(harness.run(approvals("c.floor", "floor", cards)))
        approve = harness.run(approvals("c.pmf", "pmf", cards))
        outcomes.append(approve)
        decided = cards[: approve.sent]  # the clients take the items in order
        outcomes.append(harness.run(approvals("r.pmf", "pmf", decided, repeat=True)))
        with read_session(engine) as session:
            reviews = len(list(session.exec(select(Review.id))))
        server_end = harness.server_figures()
        load_end = load.ask({"cmd": "figures"})
        server.close()
        server_log.seek(0)
        warnings = Counter(
            re.sub(r"\d+", "N", line.strip())[:100]
            for line in server_log
            if line.startswith(("WARNING", "ERROR", "CRITICAL"))
        )
        return {
            "benchmark": "slack_ack",
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "command": " ".join(["python -m bench.slack_ack", *sys.argv[1:]]),
            "machine": {**machine(), "load_average_before": load_before},
            "code": code_fingerprint(),
            "database": describe(url),
            "measures": files.measures,
            "actual_rows": files.actual_rows,
            "people": files.people,
            "aim": aim,
            "clients": args.clients,
            "requests": args.requests,
            "threads": args.threads,
            "max_seconds": args.max_seconds,
            "rate": args.rate,
            "reviews_recorded": reviews,
            "setup": {"load_s": round(load_s, 1), "prepare_s": round(prepare_s, 1)},
            "scenarios": {o.scenario.key: o.as_json() for o in outcomes},
            "memory": {
                "server_max_rss_kb": server_end["max_rss_kb"],
                "server_getrusage_max_rss_kb": server_end["getrusage_max_rss_kb"],
                "server_rss_kb": server_end["rss_kb"],
                "server_threads": server_end["threads"],
                "load_generator_max_rss_kb": load_end["max_rss_kb"],
                "orchestrator_max_rss_kb": process_figures()["max_rss_kb"],
            },
            "server_log": dict(warnings.most_common(10)),
            "total_s": round(time.perf_counter() - began, 1),
        }


def machine() -> dict[str, Any]:
    return {
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def code_fingerprint() -> str:
    """A short hash of the product's source (bot, handlers, storage), to tell runs apart
    while the code changes under the benchmark."""
    digest = hashlib.sha256()
    root = Path(__file__).resolve().parent.parent
    for package in ("bot", "handlers", "storage"):
        for path in sorted((root / package).rglob("*.py")):
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


# -- the report ---------------------------------------------------------------------------------


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{value:,.1f}"


def report(figures: dict[str, Any]) -> str:
    scenarios: dict[str, dict[str, Any]] = figures["scenarios"]
    machine, memory = figures["machine"], figures["memory"]
    load = (
        f"open loop at {figures['rate']:g} requests/s"
        if figures["rate"]
        else "closed loop (each client sends again as soon as it is answered)"
    )
    lines = [
        f"pmf-bot chat benchmark ({figures['date']}): {figures['command']}",
        f"machine: {machine['nproc']} CPUs, Python {machine['python']}, {machine['platform']}; "
        f"load average {machine['load_average_before'][0]:g} before, "
        f"{machine['load_average'][0]:g} after; product code {figures['code']}",
        f"data: {figures['measures']} measures, {figures['actual_rows']} actuals, "
        f"{figures['people']} people; {figures['database']}",
        f"load: {figures['clients']} clients, {load}; up to {figures['requests']} requests a "
        f"scenario, sent for at most {figures['max_seconds']:g} s; waitress threads="
        f"{figures['threads']} for each app",
        "",
        "Ack latency: signed request sent -> HTTP response received (ms)",
        f"{'':9}{'scenario':42}{'sent':>6}{'median':>9}{'p90':>9}{'p99':>9}{'max':>9}"
        f"{'>3 s':>6}{'per s':>9}  HTTP status",
    ]
    for key, s in scenarios.items():
        ack = s["ack"] or {}
        statuses = ", ".join(f"{k}×{v}" for k, v in s["statuses"].items())
        lines.append(
            f"{key:9}{s['label']:42}{s['sent']:>6}{_cell(ack.get('median_ms')):>9}"
            f"{_cell(ack.get('p90_ms')):>9}{_cell(ack.get('p99_ms')):>9}"
            f"{_cell(ack.get('max_ms')):>9}{s['over_3s']:>6}{_cell(s['acks_per_s']):>9}  "
            f"{statuses}"
        )
    lines += [
        "",
        "Work: request sent -> its work done (ms; the stand-in's own time of the call, or the "
        "ack when the answer is the ack); 'last done': first request -> last request's work "
        "done (s); 'all done': first request -> last Web API call the scenario caused (s)",
        f"{'':9}{'scenario':42}{'done':>9}{'median':>9}{'p99':>9}{'last done':>10}"
        f"{'all done':>9}{'CPU/req':>9}  Web API calls per request",
    ]
    for key, s in scenarios.items():
        done = s["work_done"] or {}
        unfinished = "" if s["drained"] else " (NOT finished when the wait ended)"
        sent = s["sent"] or 1
        calls = ", ".join(f"{m} {n / sent:.2f}" for m, n in list(s["web_api_calls"].items())[:6])
        lines.append(
            f"{key:9}{s['label']:42}{s['work_done_count']:>4}/{s['planned']:<4}"
            f"{_cell(done.get('median_ms')):>9}{_cell(done.get('p99_ms')):>9}"
            f"{s['last_done_s']:>10.1f}{s['all_work_done_s']:>9.1f}"
            f"{_cell(s['server_cpu_ms_per_request']):>6} ms  {calls}{unfinished}"
        )
    bare = scenarios.get("a", {}).get("ack")
    lines += [
        "",
        f"Goals (issue 11): all requests done; click -> card p99 < {CARD_P99_GOAL_MS:g} ms; "
        f"completion (all done) <= {FLOOR_RATIO_GOAL:g}x the floor app's; ack median <= "
        f"{MEDIAN_RATIO_GOAL:g}x the bare app's; CPU/req: decision <= 15 ms, status <= 10 ms, "
        "submission <= 25 ms",
        f"{'':9}{'scenario':42}{'all done':>10}{'card p99':>10}{'vs floor':>10}"
        f"{'ack/bare':>10}{'CPU goal':>10}",
    ]
    cpu_goals = {"s": 10.0, "f": 25.0, "c": 15.0, "r": 15.0}
    for key, s in scenarios.items():
        if s["app"] != "pmf":
            continue
        complete = s["work_done_count"] == s["planned"] and s["drained"]
        done = s["work_done"] or {}
        card = "-"
        if s["work_done_of"] and done:
            card = f"{'met' if done['p99_ms'] < CARD_P99_GOAL_MS else 'MISSED'}"
        floor = scenarios.get(s.get("floor") or "")
        versus = "-"
        if floor and floor["all_work_done_s"]:
            ratio = s["all_work_done_s"] / floor["all_work_done_s"]
            versus = f"{ratio:.1f}x {'ok' if ratio <= FLOOR_RATIO_GOAL else 'NO'}"
        ack_ratio = "-"
        if bare and s["ack"]:
            ratio = s["ack"]["median_ms"] / bare["median_ms"]
            ack_ratio = f"{ratio:.1f}x {'ok' if ratio <= MEDIAN_RATIO_GOAL else 'NO'}"
        goal = cpu_goals.get(key.split(".")[0])
        cpu = s["server_cpu_ms_per_request"]
        cpu_ok = "-" if goal is None or cpu is None else ("met" if cpu <= goal else "MISSED")
        lines.append(
            f"{key:9}{s['label']:42}{'met' if complete else 'MISSED':>10}{card:>10}"
            f"{versus:>10}{ack_ratio:>10}{cpu_ok:>10}"
        )
    if any(s["server_stages"] for s in scenarios.values()):
        lines += [
            "",
            "Inside the server (--breakdown), median / p99 ms: WSGI in -> out; parse, verify "
            "and route; wait for a listener-executor worker; listener start -> ack(); ack() -> "
            "response (Bolt polls every 10 ms)",
            f"{'':9}{'scenario':42}{'in server':>15}{'verify':>13}{'wait worker':>17}"
            f"{'to ack':>11}{'after ack':>13}  late",
        ]
        for key, s in scenarios.items():
            stages = s["server_stages"]
            if not stages:
                continue

            def pair(name: str, stages: dict[str, Any] = stages) -> str:
                found = stages.get(name)
                if not found:
                    return "-"
                return f"{found['median_ms']:,.1f}/{found['p99_ms']:,.0f}"

            lines.append(
                f"{key:9}{s['label']:42}{pair('total'):>15}{pair('verify'):>13}"
                f"{pair('queue'):>17}{pair('to_ack'):>11}{pair('after_ack'):>13}"
                f"  {stages.get('answered_before_ack', 0)}"
            )
    server_mb = memory["server_max_rss_kb"] / 1024
    verdict = "met" if server_mb < MEMORY_GOAL_MB else "MISSED"
    lines += [
        "",
        f"reviews recorded in the database: {figures['reviews_recorded']}",
        f"Peak RSS (high-water mark): server process, pmf-bot + bare + floor apps "
        f"{server_mb:.0f} MB (goal < {MEMORY_GOAL_MB:g} MB: {verdict}); load generator "
        f"{memory['load_generator_max_rss_kb'] / 1024:.0f} MB; orchestrator (data load, "
        f"stand-in) {memory['orchestrator_max_rss_kb'] / 1024:.0f} MB",
        f"setup: data load {figures['setup']['load_s']} s, submission forms "
        f"{figures['setup']['prepare_s']} s; whole run {figures['total_s']} s",
    ]
    if figures["server_log"]:
        lines += ["", "Server log, warnings and errors:"]
        lines += [f"  {n:>5} × {message}" for message, n in figures["server_log"].items()]
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.slack_ack",
        description="Ack latency of pmf-bot beside a bare Bolt app (PRODUCT §9).",
    )
    parser.add_argument("--measures", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=20, help="concurrent clients")
    parser.add_argument("--requests", type=int, default=400, help="requests per scenario")
    parser.add_argument("--threads", type=int, default=16, help="waitress threads per app")
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=120.0,
        help="stop sending a scenario's requests after this long (keeps the run bounded)",
    )
    parser.add_argument(
        "--drain-seconds",
        type=float,
        default=240.0,
        help="at most this long to wait for the work after the acks before the next scenario",
    )
    parser.add_argument(
        "--rate",
        type=float,
        help="open loop: send this many requests a second (default: closed loop, each client "
        "sends again as soon as it has its answer)",
    )
    parser.add_argument(
        "--breakdown",
        action="store_true",
        help="also time the stages of each request inside the server (wraps Bolt internals; "
        "adds a little overhead)",
    )
    parser.add_argument("--seed", type=int, default=2026)
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--database-url", help="an EMPTY database to use (default: SQLite file)")
    where.add_argument(
        "--postgres",
        action="store_true",
        help=f"create and drop a throwaway database on {POSTGRES_SERVER}",
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument(
        "--kill",
        action="store_true",
        help="run the kill test instead (bench/kill_test.py: kill -9 in the middle of 400 "
        "approvals, restart, count decisions lost and messages duplicated)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    given = list(sys.argv[1:] if argv is None else argv)
    if "--kill" in given:  # the kill test (bench/kill_test.py) takes over
        from bench import kill_test

        given.remove("--kill")
        kill_test.main(given)
        return
    args = parse_args(argv)
    figures = run(args)
    print(report(figures))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
