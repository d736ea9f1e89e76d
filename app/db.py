"""Database engines and sessions: one engine per URL and process, SQLite tuned for concurrency."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

_engines: dict[tuple[str, int], Engine] = {}
_engines_lock = threading.Lock()


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the web app read while a worker writes; the timeout waits out short write locks.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def get_engine(url: str) -> Engine:
    """The engine for `url` in this process (a forked worker child gets its own).

    Raises:
        sqlalchemy.exc.ArgumentError: if the URL cannot be parsed.
    """
    key = (url, os.getpid())
    with _engines_lock:
        engine = _engines.get(key)
        if engine is None:
            engine = _create_engine(url)
            _engines[key] = engine
        return engine


def _create_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _configure_sqlite)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def dispose_engines() -> None:
    """Close every pooled connection of this process (used at shutdown and in tests)."""
    with _engines_lock:
        for (_, pid), engine in list(_engines.items()):
            if pid == os.getpid():
                engine.dispose()
        _engines.clear()


def session_factory(url: str) -> sessionmaker[Session]:
    """A session factory bound to the engine for `url`; sessions keep objects after commit."""
    return sessionmaker(bind=get_engine(url), expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that commits on success and rolls back on any exception."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
