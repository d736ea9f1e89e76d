"""Database engines and sessions: one engine per URL and process, SQLite tuned for concurrency."""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event, exc
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


def json_text(value: Any) -> str:
    """A JSON column's text. orjson writes a 50 KB result document in a tenth of the json
    module's time and reads it back in a quarter (docs/benchmarks.md), with the same values;
    keys that are not strings are written as strings, as the json module does, and NaN or an
    infinity as null (never stored: PostgreSQL refuses them in `json`)."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def _create_engine(url: str) -> Engine:
    # the same JSON codec on both databases: documents, board figures, settings
    codec: dict[str, Any] = {"json_serializer": json_text, "json_deserializer": orjson.loads}
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, **codec
        )
        event.listen(engine, "connect", _configure_sqlite)
        return engine
    # last in, first out: after a burst has filled the pool, a steady trickle reuses the
    # connection just returned, which needs no ping (`_ping_when_idle`); handed out in turn,
    # each would have idled past the delay and cost a ping per checkout
    engine = create_engine(url, pool_size=10, max_overflow=20, pool_use_lifo=True, **codec)
    _ping_when_idle(engine)
    return engine


# A connection back in use within this many seconds is not pinged: under load the pool hands
# the same connections out every few milliseconds, and a ping per checkout (SQLAlchemy's
# pool_pre_ping) cost a round trip and ~4 ms of the web app's CPU per upload. A connection
# idle for longer, when the server may have restarted meanwhile, is pinged first.
PING_AFTER_IDLE_S = 1.0


def _ping_when_idle(engine: Engine) -> None:
    """Ping each connection idle past `PING_AFTER_IDLE_S` as it is checked out, with the
    dialect's own ping; a dead one is replaced (the pool retries on `DisconnectionError`)."""
    dialect = engine.dialect

    def note_use(_dbapi_connection: Any, record: Any) -> None:
        record.info["last_used"] = time.monotonic()

    def ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if time.monotonic() - record.info.get("last_used", -math.inf) <= PING_AFTER_IDLE_S:
            return
        try:
            alive = dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            raise exc.DisconnectionError(str(error)) from error
        if not alive:
            raise exc.DisconnectionError("the database closed the connection")

    event.listen(engine.pool, "connect", note_use)  # a new connection needs no ping
    event.listen(engine.pool, "checkin", note_use)
    event.listen(engine.pool, "checkout", ping_if_idle)


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
