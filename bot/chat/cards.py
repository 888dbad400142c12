"""The submission form, the reviewer's card and the notices around a decision (PRODUCT §5).

A card is rendered from the submission's current state every time it is sent or updated, so
a card delivered late, or updated twice, always shows the truth.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from zoneinfo import ZoneInfo

from bot.chat import actions as actions_view
from bot.chat import intents
from bot.chat.model import (
    Actions,
    Button,
    Facts,
    Field,
    Form,
    Heading,
    Icon,
    Intent,
    Link,
    Message,
    Note,
    Para,
    Strong,
    Style,
    Text,
    clip,
    is_safe_url,
    plain_of,
    text,
)
from bot.chat.words import badge, day, milestone_lines, when
from bot.measures import example_figure, value_hint
from bot.projects import MilestoneState, rule_words
from bot.submissions import Redo, SubmissionForm, SubmissionView
from bot.trend import Context

LONG = 2800  # officers' text in one part, leaving room for its label


def measure_period(ref: str, period: str) -> str:
    """A button value naming a (measure, period)."""
    return f"{ref}|{period}"


def evidence(url: str | None) -> Text:
    """An evidence link the bot formats itself, or the address as plain text when it is not
    a safe https address (older figures may hold one)."""
    if not url:
        return text("none")
    if is_safe_url(url):
        return text(Link(url))
    return text(clip(url, 300))


# -- the submission form ----------------------------------------------------------------------

UNITS = {"percentage": "a percentage, 0 to 100", "currency": "an amount in pounds"}


def redone(redo: Redo) -> Para:
    """Why a figure or report is being redone: who rejected or reopened it, when and why."""
    by = f" by {redo.by}" if redo.by else ""
    at = f" on {day(redo.at.date())}" if redo.at else ""
    return Para(
        text(
            Icon.REJECTED if redo.decision == "rejected" else Icon.REOPENED,
            " ",
            Strong(f"Version {redo.last.version} was {redo.decision}{by}{at}"),
            ": ",
            clip(redo.reason or "no reason was recorded.", LONG),
            "\nThe form starts from that version; change what the reason asks for.",
        )
    )


def submission_form(
    form: SubmissionForm, channel: str | None = None, prefill: tuple[str, str] | None = None
) -> Form:
    """The form; `prefill` is (value, overview) already given, e.g. in a reply to a reminder."""
    if form.measure.is_project:
        return project_form(form, channel, prefill)
    measure = form.measure
    recent = (
        ", ".join(f"{period}: {measure.format_value(value)}" for period, value in form.recent)
        or "none yet"
    )
    pending, last, redo = form.pending, form.last, form.redo
    value_initial = prefill[0] if prefill else (plain_number(last.value) if last else None)
    overview_initial = prefill[1] if prefill else (last.overview if last else None)
    unit = UNITS.get(measure.format.value, measure.units or "a number")
    blocks: list[Heading | Note | Facts | Para] = []
    if redo is not None:
        # Why it is being redone comes first: it is what the collector must act on.
        blocks.append(redone(redo))
    blocks += [
        Heading(f"{measure.ref} {measure.title}"),
        Note(text(clip(measure.definition or "No definition recorded.", LONG))),
        Facts(
            (
                ("Period", text(str(form.period))),
                ("Deadline", text(day(form.deadline))),
                ("Target", text(measure.format_target(form.target))),
                ("Recent values", text(recent)),
            )
        ),
    ]
    blocks += [Note(text(Icon.INFO, " ", note)) for note in form.notes]
    listed = actions_view.on_the_form(form.open_actions, form.today or form.deadline)
    if listed is not None:
        blocks.append(Note(listed.text))
    if pending is not None:
        blocks.append(
            Note(
                text(
                    Icon.EDIT,
                    f" Version {pending.version} is waiting for review; "
                    "submitting again replaces it.",
                )
            )
        )
    return Form(
        kind=intents.SUBMIT_FORM,
        title="Submit a figure",
        submit="Submit",
        blocks=tuple(blocks),
        fields=(
            Field(
                intents.VALUE,
                f"Value ({unit})",
                initial=value_initial,
                placeholder=f"e.g. {example_figure(measure.format, measure.decimals)}",
                hint=value_hint(measure.format, measure.decimals),
                max_length=40,
            ),
            Field(
                intents.OVERVIEW,
                "Performance overview",
                multiline=True,
                initial=overview_initial,
                placeholder="What the figure shows and why",
            ),
            Field(
                intents.ACTIONS,
                "Actions to improve performance",
                multiline=True,
                optional=True,
                initial=last.actions if last else None,
                hint=(
                    f"Required when the figure is {form.actions_needed_for} (the exception report)."
                ),
            ),
            evidence_field(last),
        ),
        meta={"ref": measure.ref, "period": form.period.label, "channel": channel},
    )


def evidence_field(last: SubmissionView | None) -> Field:
    """The optional evidence link, starting from the last version's."""
    return Field(
        intents.EVIDENCE,
        "Evidence link",
        optional=True,
        initial=last.evidence_url if last else None,
        placeholder="https://…",
        max_length=1000,
    )


def project_form(
    form: SubmissionForm, channel: str | None = None, prefill: tuple[str, str] | None = None
) -> Form:
    """A project's form (issue 14): each milestone with its state to choose — not started, on
    track, at risk or done; late follows from the due date — and a commentary."""
    measure, last = form.measure, form.last
    # Start from the version being redone, else from the last approved report (a collector
    # updates last quarter's states rather than choosing them all again).
    if last is not None:
        before = {item.report.title: item.report.state.value for item in last.milestones or ()}
    elif form.previous is not None:
        before = {item.title: item.state.value for item in form.previous[1]}
    else:
        before = {}
    blocks: list[Heading | Note | Facts | Para] = []
    if form.redo is not None:
        blocks.append(redone(form.redo))
    blocks += [
        Heading(f"{measure.ref} {measure.title}"),
        Note(text(clip(measure.definition or "No description recorded.", LONG))),
        Facts(
            (
                ("Period", text(f"{form.period} (as at {day(form.period.end)})")),
                ("Deadline", text(day(form.deadline))),
                ("RAGG rule", text(rule_words(form.amber_days))),
            )
        ),
    ]
    blocks += [Note(text(Icon.INFO, " ", note)) for note in form.notes]
    if last is None and form.previous is not None:
        blocks.append(
            Note(text(Icon.INFO, f" The milestones start as approved for {form.previous[0]}."))
        )
    if form.pending is not None:
        blocks.append(
            Note(
                text(
                    Icon.EDIT,
                    f" Version {form.pending.version} is waiting for review; "
                    "submitting again replaces it.",
                )
            )
        )
    choices = tuple((state.value, state.words) for state in MilestoneState)
    fields = [
        Field(
            intents.MILESTONES[index],
            clip(f"{milestone.title} — due {day(milestone.due)}", 150),
            initial=before.get(milestone.title),
            choices=choices,
            placeholder="Where it stands",
            hint=(
                "Past its due date at the period's end: late unless done."
                if milestone.due < form.period.end
                else None
            ),
        )
        for index, milestone in enumerate(measure.milestones[: len(intents.MILESTONES)])
    ]
    fields += [
        Field(
            intents.OVERVIEW,
            "Commentary",
            multiline=True,
            initial=prefill[1] if prefill else (last.overview if last else None),
            placeholder="Progress this quarter, and what is next",
        ),
        Field(
            intents.ACTIONS,
            "Actions to get back on track",
            multiline=True,
            optional=True,
            initial=last.actions if last else None,
            hint=f"Required when the milestones make the project {form.actions_needed_for}.",
        ),
        evidence_field(last),
    ]
    return Form(
        kind=intents.SUBMIT_FORM,
        title="Report on a project",
        submit="Submit",
        blocks=tuple(blocks),
        fields=tuple(fields),
        meta={
            "ref": measure.ref,
            "period": form.period.label,
            "channel": channel,
            "project": True,
        },
    )


def plain_number(value: Decimal) -> str:
    return format(value.normalize(), "f") if value else "0"


def reason_form(submission: SubmissionView, kind: str, channel: str | None = None) -> Form:
    """The form asking why a figure is rejected (`intents.REJECT_FORM`) or reopened."""
    measure = submission.measure
    if kind == intents.REJECT_FORM:
        intro = text(
            Strong(measure.ref),
            f" {clip(measure.title, 200)} — {submission.period}, version {submission.version}: "
            f"{measure.format_value(submission.value)} from {submission.submitted_by_name}",
        )
        return Form(
            kind=kind,
            title="Reject a figure",
            submit="Reject",
            blocks=(Para(intro),),
            fields=(
                Field(
                    intents.REASON,
                    "Why is it rejected?",
                    multiline=True,
                    placeholder="What should the collector check or change?",
                ),
            ),
            meta={"submission": submission.id, "channel": channel},
        )
    intro = text(
        Strong(measure.ref),
        f" {clip(measure.title, 200)} — {submission.period}: "
        f"{measure.format_value(submission.value)}, approved by "
        f"{submission.decided_by_name}. Reopening withdraws it from status until a "
        "new version is approved.",
    )
    return Form(
        kind=intents.REOPEN_FORM,
        title="Reopen a figure",
        submit="Reopen",
        blocks=(Para(intro),),
        fields=(
            Field(
                intents.REASON,
                "Why is it being reopened?",
                multiline=True,
                placeholder="What has changed or needs checking?",
            ),
        ),
        meta={"submission": submission.id},
    )


# -- the reviewer's card ----------------------------------------------------------------------


STATUS_LABELS = {"approved": "Status", "rejected": "Status had it been approved"}


def trend_line(view: SubmissionView, found: Context) -> Text:
    """'29.0% (2025-26 Q3, Green) → 31.2% (2025-26 Q4, Green) → 30.9% (this figure, Amber) —
    falling, worse': the earlier figures with their RAGG, oldest first, then this one."""
    measure = view.measure
    parts: list[Text] = [
        text(f"{measure.format_value(point.value)} ({point.period}, {point.status.word})")
        for point in found.earlier
    ]
    parts.append(
        text(Strong(measure.format_value(view.value)), f" (this figure, {view.ragg.word})")
    )
    joined: list[Text] = []
    for n, part in enumerate(parts):
        joined.append(text(" → ", part) if n else part)
    words = found.trend or ""
    if found.better is not None:
        words += ", better" if found.better else ", worse"
    return text(*joined, f" — {words}" if words else "")


def _context_parts(view: SubmissionView, found: Context | None) -> list[Para | Note]:
    if found is None:
        return []
    parts: list[Para | Note] = []
    if found.unusual:
        parts.append(
            Para(
                text(
                    Icon.WARNING,
                    " ",
                    Strong("Unusual change — check the source"),
                    f": {found.unusual}.",
                )
            )
        )
    if found.earlier:
        parts.append(Para(text(Strong("Recent figures"), "\n", trend_line(view, found))))
    else:
        parts.append(Note(text("No approved figures before this one to compare with.")))
    return parts


def _summary(
    view: SubmissionView, zone: ZoneInfo, found: Context | None = None
) -> list[Heading | Facts | Para | Note]:
    measure = view.measure
    late = (
        text(" ", Icon.LATE, " ", Strong("late"), f" (deadline {day(view.deadline)})")
        if view.late
        else ()
    )
    behalf = " (on behalf of the collector)" if view.on_behalf else ""
    if measure.is_project:
        found = None  # a project's milestones say how it is going, not a trend of figures
    facts: list[tuple[str, Text]] = [
        ("Period", text(f"{view.period} · version {view.version}")),
        ("Milestones" if measure.is_project else "Value", text(measure.format_value(view.value))),
    ]
    if not measure.is_project:
        facts.append(("Target", text(measure.format_target(view.target, view.value, view.ragg))))
    if found is not None and found.annual_label is not None:
        annual = text(measure.format_target(found.annual_target))
        facts.append((f"Annual target {found.annual_label}", annual))
    status = badge(view.ragg)
    if view.ragg_reason:
        status = text(status, f" — {clip(view.ragg_reason, 500)}")
    facts += [
        (STATUS_LABELS.get(view.decision or "", "Status if approved"), status),
        ("Submitted by", text(f"{view.submitted_by_name}{behalf}")),
        ("Submitted", text(when(view.submitted_at, zone), late)),
    ]
    parts: list[Heading | Facts | Para | Note] = [Heading(f"{measure.ref} {measure.title}")]
    parts.append(Facts(tuple(facts)))
    parts += _context_parts(view, found)
    if view.milestones is not None:
        parts.append(Para(milestone_lines(view.milestones, view.period.end)))
    overview = "Commentary" if measure.is_project else "Performance overview"
    parts.append(Para(text(Strong(overview), "\n", clip(view.overview, LONG))))
    if view.actions:
        parts.append(
            Para(
                text(
                    Strong(
                        "Actions to get back on track"
                        if measure.is_project
                        else "Actions to improve performance"
                    ),
                    "\n",
                    clip(view.actions, LONG),
                )
            )
        )
    if view.evidence_url:
        parts.append(Para(text(Strong("Evidence"), "\n", evidence(view.evidence_url))))
    if measure.confidence_words:
        parts.append(Note(text(f"Data confidence: {measure.confidence_words}")))
    return parts


def review_card(
    view: SubmissionView,
    zone: ZoneInfo,
    *,
    superseded_by: int | None = None,
    reopened: str | None = None,
    context: Context | None = None,
) -> Message:
    """The reviewer's card, as the figure stands now: Approve / Reject while pending; who
    decided, and Reopen, once decided; a pointer to the newer card once replaced.
    `reopened` is the note to show once an approval is reopened; `context` the figure's
    recent history, targets and any unusual change (`bot.trend`)."""
    parts: list[Heading | Facts | Para | Note | Actions] = list(_summary(view, zone, context))
    if view.decision == "approved":
        parts.append(
            Note(
                text(
                    Icon.DONE,
                    " ",
                    Strong("Approved"),
                    f" by {view.decided_by_name} at "
                    f"{when(view.decided_at or view.submitted_at, zone)}",
                )
            )
        )
        if reopened:
            parts.append(Note(text(Icon.REOPENED, " ", clip(reopened, LONG))))
        else:
            parts.append(
                Actions(
                    (Button("Reopen", _intent(intents.REOPEN, view.id)),),
                    id=f"reopen_{view.id}",
                )
            )
    elif view.decision == "rejected":
        parts.append(
            Note(
                text(
                    Icon.REJECTED,
                    " ",
                    Strong("Rejected"),
                    f" by {view.decided_by_name} at "
                    f"{when(view.decided_at or view.submitted_at, zone)}: "
                    f"{clip(view.reason or '', 2500)}",
                )
            )
        )
    elif superseded_by is not None:
        parts.append(
            Note(
                text(
                    Icon.REPLACED,
                    f" Replaced by version {superseded_by}; review the newer card.",
                )
            )
        )
    else:
        parts.append(decision_buttons(view.id, f"review_{view.id}"))
    return Message(card_summary(view), tuple(parts))


def _intent(action: str, submission_id: int) -> Intent:
    return Intent(action, str(submission_id))


def decision_buttons(submission_id: int, block_id: str | None = None) -> Actions:
    value = str(submission_id)
    return Actions(
        (
            Button("Approve", Intent(intents.APPROVE, value), Style.PRIMARY),
            Button("Reject", Intent(intents.REJECT, value), Style.DANGER),
        ),
        id=block_id,
    )


def card_summary(view: SubmissionView) -> str:
    state = {"approved": "approved", "rejected": "rejected"}.get(view.decision or "", "to review")
    return (
        f"{view.measure.ref} {view.period}: {view.measure.format_value(view.value)} "
        f"from {view.submitted_by_name} — {state}"
    )


# -- notices ------------------------------------------------------------------------------------


def resubmit_button(view: SubmissionView) -> Actions:
    value = measure_period(view.measure.ref, view.period.label)
    return Actions((Button("Resubmit", Intent(intents.RESUBMIT, value), Style.PRIMARY),))


def decision_notice(view: SubmissionView, zone: ZoneInfo) -> Message:
    """To the collector (and the submitter): approved, or rejected with the reason."""
    measure = view.measure
    summary = f"{measure.ref} {view.period} was {view.decision} by {view.decided_by_name}"
    if view.decision == "approved":
        return Message.of(
            summary,
            Para(
                text(
                    Icon.DONE,
                    " Your figure for ",
                    Strong(measure.ref),
                    f" {clip(measure.title, 150)}, {view.period} "
                    f"({measure.format_value(view.value)}), was ",
                    Strong("approved"),
                    f" by {view.decided_by_name} at "
                    f"{when(view.decided_at or view.submitted_at, zone)}. Status: ",
                    badge(view.ragg),
                    ".",
                )
            ),
        )
    return Message.of(
        summary,
        Para(
            text(
                Icon.REJECTED,
                " Your figure for ",
                Strong(measure.ref),
                f" {clip(measure.title, 150)}, {view.period} "
                f"({measure.format_value(view.value)}), was ",
                Strong("rejected"),
                f" by {view.decided_by_name}.",
            )
        ),
        Para(text(Strong("Reason"), "\n", clip(view.reason or "", LONG))),
        resubmit_button(view),
    )


def reopened_notice(view: SubmissionView, by: str, reason: str) -> Message:
    measure = view.measure
    return Message.of(
        f"{measure.ref} {view.period} was reopened by {by}",
        Para(
            text(
                Icon.REOPENED,
                " The approved figure for ",
                Strong(measure.ref),
                f" {clip(measure.title, 150)}, {view.period} "
                f"({measure.format_value(view.value)}), was ",
                Strong("reopened"),
                f" by {by}.",
            )
        ),
        Para(text(Strong("Reason"), "\n", clip(reason, LONG))),
        resubmit_button(view),
    )


def submitted_notice(
    view: SubmissionView, reviewer_names: Sequence[str], unreachable: Sequence[str] = ()
) -> Message:
    """The thank-you to the person who submitted."""
    who = " or ".join(reviewer_names) or "the reviewer"
    late = " It is after the deadline, so it is marked late." if view.late else ""
    words = text(
        Icon.INBOX,
        f" Thank you — {view.measure.ref} {view.period} "
        f"({view.measure.format_value(view.value)}, version {view.version}) has gone to "
        f"{who} for review.{late}",
    )
    if unreachable:
        words = text(
            words,
            "\n",
            Icon.WARNING,
            f" I could not reach {', '.join(unreachable)} just now. Your figure is "
            "saved, and I will keep trying to deliver the review card (the Performance & "
            "Policy Officer's digest lists it until it arrives); you may also let them know.",
        )
    # Until it is decided the figure can still be changed: Edit opens the form with it.
    edit = Button(
        "Edit",
        Intent(intents.OPEN_SUBMIT, measure_period(view.measure.ref, view.period.label)),
    )
    return Message(plain_of(words), (Para(words), Actions((edit,))))
