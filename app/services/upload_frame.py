"""The frame an upload is read in: the active version's test ground truth, for units and
origins (its voxel size and shape) and for the misframing diagnosis before queueing.

The ground truth is memory-mapped and cached per process by checksum (the pages are the
worker's too, through the page cache). It is only used to convert and diagnose: what a
refusal tells is the diagnosis (docs/evaluation.md, "Misframed files"), never a score.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from app.core.config import Settings
from app.models import DatasetVersion
from app.services.datasets import ground_truth_folder

if TYPE_CHECKING:
    from evaluation import GroundTruth

log = logging.getLogger(__name__)


@functools.lru_cache(maxsize=4)
def _load(folder: str, checksum: str) -> GroundTruth | None:
    from evaluation import load_ground_truth

    truth = load_ground_truth(Path(folder), memory_map=True)
    return truth if truth.checksum == checksum else None


def upload_ground_truth(settings: Settings, version: DatasetVersion | None) -> GroundTruth | None:
    """The version's test ground truth, or None when there is none to read (the upload is
    then parsed without a frame and the worker reports what it cannot score)."""
    if version is None or version.ground_truth_checksum is None:
        return None
    try:
        return _load(str(ground_truth_folder(settings, version)), version.ground_truth_checksum)
    except (ValueError, OSError) as error:
        log.warning("no frame for uploads to dataset version %s: %s", version.id, error)
        return None
