"""Benchmark of the leaderboard's database reads: whole result documents against the JSON
paths the board shows, side by side in one run; prints server times for 50 entries.

Each entry is a SHREC-size result (the case of `benchmarks/pages.py`: 2,540 particles, a
5,000-line submission, precision-recall curves of thousands of points) stored as the service
stores a split result: the whole document and a public and a private part, each part with
its 1,000 bootstrap F1 samples (the rank groups' input). "before" is the previous loader
(every entry's three documents loaded and parsed in Python); "after" is
`app.services.leaderboard._scored_rows` (a few JSON paths of one part, extracted by the
database, parsed once per process): timed on a first read (its cache emptied) and on later
reads. Both loaders build the same rows, which the benchmark checks.

Run: ``.venv/bin/python benchmarks/leaderboard.py [--url postgresql+psycopg://.../empty_db]``
(default: a fresh SQLite file).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

# this folder's baselines.py would shadow the baselines package: the repository root comes
# first, and pages.py is loaded by its path
HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

from app.db import session_factory  # noqa: E402
from app.migrate import upgrade_database  # noqa: E402
from app.models import (  # noqa: E402
    Phase,
    Submission,
    SubmissionStatus,
)
from app.services.disclosure import SAMPLES, Split, split_metrics  # noqa: E402
from app.services.leaderboard import (  # noqa: E402
    _FIGURES_CACHE,
    _scored_rows,
    build_leaderboard,
    metric_row,
)
from app.services.selection import entry_key  # noqa: E402

_spec = importlib.util.spec_from_file_location("bench_pages", HERE / "pages.py")
assert _spec is not None
assert _spec.loader is not None
pages = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(pages)
ENTRIES, median_ms, shrec_size_result = pages.ENTRIES, pages.median_ms, pages.shrec_size_result


def whole_document_rows(db: Session, phase: Phase, split: Split) -> list[dict[str, Any]]:
    """The loader before: every entry's results loaded whole, the part picked in Python."""
    query = (
        select(Submission)
        .where(
            Submission.phase_id == phase.id,
            Submission.status == SubmissionStatus.SCORED,
            Submission.hidden.is_(False),
        )
        .options(
            selectinload(Submission.results),
            selectinload(Submission.user),
            selectinload(Submission.team_ref),
        )
    )
    rows = []
    for submission in db.scalars(query):
        result = submission.current_result
        if result is None or result.dataset_version_id != phase.dataset_version_id:
            continue
        metrics = split_metrics(result, split)
        if metrics is None:
            continue
        rows.append(
            {
                "entry": entry_key(submission),
                "method": submission.method,
                "team": submission.team_ref.name if submission.team_ref else None,
                "team_id": submission.team_id,
                "user": submission.user.username,
                "is_baseline": submission.is_baseline,
                "submission_id": submission.id,
                "submitted_at": submission.created_at.isoformat(),
                **metric_row(metrics),
                SAMPLES: metrics.get(SAMPLES),
            }
        )
    return rows


def run(url: str, result: dict[str, Any]) -> None:
    """Fill the database at `url` and print the side-by-side times."""
    upgrade_database(url)
    with session_factory(url)() as db:
        phase = pages.fill_board(db, result, np.random.default_rng(1))
        phase_id = phase.id
    factory = session_factory(url)

    def timed(loader: Any) -> float:
        def once() -> None:
            with factory() as db:  # a fresh session: nothing cached between repeats
                loader(db, db.get(Phase, phase_id), "public")

        return median_ms(once, 10)

    with factory() as db:
        phase = db.get(Phase, phase_id)
        assert phase is not None
        before = whole_document_rows(db, phase, "public")
        after = _scored_rows(db, phase, "public")
        shown = (
            [{**row, SAMPLES: None} for row in before],
            [{**row, SAMPLES: None} for row in after],
        )
        assert sorted(shown[0], key=str) == sorted(shown[1], key=str), "the loaders disagree"
        samples = {row["submission_id"]: row[SAMPLES] for row in after}
        assert all(np.array_equal(row[SAMPLES], samples[row["submission_id"]]) for row in before)

    def first_read(db: Session, phase: Phase, split: Split) -> None:
        _FIGURES_CACHE.clear()  # as a fresh process reads them
        _scored_rows(db, phase, split)

    before_ms, cold_ms, warm_ms = timed(whole_document_rows), timed(first_read), timed(_scored_rows)
    print(f"rows of {ENTRIES} entries, before (whole documents): {before_ms:.1f} ms")
    print(f"rows of {ENTRIES} entries, after, first read (JSON paths): {cold_ms:.1f} ms")
    print(f"rows of {ENTRIES} entries, after, later reads (parsed once): {warm_ms:.1f} ms")

    def board(db: Session, phase: Phase, split: Split) -> None:
        build_leaderboard(db, phase_id=phase.id, split=split)

    print(f"build_leaderboard, {ENTRIES} entries (ranks, rank groups): {timed(board):.1f} ms")


def main() -> None:
    """Parse the arguments, build the case, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="SQLAlchemy URL of an empty database (default: SQLite)")
    arguments = parser.parse_args()
    result = shrec_size_result()
    print(f"load average: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    if arguments.url:
        print(f"database: {arguments.url.split('://')[0]}")
        run(arguments.url, result)
        return
    with tempfile.TemporaryDirectory() as folder:
        print("database: sqlite")
        run(f"sqlite:///{Path(folder) / 'bench.sqlite'}", result)


if __name__ == "__main__":
    main()
