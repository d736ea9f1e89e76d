"""`GET /healthz`: 200 only when the database answers and a worker is alive."""

from __future__ import annotations

from starlette.testclient import TestClient

from app.core.config import Settings
from app.main import create_app


def test_not_ready_without_a_worker(fresh_client: TestClient) -> None:
    response = fresh_client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "starting",
        "database": "ok",
        "workers": 0,
        "dataset": None,
    }


def test_ready_with_a_worker_and_a_dataset(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["workers"] >= 1
    assert body["dataset"] == "test-v1"


def test_unreachable_database_is_reported_not_raised(tmp_path: object) -> None:
    settings = Settings(
        data_dir=str(tmp_path),
        database_url="postgresql+psycopg://postgres@127.0.0.1:9/none?connect_timeout=2",
    )
    with TestClient(create_app(settings)) as client:
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"
