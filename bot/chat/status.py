"""Help, refusals and status answers (PRODUCT §7: `/pmf help`, `/pmf status`)."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby

from bot.chat.model import (
    Block,
    Code,
    Em,
    Facts,
    Heading,
    Icon,
    Inline,
    Message,
    Note,
    Para,
    Strong,
    Text,
    clip,
    plain_of,
    text,
)
from bot.chat.words import (
    COMMITTEE_WORDS,
    arrow,
    badge,
    day,
    figure,
    milestone_lines,
    planned_milestones,
)
from bot.periods import Period, PeriodKind
from bot.status import StatusReport, StatusRow
from bot.text import counts_line, restated_words, state_words

MAX_PARTS = 50  # the most parts one message holds (Slack's block limit; Teams has room)
PARA_BUDGET = 2400  # characters of words in one paragraph, leaving room for markup

HELP: tuple[tuple[str, Text], ...] = (
    (
        "status [REF] [PERIOD]",
        text(
            "RAGG status of a measure (",
            Code("SE1.1"),
            "), an aim (",
            Code("SE1"),
            "), a priority (",
            Code("SE"),
            ") or the whole council. ",
            Em("e.g."),
            " ",
            Code("/pmf status SE1 2025-26 Q4"),
        ),
    ),
    (
        "submit REF [PERIOD]",
        text(
            "open the form to submit a figure and commentary. ",
            Em("e.g."),
            " ",
            Code("/pmf submit SE1.1"),
        ),
    ),
    ("due", text("what you still have to submit or review, with buttons")),
    (
        "away FROM TO [@cover]",
        text(
            "you are on leave: your reminders and reviews go to your cover, who is told. ",
            Em("e.g."),
            " ",
            Code("/pmf away today 31 Jul @Sam Lee"),
            "; ",
            Code("/pmf away"),
            " alone lists your leave, to cancel it",
        ),
    ),
    ("back", text("you are back early")),
    (
        "summary [PERIOD] [#channel]",
        text(
            "preview the quarter's RAGG summary; admins can post it to a channel. ",
            Em("e.g."),
            " ",
            Code("/pmf summary 2025-26 Q4"),
        ),
    ),
    (
        "signoff PERIOD",
        text(
            "Heads of Service: sign off your measures and projects for a quarter once all are "
            "approved. ",
            Em("e.g."),
            " ",
            Code("/pmf signoff 2025-26 Q4"),
        ),
    ),
    (
        "actions [REF|mine]",
        text(
            "tracked actions from exception reports, with buttons to say how they stand. ",
            Em("e.g."),
            " ",
            Code("/pmf actions mine"),
        ),
    ),
    (
        "report [PERIOD]",
        text(
            "where the quarter's report stands on its way to committee, with Approve / Refuse "
            "for Executive Directors and the Leadership Team. ",
            Em("e.g."),
            " ",
            Code("/pmf report 2025-26 Q4"),
        ),
    ),
    ("help", text("this list")),
)

PERIOD_HINT = text(
    "Periods look like ",
    Code("2025-26"),
    ", ",
    Code("2025-26 Q1"),
    ", ",
    Code("2025-26 H2"),
    " or ",
    Code("2025-07"),
    ".",
)


def help_message(intro: Text | None = None, summary: str | None = None) -> Message:
    lines: list[Inline] = [Strong("What I can do")]
    for command, what in HELP:
        lines += ["\n• ", Code(f"/pmf {command}"), " — ", *what]
    return Message.of(
        summary or (plain_of(intro) if intro else "pmf-bot commands"),
        Para(intro) if intro else None,
        Para(tuple(lines)),
        Note(PERIOD_HINT),
    )


def error_message(problem: str, hint: Text | str | None = None) -> Message:
    """A refusal or problem, with what to do next."""
    shown = text(Icon.WARNING, " ", problem)
    return Message.of(
        problem,
        Para(shown),
        Note(text(hint) if isinstance(hint, str) else hint) if hint else None,
    )


def refusal(problem: str) -> Message:
    return Message.plain(text(Icon.REFUSED, " ", problem))


# -- status -------------------------------------------------------------------------------------


def _line(row: StatusRow) -> Text:
    measure = row.measure
    travel = text(" · ", arrow(row.direction)) if row.direction else ()
    return text(
        badge(row.status),
        " ",
        Code(measure.ref),
        # Each line names its period: with "latest periods" a monthly measure's line is a
        # month and a quarterly one's a quarter, so the reader can match them with a summary.
        f" {clip(measure.title, 80)} — {row.period}: {figure(measure, row.value)} "
        f"({_against(row)})",
        travel,
        " · ",
        Em(state_words(row)),
    )


def _against(row: StatusRow) -> str:
    if row.measure.is_project:
        return "a project, by its milestones"
    return "no target" if row.target is None else "target " + row.shown_target


def paragraphs(lines: Sequence[Text], room: int, more: Text | None = None) -> list[Block]:
    """Lines gathered into paragraphs of a readable size, at most `room` of them; if some do
    not fit, the last part says how many were left out (with `more`, what to do)."""
    found: list[Block] = []
    current: list[Inline] = []
    size = 0
    shown = 0
    for line in lines:
        length = len(plain_of(line)) + 1
        if current and size + length > PARA_BUDGET:
            if len(found) + 1 >= room:
                break
            found.append(Para(tuple(current)))
            current, size = [], 0
        if current:
            current.append("\n")
        current.extend(line)
        size += length
        shown += 1
    if current and len(found) < room:
        found.append(Para(tuple(current)))
    hidden = len(lines) - shown
    if hidden > 0:
        found = found[: room - 1]
        found.append(Note(text(f"…and {hidden} more lines. ", more)))
    return found


def status_message(report: StatusReport) -> Message:
    if report.scope.kind == "measure":
        return measure_status(report.rows[0])
    title = (
        report.council
        if report.scope.kind == "council"
        else f"{report.scope.kind.capitalize()} {report.scope.code}"
    )
    when_text = str(report.requested) if report.requested else "latest periods"
    parts: list[Block] = [
        Heading(f"{title} — {when_text}"),
        Para(text(counts_line(report.rows))),
    ]
    lines: list[Text] = []
    for (code, name), rows in groupby(
        report.rows, key=lambda r: (r.measure.priority, r.measure.priority_name)
    ):
        if report.scope.kind != "aim":
            lines.append(text(Strong(f"{code} {name}")))
        lines.extend(_line(row) for row in rows)
    example = report.rows[0].measure.aim if report.rows else "SE1"
    more = text(
        "Ask for one aim or priority to see them all, e.g. ", Code(f"/pmf status {example}"), "."
    )
    parts += paragraphs(lines, MAX_PARTS - len(parts) - 1, more)
    latest: Text = ()
    if report.requested is None and report.rows:
        # Seen walking the sandbox: "latest periods" counted an annual measure's last year
        # beside this quarter's, so its counts differed from /pmf summary's with no word why.
        quarter = Period.containing(PeriodKind.QUARTER, max(r.period.end for r in report.rows))
        asked = " ".join(x for x in (report.scope.code, quarter.label) if x)
        latest = text(
            " Each line shows its own latest period, so the counts can differ from a "
            "quarter's summary; for the quarter as committees see it: ",
            Code(f"/pmf status {asked}"),
            ".",
        )
    parts.append(
        Note(
            text(
                "Committee view: Amber and Grey count as on target. Only approved figures are "
                "shown.",
                latest,
            )
        )
    )
    return Message(f"Status of {report.scope.code or 'the council'}", tuple(parts))


def travel(row: StatusRow) -> Text:
    """Direction of travel in words with its arrows (PRODUCT §4): a year-to-date measure is
    compared only with the same period a year earlier."""
    found: list[Inline] = []
    if row.measure.rule.cumulative:
        if row.direction_year:
            found += [
                *arrow(row.direction_year),
                f" on {row.period.year_earlier()} (year to date, same period last year)",
            ]
        return tuple(found) or text("no value for the same period last year to compare")
    if row.direction:
        found += [*arrow(row.direction), f" on {row.period.previous()}"]
    if row.direction_year:
        if found:
            found.append("\n")
        found += [*arrow(row.direction_year), f" on {row.period.year_earlier()}"]
    return tuple(found) or text("no earlier value to compare")


def measure_status(row: StatusRow) -> Message:
    measure = row.measure
    parts: list[Block] = [
        Heading(f"{measure.ref} {measure.title}"),
        Facts(
            (
                ("Period", text(f"{row.period} (deadline {day(row.deadline)})")),
                ("Status", text(badge(row.status), f" — {row.reason or row.status.meaning}")),
                ("Milestones" if measure.is_project else "Value", text(figure(measure, row.value))),
                *(
                    ()
                    if measure.is_project
                    else (
                        ("Target", text(row.shown_target)),
                        ("Direction of travel", travel(row)),
                    )
                ),
                ("Workflow", text(row.state.words)),
                *(
                    (("Data confidence", text(measure.confidence_words)),)
                    if measure.confidence_words
                    else ()
                ),
            )
        ),
    ]
    if row.restated is not None:
        parts.append(Para(text(Icon.EDIT, " ", clip(restated_words(row), 2800))))
    if row.milestones is not None:
        parts.append(Para(milestone_lines(row.milestones, row.period.end)))
    elif measure.is_project:
        parts.append(Para(planned_milestones(measure)))
    if row.commentary:
        label = "Commentary" if measure.is_project else "Performance overview"
        parts.append(Para(text(Strong(label), "\n", clip(row.commentary, 2800))))
    if row.actions:
        label = "Actions to improve performance"
        if measure.is_project:
            label = "Actions to get back on track"
        parts.append(Para(text(Strong(label), "\n", clip(row.actions, 2800))))
    parts.append(
        Note(
            text(
                f"Committee view: {COMMITTEE_WORDS[row.committee]} · priority "
                f"{measure.priority} · aim {measure.aim}"
            )
        )
    )
    return Message(f"Status of {measure.ref}", tuple(parts))
