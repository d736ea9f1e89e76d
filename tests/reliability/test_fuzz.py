"""Fuzzing: the submission parser on arbitrary and near-valid files, and every operation of
the service's own OpenAPI plus the HTML pages over real HTTP as an admin (who passes every
guard, so the handlers themselves are reached): no 500, no hang, bounded memory."""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.config import Settings
from app.models import Role
from evaluation import CLASSES, SubmissionError, parse_submission
from tests.app.support import install_dataset, new_user
from tests.conftest import backend_settings
from tests.reliability.servers import WebServer, web_server

EXAMPLES = 15  # per operation; the whole file stays well under a minute
REQUEST_SECONDS = 10

TOKENS = st.sampled_from(
    [*CLASSES, "1.5", "-3", "1e308", "1e-400", "nan", "inf", "0x10", "", "#", "data_", "loop_",
     "_rlnCoordinateX", "x,y,z", "class", "é", "\u202e", "1" * 400, "\t", ","]
)  # fmt: skip
LINES = st.lists(TOKENS, max_size=9).map(" ".join)
ENDS = st.sampled_from(["\n", "\r\n", "\r"])
NEAR_VALID = st.builds(
    lambda lines, end, bom: (b"\xef\xbb\xbf" if bom else b"") + end.join(lines).encode(),
    st.lists(LINES, max_size=30),
    ENDS,
    st.booleans(),
)


@settings(max_examples=300, deadline=1000, derandomize=True, database=None)
@given(data=st.one_of(st.binary(max_size=2000), NEAR_VALID))
def test_parser_accepts_or_explains_any_file(data: bytes) -> None:
    tracemalloc.start()
    try:
        parsed = parse_submission(data, max_bytes=100_000, max_lines=1000, filename="f.txt")
        message = ""
    except SubmissionError as error:  # anything else escapes and fails the test
        parsed, message = None, str(error)
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert message if parsed is None else 0 < len(parsed) <= 1000
    assert peak < 2_000_000 + 200 * len(data)


@pytest.fixture(scope="module")
def admin_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Settings, WebServer, dict[str, str]]]:
    with ExitStack() as stack:
        data: Path = tmp_path_factory.mktemp("fuzz") / "data"
        service = backend_settings(stack, "production", data, daily_quota=1000)
        install_dataset(service)
        server = stack.enter_context(web_server(service))
        yield service, server, new_user(service, Role.ADMIN)


def _peak_memory_bytes(server: WebServer) -> int:
    assert server.process is not None
    status = Path(f"/proc/{server.process.pid}/status").read_text()
    return 1024 * int(next(s.split()[1] for s in status.splitlines() if s.startswith("VmHWM")))


@pytest.mark.slow
def test_no_api_operation_fails_or_hangs(
    admin_server: tuple[Settings, WebServer, dict[str, str]],
) -> None:
    _, server, admin = admin_server
    schema = schemathesis.openapi.from_url(f"{server.url}/api/v1/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 20
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def answers(case: schemathesis.Case) -> None:
            given_auth = "Authorization" in (case.headers or {})
            started = time.monotonic()
            response = case.call(headers=None if given_auth else admin, timeout=REQUEST_SECONDS)
            where = f"{case.method} {case.formatted_path}"
            not_ready = case.path == "/healthz" and response.status_code == 503  # no worker here
            assert response.status_code < 500 or not_ready, f"{where}: {response.text[:300]}"
            assert time.monotonic() - started < REQUEST_SECONDS, where

        answers()
    assert _peak_memory_bytes(server) < 600 * 1024 * 1024


PAGE_PATHS = st.sampled_from(
    ["/", "/leaderboard", "/datasets", "/datasets/{}", "/submissions/{}", "/submit",
     "/submissions/{}/figures/{}.svg", "/admin", "/admin/submissions", "/admin/users",
     "/tokens", "/login", "/{}"]
)  # fmt: skip
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40)
QUERIES = st.dictionaries(st.sampled_from(["sort", "order", "mode", "dataset", "next"]), TEXT)


@pytest.mark.slow
def test_no_page_fails_or_hangs(admin_server: tuple[Settings, WebServer, dict[str, str]]) -> None:
    _, server, admin = admin_server

    @given(path=PAGE_PATHS, parts=st.lists(TEXT | st.integers().map(str), min_size=2, max_size=2),
           query=QUERIES)  # fmt: skip
    @settings(max_examples=150, deadline=None, derandomize=True, database=None)
    def answers(path: str, parts: list[str], query: dict[str, str]) -> None:
        url = path.format(*(quote(part, safe="") or "x" for part in parts))
        with httpx.Client(base_url=server.url, timeout=REQUEST_SECONDS) as http:
            for headers in ({}, admin):
                response = http.get(url, params=query, headers=headers)
                assert response.status_code < 500, f"{url} {query}: {response.text[:300]}"

    answers()
