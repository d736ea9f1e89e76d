"""Hitbox volumes: read (in memory or memory-mapped), rebuild SHREC'19 boxes, dilate.

A hitbox is an integer volume indexed ``[z, y, x]``: voxel value ``k > 0`` belongs to the
particle on line ``k`` of the ground-truth list, ``0`` is background.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from evaluation.errors import GroundTruthError
from evaluation.ground_truth import file_facts

Hitbox = npt.NDArray[np.integer]


def read_header_shape(path: Path) -> tuple[int, int, int]:
    """Return the ``(z, y, x)`` shape an MRC file declares, reading only its header.

    Raises:
        GroundTruthError: the file is missing, not an MRC file, or shorter than declared.
    """
    return _layout(path)[0]


def read_voxel_size(path: Path) -> float | None:
    """The voxel size in Å an MRC header declares (cell over grid along x), or None when the
    header leaves it unset (0) or the file cannot be read."""
    try:
        header = _read_header(path)
    except GroundTruthError:
        return None
    if int(header.mx) < 1 or not float(header.cella.x) > 0:
        return None
    return float(header.cella.x) / int(header.mx)


def read_hitbox(path: Path, *, memory_map: bool = False) -> Hitbox:
    """Read a label volume from an MRC file.

    Integer modes are returned as stored (memory-mapped, read-only, if ``memory_map`` or
    while the file-facts cache is on: :mod:`evaluation.ground_truth.file_facts`, whose facts
    of the file the mapped array then carries); a float volume is accepted only if every
    value is a whole number, and is converted to int32 in memory.

    Raises:
        GroundTruthError: missing, not MRC, not 3-D, truncated, or holding fractional labels.
    """
    cached = file_facts.for_file(path)
    if cached is None:
        shape, dtype, offset = _layout(path)
    else:
        facts, status = cached
        # the header's layout is a fact of the file too: mrcfile is not even imported
        layout = facts.get("layout", lambda: _layout_fact(path), _is_layout_fact)
        shape, dtype, offset = (
            (layout[0][0], layout[0][1], layout[0][2]),
            np.dtype(layout[1]),
            layout[2],
        )
        if np.issubdtype(dtype, np.integer):
            # mapped: scoring reads only the voxels at the predictions, the facts the rest
            mapped: Hitbox = np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=shape)
            if file_facts.still_same(path, status):
                file_facts.attach(mapped, facts)
            return mapped
    if np.issubdtype(dtype, np.integer) and not memory_map:
        # one read into memory: copying a memory map faults every page in twice
        count = math.prod(shape)
        read: Hitbox = np.fromfile(path, dtype=dtype, count=count, offset=offset)
        return read.reshape(shape)
    volume: Hitbox = np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=shape)
    if np.issubdtype(dtype, np.integer):
        return volume
    labels = np.asarray(volume, dtype=np.float64)
    if not np.all(np.isfinite(labels)) or not np.all(labels == np.round(labels)):
        raise GroundTruthError(f"{path.name}: labels must be whole numbers (found fractions)")
    return labels.astype(np.int32)


def _layout_fact(path: Path) -> list[Any]:
    """:func:`_layout` as JSON values: ``[[z, y, x], dtype string, offset]``."""
    shape, dtype, offset = _layout(path)
    return [list(shape), dtype.str, offset]


def _is_layout_fact(value: object) -> bool:
    if not (isinstance(value, list) and len(value) == 3 and isinstance(value[1], str)):
        return False
    shape, dtype, offset = value
    sides_ok = isinstance(shape, list) and len(shape) == 3
    if not sides_ok or not all(type(side) is int and side >= 1 for side in shape):
        return False
    try:
        np.dtype(dtype)
    except TypeError:
        return False
    return type(offset) is int and offset >= 1024


def _layout(path: Path) -> tuple[tuple[int, int, int], np.dtype, int]:
    """Shape, data type and data offset from the header, checked against the file size."""
    import mrcfile.utils  # here: a cached hitbox file needs no header, nor mrcfile

    header = _read_header(path)
    shape = (int(header.nz), int(header.ny), int(header.nx))
    try:
        dtype = mrcfile.utils.data_dtype_from_header(header)
    except ValueError as error:
        raise GroundTruthError(f"{path.name}: unsupported MRC data mode ({error})") from None
    if any(side < 1 for side in shape):
        raise GroundTruthError(f"{path.name}: not a 3-D volume (header shape {shape})")
    if int(header.nsymbt) < 0:
        raise GroundTruthError(f"{path.name}: negative extended header size in the header")
    offset = 1024 + int(header.nsymbt)
    expected = offset + math.prod(shape) * dtype.itemsize  # Python ints: no overflow
    if path.stat().st_size < expected:
        raise GroundTruthError(
            f"{path.name}: truncated file ({path.stat().st_size:,} bytes, the header "
            f"announces {expected:,})"
        )
    return shape, dtype, offset


def build_box_hitbox(
    shape: tuple[int, int, int],
    centres_xyz: npt.NDArray[np.float64],
    sides: npt.NDArray[np.int64],
) -> Hitbox:
    """Rebuild a SHREC'19 hitbox: particle ``k`` owns the cube ``[c - d//2, c + d//2 + d%2)``
    around its rounded centre ``c`` on every axis (``d`` its class's side), clipped to the
    volume. Where cubes overlap, the later particle (larger label) wins.
    """
    dtype = np.int16 if len(sides) < np.iinfo(np.int16).max else np.int32
    hitbox = np.zeros(shape, dtype=dtype)
    centres_zyx = np.rint(centres_xyz[:, ::-1]).astype(np.int64)
    lows = np.maximum(centres_zyx - (sides // 2)[:, None], 0)
    highs = centres_zyx + (sides // 2 + sides % 2)[:, None]
    for label, (low, high) in enumerate(zip(lows, highs, strict=True), start=1):
        hitbox[low[0] : high[0], low[1] : high[1], low[2] : high[2]] = label
    return hitbox


def dilate_hitbox(hitbox: Hitbox) -> Hitbox:
    """Grow every particle by one voxel along the 6 axis directions (a greyscale dilation
    with the 3-D cross, as the SHREC'20/'21 scripts did: where particles meet, the larger
    label wins)."""
    from scipy import ndimage  # imported here: only SHREC'20/'21 ground truths dilate

    cross = ndimage.generate_binary_structure(3, 1)
    dilated: Hitbox = ndimage.grey_dilation(np.asarray(hitbox), footprint=cross)
    return dilated


def class_sides(
    classes: npt.NDArray[np.int64], names: tuple[str, ...], sides: Mapping[str, int]
) -> npt.NDArray[np.int64]:
    """The box side of each particle from its class index.

    Raises:
        GroundTruthError: a class without a SHREC'19 box side.
    """
    lookup = np.zeros(len(names) + 1, dtype=np.int64)
    for index, name in enumerate(names, start=1):
        lookup[index] = sides.get(name, 0)
    result = lookup[classes]
    if np.any(result == 0):
        missing = names[int(classes[np.argmin(result)]) - 1]
        raise GroundTruthError(f"class {missing!r} has no SHREC'19 box side")
    return result


def _read_header(path: Path) -> np.recarray:
    import mrcfile

    if not path.is_file():
        raise GroundTruthError(f"missing file: {path}")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with mrcfile.open(path, mode="r", permissive=True, header_only=True) as mrc:
                header: np.recarray = mrc.header
        except (ValueError, OSError) as error:
            raise GroundTruthError(f"{path.name}: not a readable MRC file ({error})") from None
    if header is None or int(header.nx) < 1:
        reason = "; ".join(str(w.message) for w in caught) or "no header"
        raise GroundTruthError(f"{path.name}: not a readable MRC file ({reason})")
    return header
