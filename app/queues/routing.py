"""Queues and task routing: the one place that says which task runs on which queue."""

from __future__ import annotations

import logging
from typing import Any

from celery import Celery
from kombu.entity import Exchange, Queue

log = logging.getLogger(__name__)

EVALUATION_QUEUE = "evaluation"
SIMULATION_QUEUE = "simulation"
GPU_QUEUE = "gpu"
QUEUE_NAMES = (EVALUATION_QUEUE, SIMULATION_QUEUE, GPU_QUEUE)

TASK_ROUTES = {
    "workers.tasks.evaluation.*": {"queue": EVALUATION_QUEUE},
    "workers.tasks.simulation.*": {"queue": SIMULATION_QUEUE},
    "workers.tasks.baselines.*": {"queue": GPU_QUEUE},
}

# modules that define tasks; a worker imports those that exist
TASK_MODULES = (
    "workers.tasks.evaluation",
    "workers.tasks.simulation",
    "workers.tasks.baselines",
)

# the longest a simulation or baseline task may run (soft limit; the hard limit is a minute
# later): a full-size dataset takes minutes, a CPU baseline on full-size data hours
SIMULATION_SOFT_LIMIT_S = 3600
BASELINE_SOFT_LIMIT_S = 4 * 3600
HARD_LIMIT_MARGIN_S = 60

# task names, so senders need not import the task modules
SCORE_SUBMISSION = "workers.tasks.evaluation.score_submission"
SWEEP_SUBMISSIONS = "workers.tasks.evaluation.sweep_submissions"
CLOSE_DUE_PHASES = "workers.tasks.evaluation.close_due_phases"
GENERATE_DATASET = "workers.tasks.simulation.generate_dataset"
RUN_BASELINE = "workers.tasks.baselines.run_baseline"


def task_queues() -> list[Queue]:
    """The Kombu queues of the three names, each on its own direct exchange."""
    return [
        Queue(name, Exchange(name, type="direct"), routing_key=name)  # type: ignore[no-untyped-call]
        for name in QUEUE_NAMES
    ]


def parse_queue_list(text: str) -> list[str]:
    """Queue names from a comma-separated list such as 'evaluation,simulation'.

    Raises:
        ValueError: naming an unknown queue, or if the list is empty.
    """
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise ValueError(f"no queue given; choose from {', '.join(QUEUE_NAMES)}")
    for name in names:
        if name not in QUEUE_NAMES:
            raise ValueError(f"unknown queue {name!r}; choose from {', '.join(QUEUE_NAMES)}")
    return names


def enqueue(celery: Celery, task: str, *args: Any) -> bool:
    """Hand task `task` with `args` to the broker, once (no retries: callers keep a row that a
    sweeper or the user sends again); False, logged, when the broker cannot be reached."""
    try:
        celery.send_task(task, args=list(args), retry=False)
    except Exception as error:  # any broker or connection failure
        log.warning("could not queue %s%s: %s", task, list(args), error)
        return False
    return True
