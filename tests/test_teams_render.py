"""The Adaptive Card JSON that `handlers/teams/render.py` writes through the Teams SDK's card
models (microsoft-teams-cards): what the SDK would write wrongly is mended, nothing unset is
written, and a card reads back into the SDK's own models."""

from __future__ import annotations

import json
from typing import Any

from microsoft_teams.cards.core import AdaptiveCard

from bot.chat import intents
from bot.chat.model import Actions, Button, Field, Form, Icon, Intent, Message, Para, Style, text
from handlers.teams import render


def _walk(found: Any) -> list[Any]:
    items = [found]
    if isinstance(found, dict):
        for inner in found.values():
            items += _walk(inner)
    elif isinstance(found, list):
        for inner in found:
            items += _walk(inner)
    return items


def _review() -> Message:
    return Message.of(
        "SE1.1 to review",
        Para(text("Household waste recycled: 41.2%")),
        Actions(
            (
                Button("Approve", Intent(intents.APPROVE, "12"), Style.PRIMARY),
                Button("Reject…", Intent(intents.REJECT, "12"), Style.DANGER),
                Button("Open the form", Intent(intents.OPEN_SUBMIT, "SE1.1|2026-27 Q1")),
            ),
            id="review_12",
        ),
    )


def test_the_card_names_its_schema_as_hosts_read_it_and_writes_nothing_unset() -> None:
    card = render.card(_review())
    assert card["$schema"] == render.SCHEMA and "schema" not in card
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.5"
    assert None not in [v for item in _walk(card) if isinstance(item, dict) for v in item.values()]
    assert "key" not in json.dumps(card)  # the SDK's unset `key` properties are left out


def test_buttons_are_execute_actions_with_verbs_or_a_dialog_opener() -> None:
    [row] = [item for item in render.card(_review())["body"] if item["type"] == "ActionSet"]
    approve, reject, opens = row["actions"]
    assert approve == {
        "type": "Action.Execute",
        "title": "Approve",
        "verb": intents.APPROVE,
        "style": "positive",
        "data": {render.DATA_ACTION: intents.APPROVE, render.DATA_VALUE: "12"},
    }
    assert reject["style"] == "destructive" and reject["verb"] == intents.REJECT
    assert opens == {
        "type": "Action.Submit",
        "title": "Open the form",
        "data": {
            "msteams": {"type": "task/fetch"},
            render.DATA_ACTION: intents.OPEN_SUBMIT,
            render.DATA_VALUE: "SE1.1|2026-27 Q1",
        },
    }


def test_a_form_has_labelled_required_inputs_with_whole_number_lengths() -> None:
    form = Form(
        "submit",
        "SE1.1 · 2026-27 Q1",
        "Submit",
        (),
        (
            Field("value", "Value (%)", initial="41.2", max_length=40),
            Field("note", "Commentary", multiline=True, optional=True),
            Field("state", "Milestone", choices=(("done", "Done"), ("late", "Late"))),
        ),
        meta={"measure": "SE1.1", "channel": None},
    )
    card = render.form_card(
        form, opened_by=(intents.OPEN_SUBMIT, "x"), errors={"value": "Not a number."}, dialog=True
    )
    value, error, note, state = card["body"]  # the error is shown under its field
    assert value == {
        "type": "Input.Text",
        "id": "value",
        "label": "Value (%)",
        "isMultiline": False,
        "maxLength": 40,
        "isRequired": True,
        "value": "41.2",
        "errorMessage": "Please fill this in.",
    }
    assert type(value["maxLength"]) is int and type(note["maxLength"]) is int
    assert 'maxLength": 40,' in json.dumps(value)  # not 40.0
    assert note["isRequired"] is False and "errorMessage" not in note
    assert state["type"] == "Input.ChoiceSet" and state["style"] == "compact"
    assert state["choices"] == [
        {"title": "Done", "value": "done"},
        {"title": "Late", "value": "late"},
    ]
    assert "value" not in state and state["errorMessage"] == "Please choose one."
    assert error["color"] == "Attention" and "Not a number\\." in error["text"]
    [submit] = card["actions"]
    assert submit["type"] == "Action.Submit" and "verb" not in submit
    assert submit["data"][render.DATA_META] == {"measure": "SE1.1", "channel": None}


def test_a_card_reads_back_into_the_sdks_models() -> None:
    card = render.card(_review())
    again = AdaptiveCard.model_validate(card)
    assert render.dump(again) == card


def test_the_grey_status_shows_as_a_circle_beside_red_amber_and_green() -> None:
    """⚪ and ➖ ask for emoji presentation (U+FE0F): a text font that has them (DejaVu, in the
    Agents Playground) would draw a thin ring and a dash beside three coloured circles."""
    shown = render.markdown(text(Icon.RED, Icon.AMBER, Icon.GREEN, Icon.GREY, Icon.NO_DATA))
    assert shown == "🔴🟠🟢⚪\ufe0f➖\ufe0f"
