"""Messages for the report's sign-off chain (bot.chain): the approver's card, the refusal and
approval notices, the agenda-deadline reminder, the reason form and `/pmf report`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot import chain
from bot.chain import LEADERSHIP, ChainState, Decision, Step
from bot.chat import intents
from bot.chat.model import (
    Actions,
    Block,
    Button,
    Facts,
    Field,
    Form,
    Heading,
    Icon,
    Intent,
    Message,
    Note,
    Para,
    Strong,
    Style,
    clip,
    text,
)
from bot.chat.summaries import counts
from bot.chat.words import day, when
from bot.periods import Period
from bot.summary import Tally

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from bot.status import CouncilInfo

REASON_ROOM = 2500


def button_value(quarter: Period, scope: str) -> str:
    return f"{quarter.label}|{scope}"


def read_value(value: str) -> tuple[str, str] | None:
    """(quarter label, scope) from a button or form, or None when it names neither."""
    quarter, sep, scope = value.partition("|")
    if not sep or not quarter.strip() or not scope.strip() or len(value) > 140:
        return None
    return quarter.strip(), scope.strip()


def _timetable(meeting: date | None, deadline: date | None) -> tuple[tuple[str, str], ...]:
    if meeting is None or deadline is None:
        return ()
    return (
        ("Committee", day(meeting)),
        ("Approve by", f"{day(deadline)} (the agenda deadline)"),
    )


def _decision_line(decision: Decision, zone: ZoneInfo) -> Note:
    if decision.decision == "approved":
        return Note(
            text(
                Icon.DONE,
                " ",
                Strong("Approved"),
                f" by {decision.by_name} at {when(decision.at, zone)}",
            )
        )
    return Note(
        text(
            Icon.REJECTED,
            " ",
            Strong("Refused"),
            f" by {decision.by_name} at {when(decision.at, zone)}: ",
            clip(decision.reason or "", REASON_ROOM),
        )
    )


def approval_card(
    state: ChainState,
    step: Step,
    tally: Tally,
    zone: ZoneInfo,
    *,
    meeting: date | None = None,
    deadline: date | None = None,
) -> Message:
    """To an Executive Director or a Leadership Team approver: the report, Approve / Refuse."""
    quarter = state.quarter
    whom = "the whole council" if step.scope == LEADERSHIP else f"the {step.scope} directorate"
    before = (
        "every Executive Director has approved it"
        if step.scope == LEADERSHIP
        else "every Head of Service has signed off"
    )
    parts: list[Block] = [
        Heading(f"{quarter} performance report — {step.title}"),
        Para(
            text(
                f"The {quarter} report for {whom}: {before}."
                if step.approved  # decided: the card no longer asks
                else f"The {quarter} report for {whom} is ready for your approval: {before}. "
                "Approve it for committee, or refuse it with a reason so it can be put right."
            )
        ),
        Facts(
            (
                ("Measures and projects", text(str(sum(tally.counts.values())))),
                ("Status", counts(tally)),
                *((label, text(value)) for label, value in _timetable(meeting, deadline)),
            )
        ),
        Note(text("See every figure with ", Strong(f"/pmf summary {quarter}"), ".")),
    ]
    if step.latest is not None:
        parts.append(_decision_line(step.latest, zone))
    if step.approved:  # what happens next, on the card the approver just clicked
        parts.append(Note(text(Strong(state.words), ".")))
    else:
        value = button_value(quarter, step.scope)
        parts.append(
            Actions(
                (
                    Button("Approve", Intent(intents.REPORT_APPROVE, value), Style.PRIMARY),
                    Button("Refuse", Intent(intents.REPORT_REFUSE, value), Style.DANGER),
                ),
                id=f"report_{quarter.label}_{step.scope}"[:250],
            )
        )
    said = (
        f"approved by {step.latest.by_name}"
        if step.approved and step.latest
        else "needs your approval"
    )
    return Message(f"The {quarter} performance report for {step.label} {said}", tuple(parts))


def refused_notice(state: ChainState, decision: Decision) -> Message:
    step = state.step(decision.scope)
    label = step.label if step else decision.scope
    return Message.plain(
        text(
            Icon.WARNING,
            f" {decision.by_name} refused the {state.quarter} performance report for {label}: ",
            clip(decision.reason or "", REASON_ROOM),
            f"\nPut it right, then ask {decision.by_name} to approve it again "
            f"(/pmf report {state.quarter}).",
        )
    )


def approved_notice(state: ChainState) -> Message:
    return Message.plain(
        text(
            Icon.CELEBRATE,
            f" The {state.quarter} performance report is approved for committee. "
            f"{state.words}. The committee paper no longer says Draft.",
        )
    )


def reminder(state: ChainState, meeting: date, deadline: date) -> Message:
    waiting = ", ".join(state.waiting_for) or "nobody"
    return Message.plain(
        text(
            Icon.ALARM,
            f" The {state.quarter} performance report must be approved by {day(deadline)} "
            f"for the committee on {day(meeting)}. It is waiting for: {waiting}.",
        )
    )


def refuse_form(quarter: Period, step: Step, channel: str | None = None) -> Form:
    return Form(
        kind=intents.REPORT_REFUSE_FORM,
        title="Refuse the report",
        submit="Refuse",
        blocks=(Para(text(Strong(f"{quarter} performance report"), f" — {step.title}")),),
        fields=(
            Field(
                intents.REASON,
                "Why is it refused?",
                multiline=True,
                placeholder="What must be put right before you approve it?",
            ),
        ),
        meta={"quarter": quarter.label, "scope": step.scope, "channel": channel},
    )


def chain_status(
    state: ChainState,
    zone: ZoneInfo,
    *,
    mine: Sequence[Step] = (),
    meeting: date | None = None,
    deadline: date | None = None,
) -> Message:
    """`/pmf report`: where the quarter's report stands, step by step."""
    lines: list[Block] = [
        Heading(f"{state.quarter} performance report"),
        Para(text(Strong(state.words))),
    ]
    heads = [
        f"{s.name}: {'signed off ' + when(s.signed_at, zone) if s.signed_at else 'not yet'}"
        for s in state.signoffs
    ]
    lines.append(Para(text(Strong("Heads of Service"), "\n", "\n".join(heads) or "none")))
    for step in [*state.directorates, *([state.leadership] if state.leadership else [])]:
        who = ", ".join(step.approver_names)
        if step.latest is None:
            said = "not yet decided"
        elif step.latest.decision == "approved":
            said = f"approved by {step.latest.by_name} {when(step.latest.at, zone)}"
        else:
            said = f"refused by {step.latest.by_name}: {clip(step.latest.reason or '', 300)}"
        lines.append(Para(text(Strong(step.title), f" ({who}): {said}")))
    if meeting and deadline:
        lines.append(Note(text(f"Committee {day(meeting)}; approve by {day(deadline)}.")))
    for step in mine:
        value = button_value(state.quarter, step.scope)
        lines.append(
            Actions(
                (
                    Button(
                        f"Approve for {step.label}",
                        Intent(intents.REPORT_APPROVE, value),
                        Style.PRIMARY,
                    ),
                    Button("Refuse", Intent(intents.REPORT_REFUSE, value), Style.DANGER),
                ),
                id=f"report_{step.scope}"[:250],
            )
        )
    return Message(f"{state.quarter} performance report: {state.words}", tuple(lines))


def step_tally(
    engine: Engine, council: CouncilInfo, state: ChainState, step: Step, today: date
) -> Tally:
    """The RAGG counts of the measures a step approves (its directorate's, or all)."""
    from bot import summaries
    from bot.summary import tally

    whole = summaries.summary(engine, council, state.quarter, today=today)
    if step.scope == LEADERSHIP or council.chain is None:
        return whole.overall
    found = council.chain.directorate(step.scope)
    heads = set(found.heads_of_service) if found else set()
    rows = [row for row in whole.rows if row.measure.head_of_service in heads]
    return tally(step.scope, step.label, rows)


def notice_message(
    engine: Engine,
    council: CouncilInfo,
    payload: Mapping[str, object],
    zone: ZoneInfo,
    today: date,
) -> Message:
    """The message an outbox chain notice stands for, built from the chain as it is now."""
    quarter = Period.parse(str(payload["quarter"]))
    current = chain.state(engine, council, quarter)
    if current is None:
        raise ValueError("the register no longer has an approval chain")
    kind = payload.get("notice")
    timetable = chain.agenda_deadline(council, quarter)
    meeting, deadline = timetable if timetable else (None, None)
    if kind == chain.CHAIN_CARD:
        step = current.step(str(payload.get("scope", "")))
        if step is None:
            raise ValueError(f"no step {payload.get('scope')!r} in the approval chain")
        tally_ = step_tally(engine, council, current, step, today)
        return approval_card(current, step, tally_, zone, meeting=meeting, deadline=deadline)
    if kind == chain.CHAIN_REFUSED:
        step = current.step(str(payload.get("scope", "")))
        if step is None or step.latest is None:
            raise ValueError("the refusal is no longer recorded")
        return refused_notice(current, step.latest)
    if kind == chain.CHAIN_APPROVED:
        return approved_notice(current)
    if kind == chain.CHAIN_REMINDER:
        return reminder(
            current,
            date.fromisoformat(str(payload["meeting"])),
            date.fromisoformat(str(payload["deadline"])),
        )
    raise ValueError(f"unknown chain notice {kind!r}")
