"""A dataset's whole life through the API with real workers, on both backends: regenerate,
watch the progress, activate, submit against it, keep the two leaderboards apart, re-score a
version with the old result kept in history, download a training tomogram, and fail cleanly.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from sqlalchemy import select, update
from starlette.testclient import TestClient

from app.core.config import Settings
from app.db import session_factory
from app.main import create_app
from app.models import Result, Role
from evaluation.version import EVALUATOR_VERSION
from tests.app.datasets_support import SMALL, folder_of, sha256_of
from tests.app.support import (
    GOOD_EXPECTED,
    install_dataset,
    new_user,
    running_worker,
    upload,
    wait_for_status,
)
from tests.conftest import BACKENDS, backend_settings

# takes about a second to simulate: long enough to watch, short enough for the suite
WATCHED = {"size": 64, "slab": 40, "particles": 12, "tomograms": 2, "tilt_step": 1, "seed": 5}
EARLIER_EVALUATOR = "0.0.0-earlier"


@pytest.fixture(scope="module", params=BACKENDS)
def deployment(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, Settings]]:
    """An app with a hand-built active version and two real workers: one on both queues,
    one more on `simulation` (so two regenerations could run at once, were it allowed).
    Shared by the tests of this module: each reads the state it starts from."""
    with ExitStack() as stack:
        data_dir = tmp_path_factory.mktemp(f"regeneration-{request.param}")
        settings = backend_settings(stack, request.param, data_dir, daily_quota=100)
        install_dataset(settings)
        stack.enter_context(running_worker(settings, "evaluation,simulation"))
        stack.enter_context(running_worker(settings, "simulation", wait=False))
        client = stack.enter_context(TestClient(create_app(settings)))
        yield client, settings


def _active(client: TestClient) -> int:
    board = client.get("/api/v1/leaderboard").json()
    version_id: int = board["dataset_version"]["id"]
    return version_id


def _watch(client: TestClient, version_id: int, timeout: float = 120) -> list[dict[str, Any]]:
    """Every state of a version seen while polling it until it is ready or failed."""
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while not seen or seen[-1]["status"] not in ("ready", "failed"):
        assert time.monotonic() < deadline, f"version {version_id} still {seen[-1]}"
        seen.append(client.get(f"/api/v1/datasets/{version_id}").json())
        time.sleep(0.03)
    return seen


def _perfect_picks(settings: Settings, version_id: int) -> bytes:
    """Every particle of the version's hidden test tomogram, with its class."""
    lines = (folder_of(settings, version_id) / "model_1" / "particle_locations.txt").read_text()
    return "".join(" ".join(line.split()[:4]) + "\n" for line in lines.splitlines()).encode()


def _board(client: TestClient, version_id: int | None = None) -> list[tuple[int, float]]:
    query = f"?dataset={version_id}" if version_id else ""
    rows = client.get(f"/api/v1/leaderboard{query}").json()["rows"]
    return [(row["submission_id"], row["f1"]) for row in rows]


def test_regenerate_activate_submit_rescore_download(
    deployment: tuple[TestClient, Settings],
) -> None:
    client, settings = deployment
    first = _active(client)
    admin, participant = new_user(settings, Role.ADMIN), new_user(settings)
    old_entry = upload(client, participant).json()["id"]
    # the whole test's figures are the organizers' (the participant sees the public part)
    assert (
        wait_for_status(client, admin, old_entry)["result"]["localization"]["TP"]
        == (GOOD_EXPECTED["TP"])
    )

    # regenerate and watch it run on the simulation queue
    response = client.post("/api/v1/admin/datasets", headers=admin, json=WATCHED)
    assert response.status_code == 202, response.text
    second = response.json()["id"]
    seen = _watch(client, second)
    assert seen[-1]["status"] == "ready", seen[-1]
    assert (seen[-1]["progress"], seen[-1]["stage"]) == (1.0, "done")
    running = [state for state in seen if state["status"] == "generating"]
    assert any(0 < state["progress"] < 1 and state["stage"] for state in running), seen
    progress = [state["progress"] for state in seen]
    assert progress == sorted(progress)
    listed = {v["id"]: v["is_active"] for v in client.get("/api/v1/datasets").json()["data"]}
    assert (listed[first], listed[second]) == (True, False)  # ready, not active until asked

    activated = client.post(f"/api/v1/admin/datasets/{second}/activate", headers=admin)
    assert activated.json()["is_active"] is True
    new_entry = upload(client, participant, _perfect_picks(settings, second)).json()["id"]
    scored = wait_for_status(client, participant, new_entry)
    assert scored["dataset_version_id"] == second
    assert scored["result"]["localization"]["f1"] == 1.0
    version = client.get(f"/api/v1/datasets/{second}").json()
    assert scored["ground_truth_checksum"] == version["ground_truth_checksum"]
    assert scored["evaluator_version"] == EVALUATOR_VERSION

    # one leaderboard per version; the active one by default
    # the first version's phase closed with the activation: its board is the official,
    # private ranking, and the participant now sees their private figures
    closed = client.get(f"/api/v1/submissions/{old_entry}", headers=participant).json()
    private_f1 = round(closed["result_private"]["localization"]["f1"], 4)
    assert _board(client, first) == [(old_entry, private_f1)]
    assert _board(client, second) == [(new_entry, 1.0)]
    assert _board(client) == _board(client, second)

    # an earlier evaluator's score is kept when the version is re-scored
    factory = session_factory(settings.sqlalchemy_url)
    with factory() as db:
        db.execute(
            update(Result)
            .where(Result.submission_id == new_entry)
            .values(evaluator_version=EARLIER_EVALUATOR)
        )
        db.commit()
    rescored = client.post(f"/api/v1/admin/datasets/{second}/rescore", headers=admin)
    assert rescored.status_code == 202
    assert rescored.json() == {"dataset_version_id": second, "queued": 1}
    assert wait_for_status(client, participant, new_entry)["evaluator_version"] == EVALUATOR_VERSION
    with factory() as db:
        history = db.scalars(select(Result).where(Result.submission_id == new_entry)).all()
        assert [r.evaluator_version for r in history] == [EARLIER_EVALUATOR, EVALUATOR_VERSION]
        assert {r.dataset_version_id for r in history} == {second}
        old_results = db.scalars(select(Result).where(Result.submission_id == old_entry)).all()
        assert len(old_results) == 1  # the other version was not touched
    assert _board(client, second) == [(new_entry, 1.0)]

    # a training tomogram downloads intact; the test ground truth does not download at all
    files = client.get(f"/api/v1/datasets/{second}/files").json()["data"]
    training = next(
        f for f in files if f["tomogram"] == "model_0" and f["name"] == "class_mask.mrc"
    )
    body = client.get(training["url"]).content
    assert (
        sha256_of(folder_of(settings, second) / "model_0" / "class_mask.mrc") == training["sha256"]
    )
    assert hashlib.sha256(body).hexdigest() == training["sha256"]
    hidden = f"/api/v1/datasets/{second}/files/model_1/particle_locations.txt"
    assert client.get(hidden).status_code == 404


def test_regenerations_queue_up_and_a_failed_one_changes_nothing(
    deployment: tuple[TestClient, Settings],
) -> None:
    client, settings = deployment
    active = _active(client)
    admin = new_user(settings, Role.ADMIN)
    ids = [
        client.post("/api/v1/admin/datasets", headers=admin, json={**WATCHED, "name": name}).json()[
            "id"
        ]
        for name in ("one", "two")
    ]
    broken = client.post(
        "/api/v1/admin/datasets", headers=admin, json={**SMALL, "particles": 500}
    ).json()["id"]
    for version_id in ids:
        assert _watch(client, version_id)[-1]["status"] == "ready"
    failed = _watch(client, broken)[-1]
    assert failed["status"] == "failed"
    details = {
        v["id"]: v for v in client.get("/api/v1/admin/datasets", headers=admin).json()["data"]
    }
    assert "could fit" in details[broken]["error"]
    # two workers were free, yet the simulations ran one after the other
    spans = sorted((details[i]["started_at"], details[i]["finished_at"]) for i in ids)
    assert spans[0][1] <= spans[1][0], spans
    assert [v for v, row in details.items() if row["is_active"]] == [active]
