"""An upload while the broker is down is kept as `received`, then scored once it is back."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
import redis
from sqlalchemy import select
from starlette.testclient import TestClient

from app.db import session_factory
from app.main import create_app
from app.models import Result
from app.services.dispatch import sweep_submissions
from tests.app.support import (
    install_dataset,
    new_user,
    running_worker,
    stop_process_group,
    upload,
    wait_for_status,
    wait_until,
)
from tests.conftest import backend_settings


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def _redis_server(port: int) -> Iterator[None]:
    process = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        client = redis.Redis(port=port)
        wait_until(lambda: _pings(client), 10, "redis-server")
        yield
    finally:
        stop_process_group(process)


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False


def _down_broker(backend: str, tmp_path: Path) -> tuple[str, Callable[[ExitStack], None]]:
    """A broker URL nobody can reach yet, and how to bring that broker up."""
    if backend == "production":
        port = _free_port()
        return f"redis://127.0.0.1:{port}/0", lambda stack: stack.enter_context(_redis_server(port))
    folder = tmp_path / "broker-not-mounted"  # SQLite cannot open a file in a missing folder
    return f"sqla+sqlite:///{folder}/broker.sqlite", lambda _: folder.mkdir()


@pytest.mark.parametrize("backend", ["embedded", "production"])
def test_upload_with_broker_down_is_kept_and_scored_later(backend: str, tmp_path: Path) -> None:
    broker_url, bring_up = _down_broker(backend, tmp_path)
    with ExitStack() as stack:
        settings = backend_settings(
            stack,
            backend,
            tmp_path / "data",
            broker_url=broker_url,
            received_grace_s=0,
            sweep_interval_s=1,
        )
        install_dataset(settings)
        headers = new_user(settings)
        with TestClient(create_app(settings)) as client:
            started = time.monotonic()
            response = upload(client, headers)
            assert response.status_code == 201
            assert time.monotonic() - started < 10  # no endless retrying inside the request
            submission_id = response.json()["id"]
            assert response.json()["status"] == "received"

            celery = client.app.state.celery  # type: ignore[attr-defined]
            report = sweep_submissions(session_factory(settings.sqlalchemy_url), celery, settings)
            assert report.dispatched == 0
            detail = client.get(f"/api/v1/submissions/{submission_id}", headers=headers).json()
            assert detail["status"] == "received"

            bring_up(stack)
            stack.enter_context(running_worker(settings, beat=True))
            scored = wait_for_status(client, headers, submission_id, timeout=60)
            assert scored["status"] == "scored"
            with session_factory(settings.sqlalchemy_url)() as db:  # the whole test's
                result = db.scalars(
                    select(Result).where(Result.submission_id == submission_id)
                ).one()
                assert result.metrics["localization"]["TP"] == 3
