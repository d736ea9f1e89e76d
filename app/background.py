"""What `tomobench serve` runs beside the web server: the dispatcher loop and a worker child."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time

from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from app.core.config import Settings, settings_env
from app.db import get_engine, session_factory
from app.services.dispatch import sweep_submissions
from workers.celery_app import create_celery_app

log = logging.getLogger(__name__)


def wait_for_database(url: str, timeout: float = 30.0) -> None:
    """Return once the database accepts connections.

    Raises:
        OperationalError: if it still refuses after `timeout` seconds.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            with get_engine(url).connect() as connection:
                connection.execute(text("SELECT 1"))
            return
        except OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(1.0)


class WorkerChild:
    """A `tomobench worker` child process, restarted if it dies, stopped with its pool."""

    def __init__(self, settings: Settings, queues: str, concurrency: int) -> None:
        self.command = [sys.executable, "-m", "app.cli", "worker", "--queues", queues]
        self.command += ["--concurrency", str(concurrency), "--loglevel", "WARNING"]
        self.env = {**os.environ, **settings_env(settings)}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the worker in its own process group."""
        self.process = subprocess.Popen(self.command, env=self.env, start_new_session=True)

    def ensure_running(self) -> None:
        """Restart the worker if it exited."""
        if self.process is not None and self.process.poll() is not None:
            log.error("worker exited with %s; restarting it", self.process.returncode)
            self.start()

    def stop(self, grace: float = 15.0) -> None:
        """SIGTERM the worker's process group (warm shutdown), SIGKILL after `grace`."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


class Dispatcher(threading.Thread):
    """Every `sweep_interval_s`: sweep submissions (send the waiting, re-queue the stuck) and
    keep the worker child alive."""

    def __init__(self, settings: Settings, worker: WorkerChild | None) -> None:
        super().__init__(name="tomobench-dispatcher", daemon=True)
        self.settings = settings
        self.worker = worker
        self.stopping = threading.Event()

    def run(self) -> None:
        factory = session_factory(self.settings.sqlalchemy_url)
        celery = create_celery_app(self.settings)
        while not self.stopping.wait(self.settings.sweep_interval_s):
            if self.worker is not None:
                self.worker.ensure_running()
            try:
                report = sweep_submissions(factory, celery, self.settings)
                if any(vars(report).values()):
                    log.info("dispatcher: %s", report)
            except Exception:  # keep sweeping whatever one pass hit
                log.exception("dispatcher pass failed")

    def stop(self) -> None:
        """Ask the loop to end and wait for it."""
        self.stopping.set()
        self.join(timeout=10)
