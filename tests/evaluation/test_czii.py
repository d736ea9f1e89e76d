"""The czii profile: the Kaggle CZII score on hand-computed cases, and agreement with a
brute-force reading of the competition's published semantics on random cases."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from app.cli import main
from evaluation import SubmissionError
from evaluation.czii import CziiParameters, CziiPoints, czii_score

RADII = {
    "apo-ferritin": 60,
    "beta-amylase": 65,
    "beta-galactosidase": 90,
    "ribosome": 150,
    "thyroglobulin": 130,
    "virus-like-particle": 135,
}
WEIGHTS = {
    "apo-ferritin": 1,
    "beta-amylase": 0,
    "beta-galactosidase": 2,
    "ribosome": 1,
    "thyroglobulin": 2,
    "virus-like-particle": 1,
}


def points(*rows: tuple[str, str, float, float, float]) -> CziiPoints:
    return CziiPoints(
        [r[0] for r in rows],
        [r[1] for r in rows],
        np.array([r[2:] for r in rows], dtype=np.float64).reshape(-1, 3),
        list(range(2, len(rows) + 2)),
    )


def fbeta(precision: float, recall: float, beta: float = 4.0) -> float:
    if precision + recall == 0:
        return 0.0
    return (1 + beta**2) * precision * recall / (beta**2 * precision + recall)


def test_duplicate_candidates_count_one_tp_and_one_fp() -> None:
    solution = points(("TS_1", "ribosome", 0, 0, 0))
    submission = points(("TS_1", "ribosome", 10, 0, 0), ("TS_1", "ribosome", 0, 10, 0))
    result = czii_score(solution, submission)
    row = result.per_class["ribosome"]
    assert (row.tp, row.fp, row.fn) == (1, 1, 0)
    assert row.fbeta == pytest.approx(17 * 0.5 / (16 * 0.5 + 1))  # 0.9444
    assert result.score == pytest.approx(row.fbeta * 1 / 7)


def test_a_candidate_between_two_references_finds_both() -> None:
    """The competition counts references found: one candidate, TP 2, FP 1 - 2 = -1."""
    solution = points(("TS_1", "apo-ferritin", 0, 0, 0), ("TS_1", "apo-ferritin", 50, 0, 0))
    submission = points(("TS_1", "apo-ferritin", 25, 0, 0))
    row = czii_score(solution, submission).per_class["apo-ferritin"]
    assert (row.tp, row.fp, row.fn) == (2, -1, 0)
    assert row.precision == 2.0
    assert row.fbeta == pytest.approx(17 * 2 / (16 * 2 + 1))


def test_the_ball_includes_its_surface() -> None:
    solution = points(("TS_1", "apo-ferritin", 0, 0, 0))
    on = czii_score(solution, points(("TS_1", "apo-ferritin", 30, 0, 0)))
    off = czii_score(solution, points(("TS_1", "apo-ferritin", 30.001, 0, 0)))
    assert on.per_class["apo-ferritin"].tp == 1
    assert off.per_class["apo-ferritin"].tp == 0


def test_empty_classes_and_experiments() -> None:
    solution = points(
        ("TS_1", "thyroglobulin", 0, 0, 0),
        ("TS_1", "thyroglobulin", 500, 0, 0),
        ("TS_2", "ribosome", 0, 0, 0),
    )
    submission = points(
        ("TS_2", "thyroglobulin", 0, 0, 0),  # no thyroglobulin in TS_2: a false positive
        ("TS_2", "ribosome", 5, 5, 5),
        ("TS_1", "virus-like-particle", 0, 0, 0),  # a type the solution lacks: no row
        ("TS_9", "ribosome", 0, 0, 0),  # an experiment the solution lacks: dropped
    )
    result = czii_score(solution, submission)
    assert set(result.per_class) == {"thyroglobulin", "ribosome"}
    thyro = result.per_class["thyroglobulin"]
    assert (thyro.tp, thyro.fp, thyro.fn, thyro.fbeta) == (0, 1, 2, 0.0)
    ribosome = result.per_class["ribosome"]
    assert (ribosome.tp, ribosome.fp, ribosome.fn, ribosome.fbeta) == (1, 0, 0, 1.0)
    assert result.score == pytest.approx(1 / 7)  # all weights divide, scored or not


def test_weight_zero_changes_nothing() -> None:
    solution = points(("TS_1", "beta-amylase", 0, 0, 0), ("TS_1", "ribosome", 0, 0, 0))
    found = czii_score(solution, points(("TS_1", "beta-amylase", 0, 0, 0)))
    missed = czii_score(solution, points(("TS_1", "beta-amylase", 900, 0, 0)))
    assert found.per_class["beta-amylase"].fbeta == 1.0
    assert found.score == missed.score == 0.0


def test_every_value_is_configurable() -> None:
    solution = points(("TS_1", "ribosome", 0, 0, 0))
    submission = points(("TS_1", "ribosome", 100, 0, 0))
    assert czii_score(solution, submission).per_class["ribosome"].tp == 0  # 100 > 75
    wider = CziiParameters(multiplier=0.7)  # 105 Å
    assert czii_score(solution, submission, wider).per_class["ribosome"].tp == 1
    only = CziiParameters(weights={**WEIGHTS, "ribosome": 2.0}, radii=dict(RADII), beta=1.0)
    assert czii_score(solution, points(("TS_1", "ribosome", 1, 0, 0)), only).score == (
        pytest.approx(2 / 8)
    )


def test_unknown_particle_type_names_its_line() -> None:
    solution = points(("TS_1", "ribosome", 0, 0, 0))
    with pytest.raises(SubmissionError, match="line 3: unknown particle_type 'proteasome'"):
        czii_score(solution, points(("TS_1", "ribosome", 0, 0, 0), ("TS_1", "proteasome", 0, 0, 0)))


def brute_force(solution: CziiPoints, submission: CziiPoints) -> float:
    """The published semantics with a full distance matrix (no tree), written apart."""
    experiments = set(solution.experiments)
    total = 0.0
    for name in dict.fromkeys(solution.types):
        tp = fp = fn = 0
        for experiment in experiments:
            ref = [
                c
                for e, t, c in zip(
                    solution.experiments, solution.types, solution.coords, strict=True
                )
                if e == experiment and t == name
            ]
            cand = [
                c
                for e, t, c in zip(
                    submission.experiments, submission.types, submission.coords, strict=True
                )
                if e == experiment and t == name
            ]
            if not ref:
                fp += len(cand)
                continue
            if not cand:
                fn += len(ref)
                continue
            distances = np.linalg.norm(np.array(cand)[:, None] - np.array(ref)[None], axis=2)
            found = int(np.count_nonzero((distances <= RADII[name] * 0.5).any(axis=0)))
            tp, fp, fn = tp + found, fp + len(cand) - found, fn + len(ref) - found
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        total += WEIGHTS[name] * fbeta(precision, recall)
    return total / sum(WEIGHTS.values())


@pytest.mark.parametrize("seed", range(20))
def test_agrees_with_the_published_semantics_on_random_cases(seed: int) -> None:
    rng = np.random.default_rng(seed)
    names = list(RADII)

    def random_points(count: int, spread: float) -> CziiPoints:
        return CziiPoints(
            [f"TS_{int(i)}" for i in rng.integers(0, 3, count)],
            [names[int(i)] for i in rng.integers(0, len(names), count)],
            rng.uniform(0, spread, (count, 3)),
            list(range(count)),
        )

    solution = random_points(int(rng.integers(1, 60)), 1500)
    near = solution.coords + rng.normal(0, 40, solution.coords.shape)
    keep = rng.random(len(solution)) < 0.7
    noise = random_points(int(rng.integers(0, 40)), 1500)
    submission = CziiPoints(
        [e for e, k in zip(solution.experiments, keep, strict=True) if k] + noise.experiments,
        [t for t, k in zip(solution.types, keep, strict=True) if k] + noise.types,
        np.concatenate([near[keep], noise.coords]),
        list(range(int(keep.sum()) + len(noise))),
    )
    assert czii_score(solution, submission).score == pytest.approx(
        brute_force(solution, submission)
    )


def write_copick_project(folder: Path) -> None:
    """A copick project with the picks of two runs (the layout of the Kaggle overlay)."""
    folder.mkdir(parents=True)
    (folder / "copick_config.json").write_text(json.dumps({"name": "czii", "pickable_objects": []}))
    for run, name, location in (
        ("TS_1", "ribosome", (1000.0, 1000.0, 500.0)),
        ("TS_1", "apo-ferritin", (200.0, 300.0, 400.0)),
        ("TS_2", "thyroglobulin", (640.0, 480.0, 320.0)),
    ):
        picks = folder / "overlay" / "ExperimentRuns" / run / "Picks"
        picks.mkdir(parents=True, exist_ok=True)
        document = {
            "pickable_object_name": name,
            "user_id": "curation",
            "session_id": "0",
            "run_name": run,
            "points": [{"location": dict(zip("xyz", location, strict=True))}],
        }
        (picks / f"{name}.json").write_text(json.dumps(document))


def test_cli_czii_with_a_copick_project_and_a_kaggle_csv(tmp_path: Path) -> None:
    project = tmp_path / "project"
    write_copick_project(project)
    submission = tmp_path / "submission.csv"
    submission.write_text(
        "id,experiment,particle_type,x,y,z\n"
        "0,TS_1,ribosome,1010,1000,500\n"
        "1,TS_1,apo-ferritin,200,300,460\n"  # 60 Å away: outside 30 Å
        "2,TS_2,thyroglobulin,640,480,320\n"
    )
    result = CliRunner().invoke(
        main, ["evaluate", str(project), str(submission), "--profile", "czii", "--json"]
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)["czii"]
    assert document["per_class"]["ribosome"] == {
        "tp": 1,
        "fp": 0,
        "fn": 0,
        "precision": 1.0,
        "recall": 1.0,
        "fbeta": 1.0,
    }
    assert document["per_class"]["apo-ferritin"]["tp"] == 0
    assert document["score"] == pytest.approx((1 * 1 + 2 * 1) / 7)
    solution = tmp_path / "solution.csv"
    solution.write_text(
        "id,experiment,particle_type,x,y,z\n0,TS_1,ribosome,1000,1000,500\n"
        "1,TS_1,apo-ferritin,200,300,400\n2,TS_2,thyroglobulin,640,480,320\n"
    )
    again = CliRunner().invoke(
        main,
        [
            "evaluate",
            str(solution),
            str(submission),
            "--profile",
            "czii",
            "--json",
            "--czii-weight",
            "apo-ferritin=0",
        ],
    )
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["czii"]["score"] == pytest.approx(3 / 6)
    text = CliRunner().invoke(
        main, ["evaluate", str(solution), str(submission), "--profile", "czii"]
    )
    assert text.stdout.startswith("CZII score 0.4286")
    assert not math.isnan(document["score"])
