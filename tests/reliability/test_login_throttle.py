"""Brute-force login is slowed: after a few failures per account, or more per address, the
password is not even checked and the answer is a clear 429 with `Retry-After`, on the API
and on the login form alike. On the production deployment the counts live in Redis, so
two uvicorn worker processes share them; the embedded one counts in its single process."""

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
from tests.reliability.servers import web_server

PER_ACCOUNT, PER_ADDRESS, WINDOW_S = 3, 8, 120


@contextmanager
def _client(backend: str, data: Path) -> Iterator[tuple[Settings, httpx.Client]]:
    with ExitStack() as stack:
        settings = backend_settings(
            stack,
            backend,
            data,
            login_max_failures=PER_ACCOUNT,
            login_max_failures_per_address=PER_ADDRESS,
            login_window_s=WINDOW_S,
        )
        server = stack.enter_context(
            web_server(settings, workers=2 if backend == "production" else 1)
        )
        yield settings, stack.enter_context(httpx.Client(base_url=server.url, timeout=30))


def _username(http: httpx.Client, settings: Settings) -> str:
    name: str = http.get("/api/v1/users/me", headers=new_user(settings)).json()["username"]
    return name


def _page_login(http: httpx.Client, username: str, password: str) -> httpx.Response:
    form = http.get("/login").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert csrf is not None
    data = {"username": username, "password": password, "csrf_token": csrf.group(1)}
    return http.post("/login", data=data)


@pytest.mark.parametrize("backend", ["embedded", "production"])
def test_failed_logins_are_limited_per_account_and_address(backend: str, tmp_path: Path) -> None:
    with _client(backend, tmp_path / "data") as (settings, http):

        def token(user: str, password: str) -> int:
            return http.post("/api/v1/tokens", auth=(user, password)).status_code

        steady, attacked, bystander = (_username(http, settings) for _ in range(3))

        # a success clears the account's count (the address keeps its failures: 4)
        codes = [token(steady, "wrong"), token(steady, "wrong"), token(steady, PASSWORD)]
        codes += [token(steady, "wrong"), token(steady, "wrong")]
        assert codes == [401, 401, 201, 401, 401]

        assert [token(attacked, "guess") for _ in range(PER_ACCOUNT)] == [401] * PER_ACCOUNT
        blocked = http.post("/api/v1/tokens", auth=(attacked, PASSWORD))  # even the right one
        assert blocked.status_code == 429
        assert blocked.json()["detail"].startswith("too many failed logins")
        assert 0 < int(blocked.headers["retry-after"]) <= WINDOW_S
        page = _page_login(http, attacked, PASSWORD)
        assert page.status_code == 429
        assert "too many failed logins" in page.text

        # another account from the same address still gets in, until the address is spent
        assert token(bystander, PASSWORD) == 201
        assert token("nobody-at-all", "guess") == 401  # the address's 8th failure
        assert token(bystander, PASSWORD) == 429
        assert _page_login(http, bystander, PASSWORD).status_code == 429
