"""Registration, tokens, browser sessions with CSRF, and roles, on both backends."""

from __future__ import annotations

from fastapi import Request
from starlette.testclient import TestClient

from app.core.config import Settings
from app.db import session_factory
from app.models import ApiToken, Role, User
from app.services import sessions
from app.services.users import ensure_admin
from tests.app.support import register

PASSWORD = "correct horse battery"


def _register(
    client: TestClient, username: str, email: str | None = None, password: str = PASSWORD
):
    return client.post(
        "/api/v1/users",
        json={
            "username": username,
            "email": email or f"{username}@example.org",
            "password": password,
        },
    )


def test_registration_stores_an_argon2_hash(
    fresh_client: TestClient, fresh_settings: Settings
) -> None:
    response = _register(fresh_client, "alice")
    assert response.status_code == 201
    body = response.json()
    assert body["username"] == "alice"
    assert body["role"] == "participant"
    assert "password" not in response.text
    with session_factory(fresh_settings.sqlalchemy_url)() as db:
        user = db.query(User).filter_by(username="alice").one()
        assert user.password_hash.startswith("$argon2id$")
        assert PASSWORD not in user.password_hash


def test_registration_rejects_duplicates_and_bad_fields(fresh_client: TestClient) -> None:
    assert _register(fresh_client, "bob").status_code == 201
    taken = _register(fresh_client, "BOB", email="other@example.org")
    assert taken.status_code == 409
    assert "already registered" in taken.json()["detail"]
    assert _register(fresh_client, "carol", email="bob@example.org").status_code == 409
    bad_name = _register(fresh_client, "a b")
    assert bad_name.status_code == 422
    assert bad_name.json()["detail"].startswith("username")
    short = _register(fresh_client, "dave", password="short")
    assert short.status_code == 422
    assert short.json()["detail"].startswith("password")
    assert _register(fresh_client, "erin", email="no-at-sign").status_code == 422
    missing = fresh_client.post("/api/v1/users", json={"username": "frank"})
    assert missing.status_code == 422
    assert "detail" in missing.json()
    not_json = fresh_client.post(
        "/api/v1/users", content=b"\xff\xfe", headers={"Content-Type": "application/json"}
    )
    assert not_json.status_code == 422


def test_token_lifecycle(fresh_client: TestClient, fresh_settings: Settings) -> None:
    assert _register(fresh_client, "grace").status_code == 201
    wrong = fresh_client.post("/api/v1/tokens", auth=("grace", "wrong password"))
    assert wrong.status_code == 401
    assert wrong.headers["WWW-Authenticate"] == "Bearer"
    assert fresh_client.post("/api/v1/tokens").status_code == 401
    created = fresh_client.post("/api/v1/tokens", auth=("grace", PASSWORD), json={"name": "ci"})
    assert created.status_code == 201
    token = created.json()["token"]
    assert token.startswith("tb_")
    assert created.json()["name"] == "ci"
    headers = {"Authorization": f"Bearer {token}"}

    me = fresh_client.get("/api/v1/users/me", headers=headers)
    assert me.status_code == 200
    assert me.json()["username"] == "grace"
    listed = fresh_client.get("/api/v1/tokens", headers=headers).json()
    assert listed["count"] == 1
    assert token not in str(listed)
    assert listed["data"][0]["token_prefix"] == token[:10]
    with session_factory(fresh_settings.sqlalchemy_url)() as db:
        stored = db.query(ApiToken).one()
        assert token not in (stored.token_hash, stored.token_prefix)

    token_id = created.json()["id"]
    other = register(fresh_client, "heidi")
    assert fresh_client.delete(f"/api/v1/tokens/{token_id}", headers=other).status_code == 404
    revoked = fresh_client.delete(f"/api/v1/tokens/{token_id}", headers=headers)
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    after = fresh_client.get("/api/v1/users/me", headers=headers)
    assert after.status_code == 401
    assert after.json() == {"detail": "invalid or revoked token"}


def test_missing_and_malformed_credentials(fresh_client: TestClient) -> None:
    anonymous = fresh_client.get("/api/v1/users/me")
    assert anonymous.status_code == 401
    assert "Bearer" in anonymous.json()["detail"]
    for header in ("Basic abc", "Bearer", "Bearer    ", "tb_only"):
        response = fresh_client.get("/api/v1/users/me", headers={"Authorization": header})
        assert response.status_code == 401, header
    unknown = fresh_client.get("/api/v1/users/me", headers={"Authorization": "Bearer tb_nope"})
    assert unknown.status_code == 401


def test_roles_guard_admin_routes(fresh_client: TestClient, fresh_settings: Settings) -> None:
    participant = register(fresh_client, "ivan")
    assert fresh_client.get("/api/v1/admin/users", headers=participant).status_code == 403
    assert fresh_client.get("/api/v1/admin/submissions", headers=participant).status_code == 403
    assert fresh_client.get("/api/v1/admin/users").status_code == 401
    with session_factory(fresh_settings.sqlalchemy_url)() as db:
        admin, password = ensure_admin(db, "root", "root@example.org")
        db.commit()
        assert password is not None
        assert admin.role == Role.ADMIN
        assert ensure_admin(db, "root", "root@example.org")[1] is None  # shown only once
    token = fresh_client.post("/api/v1/tokens", auth=("root", password)).json()["token"]
    admin_headers = {"Authorization": f"Bearer {token}"}
    users = fresh_client.get("/api/v1/admin/users", headers=admin_headers)
    assert users.status_code == 200
    assert users.json()["count"] == 2
    ivan_id = next(u["id"] for u in users.json()["data"] if u["username"] == "ivan")
    promoted = fresh_client.put(
        f"/api/v1/admin/users/{ivan_id}/role", headers=admin_headers, json={"role": "organizer"}
    )
    assert promoted.status_code == 200
    assert promoted.json()["role"] == "organizer"
    # organizers may see all submissions but not manage users
    assert fresh_client.get("/api/v1/admin/submissions", headers=participant).status_code == 200
    assert fresh_client.get("/api/v1/admin/users", headers=participant).status_code == 403
    bad_role = fresh_client.put(
        f"/api/v1/admin/users/{ivan_id}/role", headers=admin_headers, json={"role": "king"}
    )
    assert bad_role.status_code == 422


def test_cookie_session_needs_csrf_for_unsafe_api_calls(fresh_client: TestClient) -> None:
    headers = register(fresh_client, "judy")
    token_id = fresh_client.get("/api/v1/tokens", headers=headers).json()["data"][0]["id"]
    app = fresh_client.app

    def login_as_judy(request: Request) -> dict[str, str]:
        db = request.app.state.session_factory()
        with db:
            sessions.login(request, db, db.query(User).filter_by(username="judy").one())
        return {"csrf": sessions.csrf_token(request)}

    app.add_api_route("/test-login", login_as_judy, methods=["POST"])  # type: ignore[attr-defined]
    csrf = fresh_client.post("/test-login").json()["csrf"]
    me = fresh_client.get("/api/v1/users/me")
    assert me.status_code == 200
    assert me.json()["username"] == "judy"
    refused = fresh_client.delete(f"/api/v1/tokens/{token_id}")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    forged = fresh_client.delete(f"/api/v1/tokens/{token_id}", headers={"X-CSRF-Token": "forged"})
    assert forged.status_code == 403
    allowed = fresh_client.delete(f"/api/v1/tokens/{token_id}", headers={"X-CSRF-Token": csrf})
    assert allowed.status_code == 200
    tampered = fresh_client.cookies.get("tomobench_session", "") + "x"
    fresh_client.cookies.set("tomobench_session", tampered)
    assert fresh_client.get("/api/v1/users/me").status_code == 401
