"""Private server processes for fault tests: a redis-server and a PostgreSQL cluster that a
test may kill and restart (never the machine's shared ones), and the web app under uvicorn.

Every process is started in its own session and stopped with its children on exit.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg
import redis

from app.core.config import Settings, settings_env
from tests.app.support import stop_process_group, wait_until


def free_port() -> int:
    """A TCP port on the loopback interface that nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class PrivateRedis:
    """A redis-server without persistence on its own port: a restart loses every key."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the server and wait until it answers PING."""
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, start_new_session=True)
        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        wait_until(lambda: _answers(client), 10, "the private redis-server")
        client.close()

    def kill(self) -> None:
        """SIGKILL the server (its keys are gone)."""
        if self.process is not None:
            stop_process_group(self.process, grace=0)
            self.process = None


def _answers(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


@contextmanager
def private_redis() -> Iterator[PrivateRedis]:
    """A running private redis-server, killed on exit."""
    server = PrivateRedis()
    server.start()
    try:
        yield server
    finally:
        server.kill()


def _postgres_bin(name: str) -> str:
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[4]))
    if not versions:
        raise RuntimeError("no PostgreSQL server binaries under /usr/lib/postgresql")
    return os.path.join(versions[-1], name)


class PrivatePostgres:
    """A throw-away PostgreSQL cluster on its own port and socket folder.

    As root the cluster runs as the `postgres` user (initdb refuses root).
    """

    def __init__(self) -> None:
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="tomobench-pg-"))
        self.data = self.folder / "data"
        self.log = self.folder / "server.log"
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.folder, owner.pw_uid, owner.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self._run(_postgres_bin("initdb"), "-D", str(self.data), "-U", "postgres")

    def _run(self, *command: str) -> None:
        subprocess.run(
            [*self.as_user, *command], check=True, capture_output=True, timeout=120, cwd="/"
        )

    def url(self, database: str) -> str:
        """The SQLAlchemy URL of a database of this cluster."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            _postgres_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.log),
            "-o", options, "-w", "-t", "60", "start",
        )  # fmt: skip

    def stop(self, mode: str = "immediate") -> None:
        """Stop the server; `immediate` is a crash as far as clients can tell."""
        self._run(_postgres_bin("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def create_database(self) -> str:
        """A new empty database; its SQLAlchemy URL."""
        name = f"tomobench_{uuid.uuid4().hex[:12]}"
        dsn = f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres"
        with psycopg.connect(dsn, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def remove(self) -> None:
        """Stop the server if it runs and delete the cluster."""
        if (self.data / "postmaster.pid").exists():
            self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    """A running private PostgreSQL cluster, removed on exit."""
    cluster = PrivatePostgres()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.remove()


class WebServer:
    """The web app of `settings` served by uvicorn in a child process on a free port."""

    def __init__(self, settings: Settings, *, workers: int = 1, prefix: list[str] | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.command = [*(prefix or []), sys.executable, "-m", "uvicorn", "app.main:create_app"]
        self.command += ["--factory", "--host", "127.0.0.1", "--port", str(self.port)]
        self.command += ["--workers", str(workers), "--log-level", "warning", "--no-access-log"]
        self.env = {**os.environ, **settings_env(settings)}
        self.log = settings.resolved_data_dir / f"web-{uuid.uuid4().hex[:6]}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start uvicorn and wait until the API answers."""
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                self.command, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True, cwd=Path(__file__).parents[2],
            )  # fmt: skip
        wait_until(self._answers, 60, f"the web server at {self.url}")

    def _answers(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"the web server exited:\n{self.log.read_text()}")
        try:
            return httpx.get(f"{self.url}/api/v1/openapi.json", timeout=5).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        """Stop uvicorn and its worker processes."""
        if self.process is not None:
            stop_process_group(self.process)
            self.process = None


@contextmanager
def web_server(
    settings: Settings, *, workers: int = 1, prefix: list[str] | None = None
) -> Iterator[WebServer]:
    """A running uvicorn server of the app, stopped on exit."""
    server = WebServer(settings, workers=workers, prefix=prefix)
    try:
        server.start()
        yield server
    finally:
        server.stop()


def pool_children(worker_pid: int) -> list[int]:
    """The process ids of the direct children of a process (a Celery worker's pool)."""
    children = Path(f"/proc/{worker_pid}/task/{worker_pid}/children")
    return [int(pid) for pid in children.read_text().split()] if children.exists() else []


def cpu_ticks(pid: int) -> int:
    """User plus system CPU time of a process, in clock ticks (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0
    return int(fields[11]) + int(fields[12])


def kill_hard(pid: int) -> None:
    """SIGKILL one process."""
    os.kill(pid, signal.SIGKILL)
