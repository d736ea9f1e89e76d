"""What a participant may learn about the hidden test from one upload, and no more.

A scored result holds precision–recall curves with up to 250 points: with distinct scores,
each step tells whether one prediction hit a new particle and whether its class was right, so
a few uploads would decode the hidden test pick by pick. And a full-precision average (the
hits' mean distance AD, say) can encode which of many crafted picks hit. So, while a dataset
version is open for submissions, a participant sees their result without the curves (AP and
the best-F1 operating points stay) and with every figure rounded to `DIGITS` decimals, the
precision the report and the paper print. Organizers and admins see the whole document, and
so does everybody once the submission's phase is closed. `docs/evaluation.md` states how many
bits one upload can reveal at most.

Each result is also scored on a public and a private part of the hidden test (the split,
evaluation/split.py). While the phase is open a participant sees only the public part's
document (`"split": "public"`); the private part and the whole test's figures stay with the
organizers until the phase closes, then the private ranking is the official one.
"""

from __future__ import annotations

from typing import Any, Literal

from app.models import Phase, Result, Role, Submission, User

Split = Literal["public", "private"]

DIGITS = 4
# per-threshold lists of a ranking curve: the hit/miss oracle
CURVE_POINTS = ("thresholds", "precision", "recall")
CURVES = ("localization", "classification")
SAMPLES = "bootstrap_f1_samples"
WITHHELD = (
    f"precision-recall curves are withheld and figures rounded to {DIGITS} decimals while "
    "this phase is open for submissions; they are shown once it closes"
)


def sees_everything(viewer: User | None, phase: Phase) -> bool:
    """True for organizers and admins, and for anybody once the phase is closed."""
    privileged = viewer is not None and viewer.role in (Role.ORGANIZER, Role.ADMIN)
    return privileged or phase.private_revealed


# the private split is shown exactly when everything is
sees_private = sees_everything


def split_metrics(result: Result, split: Split) -> dict[str, Any] | None:
    """A result's document on one part of the hidden test; a result scored before the split
    existed has one document for both."""
    if result.metrics_public is None:
        return result.metrics
    return result.metrics_public if split == "public" else result.metrics_private


def rounded(value: Any) -> Any:
    """`value` with every float rounded to `DIGITS` decimals, at any depth."""
    if isinstance(value, float):
        return round(value, DIGITS)
    if isinstance(value, dict):
        return {key: rounded(item) for key, item in value.items()}
    if isinstance(value, list):
        return [rounded(item) for item in value]
    return value


def participant_view(metrics: dict[str, Any]) -> dict[str, Any]:
    """The result without per-threshold curves, every figure rounded, and a note saying so."""
    view: dict[str, Any] = rounded(metrics)
    ranking = view.get("ranking")
    if isinstance(ranking, dict):
        for name in CURVES:
            curve = ranking.get(name)
            if isinstance(curve, dict):
                for key in CURVE_POINTS:
                    curve.pop(key, None)
    # per-resample F1 values say which resampled particles were found: for rank groups only
    view.pop(SAMPLES, None)
    view["disclosure"] = {"view": "participant", "digits": DIGITS, "note": WITHHELD}
    return view


LADDER_WITHHELD = (
    "this phase follows the Ladder rule: this upload did not beat your shown public score by "
    "more than the threshold, so its figures are withheld until the phase closes"
)


def ladder_view(metrics: dict[str, Any]) -> dict[str, Any]:
    """The document with every figure blanked (the file's own summary kept): what the Ladder
    shows of an upload that did not move the participant's shown score."""

    def blank(value: Any) -> Any:
        if isinstance(value, bool) or value is None or isinstance(value, str):
            return value
        if isinstance(value, int | float):
            return None
        if isinstance(value, dict):
            return {key: blank(item) for key, item in value.items()}
        if isinstance(value, list):
            return [blank(item) for item in value]
        return value

    kept = ("submission", "evaluator_version", "ground_truth_checksum", "profile", "warnings")
    view = {key: value if key in kept else blank(value) for key, value in metrics.items()}
    view.pop(SAMPLES, None)
    view["ranking"] = None  # its curves would be drawn from blanks
    if isinstance(view.get("classification"), dict):
        view["classification"].pop("confusion_matrix", None)
    view["disclosure"] = {"view": "participant", "digits": DIGITS, "note": LADDER_WITHHELD}
    view["ladder"] = {"released": False}
    return view


def _ladder_hides(submission: Submission) -> bool:
    """Whether the Ladder withholds this upload's public figures from its participant."""
    from sqlalchemy.orm import object_session

    from app.services.leaderboard import ladder_released

    db = object_session(submission)
    if submission.phase.ladder is None or db is None:
        return False
    return submission.id not in ladder_released(db, submission.phase)


def visible_metrics(result: Result, viewer: User, submission: Submission) -> dict[str, Any]:
    """The document `viewer` may see as a submission's `result` now: the whole one for
    organizers and admins and once the phase closed; else the public part, reduced (and,
    under the Ladder, blanked for an upload that did not move the shown score)."""
    if sees_everything(viewer, submission.phase):
        return result.metrics
    public = split_metrics(result, "public")
    assert public is not None  # a split result has both parts
    if result.metrics_public is not None and _ladder_hides(submission):
        return {**ladder_view(rounded(public)), "split": "public"}
    view = participant_view(public)
    if result.metrics_public is not None:
        view["split"] = "public"
    return view


def visible_private(result: Result, viewer: User, submission: Submission) -> dict[str, Any] | None:
    """The private part's document when `viewer` may see it (None: withheld or unsplit)."""
    if result.metrics_private is None or not sees_private(viewer, submission.phase):
        return None
    return result.metrics_private
