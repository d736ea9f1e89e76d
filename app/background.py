"""What `tomobench serve` runs beside the web server: the dispatcher loop and a worker child."""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence

from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from app.core.config import Settings, settings_env
from app.db import get_engine, session_factory
from app.queues.celery_app import create_celery_app
from app.services.closing import close_due_phases
from app.services.dispatch import sweep_submissions

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


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


def _parent_death_signal() -> Callable[[], None] | None:
    """A pre-exec hook asking Linux to SIGTERM the child when `serve` dies, however it dies.

    `prctl` is looked up here, in the parent: the hook itself must not load libraries.
    """
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl

    def hook() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGTERM)

    return hook


class WorkerChild:
    """A `tomobench worker` child process, restarted if it dies, stopped with `serve`.

    The child runs in its own process group: a signal sent to `serve`'s group must not reach
    the worker's prefork pool processes directly (a pool killed under its parent leaves the
    parent hanging in shutdown). Only the worker's main process is told to stop, by `stop`
    or, if `serve` is killed outright, by the kernel (parent-death signal).
    """

    def __init__(self, settings: Settings, queues: str, concurrency: int) -> None:
        self.command = [sys.executable, "-m", "app.cli", "worker", "--queues", queues]
        self.command += ["--concurrency", str(concurrency), "--loglevel", "WARNING"]
        self.env = {**os.environ, **settings_env(settings)}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the worker."""
        self.process = subprocess.Popen(
            self.command,
            env=self.env,
            start_new_session=True,
            preexec_fn=_parent_death_signal(),
        )

    def ensure_running(self) -> None:
        """Restart the worker if it exited."""
        if self.process is not None and self.process.poll() is not None:
            log.error("worker exited with %s; restarting it", self.process.returncode)
            self.start()

    def stop(self, grace: float = 30.0) -> None:
        """SIGTERM the worker (a warm shutdown of its pool); SIGKILL its whole group after
        `grace` seconds."""
        process, self.process = self.process, None
        if process is not None:
            stop_process_tree(process, grace)


def stop_process_tree(process: subprocess.Popen[bytes], grace: float) -> None:
    """Ask the leader of a process group (started with `start_new_session`) to stop with
    SIGTERM; SIGKILL the whole group if it has not exited after `grace` seconds."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(grace)
            return
        except subprocess.TimeoutExpired:
            log.error("process %s ignored SIGTERM for %s s; killing its group", process.pid, grace)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


class Dispatcher(threading.Thread):
    """Every `sweep_interval_s`: sweep submissions (send the waiting, re-queue the stuck),
    close phases that are due, and keep the worker children alive."""

    def __init__(self, settings: Settings, workers: Sequence[WorkerChild] = ()) -> None:
        super().__init__(name="tomobench-dispatcher", daemon=True)
        self.settings = settings
        self.workers = tuple(workers)
        self.stopping = threading.Event()

    def run(self) -> None:
        factory = session_factory(self.settings.sqlalchemy_url)
        celery = create_celery_app(self.settings)
        while not self.stopping.wait(self.settings.sweep_interval_s):
            for worker in self.workers:
                worker.ensure_running()
            try:
                report = sweep_submissions(factory, celery, self.settings)
                if any(vars(report).values()):
                    log.info("dispatcher: %s", report)
                close_due_phases(factory)  # the beat job of `worker --beat`, for serve
            except Exception:  # keep sweeping whatever one pass hit
                log.exception("dispatcher pass failed")

    def stop(self) -> None:
        """Ask the loop to end and wait for it."""
        self.stopping.set()
        self.join(timeout=10)
