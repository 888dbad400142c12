"""`pmf-bot sandbox`: the whole bot in a browser, without a Slack workspace (issue 6).

On loopback, one server (the same Slack Web API stand-in the tests use) plays Slack's Web API
and also serves a web page that plays a Slack client; the real bot runs in HTTP mode pointed at
it, and every click and command reaches the bot signed exactly as Slack signs it. The data is a
SQLite file in a temporary folder loaded with the example register and figures; the register's
people are the sandbox's users, plus a councillor who is not in the register.

The page talks to the JSON endpoints under /sandbox/api/ (see `SandboxApi`). A simulated clock
drives the scheduler, so reminders, escalations and the Performance Board summary can be seen
within minutes ("jump to the next reminder", "jump to the Performance Board date").
"""

from __future__ import annotations

import json
import logging
import secrets
import signal
import tempfile
import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import col, func, select

from bot import delivery, services, summaries
from bot.errors import InputRejected
from bot.periods import Period, PeriodKind
from bot.settings import load_settings
from handlers.slack.app import build_app, http_server, stop_http
from handlers.slack.context import Deps
from sandbox.slack_api import SlackStandIn
from sandbox.slack_client import SlackClientSimulator
from storage import queries, workflow_store
from storage.engine import make_engine, read_session
from storage.migrate import upgrade
from storage.models import OutboxItem, Person, SummaryPost

log = logging.getLogger(__name__)

DEFAULT_PORT = 8765
LONDON = ZoneInfo("Europe/London")
# Just after 2026-27 Q1 ended; the sandbox then moves on to the quarter's first reminders.
DEFAULT_START = datetime(2026, 7, 1, 9, 0, tzinfo=LONDON)
COUNCILLOR = ("pat.morgan@councillor.example.gov.uk", "Cllr Pat Morgan")
PAGE_FILES = {
    "": "index.html",
    "index.html": "index.html",
    "app.js": "app.js",
    "style.css": "style.css",
}
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
}


@dataclass
class SimClock:
    """The sandbox's time, moved by the page; the bot and its scheduler read it."""

    now: datetime = DEFAULT_START
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self) -> datetime:
        with self.lock:
            return self.now

    def set(self, moment: datetime) -> None:
        with self.lock:
            self.now = moment


LOOK_AHEAD_DAYS = 120  # how far "next event" looks
MAX_STEPS = 500  # events one jump may run (a year of working days, with room)
QUIET_KINDS = ("home", "card_refresh", "close")  # bookkeeping, not news for the page
SENT_WORDS = {  # outbox kind → what the page calls it
    "before": "reminders",
    "deadline_day": "deadline-day reminders",
    "overdue": "overdue nudges",
    "review": "review reminders",
    "escalation": "escalations",
    "digest": "the missing-data digest",
    "card": "review cards",
    "notice": "notices",
    "correction": "corrections to posted summaries",
}


@dataclass(frozen=True)
class Ran:
    """What the scheduler sent at one moment of a jump."""

    at: datetime
    what: list[str]

    def as_json(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "at_words": f"{self.at:%a %d %b %H:%M}",
            "what": self.what,
        }


@dataclass(frozen=True)
class Jumped:
    message: str
    clock: datetime
    ran: list[Ran]


def _names(names: list[str]) -> str:
    """'Jane Doe', 'Jane Doe and Sam Lee', 'Jane Doe, Sam Lee, Amy Robinson and 2 others'."""
    if len(names) > 4:
        shown, rest = names[:3], len(names) - 3
        return f"{', '.join(shown)} and {rest} others"
    if len(names) > 1:
        return f"{', '.join(names[:-1])} and {names[-1]}"
    return names[0] if names else "nobody"


def _sent_words(kind: str, people: list[str]) -> str:
    words = SENT_WORDS.get(kind, kind.replace("_", " "))
    return f"{words} to {_names(people)}"


def _jump_words(now: datetime, ran: list[Ran]) -> str:
    head = f"It is now {now:%a %d %b %Y, %H:%M}."
    if not ran:
        return f"{head} Nothing was due on the way."
    steps = "; ".join(f"{r.at:%a %d %b %H:%M}: {', '.join(r.what)}" for r in ran)
    return f"{head} Sent on the way — {steps}."


class StopSignals:
    """While open, Ctrl+C (SIGINT), SIGTERM and SIGHUP ask to stop instead of killing the
    process, so the caller's `finally` stops the sandbox and deletes its temporary folder
    whichever arrives (a service manager, `kill`, a closing terminal), even during start-up."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

    def __init__(self) -> None:
        self.stopped = threading.Event()
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> StopSignals:
        for sig in self.SIGNALS:
            self._previous[sig] = signal.signal(sig, lambda signum, frame: self.stopped.set())
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)

    def wait(self) -> None:
        while not self.stopped.wait(1.0):
            pass


def find_examples() -> Path:
    """examples/ in the working directory, else beside the installed package (a checkout)."""
    for base in (Path.cwd(), Path(__file__).resolve().parent.parent):
        if (base / "examples" / "register.yaml").is_file():
            return base / "examples"
    raise FileNotFoundError(
        "examples/register.yaml was not found: run `pmf-bot sandbox` from the pmf-bot folder"
    )


class Sandbox:
    """Everything `pmf-bot sandbox` runs, startable and stoppable (the tests use it too)."""

    def __init__(
        self,
        port: int = DEFAULT_PORT,
        *,
        examples: Path | None = None,
        start_at: datetime = DEFAULT_START,
        folder: Path | None = None,
        opening: bool = True,
    ) -> None:
        self.port = port
        self.opening = opening
        self.first_reader: str | None = None  # whom the page opens as
        self.examples = examples or find_examples()
        self.clock = SimClock(start_at)
        self._folder = folder
        self._temp: tempfile.TemporaryDirectory[str] | None = None
        self.slack = SlackStandIn(port=port, clock=self.clock)
        self.people: dict[str, dict[str, Any]] = {}  # user id → person facts for the page
        self.closed: set[str] = set()  # modal view ids the user closed or submitted
        self._tick_lock = threading.Lock()
        self._jump_lock = threading.Lock()
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._ticker: threading.Timer | None = None
        self.deps: Deps | None = None
        self.user: SlackClientSimulator | None = None

    # -- lifecycle ----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"{self.slack.base_url}/"

    def start(self) -> Sandbox:
        try:
            return self._start()
        except BaseException:
            self.stop()  # nothing left behind: the temporary folder goes too
            raise

    def _start(self) -> Sandbox:
        folder = self._folder
        if folder is None:
            self._temp = tempfile.TemporaryDirectory(prefix="pmf-sandbox-")
            folder = Path(self._temp.name)
        database_url = f"sqlite:///{folder / 'sandbox.db'}"
        engine = make_engine(database_url)
        upgrade(engine)
        now = self.clock()
        services.import_register(engine, self.examples / "register.yaml", actor="sandbox", now=now)
        actuals = self.examples / "actuals.csv"
        admins = services.admins(engine)
        if actuals.is_file() and admins:  # history, imported by the register's admin
            services.import_actuals(engine, actuals, actor=admins[0], now=now, today=now.date())
            self._import_history(engine, admins[0], now)
        self.slack.start()
        self._add_people(engine)
        council = services.council_info(engine)
        channels = council.channels or {}
        names = [channels.get("all"), *(channels.get("priorities") or {}).values()]
        for name in dict.fromkeys(n for n in names if n):
            self.slack.add_channel(str(name).lstrip("#"))
        secret = secrets.token_hex(16)
        settings = load_settings(
            {
                "SLACK_BOT_TOKEN": "xoxb-sandbox",
                "SLACK_SIGNING_SECRET": secret,
                "SLACK_API_URL": self.slack.api_url,
                "PMF_DATABASE_URL": database_url,
            }
        )
        app, deps = build_app(settings, engine, clock=self.clock)
        self.deps = deps
        self._server = http_server(app, secret, host="127.0.0.1", port=0, threads=8)
        self._thread = threading.Thread(target=self._server.run, daemon=True, name="sandbox-bot")
        self._thread.start()
        bot_url = f"http://127.0.0.1:{self._server.effective_port}/slack/events"
        self.user = SlackClientSimulator(bot_url, secret, stand_in=self.slack)
        self.slack.mount("/sandbox/api", SandboxApi(self))
        self.slack.mount("/", self._page)
        if self.opening:
            self._open()
        self._schedule_ticks()
        return self

    def _import_history(self, engine: Any, admin: str, now: datetime) -> None:
        """The figures approved between the example history's end and the day the sandbox
        opens (sandbox/history.csv), so nobody is overdue for a month they never had the
        chance to submit. Read as history (approved), never as submissions to review."""
        with resources.as_file(resources.files("sandbox").joinpath("history.csv")) as path:
            try:
                services.import_actuals(
                    engine, path, actor=admin, now=now, today=now.date() + timedelta(days=90)
                )
            except InputRejected as error:  # another register: its own history only
                log.info("sandbox history not loaded: %s", error)

    def _open(self) -> None:
        """Move the clock to the first scheduled event and run it, so the first thing a
        visitor sees is a fresh reminder; the page opens as someone who just received one."""
        assert self.deps is not None
        first = self.next_event(self.clock())
        if first is not None:
            self._run_until(first)
        for uid, facts in self.people.items():
            if any(r.startswith("collector") for r in facts["roles"]) and self.slack.messages(
                self.slack.dm_channel(uid)
            ):
                self.first_reader = uid
                break

    def stop(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
        if self._server is not None and self._thread is not None:
            stop_http(self._server, self._thread)
        if self.deps is not None:
            self.deps.close()
        self.slack.stop()
        if self.deps is not None:
            self.deps.engine.dispose()
        if self._temp is not None:
            self._temp.cleanup()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _schedule_ticks(self) -> None:
        """Tick every 30 s of real time at the simulated time, as the scheduler would."""

        def again() -> None:
            self.tick()
            self._schedule_ticks()

        self._ticker = threading.Timer(30, again)
        self._ticker.daemon = True
        self._ticker.start()

    # -- people -------------------------------------------------------------------------------

    def _add_people(self, engine: Any) -> None:
        with read_session(engine) as session:
            measures = queries.load_measures(session)
            people = list(session.exec(select(Person).order_by(Person.name)))
        roles: dict[str, list[str]] = {}

        def add(email: str | None, role: str, ref: str) -> None:
            if email:
                roles.setdefault(email, []).append(f"{role} {ref}")

        for m in measures.values():
            add(m.collector, "collector", m.ref)
            add(m.cover, "cover", m.ref)
            add(m.reviewer, "reviewer", m.ref)
            add(m.head_of_service, "head of service", m.ref)
        chain = services.council_info(engine).chain
        for person in people:
            uid = self.slack.add_user(person.email, person.name)
            described = _describe_roles(roles.get(person.email, []), person.is_admin)
            if chain is not None:  # who approves the quarter's report after the Heads of Service
                steps = [
                    f"Executive Director: approves the report for the {d.name} directorate"
                    for d in chain.directorates
                    if d.executive_director == person.email
                ]
                if person.email in chain.leadership:
                    steps.append("Leadership Team: approves the report for committee")
                described = [r for r in described if r != "in the register"] + steps or described
            self.people[uid] = {
                "id": uid,
                "name": person.name,
                "email": person.email,
                "roles": described,
                "admin": person.is_admin,
            }
        email, name = COUNCILLOR
        uid = self.slack.add_user(email, name)
        self.people[uid] = {
            "id": uid,
            "name": name,
            "email": email,
            "roles": ["councillor (not in the register: reads status)"],
            "admin": False,
        }

    # -- the page -----------------------------------------------------------------------------

    def _page(self, method: str, path: str, query: str, body: bytes) -> tuple[int, str, bytes]:
        name = PAGE_FILES.get(path.strip("/"))
        if name is None:
            return 404, "text/plain; charset=utf-8", b"Not found"
        content = resources.files("sandbox").joinpath("page", name).read_bytes()
        return 200, CONTENT_TYPES[Path(name).suffix], content

    # -- the clock ----------------------------------------------------------------------------

    def tick(self) -> dict[str, int]:
        """Run the scheduler's work at the simulated time."""
        assert self.deps is not None
        with self._tick_lock:
            council = self.deps.council()
            report = delivery.tick(
                self.deps.engine,
                council,
                self.deps.transport,
                now=self.clock(),
                zone=self.deps.zone,
                worker="sandbox",
                clock=self.clock,
            )
            posted = summaries.summary_tick(
                self.deps.engine, council, self.deps.transport, now=self.clock()
            )
        return {"reminders": report.sent, "summaries": posted}

    def jump(self, where: str) -> Jumped:
        """Move the clock forward: 'next_event' (also 'next_reminder'), 'board_date',
        'next_day' or an ISO time. Every scheduled event on the way (reminders, overdue
        nudges, escalations, digests, the admins' summary draft, the Board-date post, anything
        else the outbox holds for later) runs at its own time, in order, so nothing is skipped
        and each message carries the time it was sent; the answer says what ran."""
        assert self.deps is not None
        with self._jump_lock:
            council = self.deps.council()
            zone = self.deps.zone
            now = self.clock().astimezone(zone)
            at = council.reminders.at
            if where in ("next_event", "next_reminder"):
                found = self.next_event(now)
                if found is None:
                    return Jumped(
                        f"Nothing is scheduled in the next {LOOK_AHEAD_DAYS} days; the clock "
                        f"stays at {now:%a %d %b %Y, %H:%M}.",
                        now,
                        [],
                    )
                target = found
            elif where == "next_day":
                day = council.calendar.next_working_day(now.date())
                target = datetime.combine(day, at, tzinfo=zone)
            elif where == "board_date":
                target = self._next_board(council, now)
            else:
                target = datetime.fromisoformat(where)
                if target.tzinfo is None:
                    target = target.replace(tzinfo=zone)
                target = target.astimezone(zone)
            if target < now:
                raise ValueError(
                    f"The sandbox's clock only moves forward: it is already "
                    f"{now:%a %d %b %Y, %H:%M}."
                )
            ran = self._run_until(target)
            return Jumped(_jump_words(self.clock().astimezone(zone), ran), self.clock(), ran)

    def _run_until(self, target: datetime) -> list[Ran]:
        """Step the clock through every scheduled event up to `target`, running each."""
        ran: list[Ran] = []
        for _ in range(MAX_STEPS):
            moment = self.next_event(self.clock())
            if moment is None or moment > target:
                break
            ran += self._step(moment)
        if self.clock() != target:
            ran += self._step(target)  # and whatever a tick at the target itself sends
        return ran

    def _step(self, moment: datetime) -> list[Ran]:
        self.clock.set(moment)
        self.tick()
        what = self._what_ran(moment)
        return [Ran(moment, what)] if what else []

    def next_event(self, now: datetime) -> datetime | None:
        """The first moment after `now` at which the scheduler has something to send."""
        assert self.deps is not None
        engine, zone = self.deps.engine, self.deps.zone
        council = self.deps.council()
        now = now.astimezone(zone)
        with read_session(engine) as session:
            later = session.exec(
                select(func.min(OutboxItem.due_at)).where(
                    OutboxItem.status == "pending", OutboxItem.due_at > now
                )
            ).one()
            admins = sorted(workflow_store.admins(session))
        queued = later.astimezone(zone) if later is not None else None
        day = now.date()
        for _ in range(LOOK_AHEAD_DAYS):
            moment = datetime.combine(day, council.reminders.at, tzinfo=zone)
            if queued is not None and queued <= moment:
                return queued
            if moment > now and council.calendar.is_working_day(day):
                if delivery.preview(engine, council, at=moment, zone=zone):
                    return moment
                if self._summaries_due(council, admins, moment):
                    return moment
            day += timedelta(days=1)
        return queued

    def _summaries_due(self, council: Any, admins: list[str], moment: datetime) -> bool:
        assert self.deps is not None
        due = summaries.due_summaries(council, admins, moment)
        if not due:
            return False
        with read_session(self.deps.engine) as session:
            done = set(
                session.exec(
                    select(SummaryPost.key).where(
                        col(SummaryPost.key).in_([d.key for d in due]),
                        SummaryPost.status == "sent",
                    )
                )
            )
        return any(d.key not in done for d in due)

    def _what_ran(self, moment: datetime) -> list[str]:
        """What the scheduler sent at `moment`, in words, for the page."""
        assert self.deps is not None
        until = moment + timedelta(seconds=1)
        with read_session(self.deps.engine) as session:
            names = {p.id: p.name for p in session.exec(select(Person))}
            sent = session.exec(
                select(OutboxItem.kind, OutboxItem.recipient_id)
                .where(
                    OutboxItem.status == "sent",
                    col(OutboxItem.sent_at) >= moment,
                    col(OutboxItem.sent_at) < until,
                    col(OutboxItem.kind).not_in(QUIET_KINDS),
                )
                .order_by(col(OutboxItem.id))
            ).all()
            posts = session.exec(
                select(SummaryPost.kind, SummaryPost.quarter, SummaryPost.target)
                .where(
                    SummaryPost.status == "sent",
                    col(SummaryPost.posted_at) >= moment,
                    col(SummaryPost.posted_at) < until,
                )
                .order_by(col(SummaryPost.id))
            ).all()
            emails = {p.email: p.name for p in session.exec(select(Person))}
        by_kind: dict[str, list[str]] = {}
        for kind, recipient in sent:
            who = names.get(recipient or -1, "someone")
            by_kind.setdefault(kind, [])
            if who not in by_kind[kind]:
                by_kind[kind].append(who)
        what = [_sent_words(kind, people) for kind, people in by_kind.items()]
        drafts = [emails.get(target, target) for kind, _, target in posts if kind == "draft"]
        channels = [target for kind, _, target in posts if kind == "post"]
        quarter = posts[0][1] if posts else ""
        if drafts:
            what.append(f"the {quarter} summary draft to {_names(drafts)}")
        if channels:
            what.append(f"the {quarter} summary posted to {_names(channels)}")
        return what

    def _next_board(self, council: Any, now: datetime) -> datetime:
        calendar = council.calendar
        quarter = Period.containing(PeriodKind.QUARTER, now.date()).previous()
        for _ in range(3):
            board = calendar.performance_board_date(quarter, council.performance_board_weeks)
            moment = datetime.combine(board, council.reminders.at, tzinfo=now.tzinfo)
            if moment > now:
                return moment
            quarter = quarter.next()
        return moment

    # -- what a person sees -------------------------------------------------------------------

    def state(self, user_id: str) -> dict[str, Any]:
        slack = self.slack
        dm = slack.dm_channel(user_id)
        conversations = [{"id": dm, "name": "pmf-bot", "kind": "dm"}]
        named = [(cid, c) for cid, c in slack.channels.items() if c.get("is_channel")]
        for cid, channel in sorted(named, key=lambda item: str(item[1].get("name"))):
            if channel.get("name") != "general":
                conversations.append({"id": cid, "name": f"#{channel['name']}", "kind": "channel"})
        messages = {c["id"]: slack.messages(c["id"]) for c in conversations}
        ephemerals = slack.ephemeral_messages(user=user_id)
        for message in ephemerals:
            message["ephemeral"] = True
            messages.setdefault(message["channel"], []).append(message)
        zone = self.deps.zone if self.deps is not None else LONDON
        for items in messages.values():
            items.sort(key=lambda m: float(m["ts"]))
            for message in items:
                # Its own time: the stand-in stamps each message with the simulated clock.
                sent = datetime.fromtimestamp(float(message["ts"]), zone)
                message["time"] = sent.isoformat(timespec="seconds")
                # an ephemeral's "user" is the person it was shown to; the bot wrote it
                person = None if message.get("ephemeral") else message.get("user", "")
                name = self.people.get(person or "", {}).get("name")
                message["author"] = name or (
                    "pmf-bot"
                    if message.get("bot_id") or message.get("ephemeral")
                    else message.get("user")
                )
        modals = [v for v in slack.modals_of(user_id) if v["id"] not in self.closed]
        return {
            "clock": self.clock().isoformat(),
            "clock_words": f"{self.clock():%a %d %b %Y, %H:%M}",
            "me": self.people.get(user_id),
            "people": list(self.people.values()),
            "conversations": conversations,
            "messages": messages,
            "home": slack.home_views.get(user_id),
            "modal": modals[-1] if modals else None,
            "files": {fid: f"/sandbox/api/file/{fid}" for fid in slack.files},
        }


def _describe_roles(roles: list[str], admin: bool) -> list[str]:
    grouped: dict[str, list[str]] = {}
    for role in roles:
        kind, _, ref = role.rpartition(" ")
        grouped.setdefault(kind, []).append(ref)
    described = [f"{kind} of {', '.join(refs)}" for kind, refs in grouped.items()]
    if admin:
        described.insert(0, "Performance & Policy Officer (admin)")
    return described or ["in the register"]


class SandboxApi:
    """JSON endpoints under /sandbox/api/ for the page.

    GET  state?user=U…                     → what that person sees (Sandbox.state); with no
                                             user, that of someone who has just received a
                                             reminder (the page starts so)
    GET  file/F…                           → an uploaded file (the summary chart)
    POST command {user, text}              → a slash command, e.g. "/pmf status SE1", its text
                                             as Slack sends it (the page escapes it and turns
                                             @Name into <@U…|handle>)
    POST action {user, action_id, value, block_id?, message_ts?, channel?, view_id?}
    POST submit {user, view_id, values: {block_id: {action_id: text}}} → {status, response}
    POST close {user, view_id}
    POST message {user, channel, text, thread_ts?, formatted?} → typed text, stored escaped as
                                             Slack does; with formatted, text as Slack's
                                             client sends it (escaped, with <@U…> mentions)
    POST home {user}                       → the App Home tab was opened
    POST clock {jump: next_event | board_date | next_day | <ISO time>}
                                           → {message, clock, clock_words, ran: [{at,
                                             at_words, what: [words]}]}: every event on the
                                             way, run at its own time, in order
    """

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.routes: dict[str, Callable[[dict[str, Any]], Any]] = {
            "command": self.command,
            "action": self.action,
            "submit": self.submit,
            "close": self.close,
            "message": self.message,
            "home": self.home,
            "clock": self.clock,
        }

    def __call__(self, method: str, path: str, query: str, body: bytes) -> tuple[int, str, bytes]:
        name = path.removeprefix("/sandbox/api").strip("/")
        try:
            if name == "state":
                user = urllib.parse.parse_qs(query).get("user", [""])[0]
                # the page's first load: someone with a fresh reminder
                user = user or self.sandbox.first_reader or next(iter(self.sandbox.people), "")
                return self._json(self.sandbox.state(self._user(user)))
            if name.startswith("file/"):
                return 200, "image/png", self.sandbox.slack.uploaded(name.removeprefix("file/"))
            route = self.routes.get(name)
            if route is None or method != "POST":
                return 404, "text/plain; charset=utf-8", b"Not found"
            data = json.loads(body or b"{}")
            return self._json(route(data))
        except (KeyError, ValueError) as error:
            return self._json({"error": str(error)}, 400)
        except Exception as error:  # the page shows it; the sandbox keeps running
            log.exception("sandbox request %s failed", name)
            return self._json({"error": f"{type(error).__name__}: {error}"}, 500)

    @staticmethod
    def _json(data: Any, status: int = 200) -> tuple[int, str, bytes]:
        return status, "application/json; charset=utf-8", json.dumps(data).encode()

    def _user(self, user: Any) -> str:
        if str(user) not in self.sandbox.people:
            raise KeyError(f"no sandbox user {user!r}")
        return str(user)

    @property
    def _client(self) -> SlackClientSimulator:
        assert self.sandbox.user is not None
        return self.sandbox.user

    def _answer(self, response: Any) -> dict[str, Any]:
        status, _, text = response.status, response.headers, response.text
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = text
        return {"status": status, "response": parsed}

    def command(self, data: dict[str, Any]) -> dict[str, Any]:
        user = self._user(data.get("user"))
        text = str(data.get("text", "")).strip()
        command, _, rest = text.partition(" ")
        channel = self.sandbox.slack.dm_channel(user)
        return self._answer(
            self._client.command(user, rest, command=command or "/pmf", channel_id=channel)
        )

    def action(self, data: dict[str, Any]) -> dict[str, Any]:
        user = self._user(data.get("user"))
        kwargs: dict[str, Any] = {"block_id": data.get("block_id")}
        if data.get("view_id"):
            kwargs["view"] = data["view_id"]
        elif data.get("message_ts") or data.get("channel"):
            ts = data.get("message_ts")
            if ts and self.sandbox.slack.channel_of(str(ts)) is not None:
                kwargs["message"] = ts  # a stored message; an ephemeral one is not stored
            kwargs["channel_id"] = data.get("channel")
        return self._answer(
            self._client.block_action(user, str(data["action_id"]), data.get("value"), **kwargs)
        )

    def submit(self, data: dict[str, Any]) -> dict[str, Any]:
        user = self._user(data.get("user"))
        view_id = str(data["view_id"])
        values = {
            block: {
                action: {"type": "plain_text_input", "value": value}
                for action, value in actions.items()
            }
            for block, actions in (data.get("values") or {}).items()
        }
        answer = self._answer(self._client.view_submission(user, view_id, values))
        response = answer["response"]
        if answer["status"] == 200 and not (
            isinstance(response, dict) and response.get("response_action") == "errors"
        ):
            self.sandbox.closed.add(view_id)
        return answer

    def close(self, data: dict[str, Any]) -> dict[str, Any]:
        self._user(data.get("user"))
        self.sandbox.closed.add(str(data["view_id"]))
        return {"ok": True}

    def message(self, data: dict[str, Any]) -> dict[str, Any]:
        user = self._user(data.get("user"))
        channel = str(data["channel"])
        thread = data.get("thread_ts") or None
        stored = self.sandbox.slack.post_as_user(
            channel, user, str(data.get("text", "")), thread, formatted=bool(data.get("formatted"))
        )
        event = {
            "type": "message",
            "channel": channel,
            "user": user,
            "text": stored["text"],
            "ts": stored["ts"],
            "channel_type": "im" if channel.startswith("D") else "channel",
        }
        if thread:
            event["thread_ts"] = thread
        return self._answer(self._client.event(event))

    def home(self, data: dict[str, Any]) -> dict[str, Any]:
        user = self._user(data.get("user"))
        return self._answer(self._client.app_home_opened(user))

    def clock(self, data: dict[str, Any]) -> dict[str, Any]:
        jumped = self.sandbox.jump(str(data.get("jump", "next_event")))
        return {
            "message": jumped.message,
            "clock": jumped.clock.isoformat(),
            "clock_words": f"{jumped.clock:%a %d %b %Y, %H:%M}",
            "ran": [r.as_json() for r in jumped.ran],
        }
