"""The published SHREC layouts (docs/evaluation.md, profiles): scored as their organisers did."""

from __future__ import annotations

import re
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from evaluation.classes import SHREC19_BOX_SIDES
from evaluation.errors import GroundTruthError
from evaluation.ground_truth.checks import check_centres_inside, folder_of
from evaluation.ground_truth.hitbox import (
    build_box_hitbox,
    class_sides,
    dilate_hitbox,
    read_hitbox,
)
from evaluation.ground_truth.model import GroundTruth, Particles
from evaluation.ground_truth.particle_list import read_profile_list
from evaluation.layout import (
    OCCUPANCY_MASK,
    PARTICLE_LOCATIONS,
    SHREC19_HITBOX,
    SHREC19_PARTICLE_LOCATIONS_GLOB,
)
from evaluation.profile_options import Shrec19Options, Shrec20Options, Shrec21Options

if TYPE_CHECKING:
    from evaluation.profiles import Profile

# The SHREC'19, '20 and '21 volumes are simulated at 1 nm per voxel (their papers).
_SHREC_VOXEL_SIZE = 10.0

_SHREC19_LIST = re.compile(r"particle_locations_model_(.+)\.txt")


def load_shrec19(path: Path, profile: Profile, options: Shrec19Options) -> GroundTruth:
    """Load ``particle_locations_model_N.txt`` (a file, or the one in a folder) with
    ``hitbox_N.mrc`` beside it, or SHREC'19 boxes rebuilt from the list when it is absent.

    Raises:
        GroundTruthError: no list (or several in the folder), a malformed list, a hitbox
            not of the list, centres outside the hitbox.
    """
    list_path = _shrec19_list(path)
    match = _SHREC19_LIST.fullmatch(list_path.name)
    number = match.group(1) if match else None
    particles = read_profile_list(list_path, profile, integers=True)
    hitbox_path = (
        None if number is None else list_path.parent / SHREC19_HITBOX.format(number=number)
    )
    if hitbox_path is not None and hitbox_path.exists() and not options.rebuild_hitbox:
        hitbox = read_hitbox(hitbox_path, memory_map=options.memory_map)
        check_centres_inside(particles, hitbox.shape, list_path.name)
    else:
        check_centres_inside(particles, options.shape, list_path.name)  # before building
        sides = class_sides(particles.classes, profile.classes, SHREC19_BOX_SIDES)
        hitbox = build_box_hitbox(options.shape, particles.centres, sides)
    pad = options.padding
    return GroundTruth(
        profile=profile.name,
        class_names=profile.classes,
        particles=particles,
        hitbox=hitbox,
        submission_offset=np.array([pad, pad, pad + options.z_offset], dtype=np.int64),
        options=asdict(options),
        source=str(list_path),
        voxel_size=_SHREC_VOXEL_SIZE,
    )


def load_shrec20(path: Path, profile: Profile, options: Shrec20Options) -> GroundTruth:
    """Load a SHREC'20 model folder: the 200-slice mask dilated and padded to the tomogram.

    Raises:
        GroundTruthError: missing files, a malformed list, centres outside, labels beyond.
    """
    folder, listed = _model_folder(path, profile)
    pad = options.slab_padding
    particles = Particles(
        listed.classes,
        listed.centres + np.array([0.0, 0.0, pad]),
        listed.angles,
        listed.angle_convention,
    )
    mask = read_hitbox(folder / OCCUPANCY_MASK)
    hitbox = np.pad(dilate_hitbox(mask), ((pad, pad), (0, 0), (0, 0)))
    check_centres_inside(particles, hitbox.shape, PARTICLE_LOCATIONS)
    return GroundTruth(
        profile=profile.name,
        class_names=profile.classes,
        particles=particles,
        hitbox=hitbox,
        ad_first_hits_only=True,
        sample_z_range=(pad, pad + mask.shape[0] - 1),
        options=asdict(options),
        source=str(folder),
        voxel_size=_SHREC_VOXEL_SIZE,
    )


def load_shrec21(path: Path, profile: Profile, options: Shrec21Options) -> GroundTruth:
    """Load a SHREC'21 model folder: the 512³ mask dilated; excluded classes leave N.

    Raises:
        GroundTruthError: missing files, a malformed list, an unknown excluded class,
            centres outside, labels beyond the list.
    """
    unknown = [n for n in options.excluded if n not in profile.classes]
    if unknown:
        raise GroundTruthError(f"excluded class {unknown[0]!r} is not a SHREC'21 class")
    folder, particles = _model_folder(path, profile)
    hitbox = dilate_hitbox(read_hitbox(folder / OCCUPANCY_MASK))
    check_centres_inside(particles, hitbox.shape, PARTICLE_LOCATIONS)
    excluded_ids = [profile.classes.index(name) + 1 for name in options.excluded]
    return GroundTruth(
        profile=profile.name,
        class_names=profile.classes,
        particles=particles,
        hitbox=hitbox,
        scored=~np.isin(particles.classes, excluded_ids),
        ad_first_hits_only=True,
        excluded_classes=options.excluded,
        options=asdict(options),
        source=str(folder),
        voxel_size=_SHREC_VOXEL_SIZE,
    )


def _model_folder(path: Path, profile: Profile) -> tuple[Path, Particles]:
    """A SHREC'20/'21 model folder and its particle list (in the profile's layout: x, y, z;
    TOM angles)."""
    folder = folder_of(path, PARTICLE_LOCATIONS)
    particles = read_profile_list(folder / PARTICLE_LOCATIONS, profile)
    return folder, particles


def _shrec19_list(path: Path) -> Path:
    if path.is_file():
        return path
    if not path.is_dir():
        raise GroundTruthError(f"no such file or folder: {path}")
    # the glob's matches, without compiling it into a regular expression (~1 ms per process)
    prefix, suffix = SHREC19_PARTICLE_LOCATIONS_GLOB.split("*")
    candidates = sorted(
        entry
        for entry in path.iterdir()
        if entry.name.startswith(prefix) and entry.name.endswith(suffix)
    )
    if not candidates:
        raise GroundTruthError(f"{path}: no {SHREC19_PARTICLE_LOCATIONS_GLOB} in the folder")
    if len(candidates) > 1:
        names = ", ".join(c.name for c in candidates)
        raise GroundTruthError(f"{path}: several lists ({names}); give the file itself")
    return candidates[0]
