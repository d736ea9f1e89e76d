"""The parsed form of a stored upload, kept beside it so the worker does not parse it again.

The web app parses every upload to validate it; the worker then loads these arrays instead
of parsing the same bytes a second time (the larger half of a scoring's CPU time for a
SHREC-size file). Entries are keyed by the file's SHA-256 and the evaluator version, so a
new evaluator never reads an old parse; an unreadable entry just means parsing again.
"""

from __future__ import annotations

import dataclasses
import io
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from app.core.config import Settings
from app.services.storage import write_atomically

if TYPE_CHECKING:
    from collections.abc import Sequence

    from app.services.submissions import UploadOptions
    from evaluation import GroundTruth
    from evaluation import Submission as ParsedSubmission

log = logging.getLogger(__name__)

META_KEY = "_meta"


def parse_upload(
    data: bytes,
    settings: Settings,
    filename: str | None,
    *,
    options: UploadOptions | None = None,
    ground_truth: GroundTruth | None = None,
    tomograms: Sequence[str] | None = None,
) -> ParsedSubmission:
    """Parse an uploaded file as the service does everywhere, within its size and line limits,
    read as ``options`` say in the frame (voxel size, shape) of ``ground_truth``, each
    prediction naming one of ``tomograms`` when the hidden test has several.

    Raises:
        evaluation.SubmissionError: naming the line and the problem.
    """
    from evaluation import parse_submission
    from evaluation.formats import Frame

    frame = None
    if ground_truth is not None:
        frame = Frame(ground_truth.voxel_size, ground_truth.submission_shape)
    return parse_submission(
        data,
        max_bytes=settings.max_upload_bytes,
        max_lines=settings.max_submission_lines,
        filename=filename or None,
        format=None if options is None else options.file_format,  # type: ignore[arg-type]
        class_name=None if options is None else options.class_name,
        pixel_size=None if options is None else options.pixel_size,
        frame=frame,
        tomograms=tomograms,
    )


def stored_form(data: bytes, parsed: ParsedSubmission) -> bytes:
    """The bytes to store for an upload: as uploaded when the evaluator reads them as they
    are, else the plain text they were converted to (a comment line says from what), so
    that a later parse of the stored file, without the upload's options, scores the same."""
    if parsed.format in ("text", "csv", "star") and not parsed.conversion:
        return data
    from evaluation.formats.writers import write_submission

    notes = "; ".join(parsed.conversion) or "no conversion"
    header = f"# converted by tomobench from {parsed.format}: {notes}\n"
    # plain text cannot name tomograms: a test of several is kept as CSV with a column
    written = write_submission(parsed, "text" if parsed.tomograms is None else "csv")
    return (header + written).encode("utf-8")


def _path(root: Path, sha256: str) -> Path:
    from evaluation import EVALUATOR_VERSION

    return root / "parsed" / sha256[:2] / f"{sha256}-{EVALUATOR_VERSION}.npz"


def save_parsed(root: Path, sha256: str, parsed: ParsedSubmission) -> None:
    """Keep the arrays of a parsed upload (atomically; an existing entry is left alone).

    The entry only saves the worker time: if it cannot be written (a full disk, say),
    nothing of it is left behind and the worker parses the upload itself.
    """
    path = _path(root, sha256)
    if path.exists():
        return
    arrays: dict[str, Any] = {}
    meta: dict[str, Any] = {}
    for field in dataclasses.fields(parsed):
        value = getattr(parsed, field.name)
        if isinstance(value, np.ndarray):
            arrays[field.name] = value
        else:
            meta[field.name] = value  # None or a short string (profile, format, ...)
    arrays[META_KEY] = np.array(json.dumps(meta))
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    try:
        # not synced: after a crash an entry is whole or unreadable, and unreadable means
        # parsing again
        write_atomically(path, buffer.getvalue(), durable=False)
    except OSError as error:
        log.warning("parse of %s not kept (the worker will parse it): %s", sha256, error)


def load_parsed(root: Path, sha256: str) -> ParsedSubmission | None:
    """The kept parse of an upload, or None if there is none (or it is unreadable)."""
    from evaluation import Submission

    path = _path(root, sha256)
    try:
        with np.load(path, allow_pickle=False) as stored:
            values: dict[str, Any] = json.loads(str(stored[META_KEY]))
            values.update({name: stored[name] for name in stored.files if name != META_KEY})
        return Submission(**values)
    except Exception as error:  # any damage (empty, cut short, zeroed) reads as missing
        if not isinstance(error, FileNotFoundError):
            log.warning("parse of %s unreadable (parsing it again): %s", sha256, error)
        return None
