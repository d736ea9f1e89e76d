"""Read ground-truth particle lists: ``CLASS A B C [ANGLE ANGLE ANGLE]`` per line."""

from __future__ import annotations

import math
from itertools import chain
from pathlib import Path

import numpy as np

from evaluation.classes import class_index
from evaluation.errors import GroundTruthError
from evaluation.ground_truth.model import Particles
from evaluation.profiles import AngleConvention, AxisOrder, Profile


def read_profile_list(path: Path, profile: Profile, *, integers: bool = False) -> Particles:
    """Read a ground-truth list written in ``profile``'s submission layout (its classes,
    coordinate order and angle convention); see ``read_particle_list``.

    Raises:
        GroundTruthError: as ``read_particle_list``.
    """
    return read_particle_list(
        path,
        profile.classes,
        axis_order=profile.axis_order,
        angle_convention=profile.angle_convention,
        integers=integers,
    )


def read_particle_list(
    path: Path,
    classes: tuple[str, ...],
    *,
    axis_order: AxisOrder,
    angle_convention: AngleConvention,
    integers: bool = False,
) -> Particles:
    """Read one particle per line; line ``k`` is the particle of hitbox label ``k``.

    The three coordinates follow ``axis_order`` in the file and are returned as x, y, z.
    Angles are optional per line (missing ones become NaN); fields after the seventh are
    ignored, as the SHREC scripts did. Trailing blank lines are allowed, gaps are not (they
    would shift the labels).

    Raises:
        GroundTruthError: a missing or unreadable file, a gap, an unknown class, a value that
            is not a (finite, or with ``integers`` whole) number, incomplete angles, no lines.
    """
    if not path.is_file():
        raise GroundTruthError(f"missing file: {path}")
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise GroundTruthError(f"{path.name}: not a readable text file ({error})") from None
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        raise GroundTruthError(f"{path.name}: no particles (the list is empty)")
    positions = [axis_order.index(axis) for axis in "xyz"]
    fast = _read_uniform(lines, classes, positions, angle_convention, integers)
    if fast is not None:
        return fast
    names = axis_order.upper()
    class_ids = np.empty(len(lines), dtype=np.int64)
    centres = np.empty((len(lines), 3), dtype=np.float64)
    angles = np.full((len(lines), 3), np.nan, dtype=np.float64)
    for row, line in enumerate(lines):
        where = f"{path.name} line {row + 1}"
        fields = line.replace(",", " ").split()
        if not fields or fields[0].startswith("#"):
            raise GroundTruthError(
                f"{where}: blank or comment line inside the list (labels "
                "count lines, so the list cannot have gaps)"
            )
        if len(fields) < 4 or 4 < len(fields) < 7:
            raise GroundTruthError(
                f"{where}: expected CLASS {' '.join(names)} and optionally "
                f"three angles, got {len(fields)} fields"
            )
        try:
            class_ids[row] = class_index(fields[0], classes)
        except KeyError:
            raise GroundTruthError(f"{where}: unknown class {fields[0]!r}") from None
        values = [_number(token, where, integers) for token in fields[1:4]]
        centres[row] = [values[p] for p in positions]
        if len(fields) >= 7:
            angles[row] = [_number(token, where, False) for token in fields[4:7]]
    has_angles = not np.all(np.isnan(angles))
    return Particles(class_ids, centres, angles if has_angles else None, angle_convention)


def _number(token: str, where: str, integer: bool) -> float:
    try:
        value = float(token)
    except ValueError:
        raise GroundTruthError(f"{where}: {token!r} is not a number") from None
    if not math.isfinite(value):
        raise GroundTruthError(f"{where}: {token!r} is not a finite number")
    if integer and value != int(value):
        raise GroundTruthError(f"{where}: {token!r} is not a whole number")
    return value


def _read_uniform(
    lines: list[str],
    classes: tuple[str, ...],
    positions: list[int],
    angle_convention: AngleConvention,
    integers: bool,
) -> Particles | None:
    """The list read column-wise when every line is valid and has the same number of fields
    (4, or 7 and more); None otherwise, and the line-by-line reading names the problem."""
    rows = [line.replace(",", " ").split() for line in lines]
    width = len(rows[0])
    if width != 4 and width < 7:
        return None
    if any(len(row) != width for row in rows):
        return None
    index = {name: i for i, name in enumerate(classes, start=1)}
    class_ids = np.fromiter((index.get(row[0].lower(), 0) for row in rows), np.int64, len(rows))
    if not class_ids.all():  # unknown classes, and comment lines ("#...")
        return None
    used = min(width, 7)
    try:
        values = np.fromiter(
            map(float, chain.from_iterable(row[1:used] for row in rows)), np.float64
        ).reshape(len(rows), used - 1)
    except ValueError:
        return None
    if not np.isfinite(values).all():
        return None
    if integers and not (values[:, :3] == np.trunc(values[:, :3])).all():
        return None
    angles = values[:, 3:6].copy() if used == 7 else None
    return Particles(class_ids, values[:, positions].copy(), angles, angle_convention)
