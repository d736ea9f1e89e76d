"""The single-axis tilt operator: one sparse matrix projects every slice along the tilt axis.

The tilt axis is y, so each y-slice is the same 2-D problem in (x, z): a voxel at (x, z),
measured from the volume centre, lands on detector coordinate u = x·cos θ + z·sin θ (the
specimen rotated by θ about +y, the beam along z) and is shared between the two nearest
detector bins by linear interpolation. Stacking all tilts gives one sparse matrix
A (tilts·bins × z·x); A·V projects all y-slices at once and Aᵀ back-projects.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import scipy.sparse

# scipy's sparse products release the GIL: two threads use both cores of a small machine
THREADS = 2
# y rows per sparse product: small enough for the operand to stay in cache (measured)
ROWS_PER_CHUNK = 32
# z slices per step of the matrix build
BUILD_SLICES = 16


class TiltOperator:
    """Projection and back-projection of [z, y, x] volumes for a fixed set of tilts.

    ``shape`` is the full (z, y, x) volume; the detector has x bins and y rows, centred on
    the volume's centre. Projecting a sub-range of z (the sample slab) uses the matching
    columns of the same matrix, so projection and back-projection stay exact adjoints.
    """

    def __init__(self, shape: tuple[int, int, int], tilt_degrees: np.ndarray) -> None:
        """Build the matrix.

        Raises:
            ValueError: for an empty tilt list or a non-3-D shape.
        """
        if len(shape) != 3:
            raise ValueError(f"shape must be (z, y, x), got {shape!r}")
        if len(tilt_degrees) == 0:
            raise ValueError("at least one tilt angle is needed")
        self.shape = shape
        self.tilts = np.asarray(tilt_degrees, dtype=np.float64)
        self.bins = shape[2]
        self.matrix = self._build()

    def _build(self) -> scipy.sparse.csc_matrix:
        """The CSC matrix: column z·nx + x holds that voxel's two weights per tilt."""
        depth, _, width = self.shape
        angles = np.deg2rad(self.tilts)
        rows = np.empty((depth, width, len(angles), 2), dtype=np.int32)
        weights = np.empty((depth, width, len(angles), 2), dtype=np.float32)
        # a few z slices at a time: the temporaries stay small (fresh 100 MB arrays cost
        # more in page faults than the arithmetic), the values are the same
        for first in range(0, depth, BUILD_SLICES):
            last = min(first + BUILD_SLICES, depth)
            self._fill(angles, first, last, rows[first:last], weights[first:last])
        per_column = 2 * len(angles)
        pointers = np.arange(depth * width + 1, dtype=np.int64) * per_column
        return scipy.sparse.csc_matrix(
            (weights.reshape(-1), rows.reshape(-1), pointers),
            shape=(len(angles) * self.bins, depth * width),
        )

    def _fill(
        self, angles: np.ndarray, first: int, last: int, rows: np.ndarray, weights: np.ndarray
    ) -> None:
        """Detector rows and weights of the voxels in z slices first..last-1."""
        depth, _, width = self.shape
        x = (np.arange(width) - (width - 1) / 2).astype(np.float32)
        z = (np.arange(depth) - (depth - 1) / 2).astype(np.float32)[first:last]
        # detector position of every (z, x, tilt), built in place in single precision
        position = np.empty((last - first, width, len(angles)), dtype=np.float32)
        np.multiply(x[None, :, None], np.cos(angles).astype(np.float32), out=position)
        position += z[:, None, None] * np.sin(angles).astype(np.float32)
        position += np.float32((self.bins - 1) / 2)
        lower_bin = np.floor(position).astype(np.int32)
        position -= lower_bin  # now the weight of the upper bin
        tilt_offset = (np.arange(len(angles), dtype=np.int32) * self.bins)[None, None, :]
        for side in (0, 1):
            bin_index = lower_bin + side
            weight = position if side else 1.0 - position
            # out-of-detector entries keep a valid row with weight 0 so every column is full
            weights[..., side] = np.where((bin_index >= 0) & (bin_index < self.bins), weight, 0)
            np.clip(bin_index, 0, self.bins - 1, out=bin_index)
            bin_index += tilt_offset
            rows[..., side] = bin_index

    def project(self, volume: np.ndarray, z_start: int = 0, offset: float = 0.0) -> np.ndarray:
        """Line integrals (in voxel units) of a [z, y, x] block whose first slice is z_start,
        less ``offset`` per voxel (subtracted on the fly: the block is left as it is).

        Returns the tilt series as [tilt, y, x] float32.

        Raises:
            ValueError: if the block does not fit the operator's y, x or z extent.
        """
        depth, height, width = volume.shape
        if (height, width) != self.shape[1:] or not 0 <= z_start <= self.shape[0] - depth:
            raise ValueError(
                f"a block of shape {volume.shape} at z={z_start} does not fit {self.shape}"
            )
        columns = self.matrix[:, z_start * width : (z_start + depth) * width]
        series = np.empty((len(self.tilts), height, self.bins), dtype=np.float32)
        _apply_by_rows(columns, volume, series, np.float32(offset))
        return series

    def back_project(self, series: np.ndarray, scale: float = 1.0) -> np.ndarray:
        """The adjoint of ``project`` over the full z range: [tilt, y, x] -> [z, y, x],
        times ``scale`` (applied chunk by chunk: no extra pass over the volume).

        Raises:
            ValueError: if the series does not match the operator's tilts and detector.
        """
        count, height, width = series.shape
        if (count, width) != (len(self.tilts), self.bins) or height != self.shape[1]:
            raise ValueError(f"a tilt series of shape {series.shape} does not fit {self.shape}")
        volume = np.empty(self.shape, dtype=np.float32)
        _apply_by_rows(self.matrix.T, series, volume, scale=np.float32(scale))
        return volume


def _apply_by_rows(
    matrix: scipy.sparse.sparray | scipy.sparse.spmatrix,
    source: np.ndarray,
    target: np.ndarray,
    offset: np.float32 | None = None,
    scale: np.float32 | None = None,
) -> None:
    """target[:, rows, :] = matrix · (source[:, rows, :] - offset) · scale for every chunk of
    y rows.

    Arrays are [outer, y, inner] with (outer·inner) matching the matrix's columns (source)
    and rows (target). Working on a few y rows at a time keeps the operand in cache, which
    makes the product several times faster than one big multiplication.
    """
    height = source.shape[1]
    chunks = [
        (start, min(start + ROWS_PER_CHUNK, height)) for start in range(0, height, ROWS_PER_CHUNK)
    ]

    def run(chunk: tuple[int, int]) -> None:
        first, last = chunk
        operand = np.ascontiguousarray(source[:, first:last, :].transpose(0, 2, 1))
        if offset:
            operand -= offset
        product = matrix.dot(operand.reshape(-1, last - first))
        result = product.reshape(target.shape[0], target.shape[2], last - first)
        if scale is not None and scale != 1:
            result *= scale
        target[:, first:last, :] = result.transpose(0, 2, 1)

    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(run, chunks))
