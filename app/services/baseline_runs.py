"""Baseline runs: an admin asks for the reference pickers on the active dataset version; each
runs on the `gpu` queue (train, predict the test tomogram, submit as a baseline)."""

from __future__ import annotations

import logging

from celery import Celery
from sqlalchemy.orm import Session

from app.core.config import Settings
from app.models import DatasetStatus, DatasetVersion, User
from app.services.errors import Conflict, Unavailable
from app.services.health import live_workers
from workers.routing import GPU_QUEUE, RUN_BASELINE

log = logging.getLogger(__name__)


NO_GPU_WORKER = (
    "no worker serves the gpu queue, so the baselines would wait forever: install PyTorch "
    "(`pip install 'tomobench[baselines]'`, or `make serve BASELINES=1`, whose embedded "
    "worker then serves it) or start `tomobench worker --queues gpu`"
)


def request_baseline_runs(
    db: Session,
    settings: Settings,
    celery: Celery,
    admin: User,
    version: DatasetVersion,
    names: list[str],
    config: str,
) -> list[str]:
    """Queue one `gpu` task per baseline name for `version`; the names queued.

    The picks are submitted as `admin`, marked as baselines, and scored like any entry.

    Raises:
        Conflict: if the version is not the active, ready one (submissions go to it).
        Unavailable: if no live worker consumes the `gpu` queue, or the broker cannot be
            reached (nothing was queued after the failure).
    """
    if version.status != DatasetStatus.READY or not version.is_active:
        raise Conflict(
            f"baselines run on the active, ready dataset version; version {version.id} is "
            f"{version.status}{'' if version.is_active else ', not active'}"
        )
    if live_workers(db, settings, GPU_QUEUE) == 0:
        raise Unavailable(NO_GPU_WORKER)
    queued: list[str] = []
    for name in dict.fromkeys(names):
        try:
            celery.send_task(
                RUN_BASELINE, args=[version.id, name, admin.id], kwargs={"config": config}
            )
        except Exception as error:  # any broker or connection failure
            log.warning("could not queue baseline %s for version %s: %s", name, version.id, error)
            done = f" ({', '.join(queued)} queued)" if queued else ""
            raise Unavailable(f"the task queue is unreachable; try again later{done}") from error
        queued.append(name)
    return queued
