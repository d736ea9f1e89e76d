"""Scoring profiles: the native layout and the three published SHREC layouts, in one registry.

A profile fixes what a submission looks like (its class list, the column order of its
coordinates, the convention of its angles), which options its ground truth takes (a class of
:mod:`evaluation.profile_options`) and which function loads that ground truth. Everything
that offers or looks up a profile by name (``load_ground_truth``, ``parse_submission``, the
command line, the service) reads it here. Importing this module loads no ground-truth code:
a profile's loader is imported when it is first used.
"""

from __future__ import annotations

import dataclasses
import importlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

from evaluation.classes import CLASSES, SHREC20_EXTRA_CLASSES, SHREC21_EXTRA_CLASSES
from evaluation.profile_options import (
    NativeOptions,
    ProfileOptions,
    Shrec19Options,
    Shrec20Options,
    Shrec21Options,
    make_options,
)

if TYPE_CHECKING:
    from evaluation.ground_truth.model import GroundTruth

AxisOrder = Literal["xyz", "zyx"]
# "zxz": R = Rz(phi) Rx(theta) Rz(psi) (native); "tom": R = Rz(rot3) Rx(rot2) Rz(rot1)
# (SHREC, TOM/PyTom); "relion": R = inverse of Rz(rot) Ry(tilt) Rz(psi) (STAR files).
AngleConvention = Literal["zxz", "tom", "relion"]

# Column names of the three angles of each convention, in file order.
ANGLE_COLUMNS: Final[dict[str, tuple[str, str, str]]] = {
    "zxz": ("phi", "theta", "psi"),
    "tom": ("rot1", "rot2", "rot3"),
    "relion": ("rlnAngleRot", "rlnAngleTilt", "rlnAnglePsi"),
}


class UnknownProfileError(ValueError):
    """A profile name that is not in the registry; ``known`` lists the names that are."""

    def __init__(self, name: str, known: tuple[str, ...]) -> None:
        super().__init__(f"unknown profile {name!r} (expected one of {', '.join(known)})")
        self.name = name
        self.known = known


@dataclass(frozen=True)
class Profile:
    """What a submission means under one profile, and how its ground truth is loaded."""

    name: str
    classes: tuple[str, ...]  # index i (1-based) is classes[i - 1]
    axis_order: AxisOrder  # column order of the coordinates in plain-text lines
    angle_convention: AngleConvention  # of the angles in plain-text and CSV submissions
    options: type[ProfileOptions]  # the options its ground truth is loaded with
    # "module:function" of the loader, called as function(path, profile, options); a name
    # rather than the function so that importing the registry stays cheap
    loader: str
    # the option (name, value) that makes the hitbox SHREC'19 boxes, if the profile has one
    boxes_option: tuple[str, Any] | None = None

    @property
    def column_names(self) -> tuple[str, str, str]:
        """The coordinate columns of a plain-text line, in file order (e.g. ``X Y Z``)."""
        return (self.axis_order[0].upper(), self.axis_order[1].upper(), self.axis_order[2].upper())

    @property
    def line_layout(self) -> str:
        """A plain-text prediction line of this profile, e.g. ``CLASS X Y Z [PHI THETA PSI]``."""
        angles = " ".join(name.upper() for name in ANGLE_COLUMNS[self.angle_convention])
        return f"CLASS {' '.join(self.column_names)} [{angles}] [SCORE]"

    @property
    def option_defaults(self) -> dict[str, Any]:
        """The profile's options and their defaults, in declaration order."""
        return {field.name: field.default for field in dataclasses.fields(self.options)}

    def make_options(self, given: dict[str, Any]) -> ProfileOptions:
        """The validated option set of this profile from keyword options.

        Raises:
            ValueError: an option the profile does not have, or a value of the wrong type.
        """
        return make_options(self.options, self.name, given)

    def load(self, path: str | os.PathLike[str], **options: Any) -> GroundTruth:
        """Load the ground truth at ``path`` under this profile (see ``load_ground_truth``).

        Raises:
            GroundTruthError: missing files, malformed lists, inconsistent volumes.
            ValueError: an option the profile lacks or of a wrong type.
        """
        checked = self.make_options(options)  # before any file is read
        module, _, function = self.loader.partition(":")
        loader: Callable[[Path, Profile, ProfileOptions], GroundTruth] = getattr(
            importlib.import_module(module), function
        )
        return loader(Path(path), self, checked)


PROFILES: Final[dict[str, Profile]] = {
    "native": Profile(
        "native",
        CLASSES,
        "xyz",
        "zxz",
        NativeOptions,
        "evaluation.ground_truth.native:load_native",
        boxes_option=("hitbox", "boxes"),
    ),
    "shrec19": Profile(
        "shrec19",
        CLASSES,
        "zyx",
        "tom",
        Shrec19Options,
        "evaluation.ground_truth.shrec:load_shrec19",
        boxes_option=("rebuild_hitbox", True),
    ),
    "shrec20": Profile(
        "shrec20",
        CLASSES + SHREC20_EXTRA_CLASSES,
        "xyz",
        "tom",
        Shrec20Options,
        "evaluation.ground_truth.shrec:load_shrec20",
    ),
    "shrec21": Profile(
        "shrec21",
        CLASSES + SHREC21_EXTRA_CLASSES,
        "xyz",
        "tom",
        Shrec21Options,
        "evaluation.ground_truth.shrec:load_shrec21",
    ),
}

# The Kaggle CZII score (evaluation.czii) compares points by distance: it has no hitbox, no
# layout and no options, so it is a name the command line offers beside the profiles.
CZII: Final = "czii"
PROFILE_CHOICES: Final[tuple[str, ...]] = (*PROFILES, CZII)


def get_profile(name: str) -> Profile:
    """Return the profile called ``name``.

    Raises:
        UnknownProfileError: no such profile (a ``ValueError`` whose message lists the known
            ones).
    """
    try:
        return PROFILES[name]
    except KeyError:
        raise UnknownProfileError(name, tuple(PROFILES)) from None


def profiles_with_option(option: str) -> tuple[str, ...]:
    """The names of the profiles whose ground truth takes ``option``, in registry order."""
    return tuple(name for name, profile in PROFILES.items() if option in profile.option_defaults)
