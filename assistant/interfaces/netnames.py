"""Host names shared by the HTTP API and the chat UI: which bind addresses and Host names are this machine."""

from __future__ import annotations

import ipaddress


def is_loopback(host: str) -> bool:
    """Whether a host name or address only reaches this machine (localhost, 127.0.0.0/8, ::1 in any spelling)."""
    name = host.strip().strip("[]").lower().rstrip(".")
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False
