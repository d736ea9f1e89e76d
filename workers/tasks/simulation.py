"""Tasks of the `simulation` queue: generate a dataset version with the simulator."""

from __future__ import annotations

from celery import Task, shared_task

from app.db import session_factory
from app.services.datasets import generate_dataset as generate_dataset_version
from workers.celery_app import settings_of
from workers.routing import GENERATE_DATASET

# a full-size dataset takes minutes on a small machine
SIMULATION_SOFT_LIMIT_S = 3600
SIMULATION_HARD_LIMIT_S = 3660


@shared_task(  # type: ignore[untyped-decorator]
    bind=True,
    name=GENERATE_DATASET,
    soft_time_limit=SIMULATION_SOFT_LIMIT_S,
    time_limit=SIMULATION_HARD_LIMIT_S,
)
def generate_dataset(self: Task, version_id: int, activate: bool = True) -> None:
    """Simulate the files of a queued dataset version and mark it ready (or failed)."""
    settings = settings_of(self.app)
    generate_dataset_version(
        session_factory(settings.sqlalchemy_url), settings, version_id, activate=activate
    )
