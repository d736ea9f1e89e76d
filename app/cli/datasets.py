"""`tomobench datasets`: organizers' operations on dataset versions from the command line."""

from __future__ import annotations

from pathlib import Path

import click

from app.cli._common import data_dir_option, load_settings


@click.group()
def datasets() -> None:
    """Dataset versions: rebuild one from the server's records."""


@datasets.command()
@click.argument("version_id", metavar="VERSION", type=click.IntRange(min=1))
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Empty output folder for the rebuilt tomograms (created if missing).",
)
@data_dir_option
def rebuild(version_id: int, out_dir: Path, data_dir: Path | None) -> None:
    """Simulate dataset VERSION again from the server's records, hidden test included, and
    check every file against the recorded SHA-256 (exit status 1 if any differs).

    OUT then holds the hidden ground truth: keep it on the server.
    """
    from app.db import session_factory
    from app.services.datasets import get_dataset, rebuild_dataset
    from app.services.errors import ServiceError

    if out_dir.exists() and any(out_dir.iterdir()):
        raise click.ClickException(f"{out_dir} is not empty; give an empty or new folder")
    settings = load_settings(data_dir=data_dir)
    with session_factory(settings.sqlalchemy_url)() as db:
        try:
            version = get_dataset(db, version_id)
            differing = rebuild_dataset(version, out_dir)
        except ServiceError as error:
            raise click.ClickException(error.message) from error
        recorded = sum(len(entry["files"]) for entry in version.files.values())
    if differing:
        click.echo(f"{len(differing)} of {recorded} files differ: " + ", ".join(differing))
        raise SystemExit(1)
    click.echo(f"rebuilt {version.name} into {out_dir}: all {recorded} files identical")
