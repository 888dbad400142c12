"""Buttons and modal submissions: submit, approve, reject, resubmit (PRODUCT §5, §7).

Nothing a button carries is trusted: its value only names a measure or a submission, and the
use cases check who may do what, against which version, on the server.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk.errors import SlackApiError

from bot.errors import NotFound
from bot.periods import PeriodError
from bot.submissions import (
    AlreadyDecided,
    DecisionResult,
    Invalid,
    SubmissionView,
    SubmitResult,
    WorkflowError,
    check_decidable,
    check_reopenable,
    decide,
    pending_view,
    reopen,
    submit,
)
from handlers.slack import blocks, ids
from handlers.slack.commands import NOT_IN_REGISTER, open_submission_modal
from handlers.slack.context import Deps
from handlers.slack.notify import Notifier, card_recipients
from handlers.slack.payloads import row_id
from handlers.slack.reminders import close_reminders
from handlers.slack.summaries import correct_posted

log = logging.getLogger(__name__)


def tell(deps: Deps, body: dict[str, Any], respond: Respond, text: str) -> None:
    """Answer the person who clicked: in place where Slack allows it, else by direct message."""
    if body.get("response_url"):
        respond(text=text, response_type="ephemeral", replace_original=False)
        return
    email = deps.directory.who(body["user"]["id"]).email
    if email:
        Notifier(deps).dm(email, text)
        return
    try:
        channel = deps.directory.dm_channel(body["user"]["id"])
        deps.client.chat_postMessage(channel=channel, text=text)
    except SlackApiError as error:
        log.warning("could not tell %s: %s", body["user"]["id"], error.response.get("error"))


def _clicked(
    deps: Deps, body: dict[str, Any], action: dict[str, Any], respond: Respond, what: str
) -> tuple[str, int] | None:
    """(who clicked, the submission the card names), or None after telling them why not."""
    someone = deps.directory.who(body["user"]["id"])
    submission_id = row_id(action.get("value"))
    if someone.email is None:
        tell(deps, body, respond, NOT_IN_REGISTER.format(what=what))
        return None
    if submission_id is None:
        _damaged_button(deps, body, action, respond)
        return None
    return someone.email, submission_id


def _damaged_button(
    deps: Deps, body: dict[str, Any], action: dict[str, Any], respond: Respond
) -> None:
    log.warning("a %s button came back naming no submission", action.get("action_id"))
    tell(
        deps,
        body,
        respond,
        "That button does not name a submission; please use the "
        "card in your messages or `/pmf due`.",
    )


def _state_value(view: dict[str, Any], block: str, action: str) -> str | None:
    found = ((view.get("state") or {}).get("values", {}).get(block) or {}).get(action) or {}
    value = found.get("value")
    return str(value) if value is not None else None


def _reason_form(
    deps: Deps, ack: Ack, body: dict[str, Any], view: dict[str, Any], button_word: str
) -> tuple[str, int, str | None] | None:
    """(who, submission id, reason) from a reject or reopen form, or None after answering
    the form with an error on its reason field."""
    someone = deps.directory.who(body["user"]["id"])
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
    except (ValueError, RecursionError):
        meta = None
    submission_id = row_id(meta.get("submission")) if isinstance(meta, dict) else None
    if submission_id is None:
        log.warning("a %s form came back without a submission it names", button_word)
        problem = f"This form is damaged; please click {button_word} on the card again."
        ack(response_action="errors", errors={ids.REASON_BLOCK: problem})
        return None
    if someone.email is None:
        ack(
            response_action="errors",
            errors={ids.REASON_BLOCK: "You are not in the council's register."},
        )
        return None
    return someone.email, submission_id, _state_value(view, ids.REASON_BLOCK, ids.REASON_INPUT)


def _after_reopen(deps: Deps, reopened: SubmissionView, actor: str, reason: str | None) -> None:
    """Cards, notices and homes after a reopening (work after the ack)."""
    notifier = Notifier(deps)
    by = deps.directory.name_of(actor)
    note = f"*Reopened* by {by} at {blocks.when(deps.now(), deps.zone)}: {(reason or '').strip()}"
    notifier.update_review_cards(reopened, reopened=note)
    notice = blocks.reopened_notice(reopened, by, (reason or "").strip())
    text = f"{reopened.measure.ref} {reopened.period} was reopened by {by}"
    for email in dict.fromkeys(e for e in (reopened.measure.collector, reopened.submitted_by) if e):
        notifier.dm(email, text, notice)
    notifier.refresh_home([actor, reopened.measure.collector])


def after_decision(deps: Deps, result: DecisionResult, actor: str) -> None:
    notifier = Notifier(deps)
    view = result.submission
    notifier.update_review_cards(view)
    if not result.repeated:
        text = f"{view.measure.ref} {view.period} was {view.decision} by {view.decided_by_name}"
        notifier.dm(view.submitted_by, text, blocks.decision_notice(view, deps.zone))
        if view.measure.collector and view.measure.collector != view.submitted_by:
            notifier.dm(view.measure.collector, text, blocks.decision_notice(view, deps.zone))
    notifier.refresh_home([actor, view.submitted_by, view.measure.collector])
    if view.decision == "approved" and not result.repeated:
        correct_posted(deps, view.measure.ref, view.period, view.decided_by_name or actor)


def after_submit(deps: Deps, result: SubmitResult, email: str) -> None:
    """Cards, thanks, reminders closed and homes refreshed after a new version is recorded."""
    if result.repeated:
        return
    notifier = Notifier(deps)
    view = result.submission
    if result.superseded is not None:
        notifier.update_review_cards(result.superseded, superseded_by=view.version)
    missed = notifier.send_review_card(view)
    names = [deps.directory.name_of(e) for e in card_recipients(view) if e not in missed]
    text = blocks.submitted_notice(view, names)
    if missed:
        text += (
            f"\n:warning: I could not reach {', '.join(missed)} in Slack. Your figure is "
            "saved, and I will keep trying to deliver the review card (the Performance & "
            "Policy Officer's digest lists it until it arrives); you may also let them know."
        )
    notifier.dm(email, text)
    close_reminders(deps, view.measure.ref, view.period, view.version, view.submitted_by_name)
    notifier.refresh_home([email, *card_recipients(view), view.measure.collector])


def register(app: App, deps: Deps) -> None:
    def open_modal_from_button(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond
    ) -> None:
        ack()
        someone = deps.directory.who(body["user"]["id"])
        if someone.email is None:
            tell(deps, body, respond, NOT_IN_REGISTER.format(what="submit figures"))
            return
        ref, _, period = str(action.get("value") or "").partition("|")
        open_submission_modal(
            deps,
            someone.email,
            ref,
            period or None,
            body["trigger_id"],
            lambda **kw: tell(deps, body, respond, kw.get("text", "")),
        )

    app.action(ids.OPEN_SUBMIT)(deps.after_ack(open_modal_from_button))
    app.action(ids.RESUBMIT)(deps.after_ack(open_modal_from_button))

    @app.action(ids.APPROVE)
    @deps.after_ack
    def approve(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        clicked = _clicked(deps, body, action, respond, "approve figures")
        if clicked is None:
            return
        email, submission_id = clicked
        try:
            result = decide(
                deps.engine,
                deps.council(),
                submission_id=submission_id,
                decision="approved",
                reason=None,
                actor=email,
                now=deps.now(),
            )
        except (WorkflowError, NotFound) as error:
            tell(deps, body, respond, f":no_entry: {error}")
            return
        if result.repeated:  # a second click by the person who decided: say so, record nothing
            view = result.submission
            already = AlreadyDecided(
                view.decision or "approved",
                view.decided_by_name or email,
                (view.decided_at or deps.now()).astimezone(deps.zone),
            )
            tell(deps, body, respond, f":no_entry: {already}")
        after_decision(deps, result, email)

    @app.action(ids.REJECT)
    @deps.after_ack
    def reject(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        clicked = _clicked(deps, body, action, respond, "reject figures")
        if clicked is None:
            return
        email, submission_id = clicked
        try:
            view = check_decidable(
                deps.engine,
                deps.council(),
                submission_id=submission_id,
                actor=email,
                now=deps.now(),
            )
        except (WorkflowError, NotFound) as error:
            tell(deps, body, respond, f":no_entry: {error}")
            return
        channel = (body.get("channel") or {}).get("id")
        try:
            deps.client.views_open(
                trigger_id=body["trigger_id"], view=blocks.reject_modal(view, channel)
            )
        except SlackApiError as error:
            log.warning("views.open failed: %s", error.response.get("error"))
            tell(
                deps,
                body,
                respond,
                "Slack did not open the form in time; please click Reject again.",
            )

    @app.action(ids.REFRESH_HOME)
    @deps.after_ack
    def refresh_home(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        someone = deps.directory.who(body["user"]["id"])
        if someone.email:
            Notifier(deps).refresh_home([someone.email])
        else:
            Notifier(deps).publish_home(body["user"]["id"], False, None, None)

    @app.action(ids.REOPEN)
    @deps.after_ack
    def reopen_clicked(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond
    ) -> None:
        ack()
        someone = deps.directory.who(body["user"]["id"])
        submission_id = row_id(action.get("value"))
        if submission_id is None:
            _damaged_button(deps, body, action, respond)
            return
        if someone.email is None:
            tell(
                deps,
                body,
                respond,
                "Only the reviewer, the Head of Service or a performance "
                "admin can reopen an approved figure.",
            )
            return
        try:
            view = check_reopenable(
                deps.engine, deps.council(), submission_id=submission_id, actor=someone.email
            )
            deps.client.views_open(trigger_id=body["trigger_id"], view=blocks.reopen_modal(view))
        except (WorkflowError, NotFound) as error:
            tell(deps, body, respond, f":no_entry: {error}")
        except SlackApiError as error:
            log.warning("views.open failed: %s", error.response.get("error"))
            tell(
                deps,
                body,
                respond,
                "Slack did not open the form in time; please click Reopen again.",
            )

    @app.view(ids.REOPEN_VIEW)
    def reopen_submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        form = _reason_form(deps, ack, body, view, "Reopen")
        if form is None:
            return
        actor, submission_id, reason = form
        try:
            council = deps.council()
            card = pending_view(deps.engine, council, submission_id)
            reopened = reopen(
                deps.engine,
                council,
                ref=card.measure.ref,
                period_text=card.period.label,
                reason=reason,
                actor=actor,
                now=deps.now(),
                submission_id=submission_id,
            )
        except (WorkflowError, NotFound) as error:
            ack(response_action="errors", errors={ids.REASON_BLOCK: str(error)})
            return
        ack()
        deps.later(_after_reopen, deps, reopened, actor, reason)

    @app.view(ids.SUBMIT_VIEW)
    def submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        someone = deps.directory.who(body["user"]["id"])
        try:
            meta = blocks.ModalMeta.load(view.get("private_metadata", ""))
        except ValueError as error:
            log.warning("a submission form came back damaged: %s", error)
            ack(
                response_action="errors",
                errors={
                    ids.VALUE_BLOCK: "This form reached me damaged, so nothing was saved. "
                    "Please close it and open it again with `/pmf submit`."
                },
            )
            return
        values = view.get("state", {}).get("values", {})

        def value(block: str, action: str) -> str | None:
            found = (values.get(block) or {}).get(action) or {}
            text = found.get("value")
            return str(text) if text is not None else None

        if someone.email is None:
            ack(
                response_action="errors",
                errors={ids.VALUE_BLOCK: "You are not in the council's register."},
            )
            return
        try:
            result = submit(
                deps.engine,
                deps.council(),
                ref=meta.ref,
                period_text=meta.period,
                value_text=value(ids.VALUE_BLOCK, ids.VALUE_INPUT) or "",
                overview=value(ids.OVERVIEW_BLOCK, ids.OVERVIEW_INPUT),
                actions=value(ids.ACTIONS_BLOCK, ids.ACTIONS_INPUT),
                evidence_url=value(ids.EVIDENCE_BLOCK, ids.EVIDENCE_INPUT),
                actor=someone.email,
                now=deps.now(),
                request_key=f"view:{view.get('id')}",
            )
        except Invalid as error:
            ack(
                response_action="errors",
                errors={
                    ids.FIELD_BLOCKS[name]: message for name, message in error.problems.items()
                },
            )
            return
        except (WorkflowError, NotFound, PeriodError) as error:
            ack(response_action="errors", errors={ids.VALUE_BLOCK: str(error)})
            return
        ack()
        deps.later(after_submit, deps, result, someone.email)

    @app.view(ids.REJECT_VIEW)
    def rejected(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        form = _reason_form(deps, ack, body, view, "Reject")
        if form is None:
            return
        actor, submission_id, reason = form
        try:
            result = decide(
                deps.engine,
                deps.council(),
                submission_id=submission_id,
                decision="rejected",
                reason=reason,
                actor=actor,
                now=deps.now(),
            )
        except (WorkflowError, NotFound) as error:  # Invalid too: it is a WorkflowError
            ack(response_action="errors", errors={ids.REASON_BLOCK: str(error)})
            return
        ack()
        deps.later(after_decision, deps, result, actor)
