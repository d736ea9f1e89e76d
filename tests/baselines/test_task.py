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
from app.models import BaselineRun, Role, Submission, User
from app.queues.celery_app import create_celery_app
from app.services.baseline_runs import NotActive
from app.services.datasets import complete_dataset_version, create_dataset_version
from tests.conftest import backend_settings
from workers.tasks.baselines import run_baseline


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


def _run(settings: Settings, version_id: int, user_id: int, name: str) -> int:
    """A queued baseline run row, as an admin's request leaves it; its id."""
    with session_factory(settings.sqlalchemy_url)() as db:
        run = BaselineRun(
            dataset_version_id=version_id, name=name, config="cpu", requested_by_id=user_id
        )
        db.add(run)
        db.commit()
        return run.id


@pytest.mark.slow
@pytest.mark.services
def test_task_submits_a_marked_baseline(production: Settings, tiny_dataset: Path) -> None:
    version_id = _install(production, tiny_dataset, activate=True)
    run_id = _run(production, version_id, _organizer(production), "template")
    celery = create_celery_app(production)
    submission_id = celery.tasks[run_baseline.name].apply(args=[run_id]).get()
    model = production.resolved_data_dir / "baselines" / f"run_{run_id}" / "model.pt"
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
        run = db.get(BaselineRun, run_id)
        assert run is not None
        assert (run.status, run.progress, run.submission_id) == ("submitted", 1.0, submission_id)
        assert run.started_at is not None
        assert run.finished_at is not None
    # delivered again (a redelivery after a lost acknowledgement): nothing runs twice
    assert celery.tasks[run_baseline.name].apply(args=[run_id]).get() is None


@pytest.fixture
def stand_ins(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Training and prediction replaced by stand-ins (for tests of the service's plumbing
    around them, not of the pickers): a model file of a few bytes, and each tomogram's own
    particle list as its picks. The names of the tomograms predicted, in order."""
    predicted: list[str] = []

    def train(name: str, folder: Path, out: Path, **_: object) -> Path:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(b"weights")
        return out

    def predict(name: str, model: Path, folder: Path, out: Path, **_: object) -> Path:
        predicted.append(folder.name)
        out.write_text((folder / "particle_locations.txt").read_text())
        return out

    monkeypatch.setattr(baselines, "train", train)
    monkeypatch.setattr(baselines, "predict", predict)
    monkeypatch.setattr(baselines, "weights_checksum", lambda path: "0" * 64)
    return predicted


@pytest.mark.services
def test_a_run_on_a_version_no_longer_active_fails_with_its_reason(
    production: Settings, tiny_dataset: Path, stand_ins: list[str]
) -> None:
    inactive = _install(production, tiny_dataset, activate=True)
    run_id = _run(production, inactive, _organizer(production), "dog")
    _install(production, tiny_dataset, activate=True)  # another version takes over
    celery = create_celery_app(production)
    with pytest.raises(NotActive, match=f"dataset version {inactive} is not the active"):
        celery.tasks[run_baseline.name].apply(args=[run_id]).get()
    assert stand_ins  # it ran to the submission, which the active version refused
    with session_factory(production.sqlalchemy_url)() as db:
        run = db.get(BaselineRun, run_id)
        assert run is not None
        assert run.status == "failed"
        assert run.error is not None
        assert "is not the active, ready version" in run.error
        assert db.query(Submission).count() == 0


@pytest.mark.services
def test_a_test_of_two_tomograms_is_predicted_and_submitted_whole(
    production: Settings, tmp_path: Path, stand_ins: list[str]
) -> None:
    import io
    import json
    import zipfile

    from app.services.storage import read_stored
    from tests.app.support import PARTICLES, write_tomogram

    dataset = tmp_path / "two_tests"
    roles = {"model_0": "train", "model_1": "test", "model_2": "test"}
    for name in roles:
        write_tomogram(dataset / name, PARTICLES)
    tomograms = [{"name": name, "role": role, "files": {}} for name, role in roles.items()]
    (dataset / "dataset.json").write_text(json.dumps({"tomograms": tomograms}))
    version_id = _install(production, dataset, activate=True)
    run_id = _run(production, version_id, _organizer(production), "dog")
    celery = create_celery_app(production)
    submission_id = celery.tasks[run_baseline.name].apply(args=[run_id]).get()
    assert stand_ins == ["model_1", "model_2"]  # the service only moves picks around
    with session_factory(production.sqlalchemy_url)() as db:
        submission = db.get(Submission, submission_id)
        assert submission is not None
        assert submission.status == "queued"
        assert submission.filename == "baseline_dog.zip"
        assert submission.predictions == 2 * len(PARTICLES)
        stored = read_stored(production.storage_dir, submission.file_sha256)
    with zipfile.ZipFile(io.BytesIO(stored)) as archive:
        assert sorted(archive.namelist()) == ["model_1.txt", "model_2.txt"]
