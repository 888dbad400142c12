"""Summaries and sign-off: the quarter as managers, the Leadership Team and councillors see it.

Seed 002 §10.3: Heads of Service "verify and sign off Council Plan performance reports on a
quarterly basis"; seed 001 §3.7: the Performance Board "within three weeks of the quarter end".
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot import chain, outbox, services
from bot.chat import summaries as summaries_view
from bot.delivery import DeliveryError, Surfaces, Transport, as_surfaces
from bot.outbox import Ref
from bot.periods import Period, PeriodError, PeriodKind
from bot.published import row_from_snapshot, snapshot
from bot.ragg import Ragg
from bot.status import CouncilInfo, Publication, Scope, StatusReport, StatusRow
from bot.summary import SignOffState, Summary, build_summary, for_priority
from bot.workflow import State
from storage import audit, outbox_store, queries, summary_store, workflow_store
from storage.engine import read_session, write_session
from storage.models import Measure, Person, SignOff
from storage.summary_store import Due

log = logging.getLogger(__name__)


class SignOffRefused(Exception):
    """Sign-off is not possible yet; `outstanding` lists what stops it."""

    def __init__(self, message: str, outstanding: list[StatusRow] | None = None) -> None:
        super().__init__(message)
        self.outstanding = outstanding or []


def quarter_of(text: str | None, today: date) -> Period:
    """A quarter label, or the latest ended quarter when none is given; other periods are
    read as the quarter they end in (a month → its quarter, H1 → Q2, a year → Q4)."""
    if not text or not text.strip():
        return Period.containing(PeriodKind.QUARTER, today).previous()
    period = Period.parse(text)
    return Period.containing(PeriodKind.QUARTER, period.end)


def signoff_states(
    engine: Engine, quarter: Period, *, session: Session | None = None
) -> list[SignOffState]:
    """Every Head of Service in the register, with their sign-off for `quarter` if any (read in
    `session` when given, so a sign-off not yet committed counts)."""
    if session is None:
        with read_session(engine) as own:
            return signoff_states(engine, quarter, session=own)
    heads = session.exec(
        select(Person.email, Person.name, col(Measure.id))
        .join(Measure, col(Measure.head_of_service_id) == col(Person.id))
        .where(col(Measure.active).is_(True))
    ).all()
    signed = {
        email: at
        for email, at in session.exec(
            select(Person.email, SignOff.signed_at)
            .join(SignOff, col(SignOff.person_id) == col(Person.id))
            .where(SignOff.quarter == quarter.label)
        )
    }
    counts: dict[tuple[str, str], int] = {}
    for email, name, _ in heads:
        counts[(email, name)] = counts.get((email, name), 0) + 1
    return [
        SignOffState(email, name, count, signed.get(email))
        for (email, name), count in sorted(counts.items(), key=lambda item: item[0][1])
    ]


def summary(engine: Engine, council: CouncilInfo, quarter: Period, *, today: date) -> Summary:
    """The quarter's summary: a fixed number of queries whatever the register's size. Figures
    changed since the quarter was last published are marked restated."""
    report = services.status(engine, None, quarter, today=today)
    board = council.calendar.performance_board_date(quarter, council.performance_board_weeks)
    signoffs = signoff_states(engine, quarter)
    built = build_summary(
        report, quarter, board, signoffs, exception_statuses=council.exception_reports
    )
    current = chain.state(engine, council, quarter, signoffs=signoffs)
    return replace(built, approval=current.words) if current is not None else built


def record_published(
    session: Session,
    whole: Summary,
    *,
    by: str,
    occasion: str,
    at: datetime,
    key: str | None = None,
) -> bool:
    """Keep the quarter's figures as published (PRODUCT §4): every row of the whole council
    as shown, whoever the post or sign-off was for. With `key`, once (see
    `summary_store.record_published`)."""
    return summary_store.record_published(
        session,
        quarter=whole.quarter.label,
        rows=snapshot(whole.rows),
        by=by,
        occasion=occasion,
        at=at,
        key=key,
    )


def board_key(quarter: str) -> str:
    """The key of a quarter's publication by its scheduled Board-date posts: one, however the
    channels are shared between processes and ticks."""
    return f"board|{quarter}"


def publish(engine: Engine, whole: Summary, *, by: str, occasion: str, now: datetime) -> None:
    """Record `whole` (the summary just posted) as the quarter's published figures."""
    with write_session(engine) as session:
        record_published(session, whole, by=by, occasion=occasion, at=now)
        audit.record(
            session,
            actor=by,
            action="figures.publish",
            entity="summary",
            entity_key=whole.quarter.label,
            at=now,
            after={"occasion": occasion, "measures": len(whole.rows)},
        )


class NotPublished(Exception):
    """A quarter whose figures have not been published yet."""


def as_published(engine: Engine, council: CouncilInfo, quarter: Period) -> Summary:
    """The quarter exactly as last published (`export board --as-published`): the same
    figures, statuses and words, whatever has changed since; sign-offs given by then."""
    with read_session(engine) as session:
        stored = summary_store.latest_published(session, quarter.label)
        if stored is None:
            raise NotPublished(
                f"The {quarter} figures have not been published yet. They are recorded as "
                "published when the summary is posted on the Performance Board date (or by an "
                "admin), or when a Head of Service signs off."
            )
        current = queries.load_measures(session, active_only=False)
        names = queries.names(session, [stored.published_by])
    rows = [row_from_snapshot(data, current.get(data["ref"])) for data in stored.rows]
    published = Publication(
        stored.published_at, names.get(stored.published_by, stored.published_by), stored.occasion
    )
    scope = Scope("council", None, [row.measure for row in rows])
    report = StatusReport(council.name, scope, quarter, rows, published)
    board = council.calendar.performance_board_date(quarter, council.performance_board_weeks)
    signoffs = [
        state
        if state.signed_at is not None and state.signed_at <= stored.published_at
        else replace(state, signed_at=None)
        for state in signoff_states(engine, quarter)
    ]
    return build_summary(
        report, quarter, board, signoffs, exception_statuses=council.exception_reports
    )


def outstanding_for(rows: list[StatusRow]) -> list[StatusRow]:
    """Rows that stop a sign-off: ended periods without an approved figure. An annual measure
    before its outturn is due (Grey, not yet ended) does not."""
    return [
        row
        for row in rows
        if row.state is not State.APPROVED
        and row.state is not State.NOT_DUE
        and not (row.status is Ragg.GREY and row.value is None)
    ]


@dataclass(frozen=True)
class SignedOff:
    quarter: Period
    measures: int
    signed_at: datetime
    not_due: int = 0  # of `measures`, those not reported this quarter (annual, half-yearly)
    projects: int = 0  # of `measures`, the projects (reported by milestones)


def sign_off(
    engine: Engine,
    council: CouncilInfo,
    *,
    email: str,
    quarter_text: str | None,
    now: datetime,
) -> SignedOff:
    """A Head of Service signs off their measures for a quarter once all are approved."""
    today = now.date()
    try:
        quarter = quarter_of(quarter_text, today)
    except PeriodError as error:
        raise SignOffRefused(f"{error}.") from None
    if quarter.end >= today:
        raise SignOffRefused(
            f"{quarter} has not ended yet; it can be signed off after {quarter.end:%a %d %b %Y}."
        )
    report = services.status(engine, None, quarter, today=today)
    mine = [row for row in report.rows if row.measure.head_of_service == email]
    if not mine:
        raise SignOffRefused(
            "Only a Head of Service can sign off, and you are not the Head "
            "of Service for any measure in the register."
        )
    outstanding = outstanding_for(mine)
    projects = sum(1 for row in mine if row.measure.is_project)
    if outstanding:
        kinds = "measures and projects" if projects else "measures"
        raise SignOffRefused(
            f"{len(outstanding)} of your {len(mine)} {kinds} for {quarter} are not approved "
            "yet, so the quarter cannot be signed off.",
            outstanding,
        )
    with write_session(engine) as session:
        person = session.exec(select(Person).where(Person.email == email)).one()
        assert person.id is not None
        existing = session.exec(
            select(SignOff).where(SignOff.person_id == person.id, SignOff.quarter == quarter.label)
        ).first()
        if existing is not None:
            signed = existing.signed_at.astimezone(now.tzinfo) if now.tzinfo else existing.signed_at
            raise SignOffRefused(
                f"You already signed off {quarter} at {signed:%H:%M on %a %d %b %Y}."
            )
        session.add(
            SignOff(person_id=person.id, quarter=quarter.label, measures=len(mine), signed_at=now)
        )
        # Signed-off figures are published figures (PRODUCT §4): keep the whole quarter's.
        whole = build_summary(
            report,
            quarter,
            council.calendar.performance_board_date(quarter, council.performance_board_weeks),
            exception_statuses=council.exception_reports,
        )
        record_published(session, whole, by=email, occasion=f"signed off by {person.name}", at=now)
        audit.record(
            session,
            actor=email,
            action="quarter.signoff",
            entity="signoff",
            entity_key=quarter.label,
            at=now,
            after={"measures": [row.measure.ref for row in mine]},
        )
        try:
            session.flush()
        except IntegrityError:
            raise SignOffRefused(f"You already signed off {quarter}.") from None
        # The last Head of Service's sign-off sends the report up the chain.
        following = chain.after_signoff(engine, council, session, quarter, now)
        outbox_store.enqueue(session, following, now)
    if following:
        outbox.committed(engine)
    return SignedOff(
        quarter, len(mine), now, sum(1 for r in mine if r.state is State.NOT_DUE), projects
    )


# -- the schedule (PRODUCT §7: draft to the admins, then the channels, once) ------------------

DRAFT_DAYS_BEFORE = 3


def due_summaries(council: CouncilInfo, admins: list[str], now: datetime) -> list[Due]:
    """A draft to each admin 3 working days before the Performance Board date, and the summary
    to the configured channels (overall and per priority) on the date, at the reminder hour."""
    zone = now.tzinfo
    today = now.date()
    calendar = council.calendar
    quarter = Period.containing(PeriodKind.QUARTER, today).previous()
    board = calendar.performance_board_date(quarter, council.performance_board_weeks)
    draft_day = calendar.add_working_days(board, -DRAFT_DAYS_BEFORE)
    at = council.reminders.at
    found: list[Due] = []
    if draft_day <= today < board:
        moment = datetime.combine(draft_day, at, tzinfo=zone)
        found += [
            Due(f"draft|{quarter}|{admin}", "draft", quarter.label, admin, None, moment)
            for admin in admins
        ]
    if board <= today <= calendar.add_working_days(board, 2):
        moment = datetime.combine(board, at, tzinfo=zone)
        channels = council.channels or {}
        if channels.get("all"):
            found.append(
                Due(
                    f"post|{quarter}|{channels['all']}|ALL",
                    "post",
                    quarter.label,
                    str(channels["all"]),
                    None,
                    moment,
                )
            )
        for code, channel in (channels.get("priorities") or {}).items():
            found.append(
                Due(
                    f"post|{quarter}|{channel}|{code}",
                    "post",
                    quarter.label,
                    str(channel),
                    code,
                    moment,
                )
            )
    return [due for due in found if due.due_at <= now]


@dataclass(frozen=True)
class Posted:
    """Where a summary went: its first message and the replies in its thread."""

    ref: Ref
    thread: list[str]


def post_summary(
    transport: Transport,
    summary: Summary,
    *,
    key: str,
    channel: str | None = None,
    email: str | None = None,
    look_first: bool = False,
    with_chart: bool = True,
) -> Posted:
    """Post a summary to a channel (or privately to an admin, `email`, as a draft): the counts
    first, tagged with `key`; the exception reports and unapproved list in its thread; and the
    chart. With `look_first` (after a crash, or a send whose outcome was unclear) a message
    already there is found by its key and not posted again. Raises DeliveryError if the first
    message cannot be posted; a refused reply or chart is logged, never a reason to post the
    summary again."""
    from bot.chart import ragg_chart

    messages = summaries_view.summary_messages(summary)
    first: Ref | None = None
    if email is not None:
        if not (look_first and transport.find(email, f"{key}|note")):
            transport.post(email, summaries_view.draft_note(summary), f"{key}|note")
        first = transport.find(email, key) if look_first else None
        first = first or transport.post(email, messages[0], key)
    else:
        assert channel is not None
        first = transport.find_in(channel, key) if look_first else None
        first = first or transport.post_to_channel(channel, messages[0], key)
    thread: list[str] = []
    found_reply = False  # a reply already there: the chart (uploaded after them) may be too
    for number, message in enumerate(messages[1:], 1):
        reply_key = f"{key}|{number}"
        try:
            found = transport.find_in(first.channel, reply_key, first.ts) if look_first else None
            found_reply = found_reply or found is not None
            thread.append((found or transport.reply(first, message, reply_key)).ts)
        except Exception as error:  # the summary is posted: never post it again for a reply
            log.warning("could not post %r in the thread: %s", message.summary, error)
    if with_chart and summary.rows and not found_reply:
        try:
            transport.upload_chart(
                first,
                ragg_chart(summary),
                name=f"ragg-{summary.quarter.label.replace(' ', '-')}.png",
                title=summaries_view.chart_title(summary),
                alt="Bar charts per priority of how many measures are Red, Amber, Green and "
                "Grey, with the number that have no data",
            )
        except Exception as error:
            log.warning("could not upload the summary chart: %s", error)
    return Posted(first, thread)


def post_to_channel(transport: Transport, summary: Summary, *, key: str, channel: str) -> Posted:
    """An admin's summary posted to a channel now. When the first message's send fails with
    an unclear outcome (a timeout, a dropped connection, a 5xx: any error that may have
    delivered it), it is looked for by its key: found, the post is completed and returned, so
    it is recorded and later approvals correct it; not found (or the platform cannot search,
    as in Teams), the error stands and nothing is posted again."""
    try:
        return post_summary(transport, summary, key=key, channel=channel)
    except DeliveryError as error:
        if not error.uncertain:
            raise
        try:
            arrived = transport.find_in(channel, key)
        except Exception as lookup:
            log.warning("could not check whether summary %s arrived: %s", key, lookup)
            arrived = None
        if arrived is None:
            raise
        log.warning("summary %s arrived although its send failed (%s); completing it", key, error)
        return post_summary(transport, summary, key=key, channel=channel, look_first=True)


def summary_tick(
    engine: Engine,
    council: CouncilInfo,
    surfaces: Surfaces | Transport,
    *,
    now: datetime,
    retry_in: timedelta = timedelta(minutes=5),
) -> int:
    """Enqueue and deliver the due drafts and posts, each once (a post recovered from a crash
    is looked up by its key before it is posted); returns how many went out."""
    chosen = as_surfaces(surfaces)
    with read_session(engine) as session:
        admins = sorted(workflow_store.admins(session))
    due = due_summaries(council, admins, now)
    if not due:
        return 0
    with write_session(engine) as session:
        summary_store.enqueue(session, due)
    with write_session(engine) as session:
        claimed = summary_store.claim(session, now=now)
    built: dict[str, Summary] = {}
    published: set[str] = set()
    sent = 0
    for item in claimed:
        quarter = Period.parse(item.quarter)
        whole = built.get(item.quarter) or summary(engine, council, quarter, today=now.date())
        built[item.quarter] = whole
        shown = for_priority(whole, item.scope) if item.scope else whole
        look = item.recovered or item.uncertain
        with read_session(engine) as session:
            if not summary_store.still_mine(session, item):
                log.info("summary %s taken over by another process; left to it", item.key)
                continue
        try:
            if item.kind == "draft":
                transport = chosen.for_person(item.target)
                posted = post_summary(
                    transport, shown, key=item.key, email=item.target, look_first=look
                )
            else:
                transport = chosen.for_channel(item.target)
                posted = post_summary(
                    transport, shown, key=item.key, channel=item.target, look_first=look
                )
        except Exception as error:  # a transport failure: keep it queued and retry later
            log.warning("summary %s not delivered: %s", item.key, error)
            with write_session(engine) as session:
                summary_store.mark_retry(
                    session, item.id, error=str(error), at=now + retry_in, attempt=item.attempt
                )
            continue
        with write_session(engine) as session:
            if not summary_store.mark_sent(
                session,
                item.id,
                channel=posted.ref.channel,
                ts=posted.ref.ts,
                thread=posted.thread,
                now=now,
                surface=posted.ref.surface,
                attempt=item.attempt,
            ):
                # Taken over while it was being posted: the other process looks for it by its
                # key before posting, and records it, the audit and the publication.
                log.warning("summary %s taken over while being posted; left to it", item.key)
                continue
            audit.record(
                session,
                actor="pmf-bot",
                action=f"summary.{item.kind}",
                entity="summary",
                entity_key=item.key,
                at=now,
                after={"channel": posted.ref.channel, "ts": posted.ref.ts},
            )
            if item.kind == "post" and item.quarter not in published:
                # Posted on the Board date: these are the quarter's published figures, recorded
                # with the first channel's post (in its transaction, so a crash loses neither)
                # and never again for the quarter's other channels, whichever process or later
                # tick posts them.
                record_published(
                    session,
                    whole,
                    by="pmf-bot",
                    occasion=f"posted to {item.target} on the Performance Board date",
                    at=now,
                    key=board_key(item.quarter),
                )
                published.add(item.quarter)
        sent += 1
    return sent


def post_now(
    engine: Engine,
    transport: Transport,
    summary: Summary,
    *,
    channel: str,
    shown: str,
    by: str,
    now: datetime,
) -> Posted:
    """An admin's `summary QUARTER CHANNEL` in chat (any surface): post it now, remember the
    post (so late approvals correct it in its thread), audit it and keep the quarter's figures
    as published. Raises DeliveryError when the channel refuses the post; nothing is recorded
    then."""
    quarter = summary.quarter
    key = f"manual|{quarter}|{channel}|{uuid.uuid4().hex[:12]}"
    posted = post_to_channel(transport, summary, key=key, channel=channel)
    with write_session(engine) as session:
        summary_store.record_manual_post(
            session,
            quarter=quarter.label,
            target=channel,
            channel=posted.ref.channel,
            ts=posted.ref.ts,
            thread=posted.thread,
            now=now,
            by=by,
        )
        audit.record(
            session,
            actor=by,
            action="summary.post",
            entity="summary",
            entity_key=f"{quarter} {channel}",
            at=now,
            after={"channel": posted.ref.channel, "ts": posted.ref.ts},
        )
        record_published(session, summary, by=by, occasion=f"posted to {shown}", at=now)
    return posted
