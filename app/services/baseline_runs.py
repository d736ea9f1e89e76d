"""Baseline runs: an admin asks for the reference pickers on the active dataset version; each
is a status row and a task on the `gpu` queue that trains, predicts the test tomograms and
submits the picks as a baseline entry (then scored like any submission).

A run goes queued -> training -> predicting -> submitted, or failed with its reason; the
admin pages and `GET /api/v1/admin/baseline-runs` show where each stands. The same baseline
is never pending twice on one version (a unique index), so a second request while the first
runs is refused rather than queued again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from celery import Celery
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from app.core.config import Settings
from app.models import BaselineRun, BaselineRunStatus, DatasetStatus, DatasetVersion, User, utcnow
from app.queues.routing import GPU_QUEUE, RUN_BASELINE, enqueue
from app.services.datasets import active_dataset, dataset_folder, hidden_test_names
from app.services.errors import Conflict, NotFound, Unavailable
from app.services.health import live_workers
from app.services.submissions import accept_upload

log = logging.getLogger(__name__)

PENDING = (BaselineRunStatus.QUEUED, BaselineRunStatus.TRAINING, BaselineRunStatus.PREDICTING)
NO_GPU_WORKER = (
    "no worker serves the gpu queue, so the baselines would wait forever: install PyTorch "
    "(`pip install 'tomobench[baselines]'`, or `make serve BASELINES=1`, whose embedded "
    "worker then serves it) or start `tomobench worker --queues gpu`"
)
# progress is written when it moved this much, not on every epoch or tile
PROGRESS_STEP = 0.02


class NotActive(RuntimeError):
    """The run's dataset version is no longer the active, ready one submissions go to."""


def _check_active(db: Session, version: DatasetVersion) -> None:
    """Raise NotActive unless `version` is the active, ready version."""
    active = active_dataset(db)
    if version.status != DatasetStatus.READY or active is None or active.id != version.id:
        raise NotActive(f"dataset version {version.id} is not the active, ready version")


def request_baseline_runs(
    db: Session,
    settings: Settings,
    celery: Celery,
    admin: User,
    version: DatasetVersion,
    names: list[str],
    config: str,
) -> list[str]:
    """Record and queue one run per baseline name for `version` (committed); the names queued.

    The picks are submitted as `admin`, marked as baselines, and scored like any entry.

    Raises:
        Conflict: if the version is not the active, ready one (submissions go to it), or
            every named baseline is already queued or running on it.
        Unavailable: if no live worker consumes the `gpu` queue, or the broker cannot be
            reached (the runs not sent are marked failed).
    """
    try:
        _check_active(db, version)
    except NotActive:
        raise Conflict(
            f"baselines run on the active, ready dataset version; version {version.id} is "
            f"{version.status}{'' if version.is_active else ', not active'}"
        ) from None
    if live_workers(db, settings, GPU_QUEUE) == 0:
        raise Unavailable(NO_GPU_WORKER)
    runs: list[BaselineRun] = []
    busy: list[str] = []
    for name in dict.fromkeys(names):
        run = BaselineRun(
            dataset_version_id=version.id, name=name, config=config, requested_by_id=admin.id
        )
        db.add(run)
        try:
            db.commit()
        except IntegrityError:  # this baseline is already pending on the version
            db.rollback()
            busy.append(name)
            continue
        runs.append(run)
    if not runs:
        raise Conflict(
            f"already queued or running on dataset version {version.id}: {', '.join(busy)}"
        )
    queued: list[str] = []
    for run in runs:
        if not enqueue(celery, RUN_BASELINE, run.id):
            db.execute(
                update(BaselineRun)
                .where(BaselineRun.id.in_([r.id for r in runs if r.name not in queued]))
                .values(
                    status=BaselineRunStatus.FAILED,
                    error="the task queue could not be reached; start it again",
                    finished_at=utcnow(),
                )
            )
            db.commit()
            done = f" ({', '.join(queued)} queued)" if queued else ""
            raise Unavailable(f"the task queue is unreachable; try again later{done}")
        queued.append(run.name)
    return queued


def list_baseline_runs(
    db: Session, version_id: int | None = None, limit: int | None = None
) -> list[BaselineRun]:
    """Baseline runs, newest first (of one version when given, at most `limit`), with their
    submissions and versions."""
    query = (
        select(BaselineRun)
        .options(selectinload(BaselineRun.submission), selectinload(BaselineRun.dataset_version))
        .order_by(BaselineRun.id.desc())
    )
    if version_id is not None:
        query = query.where(BaselineRun.dataset_version_id == version_id)
    return list(db.scalars(query.limit(limit)))


def _picks_upload(predicted: dict[str, Path]) -> tuple[bytes, str]:
    """The bytes to submit and their file suffix: the picks of the one test tomogram, or a
    zip of each test tomogram's picks named after it."""
    if len(predicted) == 1:
        return next(iter(predicted.values())).read_bytes(), ".txt"
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for test, path in predicted.items():
            archive.write(path, f"{test}.txt")
    return buffer.getvalue(), ".zip"


def _recorder(
    factory: sessionmaker[Session], run_id: int, status: str, start: float, end: float
) -> Callable[[str, float], None]:
    """A progress callback storing the run's stage and its share `start..end` of the run."""
    written = [-1.0]

    def report(message: str, fraction: float) -> None:
        overall = start + (end - start) * max(0.0, min(fraction, 1.0))
        if overall - written[0] < PROGRESS_STEP and fraction < 1.0:
            return
        with factory() as db:
            db.execute(
                update(BaselineRun)
                .where(BaselineRun.id == run_id)
                .values(status=status, progress=overall)
            )
            db.commit()
        written[0] = overall

    return report


def _fail(factory: sessionmaker[Session], run_id: int, error: BaseException) -> None:
    with factory() as db:
        db.execute(
            update(BaselineRun)
            .where(BaselineRun.id == run_id)
            .values(
                status=BaselineRunStatus.FAILED,
                error=f"{type(error).__name__}: {error}"[:2000],
                finished_at=utcnow(),
            )
        )
        db.commit()


def execute_baseline_run(
    factory: sessionmaker[Session], settings: Settings, celery: Celery, run_id: int, seed: int = 0
) -> int | None:
    """Train the run's baseline on its version, predict each test tomogram and submit the
    picks through the participants' path, keeping the run's row up to date; the submission
    id (None when the run is no longer queued, e.g. delivered twice).

    Raises:
        NotFound: if the run does not exist.
        Exception: whatever failed (training, prediction, a version no longer active), after
            recording it as the run's reason.
    """
    import baselines  # PyTorch: only in the worker that runs it

    with factory() as db:
        run = db.get(BaselineRun, run_id)
        if run is None:
            raise NotFound(f"baseline run {run_id} not found")
        if run.status != BaselineRunStatus.QUEUED:
            log.info("baseline run %s is %s; not running it again", run_id, run.status)
            return None
        run.status, run.started_at = BaselineRunStatus.TRAINING, utcnow()
        db.commit()
        version_id, name, config = run.dataset_version_id, run.name, run.config
        requested_by = run.requested_by_id
        folder = dataset_folder(settings, run.dataset_version)
        tests = hidden_test_names(run.dataset_version)
    work = settings.resolved_data_dir / "baselines" / f"run_{run_id}"
    try:
        model = baselines.train(
            name,
            folder,
            work / "model.pt",
            config=config,
            seed=seed,
            progress=_recorder(factory, run_id, BaselineRunStatus.TRAINING, 0.0, 0.9),
        )
        # every test tomogram is predicted; several are submitted as an archive of one
        # file per tomogram, named after it (evaluation/formats/tomograms.py)
        share = 0.1 / len(tests)
        predicted: dict[str, Path] = {}
        for index, test in enumerate(tests):
            start = 0.9 + share * index
            predicted[test] = baselines.predict(
                name,
                model,
                folder / test,
                work / ("picks.txt" if len(tests) == 1 else f"{test}.txt"),
                progress=_recorder(
                    factory, run_id, BaselineRunStatus.PREDICTING, start, start + share
                ),
            )
        content, suffix = _picks_upload(predicted)
        with factory() as db:
            version = db.get(DatasetVersion, version_id)
            user = db.get(User, requested_by) if requested_by is not None else None
            if version is None or user is None:
                raise LookupError("the run's dataset version or its requester is gone")
            _check_active(db, version)
            submission, _ = accept_upload(
                db,
                settings,
                celery,
                user,
                content,
                filename=f"baseline_{name}{suffix}",
                method=f"baseline: {name}",
                description=f"Reference baseline {name} ({config} preset, seed {seed}).",
                baseline=(baselines.code_version(), baselines.weights_checksum(model)),
            )
            db.execute(
                update(BaselineRun)
                .where(BaselineRun.id == run_id)
                .values(
                    status=BaselineRunStatus.SUBMITTED,
                    progress=1.0,
                    submission_id=submission.id,
                    finished_at=utcnow(),
                )
            )
            db.commit()
            log.info("baseline run %s submitted as submission %s", run_id, submission.id)
            return int(submission.id)
    except BaseException as error:  # a time limit too: the row must not stay `training`
        _fail(factory, run_id, error)
        raise
