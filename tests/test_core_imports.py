"""The core is chat-neutral when it runs, not only as written (issue 12): importing every module
under bot/ and storage/ in a fresh interpreter loads no Slack or Teams package, nor the
adapters in handlers/ (tests/test_teams_sdk.py reads their import lines; this catches an
import that arrives through a third party or at run time)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHAT = ("slack_bolt", "slack_sdk", "microsoft_teams", "handlers", "sandbox")

PROBE = """
import importlib, json, pathlib, sys
root = pathlib.Path(sys.argv[1])
names = sorted(
    ".".join(path.relative_to(root).with_suffix("").parts).removesuffix(".__init__")
    for package in ("bot", "storage")
    for path in (root / package).rglob("*.py")
    if "migrations" not in path.parts
)
for name in names:
    importlib.import_module(name)
print(json.dumps({"imported": names, "loaded": sorted(sys.modules)}))
"""


def test_importing_the_whole_core_loads_no_chat_package() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(ROOT)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert "bot.chat.conversation" in seen["imported"] and "storage.models" in seen["imported"]
    loaded = [name for name in seen["loaded"] if name.split(".")[0] in CHAT]
    assert loaded == []
