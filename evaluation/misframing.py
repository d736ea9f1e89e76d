"""Misframed submissions: files whose coordinates are in another frame than the ground truth's.

A file in Å, with SHREC'19's tomogram Z where slab Z is expected (or the reverse), with Z
first, centred, or picked at another binning scores F1 0 while it could score well. Before
such a file costs anything, :func:`diagnose` compares where the picks lie with where the
particles lie (the box of the occupied hitbox voxels, grown by 10 % of each side):

- when most picks (more than half) lie outside that box, each known mistake is undone in
  turn; the one that brings most picks inside (at least half) names the diagnosis, else
  the diagnosis says how many picks lie outside; when more than 20 % (but not most) lie
  outside, in a file of 20 picks or more, a mistake whose undoing brings at least 95 %
  inside (and 30 points more) is diagnosed too. With 20 picks or more, an undone mistake
  must also spread the picks over at least half of the particles' spread on every axis
  (5th to 95th percentile), so that shrinking everything into a corner explains nothing;
- when most picks lie inside but span only about half of the particles' extent in x and
  y (and doubling them fits), the file looks binned by 2.

A few picks outside (RO) are a legitimate submission and are scored. The rules and
messages are listed in ``docs/evaluation.md`` ("Misframed files").
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from evaluation.ground_truth import GroundTruth, file_facts
from evaluation.quantiles import percentile  # np.percentile's, without numpy.ma
from evaluation.submission import Submission

SHREC19_Z_OFFSET = 156  # slices above the 200-slice SHREC'19 slab in its 512-slice tomogram
MOST = 0.5  # more than this fraction outside: misframed
FEW = 0.2  # up to this fraction outside is never refused (a legitimate RO)
CLEAR = 0.95  # fraction inside once a mistake is undone that makes it the explanation
MARGIN = 0.1  # the particles' box grows by this fraction of each side
MIN_PICKS_FOR_SPREAD = 20  # the binning rule needs enough picks for percentiles


@dataclass(frozen=True)
class Misframing:
    """Why a file looks misframed: ``diagnosis`` (one sentence), and the counts."""

    diagnosis: str
    outside: int
    total: int

    @property
    def message(self) -> str:
        """The refusal, with the way out."""
        return (
            f"the coordinates look misframed: {self.diagnosis} ({self.outside} of {self.total} "
            "predictions lie outside the particles' region). Fix the file, or score it anyway "
            "with allow_misframed (--allow-misframed)"
        )


def diagnose(ground_truth: GroundTruth, submission: Submission) -> Misframing | None:
    """The misframing of ``submission`` against ``ground_truth``, or None when it looks fine."""
    low, high = _particle_box(ground_truth)
    offset = ground_truth.submission_offset.astype(np.float64)
    coords = submission.coords

    reference = _particle_spread(ground_truth)

    def fit(candidate: npt.NDArray[np.float64]) -> float:
        inside = np.all((candidate - offset >= low) & (candidate - offset <= high), axis=1)
        return float(np.mean(inside))

    total = len(coords)
    current = fit(coords)
    outside = round((1 - current) * total)
    best = (0.0, "")
    # with at most FEW outside the file is scored whatever an undone mistake would give
    for describe, move in _candidates(ground_truth) if current < 1 - FEW else ():
        candidate = move(coords)
        score = fit(candidate)
        if score <= best[0]:
            continue  # the spread could only lower it
        if len(candidate) >= MIN_PICKS_FOR_SPREAD and np.any(_spread(candidate) < 0.5 * reference):
            score = 0.0
        if score > best[0]:
            best = (score, describe)
    # a mistake that, undone, brings nearly every pick in: misframed even with many inside
    explained = total >= MIN_PICKS_FOR_SPREAD and best[0] >= max(CLEAR, current + 0.3)
    if current >= 1 - MOST:
        if current < 1 - FEW and explained:
            return Misframing(best[1], outside, total)
        binned = _binned(coords, reference, fit(coords * 2))
        return None if binned is None else Misframing(binned, outside, total)
    if best[0] >= 1 - MOST:
        return Misframing(best[1], outside, total)
    z, y, x = ground_truth.submission_shape
    return Misframing(
        f"most predictions lie outside the volume (x 0..{x - 1}, y 0..{y - 1}, z 0..{z - 1}) "
        "or the sample's slab",
        outside,
        total,
    )


def shrec19_slab_offset(ground_truth: GroundTruth, submission: Submission) -> GroundTruth | None:
    """For a SHREC'19 ground truth expecting tomogram Z: the same ground truth reading slab Z
    (offset 0) when the file's Z are slab coordinates, else None."""
    if ground_truth.profile != "shrec19" or ground_truth.options.get("z_offset", 0) == 0:
        return None
    found = diagnose(ground_truth, submission)
    if found is None or not found.diagnosis.startswith("looks like slab Z"):
        return None
    z_offset = int(ground_truth.options["z_offset"])
    shifted = ground_truth.submission_offset.copy()
    shifted[2] -= z_offset
    return dataclasses.replace(
        ground_truth,
        submission_offset=shifted,
        options={**ground_truth.options, "z_offset": 0},
    )


def _spread(coords: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """x, y, z distance from the 5th to the 95th percentile (one sort of the picks)."""
    low, high = percentile(coords, [5, 95])
    return high - low  # type: ignore[no-any-return]


def _particle_spread(ground_truth: GroundTruth) -> npt.NDArray[np.float64]:
    """`_spread` of the counted particles' centres; cached."""
    key = "misframing-spread"
    cached = ground_truth._cache.get(key)
    if cached is None:
        cached = _spread(ground_truth.particles.centres[ground_truth.counted])
        ground_truth._cache[key] = cached
    return cached  # type: ignore[return-value]


def _particle_box(
    ground_truth: GroundTruth,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """x, y, z bounds (hitbox frame) of the occupied voxels, grown by the margin; cached."""
    key = "misframing-box"
    cached = ground_truth._cache.get(key)
    if cached is None:
        facts = file_facts.of_array(ground_truth.hitbox)
        bounds = facts.get("occupied_xyz", lambda: _occupied(ground_truth.hitbox), _is_bounds)
        low = np.array([b[0] for b in bounds], dtype=np.float64)
        high = np.array([b[1] for b in bounds], dtype=np.float64)
        grow = MARGIN * np.array(ground_truth.shape[::-1], dtype=np.float64)
        cached = (low - grow - 0.5, high + grow + 0.5)
        ground_truth._cache[key] = cached
    return cached  # type: ignore[return-value]


def _occupied(hitbox: npt.NDArray[np.integer]) -> list[list[int]]:
    """[first, last] occupied index along x, y and z ([0, -1] along all for an empty one)."""
    volume = np.asarray(hitbox)
    bounds = []
    for axis in (2, 1, 0):  # x, y, z
        others = tuple(a for a in range(3) if a != axis)
        occupied = np.flatnonzero(volume.any(axis=others))
        bounds.append([int(occupied[0]), int(occupied[-1])] if len(occupied) else [0, -1])
    return bounds


def _is_bounds(value: object) -> bool:
    return (
        isinstance(value, list)
        and len(value) == 3
        and all(
            isinstance(pair, list) and len(pair) == 2 and all(type(i) is int for i in pair)
            for pair in value
        )
    )


def _candidates(
    ground_truth: GroundTruth,
) -> list[tuple[str, Callable[[npt.NDArray[np.float64]], npt.NDArray[np.float64]]]]:
    """Known mistakes, each with the move that undoes it."""
    candidates: list[tuple[str, Callable[[npt.NDArray[np.float64]], npt.NDArray[np.float64]]]] = []
    size = ground_truth.voxel_size
    if size is not None and size > 1.5:
        candidates.append(
            (
                f"looks like Å: coordinates are ~{size:g}× the volume (voxel size {size:g} Å)",
                lambda c: c / size,
            )
        )
    candidates.append(("columns look like Z Y X", lambda c: c[:, ::-1]))
    z_offset = int(ground_truth.options.get("z_offset", 0) or 0)
    if ground_truth.profile == "shrec19" and z_offset:
        candidates.append(
            (
                "looks like slab Z, but the profile expects tomogram Z (use --z-offset 0)",
                lambda c: c + np.array([0.0, 0.0, z_offset]),
            )
        )
    else:
        candidates.append(
            (
                f"looks like tomogram Z of SHREC'19 (+{SHREC19_Z_OFFSET})",
                lambda c: c - np.array([0.0, 0.0, SHREC19_Z_OFFSET]),
            )
        )
    half = np.array(ground_truth.submission_shape[::-1], dtype=np.float64) / 2
    candidates.append(
        (
            "looks centred on the tomogram (RELION 5 style): give the format (relion5) or "
            "move the origin to the corner",
            lambda c: c + half,
        )
    )
    for factor in (2.0, 4.0):
        candidates.append((f"looks binned by {factor:g}", _scaled(factor)))
    candidates.append(("looks picked at half the voxel size (coordinates ×2)", lambda c: c / 2))
    return candidates


def _scaled(factor: float) -> Callable[[npt.NDArray[np.float64]], npt.NDArray[np.float64]]:
    return lambda coords: coords * factor


def _binned(
    coords: npt.NDArray[np.float64], reference: npt.NDArray[np.float64], doubled_fit: float
) -> str | None:
    """A file inside the particles' box whose picks spread over only about half of the
    particles' spread in x and y, and fit when doubled."""
    if len(coords) < MIN_PICKS_FOR_SPREAD or doubled_fit < 1 - MOST:
        return None
    spread = _spread(coords)
    if np.all(reference[:2] > 0) and np.all(spread[:2] <= 0.6 * reference[:2]):
        return "looks binned by 2 (the picks spread over half of the particles' region in x and y)"
    return None


def check_frame(
    ground_truth: GroundTruth,
    submission: Submission,
    *,
    allow_misframed: bool = False,
    detect_slab: bool = True,
) -> tuple[GroundTruth, Submission]:
    """Refuse a misframed submission, before it is queued or scored.

    With ``detect_slab`` a SHREC'19 ground truth expecting tomogram Z switches to slab Z
    when the file is in slab coordinates (said in ``submission.conversion``).
    ``allow_misframed`` scores anyway.

    Raises:
        SubmissionError: the diagnosis, and how to score anyway.
    """
    from evaluation.errors import SubmissionError

    if detect_slab:
        adapted = shrec19_slab_offset(ground_truth, submission)
        if adapted is not None:
            note = "Z read as SHREC'19 slab coordinates (z_offset 0): the picks lie in the slab"
            ground_truth = adapted
            submission = dataclasses.replace(submission, conversion=(*submission.conversion, note))
    if not allow_misframed:
        found = diagnose(ground_truth, submission)
        if found is not None:
            raise SubmissionError(found.message)
    return ground_truth, submission
