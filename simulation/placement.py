"""Non-overlapping random placement of rotated templates inside the sample slab.

Each particle gets a random class, a uniformly random orientation and a random integer
centre; it is accepted only if its footprint (potential above threshold, cavities filled,
centre voxel always included) touches no voxel already owned. Large particles are placed
first, which packs far better than placing in list order. The potential, the occupancy
labels (1-based line number) and the class labels are written as particles are accepted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from evaluation.classes import CLASSES
from simulation.orientation import random_angles, rotate_volume
from simulation.templates import footprint


class PlacementError(ValueError):
    """Not every requested particle fits; ``placed`` says how many did."""

    def __init__(self, message: str, placed: int) -> None:
        super().__init__(message)
        self.placed = placed


@dataclass(frozen=True)
class Particle:
    """One placed particle: class, centre voxel (z, y, x) and ZXZ angles in degrees."""

    class_name: str
    centre: tuple[int, int, int]
    angles: tuple[float, float, float]


@dataclass
class SampleVolumes:
    """The slab's potential (volts), occupancy labels and class labels, each [z, y, x]."""

    potential: np.ndarray
    occupancy: np.ndarray
    class_mask: np.ndarray


@dataclass(frozen=True)
class _Candidate:
    """A rotated particle: its whole box, and its footprint cropped to its bounding box."""

    potential: np.ndarray
    owned: np.ndarray
    owned_low: np.ndarray  # offset of the footprint box's first voxel from the centre


def _rotated_candidate(template: np.ndarray, angles: tuple[float, float, float]) -> _Candidate:
    """Rotate a template; crop its footprint to the footprint's bounding box."""
    rotated = rotate_volume(template, angles)
    owned = footprint(rotated)
    centre = np.array(template.shape) // 2
    owned[tuple(centre)] = True  # a pick at the exact centre must always hit
    nonzero = np.argwhere(owned)
    first, last = nonzero.min(axis=0), nonzero.max(axis=0) + 1
    box = tuple(slice(a, b) for a, b in zip(first, last, strict=True))
    return _Candidate(rotated, owned[box], first - centre)


def _box(
    centre: np.ndarray, low: np.ndarray, size: Sequence[int], shape: np.ndarray
) -> tuple[tuple[slice, ...], tuple[slice, ...]]:
    """Slices of the volume and of a box (first voxel at centre + low) where they overlap."""
    start = centre + low
    stop = start + np.array(size)
    clipped_start, clipped_stop = np.maximum(start, 0), np.minimum(stop, shape)
    in_volume = tuple(slice(a, b) for a, b in zip(clipped_start, clipped_stop, strict=True))
    in_box = tuple(
        slice(a, b) for a, b in zip(clipped_start - start, clipped_stop - start, strict=True)
    )
    return in_volume, in_box


class _Boxes:
    """The SHREC'19 boxes already taken: a cube of side d per particle, voxels
    [c - d//2, c - d//2 + d) as the evaluator draws them; z padded so that boxes sticking
    out of the slab still see each other."""

    def __init__(self, shape: np.ndarray, sides: Mapping[str, int]) -> None:
        self.sides = sides
        self.pad = max(sides.values()) // 2 + 1
        self.taken = np.zeros((int(shape[0]) + 2 * self.pad, *shape[1:]), dtype=bool)

    def _region(self, class_name: str, centre: np.ndarray) -> tuple[slice, ...]:
        side = self.sides[class_name]
        low = centre - side // 2 + np.array([self.pad, 0, 0])
        return tuple(slice(max(int(a), 0), max(int(a) + side, 0)) for a in low)

    def free(self, class_name: str, centre: np.ndarray) -> bool:
        return not self.taken[self._region(class_name, centre)].any()

    def take(self, class_name: str, centre: np.ndarray) -> None:
        self.taken[self._region(class_name, centre)] = True


def place_particles(
    classes: Sequence[str],
    templates: dict[str, np.ndarray],
    volumes: SampleVolumes,
    rng: np.random.Generator,
    attempts: int,
    progress: Callable[[float], None] | None = None,
    box_sides: Mapping[str, int] | None = None,
    reserved: np.ndarray | None = None,
) -> list[Particle]:
    """Place one particle per entry of ``classes`` into the slab volumes, in place.

    Particle i (0-based, in ``classes`` order) gets occupancy label i + 1 and class label
    ``class_index[classes[i]]``; the returned list is in the same order, centres in slab
    coordinates. With ``box_sides`` (class -> SHREC'19 box side), a particle is also refused
    where its box would overlap another particle's, which keeps SHREC'19's spacing. With
    ``reserved`` (bool, slab shape: membranes), footprints keep out of those voxels too.

    Raises:
        PlacementError: if some particle found no free spot in ``attempts`` tries; the
            message and ``placed`` say how many fit.
    """
    class_index = {name: index + 1 for index, name in enumerate(CLASSES)}
    sizes = {name: int(footprint(t).sum()) for name, t in templates.items()}
    order = sorted(range(len(classes)), key=lambda i: (-sizes[classes[i]], i))
    shape = np.array(volumes.occupancy.shape)
    boxes = _Boxes(shape, box_sides) if box_sides is not None else None
    placed: dict[int, Particle] = {}
    for done, index in enumerate(order):
        class_name = classes[index]
        angles = random_angles(rng)
        candidate = _rotated_candidate(templates[class_name], angles)
        owned_high = candidate.owned_low + np.array(candidate.owned.shape)
        lowest, highest = -candidate.owned_low, shape - owned_high  # allowed centres
        if np.any(highest < lowest):
            continue
        box_low = -(np.array(candidate.potential.shape) // 2)
        for _ in range(attempts):
            centre = rng.integers(lowest, highest + 1)
            region, _ = _box(centre, candidate.owned_low, candidate.owned.shape, shape)
            if boxes is not None and not boxes.free(class_name, centre):
                continue
            if volumes.occupancy[region][candidate.owned].any():
                continue
            if reserved is not None and reserved[region][candidate.owned].any():
                continue
            if boxes is not None:
                boxes.take(class_name, centre)
            volumes.occupancy[region][candidate.owned] = index + 1
            volumes.class_mask[region][candidate.owned] = class_index[class_name]
            in_volume, in_box = _box(centre, box_low, candidate.potential.shape, shape)
            volumes.potential[in_volume] += candidate.potential[in_box]
            placed[index] = Particle(
                class_name, (int(centre[0]), int(centre[1]), int(centre[2])), angles
            )
            break
        if progress is not None:
            progress((done + 1) / len(order))
    if len(placed) < len(classes):
        raise PlacementError(
            f"only {len(placed)} of {len(classes)} particles fit in the "
            f"{'x'.join(str(n) for n in shape[::-1])} (x·y·z) slab after {attempts} attempts "
            "each; lower the particle count or enlarge the volume or slab",
            placed=len(placed),
        )
    return [placed[i] for i in range(len(classes))]
