"""Shared fixtures: real PostgreSQL and Redis, the two service backends, migrated databases.

`backend` runs a test on both deployments: "embedded" (SQLite + Kombu's SQLAlchemy broker
in a temporary data folder) and "production" (a fresh PostgreSQL database + Redis with a
private key prefix). Databases, key prefixes and processes are removed afterwards.
"""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis

from app.core.config import Settings
from app.db import dispose_engines
from app.main import create_app
from app.migrate import upgrade_database

with warnings.catch_warnings():
    # Starlette 1.x prefers `httpx2`; the installed `httpx` works and is what we depend on.
    # Imported here once, every later `from starlette.testclient import ...` is silent.
    warnings.simplefilter("ignore", UserWarning)
    from starlette.testclient import TestClient

POSTGRES_ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
REDIS_URL = "redis://127.0.0.1:6379/0"
BACKENDS = ("embedded", "production")


@contextmanager
def postgres_database() -> Iterator[str]:
    """A new, empty PostgreSQL database for this run; dropped afterwards."""
    name = f"tomobench_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_ADMIN_DSN, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield POSTGRES_URL.format(name=name)
    finally:
        dispose_engines()
        with psycopg.connect(POSTGRES_ADMIN_DSN, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def redis_prefix() -> Iterator[str]:
    """A private Redis key prefix; its keys are deleted afterwards."""
    prefix = f"tomobench_test_{uuid.uuid4().hex[:12]}:"
    try:
        yield prefix
    finally:
        client = redis.Redis.from_url(REDIS_URL)
        keys = list(client.scan_iter(match=f"{prefix}*"))
        if keys:
            client.delete(*keys)
        client.close()


def backend_settings(stack: ExitStack, backend: str, data_dir: Path, **overrides: Any) -> Settings:
    """Settings of one backend with a migrated, empty database in `data_dir`."""
    if backend == "production":
        overrides.setdefault("database_url", stack.enter_context(postgres_database()))
        overrides.setdefault("broker_url", REDIS_URL)
        overrides.setdefault("redis_key_prefix", stack.enter_context(redis_prefix()))
    # every test client registers from one address; the attack tests set their own limit
    overrides.setdefault("registrations_per_address", 1000)
    settings = Settings(data_dir=data_dir, **overrides)
    settings.resolved_data_dir.mkdir(parents=True, exist_ok=True)
    upgrade_database(settings.sqlalchemy_url)
    return settings


@pytest.fixture(params=BACKENDS)
def fresh_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    """Settings of each backend with a new, migrated database (for tests that change state)."""
    with ExitStack() as stack:
        yield backend_settings(stack, request.param, tmp_path / "data")


@pytest.fixture
def fresh_client(fresh_settings: Settings) -> Iterator[TestClient]:
    """An in-process HTTP client of an app on `fresh_settings` (no dataset, no worker)."""
    with TestClient(create_app(fresh_settings)) as client:
        yield client


@pytest.fixture(scope="session", params=BACKENDS)
def service(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Settings]:
    """A running deployment of each backend: migrated database, active test dataset, and a
    real `tomobench worker` process on the evaluation queue (stopped at the end)."""
    from tests.app.support import install_dataset, running_worker

    with ExitStack() as stack:
        data_dir = tmp_path_factory.mktemp(f"service-{request.param}")
        settings = backend_settings(stack, request.param, data_dir, daily_quota=1000)
        install_dataset(settings)
        stack.enter_context(running_worker(settings))
        yield settings


@pytest.fixture
def client(service: Settings) -> Iterator[TestClient]:
    """An in-process HTTP client of an app on the running `service`."""
    with TestClient(create_app(service)) as client:
        yield client
