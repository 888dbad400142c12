"""The clock that drives due work (PRODUCT §6, §7): APScheduler only ticks.

Everything a tick does is stored as rows (the outbox, the summary posts), so a tick missed
while the bot was down is simply caught up by the next one, and several processes ticking at
once on one PostgreSQL database deliver each message once. What a click needs sent does not
wait for a tick: the deliverer (`bot.delivery.Deliverer`) takes it as soon as it is committed.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine, delete
from sqlmodel import col

from bot import actions, chain, services
from bot.delivery import Surfaces, TickReport, tick
from bot.summaries import summary_tick
from storage.engine import write_session
from storage.models import InboundEvent

log = logging.getLogger(__name__)

TICK_SECONDS = 60
EVENT_MEMORY = timedelta(days=2)  # Slack retries within minutes; ids older than this can go


def forget_old_events(engine: Engine, before: datetime) -> None:
    with write_session(engine) as session:
        session.execute(delete(InboundEvent).where(col(InboundEvent.received_at) < before))


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def run_tick(
    engine: Engine,
    surfaces: Surfaces,
    zone: ZoneInfo,
    clock: Callable[[], datetime],
) -> TickReport | None:
    """One tick; errors are logged, never raised into the scheduler (the next tick retries)."""
    try:
        council = services.council_info(engine)
        chain.tick(engine, council, clock())  # the agenda-deadline reminders, into the outbox
        actions.tick(engine, council, clock())  # overdue actions, once each
        report = tick(
            engine, council, surfaces, now=clock(), zone=zone, worker=worker_name(), clock=clock
        )
        summary_tick(engine, council, surfaces, now=clock())
        forget_old_events(engine, clock() - EVENT_MEMORY)
    except Exception:
        log.exception("scheduled tick failed; the next tick will try again")
        return None
    if report.sent or report.dropped or report.retried or report.recovered:
        log.info(
            "reminders: %s sent, %s dropped, %s to retry, %s recovered",
            report.sent,
            report.dropped,
            report.retried,
            report.recovered,
        )
    return report


def start(
    engine: Engine,
    surfaces: Surfaces,
    zone: ZoneInfo,
    clock: Callable[[], datetime],
) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone=zone)
    scheduler.add_job(
        run_tick,
        "interval",
        seconds=TICK_SECONDS,
        args=[engine, surfaces, zone, clock],
        id="due-work",
        max_instances=1,
        coalesce=True,
        next_run_time=datetime.now(zone),
    )
    scheduler.start()
    return scheduler
