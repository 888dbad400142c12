"""Stand-ins for the chat platforms and the sandbox built on them.

* `slack_api`: a local HTTP server that plays Slack's Web API and records every call;
* `slack_client`: Slack's side of the app's endpoint — signed commands, clicks and events;
* `slack_blocks`: the Block Kit limits the stand-in enforces;
* `app` and `page/`: `pmf-bot sandbox`, the real bot against the stand-in in a browser.

They play the platforms, not the bot: nothing in `bot`, `handlers` or `storage` imports them.
"""
