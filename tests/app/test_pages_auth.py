"""Account forms: registration, login, logout, CSRF, and no 500 on any input (both backends)."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from tests.app.pages_support import PASSWORD, csrf_from, register_in_browser


def test_registration_logs_in_and_says_so(fresh_client: TestClient) -> None:
    register_in_browser(fresh_client, "alice")
    page = fresh_client.get("/submit")
    assert page.status_code == 200
    assert "Welcome, alice" in page.text  # the flash message, shown once
    assert "Signed in as</span> <strong>alice</strong>" in page.text
    assert "Welcome, alice" not in fresh_client.get("/submit").text


def test_forms_without_a_valid_csrf_token_are_refused(fresh_client: TestClient) -> None:
    fields = {"username": "mallory", "email": "m@example.org", "password": PASSWORD}
    for token in (None, "forged"):
        data = fields if token is None else {**fields, "csrf_token": token}
        refused = fresh_client.post("/register", data=data)
        assert refused.status_code == 403
        assert "CSRF" in refused.text
        assert refused.headers["content-type"].startswith("text/html")
    # the account was never created: logging in fails
    login = fresh_client.post(
        "/login",
        data={"csrf_token": csrf_from(fresh_client, "/login"), **fields},
    )
    assert login.status_code == 400


@pytest.mark.parametrize(
    ("username", "email", "password", "status", "field", "message"),
    [
        ("a b", "ab@example.org", PASSWORD, 422, "username", "3 to 64 characters"),
        ("bobby", "not-an-address", PASSWORD, 422, "email", "not an e-mail address"),
        ("bobby", "bobby@example.org", "short", 422, "password", "at least 10 characters"),
        ("bobby", "bobby@example.org", "password123", 422, "password", "too easy to guess"),
        ("bobby", "bobby@example.org", "bobby-bobby-77", 422, "password", "contain the username"),
        ("x" * 3000, "x@example.org", PASSWORD, 422, None, "at most 2000 characters"),
    ],
)
def test_bad_registrations_show_the_problem_on_the_kept_form(
    fresh_client: TestClient,
    username: str,
    email: str,
    password: str,
    status: int,
    field: str | None,
    message: str,
) -> None:
    response = fresh_client.post(
        "/register",
        data={
            "csrf_token": csrf_from(fresh_client, "/register"),
            "username": username,
            "email": email,
            "password": password,
        },
    )
    assert response.status_code == status
    assert message in response.text
    if field is not None:  # the message sits next to its field, the other fields are kept
        assert f'id="{field}-error"' in response.text
        assert f'value="{email}"' in response.text
        assert f'value="{password}"' not in response.text  # passwords are never echoed


def test_duplicate_usernames_are_refused(fresh_client: TestClient) -> None:
    register_in_browser(fresh_client, "carol")
    fresh_client.cookies.clear()
    response = fresh_client.post(
        "/register",
        data={
            "csrf_token": csrf_from(fresh_client, "/register"),
            "username": "CAROL",
            "email": "other@example.org",
            "password": PASSWORD,
        },
    )
    assert response.status_code == 409
    assert "already registered" in response.text


def test_login_logout_and_return_to_the_asked_page(fresh_client: TestClient) -> None:
    register_in_browser(fresh_client, "dave")
    logout = fresh_client.post(
        "/logout", data={"csrf_token": csrf_from(fresh_client, "/")}, follow_redirects=False
    )
    assert logout.status_code == 303
    assert fresh_client.get("/tokens", follow_redirects=False).status_code == 303

    token = csrf_from(fresh_client, "/login?next=/tokens")
    wrong = fresh_client.post(
        "/login", data={"csrf_token": token, "username": "dave", "password": "wrong password"}
    )
    assert wrong.status_code == 400
    assert "wrong username or password" in wrong.text
    assert 'value="dave"' in wrong.text  # the username is kept, the password is not

    right = fresh_client.post(
        "/login",
        data={"csrf_token": token, "username": "dave", "password": PASSWORD, "next": "/tokens"},
        follow_redirects=False,
    )
    assert right.status_code == 303
    assert right.headers["location"] == "/tokens"
    assert fresh_client.get("/tokens").status_code == 200


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "javascript:1"])
def test_login_never_redirects_off_site(fresh_client: TestClient, target: str) -> None:
    register_in_browser(fresh_client, "erin")
    response = fresh_client.post(
        "/login",
        data={
            "csrf_token": csrf_from(fresh_client, "/login"),
            "username": "erin",
            "password": PASSWORD,
            "next": target,
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/"
