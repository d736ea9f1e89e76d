"""`tomobench worker`: a Celery worker for the named queues (and optionally the sweeper beat)."""

from __future__ import annotations

import os
import socket

import click

from app.cli._common import data_dir_option, load_settings
from app.queues.routing import QUEUE_NAMES, parse_queue_list


@click.command()
@click.option(
    "--queues",
    "-Q",
    default=",".join(QUEUE_NAMES[:2]),
    show_default=True,
    help=f"Comma-separated queues to consume: {', '.join(QUEUE_NAMES)}.",
)
@click.option("--concurrency", "-c", type=click.IntRange(min=1), default=None, help="Processes.")
@click.option("--pool", type=click.Choice(["prefork", "solo", "threads"]), default="prefork")
@click.option("--beat", is_flag=True, help="Also run the periodic sweeper of stuck submissions.")
@click.option("--loglevel", "-l", default="INFO", show_default=True)
@data_dir_option
def worker(
    queues: str,
    concurrency: int | None,
    pool: str,
    beat: bool,
    loglevel: str,
    data_dir: os.PathLike[str] | None,
) -> None:
    """Run a Celery worker consuming QUEUES (evaluation, simulation, gpu)."""
    try:
        queue_names = parse_queue_list(queues)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--queues") from error
    settings = load_settings(data_dir=data_dir)
    settings.resolved_data_dir.mkdir(parents=True, exist_ok=True)

    from app.queues.celery_app import create_celery_app
    from app.queues.heartbeat import Heartbeat

    app = create_celery_app(settings)
    app.steps["consumer"].add(Heartbeat)
    app.set_current()
    argv = [
        "worker",
        f"--queues={','.join(queue_names)}",
        f"--pool={pool}",
        f"--loglevel={loglevel}",
        f"--hostname=tomobench-{os.getpid()}@{socket.gethostname()}",
        "--without-gossip",
        "--without-mingle",
    ]
    if concurrency is not None:
        argv.append(f"--concurrency={concurrency}")
    if beat:
        argv.append("--beat")
    app.worker_main(argv)
