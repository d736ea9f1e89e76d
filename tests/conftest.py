"""Shared fixtures: real PostgreSQL and Redis, the two service backends, migrated databases.

`backend` runs a test on both deployments: "embedded" (SQLite + Kombu's SQLAlchemy broker
in a temporary data folder) and "production" (a fresh PostgreSQL database + Redis with a
private key prefix). Databases, key prefixes and processes are removed afterwards.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import tempfile
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
from app.db import dispose_engines, get_engine
from app.main import create_app
from app.migrate import upgrade_database

with warnings.catch_warnings():
    # Starlette 1.x prefers `httpx2`; the installed `httpx` works and is what we depend on.
    # Imported here once, every later `from starlette.testclient import ...` is silent.
    warnings.simplefilter("ignore", UserWarning)
    from starlette.testclient import TestClient

# the evaluator's per-user cache of hitbox facts: a folder of this run, never the user's own
# (child processes, such as `tomobench evaluate` run by the tests, inherit it)
_CACHE = tempfile.mkdtemp(prefix="tomobench-test-cache-")
os.environ.setdefault("TOMOBENCH_CACHE_DIR", _CACHE)
atexit.register(shutil.rmtree, _CACHE, True)

POSTGRES_ADMIN_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
REDIS_URL = "redis://127.0.0.1:6379/0"
BACKENDS = ("embedded", "production")


def _drop_database(name: str) -> None:
    with psycopg.connect(POSTGRES_ADMIN_DSN, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def postgres_database(template: str | None = None) -> Iterator[str]:
    """A new PostgreSQL database for this run (empty, or a copy of `template`); dropped
    afterwards."""
    name = f"tomobench_test_{uuid.uuid4().hex[:12]}"
    copy = f' TEMPLATE "{template}"' if template else ""
    with psycopg.connect(POSTGRES_ADMIN_DSN, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"{copy}')
    try:
        yield POSTGRES_URL.format(name=name)
    finally:
        dispose_engines()
        _drop_database(name)


@functools.cache
def _migrated_postgres() -> str:
    """A PostgreSQL database migrated to head once per test process, that each test's
    database is copied from (a copy takes milliseconds, migrating every time seconds)."""
    name = f"tomobench_template_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_ADMIN_DSN, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    atexit.register(_drop_database, name)
    url = POSTGRES_URL.format(name=name)
    upgrade_database(url)
    get_engine(url).dispose()  # a template may have no open connection while it is copied
    return name


@functools.cache
def _migrated_sqlite() -> Path:
    """A SQLite database file migrated to head once per test process, copied for each test."""
    folder = Path(tempfile.mkdtemp(prefix="tomobench-template-"))
    atexit.register(shutil.rmtree, folder, True)
    path = folder / "tomobench.sqlite"
    url = f"sqlite:///{path}"
    upgrade_database(url)
    get_engine(url).dispose()  # the last connection closed: the WAL is in the file
    return path


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
    if backend == "production" and "database_url" not in overrides:
        database = postgres_database(template=_migrated_postgres())
        overrides["database_url"] = stack.enter_context(database)
    if backend == "production":
        overrides.setdefault("broker_url", REDIS_URL)
        overrides.setdefault("redis_key_prefix", stack.enter_context(redis_prefix()))
    # every test client registers from one address; the attack tests set their own limit
    overrides.setdefault("registrations_per_address", 1000)
    settings = Settings(data_dir=data_dir, **overrides)
    settings.resolved_data_dir.mkdir(parents=True, exist_ok=True)
    database_file = settings.resolved_data_dir / "tomobench.sqlite"
    if backend == "embedded" and settings.database_url is None and not database_file.exists():
        shutil.copyfile(_migrated_sqlite(), database_file)
    upgrade_database(settings.sqlalchemy_url)  # a no-op on a copy of a migrated database
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
