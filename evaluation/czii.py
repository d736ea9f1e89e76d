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

A dataset version scored with this profile (a real-data track imported from a copick
project) keeps, in each test run's folder, the hidden reference points as a Kaggle solution
CSV (:data:`SOLUTION`) and the table in its ``metadata.json`` (:data:`PARAMETERS_KEY`);
:func:`load_czii_hidden_test` reads them back and :class:`CziiSplit` cuts them in a public
and a private part, as the hitbox profiles' hidden tests are cut (evaluation/split.py).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from evaluation.errors import SubmissionError
from evaluation.profiles import CZII
from evaluation.version import EVALUATOR_VERSION

# a test run's hidden reference points and a training run's picks: Kaggle CSV, Å
SOLUTION: Final = "solution.csv"
PICKS: Final = "picks.csv"
# the key of a run's metadata.json that holds the version's table (CziiParameters.document)
PARAMETERS_KEY: Final = "czii"
KAGGLE_HEADER: Final = ("experiment", "particle_type", "x", "y", "z")

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

    def document(self) -> dict[str, Any]:
        """The table as JSON: ``radii``, ``weights``, ``multiplier``, ``beta``."""
        return {
            "radii": dict(self.radii),
            "weights": dict(self.weights),
            "multiplier": self.multiplier,
            "beta": self.beta,
        }

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> CziiParameters:
        """The table :meth:`document` wrote.

        Raises:
            ValueError: a missing key or a value the table refuses.
        """
        try:
            return cls(
                radii={str(k): float(v) for k, v in document["radii"].items()},
                weights={str(k): float(v) for k, v in document["weights"].items()},
                multiplier=float(document["multiplier"]),
                beta=float(document["beta"]),
            )
        except (KeyError, TypeError, AttributeError) as error:
            raise ValueError(f"not a CZII table ({error!r})") from None


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
    submission = _named(submission, experiments)
    kept = [i for i, e in enumerate(submission.experiments) if e in set(experiments)]
    _check_types(submission, parameters, kept)
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
    chosen = _rows(points, experiment, name, rows)
    return points.coords.reshape(-1, 3)[chosen]


def _named(points: CziiPoints, experiments: list[str]) -> CziiPoints:
    """Picks naming no run (a copick file of one run) counted for a single-run solution."""
    if len(experiments) != 1 or any(points.experiments):
        return points
    return CziiPoints([experiments[0]] * len(points), points.types, points.coords, points.lines)


def _check_types(points: CziiPoints, parameters: CziiParameters, rows: Any) -> None:
    """Refuse a point whose particle type the table lacks (naming its line)."""
    for i in rows:
        if points.types[i] not in parameters.radii:
            known = ", ".join(parameters.radii)
            raise SubmissionError(
                f"unknown particle_type {points.types[i]!r} (known: {known})", points.lines[i]
            )


def read_czii_points(
    source: Path | bytes,
    *,
    what: str = "submission",
    max_bytes: int | None = None,
    max_lines: int | None = None,
) -> CziiPoints:
    """Points from a Kaggle CSV, a copick picks file (or JSON list), or a folder of copick
    picks (``ExperimentRuns/<run>/Picks/*.json``); ``source`` is a path or a file's bytes
    (an upload, read within ``max_bytes`` and ``max_lines``).

    Raises:
        SubmissionError: a file that is neither, a bad number (names the line or point),
            over the limits.
    """
    from evaluation.formats.copick import read_copick, read_kaggle
    from evaluation.formats.decode import read_text, split_lines

    if isinstance(source, Path) and source.is_dir():
        return _read_copick_folder(source, what)
    text = read_text(source, max_bytes=max_bytes)
    lines = split_lines(text, max_lines=max_lines)
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


def points_csv(points: CziiPoints) -> str:
    """The points as a Kaggle solution CSV (``experiment,particle_type,x,y,z``, Å), the
    form :func:`read_czii_points` reads back to the same values (17 significant digits)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(KAGGLE_HEADER)
    for experiment, name, (x, y, z) in zip(
        points.experiments, points.types, points.coords.tolist(), strict=True
    ):
        writer.writerow((experiment, name, repr(x), repr(y), repr(z)))
    return out.getvalue()


@dataclass(frozen=True)
class CziiHiddenTest:
    """A version's hidden test as the CZII profile scores it: the reference points of its
    test runs (each run an experiment), the table, the runs' names and a checksum of both."""

    solution: CziiPoints
    parameters: CziiParameters
    names: list[str]
    checksum: str
    # each run's tomogram: extent (x, y, z Å) and voxel size (Å), for the frame check
    extents: dict[str, tuple[float, float, float]] = field(default_factory=dict)
    voxel_sizes: dict[str, float] = field(default_factory=dict)

    def score(self, submission: CziiPoints) -> dict[str, Any]:
        """The result document: :meth:`CziiResult.to_dict` with the checksum and the
        evaluator's version, as every result of the service carries them."""
        return _document(czii_score(self.solution, submission, self.parameters), self.checksum)


def _document(result: CziiResult, checksum: str) -> dict[str, Any]:
    return {
        **result.to_dict(),
        "evaluator_version": EVALUATOR_VERSION,
        "ground_truth_checksum": checksum,
    }


def load_czii_hidden_test(folders: Mapping[str, Path]) -> CziiHiddenTest:
    """The hidden test of the test runs in ``folders`` (name -> folder, in order): each
    folder's :data:`SOLUTION`, its points' experiment the run's name, and the table in the
    first run's ``metadata.json``.

    Raises:
        ValueError: no runs, a solution naming another run, a missing or broken table.
        SubmissionError: a solution file that does not parse.
        OSError: a file that cannot be read.
    """
    import mrcfile

    if not folders:
        raise ValueError("a CZII hidden test needs at least one test run")
    digest = hashlib.sha256()
    extents: dict[str, tuple[float, float, float]] = {}
    voxel_sizes: dict[str, float] = {}
    experiments: list[str] = []
    types: list[str] = []
    coords: list[npt.NDArray[np.float64]] = []
    lines: list[int] = []
    for name, folder in folders.items():
        data = (folder / SOLUTION).read_bytes()
        points = read_czii_points(data, what="solution")
        if any(experiment != name for experiment in points.experiments):
            raise ValueError(f"{folder / SOLUTION}: every point must name the run {name!r}")
        digest.update(json.dumps(name).encode() + b"\n" + data)
        with mrcfile.open(folder / "reconstruction.mrc", header_only=True) as mrc:
            header = mrc.header
            size = float(mrc.voxel_size.x) or 1.0
            voxel_sizes[name] = size
            extents[name] = (
                int(header.nx) * size,
                int(header.ny) * size,
                int(header.nz) * size,
            )
        experiments += points.experiments
        types += points.types
        coords.append(points.coords.reshape(-1, 3))
        lines += points.lines
    first = next(iter(folders.values()))
    metadata = json.loads((first / "metadata.json").read_text(encoding="utf-8"))
    if PARAMETERS_KEY not in metadata:
        raise ValueError(f"{first / 'metadata.json'} holds no {PARAMETERS_KEY!r} table")
    parameters = CziiParameters.from_document(metadata[PARAMETERS_KEY])
    digest.update(json.dumps(parameters.document(), sort_keys=True).encode())
    solution = CziiPoints(experiments, types, np.concatenate(coords), lines)
    return CziiHiddenTest(
        solution, parameters, list(folders), digest.hexdigest(), extents, voxel_sizes
    )


def check_czii_frame(
    hidden: CziiHiddenTest, points: CziiPoints, *, allow_misframed: bool = False
) -> None:
    """Refuse, before it costs a quota slot, a file the hidden test cannot score as meant:
    an experiment that is not one of its runs (or none named when there are several), a
    particle type not in its table, and, unless ``allow_misframed``, coordinates that look
    like voxels rather than Å or that mostly lie outside the tomogram.

    Raises:
        SubmissionError: naming the line and the problem.
    """
    runs = hidden.names
    if not len(points):
        raise SubmissionError("no points: the file names no particle")
    for i, experiment in enumerate(points.experiments):
        if experiment and experiment not in runs:
            raise SubmissionError(
                f"experiment {experiment!r} is not a run of the hidden test "
                f"(runs: {', '.join(runs)})",
                points.lines[i],
            )
        if not experiment and len(runs) > 1:
            raise SubmissionError(
                f"no experiment named: the hidden test has several runs ({', '.join(runs)})",
                points.lines[i],
            )
    _check_types(points, hidden.parameters, range(len(points)))
    if allow_misframed or not hidden.extents:
        return
    diagnosis = _misframing(hidden, points)
    if diagnosis is not None:
        raise SubmissionError(
            f"the coordinates look misframed: {diagnosis}. Fix the file, or score it anyway "
            "with allow_misframed (--allow-misframed)"
        )


def _misframing(hidden: CziiHiddenTest, points: CziiPoints) -> str | None:
    names = [e or hidden.names[0] for e in points.experiments]
    extent = np.array([hidden.extents[n] for n in names])
    size = np.array([hidden.voxel_sizes[n] for n in names])[:, None]
    coords = points.coords.reshape(-1, 3)
    # a reference's max over its run's grid in voxels: points in voxels stay under it
    grid = extent / size
    reference_reach = float(np.max(hidden.solution.coords.reshape(-1, 3).max(axis=0) / grid[0]))
    if size[0, 0] > 1.5 and np.all(coords <= grid * 1.02) and reference_reach > 2.0:
        return (
            f"they look like voxels, not Å: every coordinate fits the tomogram's grid of "
            f"{' × '.join(str(round(v)) for v in grid[0])} voxels; multiply by the voxel size "
            f"({size[0, 0]:g} Å)"
        )
    outside = int(np.count_nonzero(np.any((coords < 0) | (coords > extent), axis=1)))
    if outside * 2 > len(coords):
        box = " × ".join(f"{v:g}" for v in extent[0])
        return f"{outside} of {len(coords)} points lie outside the tomogram ({box} Å)"
    return None


# a single run's checkerboard: blocks along the shortest side of the references' extent (as
# evaluation/split.py), never smaller than a few matching distances
_BLOCKS_PER_SIDE = 4
_CANDIDATE_GRIDS = 64


@dataclass(frozen=True)
class CziiSplit:
    """A CZII hidden test cut in a public and a private part, like the hitbox profiles'
    (evaluation/split.py): whole runs with two or more, else a seeded 3-D checkerboard of
    ``block`` Å shifted by ``offset``. A reference is in the part of its run or block; a
    candidate in the part of the nearest reference of its type it finds, else of its own
    run or block, so each found reference is found in its own part."""

    hidden: CziiHiddenTest
    public_runs: frozenset[str] | None
    block: float = 0.0
    offset: tuple[float, float, float] = (0.0, 0.0, 0.0)
    public_parity: int = 0

    def _public(self, points: CziiPoints) -> npt.NDArray[np.bool_]:
        if self.public_runs is not None:
            return np.array([e in self.public_runs for e in points.experiments], dtype=bool)
        cells = np.floor((points.coords.reshape(-1, 3) - self.offset) / self.block)
        parity: npt.NDArray[np.int64] = cells.sum(axis=1).astype(np.int64) % 2
        return np.equal(parity, self.public_parity)

    def score(self, submission: CziiPoints) -> dict[str, dict[str, Any]]:
        """``{"public": document, "private": document}`` of ``submission``."""
        from scipy.spatial import cKDTree

        solution, parameters = self.hidden.solution, self.hidden.parameters
        names = self.hidden.names
        submission = _named(submission, names)
        reference_public = self._public(solution)
        public = self._public(submission)
        for experiment, name in set(zip(solution.experiments, solution.types, strict=True)):
            rows = _rows(solution, experiment, name)
            candidates = _rows(submission, experiment, name)
            if not len(candidates):
                continue
            tree = cKDTree(solution.coords[rows])
            radius = parameters.radii[name] * parameters.multiplier
            distance, nearest = tree.query(
                submission.coords[candidates], distance_upper_bound=radius
            )
            found = np.isfinite(distance)
            public[candidates[found]] = reference_public[rows[nearest[found]]]
        parts = {}
        for part, chosen, references in (
            ("public", public, reference_public),
            ("private", ~public, ~reference_public),
        ):
            result = czii_score(
                _subset(solution, references), _subset(submission, chosen), parameters
            )
            parts[part] = _document(result, self.hidden.checksum)
        return parts


def _rows(
    points: CziiPoints, experiment: str, name: str, among: Any = None
) -> npt.NDArray[np.int64]:
    """The indices (of ``among``, default all) of the points of one experiment and type."""
    rows = range(len(points)) if among is None else among
    chosen = [i for i in rows if points.experiments[i] == experiment and points.types[i] == name]
    return np.array(chosen, dtype=np.int64)


def _subset(points: CziiPoints, chosen: npt.NDArray[np.bool_]) -> CziiPoints:
    rows = np.flatnonzero(chosen)
    return CziiPoints(
        [points.experiments[i] for i in rows],
        [points.types[i] for i in rows],
        points.coords.reshape(-1, 3)[rows],
        [points.lines[i] for i in rows],
    )


def split_czii(hidden: CziiHiddenTest, seed: int) -> CziiSplit | None:
    """The public/private cut of ``hidden`` drawn by ``seed``: by run with two or more runs
    (as ``evaluation.split.parts_by_tomogram``), else the first of the checkerboards the
    seed draws in which both parts hold every type that has two or more references; None
    for a test too small to cut (scored whole)."""
    from evaluation.split import parts_by_tomogram

    if len(hidden.names) >= 2:
        parts = parts_by_tomogram(hidden.names, seed)
        return CziiSplit(hidden, frozenset(n for n, p in parts.items() if p == "public"))
    coords = hidden.solution.coords.reshape(-1, 3)
    if len(coords) < 2:
        return None
    extent = np.ptp(coords, axis=0)
    reach = 4 * hidden.parameters.multiplier * max(hidden.parameters.radii.values())
    block = max(float(extent[extent > 0].min(initial=reach)) / _BLOCKS_PER_SIDE, reach)
    rng = np.random.default_rng(seed)
    types = np.array(hidden.solution.types)
    needed = [t for t in set(hidden.solution.types) if np.count_nonzero(types == t) >= 2]
    first: CziiSplit | None = None
    for _ in range(_CANDIDATE_GRIDS):
        x, y, z = (float(v) for v in rng.uniform(0, block, 3))
        split = CziiSplit(hidden, None, block, (x, y, z), int(rng.integers(2)))
        public = split._public(hidden.solution)
        first = first or split
        if all(public[types == t].any() and (~public[types == t]).any() for t in needed):
            return split
    public = first._public(hidden.solution) if first else np.zeros(0, dtype=bool)
    return first if public.any() and (~public).any() else None


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
