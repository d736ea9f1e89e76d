"""The figures a leaderboard row shows of one result, kept beside its documents.

A row needs about fifty rounded figures of one part of a result (public or private) and, for
the rank groups and the Ladder, that part's 1,000 bootstrap F1 samples. Read out of the
documents (about 55 KB each, plain `json` text on PostgreSQL, parsed again for every path)
they were most of a board's time. So every write of a result derives them (the `Result`
model's write hook calls `board_columns`): the figures as a small JSON object stamped with
`BOARD_FORMAT`, the samples as little-endian float64 bytes. The board reads those columns
only; a result without them, or stamped with another format (stored before they existed),
is read from its documents by JSON paths instead, which gives the same row, only slower.

A change to what `metric_row` returns must raise `BOARD_FORMAT`, and a migration should
refill the columns (as migration 0014 did) so that old rows read fast again.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from app.services.disclosure import SAMPLES, rounded
from evaluation import CLASSES, SIZE_GROUPS, TABLE1_KEYS
from evaluation.czii import CZII_TABLE

BOARD_FORMAT = 1
FORMAT_KEY = "format"
SAMPLE_TYPE = np.dtype("<f8")

# a czii version's columns: its score and the F-beta of the competition's particle types
CZII_SCORE = "czii_score"
CZII_TYPES = tuple(CZII_TABLE)

# one part's row figures and its F1 samples (None: a part without a bootstrap)
Figures = tuple[dict[str, Any], npt.NDArray[np.float64] | None]


def _get(document: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(document, dict):
            return None
        document = document.get(key)
    return document


def _interval(document: Any, *path: str) -> tuple[Any, Any]:
    """(low, high) of a bootstrap interval `{"low": ..., "high": ...}`, or blanks."""
    return _get(document, *path, "low"), _get(document, *path, "high")


def metric_row(metrics: dict[str, Any]) -> dict[str, Any]:
    """The leaderboard's metric columns from one evaluator result, rounded as the report
    prints them (full precision would let an entry's AD encode which picks hit)."""
    row: dict[str, Any] = {key: _get(metrics, "localization", key) for key in TABLE1_KEYS}
    row["f1_low"], row["f1_high"] = _interval(metrics, "bootstrap", "localization_f1")
    for name in CLASSES:
        row[f"f1_{name}"] = _get(metrics, "classification", name, "f1")
    for group in SIZE_GROUPS:
        row[group] = _get(metrics, "size_groups", group)
        row[f"{group}_low"], row[f"{group}_high"] = _interval(
            metrics, "bootstrap", "size_groups", group
        )
    row[CZII_SCORE] = _get(metrics, "czii", "score")
    for name in CZII_TYPES:
        row[f"fbeta_{name}"] = _get(metrics, "czii", "per_class", name, "fbeta")
    return rounded(row)  # type: ignore[no-any-return]


def figures_of(document: dict[str, Any]) -> Figures:
    """A part's row figures and F1 samples, from its document (or the parts of it the board
    reads)."""
    samples = document.get(SAMPLES)
    array = None if samples is None else np.asarray(samples, dtype=np.float64)
    return metric_row(document), array


def board_columns(
    metrics: dict[str, Any],
    public: dict[str, Any] | None,
    private: dict[str, Any] | None,
) -> dict[str, Any]:
    """The `Result` board columns derived from its three documents (a result scored before
    the public/private split has one document for both parts)."""
    columns: dict[str, Any] = {}
    for split, document in (("public", public), ("private", private)):
        part = metrics if public is None else document
        board = samples = None
        if part is not None:
            row, array = figures_of(part)
            board = {FORMAT_KEY: BOARD_FORMAT, **row}
            samples = None if array is None else array.astype(SAMPLE_TYPE).tobytes()
        columns[f"board_{split}"] = board
        columns[f"board_samples_{split}"] = samples
    return columns


def stored_figures(board: dict[str, Any] | None, samples: bytes | None) -> Figures | None:
    """A part's figures from its board columns; None when they are missing or of another
    format (the caller reads the documents instead)."""
    if board is None or board.get(FORMAT_KEY) != BOARD_FORMAT:
        return None
    row = {key: value for key, value in board.items() if key != FORMAT_KEY}
    array = None if samples is None else np.frombuffer(samples, dtype=SAMPLE_TYPE)
    return row, array
