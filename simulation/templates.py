"""The 12 class templates: potentials in volts, built once per voxel size and shipped at 1 nm.

A class with an atomic model in ``data/pdb/`` gets its assembly's potential (see ``atomic``);
a class without one (``4b4t`` and ``4d8q``) gets a pseudo-potential from its binary shape
mask in ``data/masks_1nm/``: the mask, smoothed, times the mean interior potential of the
atomic templates. Dropping a ``<class>.pdb.gz`` into ``data/pdb/`` switches a class to its
atomic model on the next rebuild.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

import mrcfile
import numpy as np
from scipy import ndimage

from evaluation.classes import CLASSES
from simulation.atomic import add_united_hydrogens, atomic_potential, read_assembly

DATA_DIR = Path(__file__).parent / "data"
PDB_DIR = DATA_DIR / "pdb"
MASK_DIR = DATA_DIR / "masks_1nm"
TEMPLATE_DIR = DATA_DIR / "templates"
MASK_VOXEL_SIZE_NM = 1.0
# potential (volts) above which a voxel belongs to a particle's footprint
FOOTPRINT_THRESHOLD_V = 1.0
# the smoothing of mask edges, in nm: a shape mask is a hard-edged stand-in for a 1 nm map
MASK_SMOOTHING_NM = 0.5
# template sets: the classes built from the whole asymmetric unit instead of the first
# biological assembly. SHREC'19's maps of 3d2f and 3gl1 hold the asymmetric unit (two
# complexes, two chains): their shape masks have twice its volume, as for the other small
# classes, against four times the assembly's (docs/simulation.md, Templates)
TEMPLATE_SETS: dict[str, tuple[str, ...]] = {"assembly": (), "shrec19": ("3d2f", "3gl1")}


def template_path(
    voxel_size: float, directory: Path = TEMPLATE_DIR, template_set: str = "assembly"
) -> Path:
    """The file that holds a template set for one voxel size (nm)."""
    prefix = "templates" if template_set == "assembly" else f"templates_{template_set}"
    return directory / f"{prefix}_{voxel_size:.3f}nm.npz"


def footprint(potential: np.ndarray) -> np.ndarray:
    """The voxels a particle owns: potential above threshold, interior cavities filled.

    A cavity is a 6-connected background region that does not reach the box's faces (the
    same result as ``ndimage.binary_fill_holes``, several times faster through labelling).
    Only the above-threshold voxels' bounding box, grown by one voxel, is labelled: all
    background outside it is connected to the faces, so the result is the same.
    """
    owned = potential > FOOTPRINT_THRESHOLD_V
    if not owned.any():
        return owned
    nonzero = np.nonzero(owned)
    box = tuple(slice(max(int(axis.min()) - 1, 0), int(axis.max()) + 2) for axis in nonzero)
    regions, _ = ndimage.label(~owned[box])
    faces = np.concatenate(
        [
            np.ravel(regions[index])
            for axis in range(regions.ndim)
            for index in ((slice(None),) * axis + (0,), (slice(None),) * axis + (-1,))
        ]
    )
    outside = np.zeros(regions.max() + 1, dtype=bool)
    outside[faces] = True
    outside[0] = False  # label 0 is the particle itself
    owned[box] = ~outside[regions]
    return owned


def interior_potential(potential: np.ndarray) -> float:
    """Mean potential (volts) inside the footprint eroded by one voxel (or all of it)."""
    inside = potential > FOOTPRINT_THRESHOLD_V
    core = ndimage.binary_erosion(inside)
    chosen = core if core.any() else inside
    if not chosen.any():
        raise ValueError("the potential never exceeds the footprint threshold")
    return float(potential[chosen].mean())


def _read_mask(class_name: str) -> np.ndarray:
    """The binary 1 nm shape mask of a class, as float32 [z, y, x]."""
    with warnings.catch_warnings():
        # the masks carry a zero machine stamp, which mrcfile reports in permissive mode
        warnings.simplefilter("ignore", RuntimeWarning)
        with mrcfile.open(MASK_DIR / f"{class_name}.mrc", permissive=True) as mask_file:
            return (np.asarray(mask_file.data) > 0.5).astype(np.float32)


def mask_potential(class_name: str, voxel_size: float, interior_volts: float) -> np.ndarray:
    """A pseudo-potential from a class's shape mask, on an odd cube centred on its centroid.

    Raises:
        FileNotFoundError: if the class has no mask.
    """
    mask = _read_mask(class_name)
    scale = MASK_VOXEL_SIZE_NM / voxel_size
    if not math.isclose(scale, 1.0):
        mask = ndimage.zoom(mask, scale, order=1)
    smooth = ndimage.gaussian_filter(mask, MASK_SMOOTHING_NM / voxel_size)
    centroid = np.array(ndimage.center_of_mass(mask))
    inside = np.argwhere(mask > 0.5)
    radius = float(np.linalg.norm(inside - centroid, axis=1).max())
    half = math.ceil(radius) + 2
    edge = 2 * half + 1
    # sample the smoothed mask on a box whose centre voxel sits on the centroid
    grid = np.indices((edge,) * 3, dtype=np.float64).reshape(3, -1)
    coordinates = grid + (centroid - half)[:, None]
    box = ndimage.map_coordinates(smooth, coordinates, order=1, mode="constant")
    return np.asarray(box.reshape((edge,) * 3) * interior_volts, dtype=np.float32)


def build_templates(
    voxel_size: float,
    classes: Iterable[str] = CLASSES,
    progress: Callable[[str], None] | None = None,
    template_set: str = "assembly",
) -> dict[str, np.ndarray]:
    """Build the templates of the given classes at one voxel size (nm), in volts.

    Atomic models are built first: their mean interior potential scales the mask classes.
    ``template_set`` names which classes use their asymmetric unit (``TEMPLATE_SETS``).

    Raises:
        ValueError: for a class with neither an atomic model nor a mask, a bad voxel size or
            an unknown template set.
    """
    if not voxel_size > 0:
        raise ValueError(f"voxel size must be positive, got {voxel_size}")
    if template_set not in TEMPLATE_SETS:
        raise ValueError(f"unknown template set {template_set!r}")
    wanted = list(classes)
    atomic_classes = sorted(p.name.split(".")[0] for p in PDB_DIR.glob("*.pdb.gz"))
    templates: dict[str, np.ndarray] = {}
    for class_name in atomic_classes:
        if progress is not None:
            progress(class_name)
        whole_unit = class_name in TEMPLATE_SETS[template_set]
        model = read_assembly(PDB_DIR / f"{class_name}.pdb.gz", whole_unit=whole_unit)
        add_united_hydrogens(model)
        templates[class_name] = atomic_potential(model, voxel_size)
    interior = float(np.mean([interior_potential(t) for t in templates.values()]))
    for class_name in wanted:
        if class_name in templates:
            continue
        if not (MASK_DIR / f"{class_name}.mrc").exists():
            raise ValueError(f"class {class_name!r} has neither an atomic model nor a mask")
        if progress is not None:
            progress(class_name)
        templates[class_name] = mask_potential(class_name, voxel_size, interior)
    return {name: templates[name] for name in wanted}


def save_templates(templates: dict[str, np.ndarray], voxel_size: float, path: Path) -> None:
    """Write a template set as one compressed .npz (arrays named by class)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, Any] = {"voxel_size": np.float64(voxel_size), **templates}
    np.savez_compressed(path, **arrays)


@lru_cache(maxsize=4)
def _template_set(voxel_size: float, template_set: str) -> dict[str, np.ndarray]:
    """The templates at one voxel size: from the package's file, else built now."""
    stored = template_path(voxel_size, template_set=template_set)
    if stored.exists():
        with np.load(stored) as archive:
            templates = {name: archive[name] for name in CLASSES}
    else:
        templates = build_templates(voxel_size, template_set=template_set)
    for array in templates.values():
        array.setflags(write=False)
    return templates


def load_template(
    class_name: str, voxel_size: float = 1.0, template_set: str = "assembly"
) -> np.ndarray:
    """The potential (volts) of a class, [z, y, x], odd cube centred on the particle centre.

    Templates at 1 nm ship with the package; other voxel sizes are read from the file that
    ``tomobench templates`` writes, or built from the structures on first use (seconds).
    The returned array is read-only and shared. ``template_set`` "shrec19" builds 3d2f and
    3gl1 from their asymmetric unit, as SHREC'19 did.

    Raises:
        KeyError: for an unknown class name (matched case-insensitively).
        ValueError: for a non-positive voxel size or an unknown template set.
    """
    if not voxel_size > 0:
        raise ValueError(f"voxel size must be positive, got {voxel_size}")
    if template_set not in TEMPLATE_SETS:
        raise ValueError(f"unknown template set {template_set!r}")
    name = class_name.lower()
    if name not in CLASSES:
        raise KeyError(f"unknown class {class_name!r}; expected one of {', '.join(CLASSES)}")
    return _template_set(round(float(voxel_size), 3), template_set)[name]
