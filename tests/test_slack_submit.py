"""The submission modal end to end (PRODUCT §5, §7): what it shows, its inline errors, and who
may submit (collector, active cover, admin on behalf), with late submissions flagged."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from handlers.slack import ids
from sandbox.slack_api import GENERAL_CHANNEL_ID
from tests.slack_harness import Bot
from tests.test_slack_support import (
    CHRIS,
    HOS,
    JANE,
    LATEST,
    POLICY,
    SAM,
    add_leave,
    cards,
    command,
    count,
    form_values,
    open_submit,
    settle,
    submissions,
    submit_figure,
    submit_view,
    text_of,
    wait_new,
)


def modal_fields(view: dict[str, Any]) -> str:
    return text_of(view["blocks"])


def test_submit_opens_the_modal_for_the_latest_period_with_what_the_collector_needs(
    reader: Bot,
) -> None:
    view = open_submit(reader, JANE, "SE1.1")
    assert view["callback_id"] == ids.SUBMIT_VIEW
    shown = modal_fields(view)
    assert "SE1.1 Reduction in the council's own CO2 emissions" in shown  # title
    assert "against the 2019-20 baseline" in shown  # definition
    assert "*Period*\\n2026-27 Q2" in shown
    assert "*Deadline*\\nWed 14 Oct 2026" in shown  # 10 working days after 30 Sep
    assert "*Target*\\n35.0%" in shown
    assert "2025-26 Q4: 31.2%" in shown and "2025-26 Q3: 30.2%" in shown  # recent values
    assert "will be marked late" not in shown
    block_ids = [block.get("block_id") for block in view["blocks"]]
    for block_id in (ids.VALUE_BLOCK, ids.OVERVIEW_BLOCK, ids.ACTIONS_BLOCK, ids.EVIDENCE_BLOCK):
        assert block_id in block_ids


def value_input(view: dict[str, Any]) -> dict[str, Any]:
    [block] = [b for b in view["blocks"] if b.get("block_id") == ids.VALUE_BLOCK]
    return block


@pytest.mark.parametrize(
    ("who", "ref", "placeholder", "hint"),
    [
        (JANE, "SE1.1", "e.g. 87.5", "Up to 1 decimal place, such as 87.5."),
        (SAM, "SE2.1", "e.g. 87", "A whole number, such as 87."),
    ],
)
def test_the_value_hint_and_placeholder_fit_the_measure(
    reader: Bot, who: str, ref: str, placeholder: str, hint: str
) -> None:
    block = value_input(open_submit(reader, who, ref))
    assert block["element"]["placeholder"]["text"] == placeholder
    assert block["hint"]["text"] == hint


def test_trailing_zeros_and_exponents(bot: Bot) -> None:
    view = open_submit(bot, JANE, "SE1.1")
    body = submit_view(bot, JANE, view["id"], form_values("1e1")).json()
    assert "with a power of ten" in body["errors"][ids.VALUE_BLOCK]
    answer = submit_view(bot, JANE, view["id"], form_values("36.50"))
    assert answer.body == b"", answer.text
    settle(bot)
    [saved] = submissions(bot, "SE1.1")
    assert str(saved.value) == "36.5"


def test_submit_with_a_period_opens_that_period(reader: Bot) -> None:
    view = open_submit(reader, JANE, "SE1.1 2026-27 Q1")
    shown = modal_fields(view)
    assert "*Period*\\n2026-27 Q1" in shown
    assert "*Deadline*\\nTue 14 Jul 2026" in shown
    assert "will be marked late" in shown  # its deadline has passed


def test_the_submit_button_in_due_opens_the_modal(reader: Bot) -> None:
    reply = command(reader, JANE, "due")
    values = [
        block["accessory"]["value"]
        for block in reply["blocks"]
        if block.get("accessory", {}).get("action_id") == ids.OPEN_SUBMIT
    ]
    assert "SE1.1|2026-27 Q1" in values
    before = count(reader, "views.open")
    answer = reader.user.block_action(
        reader.uid(JANE), ids.OPEN_SUBMIT, "SE1.1|2026-27 Q1", channel_id=GENERAL_CHANNEL_ID
    )
    assert answer.status == 200
    call = wait_new(reader, "views.open", before)[0]
    assert call.ok, call.response
    assert call.params["trigger_id"] == reader.user.last_trigger_id
    view = call.params["view"]
    assert view["callback_id"] == ids.SUBMIT_VIEW
    assert "*Period*\\n2026-27 Q1" in modal_fields(view)


@pytest.mark.parametrize(
    ("values", "block", "words"),
    [
        (form_values("lots"), ids.VALUE_BLOCK, "is not a number"),
        (form_values("36.55"), ids.VALUE_BLOCK, "decimal place"),
        (form_values("100.1"), ids.VALUE_BLOCK, "from 0 to 100"),
        (form_values("-2"), ids.VALUE_BLOCK, "0 to 100"),
        (form_values("36.5", overview="   "), ids.OVERVIEW_BLOCK, "performance overview"),
        (form_values("20", actions=None), ids.ACTIONS_BLOCK, "Red"),
        (form_values("36.5", evidence="not a link"), ids.EVIDENCE_BLOCK, "https://"),
        (form_values("36.5", evidence="javascript:alert(1)"), ids.EVIDENCE_BLOCK, "https://"),
    ],
)
def test_problems_are_shown_inline_on_the_right_field_and_nothing_is_saved(
    reader: Bot, values: dict[str, dict[str, Any]], block: str, words: str
) -> None:
    view = open_submit(reader, JANE, "SE1.1")
    answer = submit_view(reader, JANE, view["id"], values)
    assert answer.status == 200
    body = answer.json()
    assert body["response_action"] == "errors", body
    assert list(body["errors"]) == [block], body
    assert words in body["errors"][block]
    settle(reader)
    assert submissions(reader, "SE1.1") == []
    assert cards(reader, HOS) == []


def test_several_problems_are_shown_together(reader: Bot) -> None:
    view = open_submit(reader, JANE, "SE1.1")
    body = submit_view(reader, JANE, view["id"], form_values("1.23", overview="")).json()
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {ids.VALUE_BLOCK, ids.OVERVIEW_BLOCK}


def test_a_red_figure_with_actions_to_improve_is_accepted(bot: Bot) -> None:
    view = open_submit(bot, JANE, "SE1.1")
    answer = submit_view(
        bot, JANE, view["id"], form_values("20", actions="Replace the depot boilers by March.")
    )
    assert answer.body == b""
    settle(bot)
    [saved] = submissions(bot, "SE1.1")
    assert saved.value == Decimal("20") and saved.actions == "Replace the depot boilers by March."


def test_someone_else_is_refused_at_submit_and_no_modal_opens(reader: Bot) -> None:
    before = count(reader, "views.open")
    reply = command(reader, CHRIS, "submit SE1.1")
    assert "Only Jane Doe, the data collector for SE1.1" in reply["text"]
    assert "@example.gov.uk" not in reply["text"]  # people by name, never by e-mail
    settle(reader)
    assert count(reader, "views.open") == before


def test_the_cover_may_submit_only_while_the_collector_is_away(bot: Bot) -> None:
    reply = command(bot, SAM, "submit SE1.1")
    assert "You are the cover for SE1.1" in reply["text"]
    assert "not recorded as away today" in reply["text"]

    add_leave(bot, JANE, SAM)
    thanks = submit_figure(bot, SAM, "SE1.1", "36.0")
    assert "has gone to Helen Carter for review" in thanks["text"]
    [saved] = submissions(bot, "SE1.1")
    assert saved.submitted_by == SAM
    assert not saved.on_behalf_of
    [card] = cards(bot, HOS)
    assert "Sam Lee" in text_of(card["blocks"])


def test_leave_that_ended_does_not_let_the_cover_submit(bot: Bot) -> None:
    add_leave(bot, JANE, SAM, starts=bot.clock().date().replace(day=1), days=2)  # 1–3 Oct
    assert "You are the cover for SE1.1" in command(bot, SAM, "submit SE1.1")["text"]


def test_an_admin_may_submit_and_it_is_recorded_as_on_behalf(bot: Bot) -> None:
    view = open_submit(bot, POLICY, "SE1.1")
    assert "on behalf of Jane Doe" in modal_fields(view)  # by name, never by e-mail
    answer = submit_view(bot, POLICY, view["id"], form_values("36.5"))
    assert answer.body == b""
    settle(bot)
    [saved] = submissions(bot, "SE1.1")
    assert saved.submitted_by == POLICY
    assert saved.on_behalf_of is True
    [card] = cards(bot, HOS)
    assert "Priya Shah (on behalf of the collector)" in text_of(card["blocks"])


def test_an_on_time_submission_is_not_flagged_late(bot: Bot) -> None:
    thanks = submit_figure(bot, JANE, "SE1.1", "36.5")
    assert "late" not in thanks["text"]
    [saved] = submissions(bot, "SE1.1")
    assert saved.late is False
    assert ":hourglass:" not in text_of(cards(bot, HOS)[0]["blocks"])


def test_a_late_submission_is_flagged_late_on_the_card(bot: Bot) -> None:
    bot.clock.advance(days=7)  # Thu 15 Oct, the day after the deadline
    view = open_submit(bot, JANE, f"SE1.1 {LATEST}")
    assert "will be marked late" in modal_fields(view)
    answer = submit_view(bot, JANE, view["id"], form_values("36.5"))
    assert answer.body == b""
    settle(bot)
    [saved] = submissions(bot, "SE1.1")
    assert saved.late is True
    [card] = cards(bot, HOS)
    assert ":hourglass: *late* (deadline Wed 14 Oct 2026)" in text_of(card["blocks"])
    thanks = bot.dms(JANE)[-1]["text"]
    assert "marked late" in thanks


def test_an_unknown_measure_at_submit_gets_the_closest_matches(reader: Bot) -> None:
    reply = command(reader, JANE, "submit SE1.7")
    assert "There is no measure called 'SE1.7'" in reply["text"]
    assert "Did you mean" in reply["text"] and "SE1.1" in reply["text"]


def test_a_period_that_has_not_ended_cannot_be_submitted(reader: Bot) -> None:
    reply = command(reader, JANE, "submit SE1.1 2026-27 Q3")
    assert "can be submitted once the period ends" in reply["text"]
