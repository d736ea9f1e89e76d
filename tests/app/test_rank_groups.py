"""Rank groups and the Ladder on a phase's board, from hand-made results (figures and
bootstrap samples chosen so the answer is known): no worker needed."""

from __future__ import annotations

import uuid

import numpy as np
from sqlalchemy import select

from app.core.config import Settings
from app.db import session_factory
from app.models import Phase, Result, Submission, SubmissionStatus, User
from app.services.leaderboard import build_leaderboard
from tests.app.support import install_dataset

NOISE = np.random.default_rng(5).normal(0, 0.01, size=200)


def _document(f1: float, samples: np.ndarray, part: str) -> dict[str, object]:
    return {
        "split": part,
        "localization": {"f1": f1, "TP": 1},
        "bootstrap_f1_samples": [round(float(v), 6) for v in samples],
    }


def _entry(db: object, phase: Phase, user: User, f1: float, samples: np.ndarray) -> int:
    """A scored submission of `user` in `phase` with the same figures on both parts."""
    submission = Submission(
        user_id=user.id,
        dataset_version_id=phase.dataset_version_id,
        phase_id=phase.id,
        method="m",
        file_sha256="0" * 64,
        file_bytes=1,
        predictions=1,
        status=SubmissionStatus.SCORED,
    )
    db.add(submission)  # type: ignore[attr-defined]
    db.flush()  # type: ignore[attr-defined]
    db.add(  # type: ignore[attr-defined]
        Result(
            submission_id=submission.id,
            dataset_version_id=phase.dataset_version_id,
            ground_truth_checksum="x",
            evaluator_version="1",
            metrics={"localization": {"f1": f1}},
            metrics_public=_document(f1, samples, "public"),
            metrics_private=_document(f1, samples, "private"),
        )
    )
    return submission.id


def _user(db: object) -> User:
    name = f"u-{uuid.uuid4().hex[:8]}"
    user = User(username=name, email=f"{name}@x.org", password_hash="-")
    db.add(user)  # type: ignore[attr-defined]
    db.flush()  # type: ignore[attr-defined]
    return user


def test_rank_groups_and_the_ladder_on_the_board(fresh_settings: Settings) -> None:
    install_dataset(fresh_settings)
    with session_factory(fresh_settings.sqlalchemy_url)() as db:
        phase = db.scalars(select(Phase)).one()
        phase.ladder, phase.ladder_threshold = "fixed", 0.05
        a, b, c, d = (_user(db) for _ in range(4))
        # a: 0.70 first, then 0.73 (+0.03, within the Ladder's 0.05): 0.70 stays shown
        first_a = _entry(db, phase, a, 0.70, 0.70 + NOISE)
        better_a = _entry(db, phase, a, 0.73, 0.73 + NOISE)
        # b: indistinguishable from a's shown entry on the same resamples
        b_id = _entry(db, phase, b, 0.69, 0.69 + np.random.default_rng(6).normal(0, 0.01, 200))
        # c: far below; d: equal to c on every resample
        c_id = _entry(db, phase, c, 0.30, 0.30 + NOISE)
        d_id = _entry(db, phase, d, 0.29, 0.30 + NOISE)
        db.commit()
        public = build_leaderboard(db, phase_id=phase.id).rows
        assert [row["submission_id"] for row in public] == [first_a, b_id, c_id, d_id]
        assert [row["rank_group"] for row in public] == [1, 1, 3, 3]
        assert all("bootstrap_f1_samples" not in row for row in public)
        # the private board (organizers, or everybody once closed) has no Ladder
        organizer = User(username="o", email="o@x.org", password_hash="-", role="organizer")
        private = build_leaderboard(db, phase_id=phase.id, split="private", viewer=organizer)
        assert private.rows[0]["submission_id"] == better_a
        # without the Ladder the public board shows the best too
        phase.ladder = None
        db.commit()
        plain = build_leaderboard(db, phase_id=phase.id).rows
        assert plain[0]["submission_id"] == better_a
        # past the threshold the shown entry moves
        phase.ladder = "fixed"
        _entry(db, phase, a, 0.80, 0.80 + NOISE)
        db.commit()
        moved = build_leaderboard(db, phase_id=phase.id).rows
        assert moved[0]["f1"] == 0.8
        assert [row["rank_group"] for row in moved] == [1, 2, 3, 3]


def test_the_page_shows_rank_groups_and_the_ladder(fresh_settings: Settings) -> None:
    from starlette.testclient import TestClient

    from app.main import create_app

    install_dataset(fresh_settings)
    with session_factory(fresh_settings.sqlalchemy_url)() as db:
        phase = db.scalars(select(Phase)).one()
        phase.ladder = "bootstrap"
        first, second = _user(db), _user(db)
        _entry(db, phase, first, 0.70, 0.70 + NOISE)
        _entry(db, phase, second, 0.69, 0.69 + NOISE[::-1])
        db.commit()
    with TestClient(create_app(fresh_settings)) as client:
        page = client.get("/leaderboard").text
        assert "tied with #1" in page
        assert "the bootstrap noise of the difference" in page
        rows = client.get("/api/v1/leaderboard").json()["rows"]
        assert [row["rank_group"] for row in rows] == [1, 1]
        assert all("bootstrap_f1_samples" not in row for row in rows)
