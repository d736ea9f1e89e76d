"""The leaderboard reads the figures it shows from each result's board columns, never its
documents; a result without them (or of another format) is read by JSON paths, to the same
rows; the migration fills them for results already scored; and a result rewritten by a
re-delivered scoring shows its new figures."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest
from alembic import command
from sqlalchemy import event, select, update
from starlette.testclient import TestClient

from app.core.config import Settings
from app.db import get_engine, session_factory
from app.main import create_app
from app.migrate import alembic_config
from app.models import Result, utcnow
from app.queues.celery_app import create_celery_app
from app.services.board_figures import BOARD_FORMAT, FORMAT_KEY, board_columns
from app.services.disclosure import SAMPLES, Split
from app.services.leaderboard import _scored_rows, build_leaderboard
from tests.app.support import GOOD_SUBMISSION, install_dataset, new_user, upload
from workers.tasks.evaluation import score_submission


@pytest.fixture
def scored(fresh_settings: Settings) -> int:
    """One submission scored by the worker's task (a public and a private document)."""
    install_dataset(fresh_settings)
    with TestClient(create_app(fresh_settings)) as client:
        headers = new_user(fresh_settings)
        submission_id: int = upload(client, headers, GOOD_SUBMISSION, method="m").json()["id"]
    create_celery_app(fresh_settings).tasks[score_submission.name].apply(args=[submission_id])
    return submission_id


def _document_reads(sql: str) -> list[str]:
    """Each mention of a result document column in `sql`, with its context."""
    return [
        sql[max(0, m.start() - 40) : m.end() + 40] for m in re.finditer(r"results\.metrics\w*", sql)
    ]


def _whole_document_reads(sql: str) -> list[str]:
    """Each mention of a result document column that is not a JSON path extraction."""
    found = []
    for match in re.finditer(r"results\.metrics\w*", sql):
        before, after = sql[: match.start()].rstrip(), sql[match.end() :].lstrip()
        if not (before.upper().endswith("JSON_EXTRACT(") or after.startswith(("->", "#>"))):
            found.append(sql[max(0, match.start() - 40) : match.end() + 40])
    return found


def _board(settings: Settings, split: Split = "public") -> tuple[list[dict[str, Any]], list[str]]:
    """The board's rows on `split` (with their F1 samples, before ranking), and the SQL
    statements that read them."""
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    engine = get_engine(settings.sqlalchemy_url)
    with session_factory(settings.sqlalchemy_url)() as db:
        phase = build_leaderboard(db).phase
        assert phase is not None
        event.listen(engine, "before_cursor_execute", record)
        try:
            rows = _scored_rows(db, phase, split)
        finally:
            event.remove(engine, "before_cursor_execute", record)
    return rows, statements


def _same_rows(left: list[dict[str, Any]], right: list[dict[str, Any]]) -> None:
    assert [{**row, SAMPLES: None} for row in left] == [{**row, SAMPLES: None} for row in right]
    for one, other in zip(left, right, strict=True):
        assert np.array_equal(one[SAMPLES], other[SAMPLES])


def test_board_reads_its_columns_not_the_documents(fresh_settings: Settings, scored: int) -> None:
    for split in ("public", "private"):
        rows, statements = _board(fresh_settings, split)
        assert [row["submission_id"] for row in rows] == [scored]
        assert rows[0]["f1"] is not None
        assert rows[0][SAMPLES].shape == (1000,)
        assert [hit for sql in statements for hit in _document_reads(sql)] == []


def test_result_without_board_columns_reads_json_paths(
    fresh_settings: Settings, scored: int
) -> None:
    with_columns = {split: _board(fresh_settings, split)[0] for split in ("public", "private")}
    factory = session_factory(fresh_settings.sqlalchemy_url)
    with factory() as db:  # as stored before the columns existed (no ORM hook runs)
        db.execute(update(Result).values(board_public=None, board_private=None))
        db.execute(update(Result).values(board_samples_public=None, board_samples_private=None))
        db.commit()
    for split in ("public", "private"):
        rows, statements = _board(fresh_settings, split)
        _same_rows(rows, with_columns[split])
        assert any(f"results.metrics_{split}" in sql for sql in statements)
        assert [hit for sql in statements for hit in _whole_document_reads(sql)] == []


def test_board_of_another_format_is_read_from_documents(
    fresh_settings: Settings, scored: int
) -> None:
    expected, _ = _board(fresh_settings)
    with session_factory(fresh_settings.sqlalchemy_url)() as db:
        stale = {
            FORMAT_KEY: BOARD_FORMAT - 1,
            **{key: 0.5 for key in expected[0] if key != SAMPLES},
        }
        db.execute(update(Result).values(board_public=stale))
        db.commit()
    rows, statements = _board(fresh_settings)
    _same_rows(rows, expected)
    assert any("results.metrics_public" in sql for sql in statements)


def test_migration_fills_the_columns_of_scored_results(
    fresh_settings: Settings, scored: int
) -> None:
    url = fresh_settings.sqlalchemy_url
    expected = {split: _board(fresh_settings, split)[0] for split in ("public", "private")}
    command.downgrade(alembic_config(url), "0013")
    command.upgrade(alembic_config(url), "head")
    with session_factory(url)() as db:
        result = db.scalars(select(Result).where(Result.submission_id == scored)).one()
        public, private = result.metrics_public, result.metrics_private
        assert public is not None
        assert private is not None
        stored = {
            name: getattr(result, name) for name in board_columns(result.metrics, public, private)
        }
        assert stored == board_columns(result.metrics, public, private)
        assert stored["board_samples_private"] is not None
    for split in ("public", "private"):
        rows, statements = _board(fresh_settings, split)
        _same_rows(rows, expected[split])
        assert [hit for sql in statements for hit in _document_reads(sql)] == []


def test_rewritten_result_shows_its_new_figures(fresh_settings: Settings, scored: int) -> None:
    factory = session_factory(fresh_settings.sqlalchemy_url)
    with factory() as db:
        before = build_leaderboard(db).rows[0]
    assert before["f1"] is not None
    with factory() as db:  # as a re-delivered scoring rewrites the same row
        result = db.scalars(select(Result).where(Result.submission_id == scored)).one()
        assert result.metrics_public is not None
        public = dict(result.metrics_public)
        public["localization"] = {**public["localization"], "f1": 0.123456, "TP": 4242}
        result.metrics_public = public
        result.updated_at = utcnow()
        db.commit()
    with factory() as db:
        after = build_leaderboard(db).rows[0]
    assert (after["f1"], after["TP"]) == (0.1235, 4242)
