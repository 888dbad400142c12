"""Who may submit and who may decide (PRODUCT §5, seed 002 §10.5–10.6).

Pure rules over plain facts; every chat action is checked here on the server, whatever the
button that asked.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
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
            f"{measure.collector_name or 'its data collector'} is away. They are not recorded "
            "as away today.",
        )
    return Verdict(
        False,
        # People by name, never by e-mail.
        f"Only {measure.collector_name or 'the data collector'}, the data collector for "
        f"{measure.ref}, or their cover while they are away, can submit its figures."
        if measure.collector_name
        else f"Only the data collector for {measure.ref}, or their cover while they are "
        "away, can submit its figures.",
    )


def conflict(
    email: str,
    measure: MeasureInfo,
    submitted_by: str | None,
    *,
    absences: Mapping[str, list[Absence]],
    today: date,
) -> str | None:
    """Why `email` may never decide on this figure, whatever else they are: they submitted
    it, they collect the measure, or they cover its collection (segregation of duties, seed
    002 §10.5: the reviewer "must be a different person from the collector"). None if not."""
    if email == submitted_by:
        return "You submitted this figure, so someone else must review it (segregation of duties)."
    if email == measure.collector:
        return (
            f"You collect the figures for {measure.ref}, so someone else must review them "
            "(segregation of duties), even when you are named as cover."
        )
    if email == measure.cover or email == active_cover_for_collector(measure, absences, today):
        return (
            f"You cover the collection of {measure.ref}'s figures, so someone else must review "
            "them (segregation of duties), even when you are named as cover."
        )
    return None


def reviewers_now(
    measure: MeasureInfo,
    submitted_by: str | None,
    *,
    absences: Mapping[str, list[Absence]],
    today: date,
) -> tuple[str, ...]:
    """Who reviews a version now, first the one its review card and reminders go to (PRODUCT
    §5–6). The same rule on every surface, for cards, reminders and home pages:

    - the reviewer; while they are away, the cover named for that leave;
    - the Head of Service when neither can (no cover, or the one who would review submitted,
      collects or covers the figure);
    - nobody may review a figure they submitted, collect or cover (`conflict`); when nobody
      else is left, the away reviewer keeps it, to see on their return.
    """

    def free(email: str | None) -> bool:
        return (
            bool(email)
            and conflict(str(email), measure, submitted_by, absences=absences, today=today) is None
        )

    found: list[str] = []
    reviewer = measure.reviewer
    absence = away_today(absences, reviewer, today)
    if absence is None:
        if reviewer and free(reviewer):
            found.append(reviewer)
    elif absence.cover and free(absence.cover):
        found.append(absence.cover)
    if measure.head_of_service and free(measure.head_of_service):
        found.append(measure.head_of_service)
    if reviewer and free(reviewer):
        found.append(reviewer)  # away: last, for when they are back
    return tuple(dict.fromkeys(found))


def may_decide(
    email: str,
    measure: MeasureInfo,
    submitted_by: str,
    *,
    absences: Mapping[str, list[Absence]],
    today: date,
) -> Verdict:
    """The reviewer, the reviewer's active cover, or the Head of Service — never anyone who
    submitted that version, collects the measure or covers its collection (segregation of
    duties, seed 002 §10.5), whoever named them."""
    reason = conflict(email, measure, submitted_by, absences=absences, today=today)
    if reason is not None:
        return Verdict(False, reason)
    if email == measure.reviewer:
        return Verdict(True)
    if email == measure.head_of_service:
        return Verdict(True)
    if email == active_cover_for_reviewer(measure, absences, today):
        return Verdict(True, as_cover=True)
    reviewer = measure.reviewer_name or "the data reviewer"
    head = measure.head_of_service_name or "the Head of Service"
    if measure.reviewer == measure.head_of_service:
        return Verdict(
            False,
            f"Only {reviewer} (the data reviewer and Head of Service for {measure.ref}), or "
            "their cover while they are away, can approve or reject it.",
        )
    return Verdict(
        False,
        f"Only {reviewer} (the data reviewer for {measure.ref}), their cover while they are "
        f"away, or {head} (Head of Service) can approve or reject it.",
    )


def cover_conflicts(
    away: str, cover: str, measures: Iterable[MeasureInfo]
) -> list[tuple[MeasureInfo, str]]:
    """The measures `away` reviews that `cover` may not review for them, each with why: the
    cover collects the measure or covers its collection (segregation of duties)."""
    found: list[tuple[MeasureInfo, str]] = []
    for measure in measures:
        if measure.reviewer != away:
            continue
        if cover == measure.collector:
            found.append((measure, "collect"))
        elif cover == measure.cover:
            found.append((measure, "cover the collection of"))
    return found


def may_reopen(email: str, measure: MeasureInfo, *, admins: frozenset[str]) -> Verdict:
    """Reviewer, Head of Service or admin (PRODUCT §5)."""
    if email in (measure.reviewer, measure.head_of_service) or email in admins:
        return Verdict(True)
    return Verdict(
        False,
        f"Only the reviewer, the Head of Service or a performance admin can "
        f"reopen an approved figure for {measure.ref}.",
    )
