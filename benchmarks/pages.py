"""Benchmark of the web pages' heavy paths on a SHREC-size result; prints its figures.

The result: the real SHREC'19 test list (2,540 particles, its hitbox rebuilt from the list)
scored against a 5,000-line submission with angles and scores (hits with jitter and wrong
classes, background picks), so the precision–recall curves have thousands of points.
Timed (median of repeats): the report view model, each SVG figure, and whole pages rendered
through the app in-process (report, leaderboard with 50 scored entries), without a network.

Run: ``.venv/bin/python benchmarks/pages.py``
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

# this folder's baselines.py would shadow the baselines package the app imports
HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

from app.services.report import build_report  # noqa: E402
from app.services.report_figure_cache import result_figure_svg  # noqa: E402
from app.services.report_figures import FIGURES, render_figure  # noqa: E402
from evaluation import CLASSES, load_ground_truth, parse_submission, score  # noqa: E402

SHREC19_LIST = Path(__file__).parents[1] / "tests/data/shrec19/particle_locations_model_9.txt"
PREDICTIONS = 5000
ENTRIES = 50


def shrec_size_result() -> dict[str, Any]:
    """A full evaluator result for a SHREC-size submission."""
    truth = load_ground_truth(SHREC19_LIST, profile="shrec19", rebuild_hitbox=True, z_offset=0)
    rows = [line.split() for line in SHREC19_LIST.read_text().splitlines() if line.strip()]
    rng = np.random.default_rng(0)
    lines = []
    for _ in range(PREDICTIONS):
        if rng.random() < 0.6:
            row = rows[int(rng.integers(len(rows)))]
            z, y, x = (float(v) + rng.normal(0, 1.0) for v in row[1:4])
            name = row[0] if rng.random() < 0.7 else CLASSES[int(rng.integers(12))]
        else:
            z, y, x = rng.uniform(0, 199), rng.uniform(0, 511), rng.uniform(0, 511)
            name = CLASSES[int(rng.integers(12))]
        angles = " ".join(f"{a:.1f}" for a in rng.uniform(-180, 180, 3))
        lines.append(f"{name} {z:.2f} {y:.2f} {x:.2f} {angles} {rng.random():.4f}")
    text = "\n".join(lines) + "\n"
    submission = parse_submission(text, profile="shrec19", filename="picks.txt")
    return score(truth, submission).to_dict()


def median_ms(action: Callable[[], object], repeats: int) -> float:
    """Median wall time of `action` in milliseconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def fill_board(db: Any, result: dict[str, Any], split_samples: Any = None) -> Any:
    """A version, its phase and `ENTRIES` scored submissions whose result is `result`; with
    `split_samples` (a NumPy generator) each also gets public and private parts with their
    own F1 samples. Returns the phase."""
    from app.models import DatasetVersion, Phase, Result, Submission, User
    from app.services.disclosure import SAMPLES

    version = DatasetVersion(name="bench", seed=1, status="ready", is_active=True)
    db.add(version)
    db.flush()
    phase = Phase(dataset_version_id=version.id, name="bench")
    db.add(phase)
    db.flush()
    for index in range(ENTRIES):
        user = User(username=f"user{index}", email=f"u{index}@x.org", password_hash="-")
        db.add(user)
        db.flush()
        submission = Submission(
            user_id=user.id,
            dataset_version_id=version.id,
            phase_id=phase.id,
            method=f"method {index}",
            file_sha256="0" * 64,
            file_bytes=1,
            predictions=PREDICTIONS,
            status="scored",
        )
        db.add(submission)
        db.flush()
        parts = {
            part: {**result, SAMPLES: split_samples.uniform(0.4, 0.6, 1000).round(6).tolist()}
            for part in ("public", "private")
            if split_samples is not None
        }
        db.add(
            Result(
                submission_id=submission.id,
                dataset_version_id=version.id,
                ground_truth_checksum=str(index),
                evaluator_version="bench",
                metrics=result,
                metrics_public=parts.get("public"),
                metrics_private=parts.get("private"),
            )
        )
    db.commit()
    return phase


def page_timings(result: dict[str, Any]) -> dict[str, float]:
    """Render the report and leaderboard pages through the app, in-process."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    from app.core.config import Settings
    from app.db import session_factory
    from app.main import create_app
    from app.migrate import upgrade_database
    from app.models import User
    from app.services.leaderboard import build_leaderboard

    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(data_dir=Path(folder))
        upgrade_database(settings.sqlalchemy_url)
        with session_factory(settings.sqlalchemy_url)() as db:
            fill_board(db, result)
        with TestClient(create_app(settings)) as client:
            client.post(
                "/api/v1/users",
                json={"username": "viewer", "email": "v@x.org", "password": "quiet lantern pages"},
            )
            # the first account is the benchmark's viewer: make it an organizer to see reports
            with session_factory(settings.sqlalchemy_url)() as db:
                viewer = db.query(User).filter_by(username="viewer").one()
                viewer.role = "organizer"
                db.commit()
            client.get("/login")
            token = client.get("/login").text.split('name="csrf_token" value="')[1].split('"')[0]
            client.post(
                "/login",
                data={"csrf_token": token, "username": "viewer", "password": "quiet lantern pages"},
            )
            with session_factory(settings.sqlalchemy_url)() as db:
                service_ms = median_ms(lambda: build_leaderboard(db), 10)
            return {
                f"leaderboard rows from the database (build_leaderboard), {ENTRIES} entries": (
                    service_ms
                ),
                "report page (HTML only)": median_ms(lambda: client.get("/submissions/1"), 10),
                f"leaderboard page, {ENTRIES} entries": median_ms(
                    lambda: client.get("/leaderboard"), 10
                ),
                "report page + its 3 figures": median_ms(
                    lambda: [
                        client.get(path)
                        for path in (
                            "/submissions/1",
                            *(f"/submissions/1/figures/{name}.svg" for name in FIGURES),
                        )
                    ],
                    5,
                ),
            }


def main() -> None:
    """Print the figures."""
    start = time.perf_counter()
    result = shrec_size_result()
    points = len(result["ranking"]["localization"]["thresholds"])
    print(f"case: 2540 particles, {PREDICTIONS} predictions, PR curve of {points} points")
    print(f"  (scoring the case took {time.perf_counter() - start:.1f} s)")
    print(f"report view model: {median_ms(lambda: build_report(result), 20):.1f} ms")
    for name in FIGURES:
        svg = render_figure(name, result) or ""
        elapsed = median_ms(lambda name=name: render_figure(name, result), 5)
        print(f"figure {name}: {elapsed:.0f} ms, {len(svg) / 1024:.0f} KiB of SVG")
    with tempfile.TemporaryDirectory() as folder:
        for name in FIGURES:
            result_figure_svg(Path(folder), 1, name, result)  # drawn and stored once
            cached = median_ms(
                lambda name=name: result_figure_svg(Path(folder), 1, name, result), 20
            )
            print(f"figure {name}, later requests (read from its file): {cached:.1f} ms")
    for label, elapsed in page_timings(result).items():
        print(f"{label}: {elapsed:.0f} ms")


if __name__ == "__main__":
    main()
