"""Apply the Alembic migrations shipped inside the package, from any working directory."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

import migrations

# `__path__`, not `__file__`: an editable install may import the folder as a namespace package
MIGRATIONS_DIR = Path(next(iter(migrations.__path__))).resolve()


def alembic_config(database_url: str) -> Config:
    """An Alembic configuration pointing at the packaged migrations and `database_url`."""
    config = Config(str(MIGRATIONS_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade_database(database_url: str, revision: str = "head") -> None:
    """Bring the schema at `database_url` up to `revision`.

    Raises:
        sqlalchemy.exc.OperationalError: if the database cannot be reached.
        alembic.util.CommandError: if `revision` is unknown.
    """
    command.upgrade(alembic_config(database_url), revision)


def current_revision(database_url: str) -> str | None:
    """The revision the database is at, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    from app.db import get_engine

    with get_engine(database_url).connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
