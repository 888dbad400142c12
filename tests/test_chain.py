"""The register's sign-off chain: directorates, the Leadership Team and the agenda deadline are
checked with located errors (issue 14)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.errors import InputRejected
from bot.register import load_register
from tests.conftest import EXAMPLES


def _register(tmp_path: Path, change: Any) -> Path:
    data = yaml.safe_load((EXAMPLES / "register.yaml").read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "register.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _problems(path: Path) -> list[str]:
    with pytest.raises(InputRejected) as caught:
        load_register(path)
    return [str(error) for error in caught.value.errors]


def test_the_example_chain_loads() -> None:
    spec = load_register(EXAMPLES / "register.yaml")
    assert [d.name for d in spec.directorates] == ["Place", "Resources and Communities"]
    assert spec.leadership_team is not None
    assert spec.leadership_team.approvers == ["chief.executive@example.gov.uk"]
    assert spec.calendar is not None and spec.calendar.agenda_deadline == 10


def test_every_head_of_service_is_in_exactly_one_directorate(tmp_path: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        place, resources = data["directorates"]
        resources["heads_of_service"] = [
            "hos.communities@example.gov.uk",
            "hos.planning@example.gov.uk",
        ]
        place["executive_director"] = "hos.environment@example.gov.uk"

    problems = _problems(_register(tmp_path, change))
    text = "\n".join(problems)
    assert "hos.planning@example.gov.uk is already in the Place directorate" in text
    assert "hos.corporate@example.gov.uk is a Head of Service in no directorate" in text
    assert "the Executive Director approves the Heads of Service's sign-off" in text
    assert all("line " in problem for problem in problems)  # each one located


def test_a_leadership_team_needs_an_approver_and_the_deadline_a_sensible_number(
    tmp_path: Path,
) -> None:
    def no_approver(data: dict[str, Any]) -> None:
        data["leadership_team"]["approvers"] = []

    def far_deadline(data: dict[str, Any]) -> None:
        data["calendar"]["agenda_deadline"] = 99

    [problem] = _problems(_register(tmp_path, no_approver))
    assert "leadership_team.approvers: name at least one approver" in problem
    [problem] = _problems(_register(tmp_path, far_deadline))
    assert "agenda_deadline: must be from 0 to 60 working days (found 99)" in problem
