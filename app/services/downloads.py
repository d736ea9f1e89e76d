"""What a dataset version offers for download, and one tar archive per tomogram.

The list is built from an allow-list, never from the folder's contents: a training tomogram
offers every file its manifest records (ground truth included); the hidden test tomogram
offers only its reconstruction, projections, tilt angles and a `metadata.json` stripped of
anything that describes its particles. Requested names are looked up in that list; a path is
only ever made from a listed entry, so the hidden ground truth has no URL at all.
Archives of the listed files are made in `app.services.archives`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.core.config import Settings
from app.models import DatasetStatus, DatasetVersion
from app.services.datasets import dataset_folder
from app.services.errors import Conflict, NotFound, Unavailable
from evaluation.layout import RECONSTRUCTION
from simulation.layout import METADATA, PROJECTIONS, TILT_ANGLES

log = logging.getLogger(__name__)

TEST_ROLE = "test"
# the test tomogram's public files besides its stripped metadata
PUBLIC_TEST_FILES = frozenset({RECONSTRUCTION, PROJECTIONS, TILT_ANGLES})
# metadata keys of the test tomogram that say nothing about its particles
PUBLIC_METADATA_KEYS = frozenset(
    {
        "simulator_version",
        "name",
        "index",
        "role",
        "seed",
        "parameters",
        "slab_z_range",
        "tilt_angles_deg",
        "defocus_um",
        "water_potential_volts",
        "protein_interior_potential_volts",
    }
)
# stripped metadata files are kept apart from the tomograms, in the version's folder
PUBLIC_DIR = "public"
SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


@dataclass(frozen=True)
class DownloadFile:
    """One downloadable file; `path` is for the server only and never leaves it."""

    tomogram: str
    role: str
    name: str
    bytes: int
    sha256: str
    path: Path


def _public_metadata(original: Path) -> bytes:
    """The test tomogram's metadata without its particles and without hidden files' records.

    Raises:
        Unavailable: if the original cannot be read.
    """
    try:
        metadata: dict[str, Any] = json.loads(original.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        log.error("cannot read %s: %s", original, error)
        raise Unavailable("the test tomogram's metadata cannot be read right now") from error
    public = {key: value for key, value in metadata.items() if key in PUBLIC_METADATA_KEYS}
    files = metadata.get("files") or {}
    public["files"] = {name: files[name] for name in sorted(PUBLIC_TEST_FILES & set(files))}
    return (json.dumps(public, indent=2, sort_keys=True) + "\n").encode("utf-8")


def _public_metadata_file(folder: Path, tomogram: str) -> DownloadFile:
    """The stripped metadata of the test tomogram, written once next to the dataset."""
    content = _public_metadata(folder / tomogram / METADATA)
    path = folder / PUBLIC_DIR / tomogram / METADATA
    if not path.is_file() or path.read_bytes() != content:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{METADATA}.{os.getpid()}")
        partial.write_bytes(content)
        partial.replace(path)  # atomic: a reader never sees half a file
    digest = hashlib.sha256(content).hexdigest()
    return DownloadFile(tomogram, TEST_ROLE, METADATA, len(content), digest, path)


def _recorded(folder: Path, tomogram: str, role: str, files: dict[str, Any]) -> list[DownloadFile]:
    """Files of a tomogram as its manifest recorded them, hidden ones left out for the test."""
    listed = []
    for name, record in sorted(files.items()):
        if not SAFE_NAME.fullmatch(name) or (role == TEST_ROLE and name not in PUBLIC_TEST_FILES):
            continue
        path = folder / tomogram / name
        listed.append(
            DownloadFile(tomogram, role, name, int(record["bytes"]), record["sha256"], path)
        )
    return listed


def downloadable_files(settings: Settings, version: DatasetVersion) -> list[DownloadFile]:
    """Every public file of a ready version: training tomograms first, then the test one.

    Raises:
        Conflict: if the version is not ready.
        Unavailable: if the test tomogram's metadata cannot be read.
    """
    if version.status != DatasetStatus.READY:
        raise Conflict(f"dataset version {version.id} is {version.status}; nothing to download")
    folder = dataset_folder(settings, version)
    listed: list[DownloadFile] = []
    for tomogram, entry in sorted(version.files.items(), key=lambda item: item[0]):
        if not SAFE_NAME.fullmatch(tomogram):
            continue
        is_test = entry.get("role") == TEST_ROLE or tomogram == version.test_tomogram
        role = TEST_ROLE if is_test else str(entry.get("role", "train"))
        listed += _recorded(folder, tomogram, role, entry.get("files") or {})
        if is_test and METADATA in (entry.get("files") or {}):
            listed.append(_public_metadata_file(folder, tomogram))
    return sorted(listed, key=lambda file: (file.role == TEST_ROLE, file.tomogram, file.name))


def by_tomogram(files: list[DownloadFile]) -> dict[str, list[DownloadFile]]:
    """Listed files grouped per tomogram, in listing order."""
    groups: dict[str, list[DownloadFile]] = {}
    for file in files:
        groups.setdefault(file.tomogram, []).append(file)
    return groups


def tomogram_files(
    settings: Settings, version: DatasetVersion, tomogram: str
) -> list[DownloadFile]:
    """The public files of one tomogram of a ready version.

    Raises:
        NotFound: if the version offers no files under that tomogram name.
        Conflict, Unavailable: as for `downloadable_files`.
    """
    files = [file for file in downloadable_files(settings, version) if file.tomogram == tomogram]
    if not files:
        raise NotFound(f"dataset version {version.id} has no tomogram {tomogram!r} to download")
    return files


def find_download(
    settings: Settings, version: DatasetVersion, tomogram: str, name: str
) -> tuple[DownloadFile, os.stat_result]:
    """A listed file and its current `stat` (checked against the recorded size).

    Raises:
        NotFound: if the file is not in the version's public list.
        Unavailable: if it is missing on disk or its size changed since it was recorded.
        Conflict: if the version is not ready.
    """
    for file in tomogram_files(settings, version, tomogram):
        if file.name == name:
            return file, checked_stat(file)
    raise NotFound(f"dataset version {version.id} has no file {tomogram}/{name} to download")


def checked_stat(file: DownloadFile) -> os.stat_result:
    """The file's `stat`, after checking it is still the size the manifest recorded and a
    plain file in its own tomogram's folder (a symlink could point at the hidden ground truth).

    Raises:
        Unavailable: if it is missing, of another size, or reached through a symlink.
    """
    try:
        status = file.path.stat()
        in_place = file.path.parent.parent.resolve(strict=True) / file.tomogram / file.name
        linked = file.path.resolve(strict=True) != in_place
    except OSError as error:
        log.error("listed dataset file %s is missing: %s", file.path, error)
        raise Unavailable(f"{file.tomogram}/{file.name} is missing on the server") from error
    if linked:
        log.error("dataset file %s is a symlink; not served", file.path)
        raise Unavailable(f"{file.tomogram}/{file.name} changed on the server since its release")
    if status.st_size != file.bytes:
        log.error("dataset file %s is %d bytes, recorded %d", file.path, status.st_size, file.bytes)
        raise Unavailable(f"{file.tomogram}/{file.name} changed on the server since its release")
    return status
