"""Redis re-delivers an unacknowledged task after the visibility timeout; a task that may
still be running then would run twice, so the timeout must outlast every task's hard limit."""

from __future__ import annotations

from pathlib import Path

from app.core.config import Settings
from app.queues.celery_app import broker_transport_options, create_celery_app


def test_visibility_timeout_outlasts_every_task_hard_limit(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, broker_url="redis://127.0.0.1:6379/0")
    app = create_celery_app(settings)
    app.loader.import_default_modules()
    limits = {
        name: task.time_limit or settings.task_hard_time_limit_s
        for name, task in app.tasks.items()
        if name.startswith("workers.tasks.")
    }
    assert {"workers.tasks.evaluation.score_submission"} <= set(limits)
    assert any(name.startswith("workers.tasks.simulation.") for name in limits)
    timeout = broker_transport_options(settings)["visibility_timeout"]
    for name, limit in limits.items():
        assert timeout > limit, f"{name} may run {limit} s, past the {timeout} s timeout"
