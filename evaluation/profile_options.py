"""Validated, frozen option sets of the profiles: what a ground truth may be loaded with.

Each profile of :mod:`evaluation.profiles` names its option class; the defaults here are the
published scoring rules."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal

from evaluation.classes import SHREC21_EXCLUDED


def _check_int(name: str, value: object, minimum: int | None = 0) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"option {name} must be an integer, got {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"option {name} must be at least {minimum}, got {value}")


def _check_bool(name: str, value: object) -> None:
    if not isinstance(value, bool):
        raise ValueError(f"option {name} must be True or False, got {value!r}")


@dataclass(frozen=True)
class NativeOptions:
    """``hitbox``: "occupancy" (the particle's own voxels, ``occupancy_mask.mrc``) or
    "boxes" (SHREC'19 cubes rebuilt from the list); ``memory_map``: map the mask, don't read it.
    """

    hitbox: Literal["occupancy", "boxes"] = "occupancy"
    memory_map: bool = False

    def __post_init__(self) -> None:
        if self.hitbox not in ("occupancy", "boxes"):
            raise ValueError(f"option hitbox must be 'occupancy' or 'boxes', got {self.hitbox!r}")
        _check_bool("memory_map", self.memory_map)


@dataclass(frozen=True)
class Shrec19Options:
    """``z_offset``: subtracted from submitted Z (156: tomogram to ground-truth slab; 0 for
    submissions already in slab coordinates); ``padding``: subtracted from all three
    coordinates; ``rebuild_hitbox``: ignore ``hitbox_N.mrc`` and rebuild the boxes;
    ``shape``: (z, y, x) of a rebuilt hitbox; ``memory_map``: map ``hitbox_N.mrc``.
    """

    z_offset: int = 156
    padding: int = 0
    rebuild_hitbox: bool = False
    shape: tuple[int, int, int] = (200, 512, 512)
    memory_map: bool = False

    def __post_init__(self) -> None:
        _check_int("z_offset", self.z_offset, minimum=None)
        _check_int("padding", self.padding, minimum=None)
        _check_bool("rebuild_hitbox", self.rebuild_hitbox)
        _check_bool("memory_map", self.memory_map)
        if len(self.shape) != 3:
            raise ValueError(f"option shape must be (z, y, x), got {self.shape!r}")
        for side in self.shape:
            _check_int("shape", side, minimum=1)


@dataclass(frozen=True)
class Shrec20Options:
    """``slab_padding``: empty slices added above and below the 200-slice mask (and to Z of
    the list), 156 as in SHREC'20."""

    slab_padding: int = 156

    def __post_init__(self) -> None:
        _check_int("slab_padding", self.slab_padding)


@dataclass(frozen=True)
class Shrec21Options:
    """``excluded``: classes left out of the scores (their particles leave N too)."""

    excluded: tuple[str, ...] = SHREC21_EXCLUDED

    def __post_init__(self) -> None:
        if isinstance(self.excluded, str) or not all(isinstance(n, str) for n in self.excluded):
            raise ValueError(
                f"option excluded must be a tuple of class names, got {self.excluded!r}"
            )
        object.__setattr__(self, "excluded", tuple(name.lower() for name in self.excluded))


ProfileOptions = NativeOptions | Shrec19Options | Shrec20Options | Shrec21Options


def make_options(kind: type[ProfileOptions], profile: str, given: dict[str, Any]) -> ProfileOptions:
    """Build the option set of ``profile`` from keyword options.

    Raises:
        ValueError: an option the profile does not have, or a value of the wrong type.
    """
    known = [f.name for f in dataclasses.fields(kind)]
    for name in given:
        if name not in known:
            raise ValueError(
                f"unknown option {name!r} for profile {profile} (options: {', '.join(known)})"
            )
    if "shape" in given:
        given = {**given, "shape": tuple(given["shape"])}
    if "excluded" in given and not isinstance(given["excluded"], str):
        given = {**given, "excluded": tuple(given["excluded"])}
    return kind(**given)
