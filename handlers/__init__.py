"""The chat surfaces: one adapter per platform over the chat-neutral core in `bot`.

`handlers.slack` is the Slack adapter (Bolt listeners, Block Kit, delivery through the Web API).
"""
