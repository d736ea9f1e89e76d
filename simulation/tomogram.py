"""One simulated tomogram: sample, ground truth, tilt series and reconstruction on disk."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from evaluation.classes import CLASSES
from simulation import layout
from simulation.imaging import add_noise, contrast_images, phase_flip, tilt_defoci
from simulation.output import (
    file_record,
    write_json,
    write_particle_locations,
    write_tilt_angles,
    write_volume,
)
from simulation.parameters import SimulationParameters
from simulation.placement import SampleVolumes, place_particles
from simulation.progress import TOMOGRAM_STAGES, ProgressCallback, StageProgress
from simulation.reconstruction import weighted_back_projection
from simulation.solvent import add_water, water_potential
from simulation.templates import footprint, interior_potential, load_template
from simulation.tilt_operator import TiltOperator
from simulation.version import SIMULATOR_VERSION

# the independent random streams of one tomogram, in SeedSequence.spawn order
STREAMS = ("classes", "placement", "water", "defocus", "noise")


def tomogram_name(index: int) -> str:
    """The folder name of tomogram ``index``: model_0, model_1, ..."""
    return f"model_{index}"


def _check_capacity(params: SimulationParameters, templates: dict[str, np.ndarray]) -> None:
    """Refuse at once a particle count whose mean footprint volume exceeds the slab."""
    mean_volume = float(np.mean([footprint(t).sum() for t in templates.values()]))
    needed = mean_volume * params.particles
    _, height, width = params.volume_shape
    available = params.slab * height * width
    if needed > available:
        raise ValueError(
            f"{params.particles} particles need about {needed:.0f} voxels but the slab "
            f"({width}x{height}x{params.slab}) has only {available}; "
            f"at most about {int(available / mean_volume)} could fit"
        )


def simulate_tomogram(
    out_dir: str | Path,
    params: SimulationParameters,
    *,
    index: int = 0,
    progress: ProgressCallback | None = None,
    operator: TiltOperator | None = None,
) -> dict[str, Any]:
    """Simulate tomogram ``index`` of a dataset into ``out_dir`` (created if missing).

    Writes reconstruction.mrc, grandmodel.mrc, occupancy_mask.mrc, class_mask.mrc,
    particle_locations.txt, projections.mrc, tilt_angles.txt, metadata.json (and
    noisefree_projections.mrc on request). The random streams derive from (seed, index),
    so a tomogram is the same whether simulated alone or within its dataset. ``operator``
    lets a caller reuse one TiltOperator for several tomograms of the same geometry.

    Returns the metadata written to metadata.json.

    Raises:
        ValueError: for an index outside the dataset or particles that do not fit
            (PlacementError, a ValueError, says how many did).
    """
    if not 0 <= index < params.tomograms:
        raise ValueError(f"index {index} is outside 0..{params.tomograms - 1}")
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    stages = StageProgress(progress, TOMOGRAM_STAGES)
    streams = dict(
        zip(
            STREAMS,
            (
                np.random.default_rng(s)
                for s in np.random.SeedSequence([params.seed, index]).spawn(5)
            ),
            strict=True,
        )
    )
    templates = {name: load_template(name, params.voxel_size) for name in CLASSES}
    _check_capacity(params, templates)
    z_start, z_stop = params.slab_range

    stages.report("placement")
    grandmodel = np.zeros(params.volume_shape, dtype=np.float32)
    sample = SampleVolumes(
        grandmodel[z_start:z_stop],
        np.zeros((params.slab, *params.volume_shape[1:]), dtype=np.uint16),
        np.zeros((params.slab, *params.volume_shape[1:]), dtype=np.int8),
    )
    choices = streams["classes"].integers(0, len(CLASSES), size=params.particles)
    classes = [CLASSES[choice] for choice in choices]
    particles = place_particles(
        classes,
        templates,
        sample,
        streams["placement"],
        params.placement_attempts,
        lambda fraction: stages.report("placement", fraction),
    )

    stages.report("water")
    water_volts = water_potential(params.water_density)
    protein_volts = float(np.mean([interior_potential(t) for t in templates.values()]))
    add_water(sample.potential, water_volts, params.water_noise, protein_volts, streams["water"])

    stages.report("ground truth")
    written = [
        layout.GRANDMODEL,
        layout.OCCUPANCY_MASK,
        layout.CLASS_MASK,
        layout.PARTICLE_LOCATIONS,
        layout.PROJECTIONS,
        layout.TILT_ANGLES,
        layout.RECONSTRUCTION,
    ]
    write_volume(folder / layout.GRANDMODEL, grandmodel, params.voxel_size)
    for name, labels in (
        (layout.OCCUPANCY_MASK, sample.occupancy),
        (layout.CLASS_MASK, sample.class_mask),
    ):
        full = np.zeros(params.volume_shape, dtype=labels.dtype)
        full[z_start:z_stop] = labels
        write_volume(folder / name, full, params.voxel_size)
        del full
    del sample
    write_particle_locations(folder / layout.PARTICLE_LOCATIONS, particles, z_start)

    stages.report("projection")
    if operator is None:
        operator = TiltOperator(params.volume_shape, params.tilt_angles())
    # the sample is a laterally infinite slab: its mean water level only shifts the phase
    # uniformly, so project the deviation from it (a finite block of water would add
    # false edges at high tilts)
    sample_slab = grandmodel[z_start:z_stop]
    sample_slab -= np.float32(water_volts)
    projected = operator.project(sample_slab, z_start)
    del grandmodel, sample_slab

    stages.report("imaging")
    defoci = tilt_defoci(params, streams["defocus"])
    clean = contrast_images(projected, defoci, params)
    del projected
    if params.write_noisefree:
        write_volume(folder / layout.NOISEFREE_PROJECTIONS, clean, params.voxel_size)
        written.append(layout.NOISEFREE_PROJECTIONS)
    noisy = add_noise(clean, params, streams["noise"])
    del clean
    write_volume(folder / layout.PROJECTIONS, noisy, params.voxel_size)
    write_tilt_angles(folder / layout.TILT_ANGLES, params.tilt_angles())

    stages.report("reconstruction")
    reconstruction = weighted_back_projection(phase_flip(noisy, defoci, params), operator)
    stages.report("writing")
    write_volume(folder / layout.RECONSTRUCTION, reconstruction, params.voxel_size)
    del reconstruction

    counts = Counter(particle.class_name for particle in particles)
    metadata: dict[str, Any] = {
        "simulator_version": SIMULATOR_VERSION,
        "name": tomogram_name(index),
        "index": index,
        "role": "test" if index == params.tomograms - 1 else "train",
        "seed": params.seed,
        "parameters": params.to_dict(),
        "particles": len(particles),
        "class_counts": {name: counts.get(name, 0) for name in CLASSES},
        "slab_z_range": [z_start, z_stop],
        "tilt_angles_deg": [float(a) for a in params.tilt_angles()],
        "defocus_um": [round(float(d) / 1e3, 6) for d in defoci],
        "water_potential_volts": round(water_volts, 6),
        "protein_interior_potential_volts": round(protein_volts, 6),
        "files": {name: file_record(folder / name) for name in sorted(written)},
    }
    write_json(folder / layout.METADATA, metadata)
    stages.finish()
    return metadata
