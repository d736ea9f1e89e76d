"""The CZII (Kaggle 2024-25, "CryoET Object Identification") score, exactly as the
competition computed it.

Facts of its public metric (carried here, not its code): for each experiment and each
particle type of the solution, a reference particle is found when a candidate of its type
lies within ``multiplier x radius`` Å of it (a ball query: distance <= r); TP counts the
references found (each once, however many candidates found it), FP = candidates - TP and
FN = references - TP (so a candidate that finds two references makes FP negative, as in the
competition); counts are summed over experiments; per type ``precision = TP / (TP + FP)``,
``recall = TP / (TP + FN)`` (0 when the denominator is 0) and ``F-beta = (1 + b²) P R /
(b² P + R)`` (0 when P + R = 0); the score is ``sum(weight x F-beta) / sum(all weights)``
over the solution's types. Candidates of experiments absent from the solution are dropped;
an unknown particle type rejects the file. Defaults: beta 4, multiplier 0.5, radii and
weights in :data:`CZII_TABLE`.

Points are read from a Kaggle CSV (``experiment,particle_type,x,y,z`` in Å) or from copick
picks (one file, a JSON list, or a folder / copick project: every
``ExperimentRuns/<run>/Picks/*.json`` under it, the run naming the experiment).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from evaluation.errors import SubmissionError
from evaluation.profiles import CZII

# particle type -> (radius in Å, weight), the competition's table
CZII_TABLE: Final = MappingProxyType(
    {
        "apo-ferritin": (60.0, 1.0),
        "beta-amylase": (65.0, 0.0),
        "beta-galactosidase": (90.0, 2.0),
        "ribosome": (150.0, 1.0),
        "thyroglobulin": (130.0, 2.0),
        "virus-like-particle": (135.0, 1.0),
    }
)


@dataclass(frozen=True)
class CziiPoints:
    """Points of one file: experiment and particle type per point, x y z in Å, the line
    (or point number) of each for messages."""

    experiments: list[str]
    types: list[str]
    coords: npt.NDArray[np.float64]
    lines: list[int]

    def __len__(self) -> int:
        return len(self.types)


@dataclass(frozen=True)
class CziiParameters:
    """Radii (Å) and weights per particle type, the distance multiplier and beta."""

    radii: dict[str, float] = field(
        default_factory=lambda: {k: v[0] for k, v in CZII_TABLE.items()}
    )
    weights: dict[str, float] = field(
        default_factory=lambda: {k: v[1] for k, v in CZII_TABLE.items()}
    )
    multiplier: float = 0.5
    beta: float = 4.0

    def __post_init__(self) -> None:
        if set(self.radii) != set(self.weights):
            raise ValueError("radii and weights must name the same particle types")
        if not self.multiplier > 0 or not self.beta > 0:
            raise ValueError("multiplier and beta must be positive")
        if any(not r > 0 for r in self.radii.values()) or any(w < 0 for w in self.weights.values()):
            raise ValueError("radii must be positive and weights not negative")
        if not sum(self.weights.values()) > 0:
            raise ValueError("the weights must not all be zero")


@dataclass(frozen=True)
class CziiClass:
    """Counts and figures of one particle type, summed over experiments."""

    tp: int
    fp: int
    fn: int
    precision: float
    recall: float
    fbeta: float


@dataclass(frozen=True)
class CziiResult:
    """The CZII score and its per-type table."""

    score: float
    per_class: dict[str, CziiClass]
    parameters: CziiParameters
    experiments: list[str]

    def to_dict(self) -> dict[str, Any]:
        """``{"profile": "czii", "czii": {score, per_class, beta, multiplier, radii,
        weights, experiments}}``."""
        return {
            "profile": CZII,
            "czii": {
                "score": self.score,
                "per_class": {
                    name: {
                        "tp": c.tp,
                        "fp": c.fp,
                        "fn": c.fn,
                        "precision": c.precision,
                        "recall": c.recall,
                        "fbeta": c.fbeta,
                    }
                    for name, c in self.per_class.items()
                },
                "beta": self.parameters.beta,
                "multiplier": self.parameters.multiplier,
                "radii": dict(self.parameters.radii),
                "weights": dict(self.parameters.weights),
                "experiments": self.experiments,
            },
        }

    def to_text(self) -> str:
        """A readable table."""
        lines = [
            f"CZII score {self.score:.4f} (beta {self.parameters.beta:g}, multiplier "
            f"{self.parameters.multiplier:g}, {len(self.experiments)} experiment(s))",
            "",
        ]
        lines.append(
            f"{'particle type':<22}{'TP':>6}{'FP':>6}{'FN':>6}{'P':>9}{'R':>9}{'F-beta':>9}"
        )
        for name, c in self.per_class.items():
            lines.append(
                f"{name:<22}{c.tp:>6}{c.fp:>6}{c.fn:>6}{c.precision:>9.4f}{c.recall:>9.4f}"
                f"{c.fbeta:>9.4f}"
            )
        return "\n".join(lines) + "\n"


def czii_score(
    solution: CziiPoints, submission: CziiPoints, parameters: CziiParameters | None = None
) -> CziiResult:
    """Score ``submission`` against ``solution`` as the competition did.

    Raises:
        SubmissionError: a submitted particle type the table lacks (names the line).
        ValueError: a solution type the table lacks.
    """
    from scipy.spatial import cKDTree

    parameters = parameters or CziiParameters()
    for name in dict.fromkeys(solution.types):
        if name not in parameters.radii:
            raise ValueError(f"solution particle type {name!r} has no radius in the table")
    experiments = sorted(set(solution.experiments))
    if len(experiments) == 1 and not any(submission.experiments):  # picks naming no run
        submission = CziiPoints(
            [experiments[0]] * len(submission),
            submission.types,
            submission.coords,
            submission.lines,
        )
    kept = [i for i, e in enumerate(submission.experiments) if e in set(experiments)]
    for i in kept:
        if submission.types[i] not in parameters.radii:
            known = ", ".join(parameters.radii)
            raise SubmissionError(
                f"unknown particle_type {submission.types[i]!r} (known: {known})",
                submission.lines[i],
            )
    per_class: dict[str, CziiClass] = {}
    total = 0.0
    beta2 = parameters.beta**2
    for name in dict.fromkeys(solution.types):
        radius = parameters.radii[name] * parameters.multiplier
        tp = fp = fn = 0
        for experiment in experiments:
            references = _select(solution, experiment, name, range(len(solution)))
            candidates = _select(submission, experiment, name, kept)
            if len(references) == 0:
                fp += len(candidates)
                continue
            if len(candidates) == 0:
                fn += len(references)
                continue
            found = cKDTree(candidates).query_ball_tree(cKDTree(references), r=radius)
            matched = len({index for hits in found for index in hits})
            tp += matched
            fp += len(candidates) - matched
            fn += len(references) - matched
        precision = tp / (tp + fp) if tp + fp > 0 else 0.0
        recall = tp / (tp + fn) if tp + fn > 0 else 0.0
        denominator = beta2 * precision + recall
        fbeta = (1 + beta2) * precision * recall / denominator if precision + recall > 0 else 0.0
        per_class[name] = CziiClass(tp, fp, fn, precision, recall, fbeta)
        total += parameters.weights[name] * fbeta
    score = total / math.fsum(parameters.weights.values())
    return CziiResult(score, per_class, parameters, experiments)


def _select(points: CziiPoints, experiment: str, name: str, rows: Any) -> npt.NDArray[np.float64]:
    chosen = [i for i in rows if points.experiments[i] == experiment and points.types[i] == name]
    return points.coords[chosen] if chosen else np.zeros((0, 3))


def read_czii_points(path: Path, *, what: str = "submission") -> CziiPoints:
    """Points from a Kaggle CSV, a copick picks file (or JSON list), or a folder of copick
    picks (``ExperimentRuns/<run>/Picks/*.json``).

    Raises:
        SubmissionError: a file that is neither, a bad number (names the line or point).
    """
    from evaluation.formats.copick import read_copick, read_kaggle
    from evaluation.formats.decode import read_text, split_lines

    if path.is_dir():
        return _read_copick_folder(path, what)
    text = read_text(path, max_bytes=None)
    lines = split_lines(text, max_lines=None)
    first = next((line.strip() for line in lines if line.strip()), "")
    if first.startswith(("{", "[")):
        picks = read_copick(text)
        names = picks.labels or [picks.object_name or ""] * len(picks.coords)
        runs = picks.tomograms or [""] * len(picks.coords)
        return CziiPoints(
            list(runs), [n.lower() for n in names], picks.coords, picks.lines.tolist()
        )
    if not first:
        raise SubmissionError(f"no points: the {what} file is empty")
    picks = read_kaggle(lines)
    return CziiPoints(
        list(picks.tomograms or []),
        [(label or "").lower() for label in picks.labels or []],
        picks.coords,
        picks.lines.tolist(),
    )


def _read_copick_folder(folder: Path, what: str) -> CziiPoints:
    from evaluation.formats.copick import read_copick

    files = sorted(folder.rglob("ExperimentRuns/*/Picks/*.json"))
    if not files:
        raise SubmissionError(
            f"{folder}: no ExperimentRuns/<run>/Picks/*.json in the {what} folder"
        )
    experiments: list[str] = []
    types: list[str] = []
    coords: list[npt.NDArray[np.float64]] = []
    lines: list[int] = []
    for file in files:
        try:
            picks = read_copick(file.read_text(encoding="utf-8"))
        except SubmissionError as error:
            raise SubmissionError(f"{file.relative_to(folder)}: {error}") from None
        name = (picks.object_name or file.stem).lower()
        run = file.parent.parent.name
        experiments += [run] * len(picks.coords)
        types += [name] * len(picks.coords)
        coords.append(picks.coords)
        lines += picks.lines.tolist()
    return CziiPoints(experiments, types, np.concatenate(coords), lines)


def parse_table(values: tuple[str, ...], what: str) -> dict[str, float]:
    """``NAME=VALUE`` pairs (command-line options) as a dict.

    Raises:
        ValueError: a pair without ``=`` or a value that is not a number.
    """
    table: dict[str, float] = {}
    for pair in values:
        name, separator, value = pair.partition("=")
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not separator or not name or not math.isfinite(number):
            raise ValueError(f"{what}: expected NAME=NUMBER, got {pair!r}")
        table[name.strip().lower()] = number
    return table


def dump(result: CziiResult) -> str:
    """The result as one JSON document."""
    return json.dumps(result.to_dict(), indent=2)
