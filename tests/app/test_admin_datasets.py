"""The admin dataset API and the generation it queues, run in this process (no worker: the
task waits in the broker), on both backends."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from starlette.testclient import TestClient

from app.core.config import Settings
from app.db import session_factory
from app.main import create_app
from app.models import DatasetStatus, DatasetVersion, Role
from app.services.datasets import active_dataset, generate_dataset
from app.services.generation import GenerationBusy, GenerationCancelled, ProgressRecorder
from tests.app.datasets_support import SMALL, folder_of, generate_small, load_version
from tests.app.support import install_dataset, new_user, wait_until
from tests.conftest import backend_settings


@pytest.fixture
def admin(fresh_settings: Settings) -> dict[str, str]:
    """An admin's `Authorization` header."""
    return new_user(fresh_settings, Role.ADMIN)


def _request(client: TestClient, headers: dict[str, str], **body: Any) -> Any:
    return client.post("/api/v1/admin/datasets", headers=headers, json=body)


def test_a_regeneration_request_is_queued_with_every_parameter_recorded(
    fresh_client: TestClient, fresh_settings: Settings, admin: dict[str, str]
) -> None:
    response = _request(fresh_client, admin, size=64, particles=9, tilt_step=3, ctf=False, seed=11)
    assert response.status_code == 202, response.text
    created = response.json()
    assert created["name"] == f"v{created['id']}"
    assert created["status"] == "queued"
    assert created["progress"] == 0.0
    assert created["seed"] == 11
    assert created["is_active"] is False
    assert created["triggered_by"].startswith("user-")
    parameters = created["parameters"]
    # given values, the small-volume slab default, the simulator's defaults for the rest
    assert (parameters["size"], parameters["particles"], parameters["tilt_step"]) == (64, 9, 3.0)
    assert parameters["ctf"] is False
    assert parameters["slab"] == 64
    assert parameters["shape"] == [64, 64, 64]
    assert (parameters["tomograms"], parameters["snr"], parameters["tilt_min"]) == (10, 0.02, -60.0)
    assert "seed" not in parameters

    listed = fresh_client.get("/api/v1/datasets").json()
    assert listed["count"] == 1
    assert listed["data"][0]["status"] == "queued"
    assert "error" not in listed["data"][0]  # admins' details stay in the admin API
    unseeded = _request(fresh_client, admin, size=32, name="random-seed").json()
    assert 0 <= unseeded["seed"] < 2**31
    assert "test_tomograms" not in parameters  # one test tomogram, as before the setting
    several = _request(fresh_client, admin, size=32, tomograms=4, test_tomograms=2).json()
    assert several["parameters"]["test_tomograms"] == 2


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"size": 32, "slab": 40}, "parameters: slab (40 slices) is larger than the volume"),
        ({"size": 8}, "size: Input should be greater than or equal to 16"),
        ({"tomograms": 1}, "tomograms: Input should be greater than or equal to 2"),
        ({"size": 32, "snr": -1}, "parameters: snr must be a positive number, got -1.0"),
        ({"size": 32, "tilt_min": 40, "tilt_max": 20}, "parameters: tilt_max (20.0) must not"),
        ({"sise": 32}, "sise: Extra inputs are not permitted"),
        (
            {"size": 32, "tomograms": 3, "test_tomograms": 3},
            "parameters: test_tomograms (3) must be below tomograms (3)",
        ),
        ({"test_tomograms": 0}, "test_tomograms: Input should be greater than or equal to 1"),
        ({"name": "v12"}, "name: names like 'v12' are given to unnamed versions"),
        ({"name": "../up"}, "name: String should match pattern"),
        ({"seed": -3}, "seed: Input should be greater than or equal to 0"),
    ],
)
def test_bad_requests_name_the_field(
    fresh_client: TestClient, admin: dict[str, str], body: dict[str, Any], message: str
) -> None:
    response = _request(fresh_client, admin, **body)
    assert response.status_code == 422
    assert response.json()["detail"].startswith(message), response.json()
    assert fresh_client.get("/api/v1/datasets").json()["count"] == 0


def test_names_are_unique(fresh_client: TestClient, admin: dict[str, str]) -> None:
    assert _request(fresh_client, admin, size=32, name="spring").status_code == 202
    taken = _request(fresh_client, admin, size=32, name="spring")
    assert taken.status_code == 409
    assert taken.json() == {"detail": "a dataset version named 'spring' already exists"}


def test_cancel_a_queued_version_and_refuse_the_rest(
    fresh_client: TestClient, fresh_settings: Settings, admin: dict[str, str]
) -> None:
    version_id = _request(fresh_client, admin, size=32).json()["id"]
    activate = fresh_client.post(f"/api/v1/admin/datasets/{version_id}/activate", headers=admin)
    assert activate.status_code == 409
    assert activate.json() == {"detail": f"dataset version {version_id} is queued, not ready"}
    rescore = fresh_client.post(f"/api/v1/admin/datasets/{version_id}/rescore", headers=admin)
    assert rescore.status_code == 409

    cancelled = fresh_client.post(f"/api/v1/admin/datasets/{version_id}/cancel", headers=admin)
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "failed"
    assert cancelled.json()["error"] == f"cancelled by {cancelled.json()['triggered_by']}"
    again = fresh_client.post(f"/api/v1/admin/datasets/{version_id}/cancel", headers=admin)
    assert again.json() == {"detail": f"dataset version {version_id} is failed; nothing to cancel"}
    # the worker that picks the task up later leaves the cancelled version alone
    factory = session_factory(fresh_settings.sqlalchemy_url)
    assert generate_dataset(factory, fresh_settings, version_id).status == DatasetStatus.FAILED
    assert not folder_of(fresh_settings, version_id).exists()
    assert fresh_client.post("/api/v1/admin/datasets/999/cancel", headers=admin).status_code == 404


def test_generation_records_progress_files_and_activates_only_when_asked(
    fresh_client: TestClient, fresh_settings: Settings, admin: dict[str, str]
) -> None:
    first = generate_small(fresh_settings, activate=False)
    version = load_version(fresh_settings, first)
    assert (version.status, version.progress, version.stage) == ("ready", 1.0, "done")
    assert version.simulator_version
    assert version.test_tomogram == "model_1"
    assert len(version.ground_truth_checksum or "") == 64
    assert set(version.files) == {"model_0", "model_1"}
    assert version.is_active is False

    activated = fresh_client.post(f"/api/v1/admin/datasets/{first}/activate", headers=admin)
    assert activated.status_code == 200
    assert activated.json()["is_active"] is True
    second = generate_small(fresh_settings, seed=8, activate=True)
    with session_factory(fresh_settings.sqlalchemy_url)() as db:
        active = active_dataset(db)
        assert active is not None
        assert active.id == second
    listed = fresh_client.get("/api/v1/admin/datasets", headers=admin).json()["data"]
    assert [(row["id"], row["is_active"]) for row in listed] == [(second, True), (first, False)]


def test_a_failed_generation_says_why_and_leaves_the_active_version(
    fresh_settings: Settings,
) -> None:
    active_id = install_dataset(fresh_settings)
    with pytest.raises(ValueError, match="could fit"):
        generate_small(fresh_settings, particles=500, activate=True)
    failed = load_version(fresh_settings, active_id + 1)
    assert failed.status == "failed"
    assert (failed.error or "").startswith("ValueError: 500 particles need about ")
    assert "could fit" in (failed.error or "")
    assert failed.finished_at is not None
    assert not folder_of(fresh_settings, failed.id).exists()  # no half-written files stay
    with session_factory(fresh_settings.sqlalchemy_url)() as db:
        active = active_dataset(db)
        assert active is not None
        assert active.id == active_id


def _queued(settings: Settings, name: str) -> int:
    from app.services.datasets import create_dataset_version

    with session_factory(settings.sqlalchemy_url)() as db:
        version = create_dataset_version(db, name=name, parameters=dict(SMALL), seed=1)
        version.test_secret = "ab" * 32  # fixed, so the test's data are the same every run
        db.commit()
        return version.id


def _set_status(settings: Settings, version_id: int, status: DatasetStatus) -> None:
    with session_factory(settings.sqlalchemy_url)() as db:
        db.execute(
            update(DatasetVersion).where(DatasetVersion.id == version_id).values(status=status)
        )
        db.commit()


def test_only_one_version_generates_at_a_time(fresh_settings: Settings) -> None:
    running, waiting = _queued(fresh_settings, "running"), _queued(fresh_settings, "waiting")
    _set_status(fresh_settings, running, DatasetStatus.GENERATING)
    factory = session_factory(fresh_settings.sqlalchemy_url)
    with pytest.raises(GenerationBusy, match=f"version {waiting} waits"):
        generate_dataset(factory, fresh_settings, waiting)
    assert load_version(fresh_settings, waiting).status == "queued"
    with pytest.raises(IntegrityError):  # the database itself refuses a second one
        _set_status(fresh_settings, waiting, DatasetStatus.GENERATING)
    _set_status(fresh_settings, running, DatasetStatus.READY)
    assert generate_dataset(factory, fresh_settings, waiting).status == DatasetStatus.READY


def test_progress_is_stored_until_the_version_is_cancelled(fresh_settings: Settings) -> None:
    version_id = _queued(fresh_settings, "watched")
    _set_status(fresh_settings, version_id, DatasetStatus.GENERATING)
    record = ProgressRecorder(session_factory(fresh_settings.sqlalchemy_url), version_id)
    record("model_0: placement", 0.25)
    assert (load_version(fresh_settings, version_id).progress, record.stage) == (
        0.25,
        "model_0: placement",
    )
    record("model_0: placement", 0.255)  # less than a step: not written
    assert load_version(fresh_settings, version_id).progress == 0.25
    record("model_0: water", 0.3)
    assert load_version(fresh_settings, version_id).stage == "model_0: water"
    _set_status(fresh_settings, version_id, DatasetStatus.FAILED)
    with pytest.raises(GenerationCancelled):
        record("model_0: water", 0.5)


def test_cancelling_stops_a_running_generation(fresh_settings: Settings) -> None:
    version_id = _queued(fresh_settings, "stopped")
    with session_factory(fresh_settings.sqlalchemy_url)() as db:
        version = db.get(DatasetVersion, version_id)
        assert version is not None
        version.parameters = {**SMALL, "size": 96, "slab": 48, "tomograms": 4, "tilt_step": 1}
        db.commit()
    factory = session_factory(fresh_settings.sqlalchemy_url)
    outcome: list[DatasetVersion] = []
    worker = threading.Thread(
        target=lambda: outcome.append(generate_dataset(factory, fresh_settings, version_id))
    )
    worker.start()
    wait_until(lambda: load_version(fresh_settings, version_id).progress > 0, 30, "progress")
    _set_status(fresh_settings, version_id, DatasetStatus.FAILED)
    worker.join(60)
    assert outcome[0].status == DatasetStatus.FAILED
    assert load_version(fresh_settings, version_id).progress < 1
    assert not folder_of(fresh_settings, version_id).exists()


def test_a_broker_outage_fails_the_request_not_the_service(tmp_path: Path) -> None:
    from contextlib import ExitStack

    missing = tmp_path / "broker-not-mounted"  # SQLite cannot open a file in a missing folder
    with ExitStack() as stack:
        settings = backend_settings(
            stack, "embedded", tmp_path / "data", broker_url=f"sqla+sqlite:///{missing}/b.sqlite"
        )
        headers = new_user(settings, Role.ADMIN)
        with TestClient(create_app(settings)) as client:
            response = _request(client, headers, size=32)
            assert response.status_code == 503
            assert response.json() == {
                "detail": "the task queue is unreachable; the regeneration was not queued"
            }
            version = client.get("/api/v1/admin/datasets", headers=headers).json()["data"][0]
            assert version["status"] == "failed"
            assert version["error"].startswith("the task queue could not be reached")


def test_files_that_changed_on_disk_are_not_served(
    fresh_client: TestClient, fresh_settings: Settings
) -> None:
    version_id = generate_small(fresh_settings)
    base = f"/api/v1/datasets/{version_id}"
    with (folder_of(fresh_settings, version_id) / "model_0" / "tilt_angles.txt").open("a") as out:
        out.write("90.00\n")
    changed = fresh_client.get(f"{base}/files/model_0/tilt_angles.txt")
    assert changed.status_code == 503
    assert changed.json() == {
        "detail": "model_0/tilt_angles.txt changed on the server since its release"
    }
    assert fresh_client.get(f"{base}/archives/model_0.tar").status_code == 503
    (folder_of(fresh_settings, version_id) / "model_0" / "projections.mrc").unlink()
    gone = fresh_client.get(f"{base}/files/model_0/projections.mrc")
    assert gone.json() == {"detail": "model_0/projections.mrc is missing on the server"}
    queued = _queued(fresh_settings, "not-yet")
    assert fresh_client.get(f"/api/v1/datasets/{queued}/files").json() == {
        "detail": f"dataset version {queued} is queued; nothing to download"
    }
