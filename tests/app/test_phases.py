"""Phases: the admin API's contract, uploads into a phase's window with the phase's own
quota, the default phase of clients that name none, and the pages that show the phase."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from app.core.config import Settings
from app.db import session_factory
from app.models import Role, Submission
from app.services.datasets import active_dataset
from tests.app.support import GOOD_SUBMISSION, new_user, upload, wait_for_status


def _version_id(settings: Settings) -> int:
    with session_factory(settings.sqlalchemy_url)() as db:
        version = active_dataset(db)
        assert version is not None
        return version.id


def _iso(delta: dt.timedelta) -> str:
    return (dt.datetime.now(dt.UTC) + delta).isoformat()


def create_phase(
    client: TestClient, admin: dict[str, str], version_id: int, **fields: Any
) -> dict[str, Any]:
    """A phase made through the admin API (an edition open for an hour by default)."""
    body = {
        "name": f"edition-{uuid.uuid4().hex[:8]}",
        "dataset_version_id": version_id,
        "kind": "edition",
        "opens_at": _iso(-dt.timedelta(minutes=5)),
        "closes_at": _iso(dt.timedelta(hours=1)),
        **fields,
    }
    response = client.post("/api/v1/admin/phases", headers=admin, json=body)
    assert response.status_code == 201, response.text
    phase: dict[str, Any] = response.json()
    return phase


def test_admins_open_phases_and_everyone_lists_them(client: TestClient, service: Settings) -> None:
    admin = new_user(service, Role.ADMIN)
    version_id = _version_id(service)
    phase = create_phase(client, admin, version_id, daily_quota=3, ladder=0.01)
    assert phase["id"] > 0
    assert (phase["state"], phase["daily_quota"]) == ("open", 3)
    assert (phase["ladder"], phase["ladder_threshold"]) == ("fixed", 0.01)
    listing = client.get("/api/v1/phases").json()
    assert listing["count"] == len(listing["data"]) >= 2  # with the version's development phase
    assert phase["id"] in [row["id"] for row in listing["data"]]
    kinds = {row["kind"] for row in listing["data"] if row["dataset_version_id"] == version_id}
    assert kinds == {"continuous", "edition"}
    assert client.get(f"/api/v1/phases/{phase['id']}").json()["name"] == phase["name"]

    participant = new_user(service)
    body = {"name": "x", "dataset_version_id": version_id, "kind": "continuous"}
    assert client.post("/api/v1/admin/phases", headers=participant, json=body).status_code == 403


def test_bad_phase_requests_name_the_field(client: TestClient, service: Settings) -> None:
    admin = new_user(service, Role.ADMIN)
    version_id = _version_id(service)
    cases = [
        ({"kind": "edition", "closes_at": None}, "closes_at: an edition needs a closing time"),
        ({"closes_at": _iso(-dt.timedelta(days=1))}, "closes_at: "),
        ({"kind": "yearly"}, "kind"),
        ({"ladder": 3}, "ladder: a fixed threshold must lie between 0 and 1"),
        ({"dataset_version_id": 2**31 - 1}, "not found"),
    ]
    for change, message in cases:
        body = {
            "name": f"bad-{uuid.uuid4().hex[:6]}",
            "dataset_version_id": version_id,
            "kind": "edition",
            "opens_at": _iso(dt.timedelta(0)),
            "closes_at": _iso(dt.timedelta(days=1)),
            **change,
        }
        response = client.post("/api/v1/admin/phases", headers=admin, json=body)
        assert response.status_code in (404, 422), (change, response.text)
        assert message in str(response.json()["detail"]), (change, response.text)
    taken = create_phase(client, admin, version_id)
    again = client.post(
        "/api/v1/admin/phases",
        headers=admin,
        json={"name": taken["name"], "dataset_version_id": version_id, "kind": "continuous"},
    )
    assert again.status_code == 409
    assert again.json()["detail"].startswith("name: ")


def _quota_used(client: TestClient, headers: dict[str, str]) -> int:
    used: int = client.get("/api/v1/users/me/quota", headers=headers).json()["used"]
    return used


def test_uploads_outside_the_window_are_refused_without_quota(
    client: TestClient, service: Settings
) -> None:
    admin = new_user(service, Role.ADMIN)
    version_id = _version_id(service)
    upcoming = create_phase(
        client,
        admin,
        version_id,
        opens_at=_iso(dt.timedelta(days=1)),
        closes_at=_iso(dt.timedelta(days=2)),
    )
    past = create_phase(
        client,
        admin,
        version_id,
        opens_at=_iso(-dt.timedelta(days=2)),
        closes_at=_iso(-dt.timedelta(days=1)),
    )
    headers = new_user(service)
    refused = upload(client, headers, phase=str(upcoming["id"]))
    assert refused.status_code == 409
    assert refused.json()["detail"].startswith(f"phase: phase {upcoming['id']} (")
    assert "opens at" in refused.json()["detail"]
    closed = upload(client, headers, phase=str(past["id"]))
    assert closed.status_code == 409
    assert "closed at" in closed.json()["detail"]
    assert "no quota was used" in closed.json()["detail"]
    assert upload(client, headers, phase="abc").json()["detail"].startswith("phase: expected")
    assert upload(client, headers, phase="2147483647").status_code == 404
    assert _quota_used(client, headers) == 0
    assert client.get("/api/v1/submissions", headers=headers).json()["count"] == 0


def test_a_phase_counts_its_own_quota_and_the_default_phase_takes_the_rest(
    client: TestClient, service: Settings
) -> None:
    admin = new_user(service, Role.ADMIN)
    phase = create_phase(client, admin, _version_id(service), daily_quota=1)
    headers = new_user(service)
    first = upload(client, headers, phase=str(phase["id"]))
    assert first.status_code == 201, first.text
    assert first.json()["quota"]["limit"] == 1
    assert first.json()["quota"]["remaining"] == 0
    mine = client.get("/api/v1/users/me/quota", params={"phase": phase["id"]}, headers=headers)
    assert (mine.json()["limit"], mine.json()["used"]) == (1, 1)
    default_quota = client.get("/api/v1/users/me/quota", headers=headers).json()
    assert default_quota["limit"] == service.daily_quota  # the default phase: the site's
    second = upload(client, headers, phase=str(phase["id"]))
    assert second.status_code == 429
    assert "daily quota of 1" in second.json()["detail"]
    # a client that names no phase goes to the open continuous phase of the active version
    default = upload(client, headers)
    assert default.status_code == 201, default.text
    body = wait_for_status(client, headers, default.json()["id"])
    assert body["phase"] == "development"
    assert body["phase_id"] != phase["id"]
    with session_factory(service.sqlalchemy_url)() as db:
        edition_entry = db.get(Submission, first.json()["id"])
        assert edition_entry is not None
        assert edition_entry.phase_id == phase["id"]
    # each phase has its own board
    wait_for_status(client, headers, first.json()["id"])
    board = client.get("/api/v1/leaderboard", params={"phase": phase["id"]}).json()
    assert [row["submission_id"] for row in board["rows"]] == [first.json()["id"]]
    assert board["phase"]["id"] == phase["id"]
    assert board["split"] == "public"
    default_board = client.get("/api/v1/leaderboard").json()
    assert first.json()["id"] not in [row["submission_id"] for row in default_board["rows"]]
    assert default_board["phase"]["name"] == "development"


def test_pages_show_the_phase(client: TestClient, service: Settings) -> None:
    admin = new_user(service, Role.ADMIN)
    phase = create_phase(client, admin, _version_id(service))
    page = client.get("/leaderboard", params={"phase": phase["id"]}).text
    assert f"Phase <strong>{phase['name']}</strong> (edition, open" in page
    assert "ranked on the public part of the hidden test" in page
    assert f'<option value="{phase["id"]}" selected>' in page


def test_the_migration_gives_existing_versions_a_continuous_phase(
    fresh_settings: Settings,
) -> None:
    from alembic import command
    from sqlalchemy import select, text

    from app.db import get_engine
    from app.migrate import alembic_config
    from app.models import Phase

    url = fresh_settings.sqlalchemy_url
    command.downgrade(alembic_config(url), "0006")
    version = (
        "INSERT INTO dataset_versions (name, parameters, seed, test_secret, simulator_version,"
        " files, test_tomogram, path, status, progress, stage, is_active, created_at,"
        " released_at) VALUES ('{name}', '{{}}', 5, '00', '', '{{}}', 'model_1', 'v', 'ready',"
        " 1, '', {active}, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
    )
    with get_engine(url).begin() as connection:
        connection.execute(text(version.format(name="old", active="false")))
        connection.execute(text(version.format(name="current", active="true")))
        connection.execute(
            text(
                "INSERT INTO users (username, username_key, email, password_hash, role,"
                " is_active, created_at) VALUES ('u', 'u', 'u@x.org', '-', 'participant', true,"
                " CURRENT_TIMESTAMP)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO submissions (user_id, dataset_version_id, method, description,"
                " team, filename, file_sha256, file_bytes, predictions, status, attempts,"
                " is_baseline, hidden, created_at) VALUES (1, 1, 'm', '', '', 'f', 'x', 1, 1,"
                " 'scored', 1, false, false, CURRENT_TIMESTAMP)"
            )
        )
    command.upgrade(alembic_config(url), "head")
    with session_factory(url)() as db:
        phases = {p.dataset_version.name: p for p in db.scalars(select(Phase))}
        assert {name: p.kind for name, p in phases.items()} == {
            "old": "continuous",
            "current": "continuous",
        }
        assert phases["old"].closed_at is not None  # no longer active: closed, as it was
        assert phases["current"].closed_at is None
        submission = db.get(Submission, 1)
        assert submission is not None
        assert submission.phase_id == phases["old"].id


def test_tomobench_submit_names_the_phase(
    client: TestClient, service: Settings, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from app.cli.submit import submit
    from tests.reliability.servers import web_server

    admin = new_user(service, Role.ADMIN)
    upcoming = create_phase(
        client,
        admin,
        _version_id(service),
        opens_at=_iso(dt.timedelta(days=1)),
        closes_at=_iso(dt.timedelta(days=2)),
    )
    token = new_user(service)["Authorization"].removeprefix("Bearer ")
    picks = tmp_path / "picks.txt"
    picks.write_bytes(GOOD_SUBMISSION)
    with web_server(service) as server:
        arguments = [str(picks), "--url", server.url, "--token", token]
        refused = CliRunner().invoke(submit, [*arguments, "--phase", str(upcoming["id"])])
        assert refused.exit_code == 1
        assert f"409: phase: phase {upcoming['id']} (" in refused.output
        accepted = CliRunner().invoke(submit, [*arguments, "--json"])
        assert accepted.exit_code == 0, accepted.output


def test_the_ladder_withholds_what_it_does_not_show(client: TestClient, service: Settings) -> None:
    admin = new_user(service, Role.ADMIN)
    phase = create_phase(client, admin, _version_id(service), ladder=0.99)
    headers = new_user(service)
    entries = []
    for content in (GOOD_SUBMISSION, b"1bxn 10 10 10\n"):  # the second cannot beat by 0.99
        answer = upload(client, headers, content, phase=str(phase["id"]))
        assert answer.status_code == 201, answer.text
        entries.append(wait_for_status(client, headers, answer.json()["id"]))
    shown, withheld = entries
    assert shown["result"]["localization"]["TP"] is not None
    assert withheld["result"]["ladder"] == {"released": False}
    assert withheld["result"]["localization"]["f1"] is None
    assert "Ladder rule" in withheld["result"]["disclosure"]["note"]
    # nothing else gives it away: the latest-entry board, the report page, its figures
    for mode in ("best", "latest"):
        query = {"phase": phase["id"], "mode": mode}
        rows = client.get("/api/v1/leaderboard", params=query).json()["rows"]
        assert [row["submission_id"] for row in rows] == [shown["id"]], mode
    report = client.get(f"/submissions/{withheld['id']}", headers=headers)
    assert report.status_code == 200
    for name in ("f1", "confusion"):  # drawn from blanks: no figure, never an error
        figure = client.get(f"/submissions/{withheld['id']}/figures/{name}.svg", headers=headers)
        assert figure.status_code in (200, 404)
    csv_text = client.get(f"/api/v1/submissions/{withheld['id']}/result.csv", headers=headers)
    assert csv_text.status_code == 200
    assert "localization.TP,\r\n" in csv_text.text or "localization.TP,\n" in csv_text.text
    staff = client.get(f"/api/v1/submissions/{withheld['id']}", headers=admin).json()
    assert staff["result"]["localization"]["TP"] == 1  # organizers see everything
