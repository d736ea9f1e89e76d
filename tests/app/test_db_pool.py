"""PostgreSQL connections are pinged before use only after an idle spell: one killed by the
server meanwhile is replaced unnoticed, and one in steady use costs no round trip."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import Engine, exc, text

from app import db as app_db
from app.db import dispose_engines, get_engine
from tests.conftest import POSTGRES_ADMIN_DSN, postgres_database


@pytest.fixture
def engine() -> Iterator[Engine]:
    with postgres_database() as url:
        yield get_engine(url)
        dispose_engines()


def _backend(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _kill(pid: int) -> None:
    with psycopg.connect(POSTGRES_ADMIN_DSN, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


def test_a_connection_killed_while_idle_is_replaced(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    killed = _backend(engine)
    _kill(killed)
    monkeypatch.setattr(app_db, "PING_AFTER_IDLE_S", 0.0)  # any pause counts as idle
    assert _backend(engine) != killed  # the ping found it dead: a new connection, no error
    assert engine.pool.checkedout() == 0


def test_a_connection_in_steady_use_is_not_pinged(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    pings: list[object] = []
    dialect = engine.dialect
    monkeypatch.setattr(dialect, "do_ping", lambda connection: pings.append(connection) or True)
    first = _backend(engine)
    assert _backend(engine) == first
    assert pings == []
    monkeypatch.setattr(app_db, "PING_AFTER_IDLE_S", 0.0)
    assert _backend(engine) == first
    assert len(pings) == 1
    # without a ping a connection killed meanwhile fails its next statement, which is why
    # the idle ones are pinged (the pool then replaces it)
    monkeypatch.setattr(app_db, "PING_AFTER_IDLE_S", 3600.0)
    _kill(first)
    with pytest.raises(exc.OperationalError):
        _backend(engine)
    assert _backend(engine) != first


def test_the_connection_last_returned_is_the_next_handed_out(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a burst has filled the pool, a steady trickle of requests reuses one connection:
    handed out in turn (first in, first out), each of them would idle past the ping delay
    and cost a ping per checkout."""
    pings: list[object] = []
    monkeypatch.setattr(engine.dialect, "do_ping", lambda connection: pings.append(1) or True)
    held = [engine.connect() for _ in range(6)]  # a burst: six connections in the pool
    for connection in held:
        connection.close()
    backends = {_backend(engine) for _ in range(12)}
    assert len(backends) == 1
    # and that one was last used a moment ago: no ping even with a short idle delay
    monkeypatch.setattr(app_db, "PING_AFTER_IDLE_S", 0.5)
    _backend(engine)
    assert pings == []
