"""Writing a validated register and actuals to the database, with their audit events.

Both run inside the caller's write session, so an import is all or nothing; a dry run is the
same work rolled back, so what it reports is exactly what the real import would do.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, insert, text, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from bot.actuals import Actual
from bot.register import MeasureSpec, RegisterSpec
from bot.workflow import State
from storage import audit, bulk
from storage.engine import is_postgres
from storage.models import (
    Aim,
    AuditEvent,
    Council,
    Measure,
    PeriodValue,
    Person,
    Priority,
    Review,
    Submission,
    Target,
)


@dataclass
class ImportReport:
    """What an import did (or, on a dry run, would do)."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    retired: list[str] = field(default_factory=list)
    people_added: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _measure_fields(spec: MeasureSpec) -> dict[str, Any]:
    return {
        "title": spec.title,
        "definition": spec.definition,
        "interval": spec.interval.value,
        "reporting_lag": spec.reporting_lag,
        "format": spec.format.value,
        "decimals": spec.decimals,
        "polarity": spec.polarity.value,
        "cumulative": spec.cumulative,
        "monitoring_only": spec.monitoring_only,
        "tolerance": spec.tolerance,
        "tolerance_abs": spec.tolerance_abs,
        "committee": spec.committee,
        "confidence": spec.confidence.value if spec.confidence else None,
        "data_source": spec.data_source,
        "baseline_period": spec.baseline.period if spec.baseline else None,
        "baseline_value": spec.baseline.value if spec.baseline else None,
        "units": spec.units_other,
        "units_one": spec.units_one,
        "benchmarking": spec.benchmarking,
        "purpose": spec.purpose,
        "worked_example": spec.worked_example,
        "quality_assurance": spec.quality_assurance,
        "kind": spec.kind,
        "milestones": [
            {"title": milestone.title, "due": milestone.due.isoformat()}
            for milestone in spec.milestones
        ]
        if spec.kind == "project"
        else None,
    }


def _name_from_email(email: str) -> str:
    local = email.split("@", 1)[0]
    return " ".join(part.capitalize() for part in local.replace("_", ".").split(".") if part)


def active_refs(session: Session, *, projects: bool = True) -> set[str]:
    """The refs of every measure still reported (not retired); without projects when a file
    that cannot hold them (a CSV or XLSX register) is compared with the database."""
    query = select(Measure.ref).where(col(Measure.active))
    if not projects:
        query = query.where(Measure.kind != "project")
    return set(session.exec(query))


def apply_register(
    *,
    session: Session,
    spec: RegisterSpec,
    actor: str,
    at: datetime,
    source: str,
    digest: str | None = None,
) -> ImportReport:
    """Create or update everything in `spec`, keyed by e-mail, code and ref (PRODUCT §3).

    Measures that the database has but the file no longer lists are retired (kept, with their
    history, but no longer reported); importing them again brings them back. The caller decides
    whether retiring is wanted (`import register --retire-missing`).
    """
    report = ImportReport()

    events: list[dict[str, Any]] = []  # appended to the audit trail in one go, at the end

    def log(action: str, entity: str, key: str, before: Any, after: Any) -> None:
        events.append(
            {
                "action": action,
                "entity": entity,
                "entity_key": key,
                "before": before,
                "after": after,
            }
        )

    if spec.council is not None:
        _apply_council(session, spec, at, log)
    elif session.exec(select(Council)).first() is None:
        session.add(Council(name="Council", updated_at=at))

    people = {person.email: person for person in session.exec(select(Person))}
    wanted = {person.email: person for person in spec.people}
    new_people: list[Person] = []  # inserted in one statement, after the loop
    for email in sorted(spec.emails()):
        person_spec = wanted.get(email)
        name = person_spec.name if person_spec else None
        manager = person_spec.manager if person_spec else None
        is_admin = email in spec.admins if spec.council is not None else None
        person = people.get(email)
        if person is None:
            person = Person(
                email=email,
                name=name or _name_from_email(email),
                manager_email=manager,
                is_admin=bool(is_admin),
            )
            new_people.append(person)
            people[email] = person
            report.people_added.append(email)
            if person_spec is None:
                report.warnings.append(f"{email} is not in people: added as '{person.name}'")
            log("person.create", "person", email, None, _person_view(person))
            continue
        before = _person_view(person)
        if name is not None:
            person.name = name
        if person_spec is not None:
            person.manager_email = manager
        if is_admin is not None:
            person.is_admin = is_admin
        if _person_view(person) != before:
            session.add(person)
            log("person.update", "person", email, before, _person_view(person))
    session.flush()
    if new_people:
        for person_id, person in zip(
            _allocate_ids(session, "person", len(new_people)), new_people, strict=True
        ):
            person.id = person_id
        session.execute(
            insert(_table(Person)),
            [person.model_dump() for person in new_people],
        )

    priorities = {row.code: row for row in session.exec(select(Priority))}
    aims = {row.code: row for row in session.exec(select(Aim))}
    # Plain rows, not ORM objects: the register's measures and targets are compared and
    # written in bulk, with statements that do not grow with the number of measures.
    measures: dict[str, Any] = {
        row.ref: row
        for row in session.execute(select(Measure.__table__))  # type: ignore[attr-defined]
    }
    targets: dict[int, dict[str, Any]] = {}
    for row in session.execute(select(Target.__table__)):  # type: ignore[attr-defined]
        targets.setdefault(row.measure_id, {})[row.period] = row
    writes = _Writes()
    listed: set[str] = set()
    position = 0
    for p_position, priority_spec in enumerate(spec.priorities):
        priority = priorities.get(priority_spec.code)
        if priority is None:
            priority = Priority(
                code=priority_spec.code, name=priority_spec.name, position=p_position
            )
            session.add(priority)
            priorities[priority.code] = priority
            log("priority.create", "priority", priority.code, None, {"name": priority.name})
        elif (priority.name, priority.position) != (priority_spec.name, p_position):
            log(
                "priority.update",
                "priority",
                priority.code,
                {"name": priority.name},
                {"name": priority_spec.name},
            )
            priority.name, priority.position = priority_spec.name, p_position
            session.add(priority)
        session.flush()
        assert priority.id is not None
        for a_position, aim_spec in enumerate(priority_spec.aims):
            aim = aims.get(aim_spec.code)
            view = {"title": aim_spec.title, "priority": priority.code}
            if aim is None:
                aim = Aim(
                    code=aim_spec.code,
                    title=aim_spec.title,
                    priority_id=priority.id,
                    position=a_position,
                )
                session.add(aim)
                aims[aim.code] = aim
                log("aim.create", "aim", aim.code, None, view)
            elif (aim.title, aim.priority_id, aim.position) != (
                aim_spec.title,
                priority.id,
                a_position,
            ):
                old_priority = next(
                    (code for code, row in priorities.items() if row.id == aim.priority_id), None
                )
                log(
                    "aim.update",
                    "aim",
                    aim.code,
                    {"title": aim.title, "priority": old_priority},
                    view,
                )
                aim.title, aim.priority_id, aim.position = aim_spec.title, priority.id, a_position
                session.add(aim)
            session.flush()
            for measure_spec in [
                *aim_spec.measures,
                *(project.as_measure() for project in aim_spec.projects),
            ]:
                position += 1
                listed.add(measure_spec.ref)
                _apply_measure(
                    measure_spec, aim, position, people, measures, targets, writes, report, log
                )
    for ref, measure in sorted(measures.items()):
        if spec.council is None and measure.kind == "project":
            continue  # a CSV or XLSX register holds measures only: its projects stay
        if ref not in listed and measure.active:
            writes.retired.append(measure.id)
            report.retired.append(ref)
            log("measure.retire", "measure", ref, {"active": True}, {"active": False})
    writes.run(session)
    version = None
    council = session.exec(select(Council)).first()
    if council is not None:
        if events:  # readers cache the register until this changes
            council.register_version += 1
            session.add(council)
        version = council.register_version
    _log_import(session, actor, at, source, report, digest, version, events)
    return report


def _log_import(
    session: Session,
    actor: str,
    at: datetime,
    source: str,
    report: ImportReport,
    digest: str | None,
    version: int | None,
    events: list[dict[str, Any]],
) -> None:
    after: dict[str, Any] = {
        "created": len(report.created),
        "updated": len(report.updated),
        "unchanged": report.unchanged,
        "retired": len(report.retired),
        "people_added": len(report.people_added),
    }
    if digest is not None:  # lets the same file, imported again, be known without reading it
        after |= {"file_sha256": digest, "register_version": version}
    events.append(
        {
            "action": "register.import",
            "entity": "register",
            "entity_key": source,
            "before": None,
            "after": after,
        }
    )
    audit.record_many(session, actor=actor, at=at, events=events)


def unchanged_import(session: Session, digest: str) -> int | None:
    """How many measures the register lists, when the newest register import read a file with
    exactly these bytes and nothing in the register has changed since; otherwise None.

    Importing that file again would change nothing, so it need not be read: at 10,000 measures
    reading and validating the file is most of an unchanged re-import's time."""
    after = session.exec(
        select(AuditEvent.after)
        .where(AuditEvent.action == "register.import")
        .order_by(col(AuditEvent.seq).desc())
        .limit(1)
    ).first()
    version = session.exec(select(Council.register_version)).first()
    if (
        not isinstance(after, dict)
        or after.get("file_sha256") != digest
        or version is None
        or after.get("register_version") != version
    ):
        return None
    return int(after["created"]) + int(after["updated"]) + int(after["unchanged"])


def log_unchanged_import(
    session: Session, *, actor: str, at: datetime, source: str, digest: str, measures: int
) -> ImportReport:
    """The audit event of an import that found the file unchanged (see unchanged_import)."""
    report = ImportReport(unchanged=measures)
    version = session.exec(select(Council.register_version)).first()
    _log_import(session, actor, at, source, report, digest, version, [])
    return report


def _apply_council(session: Session, spec: RegisterSpec, at: datetime, log: Any) -> None:
    council = session.exec(select(Council)).first()
    calendar = spec.calendar
    channels = spec.channels.model_dump(mode="json") if spec.channels else {}
    values: dict[str, Any] = {
        "name": spec.council,
        "region": calendar.region.value if calendar else "ENG",
        "performance_board_weeks": calendar.performance_board_weeks if calendar else 3,
        "closure_days": sorted(day.isoformat() for day in calendar.closure_days)
        if calendar
        else [],
        "committee_dates": {
            key: [day.isoformat() for day in days]
            for key, days in (calendar.committee_dates.items() if calendar else [])
        },
        "channels": channels,
        "reminders": calendar.reminders.model_dump(mode="json") if calendar else {},
        "exception_reports": [status.value for status in calendar.exception_reports]
        if calendar
        else None,
        "chain": _chain(spec),
        "project_amber_days": calendar.project_amber_days if calendar else 10,
    }
    if council is None:
        session.add(Council(**values, updated_at=at))
        log("council.create", "council", str(spec.council), None, values)
        return
    before = {key: getattr(council, key) for key in values}
    if before != values:
        for key, value in values.items():
            setattr(council, key, value)
        council.updated_at = at
        session.add(council)
        log("council.update", "council", str(spec.council), before, values)


def _chain(spec: RegisterSpec) -> dict[str, Any] | None:
    """The approval chain after the Heads of Service, as stored on the council; None without
    directorates or a Leadership Team (Heads of Service's sign-off is then the last step)."""
    if not spec.directorates and spec.leadership_team is None:
        return None
    return {
        "directorates": [
            {
                "name": item.name,
                "executive_director": item.executive_director,
                "heads_of_service": list(item.heads_of_service),
            }
            for item in spec.directorates
        ],
        "leadership_team": list(spec.leadership_team.approvers) if spec.leadership_team else [],
        "agenda_deadline": spec.calendar.agenda_deadline if spec.calendar else 10,
    }


def _person_view(person: Person) -> dict[str, Any]:
    return {"name": person.name, "manager": person.manager_email, "admin": person.is_admin}


@dataclass
class _Writes:
    """The measure and target rows an import writes, each kind in one bulk statement."""

    new_measures: list[dict[str, Any]] = field(default_factory=list)
    # (measure id, or the ref of a measure not yet inserted; period; low; high)
    new_targets: list[tuple[int | str, str, Decimal, Decimal | None]] = field(default_factory=list)
    measure_updates: list[dict[str, Any]] = field(default_factory=list)
    target_deletes: list[int] = field(default_factory=list)
    target_updates: list[dict[str, Any]] = field(default_factory=list)
    retired: list[int] = field(default_factory=list)

    def run(self, session: Session) -> None:
        session.flush()  # people, priorities and aims first (their ids are already known)
        ids: dict[str, int] = {}
        if self.new_measures:
            allocated = _allocate_ids(session, "measure", len(self.new_measures))
            for measure_id, values in zip(allocated, self.new_measures, strict=True):
                values["id"] = ids[values["ref"]] = measure_id
            session.execute(insert(_table(Measure)), self.new_measures)
        if self.measure_updates:
            session.execute(update(Measure), self.measure_updates)
        for chunk in _chunks(self.retired, 500):
            session.execute(update(Measure).where(col(Measure.id).in_(chunk)).values(active=False))
        for chunk in _chunks(self.target_deletes, 500):
            session.execute(delete(Target).where(col(Target.id).in_(chunk)))
        if self.target_updates:
            session.execute(update(Target), self.target_updates)
        if self.new_targets:
            session.execute(
                insert(_table(Target)),
                [
                    {
                        "measure_id": ids[owner] if isinstance(owner, str) else owner,
                        "period": period,
                        "low": low,
                        "high": high,
                    }
                    for owner, period, low, high in self.new_targets
                ],
            )


def _table(model: Any) -> Any:
    """The model's table: a Core executemany sends one statement for all rows, where the ORM's
    bulk insert splits rows into batches by which of their fields are empty."""
    return model.__table__


def _apply_measure(
    spec: MeasureSpec,
    aim: Aim,
    position: int,
    people: Mapping[str, Person],
    measures: Mapping[str, Any],
    targets: Mapping[int, Mapping[str, Any]],
    writes: _Writes,
    report: ImportReport,
    log: Any,
) -> None:
    values = _measure_fields(spec)
    values |= {
        "aim_id": aim.id,
        "position": position,
        "active": True,
        "collector_id": people[spec.collector].id,
        "cover_id": people[spec.cover].id if spec.cover else None,
        "reviewer_id": people[spec.reviewer].id,
        "head_of_service_id": people[spec.head_of_service].id,
        "strategic_lead_id": people[spec.strategic_lead].id if spec.strategic_lead else None,
    }
    wanted_targets = {key: _target_pair(value) for key, value in spec.targets.items()}
    measure = measures.get(spec.ref)
    if measure is None:
        writes.new_measures.append({"ref": spec.ref, **values})
        for key, (low, high) in wanted_targets.items():
            writes.new_targets.append((spec.ref, key, low, high))
        report.created.append(spec.ref)
        log(
            "measure.create",
            "measure",
            spec.ref,
            None,
            _measure_view(spec, aim.code, wanted_targets),
        )
        return
    current = targets.get(measure.id, {})
    before_targets = {key: (row.low, row.high) for key, row in current.items()}
    if before_targets == wanted_targets and all(
        getattr(measure, key) == value for key, value in values.items()
    ):
        report.unchanged += 1
        return
    view = _measure_view(spec, aim.code, wanted_targets)
    before = _stored_view(measure, values, before_targets, people, aim.code)
    writes.measure_updates.append({"id": measure.id, **values})
    for key, row in current.items():
        if key not in wanted_targets:
            writes.target_deletes.append(row.id)
    for key, (low, high) in wanted_targets.items():
        stored = current.get(key)
        if stored is None:
            writes.new_targets.append((measure.id, key, low, high))
        elif (stored.low, stored.high) != (low, high):
            writes.target_updates.append({"id": stored.id, "low": low, "high": high})
    report.updated.append(spec.ref)
    after = view
    log(
        "measure.update",
        "measure",
        spec.ref,
        {key: before[key] for key in after if before.get(key) != after[key]},
        {key: after[key] for key in after if before.get(key) != after[key]},
    )


def _target_pair(value: Decimal | list[Decimal]) -> tuple[Decimal, Decimal | None]:
    if isinstance(value, list):
        return value[0], value[1]
    return value, None


def _targets_view(targets: Mapping[str, tuple[Decimal, Decimal | None]]) -> dict[str, Any]:
    return {
        key: [low, high] if high is not None else low
        for key, (low, high) in sorted(targets.items())
    }


def _measure_view(
    spec: MeasureSpec, aim: str, targets: Mapping[str, tuple[Decimal, Decimal | None]]
) -> dict[str, Any]:
    view = audit.jsonable(_measure_fields(spec))
    view |= {
        "aim": aim,
        "collector": spec.collector,
        "cover": spec.cover,
        "reviewer": spec.reviewer,
        "head_of_service": spec.head_of_service,
        "strategic_lead": spec.strategic_lead,
        "targets": audit.jsonable(_targets_view(targets)),
        "active": True,
    }
    return dict(view)


def _stored_view(
    measure: Measure,
    values: Mapping[str, Any],
    targets: Mapping[str, tuple[Decimal, Decimal | None]],
    people: Mapping[str, Person],
    aim: str,
) -> dict[str, Any]:
    by_id = {person.id: email for email, person in people.items()}
    view = {
        key: getattr(measure, key)
        for key in values
        if not key.endswith("_id") and key != "position"
    }
    view = dict(audit.jsonable(view))
    old_aim = measure.aim_id
    view |= {
        "aim": aim if old_aim == values["aim_id"] else f"(aim id {old_aim})",
        "collector": by_id.get(measure.collector_id),
        "cover": by_id.get(measure.cover_id) if measure.cover_id else None,
        "reviewer": by_id.get(measure.reviewer_id),
        "head_of_service": by_id.get(measure.head_of_service_id),
        "strategic_lead": (
            by_id.get(measure.strategic_lead_id) if measure.strategic_lead_id else None
        ),
        "targets": audit.jsonable(_targets_view(targets)),
    }
    return view


# -- actuals ------------------------------------------------------------------------------------


@dataclass
class ActualsReport:
    stored: int = 0
    replaced: int = 0
    unchanged: int = 0
    # "SE1.1 2025-26 Q1" → the names its review card goes to (periods still open)
    for_review: dict[str, list[str]] = field(default_factory=dict)
    pending_unchanged: int = 0  # already waiting for review with the same figure


def store_actuals(
    *, session: Session, actuals: Iterable[Actual], actor: str, at: datetime, source: str
) -> ActualsReport:
    """Store each actual as an approved submission version, with its audit event. Only for
    history: periods whose Performance Board date has passed (bot.actuals.sort_actuals).

    A row identical to the approved value and commentary already held changes nothing, so an
    actuals file can be imported again safely; a different figure becomes a new version.
    """
    rows = list(actuals)
    report = ActualsReport()
    ids: dict[str, int] = dict(session.execute(sa_select(col(Measure.ref), col(Measure.id))).all())
    actor_id = session.exec(select(Person.id).where(Person.email == actor)).first()
    # What is held for this file's (measure, period)s only, as plain rows: reading every value
    # of the file's periods (a council's whole history, as ORM objects, once per file) made a
    # large import grow faster than its files.
    held = [(ids[row.ref], row.period.label) for row in rows]
    wanted = set(held)
    measure_ids = sorted({measure_id for measure_id, _ in wanted})
    values, submissions = _table(PeriodValue), _table(Submission)
    current: dict[tuple[int, str], Any] = {}
    latest_version: dict[tuple[int, str], int] = {}
    for chunk in _chunks(measure_ids, 500):
        for value in session.execute(sa_select(values).where(values.c.measure_id.in_(chunk))):
            if (value.measure_id, value.period) in wanted:
                current[(value.measure_id, value.period)] = value
        if not current:
            continue
        query = (
            sa_select(
                submissions.c.measure_id, submissions.c.period, func.max(submissions.c.version)
            )
            .where(submissions.c.measure_id.in_(chunk))
            .group_by(submissions.c.measure_id, submissions.c.period)
        )
        for measure_id, period, version in session.execute(query):
            if (measure_id, period) in wanted:
                latest_version[(measure_id, period)] = version
    approved_ids = [
        pv.approved_submission_id for pv in current.values() if pv.approved_submission_id
    ]
    overviews: dict[int, str] = {}
    reported: dict[int, Any] = {}  # a project's approved milestone states
    for chunk in _chunks(approved_ids, 500):
        for sid, overview, milestones in session.execute(
            sa_select(submissions.c.id, submissions.c.overview, submissions.c.milestones).where(
                submissions.c.id.in_(chunk)
            )
        ):
            overviews[sid] = overview
            reported[sid] = milestones
    # the rows to write, column by column (a big history is 100,000 rows a file)
    keys: list[tuple[int, str, Actual, Any]] = []
    versions: list[int] = []
    milestones_json: list[list[dict[str, Any]] | None] = []
    for row, key in zip(rows, held, strict=True):
        existing = current.get(key)
        states = [item.as_json() for item in row.milestones] if row.milestones else None
        if (
            existing is not None
            and existing.state == State.APPROVED
            and existing.approved_value == row.value
            and overviews.get(existing.approved_submission_id or -1) == row.commentary
            and reported.get(existing.approved_submission_id or -1) == states
        ):
            report.unchanged += 1
            continue
        versions.append(latest_version.get(key, 0) + 1)
        milestones_json.append(
            [item.as_json() for item in row.milestones] if row.milestones is not None else None
        )
        keys.append((key[0], key[1], row, existing))
    count = len(keys)
    if not count:
        _log_actuals(session, actor, at, source, report)
        return report
    submission_ids = _allocate_ids(session, "submission", count)
    imported = [row for _, _, row, _ in keys]
    bulk.insert_columns(
        session,
        Submission,
        {
            "id": submission_ids,
            "measure_id": [measure_id for measure_id, _, _, _ in keys],
            "period": [label for _, label, _, _ in keys],
            "version": versions,
            "value": [row.value for row in imported],
            "overview": [row.commentary for row in imported],
            "actions": [row.actions or None for row in imported],
            "evidence_url": [row.evidence or None for row in imported],
            "submitted_by_id": [actor_id] * count,
            "submitted_by": [actor] * count,
            "on_behalf_of": [row.on_behalf for row in imported],
            "source": ["import"] * count,
            "late": [False] * count,  # history, not a submission against a deadline
            "submitted_at": [at] * count,
            "request_key": [None] * count,
            "milestones": milestones_json,
        },
    )
    bulk.insert_columns(
        session,
        Review,
        {
            "submission_id": submission_ids,
            "decision": ["approved"] * count,
            "reason": [None] * count,
            "decided_by_id": [actor_id] * count,
            "decided_by": [actor] * count,
            "decided_at": [at] * count,
        },
    )
    new_values: list[tuple[int, str, Any, int]] = []  # measure, period, value, submission
    replaced: list[dict[str, Any]] = []
    entity_keys: list[str] = []
    befores: list[dict[str, Any] | None] = []
    afters: list[dict[str, Any]] = []
    for sid, (measure_id, period, row, existing), states in zip(
        submission_ids, keys, milestones_json, strict=True
    ):
        after: dict[str, Any] = {
            "value": row.value,
            "commentary": row.commentary,
            "state": "approved",
        }
        if row.actions:
            after["actions"] = row.actions
        if row.evidence:
            after["evidence_url"] = row.evidence
        if row.on_behalf:
            after["on_behalf_of"] = True
        if states is not None:
            after["milestones"] = states
        entity_keys.append(f"{row.ref} {period}")
        afters.append(after)
        if existing is None:
            new_values.append((measure_id, period, row.value, sid))
            report.stored += 1
            befores.append(None)
        else:
            befores.append(
                {
                    "value": existing.approved_value,
                    "state": existing.state,
                    "commentary": overviews.get(existing.approved_submission_id or -1),
                }
            )
            replaced.append(
                {
                    "id": existing.id,
                    "state": State.APPROVED.value,
                    "approved_value": row.value,
                    "approved_submission_id": sid,
                    "latest_submission_id": sid,
                    "updated_at": at,
                }
            )
            report.replaced += 1
    stored = len(new_values)
    bulk.insert_columns(
        session,
        PeriodValue,
        {
            "measure_id": [measure_id for measure_id, _, _, _ in new_values],
            "period": [period for _, period, _, _ in new_values],
            "state": ["approved"] * stored,
            "approved_value": [value for _, _, value, _ in new_values],
            "approved_submission_id": [sid for _, _, _, sid in new_values],
            "latest_submission_id": [sid for _, _, _, sid in new_values],
            "updated_at": [at] * stored,
        },
    )
    if replaced:
        session.execute(update(PeriodValue), replaced)
    _track_actions(session, submission_ids, keys, at)
    audit.record_columns(
        session,
        actor=actor,
        at=at,
        action=["value.import"] * count,
        entity=["value"] * count,
        entity_key=entity_keys,
        before=befores,
        after=afters,
    )
    _log_actuals(session, actor, at, source, report)
    return report


def _track_actions(
    session: Session,
    submission_ids: list[int],
    keys: list[tuple[int, str, Actual, Any]],
    at: datetime,
) -> None:
    """Imported history's actions become tracked items (bot.actions), owned as the file says
    or by the measure's collector, with the progress the file gives."""
    from bot import actions

    wanted = [(sid, key) for sid, key in zip(submission_ids, keys, strict=True) if key[2].planned]
    if not wanted:
        return
    collectors = dict(
        session.exec(
            select(Measure.id, Measure.collector_id).where(
                col(Measure.id).in_({key[0] for _, key in wanted})
            )
        ).all()
    )
    owners = {email: pid for pid, email in session.exec(select(Person.id, Person.email))}
    for sid, (measure_id, _, row, _) in wanted:
        actions.store(
            session,
            measure_id=measure_id,
            period=row.period,
            submission_id=sid,
            planned=row.planned,
            owners=owners,
            default_owner=collectors[measure_id],
            now=at,
        )


def _allocate_ids(session: Session, table: str, count: int) -> list[int]:
    """Ids for a bulk insert, so it needs no RETURNING (which SQLite cannot batch and which
    slows psycopg down): from the table's sequence on PostgreSQL; on SQLite the write
    transaction already holds the database lock, so the next ids after the largest are free."""
    if is_postgres(session.get_bind()):  # type: ignore[arg-type]
        # The sequence is looked up once and bound as nextval's argument (a regclass resolved
        # when the statement is bound): `nextval(pg_get_serial_sequence(...))` looked it up
        # in the catalogue for every row, 8x the server's CPU of the nextval calls themselves
        # (0.25 s of 0.28 s for 48,080 ids).
        sequence = session.execute(
            text("SELECT pg_get_serial_sequence(:table, 'id')"), {"table": table}
        ).scalar_one()
        rows = session.execute(
            text("SELECT nextval(:sequence) FROM generate_series(1, :n)"),
            {"sequence": sequence, "n": count},
        )
        return [int(value) for (value,) in rows]
    start = session.execute(text(f"SELECT COALESCE(MAX(id), 0) FROM {table}")).scalar_one()
    return list(range(int(start) + 1, int(start) + 1 + count))


def _log_actuals(
    session: Session, actor: str, at: datetime, source: str, report: ActualsReport
) -> None:
    audit.record(
        session,
        actor=actor,
        action="actuals.import",
        entity="actuals",
        entity_key=source,
        at=at,
        after={"stored": report.stored, "replaced": report.replaced, "unchanged": report.unchanged},
    )


def _chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
