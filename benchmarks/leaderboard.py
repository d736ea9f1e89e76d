"""Benchmark of the leaderboard's database reads, three loaders side by side in one run;
prints server times for 50 entries.

Each entry is a SHREC-size result (the case of `benchmarks/pages.py`: 2,540 particles, a
5,000-line submission, precision-recall curves of thousands of points) stored as the service
stores a split result: the whole document and a public and a private part, each part with
its 1,000 bootstrap F1 samples (the rank groups' input). The loaders: every entry's three
documents loaded and parsed in Python (the first version); the parts the board shows read by
SQL JSON paths (`document_figures`, what a result stored without its board columns still
gets); and the board columns every write now derives (`_scored_rows`). Each read runs in a
fresh session, with nothing cached in the process. The three build the same rows, which the
benchmark checks.

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
    Result,
    Submission,
    SubmissionStatus,
)
from app.services.board_figures import metric_row  # noqa: E402
from app.services.disclosure import SAMPLES, Split, split_metrics  # noqa: E402
from app.services.leaderboard import (  # noqa: E402
    _SHOWN_PARTS,
    _scored_rows,
    build_leaderboard,
    document_figures,
)
from app.services.selection import entry_key  # noqa: E402

_spec = importlib.util.spec_from_file_location("bench_pages", HERE / "pages.py")
assert _spec is not None
assert _spec.loader is not None
pages = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(pages)
ENTRIES, median_ms, shrec_size_result = pages.ENTRIES, pages.median_ms, pages.shrec_size_result
FIGURES = tuple(metric_row({}))  # every figure a row shows


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

    def json_paths(db: Session, phase: Phase, split: Split) -> list[dict[str, Any]]:
        version = Result.dataset_version_id == phase.dataset_version_id
        results = db.scalars(select(Result.id).where(version)).all()
        figures = document_figures(db, list(results), split, _SHOWN_PARTS)
        return [{**row, SAMPLES: samples} for row, samples in figures.values()]

    with factory() as db:
        phase = db.get(Phase, phase_id)
        assert phase is not None
        loaded = {
            "documents": whole_document_rows(db, phase, "public"),
            "paths": json_paths(db, phase, "public"),
            "columns": _scored_rows(db, phase, "public"),
        }
        figures = {
            name: sorted(({key: row[key] for key in FIGURES} for row in rows), key=str)
            for name, rows in loaded.items()
        }
        assert figures["documents"] == figures["paths"] == figures["columns"], "loaders disagree"
        samples = {
            name: sorted(list(row[SAMPLES]) for row in rows) for name, rows in loaded.items()
        }
        assert samples["documents"] == samples["paths"] == samples["columns"], "samples differ"

    documents_ms, paths_ms, columns_ms = (
        timed(whole_document_rows),
        timed(json_paths),
        timed(_scored_rows),
    )
    print(f"rows of {ENTRIES} entries, whole documents parsed in Python: {documents_ms:.1f} ms")
    print(f"rows of {ENTRIES} entries, the shown parts by SQL JSON paths: {paths_ms:.1f} ms")
    print(f"rows of {ENTRIES} entries, the board columns (now): {columns_ms:.1f} ms")

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
