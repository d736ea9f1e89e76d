"""Tasks of the `gpu` queue: a baseline run, by id (`app.services.baseline_runs` does the work
and keeps the run's status row up to date)."""

from __future__ import annotations

from celery import Task, shared_task

from app.db import session_factory
from app.queues.celery_app import settings_of
from app.queues.routing import BASELINE_SOFT_LIMIT_S, HARD_LIMIT_MARGIN_S, RUN_BASELINE
from app.services.baseline_runs import execute_baseline_run


@shared_task(  # type: ignore[untyped-decorator]
    bind=True,
    name=RUN_BASELINE,
    soft_time_limit=BASELINE_SOFT_LIMIT_S,
    time_limit=BASELINE_SOFT_LIMIT_S + HARD_LIMIT_MARGIN_S,
)
def run_baseline(self: Task, run_id: int, seed: int = 0) -> int | None:
    """Run baseline run `run_id`: train, predict the test tomogram, submit; the submission id
    (None when the run had been taken already)."""
    settings = settings_of(self.app)
    factory = session_factory(settings.sqlalchemy_url)
    return execute_baseline_run(factory, settings, self.app, run_id, seed)
