"""Picks and the native submission file they are written to."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from evaluation.classes import CLASSES


@dataclass(frozen=True)
class Picks:
    """Predicted particles: `classes` (N,) in 1..12, `coordinates` (N, 3) as (z, y, x) voxels
    of the reconstruction, `scores` (N,) confidences (higher is surer) and optionally `angles`
    (N, 3) as ZXZ Euler angles PHI THETA PSI in degrees."""

    classes: np.ndarray
    coordinates: np.ndarray
    scores: np.ndarray
    angles: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.scores)

    def select(self, indices: np.ndarray) -> Picks:
        """The picks at `indices`, in that order."""
        angles = None if self.angles is None else self.angles[indices]
        return Picks(self.classes[indices], self.coordinates[indices], self.scores[indices], angles)

    def best_first(self) -> Picks:
        """The picks ordered by decreasing score (the evaluator's first hit is the surest)."""
        return self.select(np.argsort(-self.scores, kind="stable"))


def submission_lines(picks: Picks) -> list[str]:
    """One `CLASS X Y Z [PHI THETA PSI] SCORE` line per pick, surest first."""
    ordered = picks.best_first()
    lines = []
    for row in range(len(ordered)):
        z, y, x = ordered.coordinates[row]
        fields = [CLASSES[int(ordered.classes[row]) - 1], f"{x:.1f}", f"{y:.1f}", f"{z:.1f}"]
        if ordered.angles is not None:
            fields += [f"{angle:.1f}" for angle in ordered.angles[row]]
        fields.append(f"{ordered.scores[row]:.5g}")
        lines.append(" ".join(fields))
    return lines


def write_submission(picks: Picks, path: Path | str, comments: list[str] | None = None) -> Path:
    """Write `picks` as a native submission, after `# ` comment lines; returns the path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    header = [f"# {comment}" for comment in comments or []]
    target.write_text("\n".join([*header, *submission_lines(picks)]) + "\n")
    return target
