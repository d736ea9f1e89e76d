"""Tasks of the `simulation` queue: generate a dataset version with the simulator."""

from __future__ import annotations

from celery import Task, shared_task

from app.db import session_factory
from app.queues.celery_app import settings_of
from app.queues.routing import GENERATE_DATASET, HARD_LIMIT_MARGIN_S, SIMULATION_SOFT_LIMIT_S
from app.services.datasets import generate_dataset as generate_dataset_version
from app.services.generation import GenerationBusy

# a version queued behind another one that is generating asks again this often
BUSY_RETRY_S = 5


@shared_task(  # type: ignore[untyped-decorator]
    bind=True,
    name=GENERATE_DATASET,
    soft_time_limit=SIMULATION_SOFT_LIMIT_S,
    time_limit=SIMULATION_SOFT_LIMIT_S + HARD_LIMIT_MARGIN_S,
    max_retries=None,
)
def generate_dataset(self: Task, version_id: int, activate: bool = True) -> None:
    """Simulate the files of a queued dataset version and mark it ready (or failed); while
    another version is generating, wait for it (the task is sent again later)."""
    settings = settings_of(self.app)
    try:
        generate_dataset_version(
            session_factory(settings.sqlalchemy_url), settings, version_id, activate=activate
        )
    except GenerationBusy as busy:
        raise self.retry(exc=busy, countdown=BUSY_RETRY_S) from busy
