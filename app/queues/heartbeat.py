"""A consumer bootstep that records in the database that this worker is alive and consuming.

`/healthz` counts workers with a recent heartbeat; this works with every broker, including
the embedded one, where Celery's remote control is not available.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from celery import bootsteps
from sqlalchemy import delete
from sqlalchemy.exc import SQLAlchemyError

from app.db import session_factory
from app.models import WorkerHeartbeat, utcnow
from app.queues.celery_app import settings_of

log = logging.getLogger(__name__)


class Heartbeat(bootsteps.StartStopStep):  # type: ignore[misc]
    """Write `worker_heartbeats` every `worker_heartbeat_s` seconds while consuming."""

    requires = ("celery.worker.consumer.tasks:Tasks",)

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, consumer: Any) -> None:
        settings = settings_of(consumer.app)
        factory = session_factory(settings.sqlalchemy_url)
        hostname = consumer.hostname
        queues = ",".join(sorted(queue.name for queue in consumer.task_consumer.queues))
        started = utcnow()

        def beat() -> None:
            while not self._stop.is_set():
                try:
                    with factory() as db:
                        db.merge(
                            WorkerHeartbeat(
                                hostname=hostname,
                                queues=queues,
                                pid=os.getpid(),
                                started_at=started,
                                last_seen_at=utcnow(),
                            )
                        )
                        db.commit()
                except SQLAlchemyError as error:
                    log.warning("heartbeat not recorded: %s", error)
                self._stop.wait(settings.worker_heartbeat_s)

        self._stop.clear()
        self._thread = threading.Thread(target=beat, name="tomobench-heartbeat", daemon=True)
        self._thread.start()

    def stop(self, consumer: Any) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        settings = settings_of(consumer.app)
        try:
            with session_factory(settings.sqlalchemy_url)() as db:
                db.execute(
                    delete(WorkerHeartbeat).where(WorkerHeartbeat.hostname == consumer.hostname)
                )
                db.commit()
        except SQLAlchemyError as error:
            log.warning("heartbeat not removed: %s", error)
