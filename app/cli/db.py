"""`tomobench db`: apply the schema migrations and show the current revision."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy.exc import OperationalError

from app.cli._common import data_dir_option, load_settings


@click.group()
def db() -> None:
    """Database schema (Alembic migrations shipped with the package)."""


@db.command()
@click.option("--revision", default="head", show_default=True, help="Target revision.")
@data_dir_option
def upgrade(revision: str, data_dir: Path | None) -> None:
    """Apply migrations up to REVISION (creates the SQLite file on the embedded default)."""
    from alembic.util import CommandError

    from app.migrate import current_revision, upgrade_database

    settings = load_settings(data_dir=data_dir)
    settings.resolved_data_dir.mkdir(parents=True, exist_ok=True)
    try:
        upgrade_database(settings.sqlalchemy_url, revision)
        click.echo(f"database at revision {current_revision(settings.sqlalchemy_url)}")
    except OperationalError as error:
        raise click.ClickException(f"cannot reach the database: {error.orig}") from error
    except CommandError as error:
        raise click.ClickException(str(error)) from error


@db.command()
@data_dir_option
def current(data_dir: Path | None) -> None:
    """Print the revision the database is at ('none' for an empty database)."""
    from app.migrate import current_revision

    settings = load_settings(data_dir=data_dir)
    try:
        click.echo(current_revision(settings.sqlalchemy_url) or "none")
    except OperationalError as error:
        raise click.ClickException(f"cannot reach the database: {error.orig}") from error
