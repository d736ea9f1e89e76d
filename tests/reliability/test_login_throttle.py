"""Brute-force login is slowed per (username, address) and per address, without letting a
stranger lock anybody out: after a few failures a pair is refused with a clear 429 and
`Retry-After` (on the API and the login form alike), and each further failure doubles the
wait; an address over its own limit is refused for every username, but only that address.
The owner, from another address, always gets in. On the production deployment the counts
live in Redis, so two uvicorn worker processes share them; the embedded one counts in its
single process."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest

from app.core.config import Settings
from tests.app.support import PASSWORD, new_user
from tests.conftest import backend_settings
from tests.reliability.addresses import client_from
from tests.reliability.servers import web_server

PER_PAIR, PER_ADDRESS, WINDOW_S, BACKOFF_S = 3, 8, 600, 20
ATTACKER, OWNER = "127.0.0.2", "127.0.0.3"


@contextmanager
def _clients(backend: str, data: Path) -> Iterator[tuple[Settings, httpx.Client, httpx.Client]]:
    with ExitStack() as stack:
        settings = backend_settings(
            stack,
            backend,
            data,
            login_max_failures=PER_PAIR,
            login_max_failures_per_address=PER_ADDRESS,
            login_window_s=WINDOW_S,
            login_backoff_s=BACKOFF_S,
        )
        server = stack.enter_context(
            web_server(settings, workers=2 if backend == "production" else 1)
        )
        attacker = stack.enter_context(client_from(server.url, ATTACKER))
        owner = stack.enter_context(client_from(server.url, OWNER))
        yield settings, attacker, owner


def _username(http: httpx.Client, settings: Settings) -> str:
    name: str = http.get("/api/v1/users/me", headers=new_user(settings)).json()["username"]
    return name


def page_login(http: httpx.Client, username: str, password: str) -> httpx.Response:
    """Log in through the form, as a browser would; the answer."""
    form = http.get("/login").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert csrf is not None
    data = {"username": username, "password": password, "csrf_token": csrf.group(1)}
    return http.post("/login", data=data)


@pytest.mark.parametrize("backend", ["embedded", "production"])
def test_failed_logins_are_limited_per_pair_and_address(backend: str, tmp_path: Path) -> None:
    with _clients(backend, tmp_path / "data") as (settings, attacker, owner):

        def token(http: httpx.Client, user: str, password: str) -> httpx.Response:
            return http.post("/api/v1/tokens", auth=(user, password))

        steady, attacked, bystander = (_username(attacker, settings) for _ in range(3))

        # a success clears the pair's count (the address keeps its failures: 4)
        codes = [token(attacker, steady, p).status_code for p in ("bad", "bad", PASSWORD)]
        codes += [token(attacker, steady, "bad").status_code for _ in range(2)]
        assert codes == [401, 401, 201, 401, 401]

        guesses = [token(attacker, attacked, "guess").status_code for _ in range(PER_PAIR)]
        assert guesses == [401] * PER_PAIR
        blocked = token(attacker, attacked, PASSWORD)  # even the right one, from there
        assert blocked.status_code == 429
        assert blocked.json()["detail"].startswith("too many failed logins")
        assert 0 < int(blocked.headers["retry-after"]) <= BACKOFF_S
        page = page_login(attacker, attacked, PASSWORD)
        assert page.status_code == 429
        assert "too many failed logins" in page.text
        # the owner, from another address, is not locked out: API and form
        assert token(owner, attacked, PASSWORD).status_code == 201
        assert page_login(owner, attacked, PASSWORD).status_code == 303

        # another account from the attacker's address still gets in, until the address is spent
        assert token(attacker, bystander, PASSWORD).status_code == 201
        assert token(attacker, "nobody-at-all", "guess").status_code == 401  # 8th failure
        assert token(attacker, bystander, PASSWORD).status_code == 429
        assert page_login(attacker, bystander, PASSWORD).status_code == 429
        # ... and only for that address
        assert token(owner, bystander, PASSWORD).status_code == 201
