"""Deterministic writers for the files of a tomogram folder, and their checksums."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import mrcfile
import numpy as np

from simulation.placement import Particle
from simulation.version import SIMULATOR_VERSION

CHUNK_BYTES = 1 << 22


def write_volume(
    path: Path,
    data: np.ndarray,
    voxel_size_nm: float,
    *,
    shape: tuple[int, int, int] | None = None,
    z_start: int = 0,
) -> None:
    """Write an MRC file: ``data`` as slices z_start... of a volume of ``shape`` (default
    data's own), zero elsewhere; voxel size in Å in the header, as the format wants.

    mrcfile lays out the header (with statistics computed here in one cheap pass: its own
    ``set_data`` costs seconds at 512³); the data then go in with plain file writes, the
    slices outside the data as file holes, which read as zeros (writing through a memory
    map costs four times the CPU). mrcfile labels new files with the creation time; the
    label is replaced by the simulator's name and version so equal data give equal bytes.

    Raises:
        ValueError: if data do not fit the shape at z_start, or have no MRC mode.
    """
    full = shape if shape is not None else data.shape
    if data.ndim != 3 or data.shape[1:] != tuple(full[1:]) or z_start + data.shape[0] > full[0]:
        raise ValueError(f"data of shape {data.shape} at z={z_start} do not fit {full}")
    mode = mrcfile.utils.mode_from_dtype(data.dtype)
    with mrcfile.new_mmap(path, shape=full, mrc_mode=mode, overwrite=True) as mrc:
        mrc.voxel_size = voxel_size_nm * 10.0
        _set_statistics(mrc.header, data, int(np.prod(full)))
        mrc.header.label[0] = f"tomobench simulator {SIMULATOR_VERSION}".encode("ascii")
        mrc.header.nlabl = 1
        data_offset = int(mrc.header.nbytes) + int(mrc.header.nsymbt)
        dtype = mrc.data.dtype
    slice_bytes = int(np.prod(full[1:])) * dtype.itemsize
    with path.open("r+b") as handle:
        handle.truncate(data_offset)  # drop the data block; holes and writes rebuild it
        handle.seek(data_offset + z_start * slice_bytes)
        np.ascontiguousarray(data, dtype=dtype).tofile(handle)
        handle.truncate(data_offset + full[0] * slice_bytes)


def _set_statistics(header: np.recarray, data: np.ndarray, count: int) -> None:
    """Header min, max, mean and rms of a volume made of ``data`` and zeros (``count``
    voxels in all), accumulated slice by slice."""
    total = 0.0
    squares = 0.0
    for plane in data:
        flat = plane.ravel().astype(np.float32, copy=False)
        total += float(flat.sum())  # pairwise float32 within a slice, float64 across
        squares += float(flat @ flat)
    padded = count > data.size  # the zeros outside the data count too
    header.dmin = min(float(data.min()), 0.0) if padded else float(data.min())
    header.dmax = max(float(data.max()), 0.0) if padded else float(data.max())
    mean = total / count
    header.dmean = mean
    header.rms = np.sqrt(max(squares / count - mean * mean, 0.0))


def file_record(path: Path) -> dict[str, Any]:
    """{"bytes": size, "sha256": hex digest} of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)
    return {"bytes": path.stat().st_size, "sha256": digest.hexdigest()}


def write_particle_locations(path: Path, particles: Iterable[Particle], z_offset: int) -> None:
    """Write ``CLASS X Y Z PHI THETA PSI`` lines; centres move from slab to volume z."""
    lines = []
    for particle in particles:
        z, y, x = particle.centre
        phi, theta, psi = particle.angles
        lines.append(
            f"{particle.class_name} {x} {y} {z + z_offset} {phi:.4f} {theta:.4f} {psi:.4f}\n"
        )
    path.write_text("".join(lines), encoding="ascii")


def write_tilt_angles(path: Path, tilt_degrees: np.ndarray) -> None:
    """One tilt angle in degrees per line, in acquisition order (IMOD ``.tlt`` style)."""
    path.write_text("".join(f"{angle:.2f}\n" for angle in tilt_degrees), encoding="ascii")


def write_json(path: Path, content: dict[str, Any]) -> None:
    """Write JSON with sorted keys and a final newline, so equal content gives equal bytes."""
    path.write_text(json.dumps(content, indent=2, sort_keys=True) + "\n", encoding="utf-8")
