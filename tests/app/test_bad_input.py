"""Every class of bad upload is refused before it is queued, with the line and the problem,
and costs no quota; no input makes the service answer 500."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from app.core.config import Settings
from app.main import create_app
from app.services.submissions import display_filename
from tests.app.support import GOOD_SUBMISSION, new_user, upload

MAX_BYTES = 4000
MAX_LINES = 20


@pytest.fixture
def strict_client(service: Settings) -> Iterator[TestClient]:
    """The running service with small upload limits."""
    settings = service.model_copy(
        update={"max_upload_bytes": MAX_BYTES, "max_submission_lines": MAX_LINES, "daily_quota": 1}
    )
    with TestClient(create_app(settings)) as client:
        yield client


BAD_FILES = {
    "empty": (b"", "file: the file is empty"),
    "only comments": (b"# nothing here\n\n", "no predictions"),
    "unknown class": (b"1bxn 1 2 3\nabc 1 2 3\n", "line 2: unknown class 'abc'"),
    "not a number": (b"1bxn 1 two 3\n", "line 1:"),
    "not finite": (b"1bxn 1 2 3\n1s3x nan 2 3\n", "line 2:"),
    "infinite": (b"1s3x 1 inf 3\n", "line 1:"),
    "wrong field count": (b"1bxn 1 2 3\n1bxn 1 2\n", "line 2:"),
    "six fields": (b"1bxn 1 2 3 4 5\n", "line 1:"),
    "binary": (bytes(range(256)) * 4, "file:"),
    "bad encoding": (b"1bxn 1 2 3\n1s3x \xe9 2 3\n", "file:"),
    "too many lines": (b"1bxn 1 2 3\n" * (MAX_LINES + 5), "file:"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_file_is_refused_with_its_line_and_costs_nothing(
    strict_client: TestClient, service: Settings, case: str
) -> None:
    headers = new_user(service)
    content, expected = BAD_FILES[case]
    response = upload(strict_client, headers, content)
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, str)
    assert expected in detail
    assert strict_client.get("/api/v1/submissions", headers=headers).json()["count"] == 0
    quota = strict_client.get("/api/v1/users/me/quota", headers=headers).json()
    assert quota["used"] == 0
    assert quota["remaining"] == 1


def test_oversized_file_is_refused_while_streaming(
    strict_client: TestClient, service: Settings
) -> None:
    headers = new_user(service)
    big = b"1bxn 1 2 3\n" * (MAX_BYTES // 11 + 10)
    response = upload(strict_client, headers, big)
    assert response.status_code == 413
    assert str(MAX_BYTES) in response.json()["detail"]
    # a body far beyond the cap is cut off by the size guard before it is parsed
    huge = b"1bxn 1 2 3\n" * 40_000
    response = upload(strict_client, headers, huge)
    assert response.status_code == 413
    assert "limit" in response.json()["detail"]
    assert strict_client.get("/api/v1/submissions", headers=headers).json()["count"] == 0


def test_declared_length_over_the_cap_is_refused_before_reading(
    client: TestClient, service: Settings
) -> None:
    headers = {**new_user(service), "Content-Length": str(10**12)}
    response = client.post("/api/v1/submissions", headers=headers, content=b"x")
    assert response.status_code == 413


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"method": ""}, "method: Field required"),
        ({"method": "   "}, "method: required"),
        ({"method": "m" * 101}, "method: at most 100"),
        ({"method": "ok", "team": "t" * 101}, "team: at most 100"),
        ({"method": "bad\x00name"}, "method: contains an invisible or control character (U+0000)"),
    ],
)
def test_bad_form_fields_are_named(
    strict_client: TestClient, service: Settings, fields: dict[str, str], expected: str
) -> None:
    headers = new_user(service)
    response = strict_client.post(
        "/api/v1/submissions",
        headers=headers,
        files={"file": ("picks.txt", GOOD_SUBMISSION, "text/plain")},
        data=fields,
    )
    assert response.status_code == 422
    assert expected in response.json()["detail"]


def test_missing_parts_of_the_form(client: TestClient, service: Settings) -> None:
    headers = new_user(service)
    no_file = client.post("/api/v1/submissions", headers=headers, data={"method": "m"})
    assert no_file.status_code == 422
    assert no_file.json() == {"detail": "file: Field required"}
    no_method = client.post(
        "/api/v1/submissions", headers=headers, files={"file": ("a.txt", GOOD_SUBMISSION)}
    )
    assert no_method.status_code == 422
    not_multipart = client.post("/api/v1/submissions", headers=headers, content=b"1bxn 1 2 3")
    assert not_multipart.status_code == 422
    garbled = client.post(
        "/api/v1/submissions",
        headers={**headers, "Content-Type": "multipart/form-data; boundary=xyz"},
        content=b"--xyz\r\nnonsense",
    )
    assert garbled.status_code in (400, 422)
    assert "detail" in garbled.json()


def test_upload_filename_never_becomes_a_path(client: TestClient, service: Settings) -> None:
    headers = new_user(service)
    response = upload(client, headers, filename="..\\..\\x/../../etc/passwd.txt")
    assert response.status_code == 201
    submission = client.get(f"/api/v1/submissions/{response.json()['id']}", headers=headers).json()
    assert submission["filename"] == "passwd.txt"
    stored = list(service.storage_dir.rglob("*"))
    assert all(".." not in path.name and "passwd" not in path.name for path in stored)
    assert (
        service.storage_dir / submission["file_sha256"][:2] / submission["file_sha256"]
    ).is_file()


def test_display_filename_keeps_only_a_printable_last_component() -> None:
    assert display_filename("../../etc/pass\x07wd.txt") == "passwd.txt"
    assert display_filename("C:\\Users\\me\\picks.star") == "picks.star"
    assert display_filename(None) == ""
    assert len(display_filename("a" * 1000)) == 255
