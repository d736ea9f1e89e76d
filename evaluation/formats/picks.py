"""Picks as a field format holds them, and their conversion to a scored submission.

Readers of the field's formats (copick, the CZ Data Portal, Kaggle/CZII, RELION 4/5,
pytom-match-pick, Dynamo, DeepFinder) return :class:`Picks`: coordinates in the file's
own unit and origin, orientations as rotation matrices (template onto particle, acting on
x, y, z). :func:`to_submission` moves them into the voxel frame of the ground truth and
says in words what it did; ``docs/evaluation.md`` lists every convention and its source.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal

import numpy as np
import numpy.typing as npt

from evaluation.errors import SubmissionError
from evaluation.formats.rows import TokenTable, build_submission
from evaluation.profiles import Profile
from evaluation.submission import Submission, SubmissionFormat

if TYPE_CHECKING:
    from scipy.spatial.transform import Rotation

Unit = Literal["voxel", "angstrom"]


@dataclass(frozen=True)
class Frame:
    """What a ground truth declares about the volume picks are made in: its voxel size in Å
    and its ``(z, y, x)`` shape; either may be unknown (None)."""

    voxel_size: float | None = None
    shape: tuple[int, int, int] | None = None


@dataclass
class Picks:
    """The predictions of one file, before any unit or origin conversion.

    ``labels`` holds each pick's class token (a name, or a 1-based index where
    ``class_numbers``), or is None when the file has no class column. ``coords`` are x, y,
    z in ``unit``, from the volume's corner, or from its centre when ``centred``.
    ``pixel_size`` is the Å per pixel a voxel-unit file declares (None: the ground truth's).
    ``tomograms`` names the tomogram of each pick when the file says (one file, one
    tomogram, unless the profile scores several). ``notes`` are the reader's own
    conversions (shifts applied, angles converted), reported in the result.
    """

    format: SubmissionFormat
    coords: npt.NDArray[np.float64]
    lines: npt.NDArray[np.int64]
    labels: list[str] | None = None
    unit: Unit = "voxel"
    centred: bool = False
    rotations: npt.NDArray[np.float64] | None = None
    scores: npt.NDArray[np.float64] | None = None
    pixel_size: float | None = None
    object_name: str | None = None
    tomograms: list[str] | None = None
    class_numbers: bool = False
    notes: list[str] = field(default_factory=list)


def to_submission(
    picks: Picks,
    profile: Profile,
    frame: Frame | None,
    *,
    class_name: str | None = None,
    pixel_size: float | None = None,
    several: bool = False,
) -> Submission:
    """Convert ``picks`` into a submission in the voxel frame of ``frame``.

    ``class_name`` is the class of a file without a class column; ``pixel_size`` (Å) the
    pixel size of voxel coordinates picked at another binning than the ground truth's.
    ``several``: the ground truth has several test tomograms, so the file may name several
    (the caller checks the names).

    Raises:
        SubmissionError: no class for a class-less file, a unit or origin that needs a
            voxel size or shape nobody declared, several tomograms, an unknown class.
    """
    frame = frame or Frame()
    count = len(picks.coords)
    if count == 0:
        raise SubmissionError("no predictions: the file holds no picks")
    if not several:
        _one_tomogram(picks)
    notes = list(picks.notes)
    labels = _labels(picks, count, class_name, notes)
    coords = np.array(picks.coords, dtype=np.float64)
    voxel_size = frame.voxel_size
    if picks.unit == "angstrom":
        size = voxel_size if voxel_size is not None else pixel_size
        if size is None:
            raise SubmissionError(
                "coordinates in Å need a voxel size: the ground truth declares none; give "
                "pixel_size (--pixel-size) in Å"
            )
        coords /= size
        notes.append(f"coordinates in Å divided by the voxel size {size:g} Å")
    else:
        given = pixel_size if pixel_size is not None else picks.pixel_size
        if given is not None and voxel_size is not None and not np.isclose(given, voxel_size):
            with np.errstate(over="ignore"):  # an overflow is refused below
                coords *= given / voxel_size
            notes.append(
                f"pixels of {given:g} Å scaled to voxels of {voxel_size:g} Å "
                f"(x {given / voxel_size:g})"
            )
    if picks.centred:
        if frame.shape is None:
            raise SubmissionError(
                "centred coordinates need the tomogram's size: the ground truth declares none"
            )
        half = np.array(frame.shape[::-1], dtype=np.float64) / 2
        coords += half
        notes.append(
            "centred coordinates moved to the corner origin (+ size / 2: "
            f"x {half[0]:g}, y {half[1]:g}, z {half[2]:g} voxels)"
        )
    if not np.all(np.isfinite(coords)):
        row = int(np.flatnonzero(~np.isfinite(coords).all(axis=1))[0])
        raise SubmissionError("a coordinate is too large once converted", int(picks.lines[row]))
    table = TokenTable(["X coordinate", "Y coordinate", "Z coordinate"])
    for line, label in zip(picks.lines.tolist(), labels, strict=True):
        table.add(int(line), label, ("0", "0", "0"))
    classes = build_submission(
        table,
        profile,
        has_angles=False,
        has_scores=False,
        angle_convention="zxz",
        file_format=picks.format,
        class_numbers=picks.class_numbers,
    ).classes
    angles = None
    if picks.rotations is not None:
        angles = zxz_angles(picks.rotations)
    return Submission(
        classes=classes,
        coords=coords,
        angles=angles,
        scores=None if picks.scores is None else np.asarray(picks.scores, dtype=np.float64),
        line_numbers=np.asarray(picks.lines, dtype=np.int64),
        profile=profile.name,
        angle_convention="zxz",
        format=picks.format,
        conversion=tuple(notes),
    )


def rescale(submission: Submission, pixel_size: float | None, frame: Frame | None) -> Submission:
    """A native-format submission picked at ``pixel_size`` Å, moved to the frame's voxels."""
    voxel_size = None if frame is None else frame.voxel_size
    if pixel_size is None or voxel_size is None or np.isclose(pixel_size, voxel_size):
        return submission
    factor = pixel_size / voxel_size
    note = f"pixels of {pixel_size:g} Å scaled to voxels of {voxel_size:g} Å (x {factor:g})"
    return replace(
        submission,
        coords=submission.coords * factor,
        conversion=(*submission.conversion, note),
    )


def zxz_angles(rotations: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Native ZXZ angles (degrees: phi, theta, psi of ``Rz(phi) Rx(theta) Rz(psi)``)."""
    from scipy.spatial.transform import Rotation

    return euler_angles(Rotation.from_matrix(rotations), "ZXZ")


def euler_angles(rotation: Rotation, sequence: str) -> npt.NDArray[np.float64]:
    """Euler angles in degrees; at gimbal lock (theta 0 or 180) scipy sets the third angle
    to 0, which gives the same rotation, so its warning is not passed on."""
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Gimbal lock detected")
        angles: npt.NDArray[np.float64] = rotation.as_euler(sequence, degrees=True)
    return angles


def rotation_matrices(
    angles: npt.NDArray[np.float64], sequence: str, *, inverse: bool = False
) -> npt.NDArray[np.float64]:
    """Rotation matrices from Euler angles in degrees (scipy's ``sequence``: upper case
    intrinsic, lower case extrinsic), inverted when the format stores the inverse."""
    from scipy.spatial.transform import Rotation

    rotation = Rotation.from_euler(sequence, angles, degrees=True)
    matrices: npt.NDArray[np.float64] = (rotation.inv() if inverse else rotation).as_matrix()
    return matrices


def _one_tomogram(picks: Picks) -> None:
    if not picks.tomograms:
        return
    names = list(dict.fromkeys(picks.tomograms))
    if len(names) > 1:
        shown = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
        raise SubmissionError(
            f"the file holds picks of {len(names)} tomograms ({shown}); submit the picks of "
            "the test tomogram only"
        )


def _labels(picks: Picks, count: int, class_name: str | None, notes: list[str]) -> Sequence[str]:
    if class_name:
        if picks.labels is not None:
            notes.append(
                f"class {class_name!r} given for every pick (the file's class column set aside)"
            )
        return [class_name] * count
    if picks.labels is not None:
        return picks.labels
    chosen = picks.object_name
    if not chosen:
        raise SubmissionError(
            "the file has no class column: give the class of its picks (the upload's "
            "'class' field, --class)"
        )
    return [chosen] * count


def number(token: object, what: str, line: int | None) -> float:
    """A finite float from a JSON or XML value.

    Raises:
        SubmissionError: not a number, or not finite (names ``what`` and the line).
    """
    if isinstance(token, bool):
        raise SubmissionError(f"{what} {token!r} is not a number", line)
    try:
        value = float(token)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise SubmissionError(f"{what} {token!r} is not a number", line) from None
    if not np.isfinite(value):
        raise SubmissionError(f"{what} {token!r} is not a finite number", line)
    return value
