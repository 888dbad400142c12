"""The conversation, whatever the chat platform (PRODUCT §7, §10).

A surface hands over who is talking and what they did — a command (`/pmf status SE1` in Slack,
`status SE1` in Teams), a button's intent, a filled-in form, a message — and gets back what to
do: a `Reply` for that person only, a form to open, errors to show on the form, a form
accepted, or a summary to post. Every rule is here, checked against the database; surfaces only
render and transport.

Anything a person does that changes data is committed, with the outbox rows for what must
follow (cards, notices, home pages), before this returns — so a surface acknowledges only what
is already safe (issue 11).
"""

from __future__ import annotations

import difflib
import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from bot import actions, chain, leave, people, services, summaries
from bot.chat import actions as actions_view
from bot.chat import cards, intents
from bot.chat import chain as chain_view
from bot.chat import channels as chat_channels
from bot.chat import inbox as inbox_view
from bot.chat import leave as leave_view
from bot.chat import people as people_view
from bot.chat import reminders as reminders_view
from bot.chat import status as status_view
from bot.chat import summaries as summaries_view
from bot.chat.model import (
    Actions,
    Block,
    Button,
    Code,
    Form,
    Icon,
    Intent,
    Message,
    Note,
    Para,
    Strong,
    Style,
    Text,
    clip,
    plain_of,
    text,
)
from bot.delivery import DeliveryError, Transport
from bot.errors import NotFound
from bot.inbox import inbox
from bot.measures import ValueProblem, check_value
from bot.periods import EXAMPLES, Period, PeriodError, fy_label, fy_of
from bot.reminders import COLLECTOR_KINDS
from bot.snooze import snooze_reminder
from bot.status import CouncilInfo
from bot.submissions import (
    AlreadyDecided,
    Invalid,
    WorkflowError,
    check_decidable,
    check_reopenable,
    decide,
    pending_view,
    reopen,
    submission_form,
    submit,
    would_be,
)
from bot.summary import Summary
from storage import reminder_store
from storage.engine import read_session
from storage.workflow_store import name_of

log = logging.getLogger(__name__)

NOT_IN_REGISTER = (
    "You are not in the council's measure register, so you cannot {what}. You can still read "
    "status with /pmf status. If you should be in the register, ask the Performance & Policy "
    "Officer to add your e-mail address."
)
SORRY = (
    "Sorry, something went wrong on our side. Nothing you entered was lost; please try again "
    "in a minute, and tell the Performance & Policy Officer if it keeps happening."
)
MAX_BUTTON_VALUE = 1900


@dataclass(frozen=True)
class Someone:
    """The person behind a chat user: in the register (`email` set) or not."""

    user_id: str
    email: str | None
    name: str | None
    is_admin: bool = False
    refused_as: str | None = None  # claims this register person's e-mail; linked elsewhere
    surface: str = "slack"  # the chat surface the account is on (bot.people.SURFACES)

    @property
    def known(self) -> bool:
        return self.email is not None


def claimed(
    engine: Engine,
    *,
    surface: str,
    user_id: str,
    email: str,
    display_name: str | None,
    now: datetime,
) -> Someone:
    """The register person whose e-mail an account's chat profile gives (`bot.people.claim`):
    bound when that person has no account on this surface yet; refused (audited, the admins
    told, a warning logged) when they already use another one. Every surface calls this once it
    has looked the account's e-mail up in its own directory."""
    found = people.claim(
        engine,
        surface=surface,
        user_id=user_id,
        email=email,
        display_name=display_name,
        now=now,
    )
    if found.refused_as is not None:
        log.warning(
            "%s user %s claims the e-mail of a register person linked to another account; "
            "refused and reported to the admins",
            people.SURFACE_NAMES.get(surface, surface),
            user_id,
        )
    return Someone(
        user_id, found.email, found.name, found.is_admin, found.refused_as, surface=surface
    )


@dataclass
class Core:
    """What the conversation needs: the database, the clock and the council's zone."""

    engine: Engine
    clock: Callable[[], datetime]
    zone: ZoneInfo

    def now(self) -> datetime:
        return self.clock().astimezone(self.zone)

    def today(self) -> date:
        return self.now().date()

    def council(self) -> CouncilInfo:
        return services.council_info(self.engine)


# -- what a surface is asked to do -------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """Tell the person (only them)."""

    message: Message


@dataclass(frozen=True)
class OpenForm:
    """Open a form (a Slack modal, a Teams dialog); `fallback` if it cannot be opened."""

    form: Form
    fallback: Message


@dataclass(frozen=True)
class FormErrors:
    """Show these problems on the form, by field name; nothing was stored."""

    errors: dict[str, str]


@dataclass(frozen=True)
class Accepted:
    """The form was accepted (and committed); close it, telling the person `reply` if any."""

    reply: Message | None = None


@dataclass(frozen=True)
class PostSummary:
    """Post a summary to a channel now (an admin asked), then tell them `done`/`failed`."""

    summary: Summary
    channel: str
    by: str
    shown: str = ""  # the channel as the person named it ("#performance")


Outcome = Reply | OpenForm | FormErrors | Accepted | PostSummary | None


def post_summary(
    core: Core,
    transport: Transport,
    outcome: PostSummary,
    *,
    surface: str,
    hint: Callable[[DeliveryError], str] = lambda error: "",
) -> Message:
    """Carry out an admin's `summary QUARTER CHANNEL`: post it now through `transport`
    (`summaries.post_now` remembers it, so late approvals correct it) and say how it went.
    The surface names itself in a failure and may add its own advice (`hint`)."""
    where = outcome.shown or outcome.channel
    try:
        summaries.post_now(
            core.engine,
            transport,
            outcome.summary,
            channel=outcome.channel,
            shown=where,
            by=outcome.by,
            now=core.now(),
        )
    except DeliveryError as error:
        name = people.SURFACE_NAMES.get(surface, surface)
        return Message.plain(
            text(Icon.WARNING, f" {name} would not post to {where} ({error}).{hint(error)}")
        )
    return Message.plain(
        text(Icon.DONE, f" Posted the {outcome.summary.quarter} summary to {where}.")
    )


def not_in_register(what: str) -> Reply:
    return Reply(Message.plain(NOT_IN_REGISTER.format(what=what)))


def _refused(error: Exception) -> Reply:
    return Reply(status_view.refusal(str(error)))


# -- commands -----------------------------------------------------------------------------------

Handler = Callable[["Core", Someone, str, Mapping[str, str | None], str | None], Outcome]


def _split_command(words: str) -> tuple[str, str]:
    """`/pmf WORDS` → (the verb, lower case; "help" when none, the rest of the words)."""
    parts = words.split()
    verb = parts[0].lower() if parts else "help"
    if verb == "/pmf" or verb == "pmf":  # Teams: a leading /pmf works too
        parts = parts[1:]
        verb = parts[0].lower() if parts else "help"
    return verb, " ".join(parts[1:])


def reads_only(words: str) -> bool:
    """Whether the command only reads (it changes nothing and opens no form), so a surface may
    acknowledge it before its answer is ready."""
    return _split_command(words)[0] in READ_ONLY


def command(
    core: Core,
    who: Someone,
    words: str,
    *,
    mentions: Mapping[str, str | None] | None = None,
    channel: str | None = None,
) -> Outcome:
    """`/pmf WORDS` (Slack) or `WORDS` in a personal chat (Teams). `mentions` maps each
    mention token in the text to the e-mail of the person named (None: not in the register)."""
    verb, rest = _split_command(words)
    if who.refused_as is not None and verb not in ("help", "status"):
        return Reply(people_view.not_linked(who.refused_as, who.surface))
    handler = COMMANDS.get(verb)
    if handler is None:
        close = difflib.get_close_matches(verb, list(COMMANDS), n=1)
        hint = text(" Did you mean ", Code(f"/pmf {close[0]}"), "?") if close else ()
        intro = text(Icon.PUZZLED, " I don't know ", Code(verb), ".", hint)
        said = f"I don't know '{verb}'." + (f" Did you mean `/pmf {close[0]}`?" if close else "")
        return Reply(status_view.help_message(intro, said))
    return handler(core, who, rest, mentions or {}, channel)


def _help(
    core: Core, who: Someone, rest: str, mentions: Mapping[str, str | None], channel: str | None
) -> Outcome:
    return Reply(status_view.help_message())


BARE_PART = re.compile(r"^\s*([QqHh])\s*([1-4])\s*$")


def period_suggestions(words: str, today_fy: int) -> list[str]:
    """Full period labels close to what was typed; a bare 'q4' or 'H1' gets that part of this
    year and last year."""
    bare = BARE_PART.match(words)
    if bare:
        part = f"{bare.group(1).upper()}{bare.group(2)}"
        if part[0] == "H" and part[1] not in "12":
            return []
        return [f"{fy_label(fy)} {part}" for fy in (today_fy, today_fy - 1)]
    labels = []
    for fy in (today_fy - 1, today_fy):
        labels.append(fy_label(fy))
        labels += [f"{fy_label(fy)} Q{n}" for n in range(1, 5)]
        labels += [f"{fy_label(fy)} H{n}" for n in (1, 2)]
    return difflib.get_close_matches(words.strip(), labels, n=3, cutoff=0.4)


def split_ref_period(words: str) -> tuple[str | None, str | None]:
    """'SE1 2025-26 Q4' → ('SE1', '2025-26 Q4'); '2025-26 Q4' → (None, '2025-26 Q4')."""
    words = words.strip()
    if not words:
        return None, None
    try:
        Period.parse(words)
        return None, words
    except PeriodError:
        pass
    ref, _, period = words.partition(" ")
    try:
        Period.parse(ref)
    except PeriodError:
        return ref, period.strip() or None
    return None, words  # a malformed period after a good year ('2025-26 Q0') is still a period


def period_problem(core: Core, error: PeriodError, typed: str) -> Reply:
    close = period_suggestions(typed, fy_of(core.today()))
    hint: Text | None = text("Did you mean ", *_or_codes(close), "?") if close else None
    if hint is None and EXAMPLES not in str(error):
        hint = status_view.PERIOD_HINT  # said once: the error may already show the examples
    return Reply(status_view.error_message(f"{error}.", hint))


def _or_codes(labels: list[str]) -> Text:
    found: list[Any] = []
    for n, label in enumerate(labels):
        if n:
            found.append(" or ")
        found.append(Code(label))
    return tuple(found)


def _status(
    core: Core, who: Someone, rest: str, mentions: Mapping[str, str | None], channel: str | None
) -> Outcome:
    ref, period_text = split_ref_period(rest)
    try:
        period = Period.parse(period_text) if period_text else None
    except PeriodError as error:
        return period_problem(core, error, period_text or "")
    try:
        report = services.status(core.engine, ref, period, today=core.today())
    except NotFound as error:
        hint = (
            text("Try ", Code("/pmf status"), " for the whole council.")
            if not error.suggestions
            else None
        )
        return Reply(status_view.error_message(str(error), hint))
    return Reply(status_view.status_message(report))


def _submit(
    core: Core, who: Someone, rest: str, mentions: Mapping[str, str | None], channel: str | None
) -> Outcome:
    if who.email is None:
        return not_in_register("submit figures")
    ref, _, period_text = rest.strip().partition(" ")
    if not ref:
        return Reply(
            Message.plain(
                text(
                    "Which measure? For example ",
                    Code("/pmf submit SE1.1"),
                    " or ",
                    Code("/pmf submit SE1.1 2026-27 Q2"),
                    ".",
                )
            )
        )
    return open_submission(core, who.email, ref, period_text or None, channel=channel)


def open_submission(
    core: Core,
    email: str,
    ref: str,
    period_text: str | None,
    *,
    channel: str | None = None,
    prefill: tuple[str, str] | None = None,
) -> Outcome:
    """The submission form, or why it cannot be opened (shared by commands and buttons)."""
    try:
        form = submission_form(
            core.engine,
            core.council(),
            ref=ref,
            period_text=period_text,
            actor=email,
            today=core.today(),
        )
    except PeriodError as error:
        return period_problem(core, error, period_text or "")
    except (NotFound, WorkflowError) as error:
        return Reply(status_view.error_message(str(error)))
    fallback = Message.plain(
        text(
            "The form did not open in time. Please try ",
            Code(f"/pmf submit {form.measure.ref} {form.period}"),
            " again.",
        )
    )
    return OpenForm(cards.submission_form(form, channel, prefill), fallback)


def _due(
    core: Core, who: Someone, rest: str, mentions: Mapping[str, str | None], channel: str | None
) -> Outcome:
    if who.email is None:
        return not_in_register("have figures due")
    box = inbox(core.engine, core.council(), email=who.email, today=core.today())
    return Reply(inbox_view.due_message(box))


def _leave_days(words: list[str], today: date) -> list[date]:
    """The first two dates in `words`, where a date may take several words ('14 Jul 2026')."""
    found: list[date] = []
    start = 0
    while start < len(words) and len(found) < 2:
        for size in (3, 2, 1):
            if start + size > len(words):
                continue
            try:
                found.append(leave.parse_day(" ".join(words[start : start + size]), today))
            except leave.LeaveProblem:
                if size == 1:
                    raise
                continue
            start += size
            break
    return found


def _split_cover(rest: str, mentions: Mapping[str, str | None]) -> tuple[str, str | None]:
    """(the dates, the cover as typed): the cover is the first mention (`<@U123|sam>` from
    Slack's client, `@Sam Lee` from Teams), else an e-mail, else `@` and a name to the end."""
    found = [(rest.find(token), token) for token in mentions if token and token in rest]
    if found:
        at, token = min(found)
        return rest[:at], token
    words = rest.split()
    for n, word in enumerate(words):
        if word.startswith("@") or ("@" in word and "." in word.split("@")[-1]):
            cover = word if not word.startswith("@") else " ".join(words[n:])
            return " ".join(words[:n]), cover
    return rest, None


def _away(
    core: Core, who: Someone, rest: str, mentions: Mapping[str, str | None], channel: str | None
) -> Outcome:
    if who.email is None:
        return not_in_register("record leave")
    today = core.today()
    if not rest.strip():
        return Reply(
            leave_view.booked_list(leave.booked(core.engine, email=who.email, today=today), today)
        )
    usage = Message.plain(
        text(
            "Tell me the first and last day you are away, and who covers, for example ",
            Code("/pmf away 2026-07-14 2026-07-25 @Sam Lee"),
            " or ",
            Code("/pmf away today 31 Jul @Sam Lee"),
            ". " + leave.DATE_HINT,
        )
    )
    dates_text, named = _split_cover(rest, mentions)
    dates = dates_text.split()
    if not dates:
        return Reply(usage)
    try:
        days = _leave_days(dates, today)
        if len(days) < 2 and dates[0].lower() not in ("today", "tomorrow"):
            return Reply(usage)
        starts = days[0]
        ends = days[1] if len(days) > 1 else starts
        cover = _cover_email(core, named, mentions) if named else None
        council = core.council()
        away = leave.set_away(
            core.engine,
            email=who.email,
            starts=starts,
            ends=ends,
            cover=cover,
            now=core.now(),
            calendar=council.calendar,
            at=council.reminders.at,
        )
    except leave.LeaveProblem as error:
        return Reply(Message.plain(text(Icon.WARNING, " ", str(error))))
    with read_session(core.engine) as session:
        cover_name = name_of(session, away.cover) if away.cover else None
    cover_words: Text = (
        text(
            f"{cover_name} will get your reminders and review requests, and may submit or "
            "decide for you; I have told them, and will again when your leave starts."
            if away.starts > today
            else f"{cover_name} will get your reminders and review requests, and may submit "
            "or decide for you; I have told them."
        )
        if cover_name
        else text(
            "You have named no cover, so the Performance & Policy Officer will see your "
            "reminders in their digest. Add one with ",
            Code("/pmf away … @name"),
            ".",
        )
    )
    return Reply(
        Message.plain(
            text(
                Icon.LEAVE,
                f" Noted: you are away {leave_view.span(away)}. ",
                cover_words,
                *_not_covered_words(away, cover_name),
                " Use ",
                Code("/pmf back"),
                " if you return early, or ",
                Code("/pmf away"),
                " to see or cancel your leave.",
            )
        )
    )


def _and(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _not_covered_words(away: leave.Away, cover_name: str | None) -> list[str]:
    """Why the cover may not review some measures for the person away, and who does."""
    if not away.not_covered or cover_name is None:
        return []
    refs = [item.ref for item in away.not_covered]
    whys = list(dict.fromkeys(item.why for item in away.not_covered))
    if len(whys) == 1:
        because = f"{whys[0]} {'it' if len(refs) == 1 else 'them'}"
    else:
        because = _and(
            [f"{why} {_and([i.ref for i in away.not_covered if i.why == why])}" for why in whys]
        )
    found = [
        f" Except for {_and(refs)}: {cover_name} cannot review "
        f"{'it' if len(refs) == 1 else 'them'} for you, because they {because}, and nobody may "
        "review figures they collect or cover (segregation of duties)."
    ]
    insteads = list(dict.fromkeys(item.instead for item in away.not_covered))
    for instead in insteads:
        which = (
            "those review requests"
            if len(insteads) == 1
            else "the review requests for "
            + _and([item.ref for item in away.not_covered if item.instead == instead])
        )
        found.append(
            f" {instead}, the Head of Service, will get {which} instead."
            if instead
            else f" {which[0].upper()}{which[1:]} will wait for your return."
        )
    return found


def _cover_email(core: Core, word: str, mentions: Mapping[str, str | None]) -> str:
    if word in mentions:
        email = mentions[word]
        if email is None:
            raise leave.LeaveProblem(
                "The person you named is not in the council's register, "
                "so they cannot cover. Choose someone who is."
            )
        return email
    if "@" in word and not word.startswith("@") and "." in word.split("@")[-1]:
        return word.strip("<>").removeprefix("mailto:").split("|")[0].lower()
    return leave.cover_by_name(core.engine, word)


def _back(
    core: Core, who: Someone, rest: str, mentions: Mapping[str, str | None], channel: str | None
) -> Outcome:
    if who.email is None:
        return not_in_register("record leave")
    ended = leave.come_back(core.engine, email=who.email, now=core.now())
    if ended:
        return Reply(
            Message.plain(
                text(
                    Icon.WELCOME,
                    " Welcome back — your reminders and review requests come to you again.",
                )
            )
        )
    today = core.today()
    later = [a for a in leave.booked(core.engine, email=who.email, today=today) if a.starts > today]
    if later:
        return Reply(leave_view.back_but_booked(later, today))
    return Reply(Message.plain("You were not recorded as away, so nothing has changed."))


CHANNEL_WORD = re.compile(r"^(?:<#([A-Z0-9]+)(?:\|([^>]*))?>|#\S+)$")


def _teams_channel(word: str) -> str | None:
    """The Teams channel id in `word` (its link from "Get link to channel", or the id)."""
    if chat_channels.TEAMS_CHANNEL.match(word):
        return word
    return chat_channels.teams_channel_of_link(word)


def _summary(
    core: Core, who: Someone, rest: str, mentions: Mapping[str, str | None], channel: str | None
) -> Outcome:
    words = rest.split()
    channels = [w for w in words if CHANNEL_WORD.match(w) or _teams_channel(w)]
    period_text = " ".join(w for w in words if w not in channels) or None
    today = core.today()
    try:
        quarter = summaries.quarter_of(period_text, today)
    except PeriodError as error:
        return period_problem(core, error, period_text or "")
    whole = summaries.summary(core.engine, core.council(), quarter, today=today)
    if not channels:
        messages = summaries_view.summary_messages(whole)
        first = messages[0]
        hint: Text = (
            text(
                "Admins can post it with ",
                Code(f"/pmf summary {quarter} #channel"),
                " (in Teams, the channel's link from Get link to channel in place of #channel).",
            )
            if who.is_admin
            else text("The Performance & Policy Officer posts summaries to the channels.")
        )
        note = Note(
            text(
                Icon.PREVIEW,
                f" Preview — only you can see this. {len(messages) - 1} thread "
                "messages follow when it is posted. ",
                hint,
            )
        )
        return Reply(Message(first.summary, (*first.blocks[: status_view.MAX_PARTS - 1], note)))
    if not who.is_admin or who.email is None:
        return Reply(
            Message.plain(
                text(
                    "Only the Performance & Policy Officer (an admin in the register) can post "
                    "summaries to channels. You can preview it with ",
                    Code(f"/pmf summary {quarter}"),
                    ".",
                )
            )
        )
    teams = _teams_channel(channels[0])
    if teams is not None:  # a Teams channel's link or id, as the register names one
        return PostSummary(whole, teams, who.email, "the Teams channel")
    match = CHANNEL_WORD.match(channels[0])
    target = match.group(1) if match and match.group(1) else channels[0]
    shown = f"#{match.group(2)}" if match and match.group(2) else channels[0]
    if shown.startswith("<#"):
        shown = "the channel"
    return PostSummary(whole, target, who.email, shown)


def _signoff(
    core: Core, who: Someone, rest: str, mentions: Mapping[str, str | None], channel: str | None
) -> Outcome:
    if who.email is None:
        return not_in_register("sign off")
    try:
        done = summaries.sign_off(
            core.engine, core.council(), email=who.email, quarter_text=rest or None, now=core.now()
        )
    except summaries.SignOffRefused as error:
        shown = status_view.error_message(str(error))
        lines = [
            text(
                "• ",
                Code(row.measure.ref),
                f" {clip(row.measure.title, 80)} — {row.period}, {row.state.words}",
            )
            for row in error.outstanding[:40]
        ]
        if lines:
            joined: list[Any] = [Strong("Still outstanding")]
            for line in lines:
                joined += ["\n", *line]
            shown = Message(shown.summary, (*shown.blocks, Para(tuple(joined))))
        return Reply(shown)
    # What happens next (seen walking the sandbox: the last Head of Service was not told that
    # the report had gone on to the Executive Directors).
    after = chain.state(core.engine, core.council(), done.quarter)
    waiting = _and(after.waiting_for) if after is not None and after.waiting_for else ""
    if after is None or not waiting:
        next_words = ""
    elif after.stage == "heads_of_service":
        next_words = f" The report now waits for the sign-off of {waiting}."
    else:
        whom = "Executive Directors" if after.stage == "executive_directors" else "Leadership Team"
        next_words = (
            f" Every Head of Service has signed off: the report has gone to {waiting} "
            f"({whom}) for approval."
        )
    return Reply(
        Message.plain(
            text(
                Icon.DONE,
                f" Signed off {done.quarter}: {_signed_measures(done)}. Summaries now show "
                f"your sign-off.{next_words}",
            )
        )
    )


def _signed_measures(done: summaries.SignedOff) -> str:
    """ "all 6 of your measures are approved", or, with some not reported this quarter, "all 5
    of your measures due this quarter are approved (1 more is not due this quarter)"; "measures
    and projects" when projects are among them."""
    kinds = "measures and projects" if done.projects else "measures"
    if not done.not_due:
        return f"all {done.measures} of your {kinds} are approved"
    due = done.measures - done.not_due
    if due == 0:
        return f"none of your {kinds} is reported this quarter"
    more = "1 more is" if done.not_due == 1 else f"{done.not_due} more are"
    return f"all {due} of your {kinds} due this quarter are approved ({more} not due this quarter)"


def _report(
    core: Core, who: Someone, rest: str, mentions: Mapping[str, str | None], channel: str | None
) -> Outcome:
    """`/pmf report [QUARTER]`: where the quarter's report stands in its sign-off chain, with
    Approve / Refuse for the person whose decision it waits for."""
    council = core.council()
    try:
        quarter = chain.quarter_named(rest or None, core.today())
    except chain.ChainRefused as error:
        return _refused(error)
    current = chain.state(core.engine, council, quarter)
    if current is None:
        return Reply(
            Message.plain(
                "This council's register has no approval chain after the Heads of Service: "
                f"see /pmf summary {quarter} for their sign-off."
            )
        )
    mine = []
    if who.email is not None and council.chain is not None:
        stage = current.stage
        for scope in council.chain.scopes_of(who.email):
            step = current.step(scope)
            ready = (stage == "executive_directors" and scope != chain.LEADERSHIP) or (
                stage == "leadership_team" and scope == chain.LEADERSHIP
            )
            if step is not None and ready and not step.approved:
                mine.append(step)
    timetable = chain.agenda_deadline(council, quarter)
    meeting, deadline = timetable if timetable else (None, None)
    return Reply(
        chain_view.chain_status(current, core.zone, mine=mine, meeting=meeting, deadline=deadline)
    )


def _actions(
    core: Core, who: Someone, rest: str, mentions: Mapping[str, str | None], channel: str | None
) -> Outcome:
    """`/pmf actions [REF|mine|all]`: tracked actions from approved exception reports."""
    word = rest.strip()
    today = core.today()
    if word.lower() == "mine":
        if who.email is None:
            return not_in_register("own actions")
        found = actions.listing(core.engine, email=who.email, only_owned=True)
        title = "Your actions"
    elif word.lower() in ("", "all"):
        if word == "" and who.email is not None and not who.is_admin:
            found = actions.listing(core.engine, email=who.email)
            title = "Actions on your measures and projects"
        else:
            found = actions.listing(core.engine)
            title = "Open actions, whole council"
    else:
        ref = word.split()[0].upper()
        if ref not in services.measures(core.engine):
            return _refused(
                NotFound(
                    f"There is no measure or project {ref}. Measures look like SE1.1, "
                    "projects like SE1.P1."
                )
            )
        found = actions.listing(core.engine, ref=ref)
        title = f"Actions on {ref}"
    editable = [
        a.id
        for a in found
        if who.email is not None
        and (who.is_admin or who.email in (a.owner, a.collector, a.reviewer, a.head_of_service))
    ]
    return Reply(actions_view.listing(found, today, title=title, editable=editable))


COMMANDS: dict[str, Handler] = {
    "help": _help,
    "status": _status,
    "submit": _submit,
    "due": _due,
    "away": _away,
    "back": _back,
    "summary": _summary,
    "signoff": _signoff,
    "report": _report,
    "actions": _actions,
}
# The commands that change nothing and open no form (the others are committed before they are
# acknowledged, or open a form whose trigger lasts only moments).
READ_ONLY = frozenset({"help", "status", "due", "summary"})


# -- buttons ------------------------------------------------------------------------------------

INTEGER_MAX = 2**31 - 1  # PostgreSQL INTEGER, the type of every id column
_ROW_ID = re.compile(r"^[0-9]{1,10}$")


def row_id(value: object) -> int | None:
    """A database id from a button or form (a positive INTEGER, plain ASCII digits), or None
    for anything else: a huge number, a sign, spaces or another type never reach a query."""
    if isinstance(value, bool):
        return None
    words = str(value) if isinstance(value, int | str) else ""
    if not _ROW_ID.match(words):
        return None
    number = int(words)
    return number if 0 < number <= INTEGER_MAX else None


def click(
    core: Core, who: Someone, action: str, value: str, *, channel: str | None = None
) -> Outcome:
    """A button: `action` is an intent name, `value` what the button named. Nothing in it is
    trusted; the use cases check who may do what, against which version."""
    if who.refused_as is not None:
        return Reply(people_view.not_linked(who.refused_as, who.surface))
    handler = CLICKS.get(action)
    if handler is None:
        return Reply(Message.plain("That button is no longer in use; please use /pmf due."))
    return handler(core, who, value, channel)


def _open_submit(core: Core, who: Someone, value: str, channel: str | None) -> Outcome:
    if who.email is None:
        return not_in_register("submit figures")
    ref, _, period = value.partition("|")
    if not ref.strip():
        return Reply(Message.plain("That button does not name a measure; please use /pmf due."))
    return open_submission(core, who.email, ref, period or None)


def _named(who: Someone, value: str, what: str) -> tuple[str, int] | Reply:
    if who.email is None:
        return not_in_register(what)
    found = row_id(value)
    if found is None:
        log.warning("a button to %s came back naming no submission", what)
        return Reply(
            Message.plain(
                text(
                    "That button does not name a submission; please use the card in your "
                    "messages or ",
                    Code("/pmf due"),
                    ".",
                )
            )
        )
    return who.email, found


def _approve(core: Core, who: Someone, value: str, channel: str | None) -> Outcome:
    named = _named(who, value, "approve figures")
    if isinstance(named, Reply):
        return named
    email, sid = named
    try:
        result = decide(
            core.engine,
            core.council(),
            submission_id=sid,
            decision="approved",
            reason=None,
            actor=email,
            now=core.now(),
        )
    except (WorkflowError, NotFound) as error:
        return _refused(error)
    if result.repeated:  # a second click by the person who decided: say so, record nothing
        view = result.submission
        already = AlreadyDecided(
            view.decision or "approved",
            view.decided_by_name or email,
            (view.decided_at or core.now()).astimezone(core.zone),
        )
        return _refused(already)
    return None


def _reason_form(core: Core, who: Someone, value: str, channel: str | None, kind: str) -> Outcome:
    named = _named(who, value, "reject figures" if kind == intents.REJECT_FORM else "reopen")
    if isinstance(named, Reply):
        return named
    email, sid = named
    try:
        if kind == intents.REJECT_FORM:
            view = check_decidable(
                core.engine, core.council(), submission_id=sid, actor=email, now=core.now()
            )
        else:
            view = check_reopenable(core.engine, core.council(), submission_id=sid, actor=email)
    except (WorkflowError, NotFound) as error:
        return _refused(error)
    word = "Reject" if kind == intents.REJECT_FORM else "Reopen"
    fallback = Message.plain(f"The form did not open in time; please click {word} again.")
    return OpenForm(cards.reason_form(view, kind, channel), fallback)


def _reject(core: Core, who: Someone, value: str, channel: str | None) -> Outcome:
    return _reason_form(core, who, value, channel, intents.REJECT_FORM)


def _reopen(core: Core, who: Someone, value: str, channel: str | None) -> Outcome:
    if who.email is None:
        return Reply(
            Message.plain(
                "Only the reviewer, the Head of Service or a performance admin can reopen an "
                "approved figure."
            )
        )
    return _reason_form(core, who, value, channel, intents.REOPEN_FORM)


def _cancel_leave(core: Core, who: Someone, value: str, channel: str | None) -> Outcome:
    if who.email is None:
        return not_in_register("record leave")
    leave_id = row_id(value)
    if leave_id is None:
        log.warning("a Cancel leave button came back naming no leave")
        return Reply(
            Message.plain(text("That button does not name any leave; see ", Code("/pmf away"), "."))
        )
    try:
        away = leave.cancel(core.engine, email=who.email, leave_id=leave_id, now=core.now())
    except leave.LeaveProblem as error:
        return Reply(Message.plain(text(Icon.WARNING, " ", str(error))))
    return Reply(leave_view.cancelled(away))


def _refresh(core: Core, who: Someone, value: str, channel: str | None) -> Outcome:
    return None  # the surface shows the home page afresh


MAX_REPLY_KEY = 100  # "channel:ts" of a reply; a submission's request_key holds 120


def _reply_data(value: str) -> dict[str, str] | None:
    """What a Confirm or Edit button carries, or None when it came back damaged."""
    try:
        data = json.loads(value or "{}")
        found = {key: str(data[key]) for key in data if key in ("r", "p", "v", "o", "k")}
    except (ValueError, TypeError, AttributeError, RecursionError):
        found = None
    if found is None or len(found.get("k", "")) > MAX_REPLY_KEY:
        log.warning("a reply's button came back damaged")
        return None
    return found


def _reply_confirm(core: Core, who: Someone, value: str, channel: str | None) -> Outcome:
    data = _reply_data(value)
    if data is None or not {"r", "p", "v", "k"} <= set(data):
        return Reply(Message.plain("That button is damaged; please use /pmf submit."))
    if who.email is None:
        return not_in_register("submit figures")
    try:
        result = submit(
            core.engine,
            core.council(),
            ref=data["r"],
            period_text=data["p"],
            value_text=data["v"],
            overview=data.get("o", ""),
            actions=None,
            evidence_url=None,
            actor=who.email,
            now=core.now(),
            request_key=f"reply:{data['k']}",
            source=who.surface,
        )
    except Invalid as error:
        return Reply(
            Message.plain(text(Icon.WARNING, f" {error} Click Edit to finish it in the form."))
        )
    except (WorkflowError, NotFound, PeriodError) as error:
        return _refused(error)
    view = result.submission
    return Accepted(
        Message.plain(
            text(
                Icon.DONE,
                " Submitted ",
                Strong(view.measure.ref),
                f" {view.period}: {view.measure.format_value(view.value)} "
                f"(version {view.version}).",
            )
        )
    )


def _reply_edit(core: Core, who: Someone, value: str, channel: str | None) -> Outcome:
    data = _reply_data(value)
    if data is None or not {"r", "p"} <= set(data):
        return Reply(Message.plain("That button is damaged; please use /pmf submit."))
    if who.email is None:
        return not_in_register("submit figures")
    return open_submission(
        core, who.email, data["r"], data["p"], prefill=(data.get("v", ""), data.get("o", ""))
    )


def _report_step(core: Core, who: Someone, value: str) -> tuple[str, Period, str] | Reply:
    if who.email is None:
        return not_in_register("approve reports")
    named = chain_view.read_value(value)
    if named is None:
        log.warning("a report button came back naming no quarter and step")
        return Reply(Message.plain("That button does not name a report; please use /pmf report."))
    try:
        quarter = Period.parse(named[0])
    except PeriodError:
        log.warning("a report button came back with a damaged quarter")
        return Reply(Message.plain("That button does not name a report; please use /pmf report."))
    return who.email, quarter, named[1]


def _report_approve(core: Core, who: Someone, value: str, channel: str | None) -> Outcome:
    named = _report_step(core, who, value)
    if isinstance(named, Reply):
        return named
    email, quarter, scope = named
    try:
        after = chain.decide(
            core.engine,
            core.council(),
            email=email,
            quarter=quarter,
            scope=scope,
            decision=chain.APPROVED,
            reason=None,
            now=core.now(),
        )
    except chain.ChainRefused as error:
        return _refused(error)
    step = after.step(scope)
    if step is None:
        return Reply(Message.plain(text(Icon.DONE, f" You approved the {quarter} report.")))
    # The card clicked shows the decision and what happens next, in place of its buttons.
    council = core.council()
    timetable = chain.agenda_deadline(council, quarter)
    meeting, deadline = timetable if timetable else (None, None)
    tally = chain_view.step_tally(core.engine, council, after, step, core.today())
    return Accepted(
        chain_view.approval_card(after, step, tally, core.zone, meeting=meeting, deadline=deadline)
    )


def _report_refuse(core: Core, who: Someone, value: str, channel: str | None) -> Outcome:
    named = _report_step(core, who, value)
    if isinstance(named, Reply):
        return named
    email, quarter, scope = named
    council = core.council()
    current = chain.state(core.engine, council, quarter)
    step = current.step(scope) if current else None
    if current is None or step is None:
        return Reply(Message.plain("That report step is no longer in the register."))
    if email not in step.approvers:
        who_may = " or ".join(step.approver_names)
        return Reply(
            status_view.refusal(
                f"Only {who_may} can decide on the {quarter} report for {step.label}."
            )
        )
    fallback = Message.plain("The form did not open in time; please click Refuse again.")
    return OpenForm(chain_view.refuse_form(quarter, step, channel), fallback)


def _action_progress(core: Core, who: Someone, value: str, channel: str | None) -> Outcome:
    if who.email is None:
        return not_in_register("update actions")
    number, _, progress = value.partition("|")
    action_id = row_id(number)
    if action_id is None or progress not in actions.PROGRESS or progress == actions.DROPPED:
        log.warning("an action button came back naming no action or progress")
        return Reply(Message.plain("That button does not name an action; please use /pmf actions."))
    try:
        done = actions.update(
            core.engine,
            action_id=action_id,
            email=who.email,
            progress=progress,
            note=None,
            now=core.now(),
        )
    except actions.ActionRefused as error:
        return _refused(error)
    return Reply(actions_view.updated(done))


def _action_drop(core: Core, who: Someone, value: str, channel: str | None) -> Outcome:
    if who.email is None:
        return not_in_register("update actions")
    action_id = row_id(value)
    found = actions.one(core.engine, action_id) if action_id is not None else None
    if found is None:
        return Reply(Message.plain("That action is no longer recorded; please use /pmf actions."))
    fallback = Message.plain("The form did not open in time; please click Drop again.")
    return OpenForm(actions_view.drop_form(found, channel), fallback)


def _snooze(core: Core, who: Someone, value: str, channel: str | None) -> Outcome:
    if who.email is None:
        return not_in_register("put off reminders")
    done = snooze_reminder(core.engine, core.council(), key=value, actor=who.email, now=core.now())
    if done.ok and done.ref and done.period:
        # The reminder clicked says when it comes back, and no longer offers the button.
        return Accepted(
            reminders_view.put_off(
                done.ref, done.title or "", done.period, done.deadline, done.words
            )
        )
    return Reply(Message.plain(text(Icon.ALARM if done.ok else Icon.WARNING, " ", done.words)))


CLICKS: dict[str, Callable[[Core, Someone, str, str | None], Outcome]] = {
    intents.OPEN_SUBMIT: _open_submit,
    intents.RESUBMIT: _open_submit,
    intents.APPROVE: _approve,
    intents.REJECT: _reject,
    intents.REOPEN: _reopen,
    intents.REFRESH_HOME: _refresh,
    intents.REPLY_CONFIRM: _reply_confirm,
    intents.REPLY_EDIT: _reply_edit,
    intents.SNOOZE: _snooze,
    intents.REPORT_APPROVE: _report_approve,
    intents.REPORT_REFUSE: _report_refuse,
    intents.ACTION_PROGRESS: _action_progress,
    intents.ACTION_DROP: _action_drop,
    intents.CANCEL_LEAVE: _cancel_leave,
}


# -- forms --------------------------------------------------------------------------------------

FIELDS = {
    intents.SUBMIT_FORM: (
        intents.VALUE,
        intents.OVERVIEW,
        intents.ACTIONS,
        intents.EVIDENCE,
        *intents.MILESTONES,  # a project's form only
    ),
    intents.REJECT_FORM: (intents.REASON,),
    intents.REOPEN_FORM: (intents.REASON,),
    intents.REPORT_REFUSE_FORM: (intents.REASON,),
    intents.ACTION_DROP_FORM: (intents.REASON,),
}


def form(
    core: Core,
    who: Someone,
    kind: str,
    meta: Mapping[str, Any],
    values: Mapping[str, str | None],
    *,
    request_key: str | None = None,
) -> Outcome:
    """A submitted form: committed when valid; otherwise the problems, on their fields."""
    first = FIELDS.get(kind, (intents.VALUE,))[0]
    if kind == intents.SUBMIT_FORM and meta.get("project"):
        first = intents.MILESTONES[0]  # a project's form has no value field
    if who.refused_as is not None:
        return FormErrors(
            {first: people_view.not_linked(who.refused_as, who.surface).summary.strip()}
        )
    if who.email is None:
        return FormErrors({first: "You are not in the council's register."})
    if kind == intents.SUBMIT_FORM:
        return _submitted(core, who.email, meta, values, request_key, who.surface)
    if kind in (intents.REJECT_FORM, intents.REOPEN_FORM):
        sid = row_id(meta.get("submission"))
        if sid is None:
            word = "Reject" if kind == intents.REJECT_FORM else "Reopen"
            log.warning("a %s form came back without a submission it names", word.lower())
            return FormErrors(
                {intents.REASON: f"This form is damaged; please click {word} on the card again."}
            )
        reason = values.get(intents.REASON)
        try:
            if kind == intents.REJECT_FORM:
                decide(
                    core.engine,
                    core.council(),
                    submission_id=sid,
                    decision="rejected",
                    reason=reason,
                    actor=who.email,
                    now=core.now(),
                )
            else:
                council = core.council()
                card = pending_view(core.engine, council, sid)
                reopen(
                    core.engine,
                    council,
                    ref=card.measure.ref,
                    period_text=card.period.label,
                    reason=reason,
                    actor=who.email,
                    now=core.now(),
                    submission_id=sid,
                )
        except (WorkflowError, NotFound) as error:  # Invalid too: it is a WorkflowError
            return FormErrors({intents.REASON: str(error)})
        return Accepted()
    if kind == intents.REPORT_REFUSE_FORM:
        return _report_refused(core, who.email, meta, values)
    if kind == intents.ACTION_DROP_FORM:
        action_id = row_id(meta.get("action"))
        if action_id is None:
            log.warning("an action form came back without the action it names")
            return FormErrors({intents.REASON: "This form is damaged; please click Drop again."})
        try:
            dropped = actions.update(
                core.engine,
                action_id=action_id,
                email=who.email,
                progress=actions.DROPPED,
                note=values.get(intents.REASON),
                now=core.now(),
            )
        except actions.ActionRefused as error:
            return FormErrors({intents.REASON: str(error)})
        return Accepted(actions_view.updated(dropped))
    return FormErrors({first: "This form is no longer in use; please start again."})


def _report_refused(
    core: Core, email: str, meta: Mapping[str, Any], values: Mapping[str, str | None]
) -> Outcome:
    named = chain_view.read_value(f"{meta.get('quarter', '')}|{meta.get('scope', '')}")
    try:
        quarter = Period.parse(named[0]) if named else None
    except PeriodError:
        quarter = None
    if named is None or quarter is None:
        log.warning("a report refusal form came back without the report it names")
        return FormErrors(
            {intents.REASON: "This form is damaged; please click Refuse on the report again."}
        )
    try:
        chain.decide(
            core.engine,
            core.council(),
            email=email,
            quarter=quarter,
            scope=named[1],
            decision=chain.REFUSED,
            reason=values.get(intents.REASON),
            now=core.now(),
        )
    except chain.ChainRefused as error:
        return FormErrors({intents.REASON: str(error)})
    return Accepted(
        Message.plain(
            text(
                Icon.DONE,
                f" You refused the {quarter} report; the Performance & Policy Officer and the "
                "people who prepared it have your reason.",
            )
        )
    )


def _submitted(
    core: Core,
    email: str,
    meta: Mapping[str, Any],
    values: Mapping[str, str | None],
    request_key: str | None,
    source: str,
) -> Outcome:
    ref, period = meta.get("ref"), meta.get("period")
    # Problems that belong to no field go on the form's first field: a project's form has
    # milestones, not a value.
    first = intents.MILESTONES[0] if meta.get("project") else intents.VALUE
    if not isinstance(ref, str) or not ref or not isinstance(period, str):
        log.warning("a submission form came back damaged")
        return FormErrors(
            {
                first: "This form reached me damaged, so nothing was saved. Please close "
                "it and open it again with /pmf submit."
            }
        )
    try:
        submit(
            core.engine,
            core.council(),
            ref=ref,
            period_text=period,
            value_text=values.get(intents.VALUE) or "",
            overview=values.get(intents.OVERVIEW),
            actions=values.get(intents.ACTIONS),
            evidence_url=values.get(intents.EVIDENCE),
            actor=email,
            now=core.now(),
            request_key=request_key,
            source=source,
            milestones=[values.get(name) for name in intents.MILESTONES],
        )
    except Invalid as error:
        return FormErrors(
            {
                (name if name in FIELDS[intents.SUBMIT_FORM] else first): problem
                for name, problem in error.problems.items()
            }
        )
    except (WorkflowError, NotFound, PeriodError) as error:
        return FormErrors({first: str(error)})
    return Accepted()


# -- messages -----------------------------------------------------------------------------------


# An exponent is read too, so that "1e2" is refused with the reason rather than not seen.
FIGURE_FIRST = re.compile(
    r"^\s*([-+]?£?[\d,]*\.?\d+(?:[eE][-+]?\d+)?%?)(?:\s*[-–—:,]\s*|\s+|$)(.*)$", re.DOTALL
)


def read_reply(words: str) -> tuple[str, str] | None:
    """(figure as typed, commentary), or None when the reply does not start with a figure."""
    match = FIGURE_FIRST.match(words or "")
    if not match:
        return None
    return match.group(1), match.group(2).strip()


def reminder_of_thread(core: Core, channel: str, thread: str) -> tuple[str, Period] | None:
    """The (measure, period) of the collector reminder at `channel`/`thread`, if it is one."""
    with read_session(core.engine) as session:
        reminder = reminder_store.by_thread(session, channel, thread)
    if (
        reminder is None
        or reminder.kind not in COLLECTOR_KINDS
        or reminder.ref is None
        or reminder.period is None
    ):
        return None
    return reminder.ref, reminder.period


def message_hint(core: Core | None = None, who: Someone | None = None) -> Message:
    """Help for a direct message that is not a reply to a reminder, fitting the person: only
    someone who collects (or covers) a measure is told how to submit."""
    submit_help = text(
        "To submit a figure by message, reply in the thread of its reminder with the figure "
        "first and then a sentence (the reminder shows an example) — or use ",
        Code("/pmf submit REF"),
        ".",
    )
    if core is None or who is None:
        return Message.plain(submit_help)
    read_help = text(
        Code("/pmf status"),
        " shows the council's approved figures (",
        Code("/pmf status SE1"),
        " for one aim), ",
        Code("/pmf summary"),
        " the quarter's summary, and ",
        Code("/pmf help"),
        " everything I can do.",
    )
    if who.email is None:
        return Message.plain(
            text("I only answer commands here. ", read_help, " ", NOT_IN_REGISTER_NOTE)
        )
    measures = services.measures(core.engine).values()
    email = who.email
    if any(email in (m.collector, m.cover) for m in measures) or who.is_admin:
        return Message.plain(text(submit_help, " ", Code("/pmf due"), " lists what you owe."))
    if any(email in (m.reviewer, m.head_of_service) for m in measures):
        return Message.plain(
            text(
                "Figures for your review arrive here as cards with Approve and Reject; ",
                Code("/pmf due"),
                " lists what is waiting for you. ",
                read_help,
            )
        )
    return Message.plain(text("I only answer commands here. ", read_help))


NOT_IN_REGISTER_NOTE = (
    "You are not in the council's measure register, so there is nothing for you to submit "
    "or review."
)


def reply_to_reminder(
    core: Core, who: Someone, reminder: tuple[str, Period], words: str, key: str
) -> Reply:
    """A reply in a reminder's thread: what the bot read, with Confirm and Edit; nothing is
    recorded until Confirm. `key` identifies the reply (a retried Confirm submits once)."""
    if who.refused_as is not None:
        return Reply(people_view.not_linked(who.refused_as, who.surface))
    if who.email is None:
        return not_in_register("submit figures")
    ref, period = reminder
    try:
        form_ = submission_form(
            core.engine,
            core.council(),
            ref=ref,
            period_text=period.label,
            actor=who.email,
            today=core.today(),
        )
    except (WorkflowError, NotFound, PeriodError) as error:
        return Reply(Message.plain(text(Icon.WARNING, " ", str(error))))
    if form_.measure.is_project:
        # A project is reported milestone by milestone, which a one-line reply cannot say.
        return Reply(
            Message.plain(
                text(
                    Icon.INFO,
                    f" {ref} is a project: press Submit on the reminder (or type ",
                    Code(f"/pmf submit {ref}"),
                    ") to say where each milestone stands.",
                )
            )
        )
    read = read_reply(words)
    if read is None:
        return Reply(
            Message.plain(
                text(
                    "I could not find a figure at the start of that. Reply with the figure "
                    "first, then a sentence, for example ",
                    Code(reminders_view.reply_example(form_.measure)),
                    ".",
                )
            )
        )
    figure, overview = read
    try:
        value = check_value(figure, format=form_.measure.format, decimals=form_.measure.decimals)
    except ValueProblem as error:
        return Reply(Message.plain(text(Icon.WARNING, " ", str(error))))
    measure = form_.measure
    payload = json.dumps({"r": ref, "p": period.label, "v": figure, "o": overview, "k": key})
    edit = Button(
        "Edit",
        Intent(
            intents.REPLY_EDIT,
            json.dumps({"r": ref, "p": period.label, "v": figure, "o": overview[:1500]}),
        ),
    )
    problems = []
    if not overview:
        problems.append("a sentence of commentary after the figure")
    _, status = would_be(measure, period, value)
    if status.value == "red":
        problems.append("actions to improve performance, because the figure is Red")
    if len(payload) > MAX_BUTTON_VALUE:
        problems.append("a shorter commentary (or use Edit for the full form)")
    understood = text(
        "I read ",
        Strong(measure.format_value(value)),
        " for ",
        Strong(ref),
        f" {period}",
        f", with the overview: “{clip(overview, 1500)}”" if overview else "",
        ".",
    )
    summary = plain_of(understood)
    parts: tuple[Block, ...]
    if problems:
        parts = (
            Para(
                text(
                    understood,
                    "\n",
                    Icon.WARNING,
                    f" It still needs {' and '.join(problems)}. Click Edit to finish it in the "
                    "form.",
                )
            ),
            Actions((edit,)),
        )
    else:
        confirm = Button("Confirm", Intent(intents.REPLY_CONFIRM, payload), Style.PRIMARY)
        parts = (Para(text(understood, " Submit it for review?")), Actions((confirm, edit)))
    return Reply(Message(summary, parts))


__all__ = [
    "READ_ONLY",
    "SORRY",
    "Accepted",
    "Core",
    "FormErrors",
    "OpenForm",
    "Outcome",
    "PostSummary",
    "Reply",
    "Someone",
    "click",
    "command",
    "form",
    "message_hint",
    "reads_only",
    "reminder_of_thread",
    "reply_to_reminder",
]
