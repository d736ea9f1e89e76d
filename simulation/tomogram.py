"""One simulated tomogram: sample, ground truth, tilt series and reconstruction on disk."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from evaluation.classes import CLASSES, SHREC19_BOX_SIDES
from simulation import layout
from simulation.ctf import frequency_grid_sq
from simulation.dose import envelopes
from simulation.imaging import (
    add_noise,
    contrast_images,
    ctf_responses,
    phase_flip,
    tilt_defoci,
)
from simulation.membranes import Membranes
from simulation.output import (
    file_record,
    write_json,
    write_particle_locations,
    write_tilt_angles,
    write_volume,
)
from simulation.parameters import SimulationParameters
from simulation.placement import Particle, SampleVolumes, place_particles
from simulation.progress import TOMOGRAM_STAGES, ProgressCallback, StageProgress
from simulation.reconstruction import weighted_back_projection
from simulation.solvent import add_water, water_potential
from simulation.specimen import add_fiducials, ice_surfaces
from simulation.templates import footprint, interior_potential, load_template
from simulation.tilt_operator import TiltOperator
from simulation.version import SIMULATOR_VERSION

# the independent random streams of one tomogram, in SeedSequence.spawn order
# (appending keeps the earlier streams: SeedSequence children depend only on their index)
STREAMS = ("classes", "placement", "water", "defocus", "noise", "specimen", "membranes")


def tomogram_name(index: int) -> str:
    """The folder name of tomogram ``index``: model_0, model_1, ..."""
    return f"model_{index}"


class _Folder:
    """Writes a tomogram's files; volumes are written and checksummed on a background
    thread while the next stage computes (file writes release the GIL)."""

    def __init__(
        self, path: Path, params: SimulationParameters, background: ThreadPoolExecutor
    ) -> None:
        path.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.params = params
        self.pool = background
        self.records: dict[str, Future[dict[str, Any]]] = {}

    def added(self, name: str) -> None:
        """Start checksumming a file just written."""
        self.records[name] = self.pool.submit(file_record, self.path / name)

    def volume(self, name: str, data: np.ndarray, *, z_start: int | None = None) -> None:
        """Write a volume in the background; with z_start, data are a slab of the full volume
        shape. The caller must leave ``data`` unchanged afterwards."""
        path = self.path / name
        full = self.params.volume_shape if z_start is not None else None

        def write() -> dict[str, Any]:
            write_volume(path, data, self.params.voxel_size, shape=full, z_start=z_start or 0)
            return file_record(path)

        self.records[name] = self.pool.submit(write)

    def checksums(self) -> dict[str, dict[str, Any]]:
        """{file name: {"bytes", "sha256"}} of every file written, in name order."""
        return {name: self.records[name].result() for name in sorted(self.records)}


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


def _streams(
    params: SimulationParameters, index: int, secret_seed: int | None
) -> dict[str, np.random.Generator]:
    """Independent generators per stage, so changing one stage never shifts another.

    They derive from (seed, index), or from (secret_seed, index) when a secret is given.
    """
    entropy = params.seed if secret_seed is None else secret_seed
    seeds = np.random.SeedSequence([entropy, index]).spawn(len(STREAMS))
    return {name: np.random.default_rng(seed) for name, seed in zip(STREAMS, seeds, strict=True)}


def _sample(
    params: SimulationParameters,
    templates: dict[str, np.ndarray],
    volts: tuple[float, float],
    streams: dict[str, np.random.Generator],
    stages: StageProgress,
) -> tuple[SampleVolumes, list[Particle], list[tuple[int, int, int]], Membranes | None]:
    """Place the vesicles, the particles and the gold fiducials in the slab and fill the
    rest with noisy water (the grandmodel); returns the volumes, the particles, the
    fiducials' centres and the vesicles (None without).

    ``volts`` holds the water's mean potential and the proteins' interior potential.
    """
    slab_shape = (params.slab, *params.volume_shape[1:])
    sample = SampleVolumes(
        np.zeros(slab_shape, dtype=np.float32),
        np.zeros(slab_shape, dtype=np.uint16),
        np.zeros(slab_shape, dtype=np.int8),
    )
    choices = streams["classes"].integers(0, len(CLASSES), size=params.particles)
    membranes = None
    if params.vesicles:
        # first, so that the particles keep out of their shells (distractors, not truth)
        membranes = Membranes(slab_shape, params.voxel_size)
        membranes.place(params.vesicles, streams["membranes"])
    reserved = membranes.reserved if membranes is not None else None
    particles = place_particles(
        [CLASSES[choice] for choice in choices],
        templates,
        sample,
        streams["placement"],
        params.placement_attempts,
        lambda fraction: stages.report("placement", fraction),
        SHREC19_BOX_SIDES if params.spacing == "shrec19_boxes" else None,
        reserved,
    )
    stages.report("water")
    water_volts, protein_volts = volts
    fiducials = add_fiducials(
        sample.potential, params.fiducials, params.voxel_size, streams["specimen"], reserved
    )
    ice = None
    if params.thickness_variation > 0:
        ice = ice_surfaces(
            slab_shape, params.thickness_variation, params.voxel_size, streams["specimen"]
        )
    add_water(
        sample.potential, water_volts, params.water_noise, protein_volts, streams["water"], ice
    )
    if membranes is not None:
        membranes.add_contrast(sample.potential, ice)
    return sample, particles, fiducials, membranes


def _acquisition_record(
    params: SimulationParameters,
    fiducials: list[tuple[int, int, int]],
    membranes: Membranes | None,
    z_start: int,
) -> dict[str, Any]:
    """Metadata of the preset features: dose bookkeeping and distractors (absent for the
    legacy settings, whose metadata must keep its bytes)."""
    record: dict[str, Any] = {}
    if params.dose_per_tilt is not None or params.tilt_order != "sequential":
        total = params.total_dose
        record["dose"] = {
            "total_e_per_A2": total,
            "per_tilt_e_per_A2": None if total is None else total / params.tilt_angles().size,
            "acquisition_order_deg": [
                float(params.tilt_angles()[i]) for i in params.acquisition_order()
            ],
            "prior_dose_e_per_A2": [round(float(d), 6) for d in params.prior_dose()],
        }
    if params.fiducials:
        # distractors: listed here, never in particle_locations.txt or the masks
        record["fiducials"] = [[x, y, z + z_start] for z, y, x in fiducials]
    if membranes is not None:
        # distractors too: listed here, never in particle_locations.txt or the masks
        record["vesicles"] = [vesicle.record(z_start) for vesicle in membranes.vesicles]
    return record


def simulate_tomogram(
    out_dir: str | Path,
    params: SimulationParameters,
    *,
    index: int = 0,
    progress: ProgressCallback | None = None,
    operator: TiltOperator | None = None,
    secret_seed: int | None = None,
) -> dict[str, Any]:
    """Simulate tomogram ``index`` of a dataset into ``out_dir`` (created if missing).

    Writes reconstruction.mrc, grandmodel.mrc, occupancy_mask.mrc, class_mask.mrc,
    particle_locations.txt, projections.mrc, tilt_angles.txt, metadata.json (and
    noisefree_projections.mrc on request). The random streams derive from (seed, index),
    so a tomogram is the same whether simulated alone or within its dataset. A hidden test
    tomogram passes ``secret_seed`` (any non-negative integer, e.g. 256 bits): its streams
    then derive from (secret_seed, index) and its metadata records no seed, so the public
    seed cannot rebuild it (one secret serves every test tomogram: the index tells their
    streams apart). ``operator``
    lets a caller reuse one TiltOperator for several tomograms of the same geometry.
    ``progress(stage, fraction)`` gets the overall fraction, monotone, ending at 1.

    Returns the metadata written to metadata.json.

    Raises:
        ValueError: for an index outside the dataset or particles that do not fit
            (PlacementError, a ValueError, says how many did).
    """
    if not 0 <= index < params.tomograms:
        raise ValueError(f"index {index} is outside 0..{params.tomograms - 1}")
    templates = {name: load_template(name, params.voxel_size, params.templates) for name in CLASSES}
    _check_capacity(params, templates)
    with ThreadPoolExecutor(max_workers=1) as background:
        # numpy releases the GIL: the operator builds on the other core during placement
        tilt_operator = operator or background.submit(
            TiltOperator, params.volume_shape, params.tilt_angles()
        )
        folder = _Folder(Path(out_dir), params, background)
        return _simulate(folder, params, index, templates, tilt_operator, progress, secret_seed)


def _simulate(
    folder: _Folder,
    params: SimulationParameters,
    index: int,
    templates: dict[str, np.ndarray],
    tilt_operator: TiltOperator | Future[TiltOperator],
    progress: ProgressCallback | None,
    secret_seed: int | None,
) -> dict[str, Any]:
    """The stages of ``simulate_tomogram``, in order; returns the metadata."""
    if secret_seed is not None and secret_seed < 0:
        raise ValueError("secret_seed must be a non-negative integer")
    stages = StageProgress(progress, TOMOGRAM_STAGES)
    streams = _streams(params, index, secret_seed)
    z_start, _ = params.slab_range
    water_volts = water_potential(params.water_density)
    protein_volts = float(np.mean([interior_potential(t) for t in templates.values()]))

    stages.report("placement")
    sample, particles, fiducials, membranes = _sample(
        params, templates, (water_volts, protein_volts), streams, stages
    )

    stages.report("ground truth")
    folder.volume(layout.GRANDMODEL, sample.potential, z_start=z_start)
    folder.volume(layout.OCCUPANCY_MASK, sample.occupancy, z_start=z_start)
    folder.volume(layout.CLASS_MASK, sample.class_mask, z_start=z_start)
    write_particle_locations(folder.path / layout.PARTICLE_LOCATIONS, particles, z_start)
    folder.added(layout.PARTICLE_LOCATIONS)

    stages.report("projection")
    operator = tilt_operator if isinstance(tilt_operator, TiltOperator) else tilt_operator.result()
    # the sample is a laterally infinite slab: its mean water level only shifts the phase
    # uniformly, so project the deviation from it (a finite block of water would add
    # false edges at high tilts)
    # (subtracted on the fly: the grandmodel is still being written)
    projected = operator.project(sample.potential, z_start, offset=water_volts)
    del sample

    stages.report("imaging")
    defoci = tilt_defoci(params, streams["defocus"])
    responses = ctf_responses(projected.shape[1:], defoci, params) if params.ctf else None
    signal_envelopes, exposure_filter = envelopes(
        projected.shape[1:], frequency_grid_sq(projected.shape[1:], params.voxel_size), params
    )
    clean = contrast_images(projected, defoci, params, responses, signal_envelopes)
    del projected
    if params.write_noisefree:
        folder.volume(layout.NOISEFREE_PROJECTIONS, clean)
    noisy = add_noise(clean, params, streams["noise"])
    del clean
    folder.volume(layout.PROJECTIONS, noisy)
    write_tilt_angles(folder.path / layout.TILT_ANGLES, params.tilt_angles())
    folder.added(layout.TILT_ANGLES)

    stages.report("reconstruction")
    corrected = phase_flip(noisy, defoci, params, responses, exposure_filter)
    del noisy
    reconstruction = weighted_back_projection(corrected, operator)
    del corrected
    stages.report("writing")
    folder.volume(layout.RECONSTRUCTION, reconstruction)
    del reconstruction

    counts = Counter(particle.class_name for particle in particles)
    metadata: dict[str, Any] = {
        "simulator_version": SIMULATOR_VERSION,
        "name": tomogram_name(index),
        "index": index,
        "role": "test" if params.is_test(index) else "train",
        # a secret seed is never written; None says the public one does not rebuild this
        "seed": params.seed if secret_seed is None else None,
        "parameters": params.to_dict(),
        "particles": len(particles),
        "class_counts": {name: counts.get(name, 0) for name in CLASSES},
        "slab_z_range": list(params.slab_range),
        "tilt_angles_deg": [float(a) for a in params.tilt_angles()],
        "defocus_um": [round(float(d) / 1e3, 6) for d in defoci],
        "water_potential_volts": round(water_volts, 6),
        "protein_interior_potential_volts": round(protein_volts, 6),
        "files": folder.checksums(),
    }
    metadata.update(_acquisition_record(params, fiducials, membranes, z_start))
    write_json(folder.path / layout.METADATA, metadata)
    stages.finish()
    return metadata
