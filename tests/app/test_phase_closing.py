"""Closing a phase, with a real worker on both backends: the private split stays hidden from
participants on every route until the close, the close freezes the board in a snapshot that
later re-scoring never changes, and the beat job closes phases at their closing time."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select, update
from starlette.testclient import TestClient

from app.core.config import Settings
from app.db import session_factory
from app.main import create_app
from app.models import Phase, PhaseSnapshot, Result, Role
from app.services.closing import close_due_phases, snapshot_intact
from tests.app.pages_support import register_in_browser
from tests.app.support import (
    install_dataset,
    new_user,
    running_worker,
    upload,
    wait_for_status,
)
from tests.app.test_phases import create_phase
from tests.reliability.access import app_routes


@pytest.fixture
def edition(fresh_settings: Settings) -> Iterator[tuple[TestClient, int]]:
    """A deployment with a worker and the hand-built dataset; its version id."""
    version_id = install_dataset(fresh_settings)
    with running_worker(fresh_settings), TestClient(create_app(fresh_settings)) as client:
        yield client, version_id


def _private_checksum(settings: Settings, submission_id: int) -> str:
    with session_factory(settings.sqlalchemy_url)() as db:
        result = db.scalar(select(Result).where(Result.submission_id == submission_id))
        assert result is not None
        assert result.metrics_private is not None
        assert result.metrics_public is not None
        checksum: str = result.metrics_private["ground_truth_checksum"]
        assert checksum != result.metrics_public["ground_truth_checksum"]
        return checksum


def _participant_answers(
    client: TestClient, headers: dict[str, str], ids: dict[str, int]
) -> dict[str, str]:
    """Every GET route of the app as a participant (API token and a browser session), path
    ids filled in; the text of each answer."""
    answers = {}
    for method, template in app_routes(client.app):  # type: ignore[arg-type]
        if method != "GET" or template.startswith(("/static", "/docs", "/redoc")):
            continue
        if "copick" in template:  # the training data as a project: no result in it
            continue
        names = re.findall(r"{(\w+)(?::\w+)?}", template)
        if any(name not in ids for name in names):
            continue
        path = re.sub(r"{(\w+)(?::\w+)?}", lambda m: str(ids[m.group(1)]), template)
        query = "?phase={}".format(ids["phase_id"]) if "leaderboard" in path else ""
        answers[path + query] = client.get(path + query, headers=headers).text
    return answers


def _whole_test_document(text: str) -> bool:
    """Whether a JSON answer holds a result document on all 4 test particles."""
    try:
        found: list[Any] = [json.loads(text)]
    except ValueError:
        return False
    while found:
        item = found.pop()
        if isinstance(item, dict):
            if (item.get("localization") or {}).get("N") == 4:
                return True
            found.extend(item.values())
        elif isinstance(item, list):
            found.extend(item)
    return False


def test_private_figures_stay_hidden_until_the_close_then_freeze(
    edition: tuple[TestClient, int], fresh_settings: Settings
) -> None:
    client, version_id = edition
    admin = new_user(fresh_settings, Role.ADMIN)
    organizer = new_user(fresh_settings, Role.ORGANIZER)
    phase = create_phase(client, admin, version_id)
    participant = new_user(fresh_settings)
    submission_id = upload(client, participant, phase=str(phase["id"])).json()["id"]
    body = wait_for_status(client, participant, submission_id)
    assert body["status"] == "scored", body
    private_checksum = _private_checksum(fresh_settings, submission_id)

    # the participant sees the public part only, reduced; organizers see both
    assert body["result"]["split"] == "public"
    assert "result_private" not in body
    assert "bootstrap_f1_samples" not in body["result"]  # rank-group data, never shown
    assert body["result"]["localization"]["N"] < 4  # a part of the 4 test particles
    staff = client.get(f"/api/v1/submissions/{submission_id}", headers=organizer).json()
    assert staff["result_private"]["ground_truth_checksum"] == private_checksum
    assert len(staff["result_private"]["bootstrap_f1_samples"]) == 1000
    assert staff["result"]["localization"]["N"] == 4
    query = {"phase": phase["id"], "split": "private"}
    hidden = client.get("/api/v1/leaderboard", params=query, headers=participant)
    assert hidden.status_code == 403
    assert hidden.json()["detail"].startswith("split: the private ranking")
    assert client.get("/api/v1/leaderboard.csv", params=query).status_code == 403
    assert client.get("/api/v1/leaderboard", params=query, headers=organizer).status_code == 200
    public_board = client.get("/api/v1/leaderboard", params={"phase": phase["id"]}).json()
    assert public_board["split"] == "public"
    assert public_board["rows"][0]["f1"] == round(body["result"]["localization"]["f1"], 4)

    # every route a participant can reach, API and pages: no private figure anywhere
    register_in_browser(client)
    ids = {"submission_id": submission_id, "phase_id": phase["id"], "version_id": version_id}
    ids |= {"dataset_id": version_id, "id": version_id}
    answers = _participant_answers(client, participant, ids)
    assert any("/leaderboard" in path for path in answers)
    assert any(str(submission_id) in path for path in answers)
    report_page = answers[f"/submissions/{submission_id}"]
    assert 'id="split-note"' in report_page  # the page says which part it shows
    leaks = [path for path, text in answers.items() if private_checksum in text]
    assert leaks == []
    # nor the whole test's figures (the whole minus the public part is the private part)
    whole = [path for path, text in answers.items() if _whole_test_document(text)]
    assert whole == []

    closed = client.post(f"/api/v1/admin/phases/{phase['id']}/close", headers=admin)
    assert closed.status_code == 200, closed.text
    assert closed.json()["state"] == "closed"
    assert closed.json()["private_revealed"] is True
    sha256 = closed.json()["snapshot_sha256"]
    assert re.fullmatch(r"[0-9a-f]{64}", sha256)
    again = client.post(f"/api/v1/admin/phases/{phase['id']}/close", headers=admin)
    assert again.status_code == 409
    refused = upload(client, participant, phase=str(phase["id"]))
    assert refused.status_code == 409
    assert "closed at" in refused.json()["detail"]

    # now the private ranking is the official one, for everybody
    after = client.get(f"/api/v1/submissions/{submission_id}", headers=participant).json()
    assert after["result_private"]["ground_truth_checksum"] == private_checksum
    official = client.get("/api/v1/leaderboard", params={"phase": phase["id"]}).json()
    assert (official["split"], official["frozen"]) == ("private", True)
    private_f1 = round(after["result_private"]["localization"]["f1"], 4)
    assert official["rows"][0]["f1"] == private_f1

    # a re-score that changes the numbers (a new evaluator, say) never touches the snapshot
    with session_factory(fresh_settings.sqlalchemy_url)() as db:
        db.execute(update(Result).values(metrics_private={"localization": {"f1": 0.0123}}))
        db.commit()
    rescore = client.post(f"/api/v1/admin/datasets/{version_id}/rescore", headers=admin)
    assert rescore.status_code == 202
    assert wait_for_status(client, participant, submission_id)["status"] == "scored"
    frozen = client.get("/api/v1/leaderboard", params={"phase": phase["id"]}).json()
    assert frozen["rows"] == official["rows"]
    with session_factory(fresh_settings.sqlalchemy_url)() as db:
        snapshot = db.scalar(select(PhaseSnapshot).where(PhaseSnapshot.phase_id == phase["id"]))
        assert snapshot is not None
        assert snapshot.sha256 == sha256
        assert snapshot_intact(snapshot)
        assert snapshot.ground_truth_checksum == after["ground_truth_checksum"]
        assert snapshot.document["results"][str(submission_id)]["private"]["split"] == "private"


def test_the_beat_job_closes_phases_at_their_closing_time(
    edition: tuple[TestClient, int], fresh_settings: Settings
) -> None:
    client, version_id = edition
    admin = new_user(fresh_settings, Role.ADMIN)
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=3)
    phase = create_phase(client, admin, version_id, closes_at=soon.isoformat())
    participant = new_user(fresh_settings)
    submission_id = upload(client, participant, phase=str(phase["id"])).json()["id"]
    assert wait_for_status(client, participant, submission_id)["status"] == "scored"
    factory = session_factory(fresh_settings.sqlalchemy_url)
    assert close_due_phases(factory, now=soon - dt.timedelta(seconds=1)) == []
    assert close_due_phases(factory, now=soon) == [phase["id"]]
    assert close_due_phases(factory, now=soon) == []  # once
    with factory() as db:
        closed = db.get(Phase, phase["id"])
        assert closed is not None
        assert closed.closed_at == soon.replace(microsecond=closed.closed_at.microsecond)
        assert closed.snapshot is not None
        assert [
            row["submission_id"] for row in closed.snapshot.document["boards"]["private"]["best"]
        ] == [submission_id]
    with factory() as db:  # written once: a stored snapshot cannot be changed
        snapshot = db.scalar(select(PhaseSnapshot).where(PhaseSnapshot.phase_id == phase["id"]))
        assert snapshot is not None
        snapshot.sha256 = "0" * 64
        with pytest.raises(RuntimeError, match="immutable"):
            db.commit()
    schedule: dict[str, Any] = client.app.state.celery.conf.beat_schedule  # type: ignore[attr-defined]
    assert schedule["close-due-phases"]["task"] == "workers.tasks.evaluation.close_due_phases"
