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
from datetime import date, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot import delivery, services, summaries
from bot.periods import Period, PeriodKind
from bot.settings import load_settings
from handlers.slack.app import build_app, http_server, stop_http
from handlers.slack.context import Deps
from sandbox.slack_api import SlackStandIn
from sandbox.slack_client import SlackClientSimulator
from storage import queries
from storage.engine import make_engine, read_session
from storage.migrate import upgrade

log = logging.getLogger(__name__)

DEFAULT_PORT = 8765
LONDON = ZoneInfo("Europe/London")
DEFAULT_START = datetime(2026, 7, 1, 9, 0, tzinfo=LONDON)  # just after 2026-27 Q1 ended
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


def wait_for_stop() -> None:
    """Block until Ctrl+C (SIGINT), SIGTERM or SIGHUP, then return, so the caller's `finally` stops
    the sandbox and deletes its temporary folder either way (a service manager, `kill` or a
    closing terminal sends SIGTERM)."""
    stopped = threading.Event()

    def stop(signum: int, frame: object) -> None:
        stopped.set()

    signals = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {sig: signal.signal(sig, stop) for sig in signals}
    try:
        while not stopped.wait(1.0):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


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
    ) -> None:
        self.port = port
        self.examples = examples or find_examples()
        self.clock = SimClock(start_at)
        self._folder = folder
        self._temp: tempfile.TemporaryDirectory[str] | None = None
        self.slack = SlackStandIn(port=port)
        self.people: dict[str, dict[str, Any]] = {}  # user id → person facts for the page
        self.closed: set[str] = set()  # modal view ids the user closed or submitted
        self._tick_lock = threading.Lock()
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
        self._schedule_ticks()
        return self

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
            from sqlmodel import select

            from storage.models import Person

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
        for person in people:
            uid = self.slack.add_user(person.email, person.name)
            described = _describe_roles(roles.get(person.email, []), person.is_admin)
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

    def jump(self, where: str) -> str:
        """Move the clock: 'next_reminder', 'board_date', 'next_day' or an ISO time."""
        assert self.deps is not None
        council = self.deps.council()
        zone = self.deps.zone
        now = self.clock().astimezone(zone)
        at = council.reminders.at
        settle = timedelta(minutes=5)  # just after the scheduled hour, as a tick would be
        if where == "next_day":
            target = datetime.combine(now.date() + timedelta(days=1), at, tzinfo=zone) + settle
        elif where == "board_date":
            target = self._next_board(council, now) + settle
        elif where == "next_reminder":
            found = self._next_reminder(council, now)
            if found is None:
                return "Nothing is due in the next 120 days."
            target = found
        else:
            target = datetime.fromisoformat(where)
            if target.tzinfo is None:
                target = target.replace(tzinfo=zone)
        self.clock.set(target)
        done = self.tick()
        return (
            f"It is now {self.clock():%a %d %b %Y %H:%M}: {done['reminders']} reminders and "
            f"{done['summaries']} summaries sent."
        )

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

    def _next_reminder(self, council: Any, now: datetime) -> datetime | None:
        assert self.deps is not None
        day: date = now.date()
        at = council.reminders.at
        for _ in range(120):
            moment = datetime.combine(day, at, tzinfo=now.tzinfo) + timedelta(minutes=5)
            if moment > now and council.calendar.is_working_day(day):
                due = delivery.preview(self.deps.engine, council, at=moment, zone=self.deps.zone)
                if due:
                    return moment
            day += timedelta(days=1)
        return None

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
        for items in messages.values():
            items.sort(key=lambda m: float(m["ts"]))
            for message in items:
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
                                             user, the first person's (the page starts so)
    GET  file/F…                           → an uploaded file (the summary chart)
    POST command {user, text}              → a slash command, e.g. "/pmf status SE1"
    POST action {user, action_id, value, block_id?, message_ts?, channel?, view_id?}
    POST submit {user, view_id, values: {block_id: {action_id: text}}} → {status, response}
    POST close {user, view_id}
    POST message {user, channel, text, thread_ts?}
    POST home {user}                       → the App Home tab was opened
    POST clock {jump: next_reminder | board_date | next_day | <ISO time>}
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
                user = user or next(iter(self.sandbox.people), "")  # the page's first load
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
        stored = self.sandbox.slack.post_as_user(channel, user, str(data.get("text", "")), thread)
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
        return {
            "message": self.sandbox.jump(str(data.get("jump", "next_reminder"))),
            "clock": self.sandbox.clock().isoformat(),
        }
