"""Who may submit and who may decide (PRODUCT §5, seed 002 §10.5–10.6).

Pure rules over plain facts; every chat action is checked here on the server, whatever the
button that asked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from bot.measures import MeasureInfo


@dataclass(frozen=True)
class Absence:
    """A person away from `starts` to `ends` inclusive, covered by `cover` (e-mail) if set."""

    starts: date
    ends: date
    cover: str | None = None

    def covers(self, day: date) -> bool:
        return self.starts <= day <= self.ends


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    reason: str = ""
    on_behalf: bool = False  # an admin acting for the collector (PRODUCT §5)
    as_cover: bool = False


def away_today(
    absences: Mapping[str, list[Absence]], email: str | None, today: date
) -> Absence | None:
    if email is None:
        return None
    return next((a for a in absences.get(email, []) if a.covers(today)), None)


def active_cover_for_collector(
    measure: MeasureInfo, absences: Mapping[str, list[Absence]], today: date
) -> str | None:
    """While the collector is away: the cover named for that leave, else the measure's cover."""
    absence = away_today(absences, measure.collector, today)
    if absence is None:
        return None
    return absence.cover or measure.cover


def active_cover_for_reviewer(
    measure: MeasureInfo, absences: Mapping[str, list[Absence]], today: date
) -> str | None:
    absence = away_today(absences, measure.reviewer, today)
    return absence.cover if absence else None


def may_submit(
    email: str,
    measure: MeasureInfo,
    *,
    admins: frozenset[str],
    absences: Mapping[str, list[Absence]],
    today: date,
) -> Verdict:
    """The collector, their active cover, or an admin (recorded as on behalf of)."""
    if email == measure.collector:
        return Verdict(True)
    if email == active_cover_for_collector(measure, absences, today):
        return Verdict(True, as_cover=True)
    if email in admins:
        return Verdict(True, on_behalf=True)
    if email == measure.cover:
        return Verdict(
            False,
            f"You are the cover for {measure.ref}, and can submit while "
            f"{measure.collector} is away. They are not recorded as away today.",
        )
    return Verdict(
        False,
        f"Only {measure.collector}, the data collector for {measure.ref}, "
        "or their cover while they are away, can submit its figures.",
    )


def may_decide(
    email: str,
    measure: MeasureInfo,
    submitted_by: str,
    *,
    absences: Mapping[str, list[Absence]],
    today: date,
) -> Verdict:
    """The reviewer, the reviewer's active cover, or the Head of Service — never the person
    who submitted that version (segregation of duties, seed 002 §10.5)."""
    if email == submitted_by:
        return Verdict(
            False,
            "You submitted this figure, so someone else must review it (segregation of duties).",
        )
    if email == measure.reviewer:
        return Verdict(True)
    if email == measure.head_of_service:
        return Verdict(True)
    if email == active_cover_for_reviewer(measure, absences, today):
        return Verdict(True, as_cover=True)
    return Verdict(
        False,
        f"Only {measure.reviewer} (the data reviewer for {measure.ref}), "
        f"their cover while they are away, or {measure.head_of_service} (Head of "
        "Service) can approve or reject it.",
    )


def may_reopen(email: str, measure: MeasureInfo, *, admins: frozenset[str]) -> Verdict:
    """Reviewer, Head of Service or admin (PRODUCT §5)."""
    if email in (measure.reviewer, measure.head_of_service) or email in admins:
        return Verdict(True)
    return Verdict(
        False,
        f"Only the reviewer, the Head of Service or a performance admin can "
        f"reopen an approved figure for {measure.ref}.",
    )
