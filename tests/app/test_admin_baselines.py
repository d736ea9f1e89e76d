"""Admins queue the reference baselines for the active dataset version on the `gpu` queue."""

from __future__ import annotations

from starlette.testclient import TestClient

from app.core.config import Settings
from app.db import session_factory
from app.main import create_app
from app.models import Role, WorkerHeartbeat
from app.queues.celery_app import create_celery_app
from app.queues.routing import GPU_QUEUE
from tests.app.datasets_support import browser_login
from tests.app.pages_support import csrf_from
from tests.app.support import install_dataset, new_user


def _gpu_messages(settings: Settings) -> int:
    """Messages waiting on the `gpu` queue of this deployment's broker."""
    app = create_celery_app(settings)
    with app.connection_for_read() as connection:
        declared = connection.default_channel.queue_declare(queue=GPU_QUEUE, passive=False)
        return int(declared.message_count)


def _gpu_worker_alive(settings: Settings) -> None:
    """The heartbeat a `tomobench worker --queues gpu` writes while it consumes."""
    with session_factory(settings.sqlalchemy_url)() as db:
        db.add(WorkerHeartbeat(hostname="gpu@test", queues=GPU_QUEUE, pid=1))
        db.commit()


def test_without_a_gpu_worker_nothing_is_queued(fresh_settings: Settings) -> None:
    version_id = install_dataset(fresh_settings)
    admin = new_user(fresh_settings, Role.ADMIN)
    before = _gpu_messages(fresh_settings)
    with TestClient(create_app(fresh_settings)) as client:
        refused = client.post(f"/api/v1/admin/datasets/{version_id}/baselines", headers=admin)
    assert refused.status_code == 503
    assert "no worker serves the gpu queue" in refused.json()["detail"]
    assert "make serve BASELINES=1" in refused.json()["detail"]
    assert _gpu_messages(fresh_settings) == before


def test_admin_queues_the_baselines_of_the_active_version(fresh_settings: Settings) -> None:
    version_id = install_dataset(fresh_settings)
    admin = new_user(fresh_settings, Role.ADMIN)
    _gpu_worker_alive(fresh_settings)
    before = _gpu_messages(fresh_settings)
    with TestClient(create_app(fresh_settings)) as client:
        everything = client.post(f"/api/v1/admin/datasets/{version_id}/baselines", headers=admin)
        assert everything.status_code == 202, everything.text
        assert everything.json() == {
            "dataset_version_id": version_id,
            "queued": ["dog", "template", "unet"],
        }
        again = client.post(
            f"/api/v1/admin/datasets/{version_id}/baselines",
            json={"names": ["unet", "unet"], "config": "cpu"},
            headers=admin,
        )
        assert again.status_code == 409  # already pending: never queued twice
        assert "already queued or running" in again.json()["detail"]
        runs = client.get(f"/api/v1/admin/datasets/{version_id}/baselines", headers=admin)
        assert runs.status_code == 200
        rows = runs.json()["data"]
        assert sorted(row["name"] for row in rows) == ["dog", "template", "unet"]
        assert {row["status"] for row in rows} == {"queued"}
        assert {row["submission_status"] for row in rows} == {None}
    assert _gpu_messages(fresh_settings) == before + 3


def test_baseline_requests_are_checked(fresh_settings: Settings) -> None:
    version_id = install_dataset(fresh_settings)
    _gpu_worker_alive(fresh_settings)
    admin = new_user(fresh_settings, Role.ADMIN)
    organizer = new_user(fresh_settings, Role.ORGANIZER)
    path = f"/api/v1/admin/datasets/{version_id}/baselines"
    with TestClient(create_app(fresh_settings)) as client:
        assert client.post(path).status_code == 401
        assert client.post(path, headers=organizer).status_code == 403
        unknown = client.post(path, json={"names": ["yolo"]}, headers=admin)
        assert unknown.status_code == 422
        assert "unknown baseline 'yolo'" in unknown.json()["detail"]
        bad_preset = client.post(path, json={"config": "tpu"}, headers=admin)
        assert bad_preset.status_code == 422
        assert client.post(path, json={"names": []}, headers=admin).status_code == 422
        missing = client.post("/api/v1/admin/datasets/999999/baselines", headers=admin)
        assert missing.status_code == 404
        second = install_dataset(fresh_settings, name="test-v2")  # now the active one
        stale = client.post(path, headers=admin)
        assert stale.status_code == 409
        assert "not active" in stale.json()["detail"]
        assert client.post(f"/api/v1/admin/datasets/{second}/baselines", headers=admin).is_success


def test_admins_start_baselines_from_the_page_and_follow_their_runs(
    fresh_client: TestClient, fresh_settings: Settings
) -> None:
    version_id = install_dataset(fresh_settings)
    browser_login(fresh_client, fresh_settings, Role.ADMIN)
    page = fresh_client.get("/admin/datasets").text
    assert "Run the baselines on test-v1" in page
    action = f"/admin/datasets/{version_id}/baselines"
    refused = fresh_client.post(
        action, data={"csrf_token": csrf_from(fresh_client, "/admin/datasets"), "names": ["dog"]}
    )
    assert "no worker serves the gpu queue" in refused.text  # said on the page, nothing queued
    _gpu_worker_alive(fresh_settings)
    token = csrf_from(fresh_client, "/admin/datasets")
    queued = fresh_client.post(action, data={"csrf_token": token, "names": ["dog", "unet"]})
    assert "Queued on the gpu queue: dog, unet." in queued.text
    assert 'id="baseline-runs"' in queued.text
    assert queued.text.count('class="status status-queued"') == 2
    twice = fresh_client.post(action, data={"csrf_token": token, "names": ["dog"]})
    assert "already queued or running" in twice.text
    none = fresh_client.post(action, data={"csrf_token": token})
    assert "tick at least one baseline" in none.text
