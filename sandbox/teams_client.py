"""Activities as Teams sends them to a bot, signed by the stand-in's key (`TeamsStandIn`).

`TeamsClientSimulator(url, stand_in)` posts what a person does in Teams — install the app,
type a message, click an `Action.Execute` button, open and submit a dialog — to the bot's
`/api/messages`, with a Bot Framework token exactly as the Bot Connector would send it (its
`serviceurl` claim the activity's `serviceUrl`). `move(user, url)` sends that person's later
activities from another service URL, as Teams does when it moves a conversation.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from sandbox.teams_api import TeamsStandIn, TeamsUser


class TeamsClientSimulator:
    def __init__(self, url: str, stand_in: TeamsStandIn, *, signed: bool = True) -> None:
        self.url, self.teams, self.signed = url, stand_in, signed
        self.http = httpx.Client(timeout=30)
        self._service_urls: dict[str, str] = {}  # user id → where their activities come from

    def move(self, user: TeamsUser, service_url: str) -> None:
        self._service_urls[user.id] = service_url

    def activity(self, user: TeamsUser, kind: str, **fields: Any) -> dict[str, Any]:
        conversation = self.teams.personal_conversation(user)
        return {
            "type": kind,
            "id": uuid.uuid4().hex,
            "channelId": "msteams",
            "serviceUrl": self._service_urls.get(user.id, self.teams.service_url),
            "from": {"id": user.id, "name": user.name, "aadObjectId": user.aad_object_id},
            "recipient": {"id": f"28:{self.teams.app_id}", "name": "pmf-bot"},
            "conversation": {
                "id": conversation,
                "conversationType": "personal",
                "tenantId": self.teams.tenant_id,
            },
            "channelData": {"tenant": {"id": self.teams.tenant_id}},
            **fields,
        }

    def post(self, activity: dict[str, Any], *, token: str | None = None) -> httpx.Response:
        headers = {}
        if token is None and self.signed:
            token = self.teams.token_for(service_url=str(activity.get("serviceUrl") or ""))
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.http.post(self.url, json=activity, headers=headers)

    def install(self, user: TeamsUser) -> httpx.Response:
        """Install the app in the person's chat as Teams does: an `installationUpdate`, then a
        `conversationUpdate` adding the person and the bot (the second answer is returned)."""
        first = self.post(self.activity(user, "installationUpdate", action="add"))
        if first.status_code != 200:
            return first
        added = [
            {"id": user.id, "aadObjectId": user.aad_object_id},
            {"id": f"28:{self.teams.app_id}"},
        ]
        return self.post(self.activity(user, "conversationUpdate", membersAdded=added))

    def add_to_team(
        self, user: TeamsUser, *, team: str, general: str, name: str = "General"
    ) -> httpx.Response:
        """`user` adds the app to a team: Teams sends one `conversationUpdate` from the team's
        General channel (its id is the team's), whatever the team's other channels."""
        activity = self.activity(
            user,
            "conversationUpdate",
            membersAdded=[{"id": f"28:{self.teams.app_id}"}],
            channelData={
                "tenant": {"id": self.teams.tenant_id},
                "team": {"id": team, "name": name},
                "channel": {"id": general, "name": name},
                "eventType": "teamMemberAdded",
            },
        )
        activity["conversation"] = {
            "id": general,
            "conversationType": "channel",
            "isGroup": True,
            "tenantId": self.teams.tenant_id,
        }
        return self.post(activity)

    def say(self, user: TeamsUser, words: str) -> httpx.Response:
        return self.post(self.activity(user, "message", text=words))

    def execute(self, user: TeamsUser, verb: str, data: dict[str, Any]) -> httpx.Response:
        value = {"action": {"type": "Action.Execute", "verb": verb, "data": data}}
        return self.post(self.activity(user, "invoke", name="adaptiveCard/action", value=value))

    def click(self, user: TeamsUser, action: dict[str, Any]) -> httpx.Response:
        """Click a card's action as Teams would: an Action.Execute is an adaptiveCard/action
        invoke; an Action.Submit asking for a dialog is task/fetch."""
        if action["type"] == "Action.Execute":
            return self.execute(user, action["verb"], action.get("data") or {})
        data = action.get("data") or {}
        if (data.get("msteams") or {}).get("type") == "task/fetch":
            return self.post(self.activity(user, "invoke", name="task/fetch", value={"data": data}))
        raise ValueError(f"not a button this simulator clicks: {action}")

    def submit_dialog(
        self, user: TeamsUser, card: dict[str, Any], values: dict[str, str]
    ) -> httpx.Response:
        """Fill in a dialog's card and press its button (task/submit)."""
        data = {**card["actions"][0]["data"], **values}
        return self.post(self.activity(user, "invoke", name="task/submit", value={"data": data}))
