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


def write_volume(path: Path, data: np.ndarray, voxel_size_nm: float) -> None:
    """Write an MRC file (voxel size in Å in the header, as the format wants).

    mrcfile labels new files with the creation time; the label is replaced by the
    simulator's name and version so equal data give equal bytes.
    """
    with mrcfile.new(path, overwrite=True) as mrc:
        mrc.set_data(data)
        mrc.voxel_size = voxel_size_nm * 10.0
        mrc.header.label[0] = f"tomobench simulator {SIMULATOR_VERSION}".encode("ascii")
        mrc.header.nlabl = 1


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
