"""Loopback checks for `--teams-local` (PRODUCT §10), in a module of their own: `pmf-bot run`
needs them before it knows whether Teams is served at all, and importing the Teams surface
(Microsoft's SDK with it) costs a Slack-only process about 50 MB."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def loopback_url(url: object) -> bool:
    return isinstance(url, str) and is_loopback(urlsplit(url).hostname or "")
