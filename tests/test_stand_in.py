"""The Slack stand-in's contract, checked with a real slack_sdk WebClient and plain urllib.

What crosses the wire is what the bot's own tests (and the sandbox) rely on: Slack-shaped
answers and error codes, the recording, injected failures as the SDK sees them, and requests
to the app signed as Slack signs them (verified by slack_sdk and by a real Bolt app).
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
from slack_bolt import Ack, App, Respond
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient, WebhookClient
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier

from sandbox.slack_api import (
    BOT_USER_ID,
    GENERAL_CHANNEL_ID,
    TEAM_ID,
    SlackStandIn,
)
from sandbox.slack_blocks import block_errors
from sandbox.slack_client import SlackClientSimulator

SECRET = "stand-in-signing-secret"

MODAL: dict[str, Any] = {
    "type": "modal",
    "callback_id": "submit_form",
    "title": {"type": "plain_text", "text": "Submit SE1.1"},
    "submit": {"type": "plain_text", "text": "Submit"},
    "private_metadata": "SE1.1|2025-Q1",
    "blocks": [
        {
            "type": "input",
            "block_id": "value",
            "label": {"type": "plain_text", "text": "Value"},
            "element": {"type": "plain_text_input", "action_id": "input"},
        }
    ],
}

CARD_BLOCKS: list[dict[str, Any]] = [
    {"type": "section", "block_id": "summary", "text": {"type": "mrkdwn", "text": "*SE1.1* 42"}},
    {
        "type": "actions",
        "block_id": "decision",
        "elements": [
            {
                "type": "button",
                "action_id": "approve",
                "text": {"type": "plain_text", "text": "Approve"},
                "style": "primary",
                "value": "sub-1",
            },
            {
                "type": "button",
                "action_id": "reject",
                "text": {"type": "plain_text", "text": "Reject"},
                "value": "sub-1",
            },
        ],
    },
]


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    with SlackStandIn() as stand_in:
        yield stand_in


@pytest.fixture
def client(slack: SlackStandIn) -> WebClient:
    return WebClient(base_url=slack.api_url, token="xoxb-test")


def _post(url: str, body: bytes, content_type: str, **headers: str) -> tuple[int, Any]:
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": content_type, **headers}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.status, json.loads(response.read())


# -- lifecycle and auth --------------------------------------------------------------------------


def test_serves_on_a_free_port_and_stops() -> None:
    stand_in = SlackStandIn().start()
    assert stand_in.api_url == f"http://127.0.0.1:{stand_in.port}/api/"
    assert WebClient(base_url=stand_in.api_url, token="xoxb-t").api_test()["ok"] is True
    url = stand_in.api_url + "api.test"
    stand_in.stop()
    with pytest.raises(OSError):
        urllib.request.urlopen(url, timeout=1)
    with pytest.raises(RuntimeError, match="not running"):
        _ = stand_in.api_url


def test_auth_test_answers_as_the_bot(client: WebClient) -> None:
    answer = client.auth_test()
    assert answer["team_id"] == TEAM_ID == "T0001"
    assert answer["user_id"] == BOT_USER_ID == "UBOT"
    assert answer["bot_id"] == "B0001"
    assert answer["user"] == "pmf-bot"
    assert answer["url"].startswith("https://")


def test_missing_or_wrong_token_is_refused_with_http_200(slack: SlackStandIn) -> None:
    with pytest.raises(SlackApiError) as missing:
        WebClient(base_url=slack.api_url).auth_test()
    assert missing.value.response.status_code == 200
    assert missing.value.response["error"] == "not_authed"
    with pytest.raises(SlackApiError) as wrong:
        WebClient(base_url=slack.api_url, token="xapp-1-nope").auth_test()
    assert wrong.value.response["error"] == "invalid_auth"


def test_token_may_come_as_a_form_param(slack: SlackStandIn) -> None:
    body = urllib.parse.urlencode({"token": "xoxp-user", "channel": "C0001", "text": "hi"})
    status, answer = _post(
        slack.api_url + "chat.postMessage", body.encode(), "application/x-www-form-urlencoded"
    )
    assert (status, answer["ok"]) == (200, True)
    assert slack.last("chat.postMessage") is not None
    assert slack.calls[-1].token == "xoxp-user"


# -- request parsing -------------------------------------------------------------------------------


def test_form_json_multipart_and_get_bodies_are_recorded_as_params(
    slack: SlackStandIn, client: WebClient
) -> None:
    blocks = [{"type": "divider"}]
    form = urllib.parse.urlencode(
        {"channel": "C0001", "text": "[draft]", "blocks": json.dumps(blocks)}
    )
    _post(
        slack.api_url + "chat.postMessage",
        form.encode(),
        "application/x-www-form-urlencoded",
        Authorization="Bearer xoxb-test",
    )
    form_call = slack.calls[-1]
    assert form_call.params == {"channel": "C0001", "text": "[draft]", "blocks": blocks}
    assert form_call.headers["authorization"] == "Bearer xoxb-test"

    client.chat_postMessage(channel="C0001", text="json", blocks=blocks)
    json_call = slack.calls[-1]
    assert json_call.headers["content-type"].startswith("application/json")
    assert json_call.params["blocks"] == blocks

    client.api_call(
        "files.upload",
        files={"file": b"\x00\xff\r\nbytes"},
        data={"channels": "C0001", "attachments": '[{"fallback": "x"}]'},
    )
    multipart = slack.calls[-1]
    assert multipart.headers["content-type"].startswith("multipart/form-data")
    assert multipart.params["channels"] == "C0001"
    assert multipart.params["attachments"] == [{"fallback": "x"}]
    assert multipart.params["file"]["size"] == 9

    url = slack.api_url + "users.list?" + urllib.parse.urlencode({"limit": "5"})
    request = urllib.request.Request(url, headers={"Authorization": "Bearer xoxb-test"})
    with urllib.request.urlopen(request, timeout=5) as response:
        assert json.loads(response.read())["ok"] is True
    assert slack.last("users.list") is not None
    assert cast(Any, slack.last("users.list")).params == {"limit": "5"}


# -- users and conversations -------------------------------------------------------------------


def test_users_lookup_by_email_and_info(slack: SlackStandIn, client: WebClient) -> None:
    uid = slack.add_user("jane.smith@council.gov.uk", "Jane Smith")
    other = slack.add_user("raj@council.gov.uk", "Raj Patel")
    assert uid.startswith("U0") and other.startswith("U0") and uid != other
    assert slack.add_user("x@council.gov.uk", "X", user_id="U9XYZ") == "U9XYZ"

    user = client.users_lookupByEmail(email="Jane.Smith@council.gov.uk")["user"]
    assert user["id"] == uid
    assert user["name"] == "jane.smith"
    assert user["real_name"] == "Jane Smith"
    assert user["profile"]["email"] == "jane.smith@council.gov.uk"
    assert user["profile"]["display_name"] == "Jane Smith"
    assert user["tz"] == "Europe/London"
    assert user["is_bot"] is False
    assert client.users_info(user=uid)["user"] == user
    assert slack.users[uid] == user

    with pytest.raises(SlackApiError) as unknown_email:
        client.users_lookupByEmail(email="nobody@council.gov.uk")
    assert unknown_email.value.response["error"] == "users_not_found"
    with pytest.raises(SlackApiError) as unknown_id:
        client.users_info(user="U404")
    assert unknown_id.value.response["error"] == "user_not_found"


def test_dm_channel_is_stable_per_user(slack: SlackStandIn, client: WebClient) -> None:
    jane = slack.add_user("jane@council.gov.uk", "Jane")
    raj = slack.add_user("raj@council.gov.uk", "Raj")
    first = client.conversations_open(users=[jane])
    again = client.conversations_open(users=jane)
    assert first["channel"]["id"].startswith("D")
    assert again["channel"]["id"] == first["channel"]["id"]
    assert again["already_open"] is True
    assert client.conversations_open(users=raj)["channel"]["id"] != first["channel"]["id"]
    assert slack.dm_channel(jane) == first["channel"]["id"]
    with pytest.raises(SlackApiError) as unknown:
        client.conversations_open(users="U404")
    assert unknown.value.response["error"] == "user_not_found"


# -- messages ----------------------------------------------------------------------------------


def test_post_update_and_delete_keep_each_messages_current_state(
    slack: SlackStandIn, client: WebClient
) -> None:
    posted = client.chat_postMessage(channel="C0001", text="card", blocks=CARD_BLOCKS)
    second = client.chat_postMessage(channel="C0001", text="reply", thread_ts=posted["ts"])
    assert posted["channel"] == "C0001"
    assert posted["ts"] == "1700000000.000100"
    assert float(second["ts"]) > float(posted["ts"])
    assert posted["message"]["user"] == "UBOT"
    assert posted["message"]["bot_id"] == "B0001"
    assert posted["message"]["blocks"] == CARD_BLOCKS
    assert second["message"]["thread_ts"] == posted["ts"]

    updated = client.chat_update(channel="C0001", ts=posted["ts"], text="Approved", blocks=[])
    assert updated["ts"] == posted["ts"]
    stored = slack.messages("C0001")
    assert [m["ts"] for m in stored] == [posted["ts"], second["ts"]]
    assert (stored[0]["text"], stored[0]["blocks"]) == ("Approved", [])
    assert stored[0]["reply_count"] == 1
    assert slack.message("#general", second["ts"]) == stored[1]
    assert slack.channel_of(second["ts"]) == "C0001"

    with pytest.raises(SlackApiError) as missing:
        client.chat_update(channel="C0001", ts="1.000000", text="x")
    assert missing.value.response["error"] == "message_not_found"

    assert client.chat_delete(channel="C0001", ts=second["ts"])["ok"] is True
    assert [m["ts"] for m in slack.messages("C0001")] == [posted["ts"]]
    with pytest.raises(SlackApiError) as gone:
        client.chat_delete(channel="C0001", ts=second["ts"])
    assert gone.value.response["error"] == "message_not_found"


def test_channels_by_name_and_user_id(slack: SlackStandIn, client: WebClient) -> None:
    committee = slack.add_channel("pmf-committee")
    jane = slack.add_user("jane@council.gov.uk", "Jane")
    assert client.chat_postMessage(channel="#pmf-committee", text="hi")["channel"] == committee
    dm = client.chat_postMessage(channel=jane, text="you have 2 items due")
    assert dm["channel"] == slack.dm_channel(jane)
    assert slack.messages(dm["channel"])[0]["text"] == "you have 2 items due"
    assert client.chat_postMessage(channel="C0FOREIGN", text="ok")["ok"] is True
    with pytest.raises(SlackApiError) as unknown:
        client.chat_postMessage(channel="#nowhere", text="x")
    assert unknown.value.response["error"] == "channel_not_found"
    with pytest.raises(SlackApiError) as empty, pytest.warns(UserWarning):
        client.chat_postMessage(channel="C0001")
    assert empty.value.response["error"] == "no_text"
    with pytest.raises(KeyError):
        slack.messages("#nowhere")
    with pytest.raises(KeyError):
        slack.dm_channel("U404")


def test_post_ephemeral(slack: SlackStandIn, client: WebClient) -> None:
    jane = slack.add_user("jane@council.gov.uk", "Jane")
    answer = client.chat_postEphemeral(channel="C0001", user=jane, text="only you")
    assert answer["message_ts"]
    assert slack.ephemeral_messages(user=jane) == [
        {"channel": "C0001", "user": jane, "ts": answer["message_ts"], "text": "only you"}
    ]
    assert slack.messages("C0001") == []
    with pytest.raises(SlackApiError) as unknown:
        client.chat_postEphemeral(channel="C0001", user="U404", text="x")
    assert unknown.value.response["error"] == "user_not_found"


def test_block_kit_limits_are_enforced(client: WebClient) -> None:
    too_many = [{"type": "divider"}] * 51
    with pytest.raises(SlackApiError) as many:
        client.chat_postMessage(channel="C0001", text="x", blocks=too_many)
    assert many.value.response["error"] == "invalid_blocks"
    assert "must be less than 51 items" in many.value.response["errors"][0]

    long_text = [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}]
    with pytest.raises(SlackApiError) as long:
        client.chat_postMessage(channel="C0001", text="x", blocks=long_text)
    assert long.value.response["error"] == "invalid_blocks"

    assert block_errors([{"type": "divider"}] * 50) == []
    assert block_errors([{"type": "divider", "block_id": "a"}] * 2)[0].startswith("duplicate")
    assert block_errors([{"type": "divider"}] * 100, limit=100) == []


# -- views ---------------------------------------------------------------------------------------


def test_views_open_push_update_with_hash(slack: SlackStandIn, client: WebClient) -> None:
    opened = client.views_open(trigger_id=slack.issue_trigger(), view=MODAL)["view"]
    assert opened["id"].startswith("V")
    assert opened["callback_id"] == "submit_form"
    assert opened["private_metadata"] == "SE1.1|2025-Q1"
    assert opened["state"] == {"values": {}}
    assert opened["hash"]
    assert slack.views[opened["id"]] == opened
    assert slack.find_view("submit_form") == opened

    pushed = client.views_push(trigger_id="123.456.abc", view={**MODAL, "callback_id": "confirm"})
    assert pushed["view"]["id"] != opened["id"]
    assert pushed["view"]["previous_view_id"] == opened["id"]
    assert pushed["view"]["root_view_id"] == opened["id"]

    changed = {**MODAL, "title": {"type": "plain_text", "text": "Submitted"}}
    updated = client.views_update(view_id=opened["id"], hash=opened["hash"], view=changed)["view"]
    assert updated["id"] == opened["id"]
    assert updated["hash"] != opened["hash"]
    assert slack.views[opened["id"]]["title"]["text"] == "Submitted"

    with pytest.raises(SlackApiError) as stale:
        client.views_update(view_id=opened["id"], hash=opened["hash"], view=MODAL)
    assert stale.value.response["error"] == "hash_conflict"
    with pytest.raises(SlackApiError) as unknown:
        client.views_update(view_id="V404", view=MODAL)
    assert unknown.value.response["error"] == "not_found"


def test_views_update_by_external_id(client: WebClient) -> None:
    opened = client.views_open(trigger_id="1.2.3", view={**MODAL, "external_id": "sub-1"})["view"]
    updated = client.views_update(external_id="sub-1", view={**MODAL, "callback_id": "done"})
    assert updated["view"]["id"] == opened["id"]
    assert updated["view"]["external_id"] == "sub-1"


def test_views_open_needs_a_fresh_trigger_and_a_valid_view(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as no_trigger:
        client.api_call("views.open", json={"view": MODAL})
    assert no_trigger.value.response["error"] == "invalid_arguments"

    with SlackStandIn(trigger_ttl=0.05) as quick:
        trigger = quick.issue_trigger("U1")
        time.sleep(0.1)
        with pytest.raises(SlackApiError) as expired:
            WebClient(base_url=quick.api_url, token="xoxb-t").views_open(
                trigger_id=trigger, view=MODAL
            )
        assert expired.value.response["error"] == "expired_trigger_id"

    without_submit = {k: v for k, v in MODAL.items() if k != "submit"}
    with pytest.raises(SlackApiError) as no_submit:
        client.views_open(trigger_id="1.2.3", view=without_submit)
    assert no_submit.value.response["error"] == "invalid_arguments"
    too_many = {**MODAL, "blocks": [{"type": "divider"}] * 101}
    with pytest.raises(SlackApiError) as big:
        client.views_open(trigger_id="1.2.3", view=too_many)
    messages = big.value.response["response_metadata"]["messages"]
    assert any("must be less than 101 items" in m for m in messages)


def test_views_publish_keeps_the_latest_home_per_user(
    slack: SlackStandIn, client: WebClient
) -> None:
    jane = slack.add_user("jane@council.gov.uk", "Jane")
    home = {
        "type": "home",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "1"}}],
    }
    first = client.views_publish(user_id=jane, view=home)["view"]
    second = client.views_publish(user_id=jane, view={**home, "blocks": []}, hash=first["hash"])
    assert second["view"]["id"] == first["id"]
    assert slack.home_views[jane]["blocks"] == []
    with pytest.raises(SlackApiError) as stale:
        client.views_publish(user_id=jane, view=home, hash=first["hash"])
    assert stale.value.response["error"] == "hash_conflict"
    with pytest.raises(SlackApiError) as modal:
        client.views_publish(user_id=jane, view=MODAL)
    assert modal.value.response["error"] == "invalid_arguments"
    with pytest.raises(SlackApiError) as unknown:
        client.views_publish(user_id="U404", view=home)
    assert unknown.value.response["error"] == "user_not_found"


# -- files -------------------------------------------------------------------------------------


def test_files_upload_v2_end_to_end(slack: SlackStandIn, client: WebClient) -> None:
    content = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    answer = client.files_upload_v2(
        channel="C0001", content=content, filename="x.png", title="Board", initial_comment="Q1"
    )
    file_id = answer["file"]["id"]
    assert answer["files"] == [{"id": file_id, "title": "Board"}]
    assert slack.uploaded(file_id) == content
    assert [c.method for c in slack.calls] == [
        "files.getUploadURLExternal",
        "upload",
        "files.completeUploadExternal",
    ]
    asked = slack.calls[0].params
    assert (asked["filename"], asked["length"]) == ("x.png", str(len(content)))
    assert slack.calls[2].params["files"] == [{"id": file_id, "title": "Board"}]
    shared = slack.messages("C0001")[-1]
    assert shared["text"] == "Q1"
    assert shared["files"][0]["id"] == file_id
    assert slack.files[file_id]["size"] == len(content)


def test_complete_upload_of_a_file_never_uploaded_fails(client: WebClient) -> None:
    url = client.files_getUploadURLExternal(filename="a.csv", length=3)
    with pytest.raises(SlackApiError) as missing:
        client.files_completeUploadExternal(files=[{"id": url["file_id"]}], channel_id="C0001")
    assert missing.value.response["error"] == "file_not_found"


# -- unknown methods ---------------------------------------------------------------------------


def test_unknown_methods_succeed_unless_strict(slack: SlackStandIn, client: WebClient) -> None:
    assert client.reactions_add(channel="C0001", name="tada", timestamp="1.2")["ok"] is True
    assert cast(Any, slack.last("reactions.add")).params["name"] == "tada"
    with SlackStandIn(strict=True) as strict:
        with pytest.raises(SlackApiError) as unknown:
            WebClient(base_url=strict.api_url, token="xoxb-t").reactions_add(
                channel="C0001", name="tada", timestamp="1.2"
            )
        assert unknown.value.response["error"] == "unknown_method"


# -- recording ---------------------------------------------------------------------------------


def test_recording_and_wait_for(slack: SlackStandIn, client: WebClient) -> None:
    client.auth_test()
    timer = threading.Timer(0.05, lambda: client.chat_postMessage(channel="C0001", text="late"))
    timer.start()
    calls = slack.wait_for("chat.postMessage", timeout=2)
    timer.join()
    assert [c.params["text"] for c in calls] == ["late"]
    assert calls[0].ok and calls[0].at <= time.time()
    assert cast(Any, slack.last("chat.postMessage")).response["ts"] == calls[0].response["ts"]
    assert slack.last("views.open") is None

    with pytest.raises(AssertionError, match=r"got 1; methods seen: auth.test ×1, chat"):
        slack.wait_for("chat.postMessage", count=2, timeout=0.05)

    slack.clear()
    assert slack.calls == [] and slack.calls_to("auth.test") == []
    assert len(slack.messages("C0001")) == 1  # clear() keeps the workspace
    slack.reset()
    assert slack.messages("C0001") == [] and list(slack.users) == [BOT_USER_ID]


# -- failure injection ---------------------------------------------------------------------------


def test_429_with_retry_after_reaches_the_sdk(slack: SlackStandIn, client: WebClient) -> None:
    slack.fail_next("chat.postMessage", status=429, retry_after=7, times=2)
    for _ in range(2):
        with pytest.raises(SlackApiError) as limited:
            client.chat_postMessage(channel="C0001", text="x")
        response = limited.value.response
        assert response.status_code == 429
        assert response.headers["Retry-After"] == "7"
        assert response["error"] == "ratelimited"
    assert client.chat_postMessage(channel="C0001", text="x")["ok"] is True
    assert [c.status for c in slack.calls_to("chat.postMessage")] == [429, 429, 200]
    assert len(slack.messages("C0001")) == 1


def test_server_errors_and_ok_false(slack: SlackStandIn, client: WebClient) -> None:
    slack.fail_next("chat.postMessage", status=500)
    with pytest.raises(SlackApiError) as crashed:
        client.chat_postMessage(channel="C0001", text="x")
    assert crashed.value.response.status_code == 500
    assert "Internal Server Error" in crashed.value.response["error"]

    slack.fail_next("chat.update", status=503, retry_after=2)
    with pytest.raises(SlackApiError) as unavailable:
        client.chat_update(channel="C0001", ts="1.2", text="x")
    assert unavailable.value.response.status_code == 503
    assert unavailable.value.response.headers["Retry-After"] == "2"

    slack.fail_next("chat.postMessage", error="channel_not_found")
    with pytest.raises(SlackApiError) as refused:
        client.chat_postMessage(channel="C0001", text="x")
    assert refused.value.response.status_code == 200
    assert refused.value.response["error"] == "channel_not_found"

    slack.fail_next("auth.test", status=200, body={"ok": False, "error": "account_inactive"})
    with pytest.raises(SlackApiError) as custom:
        client.auth_test()
    assert custom.value.response["error"] == "account_inactive"

    assert slack.messages("C0001") == []
    with pytest.raises(ValueError, match="needs error="):
        slack.fail_next("chat.postMessage")


def test_rate_limit_is_a_token_bucket(slack: SlackStandIn, client: WebClient) -> None:
    slack.rate_limit("chat.postMessage", 5)
    for _ in range(5):  # the bucket starts full
        client.chat_postMessage(channel="C0001", text="burst")
    with pytest.raises(SlackApiError) as limited:  # faster than 5 a second, however slow the CI
        for _ in range(5):
            client.chat_postMessage(channel="C0001", text="too fast")
    assert limited.value.response.status_code == 429
    assert limited.value.response["error"] == "ratelimited"
    retry_after = limited.value.response.headers["Retry-After"]
    assert retry_after.isdigit() and int(retry_after) >= 1
    assert client.users_list()["ok"] is True  # other methods are not limited
    time.sleep(0.25)
    assert client.chat_postMessage(channel="C0001", text="later")["ok"] is True
    slack.rate_limit("chat.postMessage", None)
    for _ in range(3):
        client.chat_postMessage(channel="C0001", text="free")


def test_latency_delays_every_answer(slack: SlackStandIn, client: WebClient) -> None:
    slack.set_latency(0.15)
    started = time.monotonic()
    client.auth_test()
    assert time.monotonic() - started >= 0.15
    slack.set_latency(0)


# -- response_url ------------------------------------------------------------------------------


def test_response_url_posts_are_recorded_and_act_on_the_message(
    slack: SlackStandIn, client: WebClient
) -> None:
    jane = slack.add_user("jane@council.gov.uk", "Jane")
    card = client.chat_postMessage(channel="C0001", text="card", blocks=CARD_BLOCKS)
    url = slack.new_response_url(channel_id="C0001", message_ts=card["ts"], user_id=jane)
    assert url.startswith(slack.base_url + "/response/")

    webhook = WebhookClient(url)
    assert webhook.send(text="Approved by Jane", replace_original=True).status_code == 200
    assert slack.message("C0001", card["ts"]) is not None
    assert cast(Any, slack.message("C0001", card["ts"]))["text"] == "Approved by Jane"
    webhook.send(text="Only you can see this")
    webhook.send(text="For everyone", response_type="in_channel")
    assert slack.responses()[0] == {"text": "Approved by Jane", "replace_original": True}
    assert len(slack.wait_for("response_url", count=3)) == 3
    assert slack.ephemeral_messages(user=jane)[0]["text"] == "Only you can see this"
    assert slack.messages("C0001")[-1]["text"] == "For everyone"
    webhook.send(delete_original=True)
    assert slack.message("C0001", card["ts"]) is None


# -- the simulator ---------------------------------------------------------------------------------


class _Capture:
    """A bare HTTP endpoint that keeps what the simulator sent."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        capture = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                capture.requests.append((dict(self.headers.items()), body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/slack/events"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def payload(self) -> dict[str, Any]:
        _, body = self.requests[-1]
        form = urllib.parse.parse_qs(body.decode())
        return cast(dict[str, Any], json.loads(form["payload"][0]))


@pytest.fixture
def capture() -> Iterator[_Capture]:
    endpoint = _Capture()
    yield endpoint
    endpoint.server.shutdown()
    endpoint.server.server_close()


def test_requests_are_signed_as_slack_signs_them(capture: _Capture) -> None:
    simulator = SlackClientSimulator(capture.url, SECRET)
    status, _, _ = simulator.command("U1", "status SE1")
    assert status == 200
    headers, body = capture.requests[-1]
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert SignatureVerifier(SECRET).is_valid_request(body, headers)
    assert not SignatureVerifier("another-secret").is_valid_request(body, headers)
    timestamp = headers["X-Slack-Request-Timestamp"]
    expected = SignatureVerifier(SECRET).generate_signature(timestamp=timestamp, body=body.decode())
    assert headers["X-Slack-Signature"] == expected

    simulator.post(b"{}", "application/json", timestamp=1, signature="v0=forged")
    headers, _ = capture.requests[-1]
    assert (headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"]) == (
        "1",
        "v0=forged",
    )


def test_payload_shapes(slack: SlackStandIn, client: WebClient, capture: _Capture) -> None:
    jane = slack.add_user("jane.smith@council.gov.uk", "Jane Smith")
    simulator = SlackClientSimulator(capture.url, SECRET, stand_in=slack)

    simulator.command(jane, "submit SE1.1")
    _, body = capture.requests[-1]
    fields = dict(urllib.parse.parse_qsl(body.decode()))
    assert set(fields) >= {
        "token", "team_id", "team_domain", "channel_id", "channel_name", "user_id", "user_name",
        "command", "text", "api_app_id", "response_url", "trigger_id",
    }  # fmt: skip
    assert (fields["command"], fields["text"], fields["user_name"]) == (
        "/pmf",
        "submit SE1.1",
        "jane.smith",
    )
    assert (fields["channel_id"], fields["channel_name"]) == (GENERAL_CHANNEL_ID, "general")
    assert fields["response_url"].startswith(slack.base_url + "/response/")

    card = client.chat_postMessage(channel="C0001", text="card", blocks=CARD_BLOCKS)
    simulator.block_action(jane, "approve", "sub-1", message=card["ts"])
    payload = capture.payload()
    assert payload["type"] == "block_actions"
    assert payload["user"] == {
        "id": jane,
        "username": "jane.smith",
        "name": "jane.smith",
        "team_id": TEAM_ID,
    }
    assert payload["container"] == {
        "type": "message", "message_ts": card["ts"], "channel_id": "C0001", "is_ephemeral": False,
    }  # fmt: skip
    assert payload["channel"] == {"id": "C0001", "name": "general"}
    assert payload["message"]["ts"] == card["ts"]
    assert payload["message"]["blocks"] == CARD_BLOCKS
    assert payload["team"]["id"] == TEAM_ID and payload["api_app_id"] and payload["token"]
    assert payload["trigger_id"] and payload["response_url"].startswith(slack.base_url)
    action = payload["actions"][0]
    assert (action["action_id"], action["block_id"], action["value"]) == (
        "approve",
        "decision",
        "sub-1",
    )
    assert (
        action["type"] == "button" and action["text"]["text"] == "Approve" and action["action_ts"]
    )

    opened = client.views_open(trigger_id=simulator.last_trigger_id or "", view=MODAL)["view"]
    simulator.view_submission(jane, opened["id"], {"value": {"input": "42"}})
    payload = capture.payload()
    assert payload["type"] == "view_submission"
    assert set(payload) >= {"team", "user", "api_app_id", "token", "trigger_id", "view"}
    view = payload["view"]
    assert (view["id"], view["type"], view["callback_id"]) == (opened["id"], "modal", "submit_form")
    assert view["private_metadata"] == "SE1.1|2025-Q1" and view["hash"] == opened["hash"]
    assert view["state"]["values"] == {
        "value": {"input": {"type": "plain_text_input", "value": "42"}}
    }
    assert view["title"] == MODAL["title"] and view["blocks"] == MODAL["blocks"]

    simulator.view_closed(jane, MODAL, is_cleared=True)
    closed = capture.payload()
    assert (closed["type"], closed["is_cleared"], closed["view"]["callback_id"]) == (
        "view_closed",
        True,
        "submit_form",
    )

    simulator.event(
        {"type": "app_mention", "user": jane, "text": "hi"}, event_id="Ev1", retry_num=1
    )
    headers, body = capture.requests[-1]
    envelope = json.loads(body)
    assert headers["Content-Type"] == "application/json"
    assert (headers["X-Slack-Retry-Num"], headers["X-Slack-Retry-Reason"]) == ("1", "http_timeout")
    assert (envelope["type"], envelope["event_id"], envelope["team_id"]) == (
        "event_callback",
        "Ev1",
        TEAM_ID,
    )
    assert envelope["api_app_id"] and isinstance(envelope["event_time"], int)
    assert envelope["event"]["type"] == "app_mention" and envelope["event"]["event_ts"]
    assert SignatureVerifier(SECRET).is_valid_request(body, headers)


# -- a real Bolt app between the two halves -------------------------------------------------


class _QuietWSGIHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def bolt_url(slack: SlackStandIn) -> Iterator[str]:
    app = App(client=WebClient(base_url=slack.api_url, token="xoxb-test"), signing_secret=SECRET)

    @app.command("/pmf")
    def pmf(ack: Ack, command: dict[str, Any], respond: Respond, client: WebClient) -> None:
        ack()
        if command["text"] == "submit":
            client.views_open(trigger_id=command["trigger_id"], view=MODAL)
        else:
            respond(text=f"status of {command['text']}")

    @app.action("approve")
    def approve(ack: Ack, respond: Respond) -> None:
        ack()
        respond(replace_original=True, text="Approved")

    @app.view("submit_form")
    def submitted(ack: Ack, view: dict[str, Any]) -> None:
        value = view["state"]["values"]["value"]["input"]["value"]
        if value.isdigit():
            ack()
        else:
            ack(response_action="errors", errors={"value": "Enter a number, such as 42."})

    server = make_server("127.0.0.1", 0, SlackRequestHandler(app), handler_class=_QuietWSGIHandler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/slack/events"
    server.shutdown()
    server.server_close()


def test_a_bolt_app_driven_through_the_stand_in(
    slack: SlackStandIn, client: WebClient, bolt_url: str
) -> None:
    jane = slack.add_user("jane@council.gov.uk", "Jane")
    simulator = SlackClientSimulator(bolt_url, SECRET, stand_in=slack)

    assert simulator.command(jane, "SE1").status == 200
    assert slack.wait_for("response_url")[0].params["text"] == "status of SE1"
    assert slack.ephemeral_messages(user=jane)[0]["text"] == "status of SE1"

    assert simulator.command(jane, "submit").status == 200
    opened = slack.wait_for("views.open")[0].response["view"]
    bad = simulator.view_submission(jane, opened["id"], {"value": {"input": "lots"}})
    assert bad.json() == {
        "response_action": "errors",
        "errors": {"value": "Enter a number, such as 42."},
    }
    assert simulator.view_submission(jane, opened["id"], {"value": {"input": "42"}}).body == b""

    card = client.chat_postMessage(channel="C0001", text="card", blocks=CARD_BLOCKS)
    assert simulator.block_action(jane, "approve", "sub-1", message=card["ts"]).status == 200
    slack.wait_for("response_url", count=2)
    assert cast(Any, slack.message("C0001", card["ts"]))["text"] == "Approved"

    forged = SlackClientSimulator(bolt_url, "not-the-secret", stand_in=slack)
    assert forged.command(jane, "SE1").status == 401
