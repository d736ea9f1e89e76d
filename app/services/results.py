"""A submission's current result as JSON or as a flat CSV of `metric,value` rows."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from sqlalchemy.orm import Session

from app.models import Result, Submission, User
from app.services.csv_export import csv_document
from app.services.errors import Conflict
from app.services.submissions import get_submission


def scored_result(db: Session, user: User, submission_id: int) -> tuple[Submission, Result]:
    """A visible submission with its current result.

    Raises:
        NotFound: if the submission is not the user's (or does not exist).
        Conflict: if it has not been scored (yet), with its status and reason.
    """
    submission = get_submission(db, user, submission_id)
    result = submission.current_result
    if result is None:
        reason = f": {submission.error}" if submission.error else ""
        raise Conflict(
            f"submission {submission_id} has no result; it is {submission.status}{reason}"
        )
    return submission, result


def flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Dotted paths and scalar values of a nested JSON document (lists indexed)."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from flatten(item, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from flatten(item, f"{prefix}.{index}")
    else:
        yield prefix, value


def result_csv(submission: Submission, result: Result, metrics: dict[str, Any]) -> str:
    """The result as CSV text: a header, identification rows, then one row per metric of
    `metrics` (the part of the result the caller may see)."""
    rows: list[tuple[str, Any]] = [
        ("submission_id", submission.id),
        ("method", submission.method),
        ("dataset_version_id", result.dataset_version_id),
    ]
    rows += flatten(metrics)
    return csv_document(["metric", "value"], rows)
