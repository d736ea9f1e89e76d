"""What a participant may learn about the hidden test from one upload, and no more.

A scored result holds precision–recall curves with up to 250 points: with distinct scores,
each step tells whether one prediction hit a new particle and whether its class was right, so
a few uploads would decode the hidden test pick by pick. And a full-precision average (the
hits' mean distance AD, say) can encode which of many crafted picks hit. So, while a dataset
version is open for submissions, a participant sees their result without the curves (AP and
the best-F1 operating points stay) and with every figure rounded to `DIGITS` decimals, the
precision the report and the paper print. Organizers and admins see the whole document, and
so does everybody once the version is closed (no longer active). `docs/evaluation.md` states
how many bits one upload can reveal at most.
"""

from __future__ import annotations

from typing import Any

from app.models import DatasetVersion, Role, User

DIGITS = 4
# per-threshold lists of a ranking curve: the hit/miss oracle
CURVE_POINTS = ("thresholds", "precision", "recall")
CURVES = ("localization", "classification")
WITHHELD = (
    f"precision-recall curves are withheld and figures rounded to {DIGITS} decimals while "
    "this dataset version is open for submissions; they are shown once it closes"
)


def sees_everything(viewer: User, version: DatasetVersion) -> bool:
    """True for organizers and admins, and for anybody once the version is closed."""
    return viewer.role in (Role.ORGANIZER, Role.ADMIN) or not version.is_active


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
    view["disclosure"] = {"view": "participant", "digits": DIGITS, "note": WITHHELD}
    return view


def visible_metrics(
    metrics: dict[str, Any], viewer: User, version: DatasetVersion
) -> dict[str, Any]:
    """The part of a result `viewer` may see while `version` is as it is now."""
    return metrics if sees_everything(viewer, version) else participant_view(metrics)
