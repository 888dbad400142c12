"""pmf-bot's core: the reporting calendar, RAGG rules, the register and the use cases.

Nothing here knows Slack or SQL; `storage` and `handlers` are the adapters around it.
"""
