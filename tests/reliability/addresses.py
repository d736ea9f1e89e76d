"""Clients with a source address of their own: any address of 127.0.0.0/8 reaches a server
on the loopback interface, so one test can speak as several client addresses (what the
per-address limits of logins and registrations count)."""

from __future__ import annotations

import httpx


def client_from(base_url: str, address: str) -> httpx.Client:
    """An HTTP client of `base_url` whose connections leave from `address`."""
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(base_url=base_url, timeout=30, transport=transport)
