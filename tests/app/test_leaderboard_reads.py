"""The leaderboard reads the figures it shows by JSON paths, never whole result documents,
and a result rewritten by a re-delivered scoring shows its new figures."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import event, select
from starlette.testclient import TestClient

from app.core.config import Settings
from app.db import get_engine, session_factory
from app.main import create_app
from app.models import Result, utcnow
from app.queues.celery_app import create_celery_app
from app.services.leaderboard import build_leaderboard
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


def _whole_document_reads(sql: str) -> list[str]:
    """Each mention of a result document column that is not a JSON path extraction."""
    found = []
    for match in re.finditer(r"results\.metrics\w*", sql):
        before, after = sql[: match.start()].rstrip(), sql[match.end() :].lstrip()
        if not (before.upper().endswith("JSON_EXTRACT(") or after.startswith(("->", "#>"))):
            found.append(sql[max(0, match.start() - 40) : match.end() + 40])
    return found


def test_board_reads_json_paths_only(fresh_settings: Settings, scored: int) -> None:
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    engine = get_engine(fresh_settings.sqlalchemy_url)
    event.listen(engine, "before_cursor_execute", record)
    try:
        with session_factory(fresh_settings.sqlalchemy_url)() as db:
            rows = build_leaderboard(db).rows
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert [row["submission_id"] for row in rows] == [scored]
    assert rows[0]["f1"] is not None
    assert any("results.metrics_public" in sql for sql in statements)
    whole = [hit for sql in statements for hit in _whole_document_reads(sql)]
    assert whole == []


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
