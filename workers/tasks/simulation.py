"""Tasks of the `simulation` queue: generate a dataset version with the simulator, one task
per tomogram.

`generate_dataset` claims the version and sends a Celery group of `simulate_tomogram`
tasks, one per tomogram, so every free simulation worker takes a share; each is retried on
its own, and the one that records the last tomogram finalizes the version (manifest,
ground truth, activation). Messages carry the version id and an index only: a test
tomogram's secret seed is derived inside the task from the version's row.
"""

from __future__ import annotations

import logging

from celery import Task, group, shared_task
from celery.exceptions import SoftTimeLimitExceeded

from app.db import session_factory
from app.queues.celery_app import settings_of
from app.queues.routing import GENERATE_DATASET, HARD_LIMIT_MARGIN_S, SIMULATION_SOFT_LIMIT_S
from app.services.generation import (
    TOMOGRAM_RETRIES,
    GenerationBusy,
    GenerationCancelled,
    discard_stopped,
    fail_generation,
    finalize_generation,
    plan_generation,
    simulate_version_tomogram,
)

log = logging.getLogger(__name__)

# routed to the simulation queue with the rest of this module (app.queues.routing)
SIMULATE_TOMOGRAM = "workers.tasks.simulation.simulate_tomogram"
# a version queued behind another one that is generating asks again this often
BUSY_RETRY_S = 5
# a tomogram that failed is simulated again after this pause
TOMOGRAM_RETRY_S = 2


@shared_task(  # type: ignore[untyped-decorator]
    bind=True,
    name=GENERATE_DATASET,
    soft_time_limit=SIMULATION_SOFT_LIMIT_S,
    time_limit=SIMULATION_SOFT_LIMIT_S + HARD_LIMIT_MARGIN_S,
    max_retries=None,
)
def generate_dataset(self: Task, version_id: int, activate: bool = True) -> None:
    """Claim a queued dataset version and send one `simulate_tomogram` task per tomogram;
    while another version is generating, wait for it (the task is sent again later)."""
    settings = settings_of(self.app)
    factory = session_factory(settings.sqlalchemy_url)
    try:
        tomograms = plan_generation(factory, settings, version_id)
    except GenerationBusy as busy:
        raise self.retry(exc=busy, countdown=BUSY_RETRY_S) from busy
    if not tomograms:
        return
    try:
        group(
            simulate_tomogram.s(version_id, index, activate) for index in range(tomograms)
        ).apply_async()
    except Exception as error:  # the broker went away between claiming and sending
        fail_generation(
            factory, settings, version_id, f"the tomogram tasks could not be queued: {error}"
        )
        raise


@shared_task(  # type: ignore[untyped-decorator]
    bind=True,
    name=SIMULATE_TOMOGRAM,
    soft_time_limit=SIMULATION_SOFT_LIMIT_S,
    time_limit=SIMULATION_SOFT_LIMIT_S + HARD_LIMIT_MARGIN_S,
    max_retries=TOMOGRAM_RETRIES,
)
def simulate_tomogram(self: Task, version_id: int, index: int, activate: bool = True) -> None:
    """Simulate one tomogram of a generating version; the task that records the last one
    finalizes the version. A failure is retried alone (up to TOMOGRAM_RETRIES times), unless
    the settings are at fault or the time limit was reached: the version then fails."""
    settings = settings_of(self.app)
    factory = session_factory(settings.sqlalchemy_url)
    try:
        last = simulate_version_tomogram(
            factory, settings, version_id, index, attempt=self.request.retries
        )
    except GenerationCancelled:
        log.info("dataset version %s stopped; tomogram %s not kept", version_id, index)
        discard_stopped(factory, settings, version_id)
        return
    except Exception as error:
        final = isinstance(error, ValueError | SoftTimeLimitExceeded)
        if final or self.request.retries >= TOMOGRAM_RETRIES:
            fail_generation(factory, settings, version_id, f"{type(error).__name__}: {error}")
            raise
        log.warning("tomogram %s of version %s failed (%s); retrying", index, version_id, error)
        raise self.retry(exc=error, countdown=TOMOGRAM_RETRY_S) from error
    if last:
        finalize_generation(factory, settings, version_id, activate=activate)
