"""A dataset version as a copick project (the layout of the CZ cryoET Data Portal's tools).

``copick_config.json`` names the 12 pickable objects (label = class index, radius in Å,
colour, PDB id) and one overlay root, ``overlay/`` beside it (relative: copick resolves it
from the working directory, so open the project from its folder or edit the root). Each
tomogram is a run: its reconstruction as a multiscale OME-Zarr at the true voxel spacing
(written by copick itself); a training run also has its particles as copick picks (Å,
poses as 4 x 4 matrices) and its class mask as a multilabel segmentation. Beside the
project: RELION 5 ``tomograms.star``, IMOD ``.tlt`` tilt angles and per-tilt defocus in
CTFFIND's output columns, under ``tilt_series/``. The hidden test tomogram contributes its
reconstruction, tilt angles and defocus only, as the plain download does.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from app.core.config import Settings
from app.models import DatasetVersion
from app.services.copick_library import load_copick
from app.services.datasets import dataset_folder
from app.services.downloads import PUBLIC_DIR, TEST_ROLE, DownloadFile, downloadable_files
from app.services.errors import Conflict, Unavailable
from evaluation.classes import CLASS_RADII, CLASSES
from evaluation.layout import CLASS_MASK, PARTICLE_LOCATIONS, RECONSTRUCTION
from simulation.layout import DATASET, METADATA, TILT_ANGLES

log = logging.getLogger(__name__)

COPICK_DIR = "copick"
USER = "tomobench"
SESSION = "0"
SEGMENTATION = "classes"
TOMO_TYPE = "reconstruction"
# one colour per class (RGBA), for copick's viewers
_COLOURS = [
    (31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
    (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207),
    (174, 199, 232), (255, 187, 120),
]  # fmt: skip


def export_copick_project(dataset: Path, out: Path, *, name: str = "tomobench") -> None:
    """Write the copick project of the dataset folder ``dataset`` into the new folder ``out``.

    Raises:
        OSError, ValueError: unreadable dataset files.
    """
    copick = load_copick()
    import mrcfile

    manifest = json.loads((dataset / DATASET).read_text(encoding="utf-8"))
    out.mkdir(parents=True)
    tomograms = manifest["tomograms"]
    voxel = _voxel_size(dataset / tomograms[0]["name"] / RECONSTRUCTION)
    objects = [
        {
            "name": class_name,
            "is_particle": True,
            "label": index,
            "color": [*_COLOURS[index - 1], 255],
            "pdb_id": class_name.upper(),
            "radius": CLASS_RADII[class_name] * voxel,
        }
        for index, class_name in enumerate(CLASSES, start=1)
    ]
    config = {
        "config_type": "filesystem",
        "name": name,
        "description": "tomobench dataset version; the hidden test run has no picks",
        "pickable_objects": objects,
        "overlay_root": "local://overlay",
        "overlay_fs_args": {"auto_mkdir": True},
    }
    config_path = out / "copick_config.json"
    # written through an absolute root, then shipped with the relative one
    absolute = {**config, "overlay_root": "local://" + str((out / "overlay").resolve())}
    config_path.write_text(json.dumps(absolute, indent=2) + "\n")
    root = copick.from_file(str(config_path))
    rows = []
    for entry in tomograms:
        folder = dataset / entry["name"]
        with mrcfile.open(folder / RECONSTRUCTION, permissive=True) as mrc:
            volume = np.asarray(mrc.data, dtype=np.float32)
        spacing = _voxel_size(folder / RECONSTRUCTION)
        run = root.new_run(entry["name"])
        tomogram = run.new_voxel_spacing(spacing).new_tomogram(TOMO_TYPE)
        tomogram.from_numpy(volume, levels=3)
        if entry["role"] != TEST_ROLE:
            _add_truth(run, folder, spacing)
        rows.append((entry["name"], volume.shape, spacing, folder))
    config_path.write_text(json.dumps(config, indent=2) + "\n")
    _write_tilt_series(out, rows)


def _voxel_size(path: Path) -> float:
    import mrcfile

    with mrcfile.open(path, header_only=True, permissive=True) as mrc:
        size = float(mrc.voxel_size.x)
    if not size > 0:
        raise ValueError(f"{path}: the MRC header declares no voxel size")
    return size


def _add_truth(run: Any, folder: Path, spacing: float) -> None:
    import mrcfile
    from scipy.spatial.transform import Rotation

    rows = [line.split() for line in (folder / PARTICLE_LOCATIONS).read_text().splitlines()]
    rows = [row for row in rows if row and not row[0].startswith("#")]
    for class_name in CLASSES:
        mine = [row for row in rows if row[0].lower() == class_name]
        if not mine:
            continue
        centres = np.array([[float(v) for v in row[1:4]] for row in mine]) * spacing
        transforms = np.tile(np.eye(4), (len(mine), 1, 1))
        if all(len(row) >= 7 for row in mine):
            angles = np.array([[float(v) for v in row[4:7]] for row in mine])
            transforms[:, :3, :3] = Rotation.from_euler("ZXZ", angles, degrees=True).as_matrix()
        run.new_picks(class_name, SESSION, USER).from_numpy(centres, transforms)
    if (folder / CLASS_MASK).is_file():
        with mrcfile.open(folder / CLASS_MASK, permissive=True) as mrc:
            mask = np.asarray(mrc.data)
        segmentation = run.new_segmentation(spacing, SEGMENTATION, SESSION, True, USER)
        segmentation.from_numpy(mask.astype(np.uint8))


def _write_tilt_series(out: Path, rows: list[tuple[str, tuple[int, ...], float, Path]]) -> None:
    import pandas as pd
    import starfile

    series = out / "tilt_series"
    series.mkdir()
    table = []
    for name, shape, spacing, folder in rows:
        metadata = json.loads((folder / METADATA).read_text(encoding="utf-8"))
        parameters = metadata.get("parameters", {})
        angles = [float(line) for line in (folder / TILT_ANGLES).read_text().split()]
        (series / f"{name}.tlt").write_text("".join(f"{a:.2f}\n" for a in angles))
        defocus = metadata.get("defocus_um") or [parameters.get("defocus_um", 0.0)] * len(angles)
        lines = [
            "# tomobench: per-tilt defocus of the simulation, in CTFFIND's output columns",
            "# Columns: #1 - micrograph number; #2 - defocus 1 [Angstroms]; #3 - defocus 2; "
            "#4 - azimuth of astigmatism; #5 - additional phase shift [radians]; "
            "#6 - cross correlation; #7 - spacing (in Angstroms) up to which CTF rings were "
            "fit successfully",
        ]
        for index, value in enumerate(defocus, start=1):
            angstrom = float(value) * 1e4
            lines.append(f"{index} {angstrom:.2f} {angstrom:.2f} 0.00 0.00 1.00 {2 * spacing:.2f}")
        (series / f"{name}_defocus.txt").write_text("\n".join(lines) + "\n")
        table.append(
            {
                "rlnTomoName": name,
                "rlnVoltage": parameters.get("voltage_kv", 300.0),
                "rlnSphericalAberration": parameters.get("cs_mm", 2.7),
                "rlnAmplitudeContrast": parameters.get("amplitude_contrast", 0.07),
                "rlnMicrographOriginalPixelSize": spacing,
                "rlnTomoTiltSeriesPixelSize": spacing,
                "rlnTomoSizeX": shape[2],
                "rlnTomoSizeY": shape[1],
                "rlnTomoSizeZ": shape[0],
                "rlnTomoTomogramBinning": 1.0,
                "rlnTomoHand": -1,
            }
        )
    starfile.write({"global": pd.DataFrame(table)}, out / "tomograms.star")


def build_copick_project(settings: Settings, version: DatasetVersion) -> Path:
    """Build the version's copick project beside its public files, with a listing of each
    file's size and SHA-256 (an earlier build is replaced); the listing's path.

    The generation's finalizing step builds it before the version is marked ready;
    `copick_download` builds it on first request for a version made before (or whose
    build failed).

    Raises:
        Conflict: if the folder is not a simulator's (no metadata to build the project from).
    """
    folder = dataset_folder(settings, version)
    project = folder / PUBLIC_DIR / COPICK_DIR
    listing = project.with_name(f"{COPICK_DIR}.json")
    project.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=".copick-", dir=project.parent))
    try:
        export_copick_project(folder, partial / COPICK_DIR, name=version.name)
    except (OSError, ValueError, KeyError) as error:  # not a simulator's dataset folder
        shutil.rmtree(partial, ignore_errors=True)
        log.error("copick export of version %s failed: %s", version.id, error)
        raise Conflict(
            f"dataset version {version.id} cannot be offered as a copick project: its "
            "folder lacks the simulator's metadata (tilt angles, defocus, voxel size)"
        ) from error
    shutil.rmtree(project, ignore_errors=True)
    (partial / COPICK_DIR).replace(project)
    shutil.rmtree(partial, ignore_errors=True)
    records = {}
    for path in sorted(p for p in project.rglob("*") if p.is_file()):
        data = path.read_bytes()
        records[path.relative_to(project).as_posix()] = {
            "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
        }
    listing.write_text(json.dumps(records, indent=1))
    return listing


def copick_download(settings: Settings, version: DatasetVersion) -> list[DownloadFile]:
    """The files of the version's copick project (built at generation, or here on first
    request for older versions), named by their path inside the project.

    Raises:
        Conflict: if the version is not ready, or its folder is not a simulator's (no
            metadata to build the project from).
        Unavailable: if the dataset's public files cannot be read.
    """
    downloadable_files(settings, version)  # the version is ready and its files readable
    project = dataset_folder(settings, version) / PUBLIC_DIR / COPICK_DIR
    listing = project.with_name(f"{COPICK_DIR}.json")
    if not listing.is_file():
        build_copick_project(settings, version)
    records = json.loads(listing.read_text())
    return [
        DownloadFile("copick", "project", name, int(r["bytes"]), r["sha256"], project / name)
        for name, r in records.items()
    ]


def copick_archive(files: list[DownloadFile], folder: str, mtime: float) -> Iterator[bytes]:
    """The project's files as one tar archive (see `app.services.archives`), after checking
    that each is still a plain file of the project, of its recorded size.

    Raises:
        Unavailable: at once if a file is missing, changed size, or leads out of the project.
    """
    from app.services.archives import _archive_stream

    for file in files:
        project = file.path.parents[len(Path(file.name).parts) - 1]
        try:
            inside = file.path.resolve(strict=True) == project.resolve(strict=True) / file.name
            size = file.path.stat().st_size
        except OSError as error:
            raise Unavailable(f"copick/{file.name} is missing on the server") from error
        if not inside or size != file.bytes:
            raise Unavailable(f"copick/{file.name} changed on the server since it was built")
    return _archive_stream(files, folder, mtime)
