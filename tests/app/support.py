"""Test support for the service: a small real dataset, real worker processes, API helpers.

The dataset is built by hand (spheres in an occupancy mask) so the scores of a submission
can be computed on paper.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import mrcfile
import numpy as np
from starlette.testclient import TestClient

from app.background import stop_process_tree
from app.core.config import Settings, settings_env
from app.db import session_factory
from app.models import Role, User
from app.security import hash_password
from app.services.datasets import complete_dataset_version, create_dataset_version
from app.services.health import live_workers
from app.services.tokens import create_token

SHAPE = (32, 40, 48)  # z, y, x
VOXEL_SIZE = 10.0  # Å, in the MRC headers (files in Å are converted with it)
RADIUS = 3
# line k of particle_locations.txt is particle k of the occupancy mask: (class, x, y, z)
PARTICLES = (
    ("1bxn", 10, 10, 10),
    ("1s3x", 30, 20, 12),
    ("4b4t", 20, 30, 20),
    ("3d2f", 38, 8, 24),
)
# hits particles 1 and 2 with the right class, particle 3 with a wrong class, and misses
# particle 4; one prediction lands on background.
GOOD_SUBMISSION = b"""# class x y z
1bxn 10 10 10
1s3x 31 20 12
1bxn 20 30 21
4d8q 2 2 2
"""
GOOD_EXPECTED = {"RR": 4, "TP": 3, "FP": 1, "FN": 1, "MH": 0, "RO": 0}


def write_tomogram(folder: Path, particles: tuple[tuple[str, int, int, int], ...]) -> None:
    """A native tomogram folder: spheres labelled 1..N in `occupancy_mask.mrc` and the list."""
    folder.mkdir(parents=True, exist_ok=True)
    z, y, x = np.indices(SHAPE)
    mask = np.zeros(SHAPE, dtype=np.int16)
    lines = []
    for label, (name, px, py, pz) in enumerate(particles, start=1):
        mask[(x - px) ** 2 + (y - py) ** 2 + (z - pz) ** 2 <= RADIUS**2] = label
        lines.append(f"{name} {px} {py} {pz} 0 0 0")
    with mrcfile.new(folder / "occupancy_mask.mrc", overwrite=True) as mrc:
        mrc.set_data(mask)
        mrc.voxel_size = VOXEL_SIZE
    with mrcfile.new(folder / "reconstruction.mrc", overwrite=True) as mrc:
        mrc.set_data(np.zeros(SHAPE, dtype=np.float32))
        mrc.voxel_size = VOXEL_SIZE
    (folder / "particle_locations.txt").write_text("\n".join(lines) + "\n")


def write_dataset(folder: Path) -> None:
    """A two-tomogram dataset (train `model_0`, hidden test `model_1`) with its manifest."""
    write_tomogram(folder / "model_0", PARTICLES[:2])
    write_tomogram(folder / "model_1", PARTICLES)
    tomograms = [
        {"name": "model_0", "role": "train", "files": {}},
        {"name": "model_1", "role": "test", "files": {}},
    ]
    (folder / "dataset.json").write_text(json.dumps({"tomograms": tomograms}))


def install_dataset(settings: Settings, name: str = "test-v1", secret: str | None = None) -> int:
    """Register and activate a hand-built dataset version; its id. A test whose figures
    depend on the public/private split gives the `secret` it derives from (else random)."""
    factory = session_factory(settings.sqlalchemy_url)
    with factory() as db:
        version = create_dataset_version(db, name=name, parameters={"size": 48}, seed=1)
        if secret is not None:
            version.test_secret = secret
        write_dataset(settings.datasets_dir / version.path)
        complete_dataset_version(db, settings, version, activate=True)
        return version.id


def wait_until(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    """Poll `condition` until it returns something truthy; fail the test after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.1)


@contextmanager
def running_worker(
    settings: Settings, queues: str = "evaluation", *, beat: bool = False, wait: bool = True
) -> Iterator[subprocess.Popen[bytes]]:
    """A real `tomobench worker` process for `settings`, stopped (with its children) on exit."""
    command = [sys.executable, "-m", "app.cli", "worker", "--queues", queues, "-c", "1"]
    command += ["--loglevel", "WARNING"] + (["--beat"] if beat else [])
    env = {**os.environ, **settings_env(settings)}
    log_path = settings.resolved_data_dir / f"worker-{uuid.uuid4().hex[:6]}.log"
    settings.resolved_data_dir.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        if wait:
            factory = session_factory(settings.sqlalchemy_url)

            def ready() -> bool:
                if process.poll() is not None:
                    raise AssertionError(f"worker exited early:\n{log_path.read_text()}")
                with factory() as db:
                    return live_workers(db, settings) > 0

            wait_until(ready, 60, "the worker's heartbeat")
        yield process
    finally:
        stop_process_group(process)


def stop_process_group(process: subprocess.Popen[bytes], grace: float = 30) -> None:
    """Stop a process started with `start_new_session`: SIGTERM to it alone (a Celery worker
    then stops its own pool), SIGKILL to its whole group after `grace` seconds."""
    stop_process_tree(process, grace)


PASSWORD = "correct horse battery"


@functools.cache
def _password_hash() -> str:
    return hash_password(PASSWORD)  # argon2 is slow on purpose: hash once per test run


def new_user(settings: Settings, role: Role = Role.PARTICIPANT) -> dict[str, str]:
    """A user (password `PASSWORD`) created straight in the database, with an API token;
    the `Authorization` header to use. Registration itself is tested in test_auth.py."""
    username = f"user-{uuid.uuid4().hex[:10]}"
    with session_factory(settings.sqlalchemy_url)() as db:
        user = User(
            username=username,
            email=f"{username}@example.org",
            password_hash=_password_hash(),
            role=role,
        )
        db.add(user)
        db.flush()
        _, token = create_token(db, user)
        db.commit()
    return {"Authorization": f"Bearer {token}"}


def register(client: TestClient, username: str | None = None) -> dict[str, str]:
    """Register a participant through the API, get a token; the `Authorization` header."""
    username = username or f"user-{uuid.uuid4().hex[:10]}"
    response = client.post(
        "/api/v1/users",
        json={"username": username, "email": f"{username}@example.org", "password": PASSWORD},
    )
    assert response.status_code == 201, response.text
    response = client.post("/api/v1/tokens", auth=(username, PASSWORD))
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def upload(
    client: TestClient,
    headers: dict[str, str],
    content: bytes = GOOD_SUBMISSION,
    method: str = "spheres",
    filename: str = "picks.txt",
    **fields: str,
) -> Any:
    """POST a result file; the response."""
    return client.post(
        "/api/v1/submissions",
        headers=headers,
        files={"file": (filename, content, "text/plain")},
        data={"method": method, **fields},
    )


def wait_for_status(
    client: TestClient, headers: dict[str, str], submission_id: int, timeout: float = 60
) -> dict[str, Any]:
    """Poll a submission until it is scored or failed; its JSON."""

    def finished() -> dict[str, Any] | None:
        body: dict[str, Any] = client.get(
            f"/api/v1/submissions/{submission_id}", headers=headers
        ).json()
        return body if body["status"] in ("scored", "failed") else None

    result: dict[str, Any] = wait_until(finished, timeout, f"submission {submission_id}")
    return result
