"""Delivering the outbox exactly once, on whichever chat surface a person uses (PRODUCT §6, §9;
issues 4 and 11).

A pass claims due rows and, for each, checks it is still useful, builds its message from the
current state (so a card sent late, or rewritten twice, shows the truth), hands it to the
person's surface (`Transport`) and records where it went. Delivery problems never lose a row: a
rate limit waits for `Retry-After` and tries again; other failures go back to the queue with a
growing delay and are listed in the admins' digest until they succeed. A send whose outcome is
unknown (a timeout, a crash between sending and recording) is looked up before it is tried
again, by the key every message carries, so nothing is sent twice.

`tick` (every minute, from the scheduler) plans the reminders due now and then delivers;
`Deliverer` is woken the moment a change commits its outbox rows and delivers those at once.
"""

from __future__ import annotations

import logging
import threading
import time as time_module
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, bindparam
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from bot import actions, chain, leave, trend
from bot.chat import actions as actions_view
from bot.chat import cards
from bot.chat import chain as chain_view
from bot.chat import inbox as inbox_view
from bot.chat import leave as leave_view
from bot.chat import people as people_view
from bot.chat import reminders as reminders_view
from bot.chat import summaries as summaries_view
from bot.chat.model import Message
from bot.chat.words import when
from bot.inbox import inbox
from bot.outbox import DECIDED, IDENTITY_REFUSED, REOPENED, SUBMITTED, Ref
from bot.people import SURFACE_NAMES
from bot.periods import Period, PeriodKind
from bot.permissions import Absence, away_today
from bot.ragg import target_for
from bot.reminders import (
    COLLECTOR_KINDS,
    PLANNED,
    Kind,
    Plan,
    Reminder,
    ReminderContent,
    deadline_words,
    plan,
    undelivered_by_person,
)
from bot.status import CouncilInfo
from bot.submissions import SubmissionView
from bot.summary import for_priority, quarter_for
from bot.workflow import State
from storage import outbox_store, reminder_store, summary_store, workflow_store
from storage.engine import plain, read_session, write_session
from storage.models import MessageRef, OutboxItem, Person
from storage.queries import load_measures

log = logging.getLogger(__name__)

MAX_WAIT = 60.0  # the longest single Retry-After a pass will sit through
MAX_WAITS_PER_ITEM = 30  # then the row goes back to the queue and the pass moves on
MAX_WAITS_PER_REMINDER = MAX_WAITS_PER_ITEM
MARKS_PER_COMMIT = 20  # rewrites delivered are recorded as sent this many at a time, at most
# What may be recorded a few at a time: rewrites of what is already there (a card, a home page,
# the reminders a submission closed) come out the same if a crash makes them go again. A new
# post is recorded the moment it is sent, as before: Teams cannot look a message up, so a post
# left unrecorded by a crash would reach its reader twice.
REWRITES = frozenset({Kind.CARD_REFRESH, Kind.HOME, Kind.CLOSE})
HOME_EVERY = 2.0  # seconds: the least time between two home pages for one person (HomePace)
RETRY_DELAYS = (1, 2, 5, 15, 60)  # minutes before trying a failed row again
URGENT_DELAYS = (1, 5, 15, 60, 300)  # seconds, for what a person is waiting for
REVIEW_CARD = "review_card"  # MessageRef kind of a reviewer's card
NOT_REACHABLE = "not found"  # in a DeliveryError: the surface does not know the person


class DeliveryError(Exception):
    """The transport could not deliver. `retry_after`: a rate limit; `uncertain`: the message
    may have arrived all the same (a timeout), so look for it before sending again."""

    def __init__(
        self, message: str, *, retry_after: float | None = None, uncertain: bool = False
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.uncertain = uncertain


class Transport(Protocol):
    """One chat surface's delivery: all a surface must do for the outbox."""

    surface: str

    def reaches(self, email: str) -> bool:
        """Whether this surface can reach the person now (they use it, and are bound)."""

    def post(self, email: str, message: Message, key: str) -> Ref:
        """A direct message, tagged with `key` so `find` can tell it arrived; DeliveryError
        if it did not (or may not have)."""

    def find(self, email: str, key: str) -> Ref | None:
        """The direct message tagged `key`, if it reached the person; DeliveryError if that
        cannot be known now."""

    def update(self, ref: Ref, message: Message) -> None:
        """Rewrite a message sent before."""

    def publish_home(self, email: str, home: Message) -> None:
        """Show the person's home page (surfaces without one do nothing)."""

    def post_to_channel(self, channel: str, message: Message, key: str) -> Ref:
        """A message to a channel (summaries), tagged with `key`."""

    def reply(self, ref: Ref, message: Message, key: str) -> Ref:
        """A reply in the thread of `ref`, tagged with `key`."""

    def find_in(self, channel: str, key: str, thread: str | None = None) -> Ref | None:
        """The message tagged `key` in a channel (or in the thread of `thread`), if it is
        there; DeliveryError if that cannot be known now (never None for "don't know")."""

    def upload_chart(self, ref: Ref, png: bytes, *, name: str, title: str, alt: str) -> None:
        """A chart in the thread of `ref` (surfaces without uploads may post it inline)."""

    def owns(self, channel: str) -> bool:
        """Whether a channel named in the register (or by an admin) is on this surface."""


class Surfaces:
    """The transports this process has, and which one reaches whom."""

    def __init__(self, transports: Iterable[Transport]) -> None:
        self.by_name = {t.surface: t for t in transports}
        if not self.by_name:
            raise ValueError("no chat surface to deliver with")

    def __getitem__(self, surface: str) -> Transport:
        return self.by_name[surface]

    def for_person(self, email: str, preferred: str | None = None) -> Transport:
        """The person's own surface if it can reach them, else the first that can."""
        order = list(self.by_name.values())
        if preferred in self.by_name:
            order.sort(key=lambda t: t.surface != preferred)
        for transport in order:
            if transport.reaches(email):
                return transport
        names = " or ".join(SURFACE_NAMES.get(name, name) for name in self.by_name)
        raise DeliveryError(
            f"{email} is {NOT_REACHABLE} on {names}: the bot has no account or chat for them "
            "there yet"
        )

    def for_channel(self, channel: str) -> Transport:
        for transport in self.by_name.values():
            if transport.owns(channel):
                return transport
        raise DeliveryError(f"no chat surface here posts to {channel}")

    @property
    def default(self) -> Transport:
        return next(iter(self.by_name.values()))


def as_surfaces(given: Surfaces | Transport) -> Surfaces:
    return given if isinstance(given, Surfaces) else Surfaces([given])


class HomePace:
    """At most one home page per person every `every` seconds from one process: a burst of
    clicks touching the same people re-arms their pages many times, and each page costs a
    read of everything the person has to do; held back, the re-armed rows wait (pending, in
    the outbox) and the page sent when the moment has passed shows every change. Real
    time, not the app's clock: this is about this process's work, not about the calendar."""

    def __init__(self, every: float = HOME_EVERY) -> None:
        self.every = every
        self._lock = threading.Lock()
        self._sent: dict[str, float] = {}  # outbox key -> time.monotonic() when sent

    def sent(self, key: str) -> None:
        with self._lock:
            self._sent[key] = time_module.monotonic()

    def held(self) -> list[str]:
        """The keys of home pages sent too lately to be sent again yet."""
        now = time_module.monotonic()
        with self._lock:
            for key in [k for k, at in self._sent.items() if now - at >= self.every]:
                del self._sent[key]
            return sorted(self._sent)


@dataclass
class TickReport:
    planned: int = 0
    sent: int = 0
    dropped: int = 0
    retried: int = 0
    recovered: int = 0
    waited: float = 0.0


# -- what is still worth sending ----------------------------------------------------------------


@dataclass(frozen=True)
class Facts:
    """What a batch's messages depend on, read once for the whole batch."""

    council: CouncilInfo
    now: datetime
    zone: ZoneInfo
    states: Mapping[tuple[str, str], State]
    latest: Mapping[tuple[str, str], tuple[int, int]]  # (ref, period) → (version, id)


def escalated_figures(item: outbox_store.Claimed) -> list[tuple[str, Period, date]]:
    """An escalation's figures, as its outbox row keeps them: (ref, period, deadline)."""
    found = []
    for entry in (item.payload or {}).get("figures") or []:
        try:
            ref, label, due = entry
            found.append((str(ref), Period.parse(str(label)), date.fromisoformat(str(due))))
        except (TypeError, ValueError):
            continue
    return found


def _owed(facts: Facts, ref: str, period: Period) -> bool:
    return facts.states.get((ref, period.label)) in (None, State.REJECTED, State.REOPENED)


def _still_useful(item: outbox_store.Claimed, facts: Facts) -> str | None:
    """Why the row should not go now, or None when it should."""
    if item.expires_at is not None and facts.now >= item.expires_at:
        return "its moment has passed"
    if item.kind is Kind.ESCALATION and item.ref is None:
        if not any(_owed(facts, ref, period) for ref, period, _ in escalated_figures(item)):
            return "every figure was submitted"
        return None
    if item.kind not in (*COLLECTOR_KINDS, Kind.REVIEW, Kind.CARD):
        return None
    if item.ref is None or item.period is None:
        return None
    state = facts.states.get((item.ref, item.period.label))
    if item.kind in (Kind.REVIEW, Kind.CARD):
        if state is not State.SUBMITTED:
            return "the figure was decided"
        if facts.latest.get((item.ref, item.period.label), (None, None))[0] != item.version:
            return "a newer version was submitted"
        return None
    if state not in (None, State.REJECTED, State.REOPENED):
        return "a figure was submitted"
    return None


def situation_plan(engine: Engine, council: CouncilInfo, now: datetime, zone: ZoneInfo) -> Plan:
    with read_session(engine) as session:
        facts = reminder_store.situation(session, council, now.astimezone(zone).date(), zone)
    return plan(facts, now)


# -- the passes ---------------------------------------------------------------------------------


def tick(
    engine: Engine,
    council: CouncilInfo,
    surfaces: Surfaces | Transport,
    *,
    now: datetime,
    zone: ZoneInfo,
    worker: str,
    batch: int = 200,
    sleep: Callable[[float], None] = time_module.sleep,
    clock: Callable[[], datetime] | None = None,
) -> TickReport:
    """Plan the reminders due at `now`, then deliver everything due. Safe in several
    processes."""
    report = TickReport()
    planned = situation_plan(engine, council, now, zone)
    with write_session(engine) as session:
        report.planned = outbox_store.enqueue(session, planned.reminders, now)
    drain(
        engine,
        council,
        surfaces,
        worker=worker,
        zone=zone,
        clock=clock or (lambda: now),
        batch=batch,
        sleep=sleep,
        planned=planned,
        report=report,
    )
    return report


def drain(
    engine: Engine,
    council: CouncilInfo,
    surfaces: Surfaces | Transport,
    *,
    worker: str,
    zone: ZoneInfo,
    clock: Callable[[], datetime],
    batch: int = 200,
    sleep: Callable[[float], None] = time_module.sleep,
    urgent_only: bool = False,
    pace: HomePace | None = None,
    planned: Plan | None = None,
    report: TickReport | None = None,
) -> TickReport:
    """Claim and deliver due rows until none are left (`urgent_only`: only those a person is
    waiting for, as the deliverer does between ticks; `pace`: home pages held back a moment
    after one was sent)."""
    report = report or TickReport()
    chosen = as_surfaces(surfaces)
    while True:
        claimed_at = clock()
        held = pace.held() if pace is not None else []
        with read_session(engine) as session:
            if not outbox_store.anything_due(
                session,
                now=claimed_at,
                urgent_only=urgent_only,
                held=held,
            ):
                return report
        with write_session(engine) as session:
            claimed = outbox_store.claim(
                session,
                now=claimed_at,
                worker=worker,
                limit=batch,
                urgent_only=urgent_only,
                held=held,
            )
        if not claimed:
            return report
        run = _Run(engine, council, chosen, zone, clock, sleep, worker, claimed_at, report)
        run.pace = pace
        run.deliver(claimed, planned)
        if len(claimed) < batch:
            return report


@dataclass
class _Run:
    """One claimed batch on its way."""

    engine: Engine
    council: CouncilInfo
    surfaces: Surfaces
    zone: ZoneInfo
    clock: Callable[[], datetime]
    sleep: Callable[[float], None]
    worker: str
    claimed_at: datetime
    report: TickReport
    # each recipient's chosen surface, read once for the batch (was one query per message)
    surfaces_of: dict[str, str | None] = field(default_factory=dict)
    # the submissions the batch's card rewrites and notices are about, read once for the
    # batch (a decision's card rewrite and its notices name the same one)
    views: dict[int, SubmissionView] = field(default_factory=dict)
    # rewrites sent and rows dropped, not yet recorded: recorded together, MARKS_PER_COMMIT at
    # a time (a new post is recorded at once; see REWRITES)
    sent: list[outbox_store.SentMark] = field(default_factory=list)
    dropped: list[tuple[int, str]] = field(default_factory=list)
    pace: HomePace | None = None

    def still_mine(self, item: outbox_store.Claimed) -> bool:
        """No other process takes over a row while its claim is fresh; in a batch slow enough
        for its claims to near staleness, each row is renewed before it is sent."""
        if self.clock() < self.claimed_at + outbox_store.STALE_CLAIM / 2:
            return True
        with write_session(self.engine) as session:
            return outbox_store.still_mine(session, item.id, worker=self.worker, now=self.clock())

    def deliver(self, claimed: list[outbox_store.Claimed], planned: Plan | None) -> None:
        recipients = sorted({item.recipient for item in claimed if item.recipient})
        if recipients:
            with read_session(self.engine) as session:
                self.surfaces_of.update(
                    session.execute(
                        sa_select(col(Person.email), col(Person.surface)).where(
                            col(Person.email).in_(recipients)
                        )
                    ).all()
                )
        about = [
            int(str(item.payload["submission"]))
            for item in claimed
            if item.kind in (Kind.CARD_REFRESH, Kind.NOTICE)
            and item.payload
            and item.payload.get("submission") is not None
        ]
        if about:
            with read_session(self.engine) as session:
                self.views.update(
                    (view.id, view) for view in workflow_store.views(session, about, self.council)
                )
        facts = self._facts(claimed)
        contents = _reminder_contents(self.engine, facts, claimed, planned)
        # What people wait for first: cards and messages, then home pages (which also
        # coalesce more the later they go).
        ordered = sorted(claimed, key=lambda item: item.kind is Kind.HOME)
        try:
            for item in ordered:
                if not self.still_mine(item):
                    continue  # taken over by another process while this one was slow
                reason = _still_useful(item, facts) or _leave_moot(self.engine, item)
                if reason is not None:
                    self.dropped.append((item.id, reason))
                    self.report.dropped += 1
                else:
                    self._attempt(item, facts, contents)
                if len(self.sent) + len(self.dropped) >= MARKS_PER_COMMIT:
                    self.record()
        finally:
            self.record()

    def record(self, card: tuple[tuple[int, str], Ref] | None = None) -> None:
        """Record what was sent or dropped since the last time, in one transaction (and the
        review card just posted, whose place a decision's card rewrite must find)."""
        if not (self.sent or self.dropped or card):
            return
        with write_session(self.engine) as session:
            if card is not None:
                _remember_card(session, card[0], card[1], self.clock())
            outbox_store.mark_sent_many(session, self.sent, now=self.clock())
            for item_id, reason in self.dropped:
                outbox_store.mark_dropped(session, item_id, reason=reason)
        self.sent.clear()
        self.dropped.clear()

    def _facts(self, claimed: list[outbox_store.Claimed]) -> Facts:
        refs = {item.ref for item in claimed if item.ref}
        labels = {item.period.label for item in claimed if item.period}
        for item in claimed:
            if item.kind is Kind.ESCALATION:
                for ref, period, _ in escalated_figures(item):
                    refs.add(ref)
                    labels.add(period.label)
        with read_session(self.engine) as session:
            raw = workflow_store.recorded_states(session, refs, labels)
            latest = workflow_store.latest_submissions(session, refs, labels)
        return Facts(
            self.council,
            self.clock(),
            self.zone,
            {key: State(value) for key, value in raw.items()},
            latest,
        )

    def _attempt(
        self,
        item: outbox_store.Claimed,
        facts: Facts,
        contents: Mapping[int, ReminderContent],
    ) -> None:
        waits = 0
        while True:
            try:
                done = _send(self, item, facts, contents)
            except Exception as raised:
                error = raised if isinstance(raised, DeliveryError) else None
                if error is None:  # a bug, not the platform: keep the row, go on with the rest
                    log.exception("outbox item %s could not be built or sent", item.key)
                    error = DeliveryError(f"{type(raised).__name__}: {raised}", uncertain=True)
                if (
                    error.retry_after is not None
                    and error.retry_after <= MAX_WAIT
                    and waits < MAX_WAITS_PER_ITEM
                ):
                    self.record()  # nothing sent waits unrecorded through a sleep
                    waits += 1
                    self.report.waited += error.retry_after
                    self.sleep(error.retry_after)
                    if not self.still_mine(item):
                        return
                    continue
                delay = (
                    timedelta(seconds=URGENT_DELAYS[min(item.attempts, len(URGENT_DELAYS) - 1)])
                    if item.urgent
                    else timedelta(minutes=RETRY_DELAYS[min(item.attempts, len(RETRY_DELAYS) - 1)])
                )
                if error.retry_after is not None:  # not before the platform said it may be
                    delay = max(delay, timedelta(seconds=error.retry_after))
                log.warning("outbox %s to %s not delivered: %s", item.key, item.recipient, error)
                with write_session(self.engine) as session:
                    outbox_store.mark_retry(
                        session,
                        item.id,
                        error=str(error),
                        at=self.clock() + delay,
                        uncertain=error.uncertain or item.look_first,
                    )
                self.report.retried += 1
                return
            if item.kind is Kind.HOME and self.pace is not None:
                self.pace.sent(item.key)
            ref = done.ref if done else None
            self.sent.append(
                outbox_store.SentMark(
                    item.id,
                    channel=ref.channel if ref else None,
                    ts=ref.ts if ref else None,
                    surface=ref.surface if ref else None,
                    generation=item.generation,
                )
            )
            if done is not None and done.card is not None and ref is not None:
                self.record((done.card, ref))  # a click on it must find where it is
            elif item.kind not in REWRITES:
                self.record()  # a new post: never left unrecorded while others go
            if done is not None and done.found:
                self.report.recovered += 1
            else:
                self.report.sent += 1
            return


@dataclass(frozen=True)
class Done:
    """What a delivery did: where the message is (if it made one), whether it was found
    already there rather than sent, and the card to remember (submission id, recipient)."""

    ref: Ref | None = None
    found: bool = False
    card: tuple[int, str] | None = None


# Built once: each runs for every card, message or home page delivered
_CARD_REF = select(col(MessageRef.id)).where(
    col(MessageRef.kind) == REVIEW_CARD, col(MessageRef.key) == bindparam("key")
)
_CARD_COPIES = select(MessageRef).where(
    col(MessageRef.kind) == REVIEW_CARD, col(MessageRef.key).startswith(bindparam("prefix"))
)
_NAME = select(col(Person.name)).where(col(Person.email) == bindparam("email"))
_SURFACE = select(col(Person.surface)).where(col(Person.email) == bindparam("email"))
_FAILING = select(col(OutboxItem.key)).where(
    col(OutboxItem.key).in_(bindparam("keys", expanding=True)),
    col(OutboxItem.status) == "pending",
    col(OutboxItem.last_error).contains(NOT_REACHABLE),
)


def _remember_card(session: Session, card: tuple[int, str], ref: Ref, now: datetime) -> None:
    submission, email = card
    key = f"{submission}/{email}"
    known = session.exec(_CARD_REF, params={"key": key}).first()
    if known is None:
        session.add(
            MessageRef(
                kind=REVIEW_CARD,
                key=key,
                channel=ref.channel,
                ts=ref.ts,
                surface=ref.surface,
                created_at=now,
            )
        )


# -- building and sending each kind ------------------------------------------------------------


def _names(engine: Engine) -> Callable[[str], str]:
    cache: dict[str, str] = {}

    def name_of(email: str) -> str:
        if email not in cache:
            with read_session(engine) as session:
                found = plain(session, _NAME, {"email": email}).scalars().first()
            cache[email] = found or email
        return cache[email]

    return name_of


def _preferred(run: _Run, email: str) -> str | None:
    """The chat the person last used, as read for the batch (or now, if not in it)."""
    if email in run.surfaces_of:
        return run.surfaces_of[email]
    with read_session(run.engine) as session:
        surface = plain(session, _SURFACE, {"email": email}).scalars().first()
    return surface


def _post_once(run: _Run, item: outbox_store.Claimed, message: Message) -> Done:
    """Post a direct message for `item`, unless a crash or an unclear failure may already
    have delivered it: then look first."""
    assert item.recipient is not None
    transport = run.surfaces.for_person(item.recipient, _preferred(run, item.recipient))
    if item.look_first:
        found = transport.find(item.recipient, item.key)
        if found is not None:
            return Done(found, found=True)
    return Done(transport.post(item.recipient, message, item.key))


def _send(
    run: _Run,
    item: outbox_store.Claimed,
    facts: Facts,
    contents: Mapping[int, ReminderContent],
) -> Done | None:
    zone = run.zone
    name_of = _names(run.engine)
    if item.kind in PLANNED:
        content = contents.get(item.id)
        if content is None:
            raise DeliveryError("the measure is no longer in the register")
        return _post_once(run, item, reminders_view.reminder_message(content, name_of))
    payload = dict(item.payload or {})
    if item.kind is Kind.CARD:
        view, found = _card_view(run, int(payload["submission"]))
        done = _post_once(run, item, cards.review_card(view, zone, context=found))
        assert item.recipient is not None
        return Done(done.ref, done.found, (view.id, item.recipient))
    if item.kind is Kind.CARD_REFRESH:
        _refresh_cards(run, int(payload["submission"]), payload.get("note"))
        return None
    if item.kind is Kind.NOTICE:
        return _post_once(run, item, _notice(run, payload, name_of))
    if item.kind is Kind.HOME:
        assert item.recipient is not None
        box = inbox(run.engine, run.council, email=item.recipient, today=facts.now.date())
        transport = run.surfaces.for_person(item.recipient, _preferred(run, item.recipient))
        transport.publish_home(item.recipient, inbox_view.home_page(box, zone))
        return None
    if item.kind is Kind.CLOSE:
        assert item.ref and item.period and item.version
        with read_session(run.engine) as session:
            sent = reminder_store.sent_for(session, item.ref, item.period, list(COLLECTOR_KINDS))
        note = reminders_view.closed_note(
            item.ref, item.period, item.version, str(payload.get("by", ""))
        )
        for ref in sent:
            _update_quietly(run, ref, note)
        return None
    if item.kind is Kind.CORRECTION:
        assert item.ref and item.period
        _correct_posts(run, item, str(payload.get("by", "")), facts)
        return None
    raise DeliveryError(f"unknown outbox kind {item.kind}")


def _submission(run: _Run, submission_id: int) -> SubmissionView:
    if submission_id in run.views:
        return run.views[submission_id]
    with read_session(run.engine) as session:
        return workflow_store.view(session, submission_id, run.council)


def _context(session: Session, view: SubmissionView) -> trend.Context:
    """The figure's recent history, targets and any unusual change, for its card."""
    history = workflow_store.recent_values(
        session, view.measure, view.period, limit=trend.LOOK_BACK
    )
    return trend.context(view.measure, view.period, view.value, history)


def _card_view(run: _Run, submission_id: int) -> tuple[SubmissionView, trend.Context]:
    with read_session(run.engine) as session:
        view = workflow_store.view(session, submission_id, run.council)
        return view, _context(session, view)


def _update_quietly(run: _Run, ref: Ref, message: Message) -> None:
    """Rewrite a message; one that is gone (deleted, channel archived) is logged, not
    retried for ever."""
    try:
        run.surfaces[ref.surface].update(ref, message)
    except KeyError:
        log.warning("no %s surface here to update %s", ref.surface, ref)
    except DeliveryError as error:
        if error.retry_after is not None or error.uncertain:
            raise
        log.warning("could not update %s: %s", ref, error)


def _refresh_cards(run: _Run, submission_id: int, note: str | None) -> None:
    """Every copy of a submission's card, rewritten as the figure now stands."""
    with read_session(run.engine) as session:
        refs = list(session.exec(_CARD_COPIES, params={"prefix": f"{submission_id}/"}))
    if not refs:
        return
    card = review_card_now(
        run.engine, run.council, submission_id, run.zone, note, view=run.views.get(submission_id)
    )
    for ref in refs:
        _update_quietly(run, Ref(ref.surface, ref.channel, ref.ts), card)


def review_card_now(
    engine: Engine,
    council: CouncilInfo,
    submission_id: int,
    zone: ZoneInfo,
    note: str | None = None,
    *,
    view: SubmissionView | None = None,
) -> Message:
    """A submission's review card as the figure now stands (the outbox's rewrite, and the
    card a surface shows in place of the one just clicked); `view`: the submission, if it
    has just been read."""
    with read_session(engine) as session:
        if view is None:
            view = workflow_store.view(session, submission_id, council)
        found = _context(session, view)
        superseded = None
        if view.decision is None:  # a newer version replaces a pending one
            latest = workflow_store.latest_submissions(
                session, [view.measure.ref], [view.period.label]
            ).get((view.measure.ref, view.period.label))
            if latest is not None and latest[1] != submission_id:
                superseded = latest[0]
        reopened = None
        if view.decision == "approved":
            approved = workflow_store.approved_submission_id(session, view.measure, view.period)
            if approved != submission_id:  # reopened (or replaced) since it was approved
                reopened = note or _reopened_note(session, view, zone)
    return cards.review_card(view, zone, superseded_by=superseded, reopened=reopened, context=found)


def _reopened_note(session: Session, view: SubmissionView, zone: ZoneInfo) -> str | None:
    """What the card of an approved version says once it was reopened, read back from the
    reopening itself, as `submissions.after_reopen` first wrote it: a card redrawn later (a
    surface answering the click that reopened it) says the same as the outbox's rewrite."""
    found = workflow_store.reopened_since(
        session, view.measure, view.period, view.decided_at or view.submitted_at
    )
    if found is None:
        return None
    reason, by, at = found
    return f"Reopened by {by} at {when(at, zone)}" + (f": {reason}" if reason else "")


def _leave_moot(engine: Engine, item: outbox_store.Claimed) -> str | None:
    """Why a notice that leave has started should not go: the leave was cancelled."""
    payload = item.payload or {}
    if item.kind is not Kind.NOTICE or payload.get("notice") != leave.STARTS:
        return None
    found = leave.leave_by_id(engine, int(str(payload.get("leave", 0))))
    return "the leave was cancelled" if found is None or found.cancelled else None


def _notice(run: _Run, payload: Mapping[str, object], name_of: Callable[[str], str]) -> Message:
    kind = payload.get("notice")
    if kind == actions.ACTION_OVERDUE:
        found = actions.one(run.engine, int(str(payload["action"])))
        if found is None:
            raise DeliveryError("the action is no longer recorded")
        return actions_view.overdue_notice(found, run.clock().astimezone(run.zone).date())
    if kind in leave.LEAVE_NOTICES:
        away = leave.leave_by_id(run.engine, int(str(payload.get("leave", 0))))
        if away is None:
            raise DeliveryError("the leave no longer exists")
        today = run.clock().astimezone(run.zone).date()
        return leave_view.cover_notice(str(kind), away, today)
    if kind in chain.CHAIN_NOTICES:
        try:
            return chain_view.notice_message(
                run.engine, run.council, payload, run.zone, run.clock().astimezone(run.zone).date()
            )
        except ValueError as error:
            raise DeliveryError(str(error)) from None
    if kind == IDENTITY_REFUSED:
        return people_view.identity_refused_notice(payload, name_of(str(payload.get("claimed"))))
    view = _submission(run, int(str(payload["submission"])))
    if kind == DECIDED:
        return cards.decision_notice(view, run.zone)
    if kind == REOPENED:
        by, reason = name_of(str(payload.get("by", ""))), str(payload.get("reason", ""))
        return cards.reopened_notice(view, by, reason)
    if kind == SUBMITTED:
        listed = payload.get("reviewers")
        to = [str(email) for email in listed] if isinstance(listed, list) else []
        missed = _unreachable(run, view, to, name_of)
        return cards.submitted_notice(view, [name_of(e) for e in to], missed)
    raise DeliveryError(f"unknown notice {kind!r}")


def _unreachable(
    run: _Run, view: SubmissionView, reviewers: Sequence[str], name_of: Callable[[str], str]
) -> list[str]:
    """Reviewers the chat surfaces cannot reach now (not found there): their card stays
    queued and is retried. A passing failure (a 5xx, a timeout) is not worth a warning."""
    keys = [f"card-v{view.version}|{view.measure.ref}|{view.period}|{email}" for email in reviewers]
    if not keys:
        return []
    with read_session(run.engine) as session:
        failing = plain(session, _FAILING, {"keys": keys}).scalars().all()
    return [name_of(email) for email, key in zip(reviewers, keys, strict=True) if key in failing]


def _correct_posts(run: _Run, item: outbox_store.Claimed, by: str, facts: Facts) -> None:
    """After a late approval: every summary already posted for the quarter shows the new
    counts, with a correction in its thread."""
    from bot import summaries

    assert item.ref and item.period
    quarter = quarter_for(item.period)
    with read_session(run.engine) as session:
        if summary_store.being_posted(session, quarter.label):
            # Built before this approval perhaps, and not recorded yet: correct it (with the
            # others) once it is, or it would keep the old counts.
            raise DeliveryError(f"a {quarter} summary is being posted; correcting it after")
        posts = summary_store.posted_for(session, quarter.label)
    if not posts:
        return
    whole = summaries.summary(run.engine, run.council, quarter, today=facts.now.date())
    row = next((r for r in whole.rows if r.measure.ref == item.ref), None)
    if row is None or row.period != item.period:  # e.g. February: the Q4 summary shows March
        return
    note = summaries_view.correction(
        item.ref,
        str(row.period),
        row.measure.format_value(row.value),
        row.status,
        by,
        facts.now,
        run.zone,
    )
    for post in posts:
        scope = post.key.rsplit("|", 1)[-1] if post.key.startswith("post|") else "ALL"
        if scope not in ("ALL", row.measure.priority):
            continue
        shown = for_priority(whole, scope) if scope != "ALL" else whole
        assert post.channel is not None and post.message_ts is not None
        ref = Ref(post.surface, post.channel, post.message_ts)
        _update_quietly(run, ref, summaries_view.summary_messages(shown)[0])
        transport = run.surfaces[ref.surface]
        key = f"{item.key}|{post.id}"
        if item.look_first and transport.find_in(ref.channel, key, ref.ts) is not None:
            continue
        transport.reply(ref, note, key)


def _reminder_contents(
    engine: Engine,
    facts: Facts,
    claimed: list[outbox_store.Claimed],
    planned: Plan | None,
) -> dict[int, ReminderContent]:
    """What each planned reminder in the batch says, read once for the whole batch."""
    reminders = [item for item in claimed if item.kind in PLANNED]
    if not reminders:
        return {}
    council, now = facts.council, facts.now
    today = now.astimezone(facts.zone).date()
    refs = {item.ref for item in reminders if item.ref}
    escalated = {item.id: escalated_figures(item) for item in reminders}
    refs |= {ref for figures in escalated.values() for ref, _, _ in figures}
    calendar = council.calendar
    if planned is None and any(item.kind is Kind.DIGEST for item in reminders):
        planned = situation_plan(engine, council, now, facts.zone)
    with read_session(engine) as session:
        measures = load_measures(session, refs=refs) if refs else {}
        undelivered = outbox_store.undelivered(session, now)
        pairs = {(item.ref, item.period.label) for item in reminders if item.ref and item.period}
        collectors = {  # an escalation says when its collector is away, and who covers
            measures[ref].collector
            for item in reminders
            if item.kind is Kind.ESCALATION
            for ref in [item.ref, *(ref for ref, _, _ in escalated[item.id])]
            if ref in measures
        }
        away = workflow_store.absences(session, collectors, today) if collectors else {}
        recent = {  # only the (measure, period) pairs asked for, not every ref × every period
            (ref, label): workflow_store.recent_values(
                session, measures[ref], Period.parse(label), limit=1
            )
            for ref, label in pairs
            if ref in measures
        }
    collecting = [i for i in reminders if i.kind in COLLECTOR_KINDS]
    progress = _progress(engine, facts, collecting)
    # Open actions past their due date, read once for the batch (usually none).
    late_actions = actions.listing(engine, due_before=today) if collecting else []
    found: dict[int, ReminderContent] = {}
    for item in reminders:
        assert item.recipient is not None
        if item.kind is Kind.DIGEST:
            assert planned is not None
            found[item.id] = ReminderContent(
                Kind.DIGEST,
                item.recipient,
                overdue=[
                    (m.ref, str(p), m.collector or "", d, m.head_of_service or "")
                    for m, p, d in planned.overdue
                ],
                uncovered=[(who, ref, str(p)) for who, ref, p in planned.uncovered],
                undelivered=undelivered_by_person(
                    (
                        (u.to, u.surface, u.due_at, u.error)
                        for u in undelivered
                        if not u.key.startswith("digest|")
                    ),
                    facts.zone,
                ),
            )
            continue
        if item.kind is Kind.ESCALATION and item.ref is None:
            figures = [
                (
                    measures[ref],
                    period,
                    due,
                    deadline_words(due, today, calendar),
                    _away(away, measures[ref].collector, today),
                )
                for ref, period, due in escalated[item.id]
                if ref in measures and _owed(facts, ref, period)
            ]
            if figures:
                found[item.id] = ReminderContent(
                    Kind.ESCALATION,
                    item.recipient,
                    on_behalf_of=item.on_behalf_of,
                    escalated=figures,
                    key=item.key,
                )
            continue
        measure = measures.get(item.ref or "")
        if measure is None or item.period is None:
            continue
        deadline = item.deadline or calendar.deadline(item.period, measure.reporting_lag)
        last = recent.get((measure.ref, item.period.label)) or []
        found[item.id] = ReminderContent(
            kind=item.kind,
            recipient=item.recipient,
            ref=measure.ref,
            period=item.period,
            measure=measure,
            deadline=deadline,
            deadline_words=deadline_words(deadline, today, calendar),
            last_value=last[0] if last else None,
            target=target_for(measure.targets, item.period, cumulative=measure.rule.cumulative),
            on_behalf_of=item.on_behalf_of,
            version=item.version,
            pending_submission=facts.latest.get((measure.ref, item.period.label), (0, None))[1]
            if item.kind is Kind.REVIEW
            else None,
            progress=progress.get(item.id),
            key=item.key,
            late_actions=[
                (a.ref, a.text, a.due, a.words)
                for a in late_actions
                if (item.on_behalf_of or item.recipient) in (a.owner, a.collector)
            ]
            if item.kind in COLLECTOR_KINDS
            else [],
            collector_away=_away(away, measure.collector, today)
            if item.kind is Kind.ESCALATION
            else None,
        )
    return found


def _away(
    absences: Mapping[str, list[Absence]], email: str | None, today: date
) -> tuple[date, str | None] | None:
    found = away_today(absences, email, today)
    return (found.ends, found.cover) if found else None


IN = (State.SUBMITTED, State.APPROVED)


def _progress(
    engine: Engine, facts: Facts, items: Sequence[outbox_store.Claimed]
) -> dict[int, tuple[int, int, str]]:
    """For each collector reminder, how many of the collector's figures for the quarter its
    period falls in are in (submitted or approved), of those whose period has ended."""
    if not items:
        return {}
    today = facts.now.astimezone(facts.zone).date()
    with read_session(engine) as session:
        measures = list(load_measures(session).values())
        owed: dict[tuple[str, str], list[tuple[str, str]]] = {}  # (collector, quarter) → figures
        for item in items:
            assert item.period is not None
            collector = item.on_behalf_of or item.recipient or ""
            quarter = Period.containing(PeriodKind.QUARTER, item.period.end)
            if (collector, quarter.label) in owed:
                continue
            figures = []
            for measure in measures:
                if measure.collector != collector:
                    continue
                period = Period.containing(measure.interval.kind, quarter.end)
                while period.end >= quarter.start:
                    if period.end <= quarter.end and period.end < today:
                        figures.append((measure.ref, period.label))
                    period = period.previous()
            owed[(collector, quarter.label)] = figures
        wanted = [f for figures in owed.values() for f in figures]
        states = workflow_store.recorded_states(
            session, {ref for ref, _ in wanted}, {label for _, label in wanted}
        )
    found: dict[int, tuple[int, int, str]] = {}
    for item in items:
        assert item.period is not None
        collector = item.on_behalf_of or item.recipient or ""
        label = Period.containing(PeriodKind.QUARTER, item.period.end).label
        figures = owed.get((collector, label), [])
        if len(figures) > 1:  # "0 of 1" says nothing the reminder does not
            done = sum(1 for f in figures if f in states and State(states[f]) in IN)
            found[item.id] = (done, len(figures), label)
    return found


def preview(
    engine: Engine, council: CouncilInfo, *, at: datetime, zone: ZoneInfo
) -> list[Reminder]:
    """What the day's ticks up to `at` would send, and to whom (nothing is stored or sent).

    Reminders due earlier that day count; those due on earlier days would only go out if the
    bot had been down, so they are left out, as are any already sent or dropped.
    """
    planned = situation_plan(engine, council, at, zone)
    day = at.astimezone(zone).date()
    with read_session(engine) as session:
        done = outbox_store.sent_keys(session, [r.key for r in planned.reminders])
    return [
        r
        for r in planned.reminders
        if r.key not in done and r.due_at.astimezone(zone).date() == day
    ]


# -- the deliverer: sends what a change needs, as soon as it is committed ------------------------


class Deliverer:
    """Delivery threads woken by `wake()` (called once a change has committed its outbox rows),
    and every `poll` seconds anyway (rows written by other processes, retries coming due).

    Each claims `batch` rows at a time, cards first and home pages last (`outbox_store.claim`):
    small batches, so that a click's card does not wait long behind notices and home pages a
    thread has already taken (50 at a time made the last cards of a burst wait seconds).
    """

    def __init__(
        self,
        engine: Engine,
        council: Callable[[], CouncilInfo],
        surfaces: Surfaces,
        *,
        zone: ZoneInfo,
        clock: Callable[[], datetime],
        worker: str,
        threads: int = 2,
        poll: float = 1.0,
        batch: int = 20,
    ) -> None:
        self.engine, self.council, self.surfaces = engine, council, surfaces
        self.zone, self.clock, self.worker = zone, clock, worker
        self.poll, self.batch = poll, batch
        self.pace = HomePace()  # shared by this process's delivery threads
        self._wanted = [threading.Event() for _ in range(threads)]  # one per thread
        self._stop = threading.Event()
        self._busy = 0
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._loop, args=(n,), name=f"pmf-deliver-{n}", daemon=True)
            for n in range(threads)
        ]

    def start(self) -> Deliverer:
        for thread in self._threads:
            thread.start()
        return self

    def wake(self) -> None:
        for wanted in self._wanted:
            wanted.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self.wake()
        for thread in self._threads:
            if thread.is_alive():
                thread.join(timeout)

    def idle(self) -> bool:
        """Nothing urgent is due or being sent by this process (tests, shutting down)."""
        with self._lock:
            if self._busy:
                return False
        with read_session(self.engine) as session:
            return not outbox_store.anything_due(session, now=self.clock(), urgent_only=True)

    def _loop(self, number: int) -> None:
        while not self._stop.is_set():
            wanted = self._wanted[number]
            wanted.wait(self.poll)
            wanted.clear()
            if self._stop.is_set():
                return
            with self._lock:
                self._busy += 1
            try:
                report = drain(
                    self.engine,
                    self.council(),
                    self.surfaces,
                    worker=f"{self.worker}/{number}",
                    zone=self.zone,
                    clock=self.clock,
                    batch=self.batch,
                    urgent_only=True,
                    pace=self.pace,
                )
                if report.sent or report.retried:
                    wanted.set()  # more may have come meanwhile: look again at once
            except Exception:
                log.exception("delivery pass failed; the next one will try again")
            finally:
                with self._lock:
                    self._busy -= 1


__all__ = [
    "MAX_WAITS_PER_REMINDER",
    "Deliverer",
    "DeliveryError",
    "Done",
    "ReminderContent",
    "Surfaces",
    "TickReport",
    "Transport",
    "drain",
    "preview",
    "situation_plan",
    "tick",
]
