"""Teams against a running service with a real worker (both backends): the API contracts
(create, invite, join, decline, leave), one leaderboard row per team or participant without
a team whatever the method names, the team's shared quota under concurrent uploads by two
members, and the team page."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event
from starlette.testclient import TestClient

from app.core.config import Settings
from app.db import get_engine
from app.main import create_app
from app.models import Role
from app.services import submissions
from tests.app.pages_support import csrf_from, register_in_browser
from tests.app.support import GOOD_SUBMISSION, PARTICLES, new_user, upload, wait_for_status

PERFECT = "\n".join(f"{name} {x} {y} {z}" for name, x, y, z in PARTICLES).encode()


def _name(prefix: str = "Lab") -> str:
    return f"{prefix} {uuid.uuid4().hex[:8]}"


def _me(client: TestClient, headers: dict[str, str]) -> str:
    username: str = client.get("/api/v1/users/me", headers=headers).json()["username"]
    return username


def make_team(client: TestClient, *members: dict[str, str], name: str | None = None) -> int:
    """A team created by the first member, the others invited and joined; its id."""
    created = client.post("/api/v1/teams", headers=members[0], json={"name": name or _name()})
    assert created.status_code == 201, created.text
    team_id: int = created.json()["id"]
    for headers in members[1:]:
        invited = client.post(
            f"/api/v1/teams/{team_id}/members",
            headers=members[0],
            json={"username": _me(client, headers)},
        )
        assert invited.status_code == 201, invited.text
        joined = client.post(f"/api/v1/teams/{team_id}/join", headers=headers)
        assert joined.status_code == 200, joined.text
    return team_id


def _rows(client: TestClient, **params: str) -> list[dict[str, Any]]:
    response = client.get("/api/v1/leaderboard", params=params)
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()["rows"]
    return rows


def _scored(client: TestClient, headers: dict[str, str], content: bytes, method: str) -> int:
    created = upload(client, headers, content, method=method)
    assert created.status_code == 201, created.text
    submission_id: int = created.json()["id"]
    assert wait_for_status(client, headers, submission_id)["status"] == "scored"
    return submission_id


def test_team_api_contracts(client: TestClient, service: Settings) -> None:
    alice, bob, carol = (new_user(service) for _ in range(3))
    name = _name()
    created = client.post("/api/v1/teams", headers=alice, json={"name": name})
    assert created.status_code == 201, created.text
    team = created.json()
    assert team["name"] == name
    assert team["members"] == [_me(client, alice)]
    team_id = team["id"]

    # a look-alike of a taken name, a reserved word, an invisible character: refused by name
    for bad, status, problem in (
        (name.upper(), 409, "exists"),
        ("Official picks", 422, "reserved for the organizers"),
        ("Lab\u200bX", 422, "U+200B"),
        ("", 422, "required"),
    ):
        refused = client.post("/api/v1/teams", headers=carol, json={"name": bad})
        assert refused.status_code == status, refused.text
        assert refused.json()["detail"].startswith("name: "), refused.text
        assert problem in refused.json()["detail"]

    bob_name = _me(client, bob)
    # only members invite; the invited user joins on acceptance, not before
    outsider = client.post(
        f"/api/v1/teams/{team_id}/members", headers=carol, json={"username": bob_name}
    )
    assert outsider.status_code == 403
    assert client.post(f"/api/v1/teams/{team_id}/join", headers=bob).status_code == 403
    invited = client.post(
        f"/api/v1/teams/{team_id}/members", headers=alice, json={"username": bob_name}
    )
    assert invited.status_code == 201, invited.text
    assert client.get(f"/api/v1/teams/{team_id}").json()["members"] == [_me(client, alice)]
    again = client.post(
        f"/api/v1/teams/{team_id}/members", headers=alice, json={"username": bob_name}
    )
    assert again.status_code == 409
    nobody = client.post(
        f"/api/v1/teams/{team_id}/members", headers=alice, json={"username": "no-such-user-x"}
    )
    assert nobody.status_code == 404
    assert nobody.json()["detail"].startswith("username: ")
    mine = client.get("/api/v1/teams/mine", headers=bob).json()
    assert mine["team"] is None
    assert [invite["team"] for invite in mine["invites"]] == [name]

    joined = client.post(f"/api/v1/teams/{team_id}/join", headers=bob)
    assert joined.status_code == 200, joined.text
    assert joined.json()["members"] == [_me(client, alice), bob_name]
    assert client.get("/api/v1/teams/mine", headers=bob).json()["invites"] == []
    # one team at a time
    second = client.post("/api/v1/teams", headers=bob, json={"name": _name()})
    assert second.status_code == 409
    assert "leave it first" in second.json()["detail"]

    # declining removes the invitation
    carol_name = _me(client, carol)
    client.post(f"/api/v1/teams/{team_id}/members", headers=bob, json={"username": carol_name})
    assert client.post(f"/api/v1/teams/{team_id}/decline", headers=carol).status_code == 204
    assert client.post(f"/api/v1/teams/{team_id}/join", headers=carol).status_code == 403

    left = client.post(f"/api/v1/teams/{team_id}/leave", headers=bob)
    assert left.status_code == 200
    assert left.json()["members"] == [_me(client, alice)]
    assert client.get("/api/v1/teams/mine", headers=bob).json()["team"] is None
    assert client.post(f"/api/v1/teams/{team_id}/leave", headers=bob).status_code == 403
    assert client.get("/api/v1/teams/999999").status_code == 404
    assert client.post("/api/v1/teams", json={"name": "x"}).status_code == 401


def test_the_same_file_under_seven_method_names_is_one_row(
    client: TestClient, service: Settings
) -> None:
    headers = new_user(service)
    me = _me(client, headers)
    ids = [_scored(client, headers, GOOD_SUBMISSION, f"picker v{n}") for n in range(7)]
    mine = [row for row in _rows(client) if row["user"] == me]
    assert len(mine) == 1
    # best mode: the tie on both F1s goes to the earliest upload
    assert mine[0]["submission_id"] == ids[0]
    assert mine[0]["method"] == "picker v0"
    assert mine[0]["team"] is None
    latest = [row for row in _rows(client, mode="latest") if row["user"] == me]
    assert [row["submission_id"] for row in latest] == [ids[-1]]
    assert latest[0]["method"] == "picker v6"


def test_a_team_holds_one_row_and_joining_merges_entries(
    client: TestClient, service: Settings
) -> None:
    alice, bob = new_user(service), new_user(service)
    bob_name = _me(client, bob)
    _scored(client, bob, PERFECT, "bob alone")  # before joining: bob's own row
    assert [row["team"] for row in _rows(client) if row["user"] == bob_name] == [None]
    name = _name()
    team_id = make_team(client, alice, bob, name=name)
    _scored(client, alice, GOOD_SUBMISSION, "alice method")
    rows = [row for row in _rows(client) if row["team"] == name]
    assert len(rows) == 1
    # bob's perfect upload moved to the team on joining and is its best
    assert (rows[0]["user"], rows[0]["method"], rows[0]["f1"]) == (bob_name, "bob alone", 1.0)
    assert rows[0]["team_id"] == team_id
    assert not [row for row in _rows(client) if row["user"] == bob_name and row["team"] is None]
    latest = [row for row in _rows(client, mode="latest") if row["team"] == name]
    assert [row["method"] for row in latest] == ["alice method"]
    detail = client.get(f"/api/v1/submissions/{rows[0]['submission_id']}", headers=bob).json()
    assert (detail["team"], detail["team_id"]) == (name, team_id)
    # the old `team` field may still be sent, but only naming the caller's team
    wrong = upload(client, alice, method="x", team="Some other lab")
    assert wrong.status_code == 422
    assert wrong.json()["detail"].startswith(f"team: you are in team '{name}'")
    alone = upload(client, new_user(service), method="x", team="My lab")
    assert alone.status_code == 422
    assert alone.json()["detail"].startswith("team: you are in no team")
    assert upload(client, alice, method="x", team=name).status_code == 201


# one upload a day for the whole team: two members racing each other can only both get in
# if their uploads are not taken in turn under the team's lock
QUOTA = 1


@pytest.fixture
def quota_client(service: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(service.model_copy(update={"daily_quota": QUOTA}))) as client:
        yield client


def test_team_quota_and_one_row_hold_under_concurrent_uploads(
    quota_client: TestClient, service: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a slow moment between an upload's insert and its count: without the team's lock the
    # members' uploads would overlap there and overrun the quota
    check = submissions.ensure_quota

    def slow_check(*args: Any, **kwargs: Any) -> Any:
        if kwargs.get("including_new"):
            time.sleep(0.3)
        return check(*args, **kwargs)  # the quota as counted, which the upload answers with

    monkeypatch.setattr(submissions, "ensure_quota", slow_check)
    alice, bob = new_user(service), new_user(service)
    name = _name()
    make_team(quota_client, alice, bob, name=name)
    members = [alice, bob] * 3
    methods = [f"method {n}" for n in range(len(members))]
    with ThreadPoolExecutor(max_workers=len(members)) as pool:
        answers = list(pool.map(lambda h, m: upload(quota_client, h, method=m), members, methods))
    codes = sorted(answer.status_code for answer in answers)
    assert codes == [201] * QUOTA + [429] * (len(members) - QUOTA)
    refused = next(answer for answer in answers if answer.status_code == 429)
    assert f"daily quota of {QUOTA} submissions (shared by team '{name}')" in refused.text
    for headers in (alice, bob):
        quota = quota_client.get("/api/v1/users/me/quota", headers=headers).json()
        assert (quota["used"], quota["remaining"], quota["team"]) == (QUOTA, 0, name)
    for answer, headers in zip(answers, members, strict=True):
        if answer.status_code == 201:
            assert wait_for_status(quota_client, headers, answer.json()["id"])["status"] == "scored"
    assert len([row for row in _rows(quota_client) if row["team"] == name]) == 1
    # leaving frees nothing: the leaver's own uploads of the day still count for them
    team_id = quota_client.get("/api/v1/teams/mine", headers=bob).json()["team"]["id"]
    quota_client.post(f"/api/v1/teams/{team_id}/leave", headers=bob)
    accepted_by_bob = sum(
        1
        for answer, headers in zip(answers, members, strict=True)
        if answer.status_code == 201 and headers is bob
    )
    bob_quota = quota_client.get("/api/v1/users/me/quota", headers=bob).json()
    assert (bob_quota["used"], bob_quota["team"]) == (accepted_by_bob, None)


@contextmanager
def statements_run(settings: Settings) -> Iterator[list[str]]:
    """The SQL statements this process sends to the service's database meanwhile."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(" ".join(statement.split()))

    engine = get_engine(settings.sqlalchemy_url)
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_a_members_own_limit_stops_the_team_and_an_upload_looks_it_up_once(
    client: TestClient, service: Settings
) -> None:
    admin, alice, bob = new_user(service, Role.ADMIN), new_user(service), new_user(service)
    name = _name()
    make_team(client, alice, bob, name=name)
    bob_id = client.get("/api/v1/users/me", headers=bob).json()["id"]
    own = {"daily_quota": 1}
    assert client.put(f"/api/v1/admin/users/{bob_id}/quota", json=own, headers=admin).is_success
    with statements_run(service) as statements:
        first = upload(client, alice)
    assert first.status_code == 201, first.text
    quota = first.json()["quota"]
    assert (quota["limit"], quota["used"], quota["remaining"], quota["team"]) == (1, 1, 0, name)
    # the team and the phase (with its version) are read once each; the members' limits
    # come with the count
    assert len([text for text in statements if "FROM teams JOIN team_members" in text]) == 1
    assert len([text for text in statements if "FROM phases" in text]) == 1
    assert not [text for text in statements if text.startswith("SELECT users.id, users.")]
    refused = upload(client, alice, method="another")
    assert refused.status_code == 429
    assert f"daily quota of 1 submissions (shared by team '{name}')" in refused.text


def test_team_page_creates_invites_and_accepts(client: TestClient, service: Settings) -> None:
    with TestClient(create_app(service)) as other:
        invitee = register_in_browser(other)
        register_in_browser(client)
        assert "You are in no team" in client.get("/team").text
        name = _name()
        bad = client.post(
            "/team", data={"csrf_token": csrf_from(client, "/team"), "name": "Lab\u202eX"}
        )
        assert bad.status_code == 422
        assert 'id="name-error"' in bad.text
        created = client.post(
            "/team",
            data={"csrf_token": csrf_from(client, "/team"), "name": name},
            follow_redirects=False,
        )
        assert created.status_code == 303
        page = client.get("/team").text
        assert f'id="team-name">{name}<' in page
        team_id = client.get("/api/v1/teams/mine").json()["team"]["id"]
        invited = client.post(
            f"/team/{team_id}/invite",
            data={"csrf_token": csrf_from(client, "/team"), "username": invitee},
            follow_redirects=False,
        )
        assert invited.status_code == 303
        assert name in other.get("/team").text
        accepted = other.post(
            f"/team/{team_id}/join",
            data={"csrf_token": csrf_from(other, "/team")},
            follow_redirects=False,
        )
        assert accepted.status_code == 303
        assert invitee in client.get("/team").text
        form = other.get("/submit").text
        assert f"This upload counts for team <strong>{name}</strong>" in form
        no_csrf = other.post(f"/team/{team_id}/leave", data={})
        assert no_csrf.status_code == 403
