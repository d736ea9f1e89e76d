"""Alembic environment: migrates the database named by the configuration or the settings."""

from __future__ import annotations

from alembic import context

from app.db import get_engine
from app.models import Base

config = context.config


def _database_url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from app.core.config import Settings

    return Settings().sqlalchemy_url


def run_migrations() -> None:
    """Apply migrations online, on one connection, inside one transaction."""
    url = _database_url()
    with get_engine(url).connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=url.startswith("sqlite"),
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run against a database")
run_migrations()
