"""Access: every route admits exactly its roles; revoking a token or a role takes effect at
once; nobody reads another participant's submissions, nor hidden ones on the leaderboard."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlalchemy import update
from starlette.testclient import TestClient

from app.core.config import Settings
from app.db import session_factory
from app.main import create_app
from app.models import Role, User
from app.queues.celery_app import create_celery_app
from tests.app.support import install_dataset, new_user, upload
from tests.reliability.access import (
    BASIC,
    RANK,
    ROLES,
    RoleClient,
    app_routes,
    login_as,
    required_role,
)
from workers.tasks.evaluation import score_submission

MISSING_ID = "999999"  # ids in paths name nothing, so no request changes any state
PATH_VALUES = {"path": "no-such-page", "name": "f1", "tomogram": "model_0"}
NOT_IN_THE_MATRIX = {("POST", "/logout")}  # public; it would end the session under test


def _concrete(path: str) -> str:
    return re.sub(r"\{(\w+)(?::path)?\}", lambda m: PATH_VALUES.get(m.group(1), MISSING_ID), path)


def _call(who: RoleClient, method: str, path: str) -> tuple[int, str]:
    url = _concrete(path)
    if path.startswith("/api/") or method == "GET":
        response = who.client.request(method, url, headers=who.headers, json={})
    else:  # a page form: the session's CSRF token, so only the role can be refused
        response = who.client.request(method, url, data={"csrf_token": who.csrf})
    return response.status_code, response.headers.get("location", "")


@pytest.fixture
def deployment(fresh_settings: Settings) -> Iterator[tuple[Settings, TestClient]]:
    install_dataset(fresh_settings)
    with TestClient(create_app(fresh_settings)) as client:
        yield fresh_settings, client


def test_every_route_admits_exactly_its_roles(deployment: tuple[Settings, TestClient]) -> None:
    settings, client = deployment
    app = client.app
    assert not isinstance(app, str)
    routes = app_routes(app)  # type: ignore[arg-type]
    unruled = [route for route in routes if required_role(*route) is None]
    assert not unruled, f"routes without an access rule in ACCESS: {unruled}"
    clients = {role: login_as(app, settings, role) for role in ROLES}  # type: ignore[arg-type]
    checked = 0
    for method, path in routes:
        needed = required_role(method, path)
        if needed == BASIC or (method, path) in NOT_IN_THE_MATRIX:
            continue
        assert needed is not None
        for role, who in clients.items():
            status, location = _call(who, method, path)
            where = f"{method} {path} as {role}: {status} {location}"
            sent_to_login = status == 303 and location.startswith("/login")
            if RANK[role] >= RANK[needed]:
                assert status not in (401, 403), where
                assert not sent_to_login, where
            elif path.startswith("/api/") or path in ("/healthz", "/docs"):
                assert status in (401, 403), where
            else:  # a page: anonymous visitors are sent to log in, others refused
                assert sent_to_login if role == "anonymous" else status == 403, where
            checked += 1
    assert checked > 150


def test_revoked_tokens_and_roles_take_effect_at_once(
    deployment: tuple[Settings, TestClient],
) -> None:
    settings, client = deployment
    first = new_user(settings, Role.ORGANIZER)
    me = client.get("/api/v1/users/me", headers=first).json()
    with session_factory(settings.sqlalchemy_url)() as db:
        user = db.get(User, me["id"])
        assert user is not None
        from app.services.tokens import create_token

        _, second_token = create_token(db, user, "second")
        db.commit()
    second = {"Authorization": f"Bearer {second_token}"}
    assert client.get("/api/v1/admin/submissions", headers=first).status_code == 200

    tokens = client.get("/api/v1/tokens", headers=second).json()["data"]
    first_id = next(token["id"] for token in tokens if token["name"] != "second")
    assert client.delete(f"/api/v1/tokens/{first_id}", headers=second).status_code == 200
    revoked = client.get("/api/v1/users/me", headers=first)
    assert revoked.status_code == 401
    assert revoked.json() == {"detail": "invalid or revoked token"}

    admin = new_user(settings, Role.ADMIN)
    demoted = client.put(
        f"/api/v1/admin/users/{me['id']}/role", headers=admin, json={"role": "participant"}
    )
    assert demoted.status_code == 200
    assert client.get("/api/v1/admin/submissions", headers=second).status_code == 403

    with session_factory(settings.sqlalchemy_url)() as db:
        db.execute(update(User).where(User.id == me["id"]).values(is_active=False))
        db.commit()
    assert client.get("/api/v1/users/me", headers=second).status_code == 401


def test_participants_cannot_read_each_others_submissions(
    deployment: tuple[Settings, TestClient],
) -> None:
    settings, client = deployment
    owner, other = new_user(settings), new_user(settings)
    organizer = new_user(settings, Role.ORGANIZER)
    response = upload(client, owner, description="secret idea", filename="mine.txt")
    submission_id = response.json()["id"]
    create_celery_app(settings).tasks[score_submission.name].apply(args=[submission_id])
    missing = int(MISSING_ID)
    for path in (
        "/api/v1/submissions/{}",
        "/api/v1/submissions/{}/result.json",
        "/api/v1/submissions/{}/result.csv",
    ):
        assert client.get(path.format(submission_id), headers=owner).status_code == 200
        assert client.get(path.format(submission_id), headers=organizer).status_code == 200
        theirs = client.get(path.format(submission_id), headers=other)
        nothing = client.get(path.format(missing), headers=other)
        assert (theirs.status_code, theirs.json()) == (
            404,
            {"detail": f"submission {submission_id} not found"},
        )  # the same answer as for an id that does not exist: existence is not confirmed
        assert nothing.status_code == 404
    assert client.get("/api/v1/submissions", headers=other).json()["count"] == 0

    stranger = login_as(client.app, settings, Role.PARTICIPANT)  # type: ignore[arg-type]
    for page in (f"/submissions/{submission_id}", f"/submissions/{submission_id}/figures/f1.svg"):
        refused = stranger.client.get(page)
        assert refused.status_code == 404, page
        assert "secret idea" not in refused.text

    # the public leaderboard shows the published columns only, and never a hidden entry
    board = client.get("/api/v1/leaderboard").json()
    assert [row["submission_id"] for row in board["rows"]] == [submission_id]
    sha256 = client.get(f"/api/v1/submissions/{submission_id}", headers=owner).json()
    published = [str(board), client.get("/leaderboard").text]
    published.append(client.get("/api/v1/leaderboard.csv").text)
    for private in ("secret idea", "mine.txt", sha256["file_sha256"]):
        assert all(private not in text for text in published)
    hide = f"/api/v1/admin/submissions/{submission_id}/hide"
    assert client.post(hide, headers=organizer, json={"reason": "under review"}).status_code == 200
    assert client.get("/api/v1/leaderboard").json()["rows"] == []
    assert str(submission_id) not in client.get("/api/v1/leaderboard.csv").text.split("\n", 1)[1]
