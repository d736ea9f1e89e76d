"""The `gpu` queue task on the production backend (PostgreSQL, Redis): train, predict, submit."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

import baselines
from app.core.config import Settings
from app.db import session_factory
from app.models import DatasetVersion, Role, Submission, User
from app.services.datasets import complete_dataset_version, create_dataset_version
from tests.conftest import backend_settings
from workers.celery_app import create_celery_app
from workers.tasks.baselines import RUN_BASELINE, NotActive


@pytest.fixture
def production(tmp_path: Path) -> Iterator[Settings]:
    """Settings of a fresh PostgreSQL database and a private Redis key prefix."""
    with ExitStack() as stack:
        yield backend_settings(stack, "production", tmp_path / "data")


def _install(settings: Settings, dataset: Path, *, activate: bool) -> int:
    """Register the tiny dataset as a ready version; its id."""
    with session_factory(settings.sqlalchemy_url)() as db:
        version = create_dataset_version(db, name=None, parameters={"size": 96}, seed=1)
        shutil.copytree(dataset, settings.datasets_dir / version.path)
        complete_dataset_version(db, settings, version, activate=activate)
        return version.id


def _organizer(settings: Settings) -> int:
    with session_factory(settings.sqlalchemy_url)() as db:
        user = User(
            username="organizer", email="o@example.org", password_hash="x", role=Role.ORGANIZER
        )
        db.add(user)
        db.commit()
        return user.id


@pytest.mark.slow
@pytest.mark.services
def test_task_submits_a_marked_baseline(production: Settings, tiny_dataset: Path) -> None:
    version_id = _install(production, tiny_dataset, activate=True)
    user_id = _organizer(production)
    celery = create_celery_app(production)
    result = celery.tasks[RUN_BASELINE].apply(
        args=[version_id, "template", user_id], kwargs={"config": "cpu"}
    )
    submission_id = result.get()
    model = (
        production.resolved_data_dir
        / "baselines"
        / f"version_{version_id}"
        / "template"
        / "model.pt"
    )
    with session_factory(production.sqlalchemy_url)() as db:
        submission = db.get(Submission, submission_id)
        assert submission is not None
        assert submission.is_baseline
        assert submission.baseline_code_version == baselines.code_version()
        assert submission.baseline_weights_checksum == baselines.weights_checksum(model)
        assert submission.dataset_version_id == version_id
        assert submission.method == "baseline: template"
        assert submission.predictions > 0
        assert submission.status == "queued"  # scored by the evaluation queue, like any other


@pytest.mark.services
def test_task_refuses_a_version_that_is_not_active(
    production: Settings, tiny_dataset: Path
) -> None:
    active = _install(production, tiny_dataset, activate=True)
    inactive = _install(production, tiny_dataset, activate=False)
    celery = create_celery_app(production)
    result = celery.tasks[RUN_BASELINE].apply(args=[inactive, "dog", _organizer(production)])
    with pytest.raises(NotActive, match=f"dataset version {inactive} is not the active"):
        result.get()
    with session_factory(production.sqlalchemy_url)() as db:
        assert db.get(DatasetVersion, active) is not None
        assert db.query(Submission).count() == 0
