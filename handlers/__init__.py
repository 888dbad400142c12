"""The Slack adapter: Bolt listeners, Block Kit builders and the Slack notifier.

It arrives with the chat surface (issue 3); the core in `bot` is written so that this package,
or a Microsoft Teams one beside it, can reuse every use case unchanged.
"""
