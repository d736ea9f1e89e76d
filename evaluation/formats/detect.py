"""Which format a submission is in, from its content (the name only breaks ties)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Final

from evaluation.formats.header import is_header
from evaluation.formats.picks import Picks
from evaluation.formats.rows import split_fields
from evaluation.submission import SUBMISSION_FORMATS, SubmissionFormat

# formats read through Picks (their own units, origins and angle conventions)
FIELD_FORMATS: Final[tuple[SubmissionFormat, ...]] = tuple(
    name for name in SUBMISSION_FORMATS if name not in ("text", "csv", "star")
)


def detect_format(lines: Sequence[str], filename: str | None = None) -> SubmissionFormat:
    """The format of a submission from its first content line (and, for STAR, its loop):
    ``{`` copick (a portal annotation when that line is a whole object with a
    ``location``), ``<`` DeepFinder, ``data_`` STAR (RELION 5 with centred Å coordinates,
    RELION 4 / pytom-match-pick without a class column, else the native STAR), a header
    with ``experiment`` and ``particle_type`` Kaggle, another header CSV, a line of 26 or
    more numbers (or a ``.tbl`` name) Dynamo, anything else plain text."""
    from evaluation.formats.tables import looks_like_dynamo

    name = (filename or "").lower()
    first = next((s for s in (line.strip() for line in lines) if s and s[0] != "#"), None)
    if first is None:
        return "text"
    if first[0] in "{[":
        try:
            record = json.loads(first)
        except (json.JSONDecodeError, RecursionError):
            return "copick"
        return "portal" if isinstance(record, dict) and "location" in record else "copick"
    if first[0] == "<":
        return "deepfinder"
    if first.startswith("data_") or (name.endswith(".star") and first.startswith("loop_")):
        from evaluation.formats.relion import is_relion_table, relion_loop  # STAR files only

        loop = relion_loop(lines)
        if loop is not None and is_relion_table(loop):
            return "relion5" if "rlnCenteredCoordinateXAngst" in loop.columns else "relion4"
        return "star"
    fields = split_fields(first)
    if {"experiment", "particle_type"} <= {field.lower() for field in fields}:
        return "kaggle"
    if is_header(fields):
        return "csv"
    if name.endswith(".tbl") or looks_like_dynamo(fields):
        return "dynamo"
    return "text"


def read_picks(file_format: SubmissionFormat, text: str, lines: Sequence[str]) -> Picks:
    """Read a file of one of :data:`FIELD_FORMATS`.

    Raises:
        SubmissionError: the file is not valid in that format (names the line).
    """
    from evaluation.formats import copick, relion, tables

    if file_format == "copick":
        return copick.read_copick(text)
    if file_format == "portal":
        return copick.read_portal(lines)
    if file_format == "kaggle":
        return copick.read_kaggle(lines)
    if file_format in ("relion5", "relion4"):
        return relion.read_relion(text, lines)
    if file_format == "dynamo":
        return tables.read_dynamo(lines)
    return tables.read_deepfinder(text)
