"""The result of scoring one submission, as JSON-ready data and as a readable report."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from evaluation.metrics.bootstrap import BootstrapIntervals
from evaluation.metrics.classification import Classification
from evaluation.metrics.fbeta import FBeta
from evaluation.metrics.localization import Localization
from evaluation.metrics.orientation import Orientation
from evaluation.metrics.ranking import Ranking
from evaluation.metrics.strict import StrictClassification


@dataclass(frozen=True)
class SubmissionSummary:
    """What was scored: how many predictions, in which format, with which optional columns."""

    predictions: int
    format: str
    has_angles: bool
    has_scores: bool
    conversion: tuple[str, ...] = ()


@dataclass(frozen=True)
class EvaluationResult:
    """Every figure of one evaluation. ``to_dict()`` gives the JSON document of
    docs/evaluation.md, "The result document" (undefined values are None, never NaN);
    ``to_text()`` the report."""

    evaluator_version: str
    ground_truth_checksum: str
    profile: str
    profile_options: dict[str, Any]
    submission: SubmissionSummary
    localization: Localization
    classification: Classification
    size_groups: dict[str, float | None]
    strict_classification: StrictClassification
    orientation: Orientation | None
    ranking: Ranking | None
    bootstrap: BootstrapIntervals | None
    fbeta: FBeta
    warnings: tuple[str, ...] = ()
    # several test tomograms: each one's own tables (the figures above are over all of them)
    per_tomogram: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The result as a JSON-serialisable dict (keys documented in docs/evaluation.md)."""
        document = {field.name: getattr(self, field.name) for field in dataclasses.fields(self)}
        document["classification"] = self.classification.to_dict()
        document["strict_classification"] = self.strict_classification.to_dict()
        if self.per_tomogram is None:  # one test tomogram: the document as it always was
            del document["per_tomogram"]
        converted: dict[str, Any] = jsonable(document)
        return converted

    def to_text(self, *, truncate: bool = False) -> str:
        """A readable report laid out like the paper's Tables 1, 2 and 4.

        ``truncate`` cuts figures to 4 decimals instead of rounding, as the paper printed.
        """
        from evaluation.report import render_report  # the report imports this module

        return render_report(self, truncate=truncate)


def jsonable(value: Any) -> Any:
    """Convert dataclasses, numpy values and tuples to JSON types; NaN and infinities to None."""
    # the leaves and containers a document is made of, by exact type first: a result holds
    # a few thousand of them, and the general checks below cost several times more
    kind = type(value)
    if kind is float:
        return value if math.isfinite(value) else None
    if kind is int or kind is str or kind is bool or value is None:
        return value
    if kind is dict:
        return {str(key): jsonable(item) for key, item in value.items()}
    if kind is list or kind is tuple:
        return [jsonable(item) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {name: jsonable(getattr(value, name)) for name in _document_fields(kind)}
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "iub" or (value.dtype.kind == "f" and np.isfinite(value).all()):
            return value.tolist()  # long curves: convert in one go
        return jsonable(value.tolist())
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    return value


# the document fields of each dataclass met so far (a result holds a few thousand values)
_DOCUMENT_FIELDS: dict[type, tuple[str, ...]] = {}


def _document_fields(kind: type) -> tuple[str, ...]:
    """The fields of a dataclass that go into a document: all but those whose metadata says
    `"document": False` (working data kept beside the figures, such as the bootstrap's sums)."""
    names = _DOCUMENT_FIELDS.get(kind)
    if names is None:
        fields = dataclasses.fields(kind)
        names = tuple(f.name for f in fields if f.metadata.get("document", True))
        _DOCUMENT_FIELDS[kind] = names
    return names
