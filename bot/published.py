"""Published figures stay reproducible (PRODUCT §4).

When a quarter's summary is posted (on its Performance Board date, or by an admin) or a Head of
Service signs off, the quarter's figures are recorded as published: every row as it was shown
(value, target, status, committee view, direction, commentary, actions). A paper for that
quarter can then be reproduced exactly as published, however the figures change later; and
later approvals, reopenings and corrections show as "restated since publication", with who,
when and why.

Pure: storage hands in what was recorded and the changes since; nothing here reads the clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from bot.measures import MeasureInfo
from bot.periods import Interval, Period
from bot.ragg import Committee, Direction, Polarity, Ragg, Rule, Target
from bot.register import Format
from bot.status import Restatement, StatusRow
from bot.workflow import State

# The audit actions that change a figure once it is published.
RESTATING = ("submission.approve", "submission.reopen", "value.import")


def _number(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _decimal(text: Any) -> Decimal | None:
    return None if text is None else Decimal(str(text))


def snapshot_row(row: StatusRow) -> dict[str, Any]:
    """One row as published, exactly: decimals as strings, and the text as it was shown."""
    measure = row.measure
    target = row.target
    return {
        "ref": measure.ref,
        "title": measure.title,
        "priority": measure.priority,
        "priority_name": measure.priority_name,
        "aim": measure.aim,
        "aim_title": measure.aim_title,
        "committee_name": measure.committee,
        "interval": measure.interval.value,
        "format": measure.format.value,
        "decimals": measure.decimals,
        "units": measure.units,
        "units_one": measure.units_one,
        "polarity": measure.polarity.value,
        "cumulative": measure.rule.cumulative,
        "monitoring_only": measure.rule.monitoring_only,
        "period": row.period.label,
        "deadline": row.deadline.isoformat(),
        "value": _number(row.value),
        "target": None if target is None else [_number(target.low), _number(target.high)],
        "status": row.status.value,
        "committee": row.committee.value,
        "state": row.state.value,
        "direction": row.direction.value if row.direction else None,
        "direction_year": row.direction_year.value if row.direction_year else None,
        "commentary": row.commentary,
        "actions": row.actions,
        "reason": row.reason,
        "shown_value": row.shown_value,
        "shown_target": row.shown_target,
    }


def snapshot(rows: Iterable[StatusRow]) -> list[dict[str, Any]]:
    return [snapshot_row(row) for row in rows]


def row_from_snapshot(data: Mapping[str, Any], current: MeasureInfo | None) -> StatusRow:
    """A published row back as a status row: its figures and words as published. The
    measure's other facts (definition, baseline, owner) come from the register as it is now,
    when the measure is still in it."""
    interval = Interval(data["interval"])
    shown = {
        "ref": data["ref"],
        "title": data["title"],
        "priority": data["priority"],
        "priority_name": data["priority_name"],
        "aim": data["aim"],
        "aim_title": data["aim_title"],
        "committee": data.get("committee_name"),
        "interval": interval,
        "format": Format(data["format"]),
        "decimals": int(data["decimals"]),
        "units": data.get("units"),
        "units_one": data.get("units_one"),
        "rule": Rule(
            polarity=Polarity(data["polarity"]),
            interval=interval,
            cumulative=bool(data["cumulative"]),
            monitoring_only=bool(data["monitoring_only"]),
        )
        if current is None
        else replace(
            current.rule,
            polarity=Polarity(data["polarity"]),
            interval=interval,
            cumulative=bool(data["cumulative"]),
            monitoring_only=bool(data["monitoring_only"]),
        ),
    }
    if current is not None:
        measure = replace(current, **shown)
    else:
        measure = MeasureInfo(reporting_lag=0, **shown)
    target = data.get("target")
    return StatusRow(
        measure=measure,
        period=Period.parse(data["period"]),
        deadline=date.fromisoformat(data["deadline"]),
        value=_decimal(data.get("value")),
        target=None if target is None else Target(Decimal(str(target[0])), _decimal(target[1])),
        status=Ragg(data["status"]),
        committee=Committee(data["committee"]),
        state=State(data["state"]),
        direction=Direction(data["direction"]) if data.get("direction") else None,
        direction_year=Direction(data["direction_year"]) if data.get("direction_year") else None,
        commentary=data.get("commentary"),
        actions=data.get("actions"),
        reason=data.get("reason"),
    )


@dataclass(frozen=True)
class Change:
    """An audit event that changed a figure after publication."""

    key: str  # "SE1.1 2025-26 Q1"
    action: str
    by: str  # a name
    at: datetime
    reason: str | None = None


def restatements(
    published_at: datetime,
    published: Iterable[Mapping[str, Any]],
    changes: Iterable[Change],
) -> dict[tuple[str, Period], Restatement]:
    """For each (ref, period) changed since publication: what was published, and the latest
    change — who, when and why (a reopening's reason; a late approval; an import)."""
    by_key = {f"{row['ref']} {row['period']}": row for row in published}
    grouped: dict[str, list[Change]] = {}
    for change in sorted(changes, key=lambda c: c.at):
        grouped.setdefault(change.key, []).append(change)
    found: dict[tuple[str, Period], Restatement] = {}
    for key, events in grouped.items():
        ref, _, label = key.partition(" ")
        last = events[-1]
        reasons = [e.reason for e in events if e.action == "submission.reopen" and e.reason]
        if last.action == "submission.reopen":
            why = f"reopened: {last.reason}" if last.reason else "reopened"
        elif last.action == "value.import":
            why = "corrected by an import"
        elif reasons:
            why = f"corrected after reopening ({reasons[-1]}), approved"
        else:
            why = "approved after publication"
        row = by_key.get(key)
        found[(ref, Period.parse(label))] = Restatement(
            published_at=published_at,
            published_value=_decimal(row.get("value")) if row else None,
            published_status=Ragg(row["status"]) if row else Ragg.NONE,
            by=last.by,
            at=last.at,
            why=why,
        )
    return found
