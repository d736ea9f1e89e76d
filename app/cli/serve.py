"""`tomobench serve`: the whole service on one machine.

Start-up as a script: wait for the database, apply migrations, seed the admin and the demo
dataset, start a worker child (on the embedded broker) and the dispatcher, then uvicorn.
"""

from __future__ import annotations

import importlib.util
import ipaddress
import logging
import os
import socket
import threading
import time
from pathlib import Path

import click

from app.cli._common import data_dir_option, load_settings


def _is_loopback(host: str) -> bool:
    """True for an address only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to a public address


def _announce_when_listening(host: str, port: int, url: str) -> None:
    """Print the URL once the server accepts connections (whichever process serves)."""
    while True:
        try:
            with socket.create_connection((host, port), timeout=1):
                break
        except OSError:
            time.sleep(0.2)
    click.echo(
        f"tomobench is running at {url} (admin pages at {url}/admin, API docs at {url}/docs)"
    )


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@data_dir_option
@click.option(
    "--worker/--no-worker",
    default=None,
    help="Run a worker child process (default: only on the embedded broker).",
)
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Processes of the worker child.",
)
@click.option(
    "--web-workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Web server processes.",
)
def serve(
    host: str,
    port: int,
    data_dir: Path | None,
    worker: bool | None,
    concurrency: int,
    web_workers: int,
) -> None:
    """Run the web app, a worker and the dispatcher (SQLite and no broker server by default)."""
    import uvicorn
    from sqlalchemy.exc import OperationalError

    from app.background import Dispatcher, WorkerChild, wait_for_database
    from app.core.config import settings_env
    from app.core.secret_key import KEY_FILE, session_secret
    from app.db import session_factory
    from app.migrate import upgrade_database
    from app.queues.routing import GPU_QUEUE
    from app.server import uvicorn_options
    from app.services.seed import seed

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    settings = load_settings(data_dir=data_dir)
    if settings.secret_key is None and not _is_loopback(host):
        raise click.ClickException(
            f"listening on {host} makes the site reachable from other machines: set "
            "TOMOBENCH_SECRET_KEY to a long random value (and TOMOBENCH_ENV=production behind "
            "HTTPS, see docs/deploy.md), or serve on 127.0.0.1"
        )
    settings.resolved_data_dir.mkdir(parents=True, exist_ok=True)
    click.echo(f"data folder: {settings.resolved_data_dir}")
    if settings.secret_key is None:
        session_secret(settings)  # created once here, before several web processes read it
        key_file = settings.resolved_data_dir / KEY_FILE
        click.echo(f"session key: {key_file} (generated once; TOMOBENCH_SECRET_KEY is unset)")
    try:
        wait_for_database(settings.sqlalchemy_url)
    except OperationalError as error:
        raise click.ClickException(f"cannot reach the database: {error.orig}") from error
    upgrade_database(settings.sqlalchemy_url)
    report = seed(session_factory(settings.sqlalchemy_url), settings)
    if report.demo_dataset is not None:
        click.echo(f"generated the demo dataset {report.demo_dataset!r}")
    if report.admin_password is not None:
        click.echo(
            f"created admin account {report.admin_username!r} with password "
            f"{report.admin_password!r} (shown only this once; stored hashed)"
        )
    else:
        click.echo(
            f"admin account {report.admin_username!r} exists; to set a new password: "
            f"tomobench users reset-password {report.admin_username}"
        )

    children = []
    if worker if worker is not None else settings.embedded_broker:
        children.append(WorkerChild(settings, "evaluation,simulation", concurrency))
        # the baselines run for minutes: a worker of their own keeps scoring going meanwhile
        if importlib.util.find_spec("torch") is not None:
            children.append(WorkerChild(settings, GPU_QUEUE, 1))
            click.echo("baselines: PyTorch found; a worker serves the gpu queue")
        else:
            click.echo(
                "baselines: PyTorch is not installed, so admins cannot run them "
                "(make serve BASELINES=1, or pip install 'tomobench[baselines]')"
            )
    for child in children:
        child.start()
    dispatcher = Dispatcher(settings, children)
    dispatcher.start()
    url = f"http://{host}:{port}"
    announcer = threading.Thread(target=_announce_when_listening, args=(host, port, url))
    announcer.daemon = True
    announcer.start()
    os.environ.update(settings_env(settings))  # every web process builds the same settings
    try:
        uvicorn.run(
            "app.main:create_app",
            factory=True,
            host=host,
            port=port,
            workers=web_workers,
            **uvicorn_options(settings),  # timeouts and limits against slow clients
        )
    finally:
        dispatcher.stop()
        for child in children:
            child.stop()
