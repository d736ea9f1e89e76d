"""Test support for dataset operations: small real simulated datasets and staff accounts."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from app.core.config import Settings
from app.db import session_factory
from app.models import DatasetVersion, Role
from app.services.datasets import create_dataset_version, dataset_folder, generate_dataset
from app.services.regeneration import simulation_parameters
from tests.app.pages_support import PASSWORD, csrf_from
from tests.app.support import new_user

# a dataset the simulator writes in well under a second: one training and one test tomogram
SMALL: dict[str, Any] = {
    "size": 48,
    "slab": 32,
    "particles": 4,
    "tomograms": 2,
    "tilt_min": -30,
    "tilt_max": 30,
    "tilt_step": 15,
}
# what the test tomogram may offer, and what it must never
PUBLIC_TEST_FILES = {"metadata.json", "projections.mrc", "reconstruction.mrc", "tilt_angles.txt"}
HIDDEN_FILES = ("particle_locations.txt", "occupancy_mask.mrc", "class_mask.mrc", "grandmodel.mrc")


def fixed_test_secret(seed: int) -> str:
    """A hidden test's secret fixed by `seed` (the service draws it at random), so that a
    test's data are the same on every run."""
    return hashlib.sha256(f"test secret {seed}".encode()).hexdigest()


def generate_small(
    settings: Settings, *, seed: int = 7, activate: bool = False, **overrides: Any
) -> int:
    """Simulate and register a small version in this process; its id.

    Its hidden test's secret is fixed by `seed` too (the service draws it at random), so a
    test's data are the same on every run.
    """
    factory = session_factory(settings.sqlalchemy_url)
    with factory() as db:
        parameters = simulation_parameters({**SMALL, **overrides}, seed)
        version = create_dataset_version(db, name=None, parameters=parameters, seed=seed)
        version.test_secret = fixed_test_secret(seed)
        db.commit()
    generate_dataset(factory, settings, version.id, activate=activate)
    return version.id


def load_version(settings: Settings, version_id: int) -> DatasetVersion:
    """A version row, detached from its session."""
    with session_factory(settings.sqlalchemy_url)() as db:
        version = db.get(DatasetVersion, version_id)
        assert version is not None
        version.triggered_by  # noqa: B018  (load before the session closes)
        return version


def folder_of(settings: Settings, version_id: int) -> Path:
    """Where a version's tomograms lie."""
    return dataset_folder(settings, load_version(settings, version_id))


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file, computed here independently of the service."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def browser_login(client: TestClient, settings: Settings, role: Role) -> str:
    """Log `client` in through the login form as a new account with `role`; its username."""
    headers = new_user(settings, role)
    username: str = client.get("/api/v1/users/me", headers=headers).json()["username"]
    response = client.post(
        "/login",
        data={
            "csrf_token": csrf_from(client, "/login"),
            "username": username,
            "password": PASSWORD,
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return username
