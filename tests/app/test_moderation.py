"""Organizers' moderation against a running service (both backends): renaming a team or a
method, hiding a submission or a whole entry with a reason, merging an entry into a team;
each is logged with who and when, shown on the admin page, and refused to participants."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import update
from starlette.testclient import TestClient

from app.core.config import Settings
from app.db import session_factory
from app.main import create_app
from app.models import Role, User
from tests.app.pages_support import cell_texts, csrf_from, register_in_browser
from tests.app.support import GOOD_SUBMISSION, new_user, upload, wait_for_status
from tests.app.test_teams import make_team


def _me(client: TestClient, headers: dict[str, str]) -> str:
    username: str = client.get("/api/v1/users/me", headers=headers).json()["username"]
    return username


def _scored(client: TestClient, headers: dict[str, str], method: str = "picker") -> int:
    created = upload(client, headers, GOOD_SUBMISSION, method=method)
    assert created.status_code == 201, created.text
    submission_id: int = created.json()["id"]
    assert wait_for_status(client, headers, submission_id)["status"] == "scored"
    return submission_id


def _rows(client: TestClient) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = client.get("/api/v1/leaderboard").json()["rows"]
    return rows


def _log(client: TestClient, staff: dict[str, str]) -> list[dict[str, Any]]:
    response = client.get("/api/v1/admin/moderation", headers=staff)
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()["data"]
    return rows


def test_renames_are_logged_with_who_and_when(client: TestClient, service: Settings) -> None:
    organizer, alice = new_user(service, Role.ORGANIZER), new_user(service)
    team_id = make_team(client, alice)
    submission_id = _scored(client, alice)
    new_name = f"Renamed lab {uuid.uuid4().hex[:6]}"
    path = f"/api/v1/admin/teams/{team_id}/rename"
    body = {"name": new_name, "reason": "asked by the team"}
    assert client.post(path, headers=alice, json=body).status_code == 403
    renamed = client.post(path, headers=organizer, json=body)
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == new_name
    row = next(row for row in _rows(client) if row["submission_id"] == submission_id)
    assert row["team"] == new_name
    bad = client.post(path, headers=organizer, json={"name": "Lab\u202e"})
    assert bad.status_code == 422
    assert bad.json()["detail"].startswith("name: ")

    method_path = f"/api/v1/admin/submissions/{submission_id}/rename"
    method = client.post(method_path, headers=organizer, json={"method": "Clear name"})
    assert method.status_code == 200, method.text
    row = next(row for row in _rows(client) if row["submission_id"] == submission_id)
    assert row["method"] == "Clear name"

    log = _log(client, organizer)
    organizer_name = _me(client, organizer)
    team_entry = next(line for line in log if line["details"].get("new") == new_name)
    assert team_entry["action"] == "rename"
    assert team_entry["actor_name"] == organizer_name
    assert team_entry["reason"] == "asked by the team"
    assert team_entry["created_at"]
    method_entry = next(line for line in log if line["details"].get("new") == "Clear name")
    assert method_entry["details"]["old"] == "picker"
    assert f"submission {submission_id}" in method_entry["target"]
    assert client.get("/api/v1/admin/moderation", headers=alice).status_code == 403


def test_hiding_an_entry_shows_the_reason_and_is_logged(
    client: TestClient, service: Settings
) -> None:
    organizer, bob = new_user(service, Role.ORGANIZER), new_user(service)
    first, second = _scored(client, bob, "one"), _scored(client, bob, "two")
    hidden = client.post(
        f"/api/v1/admin/submissions/{first}/hide",
        headers=organizer,
        json={"reason": "same file as another account", "whole_entry": True},
    )
    assert hidden.status_code == 200, hidden.text
    assert not [row for row in _rows(client) if row["submission_id"] in (first, second)]
    owner_view = client.get(f"/api/v1/submissions/{second}", headers=bob).json()
    assert (owner_view["hidden"], owner_view["hidden_reason"]) == (
        True,
        "same file as another account",
    )
    assert (
        client.post(f"/api/v1/admin/submissions/{second}/unhide", headers=organizer).json()[
            "hidden"
        ]
        is False
    )
    log = _log(client, organizer)
    hide = next(
        line for line in log if line["action"] == "hide" and first in line["details"]["submissions"]
    )
    assert sorted(hide["details"]["submissions"]) == [first, second]
    assert hide["reason"] == "same file as another account"
    assert hide["actor_name"] == _me(client, organizer)
    assert any(
        line["action"] == "unhide" and line["details"]["submissions"] == [second] for line in log
    )
    no_reason = client.post(
        f"/api/v1/admin/submissions/{first}/hide", headers=organizer, json={"reason": " "}
    )
    assert no_reason.status_code == 422
    assert no_reason.json()["detail"].startswith("reason: ")


def test_merging_makes_one_row_and_one_quota(client: TestClient, service: Settings) -> None:
    organizer, alice, sybil = (
        new_user(service, Role.ORGANIZER),
        new_user(service),
        new_user(service),
    )
    team_id = make_team(client, alice)
    team = client.get(f"/api/v1/teams/{team_id}").json()["name"]
    _scored(client, alice)
    sybil_name = _me(client, sybil)
    _scored(client, sybil, "the same file")
    assert [row["team"] for row in _rows(client) if row["user"] == sybil_name] == [None]
    path = f"/api/v1/admin/teams/{team_id}/merge"
    refused = client.post(path, headers=organizer, json={"username": sybil_name, "reason": ""})
    assert refused.status_code == 422
    assert refused.json()["detail"].startswith("reason: ")
    neither = client.post(path, headers=organizer, json={"reason": "x"})
    assert neither.status_code == 422
    assert neither.json()["detail"].startswith("source: ")
    assert (
        client.post(path, headers=alice, json={"username": sybil_name, "reason": "x"}).status_code
        == 403
    )
    merged = client.post(
        path, headers=organizer, json={"username": sybil_name, "reason": "one lab, two accounts"}
    )
    assert merged.status_code == 200, merged.text
    assert sybil_name in merged.json()["members"]
    rows = [row for row in _rows(client) if row["team"] == team or row["user"] == sybil_name]
    assert len(rows) == 1
    assert rows[0]["team"] == team
    assert client.get("/api/v1/users/me/quota", headers=sybil).json()["team"] == team
    line = next(
        line
        for line in _log(client, organizer)
        if line["action"] == "merge" and sybil_name in line["target"]
    )
    assert line["details"]["submissions_moved"] == 1
    assert line["reason"] == "one lab, two accounts"


def test_the_admin_page_shows_the_log_and_takes_the_forms(
    client: TestClient, service: Settings
) -> None:
    alice = new_user(service)
    team_id = make_team(client, alice)
    staff_name = register_in_browser(client)
    with session_factory(service.sqlalchemy_url)() as db:
        db.execute(update(User).where(User.username == staff_name).values(role=Role.ORGANIZER))
        db.commit()
    name = f"Page lab {uuid.uuid4().hex[:6]}"
    renamed = client.post(
        "/admin/moderation/rename-team",
        data={
            "csrf_token": csrf_from(client, "/admin/moderation"),
            "team_id": str(team_id),
            "name": name,
            "reason": "typo",
        },
        follow_redirects=False,
    )
    assert renamed.status_code == 303
    page = client.get("/admin/moderation").text
    assert f"Team {team_id} is now &#39;{name}&#39;." in page
    rows = cell_texts(page, "moderation-log")
    mine = next(row for row in rows if name in row[5])
    assert mine[1:3] == [staff_name, "rename"]
    assert mine[4] == "typo"
    bad = client.post(
        "/admin/moderation/merge",
        data={
            "csrf_token": csrf_from(client, "/admin/moderation"),
            "into_team_id": str(team_id),
            "source": "",
            "reason": "x",
        },
        follow_redirects=True,
    )
    assert "source: a team id or a username" in bad.text
    assert 'href="/admin/moderation"' in client.get("/admin").text
    # hiding a whole entry from the submissions page is logged too, and listed here
    submission_id = _scored(client, alice, "page hide")
    hidden = client.post(
        f"/admin/submissions/{submission_id}/hide",
        data={
            "csrf_token": csrf_from(client, "/admin/submissions"),
            "reason": "duplicate entry",
            "whole_entry": "true",
        },
        follow_redirects=False,
    )
    assert hidden.status_code == 303
    rows = cell_texts(client.get("/admin/moderation").text, "moderation-log")
    hide = next(row for row in rows if row[2] == "hide" and f"submission {submission_id}" in row[3])
    assert hide[3].startswith("the entry of ")
    assert (hide[1], hide[4]) == (staff_name, "duplicate entry")
    with TestClient(create_app(service)) as participant:
        register_in_browser(participant)
        assert participant.get("/admin/moderation").status_code == 403
