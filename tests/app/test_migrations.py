"""The Alembic migrations and the SQLAlchemy models describe the same schema, on both backends."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError

from app.core.config import Settings
from app.db import get_engine, session_factory
from app.migrate import alembic_config, current_revision
from app.models import Base, DatasetVersion


def test_models_match_migrations(fresh_settings: Settings) -> None:
    with get_engine(fresh_settings.sqlalchemy_url).connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_downgrade_to_base_and_up_again(fresh_settings: Settings) -> None:
    url = fresh_settings.sqlalchemy_url
    config = alembic_config(url)
    command.downgrade(config, "base")
    tables = set(inspect(get_engine(url)).get_table_names())
    assert tables <= {"alembic_version"}
    assert current_revision(url) is None
    command.upgrade(config, "head")
    assert {"users", "submissions", "results", "dataset_versions"} <= set(
        inspect(get_engine(url)).get_table_names()
    )


def test_database_allows_one_active_dataset_version(fresh_settings: Settings) -> None:
    with session_factory(fresh_settings.sqlalchemy_url)() as db:
        db.add(DatasetVersion(name="a", seed=1, is_active=True))
        db.add(DatasetVersion(name="b", seed=2, is_active=False))
        db.commit()
        db.add(DatasetVersion(name="c", seed=3, is_active=True))
        with pytest.raises(IntegrityError):
            db.commit()
