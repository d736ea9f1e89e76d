"""The loaded ground truth: particles, hitbox and the facts of its profile, checksummed."""

from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from evaluation.errors import GroundTruthError
from evaluation.ground_truth import file_facts
from evaluation.profiles import AngleConvention


@dataclass(frozen=True, eq=False)
class Particles:
    """The listed particles; row ``k - 1`` is the particle of hitbox label ``k``."""

    classes: npt.NDArray[np.int64]  # 1-based indices into GroundTruth.class_names
    centres: npt.NDArray[np.float64]  # (N, 3) x, y, z in the hitbox frame
    angles: npt.NDArray[np.float64] | None  # (N, 3) as listed; NaN rows where none given
    angle_convention: AngleConvention = "zxz"

    def __len__(self) -> int:
        return len(self.classes)


@dataclass(frozen=True, eq=False)
class GroundTruth:
    """A ground truth ready to score many submissions against.

    Build it with :func:`evaluation.load_ground_truth`; constructing it directly (tests,
    notebooks) runs the same checks. ``checksum`` is a SHA-256 over everything that
    affects scores (hitbox voxels, particles, profile facts): equal checksums mean equal
    scores for the same submission.
    """

    profile: str
    class_names: tuple[str, ...]
    particles: Particles
    hitbox: npt.NDArray[np.integer]  # [z, y, x]; may be a read-only memory map
    scored: npt.NDArray[np.bool_] | None = None  # counted particles (None: all of them)
    submission_offset: npt.NDArray[np.int64] = field(
        default_factory=lambda: np.zeros(3, dtype=np.int64)
    )  # x, y, z subtracted from rounded predictions to reach the hitbox frame
    ad_first_hits_only: bool = False  # AD over first hits (SHREC'20/'21) or all hits
    excluded_classes: tuple[str, ...] = ()  # predicted as one of these = predicted "none"
    sample_z_range: tuple[int, int] | None = None  # hitbox slices holding the sample
    options: dict[str, Any] = field(default_factory=dict)  # profile options, for reports
    source: str = ""
    voxel_size: float | None = None  # Å, as the volume's header declares (not in the checksum)
    _checksum: _Checksum = field(init=False, repr=False)
    _cache: dict[object, object] = field(init=False, repr=False, default_factory=dict)

    def __post_init__(self) -> None:
        """Check consistency and compute the checksum.

        Raises:
            GroundTruthError: no scored particles, arrays that disagree, a hitbox that is
                not a 3-D integer volume, or labels outside ``0..len(particles)``.
        """
        count = len(self.particles)
        if self.scored is None:
            object.__setattr__(self, "scored", np.ones(count, dtype=bool))
        if self.particles.centres.shape != (count, 3) or self.counted.shape != (count,):
            raise GroundTruthError("particle arrays disagree in length")
        if not self.counted.any():
            raise GroundTruthError(f"{self.source or 'ground truth'}: no particles to score")
        if self.hitbox.ndim != 3 or not np.issubdtype(self.hitbox.dtype, np.integer):
            raise GroundTruthError("the hitbox must be a 3-D integer volume")
        if not self.hitbox.flags.c_contiguous:  # look-ups index the flat volume
            object.__setattr__(self, "hitbox", np.ascontiguousarray(self.hitbox))
        where = self.source or "ground truth"
        facts = file_facts.of_array(self.hitbox)  # of a hitbox file read through the cache
        if not self._labels_within(count, facts):
            self._raise_bad_label(where, count)
        object.__setattr__(self, "_checksum", self._start_checksum(facts))

    def _labels_within(self, count: int, facts: file_facts.FileFacts) -> bool:
        """Whether every label lies in 0..count, in one pass: viewed as unsigned, negative
        labels become larger than any label count."""
        hitbox = self.hitbox
        if hitbox.dtype.kind == "i" and count < np.iinfo(hitbox.dtype).max:
            unsigned = hitbox.view(hitbox.dtype.str.replace("i", "u"))
            top = facts.get("unsigned_max", lambda: int(unsigned.max()), _is_int)
            return top <= count
        low = facts.get("min", lambda: int(hitbox.min()), _is_int)
        return low >= 0 and facts.get("max", lambda: int(hitbox.max()), _is_int) <= count

    def _raise_bad_label(self, where: str, count: int) -> None:
        low, high = int(self.hitbox.min()), int(self.hitbox.max())
        if low < 0:
            raise GroundTruthError(f"{where}: negative hitbox label {low}")
        if high > count:
            raise GroundTruthError(
                f"{where}: hitbox label {high} lies beyond the particle list, which has "
                f"{count} particles"
            )

    @property
    def checksum(self) -> str:
        """SHA-256 (hex) over everything that affects scores: equal checksums, equal scores."""
        return self._checksum.hexdigest()

    @property
    def shape(self) -> tuple[int, int, int]:
        """The hitbox shape ``(z, y, x)``."""
        z, y, x = self.hitbox.shape
        return (int(z), int(y), int(x))

    @property
    def submission_shape(self) -> tuple[int, int, int]:
        """``(z, y, x)`` of the volume submissions are picked in: the hitbox grown by the
        submission offset on both sides (SHREC'19: 200 slices + 2 x 156 = 512)."""
        offset = self.submission_offset[::-1]
        z, y, x = (int(side + 2 * pad) for side, pad in zip(self.shape, offset, strict=True))
        return (z, y, x)

    @property
    def counted(self) -> npt.NDArray[np.bool_]:
        """Which particles count towards N (all but those of excluded classes)."""
        assert self.scored is not None  # set in __post_init__
        return self.scored

    @property
    def n_particles(self) -> int:
        """N: the number of particles that count (excluded classes removed)."""
        return int(np.count_nonzero(self.counted))

    def _start_checksum(self, facts: file_facts.FileFacts) -> _Checksum:
        digest = hashlib.sha256(b"tomobench ground truth v1\n")
        described = {
            "profile": self.profile,
            "classes": self.class_names,
            "offset": self.submission_offset.tolist(),
            "ad_first_hits_only": self.ad_first_hits_only,
            "excluded": self.excluded_classes,
            "shape": self.shape,
            "dtype": self.hitbox.dtype.str,
            "angle_convention": self.particles.angle_convention,
        }
        digest.update(json.dumps(described, sort_keys=True).encode())
        for array in (self.particles.classes, self.particles.centres, self.counted):
            digest.update(np.ascontiguousarray(array).tobytes())
        if self.particles.angles is not None:
            digest.update(np.ascontiguousarray(self.particles.angles).tobytes())
        return _Checksum(digest, np.ascontiguousarray(self.hitbox).data, facts)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_hex_digest(value: object) -> bool:
    return isinstance(value, str) and len(value) == 64 and set(value) <= set("0123456789abcdef")


class _Checksum:
    """A SHA-256 whose last part, the hitbox voxels, is hashed on a thread: a SHREC-size
    hitbox takes 50-100 ms, which the caller spends parsing and scoring meanwhile (hashlib
    lets go of the GIL while it hashes). Small volumes are hashed at once. A process forked
    while the thread runs (its copy has no such thread) hashes the voxels again itself."""

    _AT_ONCE = 1 << 22  # bytes
    _KEEP = 8  # checksums recorded per hitbox file

    def __init__(
        self, digest: hashlib._Hash, voxels: memoryview, facts: file_facts.FileFacts
    ) -> None:
        self._prefix = digest.copy()
        self._voxels = voxels
        self._digest = digest
        self._hex: str | None = None
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._process = os.getpid()
        # a hitbox file's checksums, by the digest of what precedes its voxels (the
        # particles and the profile's facts differ between loads of one file)
        self._facts = facts
        self._prefix_hex = self._prefix.copy().hexdigest()
        known = facts.recorded("checksums")
        if isinstance(known, dict) and _is_hex_digest(known.get(self._prefix_hex)):
            self._hex = known[self._prefix_hex]
        elif voxels.nbytes <= self._AT_ONCE:
            self._finish()
        else:
            self._thread = threading.Thread(target=self._finish, daemon=True)
            self._thread.start()

    def __getstate__(self) -> dict[str, object]:
        """Pickled as the finished checksum (hash objects and threads do not pickle)."""
        return {"hex": self.hexdigest()}

    def __setstate__(self, state: dict[str, object]) -> None:
        self._hex = str(state["hex"])

    def _finish(self) -> None:
        try:
            self._digest.update(self._voxels)
        except BaseException as error:  # raised again in the thread that asks
            self._error = error

    def hexdigest(self) -> str:
        """The checksum, once the hashing has finished."""
        if self._hex is None:
            if self._process != os.getpid():  # forked: the thread stayed in the parent
                self._digest, self._thread, self._error = self._prefix.copy(), None, None
                self._process = os.getpid()
                self._finish()
            if self._thread is not None:
                self._thread.join()
            if self._error is not None:
                raise self._error
            self._hex = self._digest.hexdigest()
            self._record()
        return self._hex

    def _record(self) -> None:
        """Add this checksum to its file's facts (a few prefixes per file at most)."""
        known = self._facts.recorded("checksums")
        kept = dict(list(known.items())[-(self._KEEP - 1) :]) if isinstance(known, dict) else {}
        self._facts.record("checksums", {**kept, self._prefix_hex: self._hex})
