"""The private board's entry per team or participant, with a real worker on both backends:
by default its best public submission (never its best private one), else the submission it
selected (API field and page); a team's members choose for the team; the choice is final
once the phase closes."""

from __future__ import annotations

import copy
import re
from typing import Any

from sqlalchemy import select
from starlette.testclient import TestClient

from app.core.config import Settings
from app.db import session_factory
from app.models import Result, Role
from tests.app.pages_support import csrf_from, register_in_browser, upload_in_browser
from tests.app.support import GOOD_SUBMISSION, PARTICLES, new_user, upload, wait_for_status
from tests.app.test_phases import create_phase
from tests.app.test_teams import make_team

PERFECT = "\n".join(f"{name} {x} {y} {z}" for name, x, y, z in PARTICLES).encode()
HALF = b"1bxn 10 10 10\n1s3x 30 20 12\n"


def _version_id(client: TestClient) -> int:
    version_id: int = client.get("/api/v1/leaderboard").json()["dataset_version"]["id"]
    return version_id


def _scored(client: TestClient, headers: dict[str, str], content: bytes, phase: int) -> int:
    created = upload(client, headers, content, method="picker", phase=str(phase))
    assert created.status_code == 201, created.text
    submission_id: int = created.json()["id"]
    assert wait_for_status(client, headers, submission_id)["status"] == "scored"
    return submission_id


def _set_private_f1(settings: Settings, submission_id: int, f1: float) -> None:
    """Make a submission look better or worse on the private part only."""
    with session_factory(settings.sqlalchemy_url)() as db:
        result = db.scalar(select(Result).where(Result.submission_id == submission_id))
        assert result is not None
        assert result.metrics_private is not None
        private = copy.deepcopy(result.metrics_private)
        private["localization"]["f1"] = f1
        result.metrics_private = private
        db.commit()


def _board_row(
    client: TestClient, headers: dict[str, str], phase: int, split: str, user: str
) -> dict[str, Any]:
    params = {"phase": str(phase), "split": split}
    rows = client.get("/api/v1/leaderboard", params=params, headers=headers).json()["rows"]
    mine = [row for row in rows if row["user"] == user or row["team"] == user]
    assert len(mine) == 1, rows
    row: dict[str, Any] = mine[0]
    return row


def test_private_entry_is_the_selection_else_the_best_public_one(
    client: TestClient, service: Settings
) -> None:
    admin, organizer = new_user(service, Role.ADMIN), new_user(service, Role.ORGANIZER)
    phase = create_phase(client, admin, _version_id(client))["id"]
    participant = new_user(service)
    me = client.get("/api/v1/users/me", headers=participant).json()["username"]
    perfect = _scored(client, participant, PERFECT, phase)
    good = _scored(client, participant, GOOD_SUBMISSION, phase)
    half = _scored(client, participant, HALF, phase)
    # on the private part, HALF now looks best and PERFECT worst: a board that picked the
    # best private submission would show HALF
    _set_private_f1(service, perfect, 0.1)
    _set_private_f1(service, half, 0.9)

    default = client.get("/api/v1/selection", params={"phase": phase}, headers=participant)
    assert default.status_code == 200, default.text
    assert default.json() == {
        "phase_id": phase,
        "submission_id": perfect,
        "default": True,
        "candidates": [perfect, good, half],
    }
    public_row = _board_row(client, organizer, phase, "public", me)
    assert public_row["submission_id"] == perfect
    private_row = _board_row(client, organizer, phase, "private", me)
    assert (private_row["submission_id"], private_row["f1"]) == (perfect, 0.1)

    chosen = client.put("/api/v1/selection", headers=participant, json={"submission_id": good})
    assert chosen.status_code == 200, chosen.text
    assert (chosen.json()["submission_id"], chosen.json()["default"]) == (good, False)
    assert (
        client.get(f"/api/v1/submissions/{perfect}", headers=participant).json()["selected"]
        is False
    )
    assert _board_row(client, organizer, phase, "private", me)["submission_id"] == good
    assert _board_row(client, organizer, phase, "public", me)["submission_id"] == perfect
    # choosing again moves the one choice
    client.put("/api/v1/selection", headers=participant, json={"submission_id": half})
    assert _board_row(client, organizer, phase, "private", me)["submission_id"] == half
    assert (
        client.get(f"/api/v1/submissions/{good}", headers=participant).json()["selected"] is False
    )

    back = client.delete("/api/v1/selection", params={"phase": phase}, headers=participant)
    assert (back.json()["submission_id"], back.json()["default"]) == (perfect, True)
    assert _board_row(client, organizer, phase, "private", me)["submission_id"] == perfect

    # someone else's submission, a missing one, a bad body: named, never a 500
    stranger = new_user(service)
    foreign = client.put("/api/v1/selection", headers=stranger, json={"submission_id": good})
    assert foreign.status_code == 404
    assert foreign.json()["detail"].startswith("submission_id: ")
    assert client.put("/api/v1/selection", headers=participant, json={}).status_code == 422

    closed = client.post(f"/api/v1/admin/phases/{phase}/close", headers=admin)
    assert closed.status_code == 200, closed.text
    late = client.put("/api/v1/selection", headers=participant, json={"submission_id": good})
    assert late.status_code == 409
    assert "closed" in late.json()["detail"]
    official = client.get("/api/v1/leaderboard", params={"phase": phase}).json()
    assert [row["submission_id"] for row in official["rows"] if row["user"] == me] == [perfect]


def test_a_team_member_selects_for_the_team_on_the_page(
    client: TestClient, service: Settings
) -> None:
    admin, organizer = new_user(service, Role.ADMIN), new_user(service, Role.ORGANIZER)
    phase = create_phase(client, admin, _version_id(client))["id"]
    alice = new_user(service)
    bob_name = register_in_browser(client)  # bob drives the page
    token = client.post("/api/v1/tokens", auth=(bob_name, "correct horse battery")).json()
    bob = {"Authorization": f"Bearer {token['token']}"}
    team = client.get("/api/v1/teams/mine", headers=bob).json()
    assert team["team"] is None
    make_team(client, alice, bob)
    team_name = client.get("/api/v1/teams/mine", headers=bob).json()["team"]["name"]
    best = _scored(client, alice, PERFECT, phase)
    uploaded = upload_in_browser(client, GOOD_SUBMISSION, method="bob's", phase=str(phase))
    assert uploaded.status_code == 303
    other = client.get("/api/v1/submissions", headers=bob).json()["data"][0]["id"]
    assert wait_for_status(client, bob, other)["status"] == "scored"

    page = client.get(f"/selection?phase={phase}").text
    assert re.search(rf'id="candidate-{best}".*?stands \(default\)', page, re.S)
    chosen = client.post(
        "/selection",
        data={
            "csrf_token": csrf_from(client, f"/selection?phase={phase}"),
            "phase": str(phase),
            "submission_id": str(other),
        },
        follow_redirects=False,
    )
    assert chosen.status_code == 303
    page = client.get(chosen.headers["location"]).text
    assert re.search(rf'id="candidate-{other}".*?stands \(selected\)', page, re.S)
    assert _board_row(client, organizer, phase, "private", team_name)["submission_id"] == other
    # alice sees the team's choice too
    mine = client.get("/api/v1/selection", params={"phase": phase}, headers=alice).json()
    assert (mine["submission_id"], mine["default"]) == (other, False)
    no_csrf = client.post("/selection", data={"phase": str(phase), "submission_id": str(best)})
    assert no_csrf.status_code == 403
