"""A project in Microsoft Teams (issue 14): the form's milestones as Adaptive Card choice sets,
a report submitted from the dialog, and the reviewer's card with the milestones and the
proposed RAGG — the same use cases as in Slack, rendered by handlers/teams/render.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.teams_harness import TeamsBot, running_teams_bot
from tests.test_slack_support import JANE, WASTE, submissions


@pytest.fixture
def teams(sqlite_url: str) -> Iterator[TeamsBot]:
    with running_teams_bot(sqlite_url) as bot:
        yield bot


def _actions(card: dict[str, Any]) -> list[dict[str, Any]]:
    found = list(card.get("actions") or [])
    for item in card.get("body") or []:
        if item.get("type") == "ActionSet":
            found += item.get("actions") or []
    return found


def _open_form(teams: TeamsBot, email: str, ref: str) -> dict[str, Any]:
    """`submit REF` in the personal chat, then the card's button: the dialog's card."""
    teams.say(email, f"submit {ref}")
    teams.settle()
    [card] = [c for c in teams.cards(email) if ref in json.dumps(c)][-1:]
    for action in _actions(card):
        data = action.get("data") or {}
        if (data.get("msteams") or {}).get("type") == "task/fetch":
            answer = teams.client.click(teams.people[email], action)
            assert answer.status_code == 200, answer.text
            dialog: dict[str, Any] = answer.json()["task"]["value"]["card"]["content"]
            return dialog
    raise AssertionError(f"no button opens the form: {card}")


def test_a_project_is_reported_and_reviewed_in_teams(teams: TeamsBot) -> None:
    assert teams.client.install(teams.people[WASTE]).status_code in (200, 201)
    form = _open_form(teams, JANE, "SE1.P1")
    choices = [item for item in form["body"] if item.get("type") == "Input.ChoiceSet"]
    assert [item["id"] for item in choices] == [f"milestone_{n}" for n in range(5)]
    assert choices[2]["label"] == "Heat pumps installed and commissioned — due Tue 31 Mar 2026"
    assert [c["value"] for c in choices[0]["choices"]] == [
        "not_started",
        "on_track",
        "at_risk",
        "done",
    ]
    assert [c["title"] for c in choices[0]["choices"]] == [
        "Not started",
        "On track",
        "At risk",
        "Done",
    ]
    assert all(item["isRequired"] and item["style"] == "compact" for item in choices)
    ids = [item.get("id") for item in form["body"]]
    assert "value" not in ids and "overview" in ids
    values = {
        "milestone_0": "done",
        "milestone_1": "done",
        "milestone_2": "done",
        "milestone_3": "on_track",
        "milestone_4": "not_started",
        "overview": "Heat pumps commissioned in April; solar connected on 29 September.",
    }
    answer = teams.client.submit_dialog(teams.people[JANE], form, values)
    assert answer.status_code == 200, answer.text
    teams.settle()
    [saved] = submissions(teams, "SE1.P1")  # type: ignore[arg-type]
    assert saved.value == 3
    [activity] = [a for a in teams.chat(WASTE) if a.get("summary", "").startswith("SE1.P1")]
    assert (
        activity["summary"] == "SE1.P1 2026-27 Q2: 3 of 5 milestones done from Jane Doe — to review"
    )
    [attachment] = activity["attachments"]
    card = attachment["content"]
    # The words as Teams shows them (its markdown escapes are taken off).
    shown = json.dumps(card, ensure_ascii=False).replace("\\\\", "")
    assert "Milestones as at Wed 30 Sep 2026" in shown
    assert "**Green** — milestones on track (3 of 5 done)" in shown
    assert "**On track** · due Wed 30 Sep 2026 · Roof solar array connected" in shown
    verbs = {a.get("verb") for a in _actions(card)}
    assert {"approve", "reject"} <= verbs, verbs
