"""Readiness: the database answers, a worker is consuming, a dataset is active."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.core.config import Settings
from app.models import WorkerHeartbeat, utcnow
from app.services.datasets import active_dataset


@dataclass(frozen=True)
class Health:
    """What `/healthz` reports; `ready` when the database is up and a worker is alive."""

    database: bool
    workers: int
    dataset: str | None

    @property
    def ready(self) -> bool:
        """True when the service can take and score submissions."""
        return self.database and self.workers > 0


def live_workers(db: Session, settings: Settings, queue: str | None = None) -> int:
    """Workers whose heartbeat is recent (those consuming `queue`, when given)."""
    cutoff = utcnow() - dt.timedelta(seconds=settings.worker_stale_after_s)
    query = select(WorkerHeartbeat.queues).where(WorkerHeartbeat.last_seen_at >= cutoff)
    queues = list(db.scalars(query))
    if queue is not None:  # a comma-separated list per worker, as `--queues` takes it
        queues = [listed for listed in queues if queue in listed.split(",")]
    return len(queues)


def check_health(db: Session, settings: Settings) -> Health:
    """Probe the database and read the worker heartbeats; never raises."""
    try:
        db.execute(text("SELECT 1"))
        workers = live_workers(db, settings)
        dataset = active_dataset(db)
    except SQLAlchemyError:
        return Health(database=False, workers=0, dataset=None)
    return Health(database=True, workers=workers, dataset=dataset.name if dataset else None)
