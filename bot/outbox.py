"""What a change needs sent, written to the outbox in the change's own transaction (issue 11).

A click is committed before it is acknowledged, together with rows saying what must follow:
the review cards, every copy of a card to rewrite, the notices to the collector, the home pages
to refresh. The delivery workers send each row once, with the retries and `Retry-After`
handling reminders have; a stop at any moment loses nothing and sends nothing twice.

Rows that may be wanted again before they are sent (a card to rewrite, a home page) are
*coalesced*: one row per key, re-armed with a new generation, so ten decisions in a second
refresh a home page once or twice, never ten times, and never show an older state last.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from bot.periods import Period
from bot.reminders import Kind

_listeners: dict[int, list[Callable[[], None]]] = {}


def listen(engine: object, callback: Callable[[], None]) -> None:
    """Call `callback` whenever a change on `engine` has committed outbox rows (the
    composition root wakes its deliverer with this)."""
    _listeners.setdefault(id(engine), []).append(callback)


def forget(engine: object) -> None:
    _listeners.pop(id(engine), None)


def committed(engine: object) -> None:
    """A change has committed outbox rows: wake whoever delivers them."""
    for callback in list(_listeners.get(id(engine), ())):
        callback()


CARD_KEPT = timedelta(days=60)  # a review card nobody could receive for two months is dropped

# Notices (the payload's "notice")
DECIDED = "decided"  # approved or rejected: to the submitter and the collector
REOPENED = "reopened"  # to the collector and the submitter, with the reason
SUBMITTED = "submitted"  # thanks, to the person who submitted
IDENTITY_REFUSED = "identity_refused"  # to the admins: an account claimed a bound person


@dataclass(frozen=True)
class Ref:
    """Where a message is: the surface (`slack`, `teams`), its conversation and message id."""

    surface: str
    channel: str
    ts: str


@dataclass(frozen=True)
class Item:
    """One outbox row a change asks for."""

    kind: Kind
    key: str
    recipient: str | None  # an e-mail; None when the row updates messages already sent
    due_at: datetime
    ref: str | None = None
    period: Period | None = None
    version: int | None = None
    payload: Mapping[str, Any] | None = None
    expires_at: datetime | None = None
    deadline: date | None = None
    urgent: bool = True  # someone is waiting: the delivery workers take it at once
    coalesce: bool = False  # one row per key, re-armed when wanted again

    @property
    def working_days_before(self) -> None:
        return None

    @property
    def on_behalf_of(self) -> None:
        return None


def review_card(
    *,
    submission: int,
    ref: str,
    period: Period,
    version: int,
    to: str,
    deadline: date,
    now: datetime,
) -> Item:
    """The card for a new version, to one decider (the same key a retried card had)."""
    return Item(
        Kind.CARD,
        f"card-v{version}|{ref}|{period}|{to}",
        to,
        now,
        ref=ref,
        period=period,
        version=version,
        payload={"submission": submission},
        expires_at=now + CARD_KEPT,
        deadline=deadline,
    )


def card_refresh(
    *, submission: int, ref: str, period: Period, now: datetime, note: str | None = None
) -> Item:
    """Rewrite every copy of a submission's card as the figure now stands."""
    payload: dict[str, Any] = {"submission": submission}
    if note:
        payload["note"] = note
    return Item(
        Kind.CARD_REFRESH,
        f"card_refresh|{submission}",
        None,
        now,
        ref=ref,
        period=period,
        payload=payload,
        coalesce=True,
    )


def notice(
    *,
    notice: str,
    submission: int,
    event: str,
    to: str,
    ref: str,
    period: Period,
    now: datetime,
    **extra: Any,
) -> Item:
    """A one-off message about a submission; `event` makes the key unique per occasion."""
    return Item(
        Kind.NOTICE,
        f"notice|{notice}|{event}|{to}",
        to,
        now,
        ref=ref,
        period=period,
        payload={"notice": notice, "submission": submission, **extra},
    )


def homes(emails: Iterable[str | None], now: datetime) -> list[Item]:
    """Refresh these people's home pages (once each, however often asked)."""
    return [
        Item(Kind.HOME, f"home|{email}", email, now, coalesce=True)
        for email in dict.fromkeys(e for e in emails if e)
    ]


def close_reminders(*, ref: str, period: Period, version: int, by: str, now: datetime) -> Item:
    """A figure was submitted: its collector reminders say so."""
    return Item(
        Kind.CLOSE,
        f"close|{ref}|{period}|v{version}",
        None,
        now,
        ref=ref,
        period=period,
        version=version,
        payload={"by": by},
    )


def correction(*, ref: str, period: Period, review: int, by: str, now: datetime) -> Item:
    """A figure approved after its quarter's summary was posted: restate the posts."""
    return Item(
        Kind.CORRECTION,
        f"correction|{ref}|{period}|{review}",
        None,
        now,
        ref=ref,
        period=period,
        payload={"by": by},
    )


def identity_refused(
    *,
    surface: str,
    user_id: str,
    claimed: str,
    profile_name: str | None,
    to: str,
    now: datetime,
) -> Item:
    """Tell an admin that an account claiming `claimed`'s e-mail was refused (once per
    account and admin, however often it tries)."""
    return Item(
        Kind.NOTICE,
        f"notice|{IDENTITY_REFUSED}|{surface}:{user_id}|{claimed}|{to}",
        to,
        now,
        payload={
            "notice": IDENTITY_REFUSED,
            "surface": surface,
            "user_id": user_id,
            "claimed": claimed,
            "profile_name": profile_name,
        },
    )
