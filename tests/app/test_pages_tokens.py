"""The token page: a new token is shown once, works on the API, and can be revoked."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from tests.app.pages_support import csrf_from, register_in_browser


def test_token_is_shown_once_and_revocable(fresh_client: TestClient) -> None:
    register_in_browser(fresh_client, "tokenuser")
    token = csrf_from(fresh_client, "/tokens")
    created = fresh_client.post("/tokens", data={"csrf_token": token, "name": "laptop"})
    assert created.status_code == 200
    shown = re.search(r'<pre id="new-token">(tb_[^<]+)</pre>', created.text)
    assert shown is not None
    plaintext = shown.group(1)
    headers = {"Authorization": f"Bearer {plaintext}"}
    assert fresh_client.get("/api/v1/users/me", headers=headers).json()["username"] == "tokenuser"

    listing = fresh_client.get("/tokens")
    assert plaintext not in listing.text  # never shown again
    assert plaintext[:10] in listing.text  # only its prefix
    assert "laptop" in listing.text
    revoke_path = re.search(r'action="(/tokens/\d+/revoke)"', listing.text)
    assert revoke_path is not None

    assert fresh_client.post(revoke_path.group(1)).status_code == 403  # no CSRF token
    revoked = fresh_client.post(revoke_path.group(1), data={"csrf_token": token})
    assert revoked.status_code == 200  # redirected back to the list
    assert "Token laptop revoked." in revoked.text
    assert "revoked " in revoked.text
    assert fresh_client.get("/api/v1/users/me", headers=headers).status_code == 401


def test_someone_elses_token_cannot_be_revoked(fresh_client: TestClient) -> None:
    register_in_browser(fresh_client, "owner1")
    token = csrf_from(fresh_client, "/tokens")
    fresh_client.post("/tokens", data={"csrf_token": token, "name": "mine"})
    revoke_path = re.search(r'action="(/tokens/\d+/revoke)"', fresh_client.get("/tokens").text)
    assert revoke_path is not None
    fresh_client.cookies.clear()
    register_in_browser(fresh_client, "thief1")
    stolen = fresh_client.post(
        revoke_path.group(1), data={"csrf_token": csrf_from(fresh_client, "/tokens")}
    )
    assert stolen.status_code == 404
    assert stolen.headers["content-type"].startswith("text/html")


def test_overlong_token_names_are_explained(fresh_client: TestClient) -> None:
    register_in_browser(fresh_client, "namer1")
    token = csrf_from(fresh_client, "/tokens")
    response = fresh_client.post("/tokens", data={"csrf_token": token, "name": "n" * 150})
    assert response.status_code == 422
    assert "at most 100 characters" in response.text
    assert "No tokens yet" in response.text
