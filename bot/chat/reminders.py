"""What reminders, escalations and the missing-data digest say (PRODUCT §6)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from bot.chat import intents
from bot.chat.cards import decision_buttons, measure_period
from bot.chat.model import (
    Actions,
    Block,
    Button,
    Code,
    Facts,
    Icon,
    Inline,
    Intent,
    Message,
    Note,
    Para,
    Strong,
    Style,
    Text,
    clip,
    text,
)
from bot.chat.status import paragraphs
from bot.chat.words import day, plural
from bot.measures import MeasureInfo, example_figure
from bot.periods import Period
from bot.reminders import SNOOZED, Kind, ReminderContent, Undelivered

REPLY_SENTENCE = "Up on last quarter after the new round started"


def reply_example(measure: MeasureInfo) -> str:
    """A reply this measure accepts: '87 Up on last quarter…' for a whole number, '87.5 …'
    for one decimal place."""
    return f"{example_figure(measure.format, measure.decimals)} {REPLY_SENTENCE}"


NameOf = Callable[[str], str]


def _away_words(
    collector: str, away: tuple[date, str | None] | None, name_of: Callable[[str], str]
) -> str:
    """Seen walking the sandbox: a Head of Service was escalated to about Jane Doe's figure
    while she was on leave, with no word of it or of who was covering."""
    if away is None:
        return ""
    until, cover = away
    covering = f"{name_of(cover)} is covering" if cover else "nobody is covering"
    return f" {collector} is away until {day(until)}; {covering}."


def reminder_message(content: ReminderContent, name_of: NameOf) -> Message:
    """One reminder, escalation, review reminder or digest."""
    if content.kind is Kind.DIGEST:
        return digest(content, name_of)
    if content.kind is Kind.ESCALATION and content.escalated:
        return escalation(content, name_of)
    measure = content.measure
    assert measure is not None and content.period is not None
    name = text(Strong(measure.ref), f" {clip(measure.title, 150)}")
    covering = _covering(content, name_of)
    last = content.last_value
    # A year-to-date figure's last value (often a year's total) and this period's target (a
    # part of the year's) are not like for like: say so (seen walking the sandbox: "Last value
    # 2025-26 Q4: 97.7%, Target 24.4%" for council tax collected in year).
    ytd = " (year to date)" if measure.rule.cumulative else ""
    facts = Facts(
        (
            (
                "Last report" if measure.is_project else f"Last value{ytd}",
                text(f"{last[0]}: {measure.format_value(last[1])}" if last else "none yet"),
            ),
            ("Next milestone", text(next_milestone(measure, content.period)))
            if measure.is_project
            else (f"Target{ytd}", text(measure.format_target(content.target))),
        )
    )
    # A project is reported by its milestones (issue 14), a measure by its figure.
    thing = "milestone report" if measure.is_project else "figure"
    if content.kind is Kind.ESCALATION:
        collector = name_of(measure.collector or "")
        summary = (
            f"{measure.ref} {content.period} is overdue: it was due "
            f"{day(content.deadline) if content.deadline else ''}"
        )
        return Message.of(
            summary,
            Para(
                text(
                    Icon.OVERDUE,
                    " ",
                    name,
                    f" — the {thing} for ",
                    Strong(str(content.period)),
                    " was due ",
                    Strong(content.deadline_words or ""),
                    f" and has not been submitted. Data collector: {collector}.",
                    _away_words(collector, content.collector_away, name_of),
                )
            ),
            facts,
            Note(
                text(
                    "You are receiving this as Head of Service (framework §10.3: accountable "
                    "for performance deadlines)."
                )
            ),
            *covering,
        )
    if content.kind is Kind.REVIEW:
        return Message.of(
            f"{measure.ref} {content.period} is waiting for your review",
            Para(
                text(
                    Icon.WAITING,
                    " ",
                    name,
                    f" — version {content.version} for ",
                    Strong(str(content.period)),
                    " has been waiting for your review for two working days.",
                )
            ),
            facts,
            *covering,
            decision_buttons(content.pending_submission or 0),
        )
    due = content.deadline_words or ""
    if content.kind is Kind.OVERDUE:
        summary = f"Overdue: {measure.ref} {content.period} was due {due}"
        opening = text(
            Icon.OVERDUE,
            " ",
            name,
            f" — the {thing} for ",
            Strong(str(content.period)),
            " was due ",
            Strong(due),
            " and is not in yet. It is still wanted: please submit it as soon as you can.",
        )
    else:
        summary = f"Reminder: {measure.ref} {content.period} is due {due}"
        opening = text(
            Icon.ALARM,
            " ",
            name,
            f" — the {thing} for ",
            Strong(str(content.period)),
            " is due ",
            Strong(due),
            ".",
        )
    return Message.of(
        summary,
        Para(opening),
        progress_note(content),
        facts,
        late_actions_note(content),
        *covering,
        Actions(
            (
                Button(
                    "Submit",
                    Intent(intents.OPEN_SUBMIT, measure_period(measure.ref, content.period.label)),
                    Style.PRIMARY,
                ),
                # Once per reminder: the reminder sent again tomorrow has no such button.
                *(
                    (Button("Remind me tomorrow", Intent(intents.SNOOZE, content.key)),)
                    if content.key and not content.key.startswith(SNOOZED)
                    else ()
                ),
            )
        ),
        Note(text("Use Submit to say where each milestone stands."))
        if measure.is_project
        else Note(
            text(
                "Or reply in this thread with the figure and a sentence, for example ",
                Code(reply_example(measure)),
                ".",
            )
        ),
    )


def put_off(ref: str, title: str, period: str, deadline: date | None, words: str) -> Message:
    """What a reminder becomes once its recipient clicked "Remind me tomorrow": when it comes
    back, in place of the button (it can be put off once), and Submit for doing it now."""
    due = f" is due {day(deadline)}." if deadline else "."
    submit = Intent(intents.OPEN_SUBMIT, measure_period(ref, period))
    return Message.of(
        f"{ref} {period}: {words}",
        Para(text(Icon.ALARM, " ", Strong(ref), f" {title} — ", Strong(period), due, " ", words)),
        Actions((Button("Submit", submit, Style.PRIMARY),)),
    )


MAX_LATE_ACTIONS = 5


def late_actions_note(content: ReminderContent) -> Para | None:
    """The collector's tracked actions past their due date (issue 14), to update with
    `/pmf actions mine` — the reminder is when they are already thinking about the measure."""
    late = content.late_actions
    if not late:
        return None
    parts: list[Inline] = [
        Icon.OVERDUE,
        " ",
        Strong(
            f"{plural(len(late), 'action')} past {'its' if len(late) == 1 else 'their'} due date"
        ),
    ]
    for ref, words, due, progress in late[:MAX_LATE_ACTIONS]:
        parts += ["\n• ", Code(ref), f" {clip(words, 200)} — due {day(due)}, {progress}"]
    if len(late) > MAX_LATE_ACTIONS:
        parts.append(f"\n• and {len(late) - MAX_LATE_ACTIONS} more")
    parts += ["\nSay how they stand with ", Code("/pmf actions"), "."]
    return Para(tuple(parts))


MAX_ESCALATED = 30  # a message keeps well inside the chat platforms' limits


def _covering(content: ReminderContent, name_of: NameOf) -> list[Block]:
    """A note for the cover, when the message reaches someone standing in for the addressee."""
    if not content.on_behalf_of:
        return []
    who = name_of(content.on_behalf_of)
    return [Note(text(Icon.COVER, f" You are covering for {who} while they are away."))]


def escalation(content: ReminderContent, name_of: NameOf) -> Message:
    """To a Head of Service, once a day at most: every figure in their service that fell
    overdue for escalation that day, with its collector (seed 002 §10.3, §10.7)."""
    figures = content.escalated
    count = len(figures)
    lines = []
    for measure, period, _, words, away in figures[:MAX_ESCALATED]:
        collector = name_of(measure.collector or "")
        lines.append(
            text(
                "• ",
                Code(measure.ref),
                f" {clip(measure.title, 100)} — ",
                Strong(str(period)),
                f", due {words}. Data collector: {collector}.",
                _away_words(collector, away, name_of),
            )
        )
    if count > MAX_ESCALATED:
        lines.append(text(f"• and {count - MAX_ESCALATED} more: see ", Code("/pmf due"), "."))
    covering = _covering(content, name_of)
    first = figures[0]
    summary = (
        f"{first[0].ref} {first[1]} is overdue"
        if count == 1
        else f"{count} figures in your service are overdue"
    )
    return Message.of(
        summary,
        Para(
            text(
                Icon.OVERDUE,
                " ",
                Strong(
                    f"{plural(count, 'figure')} in your service "
                    f"{'is' if count == 1 else 'are'} overdue"
                ),
                " and not yet submitted:",
            )
        ),
        *paragraphs(lines, 40),
        Note(
            text(
                "You are receiving this as Head of Service (framework §10.3: accountable for "
                "performance deadlines). Their collectors are nudged until the figures are in; ",
                Code("/pmf due"),
                " lists what is overdue in your service.",
            )
        ),
        *covering,
    )


def next_milestone(measure: MeasureInfo, period: Period) -> str:
    """A project's first milestone due from the period's start: 'Roof solar array connected,
    due Wed 30 Sep 2026', or that all are past due."""
    for milestone in measure.milestones:
        if milestone.due >= period.start:
            return f"{clip(milestone.title, 200)}, due {day(milestone.due)}"
    return "every milestone is past its due date"


def progress_note(content: ReminderContent) -> Note | None:
    """'3 of 8 figures in for 2026-27 Q1': how far along the person is with the quarter."""
    if content.progress is None:
        return None
    done, total, quarter = content.progress
    return Note(text(f"{done} of {plural(total, 'figure')} in for {quarter}."))


def digest(content: ReminderContent, name_of: NameOf) -> Message:
    """Every figure overdue (older months too), grouped by Head of Service, oldest first; then
    people away with no cover and messages not yet delivered."""
    count = len(content.overdue)
    parts: list[Block] = [
        Para(
            text(
                Icon.CLIPBOARD,
                " ",
                Strong("Missing-data digest"),
                f" — {plural(count, 'figure')} overdue." if count else " — nothing is overdue.",
            )
        )
    ]
    groups: dict[str, list[tuple[str, str, str, date]]] = {}
    for ref, period, who, deadline, head in content.overdue:
        groups.setdefault(head, []).append((ref, period, who, deadline))
    heads = sorted(groups, key=lambda head: (not head, name_of(head) if head else ""))
    room = max(2, 40 // max(len(heads), 1))
    for head in heads:
        found = sorted(groups[head], key=lambda item: (item[3], item[0]))
        title = f"{name_of(head)}, Head of Service" if head else "No Head of Service named"
        lines = [
            text("• ", Code(ref), f" {period} — {name_of(who)}, due {day(deadline)}")
            for ref, period, who, deadline in found
        ]
        parts.append(Para(text(Strong(title), f" ({len(found)})")))
        parts += paragraphs(lines, room)
    if content.uncovered:
        parts.append(
            Para(text(Strong("Away with no cover"), " (their reminders could not be sent):"))
        )
        parts += paragraphs(
            [
                text(f"• {name_of(who)} — ", Code(ref), f" {period}")
                for who, ref, period in content.uncovered
            ],
            10,
        )
    if content.undelivered:
        parts.append(Para(text(Strong("Reminders not yet delivered"), " (still being retried):")))
        parts += paragraphs([_undelivered(line, name_of) for line in content.undelivered], 10)
    return Message(f"Missing-data digest: {count} overdue", tuple(parts[:50]))


SURFACES = {"slack": "Slack", "teams": "Teams"}


def _undelivered(line: Undelivered, name_of: NameOf) -> Text:
    """'• Chris Walker (Slack) — 3 messages, the oldest due Wed 07 Oct 2026: Slack answered
    500': one line per person, however many of theirs are waiting."""
    where = SURFACES.get(line.surface or "", "no chat used yet")
    return text(
        f"• {name_of(line.to)} ({where}) — {plural(line.count, 'message')}, "
        f"{'the oldest ' if line.count > 1 else ''}due {day(line.oldest)}: {clip(line.error, 160)}"
    )


def closed_note(ref: str, period: Period, version: int, by: str) -> Message:
    """What a collector's reminder becomes once the figure is submitted."""
    return Message.of(
        f"{ref} {period} was submitted",
        Para(
            text(
                Icon.DONE,
                " ",
                Strong(ref),
                f" {period} was submitted by {by} (version {version}). "
                "Thank you — nothing more is needed for this reminder.",
            )
        ),
    )
