"""Upload bombs against a real server: a body far over the cap is cut off while it streams;
a giant line, millions of tiny lines, gzip and zip bombs, NUL bytes and invalid UTF-8 are
refused with the line and the problem; Windows line ends and a BOM are accepted and scored
like the plain file. The server's peak memory stays bounded throughout."""

from __future__ import annotations

import gzip
import io
import time
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from app.core.config import Settings
from app.db import session_factory
from app.models import Result
from app.queues.celery_app import create_celery_app
from tests.app.support import GOOD_EXPECTED, GOOD_SUBMISSION, install_dataset, new_user
from tests.conftest import backend_settings
from tests.reliability.rawhttp import request, stream_body
from tests.reliability.servers import WebServer, web_server
from tests.reliability.support import post_upload
from workers.tasks.evaluation import score_submission

CAP = 2 * 1024 * 1024
MAX_LINES = 20_000
PEAK_MEMORY_BYTES = 600 * 1024 * 1024


def _zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("picks.txt", b"1bxn 1 2 3\n" * 10_000_000)  # 110 MB inside
    return buffer.getvalue()


REFUSED: dict[str, tuple[bytes, str]] = {
    "giant line": (b"1bxn " + b"7" * (CAP - 100), "line 1: expected"),
    "millions of tiny lines": (b"\n" * CAP, f"the limit is {MAX_LINES:,}"),
    "gzip bomb": (gzip.compress(b"\0" * 50_000_000, compresslevel=1), "binary data"),
    "zip bomb": (_zip_bomb(), "binary data"),
    "NUL byte": (b"1bxn 1 2 3\n1s3x 1\x00 2 3\n", "line 2: NUL byte"),
    "invalid UTF-8": (b"1bxn 1 2 3\n1bxn 1 2 3\n4d8q \xff\xfe 2 3\n", "line 3: not UTF-8"),
    "UTF-16": (GOOD_SUBMISSION.decode().encode("utf-16"), "binary data"),
}
ACCEPTED = {
    "Windows line ends": GOOD_SUBMISSION.replace(b"\n", b"\r\n"),
    "old Mac line ends": GOOD_SUBMISSION.replace(b"\n", b"\r"),
    "BOM": b"\xef\xbb\xbf" + GOOD_SUBMISSION,
    "BOM and CRLF": b"\xef\xbb\xbf" + GOOD_SUBMISSION.replace(b"\n", b"\r\n"),
    "tabs and trailing blanks": GOOD_SUBMISSION.replace(b" ", b"\t").replace(b"\n", b"  \n"),
}


@pytest.fixture(scope="module")
def deployment(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Settings, WebServer, dict[str, str]]]:
    with ExitStack() as stack:
        data = tmp_path_factory.mktemp("bombs") / "data"
        settings = backend_settings(
            stack, "production", data, max_upload_bytes=CAP, max_submission_lines=MAX_LINES,
            daily_quota=100,
        )  # fmt: skip
        install_dataset(settings)
        yield settings, stack.enter_context(web_server(settings)), new_user(settings)


def _peak_memory(server: WebServer) -> int:
    assert server.process is not None
    status = Path(f"/proc/{server.process.pid}/status").read_text()
    peak_kib = next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM"))
    return int(peak_kib) * 1024


def test_a_body_far_over_the_cap_is_cut_off_while_streaming(
    deployment: tuple[Settings, WebServer, dict[str, str]],
) -> None:
    _, server, headers = deployment
    boundary = "bomb"
    preamble = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\n'
    ).encode()
    gigabyte = (b"1bxn 1 2 3\n" * 6000 for _ in range(16_000))  # ~1 GB, never sent whole
    started = time.monotonic()
    response, sent = stream_body(
        server.port,
        "/api/v1/submissions",
        {**headers, "Content-Type": f"multipart/form-data; boundary={boundary}"},
        _chain(preamble, gigabyte),
    )
    assert response.status == 413
    assert b"exceeds the limit" in response.body
    assert sent < CAP + 16 * 1024 * 1024  # stopped after the cap (plus socket buffers)
    assert time.monotonic() - started < 20

    declared = request(
        server.port, "POST", "/api/v1/submissions", {**headers, "Content-Length": str(10**12)}
    )
    assert declared.status == 413  # refused on the header alone, no body was sent


def _chain(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    yield first
    yield from rest


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_hostile_file_is_refused_with_the_line_and_problem(
    deployment: tuple[Settings, WebServer, dict[str, str]], case: str
) -> None:
    _, server, headers = deployment
    content, expected = REFUSED[case]
    with httpx.Client(base_url=server.url, timeout=60) as http:
        started = time.monotonic()
        response = post_upload(http, headers, content)
        assert response.status_code == 422, response.text[:300]
        assert response.json()["detail"].startswith("file: ")
        assert expected in response.json()["detail"]
        assert time.monotonic() - started < 20
    assert _peak_memory(server) < PEAK_MEMORY_BYTES


@pytest.mark.parametrize("case", sorted(ACCEPTED))
def test_line_end_and_bom_variants_score_like_the_plain_file(
    deployment: tuple[Settings, WebServer, dict[str, str]], case: str
) -> None:
    settings, server, headers = deployment
    with httpx.Client(base_url=server.url, timeout=60) as http:
        response = post_upload(http, headers, ACCEPTED[case])
        assert response.status_code == 201, response.text
        submission_id = response.json()["id"]
        create_celery_app(settings).tasks[score_submission.name].apply(args=[submission_id])
        detail = http.get(f"/api/v1/submissions/{submission_id}", headers=headers).json()
    assert detail["status"] == "scored"
    with session_factory(settings.sqlalchemy_url)() as db:  # scored on the whole test
        metrics = db.scalars(
            select(Result.metrics).where(Result.submission_id == submission_id)
        ).one()
    localization = metrics["localization"]
    assert {key: localization[key] for key in GOOD_EXPECTED} == GOOD_EXPECTED
