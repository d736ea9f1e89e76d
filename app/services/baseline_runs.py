"""Baseline runs: an admin asks for the reference pickers on the active dataset version; each
runs on the `gpu` queue (train, predict the test tomogram, submit as a baseline)."""

from __future__ import annotations

import logging

from celery import Celery

from app.models import DatasetStatus, DatasetVersion, User
from app.services.errors import Conflict, Unavailable
from workers.routing import RUN_BASELINE

log = logging.getLogger(__name__)


def request_baseline_runs(
    celery: Celery, admin: User, version: DatasetVersion, names: list[str], config: str
) -> list[str]:
    """Queue one `gpu` task per baseline name for `version`; the names queued.

    The picks are submitted as `admin`, marked as baselines, and scored like any entry.

    Raises:
        Conflict: if the version is not the active, ready one (submissions go to it).
        Unavailable: if the broker cannot be reached (nothing was queued after the failure).
    """
    if version.status != DatasetStatus.READY or not version.is_active:
        raise Conflict(
            f"baselines run on the active, ready dataset version; version {version.id} is "
            f"{version.status}{'' if version.is_active else ', not active'}"
        )
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
