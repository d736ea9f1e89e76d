"""Helpers for the HTML page tests: drive the forms as a browser would (cookies, CSRF)."""

from __future__ import annotations

import re
import uuid

import httpx
from starlette.testclient import TestClient

PASSWORD = "correct horse battery"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(client: TestClient, path: str) -> str:
    """The CSRF token embedded in the form of the page at `path`."""
    page = client.get(path)
    assert page.status_code == 200, page.text
    match = CSRF_FIELD.search(page.text)
    assert match is not None, f"no CSRF field on {path}"
    return match.group(1)


def register_in_browser(client: TestClient, username: str | None = None) -> str:
    """Register through the form (which also logs in); the username."""
    username = username or f"user-{uuid.uuid4().hex[:10]}"
    response = client.post(
        "/register",
        data={
            "csrf_token": csrf_from(client, "/register"),
            "username": username,
            "email": f"{username}@example.org",
            "password": PASSWORD,
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return username


def upload_in_browser(
    client: TestClient, content: bytes, method: str = "spheres", **fields: str
) -> httpx.Response:
    """POST the submit form with a file; the (unfollowed) response."""
    return client.post(
        "/submit",
        data={"csrf_token": csrf_from(client, "/submit"), "method": method, **fields},
        files={"file": ("picks.txt", content, "text/plain")},
        follow_redirects=False,
    )


def cell_texts(html: str, table_id: str) -> list[list[str]]:
    """The text of every body cell of the table with `table_id`, row by row (tags dropped)."""
    table = re.search(rf'<table id="{table_id}".*?</table>', html, re.S)
    assert table is not None, f"no table {table_id}"
    body = re.search(r"<tbody>(.*?)</tbody>", table.group(0), re.S)
    assert body is not None
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", body.group(1), re.S)
    return [
        [" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in cells]
        for cells in (re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S) for row in rows)
    ]
