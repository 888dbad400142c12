"""RAGG summaries in Slack (PRODUCT §7): rendering, posting with the chart, corrections.

The first message carries the counts; Red measures' exception details and the unapproved list
follow in its thread, so a large register stays within Block Kit's limits (50 blocks a
message, 3000 characters a text).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import summaries
from bot.chart import ragg_chart
from bot.periods import Period
from bot.ragg import Direction, Ragg
from bot.summary import ORDER, Summary, Tally, for_priority, quarter_for
from bot.text import restated_words
from bot.workflow import State
from handlers.slack.blocks import (
    ARROWS,
    EMOJI,
    MAX_MESSAGE_BLOCKS,
    MAX_TEXT,
    Block,
    badge,
    clip,
    context,
    day,
    header,
    section,
    when,
)
from handlers.slack.context import Deps
from storage import summary_store
from storage.engine import read_session

log = logging.getLogger(__name__)

Message = tuple[str, list[Block]]


def _counts(tally: Tally) -> str:
    parts = [f"{EMOJI[status]} {status.word} *{tally.counts[status]}*" for status in ORDER]
    return " · ".join(parts)


def _share(tally: Tally) -> str:
    share = tally.on_target_share
    if share is None:
        return "nothing reported yet"
    reported = tally.on_target + tally.off_target
    return f"*{tally.on_target} of {reported}* on target ({share}%)"


def _travel(tally: Tally) -> str:
    d = tally.directions
    return (
        f"{ARROWS[Direction.IMPROVING]} {d[Direction.IMPROVING]} · "
        f"{ARROWS[Direction.DECLINING]} {d[Direction.DECLINING]} · "
        f"{ARROWS[Direction.SAME]} {d[Direction.SAME]}"
    )


def summary_messages(summary: Summary, zone: ZoneInfo) -> list[Message]:
    """The first message, then the thread replies (exception details, unapproved figures,
    measures without a target, figures restated since publication)."""
    overall = summary.overall
    first: list[Block] = [
        header(clip(f"{summary.council} — {summary.quarter} performance", 150)),
        context(
            f"Performance Board {day(summary.board_date)}. Committee view: Amber and Grey "
            "count as on target; a measure without a target is missing data. Only approved "
            "figures are counted."
        ),
        section(
            f"*Overall:* {_counts(overall)}\nCommittee view: {_share(overall)}"
            f"{f', {overall.missing} missing' if overall.missing else ''}\n"
            f"Direction of travel (on the previous period; year-to-date measures on the same "
            f"period last year): {_travel(overall)}"
        ),
    ]
    for tally in summary.priorities[:30]:
        first.append(
            section(f"*{tally.code} {clip(tally.name, 120)}* — {_counts(tally)} · {_share(tally)}")
        )
    exceptions, unapproved = summary.exceptions, summary.unapproved
    no_target, restated = summary.no_target, summary.restated
    not_due: dict[str, list[str]] = {}
    for row in summary.rows:
        if row.state is State.NOT_DUE and row.reason:
            not_due.setdefault(row.reason, []).append(row.measure.ref)
    lines = []
    if exceptions:
        lines.append(
            f":red_circle: *{len(exceptions)} {summary.exception_words}* — exception reports "
            "in the thread."
        )
    if unapproved:
        lines.append(f":hourglass: *{len(unapproved)} not yet approved* — listed in the thread.")
    if no_target:
        lines.append(
            f":grey_question: *{len(no_target)} without a target* — missing data, listed in the "
            "thread."
        )
    if restated:
        lines.append(
            f":pencil2: *{len(restated)} restated since publication* — listed in the thread."
        )
    if summary.signoffs:
        signed = [s for s in summary.signoffs if s.signed_at is not None]
        names = ", ".join(s.name for s in signed) or "none yet"
        lines.append(
            f":white_check_mark: Signed off by {len(signed)} of "
            f"{len(summary.signoffs)} Heads of Service: {names}."
        )
    if lines:
        first.append(section("\n".join(lines)))
    if not_due:
        first.append(
            context(
                clip(
                    "Not due this quarter: "
                    + "; ".join(
                        f"{', '.join(refs)} ({reason})" for reason, refs in not_due.items()
                    ),
                    MAX_TEXT - 100,
                )
            )
        )
    text = f"{summary.council} {summary.quarter}: " + ", ".join(
        f"{overall.counts[s]} {s.word}" for s in ORDER
    )
    messages: list[Message] = [(text, first[:MAX_MESSAGE_BLOCKS])]
    details: list[Block] = []
    for row in exceptions:
        measure = row.measure
        details.append(
            section(
                f"{badge(row.status)} *{measure.ref}* {clip(measure.title, 200)} — "
                f"{row.shown_value} against {row.shown_target} "
                f"({row.period})\n*Performance overview:* {_text(row.commentary)}"
                f"\n*Actions to improve:* {_text(row.actions)}"
            )
        )
    messages += _paged(details, "Exception reports")
    lines = [
        f"• `{row.measure.ref}` {clip(row.measure.title, 80)} — {row.period}, {row.state.words}"
        for row in unapproved
    ]
    messages += _paged([section(text) for text in _joined(lines, 25)], "Not yet approved")
    lines = [
        f"• `{row.measure.ref}` {clip(row.measure.title, 80)} — {row.period}, "
        f"{row.shown_value}: {row.reason}"
        for row in no_target
    ]
    messages += _paged([section(text) for text in _joined(lines, 25)], "No target set")
    lines = [
        f"• `{row.measure.ref}` {row.period} — now {row.shown_value}, {row.status.word}. "
        f"{clip(restated_words(row), 600)}"
        for row in restated
    ]
    messages += _paged([section(text) for text in _joined(lines, 10)], "Restated since publication")
    return messages


def _joined(lines: list[str], most: int) -> list[str]:
    """The lines in groups of at most `most`, each group's text within MAX_TEXT (a longer
    section text would be cut short, dropping measures from the list)."""
    groups: list[list[str]] = []
    for line in lines:
        if not groups or len(groups[-1]) >= most or len("\n".join([*groups[-1], line])) > MAX_TEXT:
            groups.append([])
        groups[-1].append(line)
    return ["\n".join(group) for group in groups]


def _text(value: str | None) -> str:
    return clip(value or "none recorded", 1200)


def _chunks(items: list[Any], size: int) -> list[list[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _paged(blocks_: list[Block], title: str) -> list[Message]:
    pages = _chunks(blocks_, MAX_MESSAGE_BLOCKS - 1)
    return [
        (
            f"{title} ({n} of {len(pages)})",
            [section(f"*{title}*" + (f" ({n} of {len(pages)})" if len(pages) > 1 else "")), *page],
        )
        for n, page in enumerate(pages, 1)
    ]


@dataclass(frozen=True)
class Posted:
    channel: str
    ts: str
    thread: list[str]


def post_summary(
    client: WebClient, summary: Summary, channel: str, zone: ZoneInfo, *, with_chart: bool = True
) -> Posted:
    """Post the summary to `channel` (an id or #name), its details in the thread, and the
    RAGG chart. Raises SlackApiError if the first message cannot be posted."""
    messages = summary_messages(summary, zone)
    text, first = messages[0]
    answer = client.chat_postMessage(channel=channel, text=text, blocks=first)
    channel_id, ts = str(answer["channel"]), str(answer["ts"])
    thread: list[str] = []
    for text, shown in messages[1:]:
        # The summary is posted now: a refused reply must not make the caller post it again.
        try:
            reply = client.chat_postMessage(
                channel=channel_id, thread_ts=ts, text=text, blocks=shown
            )
        except Exception as error:  # SlackApiError, or the connection failing after retries
            log.warning("could not post %r in the thread: %s", text, _reason(error))
            continue
        thread.append(str(reply["ts"]))
    if with_chart and summary.rows:
        try:
            client.files_upload_v2(
                channel=channel_id,
                thread_ts=ts,
                content=ragg_chart(summary),
                filename=f"ragg-{summary.quarter.label.replace(' ', '-')}.png",
                title=f"RAGG by priority, {summary.quarter}",
                alt_txt="Bar chart of Red, Amber, Green, Grey and missing counts per priority",
            )
        except Exception as error:  # also SlackRequestError when the upload itself fails
            log.warning("could not upload the summary chart: %s", _reason(error))
    return Posted(channel_id, ts, thread)


def _reason(error: Exception) -> object:
    return error.response.get("error") if isinstance(error, SlackApiError) else error


def update_posted(
    client: WebClient, summary: Summary, posted: Posted, zone: ZoneInfo, correction: str
) -> None:
    """A figure approved after posting: rewrite the counts in place and note it in the
    thread."""
    text, first = summary_messages(summary, zone)[0]
    try:
        client.chat_update(channel=posted.channel, ts=posted.ts, text=text, blocks=first)
        client.chat_postMessage(
            channel=posted.channel,
            thread_ts=posted.ts,
            text=correction,
            blocks=[section(f":pencil2: {correction}")],
        )
    except SlackApiError as error:
        log.warning("could not correct the posted summary: %s", error.response.get("error"))


def correction_text(
    ref: str, period: str, value: str, status: Ragg, by: str, moment: Any, zone: ZoneInfo
) -> str:
    return (
        f"Correction: {ref} {period} was approved after this summary was posted — {value}, "
        f"{status.word} (approved by {by} at {when(moment, zone)}). The counts above are "
        "updated."
    )


class SlackSummaryPoster:
    """Posts scheduled summaries to channels and drafts to admins by direct message."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def post(self, summary: Summary, channel: str) -> tuple[str, str, list[str]]:
        posted = post_summary(self.deps.client, summary, channel, self.deps.zone)
        return posted.channel, posted.ts, posted.thread

    def draft(self, summary: Summary, email: str) -> tuple[str, str, list[str]]:
        user_id = self.deps.directory.user_for(email)
        if user_id is None:
            raise RuntimeError(f"{email} is not found in Slack")
        channel = self.deps.directory.dm_channel(user_id)
        note = (
            f"Draft for checking: this summary goes to the channels on "
            f"{day(summary.board_date)}. Figures approved before then are included."
        )
        self.deps.client.chat_postMessage(
            channel=channel, text=note, blocks=[section(f":memo: {note}")]
        )
        posted = post_summary(self.deps.client, summary, channel, self.deps.zone)
        return posted.channel, posted.ts, posted.thread


def correct_posted(deps: Deps, ref: str, period: Period, by: str) -> None:
    """After a late approval, update every summary already posted for that quarter."""
    quarter = quarter_for(period)
    with read_session(deps.engine) as session:
        posts = summary_store.posted_for(session, quarter.label)
    if not posts:
        return
    council = deps.council()
    whole = summaries.summary(deps.engine, council, quarter, today=deps.now().date())
    row = next((r for r in whole.rows if r.measure.ref == ref), None)
    if row is None or row.period != period:  # e.g. February: the Q4 summary shows March
        return
    correction = correction_text(
        ref,
        str(row.period),
        row.measure.format_value(row.value),
        row.status,
        by,
        deps.now(),
        deps.zone,
    )
    for post in posts:
        scope = post.key.rsplit("|", 1)[-1] if post.key.startswith("post|") else "ALL"
        if scope != "ALL" and scope != row.measure.priority:
            continue
        shown = for_priority(whole, scope) if scope != "ALL" else whole
        assert post.channel is not None and post.message_ts is not None
        update_posted(
            deps.client,
            shown,
            Posted(post.channel, post.message_ts, post.thread_ts),
            deps.zone,
            correction,
        )
