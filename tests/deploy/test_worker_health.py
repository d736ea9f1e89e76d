"""The compose health check of a worker (`python -m workers.health`) against a real worker
consuming from Redis: healthy while it runs, unhealthy once it is gone."""

from __future__ import annotations

import os
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path

from tests.app.support import running_worker, settings_env
from tests.conftest import backend_settings


def _health_check(env: dict[str, str]) -> int:
    command = [sys.executable, "-m", "workers.health"]
    return subprocess.run(command, env={**os.environ, **env}, timeout=60, check=False).returncode


def test_health_check_follows_the_worker(tmp_path: Path) -> None:
    with ExitStack() as stack:
        settings = backend_settings(stack, "production", tmp_path / "data")
        env = settings_env(settings)
        with running_worker(settings, queues="evaluation"):
            assert _health_check(env) == 0
        assert _health_check(env) == 1
