"""A parsed submission: predictions in file order, ready to score against any ground truth."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal, get_args

import numpy as np
import numpy.typing as npt

from evaluation.profiles import AngleConvention, get_profile

# "text", "csv", "star": the native tables; the others are the field's pick formats
# (docs/evaluation.md, "Pick formats of the field").
SubmissionFormat = Literal[
    "text",
    "csv",
    "star",
    "copick",
    "portal",
    "kaggle",
    "relion5",
    "relion4",
    "dynamo",
    "deepfinder",
]
SUBMISSION_FORMATS: tuple[SubmissionFormat, ...] = get_args(SubmissionFormat)


@dataclass(frozen=True, eq=False)
class Submission:
    """Predictions of one submission, in file order (the order decides first hits).

    ``coords`` are x, y, z (whatever the column order of the file) in the frame of the
    submission's profile; the ground truth maps them to its hitbox (e.g. the SHREC'19 z
    offset). ``classes`` are 1-based indices into the profile's class list.
    """

    classes: npt.NDArray[np.int64]
    coords: npt.NDArray[np.float64]
    angles: npt.NDArray[np.float64] | None
    scores: npt.NDArray[np.float64] | None
    line_numbers: npt.NDArray[np.int64]
    profile: str = "native"
    angle_convention: AngleConvention = "zxz"
    format: SubmissionFormat = "text"
    conversion: tuple[str, ...] = ()  # unit, origin and angle conversions, in words
    # the test tomogram of each prediction, for a ground truth of several (None: one)
    tomograms: npt.NDArray[np.str_] | None = None

    def __post_init__(self) -> None:
        """Check that the arrays agree with each other.

        Raises:
            ValueError: no predictions, or arrays of mismatched shapes, or an unknown profile.
        """
        if not isinstance(self.conversion, tuple):  # a JSON round trip gives a list
            object.__setattr__(self, "conversion", tuple(self.conversion))
        count = len(self.classes)
        if count == 0:
            raise ValueError("a submission needs at least one prediction")
        if self.coords.shape != (count, 3) or self.line_numbers.shape != (count,):
            raise ValueError("classes, coords and line_numbers must describe the same rows")
        if self.angles is not None and self.angles.shape != (count, 3):
            raise ValueError("angles must have one row of three angles per prediction")
        if self.scores is not None and self.scores.shape != (count,):
            raise ValueError("scores must have one value per prediction")
        if self.tomograms is not None and np.shape(self.tomograms) != (count,):
            raise ValueError("tomograms must name one tomogram per prediction")
        n_classes = len(get_profile(self.profile).classes)
        if self.classes.min() < 1 or self.classes.max() > n_classes:
            raise ValueError(f"class indices must lie in 1..{n_classes}")

    def __len__(self) -> int:
        return len(self.classes)

    def select(self, keep: npt.NDArray[np.bool_]) -> Submission:
        """The predictions `keep` (a mask over the rows) selects, every column with them."""
        return replace(
            self,
            classes=self.classes[keep],
            coords=self.coords[keep],
            angles=None if self.angles is None else self.angles[keep],
            scores=None if self.scores is None else self.scores[keep],
            line_numbers=self.line_numbers[keep],
            tomograms=None if self.tomograms is None else self.tomograms[keep],
        )

    @property
    def class_names(self) -> tuple[str, ...]:
        """The class name of each prediction, in file order."""
        names = get_profile(self.profile).classes
        return tuple(names[index - 1] for index in self.classes)
