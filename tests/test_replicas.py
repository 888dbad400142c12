"""Several replicas (issue 11): two real `pmf-bot run` processes behind a load balancer on one
PostgreSQL share the clicks, the outbox and the schedules, with nothing sent twice and nothing
lost when one of them is killed.

Both processes are the `pmf-bot run` command itself (`handlers.cli`, started as the console
script starts it), each in its own process on its own port, against one Slack Web API stand-in
in this process that records every call. The only change is the clock: it starts at 09:05 on
the 2026-27 Q2 Performance Board day (Wed 21 Oct 2026, with the example register's history
approved up to March 2026) and then runs in real time, the same in both processes — as two
servers' clocks are. SIGUSR1 moves a process's clock six minutes on (time passing, as it would
while a load balancer waits out a dead replica).

A round-robin load balancer (a small HTTP proxy in this process) sends each Slack request to
the next replica; a replica that cannot be reached is taken out of the rotation and the request
answered 502, as a load balancer's health check would. Then:

1. Both start at once and their schedulers tick together: the day's reminders and the
   quarter's summary posts (one per channel) each go out exactly once.
2. The collectors submit every figure they owe (the modal opened on one replica, often
   submitted on the other); each submission is stored once and its review card sent once.
3. Reviewers decide half of them: Approve clicks alternating between replicas, Reject with a
   reason (the form opened on one replica, sent to the other), and races — the reviewer and
   the Head of Service clicking Approve on the same card at the same moment on different
   replicas, and one reviewer double-clicking on both. Exactly one decision is recorded each
   time; the other click gets the plain "already approved" answer. App Home pages are
   refreshed no more often than they were asked for (what one process does, coalesced).
4. The other half are approved while one replica is killed with SIGKILL in the middle of
   delivering; clicks not answered 200 are sent again (through the balancer, so to the
   survivor), whose clock then passes the five-minute stale claim: it takes the dead replica's
   rows over and finishes them, looking before it sends again.

Throughout, every message the bot posts carries its outbox key, and no key is posted twice.

Two processes on one SQLite file are not a supported replica setup (SQLite is one process: it
has no row locks to share work between processes, and `BEGIN IMMEDIATE` serialises every
writer), so the SQLite run is skipped with that reason.
"""

from __future__ import annotations

import os
import re
import signal
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlalchemy import Engine, func
from sqlmodel import col, select

from bot import services
from bot.inbox import inbox
from handlers.slack import ids
from sandbox.slack_api import Call, SlackStandIn
from sandbox.slack_client import SlackClientSimulator
from storage.engine import make_engine, read_session
from storage.models import (
    AuditEvent,
    Measure,
    OutboxItem,
    PublishedFigures,
    Review,
    Submission,
    SummaryPost,
)
from tests.conftest import ROOT
from tests.processes import Running, started
from tests.slack_harness import EXAMPLES, SECRET, register_people
from tests.test_reminders_delivery import REMINDER_KEYS, seed
from tests.test_slack_support import buttons, form_values, text_of

LONDON = ZoneInfo("Europe/London")
START = datetime(2026, 10, 21, 9, 5, tzinfo=LONDON)  # the 2026-27 Q2 Performance Board day
QUARTER = "2026-27 Q2"
JUMP = timedelta(minutes=6)  # past the outbox's five-minute stale claim
SERVING = re.compile(r"pmf-bot is serving Slack at (http://\S+/slack/events)")
TICKED = re.compile(r'Job "run_tick \(trigger: interval.*executed successfully')

# `pmf-bot run`, with only its clock moved: START plus the real time since ANCHOR (the same
# anchor for both replicas, so their clocks agree), plus six minutes per SIGUSR1.
LAUNCH = """
import signal, sys, time
from datetime import datetime, timedelta
import handlers.cli as cli

start, anchor, step = datetime.fromisoformat(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
jumped = [0.0]

def now(settings):
    moment = start + timedelta(seconds=time.time() - anchor + jumped[0])
    return moment.astimezone(settings.zone)

def jump(signum, frame):
    jumped[0] += step

signal.signal(signal.SIGUSR1, jump)
cli._now = now
sys.argv = ["pmf-bot", *sys.argv[4:]]
cli.main()
"""


# -- the replicas and the load balancer ---------------------------------------------------------


@dataclass
class Replica(Running):
    url: str = ""
    patience: ClassVar[float] = 90.0

    def owns(self, claimed_by: str | None) -> bool:
        """Whether an outbox row's `claimed_by` (host:pid, then /run/N for its delivery
        threads) names this process."""
        return bool(claimed_by) and f":{self.pid}" in str(claimed_by).split("/")[0]


@contextmanager
def pmf_bot_run(database_url: str, api_url: str, anchor: float) -> Iterator[Replica]:
    environ = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PMF_", "SLACK_", "TEAMS_"))
    }
    environ |= {
        "PMF_DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": api_url,
        "PYTHONUNBUFFERED": "1",
    }
    with started(
        [
            sys.executable,
            "-c",
            LAUNCH,
            START.isoformat(),
            repr(anchor),
            str(JUMP.total_seconds()),
            "run",
            "--http",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
        ],
        cwd=ROOT,
        env=environ,
        kind=Replica,
        stop_within=15,
    ) as replica:
        yield replica


class Balancer:
    """Round robin over the replicas' URLs; one that cannot be reached leaves the rotation
    and that request is answered 502 (POSTs are not retried: a click may have been taken)."""

    def __init__(self, backends: list[str]) -> None:
        self.backends = backends
        self.down: set[str] = set()
        self.served: Counter[str] = Counter()
        self._turn = 0
        self._lock = threading.Lock()
        balancer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, content_type, answer = balancer.forward(self.path, self.headers, body)
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/slack/events"

    def next(self) -> str | None:
        with self._lock:
            alive = [b for b in self.backends if b not in self.down]
            if not alive:
                return None
            self._turn += 1
            return alive[self._turn % len(alive)]

    def forward(self, path: str, headers: Any, body: bytes) -> tuple[int, str, bytes]:
        backend = self.next()
        if backend is None:
            return 502, "text/plain", b"no replica is up"
        wanted = ("Content-Type", "X-Slack-Request-Timestamp", "X-Slack-Signature", "User-Agent")
        request = urllib.request.Request(
            backend,
            data=body,
            headers={name: headers[name] for name in wanted if headers.get(name)},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                with self._lock:
                    self.served[backend] += 1
                return response.status, response.headers.get("Content-Type", ""), response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Content-Type", ""), error.read()
        except Exception as error:  # refused, reset: the replica is gone
            with self._lock:
                self.down.add(backend)
            return 502, "text/plain", f"replica unreachable: {error}".encode()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# -- the world ---------------------------------------------------------------------------------


@dataclass
class World:
    engine: Engine
    slack: SlackStandIn
    people: dict[str, str]  # e-mail → Slack user id
    balancer: Balancer
    replicas: list[Replica]

    def via(self, url: str | None = None) -> SlackClientSimulator:
        """A Slack client sending to the balancer (or straight to one replica's URL); one per
        request, so concurrent requests keep their own trigger ids and response URLs."""
        return SlackClientSimulator(
            url or self.balancer.url, SECRET, stand_in=self.slack, timeout=120.0
        )

    def uid(self, email: str) -> str:
        return self.people[email]

    def posts(self) -> Counter[str]:
        """Every key posted (each message the outbox sends carries its key), with how often
        Slack stored it."""
        return Counter(key_of(call) for call in self.slack.calls_to("chat.postMessage") if call.ok)

    def settle(self, timeout: float = 240.0, quiet: float = 2.0) -> None:
        """Until no outbox or summary row is due or being sent, and Slack has been quiet."""
        deadline = time.monotonic() + timeout
        seen, since = len(self.slack.calls), time.monotonic()
        while time.monotonic() < deadline:
            time.sleep(0.2)
            if len(self.slack.calls) != seen:
                seen, since = len(self.slack.calls), time.monotonic()
                continue
            if time.monotonic() - since >= quiet and not busy(self.engine):
                return
        with read_session(self.engine) as session:
            left = list(
                session.exec(
                    select(OutboxItem.key, OutboxItem.status, OutboxItem.last_error).where(
                        col(OutboxItem.status).in_(["pending", "sending"]),
                        col(OutboxItem.urgent).is_(True),
                    )
                )
            )
        raise AssertionError(
            f"the replicas did not finish: {left[:10]}\n"
            + "\n".join(replica.out[-3000:] for replica in self.replicas)
        )


def key_of(call: Call) -> str:
    metadata = call.params.get("metadata") or {}
    return str((metadata.get("event_payload") or {}).get("key") or "")


def busy(engine: Engine) -> bool:
    with read_session(engine) as session:
        sending = session.exec(
            select(func.count()).select_from(OutboxItem).where(OutboxItem.status == "sending")
        ).one()
        urgent = session.exec(
            select(func.count())
            .select_from(OutboxItem)
            .where(OutboxItem.status == "pending", col(OutboxItem.urgent).is_(True))
        ).one()
        summaries = session.exec(
            select(func.count())
            .select_from(SummaryPost)
            .where(col(SummaryPost.status).in_(["pending", "sending"]))
        ).one()
    return bool(sending or urgent or summaries)


@contextmanager
def world(database_url: str) -> Iterator[World]:
    seed(database_url)
    engine = make_engine(database_url)
    channels = yaml.safe_load((EXAMPLES / "register.yaml").read_text(encoding="utf-8"))["channels"]
    with ExitStack() as stack:
        stack.callback(engine.dispose)
        slack = stack.enter_context(SlackStandIn())
        people = {email: slack.add_user(email, name) for email, name in register_people().items()}
        for name in [channels["all"], *channels["priorities"].values()]:
            slack.add_channel(name)
        anchor = time.time()
        replicas = [
            stack.enter_context(pmf_bot_run(database_url, slack.api_url, anchor)) for _ in range(2)
        ]
        for replica in replicas:
            replica.url = replica.wait_for(SERVING).group(1)
        balancer = Balancer([replica.url for replica in replicas])
        stack.callback(balancer.close)
        yield World(engine, slack, people, balancer, replicas)


# -- what people do ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    ref: str
    period: str
    collector: str
    reviewer: str
    head: str | None


def owed_figures(engine: Engine) -> list[Figure]:
    council = services.council_info(engine)
    found: dict[tuple[str, str], Figure] = {}
    for email in register_people():
        for owed in inbox(engine, council, email=email, today=START.date()).due:
            measure = owed.measure
            if measure.is_project or measure.collector != email:
                continue
            assert measure.reviewer is not None
            found[(measure.ref, owed.period.label)] = Figure(
                measure.ref, owed.period.label, email, measure.reviewer, measure.head_of_service
            )
    return sorted(found.values(), key=lambda f: (f.ref, f.period))


def submit(w: World, figure: Figure) -> int:
    """Open the modal (`/pmf submit REF PERIOD`) and submit it, both through the balancer."""
    opener = w.via()
    answer = opener.command(w.uid(figure.collector), f"submit {figure.ref} {figure.period}")
    assert answer.status == 200, answer.text
    view = opened_view(w, opener)
    values = form_values("40", "Steady this quarter.", "Keep going with the plan.")
    sent = w.via().view_submission(w.uid(figure.collector), view["id"], values)
    assert sent.status == 200 and sent.body == b"", (figure, sent.text)
    return 1


def submit_on_both(w: World, figure: Figure) -> int:
    """The modal submitted once, but delivered to both replicas at the same moment (a retry
    that a load balancer sent to the other one): recorded once."""
    opener = w.via()
    answer = opener.command(w.uid(figure.collector), f"submit {figure.ref} {figure.period}")
    assert answer.status == 200, answer.text
    view = opened_view(w, opener)
    values = form_values("40", "Steady this quarter.", "Keep going with the plan.")
    start = threading.Barrier(2)

    def send(url: str) -> int:
        start.wait(timeout=30)
        return w.via(url).view_submission(w.uid(figure.collector), view["id"], values).status

    with ThreadPoolExecutor(max_workers=2) as pool:
        assert list(pool.map(send, [r.url for r in w.replicas])) == [200, 200]
    return 1


def opened_view(w: World, sim: SlackClientSimulator, timeout: float = 60.0) -> dict[str, Any]:
    trigger = sim.last_trigger_id
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for call in w.slack.calls_to("views.open"):
            if call.params.get("trigger_id") == trigger:
                assert call.ok, call.response
                view: dict[str, Any] = call.response["view"]
                return view
        time.sleep(0.05)
    raise AssertionError(f"no modal opened for trigger {trigger}")


def answers_to(w: World, sim: SlackClientSimulator) -> list[str]:
    """What the app said back to one click (posts to its response URL)."""
    assert sim.last_payload is not None
    path = urllib.parse.urlsplit(str(sim.last_payload["response_url"])).path
    return [text_of(c.params) for c in w.slack.calls_to("response_url") if c.path == path]


def click(w: World, email: str, action: str, card: dict[str, Any], url: str | None = None) -> Any:
    sim = w.via(url)
    answer = sim.block_action(w.uid(email), action, buttons(card)[action], message=card)
    return sim, answer


@dataclass(frozen=True)
class Card:
    submission: int
    figure: Figure
    to: str
    message: dict[str, Any]


def posted_cards(w: World, figures: list[Figure]) -> list[Card]:
    by_key = {(f.ref, f.period): f for f in figures}
    with read_session(w.engine) as session:
        rows = session.exec(
            select(Submission.id, Measure.ref, Submission.period).join(
                Measure, col(Measure.id) == col(Submission.measure_id)
            )
        ).all()
    figure_of = {sid: by_key[(ref, period)] for sid, ref, period in rows if (ref, period) in by_key}
    found: list[Card] = []
    for email, uid in w.people.items():
        for message in w.slack.messages(w.slack.dm_channel(uid)):
            value = buttons(message).get(ids.APPROVE)
            if value and int(value) in figure_of:
                found.append(Card(int(value), figure_of[int(value)], email, message))
    return sorted(found, key=lambda card: card.submission)


def decisions(engine: Engine, after: int = 0) -> dict[int, Review]:
    """Reviews of the submissions made after submission `after` (not the imported history)."""
    with read_session(engine) as session:
        found = session.exec(select(Review).where(col(Review.submission_id) > after))
        return {review.submission_id: review for review in found}


def outbox_rows(engine: Engine) -> list[OutboxItem]:
    with read_session(engine) as session:
        return list(session.exec(select(OutboxItem)))


def home_rows(engine: Engine) -> dict[str, OutboxItem]:
    """Each person's App Home refresh row (one per person, re-armed with generation + 1 each
    time a change asks for it again)."""
    return {
        row.key.split("|", 1)[1]: row for row in outbox_rows(engine) if row.key.startswith("home|")
    }


def no_key_twice(w: World) -> Counter[str]:
    posted = w.posts()
    assert "" not in posted, "every post carries its outbox key"
    twice = {key: n for key, n in posted.items() if n > 1}
    assert not twice, f"posted more than once: {twice}"
    return posted


# -- the test ----------------------------------------------------------------------------------


def test_two_pmf_bot_run_replicas_share_clicks_outbox_and_schedules_exactly_once(
    db_url: str,
) -> None:
    if db_url.startswith("sqlite"):
        pytest.skip(
            "two processes on one SQLite file are not a supported replica setup: SQLite is "
            "one process (no row locks to share the outbox, every writer serialised); run "
            "several replicas on PostgreSQL"
        )
    with world(db_url) as w:
        first, second = w.replicas

        # 1. Both schedulers tick at start: reminders and summary posts, each once.
        for replica in w.replicas:
            replica.wait_for(TICKED)
        w.settle()
        rows = {row.key: row for row in outbox_rows(w.engine)}
        reminders = {key: row for key, row in rows.items() if key.startswith(REMINDER_KEYS)}
        assert len(reminders) >= 20, sorted(rows)
        assert Counter(row.status for row in reminders.values()) == Counter(
            {"sent": len(reminders)}
        )
        posted = no_key_twice(w)
        assert {key for key in posted if key.startswith(REMINDER_KEYS)} == set(reminders)
        with read_session(w.engine) as session:
            summary_rows = list(session.exec(select(SummaryPost)))
            published = session.exec(
                select(func.count())
                .select_from(PublishedFigures)
                .where(PublishedFigures.quarter == QUARTER)
            ).one()
            summary_audit = session.exec(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "summary.post")
            ).one()
        assert len(summary_rows) == 5  # #performance and one channel per priority
        assert {row.status for row in summary_rows} == {"sent"}
        for post in summary_rows:
            assert posted[post.key] == 1, post.key
            tops = [
                m for m in w.slack.messages(post.target) if m.get("thread_ts") in (None, m["ts"])
            ]
            assert len(tops) == 1, (post.target, tops)
        assert published == 1, "the quarter's figures recorded as published once"
        assert summary_audit == 5
        for replica in w.replicas:
            assert "scheduled tick failed" not in replica.out, replica.out
        assert not any("ERROR" in line for r in w.replicas for line in r.lines), [
            r.out for r in w.replicas
        ]

        # A Slack event delivered to both replicas at once (Slack's retry of it reaching the
        # other one) is handled once: one App Home published.
        chris = w.uid("chris.walker@example.gov.uk")
        before = len([c for c in w.slack.calls_to("views.publish") if c.params["user_id"] == chris])
        opened = {"type": "app_home_opened", "user": chris, "tab": "home"}
        start = threading.Barrier(2)

        def deliver(job: tuple[str, int | None]) -> int:
            url, retry = job
            start.wait(timeout=30)
            return w.via(url).event(opened, event_id="Ev0REPLICAS", retry_num=retry).status

        with ThreadPoolExecutor(max_workers=2) as pool:
            jobs = [(first.url, None), (second.url, 1)]
            assert list(pool.map(deliver, jobs)) == [200, 200]
        w.settle()
        after = len([c for c in w.slack.calls_to("views.publish") if c.params["user_id"] == chris])
        assert after == before + 1

        homes_before = len(w.slack.calls_to("views.publish"))
        generations_before = {email: row.generation for email, row in home_rows(w.engine).items()}

        # 2. Every figure owed, submitted through the balancer (opened on one replica, sent
        #    to the next).
        figures = owed_figures(w.engine)
        with read_session(w.engine) as session:  # the imported history's last submission
            history = session.exec(select(func.max(Submission.id))).one() or 0
        assert len(figures) >= 30, figures
        with ThreadPoolExecutor(max_workers=6) as pool:
            assert sum(pool.map(lambda f: submit(w, f), figures[2:])) == len(figures) - 2
        for figure in figures[:2]:
            submit_on_both(w, figure)
        w.settle()
        assert w.balancer.served[first.url] > 10 and w.balancer.served[second.url] > 10
        with read_session(w.engine) as session:
            stored = Counter(
                (ref, period)
                for ref, period in session.exec(
                    select(Measure.ref, Submission.period)
                    .join(Measure, col(Measure.id) == col(Submission.measure_id))
                    .where(col(Submission.id) > history)
                )
            )
        assert stored == Counter({(f.ref, f.period): 1 for f in figures})
        cards = posted_cards(w, figures)
        assert len(cards) == len(figures), "one review card per submission"
        no_key_twice(w)

        # 3. Half decided: races on the same card, rejects, and approvals in rotation.
        half = len(cards) // 2
        now_cards, later_cards = cards[:half], cards[half:]
        racing = [c for c in now_cards if c.figure.head and c.figure.head != c.to][:3]
        doubled = [c for c in now_cards if c not in racing][:3]
        rejected = [c for c in now_cards if c not in racing and c not in doubled][:4]
        taken = {c.submission for c in racing + doubled + rejected}
        approved = [c for c in now_cards if c.submission not in taken]
        assert len(racing) == 3, [(c.figure.ref, c.to, c.figure.head) for c in now_cards]

        names = register_people()
        for card in racing + doubled:
            # Two clicks at the same moment on different replicas: the reviewer and the Head
            # of Service (who may also decide), or one reviewer clicking twice.
            other = card.figure.head if card in racing else card.to
            assert other is not None
            race(w, card, other, names, history)

        for card in rejected:
            opener, answer = click(w, card.to, ids.REJECT, card.message)
            assert answer.status == 200, answer.text
            form = opened_view(w, opener)
            reason = f"Please check {card.figure.ref} against the source system."
            sent = w.via().view_submission(
                w.uid(card.to), form["id"], {ids.REASON_BLOCK: {ids.REASON_INPUT: reason}}
            )
            assert sent.status == 200 and sent.body == b"", sent.text

        with ThreadPoolExecutor(max_workers=6) as pool:
            statuses = list(
                pool.map(lambda c: click(w, c.to, ids.APPROVE, c.message)[1].status, approved)
            )
        assert set(statuses) == {200}
        w.settle()
        decided = decisions(w.engine, history)
        assert set(decided) == {c.submission for c in now_cards}
        assert {decided[c.submission].decision for c in rejected} == {"rejected"}
        assert {decided[c.submission].decision for c in approved + racing + doubled} == {"approved"}
        posted = no_key_twice(w)
        for card in now_cards:
            assert cards_rewritten(w, card), card
            assert any(k.startswith(f"notice|decided|{card.submission}|") for k in posted), card

        # App Home: refreshed at most once per time it was asked for (a home row re-armed N
        # times is N + 1 requests), whichever replica took the change or delivered it.
        # Counted from step 2 on (the App Home opened above was published directly).
        homes = home_rows(w.engine)
        refreshed = Counter(
            call.params["user_id"] for call in w.slack.calls_to("views.publish")[homes_before:]
        )
        assert homes
        for email, row in homes.items():
            asked = row.generation - generations_before.get(email, -1)
            assert row.status == "sent", row
            assert 1 <= refreshed[w.uid(email)] <= asked, (email, refreshed[w.uid(email)], asked)

        # 4. The rest approved while one replica is killed mid-delivery.
        w.slack.set_latency(0.05)  # slower Slack: the outbox is busy when the kill comes
        victim, survivor = first, second
        calls_before = len(w.slack.calls)
        results: dict[int, int] = {}

        def approve(card: Card) -> None:
            results[card.submission] = click(w, card.to, ids.APPROVE, card.message)[1].status

        pool = ThreadPoolExecutor(max_workers=6)
        futures = [pool.submit(approve, card) for card in later_cards]
        in_flight: list[str] = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            done = len(decisions(w.engine, history)) - len(now_cards)
            in_flight = [
                row.key
                for row in outbox_rows(w.engine)
                if row.status == "sending" and victim.owns(row.claimed_by)
            ]
            if done >= len(later_cards) // 3 and len(in_flight) >= 3:
                break
            time.sleep(0.02)
        os.kill(victim.pid, signal.SIGKILL)
        victim.process.wait(30)
        abandoned = [  # what it had taken and not finished: left `sending` by a dead process
            row.key
            for row in outbox_rows(w.engine)
            if row.status == "sending" and victim.owns(row.claimed_by)
        ]
        for future in futures:
            future.result(timeout=120)
        pool.shutdown()
        assert abandoned, "the killed replica died in the middle of delivering"
        again = [card for card in later_cards if results[card.submission] != 200]
        for card in again:  # a reviewer who saw an error clicks again
            assert click(w, card.to, ids.APPROVE, card.message)[1].status == 200
        assert survivor.url not in w.balancer.down
        survivor.process.send_signal(signal.SIGUSR1)  # five minutes pass: the claims are stale
        w.settle()

        decided = decisions(w.engine, history)
        answered = {sid for sid, status in results.items() if status == 200}
        assert answered - set(decided) == set(), "a click answered 200 lost its decision"
        assert set(decided) == {c.submission for c in cards}
        posted = no_key_twice(w)
        for card in later_cards:
            assert cards_rewritten(w, card), card
            assert any(k.startswith(f"notice|decided|{card.submission}|") for k in posted), card
        rows = {row.key: row for row in outbox_rows(w.engine)}
        for key in abandoned:  # what the dead replica had taken, finished by the survivor
            assert rows[key].status in ("sent", "dropped"), rows[key]
            assert survivor.owns(rows[key].claimed_by), rows[key]
        assert not [
            row.key for row in rows.values() if row.status in ("pending", "sending") and row.urgent
        ]
        assert len(w.slack.calls) > calls_before


def race(w: World, card: Card, other: str, names: dict[str, str], history: int) -> None:
    """`card.to` on the first replica and `other` on the second click Approve at once:
    one decision, and the click that lost is told, plainly, who decided."""
    first, second = w.replicas
    start = threading.Barrier(2)

    def go(email: str, url: str) -> tuple[SlackClientSimulator, int]:
        start.wait(timeout=30)
        sim, answer = click(w, email, ids.APPROVE, card.message, url)
        return sim, answer.status

    with ThreadPoolExecutor(max_workers=2) as pool:
        both = list(pool.map(lambda job: go(*job), [(card.to, first.url), (other, second.url)]))
    assert [status for _, status in both] == [200, 200]
    review = decisions(w.engine, history)[card.submission]
    assert review.decision == "approved"
    assert review.decided_by in {card.to, other}
    wait_for(lambda: any(answers_to(w, sim) for sim, _ in both))
    said = [answers_to(w, sim) for sim, _ in both]
    already = [s for s in said if s]
    assert len(already) == 1, said  # the winning click says nothing more
    winner = names[review.decided_by]
    assert f"This figure was already approved by {winner} at" in already[0][0], already


def cards_rewritten(w: World, card: Card) -> bool:
    channel = w.slack.dm_channel(w.uid(card.to))
    current = w.slack.message(channel, card.message["ts"]) or {}
    shown = text_of(current.get("blocks"))
    return ("*Approved*" in shown or "*Rejected*" in shown) and ids.APPROVE not in buttons(current)


def wait_for(condition: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")
