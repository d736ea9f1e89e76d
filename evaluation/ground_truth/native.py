"""The native layout: ``particle_locations.txt`` + ``occupancy_mask.mrc`` (docs/evaluation.md)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from evaluation.classes import SHREC19_BOX_SIDES
from evaluation.errors import GroundTruthError
from evaluation.ground_truth.checks import check_centres_inside, check_same_shape, folder_of
from evaluation.ground_truth.hitbox import (
    build_box_hitbox,
    class_sides,
    read_header_shape,
    read_hitbox,
    read_voxel_size,
)
from evaluation.ground_truth.model import GroundTruth
from evaluation.ground_truth.particle_list import read_profile_list
from evaluation.layout import OCCUPANCY_MASK, PARTICLE_LOCATIONS, RECONSTRUCTION
from evaluation.profile_options import NativeOptions

if TYPE_CHECKING:
    from evaluation.profiles import Profile


def load_native(path: Path, profile: Profile, options: NativeOptions) -> GroundTruth:
    """Load a native tomogram folder (or its ``particle_locations.txt``), whose list is in the
    layout of ``profile``'s submissions.

    Raises:
        GroundTruthError: missing files, a malformed list, a hitbox whose shape differs
            from the reconstruction's, centres outside the volume, labels beyond the list.
    """
    folder = folder_of(path, PARTICLE_LOCATIONS)
    particles = read_profile_list(folder / PARTICLE_LOCATIONS, profile)
    mask_path = folder / OCCUPANCY_MASK
    if options.hitbox == "occupancy":
        hitbox = read_hitbox(mask_path, memory_map=options.memory_map)
        hitbox_name = OCCUPANCY_MASK
    else:
        shape_source = next((p for p in (mask_path, folder / RECONSTRUCTION) if p.exists()), None)
        if shape_source is None:
            raise GroundTruthError(
                f"{folder}: boxes need the volume shape, from {OCCUPANCY_MASK} or "
                f"{RECONSTRUCTION}; neither exists"
            )
        box_shape = read_header_shape(shape_source)
        check_centres_inside(particles, box_shape, PARTICLE_LOCATIONS)  # before building
        sides = class_sides(particles.classes, profile.classes, SHREC19_BOX_SIDES)
        hitbox = build_box_hitbox(box_shape, particles.centres, sides)
        hitbox_name = f"boxes rebuilt in the shape of {shape_source.name}"
    shape = (int(hitbox.shape[0]), int(hitbox.shape[1]), int(hitbox.shape[2]))
    check_same_shape(folder / RECONSTRUCTION, shape, hitbox_name)
    check_centres_inside(particles, shape, PARTICLE_LOCATIONS)
    return GroundTruth(
        profile=profile.name,
        class_names=profile.classes,
        particles=particles,
        hitbox=hitbox,
        options=asdict(options),
        source=str(folder),
        voxel_size=read_voxel_size(mask_path) or read_voxel_size(folder / RECONSTRUCTION),
    )
