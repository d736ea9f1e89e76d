"""The Celery app: built from the service settings, never at import time.

`create_celery_app(settings)` gives an app whose options are all stated here: named queues
(routing in `app.queues.routing`), late acknowledgement, re-delivery when a worker dies,
prefetch 1, soft and hard time limits, no result backend (results live in the database).
"""

from __future__ import annotations

from typing import Any

from celery import Celery

from app.core.config import Settings
from app.queues.routing import (
    BASELINE_SOFT_LIMIT_S,
    CLOSE_DUE_PHASES,
    EVALUATION_QUEUE,
    HARD_LIMIT_MARGIN_S,
    SIMULATION_SOFT_LIMIT_S,
    SWEEP_SUBMISSIONS,
    TASK_MODULES,
    TASK_ROUTES,
    task_queues,
)


class TomobenchCelery(Celery):  # type: ignore[misc]
    """A Celery app carrying the settings its tasks read (database, data folder, limits)."""

    def __init__(self, settings: Settings) -> None:
        super().__init__("tomobench", set_as_current=False)
        self.tomobench_settings = settings


def broker_transport_options(settings: Settings) -> dict[str, Any]:
    """Transport options for the configured broker (Redis or the embedded SQLite broker)."""
    if settings.embedded_broker:
        # passed to SQLAlchemy's create_engine by Kombu: wait out short SQLite write locks
        return {"connect_args": {"timeout": 30}}
    options: dict[str, Any] = {
        # an unacknowledged task is re-delivered only after this: keep it past the longest
        # hard limit of any queue, or a long regeneration would be delivered twice (a scoring
        # whose worker vanished is re-queued sooner by the sweeper)
        "visibility_timeout": longest_hard_limit_s(settings) + 60,
        "socket_connect_timeout": 3,
    }
    if settings.redis_key_prefix:
        options["global_keyprefix"] = settings.redis_key_prefix
    return options


def longest_hard_limit_s(settings: Settings) -> int:
    """The longest hard time limit of any task, in seconds."""
    longest_soft = max(SIMULATION_SOFT_LIMIT_S, BASELINE_SOFT_LIMIT_S)
    return max(settings.task_hard_time_limit_s, longest_soft + HARD_LIMIT_MARGIN_S)


# a sweep may wait this long for a worker busy with a scoring (and, on the embedded broker,
# for its one-second poll) before the next sweep supersedes it
SWEEP_EXPIRY_FLOOR_S = 30.0


def sweep_expiry_s(settings: Settings) -> float:
    """How long a queued sweep stays worth running."""
    return max(settings.sweep_interval_s, SWEEP_EXPIRY_FLOOR_S)


def create_celery_app(settings: Settings) -> TomobenchCelery:
    """A configured Celery app for these settings (sending needs nothing more)."""
    app = TomobenchCelery(settings)
    app.conf.update(
        broker_url=settings.celery_broker_url,
        broker_transport_options=broker_transport_options(settings),
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=3,
        result_backend=None,
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        task_queues=task_queues(),
        task_default_queue=EVALUATION_QUEUE,
        task_routes=TASK_ROUTES,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_soft_time_limit=settings.task_soft_time_limit_s,
        task_time_limit=settings.task_hard_time_limit_s,
        worker_hijack_root_logger=False,
        worker_enable_remote_control=not settings.embedded_broker,
        include=list(TASK_MODULES),  # a worker imports every one: a missing module fails it
        beat_schedule={  # sweeps nobody consumed in time are dropped rather than piled up
            "sweep-submissions": {
                "task": SWEEP_SUBMISSIONS,
                "schedule": settings.sweep_interval_s,
                "options": {"expires": sweep_expiry_s(settings)},
            },
            # editions close themselves at their closing time (snapshot, private revealed)
            "close-due-phases": {
                "task": CLOSE_DUE_PHASES,
                "schedule": settings.sweep_interval_s,
                "options": {"expires": sweep_expiry_s(settings)},
            },
        },
        beat_schedule_filename=str(settings.resolved_data_dir / "celerybeat-schedule"),
        timezone="UTC",
    )
    return app


def settings_of(app: Celery) -> Settings:
    """The service settings of an app made by `create_celery_app`.

    Raises:
        TypeError: if the app was not made by `create_celery_app`.
    """
    if not isinstance(app, TomobenchCelery):
        raise TypeError("the Celery app was not created by app.queues.celery_app.create_celery_app")
    return app.tomobench_settings
