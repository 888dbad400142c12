"""The quarter's RAGG summary as messages (PRODUCT §7): the counts first, then the exception
reports and the unapproved list as replies in its thread, so a large register stays readable
and within every platform's limits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.chat.model import (
    Block,
    Code,
    Heading,
    Icon,
    Inline,
    Message,
    Note,
    Para,
    Strong,
    Text,
    clip,
    text,
)
from bot.chat.words import RAGG_ICONS, arrow, badge, day, when
from bot.ragg import Direction, Ragg
from bot.summary import ORDER, Summary, Tally
from bot.text import restated_words
from bot.workflow import State

MAX_PARTS = 50


def counts(tally: Tally) -> Text:
    found: list[Inline] = []
    for n, status in enumerate(ORDER):
        if n:
            found.append(" · ")
        found += [RAGG_ICONS[status], f" {status.word} ", Strong(str(tally.counts[status]))]
    return tuple(found)


def share(tally: Tally) -> Text:
    percent = tally.on_target_share
    if percent is None:
        return text("nothing reported yet")
    reported = tally.on_target + tally.off_target
    return text(Strong(f"{tally.on_target} of {reported}"), f" on target ({percent}%)")


def travel(tally: Tally) -> Text:
    d = tally.directions
    return text(
        arrow(Direction.IMPROVING),
        f" {d[Direction.IMPROVING]} · ",
        arrow(Direction.DECLINING),
        f" {d[Direction.DECLINING]} · ",
        arrow(Direction.SAME),
        f" {d[Direction.SAME]}",
    )


def summary_messages(summary: Summary) -> list[Message]:
    """The first message, then the thread replies (exception details, unapproved figures)."""
    overall = summary.overall
    first: list[Block] = [
        Heading(f"{summary.council} — {summary.quarter} performance"),
        Note(
            text(
                f"Performance Board {day(summary.board_date)}. Committee view: Amber and Grey "
                "count as on target; a measure without a target is missing data. Only approved "
                "figures are counted."
            )
        ),
        Para(
            text(
                Strong("Overall:"),
                " ",
                counts(overall),
                "\nCommittee view: ",
                share(overall),
                f", {overall.missing} missing" if overall.missing else "",
                "\nDirection of travel (on the previous period; year-to-date measures on the "
                "same period last year): ",
                travel(overall),
            )
        ),
    ]
    for tally in summary.priorities[:30]:
        first.append(
            Para(
                text(
                    Strong(f"{tally.code} {clip(tally.name, 120)}"),
                    " — ",
                    counts(tally),
                    " · ",
                    share(tally),
                )
            )
        )
    exceptions, unapproved = summary.exceptions, summary.unapproved
    no_target, restated = summary.no_target, summary.restated
    not_due: dict[str, list[str]] = {}
    for row in summary.rows:
        if row.state is State.NOT_DUE and row.reason:
            not_due.setdefault(row.reason, []).append(row.measure.ref)
    lines: list[Inline] = []

    def line(*parts: Inline) -> None:
        if lines:
            lines.append("\n")
        lines.extend(parts)

    if exceptions:
        line(
            Icon.RED,
            " ",
            Strong(f"{len(exceptions)} {summary.exception_words}"),
            " — exception reports in the thread.",
        )
    if unapproved:
        line(
            Icon.HOURGLASS,
            " ",
            Strong(f"{len(unapproved)} not yet approved"),
            " — listed in the thread.",
        )
    if no_target:
        line(
            Icon.NO_TARGET,
            " ",
            Strong(f"{len(no_target)} without a target"),
            " — missing data, listed in the thread.",
        )
    if restated:
        line(
            Icon.EDIT,
            " ",
            Strong(f"{len(restated)} restated since publication"),
            " — listed in the thread.",
        )
    if summary.signoffs:
        signed = [s for s in summary.signoffs if s.signed_at is not None]
        names = ", ".join(s.name for s in signed) or "none yet"
        line(
            Icon.DONE if len(signed) == len(summary.signoffs) else Icon.WAITING,
            f" Signed off by {len(signed)} of {len(summary.signoffs)} Heads of Service: {names}.",
        )
    if lines:
        first.append(Para(tuple(lines)))
    if not_due:
        first.append(
            Note(
                text(
                    clip(
                        "Not due this quarter: "
                        + "; ".join(
                            f"{', '.join(refs)} ({reason})" for reason, refs in not_due.items()
                        ),
                        2400,
                    )
                )
            )
        )
    words = f"{summary.council} {summary.quarter}: " + ", ".join(
        f"{overall.counts[s]} {s.word}" for s in ORDER
    )
    messages = [Message(words, tuple(first[:MAX_PARTS]))]
    details: list[Block] = []
    for row in exceptions:
        measure = row.measure
        details.append(
            Para(
                text(
                    badge(row.status),
                    " ",
                    Strong(measure.ref),
                    f" {clip(measure.title, 200)} — {clip(row.against_words, 600)} "
                    f"({row.period})\n",
                    Strong("Performance overview:"),
                    f" {_text(row.commentary)}\n",
                    Strong("Actions to improve:"),
                    f" {_text(row.actions)}",
                )
            )
        )
    messages += paged(details, "Exception reports")
    groups = _grouped(
        [
            text(
                "• ",
                Code(row.measure.ref),
                f" {clip(row.measure.title, 80)} — {row.period}, {row.state.words}",
            )
            for row in unapproved
        ],
        25,
    )
    messages += paged([Para(group) for group in groups], "Not yet approved")
    groups = _grouped(
        [
            text(
                "• ",
                Code(row.measure.ref),
                f" {clip(row.measure.title, 80)} — {row.period}, {row.shown_value}: {row.reason}",
            )
            for row in no_target
        ],
        25,
    )
    messages += paged([Para(group) for group in groups], "No target set")
    groups = _grouped(
        [
            text(
                "• ",
                Code(row.measure.ref),
                f" {row.period} — now {row.shown_value}, {row.status.word}. "
                f"{clip(restated_words(row), 600)}",
            )
            for row in restated
        ],
        10,
    )
    messages += paged([Para(group) for group in groups], "Restated since publication")
    return messages


def _text(value: str | None) -> str:
    return clip(value or "none recorded", 1200)


def _grouped(lines: Sequence[Text], most: int) -> list[Text]:
    """The lines in groups of at most `most`, each group a readable paragraph."""
    groups: list[list[Inline]] = []
    count = 0
    size = 0
    for line in lines:
        length = sum(len(p) if isinstance(p, str) else 12 for p in line)
        if not groups or count >= most or size + length > 2400:
            groups.append([])
            count, size = 0, 0
        if groups[-1]:
            groups[-1].append("\n")
        groups[-1].extend(line)
        count += 1
        size += length
    return [tuple(group) for group in groups]


def paged(parts: Sequence[Block], title: str) -> list[Message]:
    pages = [parts[i : i + MAX_PARTS - 1] for i in range(0, len(parts), MAX_PARTS - 1)]
    return [
        Message(
            f"{title} ({n} of {len(pages)})",
            (
                Para(text(Strong(title), f" ({n} of {len(pages)})" if len(pages) > 1 else "")),
                *page,
            ),
        )
        for n, page in enumerate(pages, 1)
    ]


def draft_note(summary: Summary) -> Message:
    note = (
        f"Draft for checking: this summary goes to the channels on {day(summary.board_date)}. "
        "Figures approved before then are included."
    )
    return Message.plain(text(Icon.MEMO, " ", note))


def correction(
    ref: str, period: str, value: str, status: Ragg, by: str, moment: datetime, zone: ZoneInfo
) -> Message:
    words = (
        f"Correction: {ref} {period} was approved after this summary was posted — {value}, "
        f"{status.word} (approved by {by} at {when(moment, zone)}). The counts above are "
        "updated."
    )
    return Message.plain(text(Icon.EDIT, " ", words))


def chart_title(summary: Summary) -> str:
    return f"RAGG by priority, {summary.quarter}"
