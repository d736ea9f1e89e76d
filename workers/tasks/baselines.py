"""Tasks of the `gpu` queue: run a reference baseline on a dataset version and submit it.

`run_baseline` trains on the version's training tomograms, predicts its hidden test tomogram
and submits the picks through the same path as participants (`create_submission`), marked as
a baseline with its code version and the checksum of its weights. Progress goes to the log
and, when a result backend is configured, to the task's state.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from celery import Task, shared_task
from celery.backends.base import DisabledBackend

from app.db import session_factory
from app.models import DatasetStatus, User
from app.services.datasets import active_dataset, dataset_folder, get_dataset
from app.services.submissions import create_submission
from workers.celery_app import settings_of
from workers.routing import BASELINE_SOFT_LIMIT_S, HARD_LIMIT_MARGIN_S, RUN_BASELINE

log = logging.getLogger(__name__)


class NotActive(RuntimeError):
    """The dataset version is not the active, ready one that submissions are scored on."""


def _progress(task: Task, name: str, start: float, end: float) -> Callable[[str, float], None]:
    """A progress callback mapping a step onto `start..end` of the whole run: it logs every
    5 %, and stores the state when the app has a result backend."""
    can_store = not isinstance(task.backend, DisabledBackend)
    logged = [-1.0]

    def report(message: str, fraction: float) -> None:
        overall = start + (end - start) * fraction
        if overall - logged[0] >= 0.05 or fraction >= 1.0:
            log.info("baseline %s: %3.0f%% %s", name, 100 * overall, message)
            logged[0] = overall
        if can_store:
            meta = {"baseline": name, "message": message, "progress": overall}
            task.update_state(state="PROGRESS", meta=meta)

    return report


def _check_active(task: Task, version_id: int) -> None:
    """Raise NotActive unless `version_id` is the active, ready dataset version."""
    settings = settings_of(task.app)
    with session_factory(settings.sqlalchemy_url)() as db:
        version = get_dataset(db, version_id)
        active = active_dataset(db)
        if version.status != DatasetStatus.READY or active is None or active.id != version_id:
            raise NotActive(f"dataset version {version_id} is not the active, ready version")


@shared_task(  # type: ignore[untyped-decorator]
    bind=True,
    name=RUN_BASELINE,
    soft_time_limit=BASELINE_SOFT_LIMIT_S,
    time_limit=BASELINE_SOFT_LIMIT_S + HARD_LIMIT_MARGIN_S,
)
def run_baseline(
    self: Task, version_id: int, name: str, user_id: int, config: str = "auto", seed: int = 0
) -> int:
    """Train baseline `name` on dataset version `version_id`, predict its test tomogram and
    submit the picks as user `user_id` (an organizer or admin). Returns the submission id.

    Raises NotActive when the version is not the active one (submissions always go to the
    active version), BaselineError for bad data, and the service's errors when submitting.
    """
    import baselines

    settings = settings_of(self.app)
    _check_active(self, version_id)
    with session_factory(settings.sqlalchemy_url)() as db:
        version = get_dataset(db, version_id)
        folder, test = dataset_folder(settings, version), version.test_tomogram
    work = settings.resolved_data_dir / "baselines" / f"version_{version_id}" / name
    model = baselines.train(
        name,
        folder,
        work / "model.pt",
        config=config,
        seed=seed,
        progress=_progress(self, name, 0.0, 0.9),
    )
    picks: Path = baselines.predict(
        name, model, folder / test, work / "picks.txt", progress=_progress(self, name, 0.9, 1.0)
    )
    _check_active(self, version_id)
    with session_factory(settings.sqlalchemy_url)() as db:
        user = db.get(User, user_id)
        if user is None:
            raise LookupError(f"user {user_id} not found")
        submission = create_submission(
            db,
            settings,
            self.app,
            user,
            picks.read_bytes(),
            filename=f"baseline_{name}.txt",
            method=f"baseline: {name}",
            team="baselines",
            description=f"Reference baseline {name} ({config} preset, seed {seed}).",
            baseline=(baselines.code_version(), baselines.weights_checksum(model)),
        )
        log.info("baseline %s submitted as submission %s", name, submission.id)
        return int(submission.id)
