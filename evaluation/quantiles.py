"""Percentiles and medians exactly as numpy computes them, without loading ``numpy.ma``.

``np.percentile``, ``np.median`` and ``np.unique`` import ``numpy.ma`` on first use (to
check for masked arrays): 20-30 ms of a one-shot ``tomobench evaluate``. These give the
values of numpy's default ("linear") method to the bit for finite float data; the tests
compare them with numpy's.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt


def percentile(values: npt.ArrayLike, percents: float | Sequence[float]) -> npt.NDArray[np.float64]:
    """``np.percentile(values, percents, axis=0)`` for finite, non-empty ``values``."""
    ordered = np.sort(np.asarray(values, dtype=np.float64), axis=0)
    count = ordered.shape[0]
    virtual = (count - 1) * np.true_divide(np.asarray(percents, dtype=np.float64), 100)
    # numpy's indexes: the neighbours of each virtual index, the last value past the end
    above = virtual >= count - 1
    previous = np.where(above, -1, np.floor(virtual)).astype(np.intp)
    following = np.where(above, -1, previous + 1).astype(np.intp)
    gamma = np.asarray(virtual - previous, dtype=np.float64)
    gamma = gamma.reshape(gamma.shape + (1,) * (ordered.ndim - 1))
    low, high = ordered[previous], ordered[following]
    # numpy's lerp: from the nearer neighbour
    difference = high - low
    result: npt.NDArray[np.float64] = np.where(
        gamma >= 0.5, high - difference * (1 - gamma), low + difference * gamma
    )
    return result


def median(values: npt.ArrayLike) -> float:
    """``float(np.median(values))`` for finite, non-empty one-dimensional ``values``."""
    ordered = np.sort(np.asarray(values, dtype=np.float64))
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return float((ordered[middle - 1] + ordered[middle]) / 2)
