"""Independent re-derivations used by the simulator's tests (no simulator code paths)."""

from __future__ import annotations

from pathlib import Path

import mrcfile
import numpy as np
from scipy import ndimage
from scipy.spatial.transform import Rotation


def read_volume(path: Path) -> np.ndarray:
    """An MRC file's data as a plain array."""
    with mrcfile.open(path) as mrc:
        return np.array(mrc.data)


def read_locations(path: Path) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(class, centre x y z, angles phi theta psi) of each line of particle_locations.txt."""
    rows = []
    for line in path.read_text().splitlines():
        fields = line.split()
        numbers = np.array([float(value) for value in fields[1:]])
        rows.append((fields[0], numbers[:3], numbers[3:]))
    return rows


def rotated_template(
    template: np.ndarray, angles: np.ndarray, *, transpose: bool = False
) -> np.ndarray:
    """The template rotated by Rotation.from_euler("ZXZ", angles) (x, y, z order), by hand.

    The output at offset r (from the centre) samples the template at R⁻¹ r. ``transpose``
    uses R instead of R⁻¹: the wrong convention, for negative controls.
    """
    matrix = Rotation.from_euler("ZXZ", angles, degrees=True).as_matrix()
    inverse = matrix if transpose else matrix.T
    edge = template.shape[0]
    centre = edge // 2
    z, y, x = np.indices(template.shape).reshape(3, -1) - centre
    source_xyz = inverse @ np.vstack([x, y, z])
    coordinates = source_xyz[::-1] + centre  # back to (z, y, x) indices
    values = ndimage.map_coordinates(template, coordinates, order=1, mode="constant")
    return np.asarray(values.reshape(template.shape))


def particle_correlation(
    grandmodel: np.ndarray,
    occupancy: np.ndarray,
    label: int,
    centre_xyz: np.ndarray,
    expected: np.ndarray,
    z_range: tuple[int, int],
) -> float:
    """Pearson correlation of a predicted particle box with the grandmodel at its centre.

    Taken over the particle's own voxels (occupancy == label) grown by two voxels, minus
    any voxel another particle owns or outside the sample slab ``z_range``: where the
    particle's signal is, not the solvent far from it (whose structural noise would
    dominate a whole box) nor the vacuum beyond the slab.
    """
    half = expected.shape[0] // 2
    x, y, z = (round(float(c)) for c in centre_xyz)
    low = np.array([z, y, x]) - half
    high = low + expected.shape[0]
    start, stop = np.maximum(low, 0), np.minimum(high, grandmodel.shape)
    volume_box = tuple(slice(a, b) for a, b in zip(start, stop, strict=True))
    template_box = tuple(
        slice(a - first, b - first) for a, b, first in zip(start, stop, low, strict=True)
    )
    labels = occupancy[volume_box]
    near = ndimage.binary_dilation(labels == label, iterations=2)
    slice_z = np.arange(start[0], stop[0])[:, None, None]
    in_slab = (slice_z >= z_range[0]) & (slice_z < z_range[1])
    usable = near & in_slab & ((labels == 0) | (labels == label))
    observed = grandmodel[volume_box][usable]
    predicted = expected[template_box][usable]
    return float(np.corrcoef(observed, predicted)[0, 1])
