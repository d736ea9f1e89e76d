"""Container health check of a worker: `python -m workers.health` exits 0 when a Celery worker
on this host answers a ping over the broker, 1 otherwise."""

from __future__ import annotations

import socket
import sys

from app.core.config import Settings
from app.queues.celery_app import create_celery_app


def worker_on_this_host_answers(settings: Settings, timeout_s: float = 5.0) -> bool:
    """Whether a worker whose node name ends in `@<this host>` answers a broadcast ping."""
    app = create_celery_app(settings)
    replies = app.control.ping(timeout=timeout_s) or []
    suffix = f"@{socket.gethostname()}"
    return any(node.endswith(suffix) for reply in replies for node in reply)


def main() -> int:
    """Exit status for the health check."""
    return 0 if worker_on_this_host_answers(Settings()) else 1


if __name__ == "__main__":
    sys.exit(main())
