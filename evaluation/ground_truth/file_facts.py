"""A small per-user cache of facts about hitbox files: what depends only on their content.

Loading a SHREC-size hitbox (100 MiB) costs more in checking it than in scoring: the SHA-256
of every voxel (~50 ms), the check that every label names a particle (~12 ms) and the box of
the occupied voxels that the misframing check compares picks with (~20 ms). These are facts
of the file's content, so they are kept per file, keyed as git's index and ccache key theirs
(resolved path, size, modification and change times in ns, inode, evaluator version): the
next load of an unchanged file maps it read-only and reads the facts instead of the voxels.

- The bootstrap's resample weights, which depend only on the particle count, the seed and
  numpy's generator (~15 ms to draw in a fresh process), are kept beside the facts
  (:func:`stored_array`), checked when loaded (each resample draws N particles).
- Off unless asked for (``load_ground_truth(..., cache=True)``, which ``tomobench evaluate``
  does); ``TOMOBENCH_NO_CACHE=1`` turns it off everywhere.
- Where: ``$TOMOBENCH_CACHE_DIR``, else ``$XDG_CACHE_HOME/tomobench`` (``~/.cache/tomobench``;
  ``~/Library/Caches/tomobench`` on macOS, ``%LOCALAPPDATA%\\tomobench`` on Windows).
- Never an error: an unreadable, corrupt or unwritable cache is the same as an empty one.
  Entries are written whole (a temporary file renamed over the old one).
- A file modified less than :data:`RACY_SECONDS` before it is read is not recorded: within
  a file system's timestamp resolution a rewrite of the same size could keep its times
  (git's "racily clean" entries).
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import json
import os
import sys
import time
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from evaluation.version import EVALUATOR_VERSION

if TYPE_CHECKING:
    import numpy.typing as npt

DISABLE_VARIABLE = "TOMOBENCH_NO_CACHE"
DIRECTORY_VARIABLE = "TOMOBENCH_CACHE_DIR"
RACY_SECONDS = 2.0  # coarser than any file system's timestamps (FAT: 2 s)
_FORMAT = 1  # of an entry; part of its key
_KEEP_ENTRIES = 256  # entries beyond twice this many are pruned, oldest first
_KEEP_ARRAYS = 8  # likewise for arrays (a SHREC'19 test's resample weights: 2.5 MB)
_FOLDER = "hitbox-facts"

_caching: contextvars.ContextVar[bool] = contextvars.ContextVar("hitbox_facts", default=False)
T = TypeVar("T")


@contextlib.contextmanager
def caching(enabled: bool) -> Iterator[None]:
    """Within the block, hitbox files read by :func:`for_file` use the cache (if enabled and
    not turned off by the environment)."""
    token = _caching.set(enabled)
    try:
        yield
    finally:
        _caching.reset(token)


def enabled() -> bool:
    """Whether hitbox files read now use the cache."""
    return _caching.get() and os.environ.get(DISABLE_VARIABLE, "") in ("", "0")


def cache_folder() -> Path:
    """The folder of the entries (it may not exist yet)."""
    explicit = os.environ.get(DIRECTORY_VARIABLE)
    if explicit:
        return Path(explicit) / _FOLDER
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = str(Path.home() / "Library" / "Caches")
    else:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "tomobench" / _FOLDER


class FileFacts:
    """The cached facts of one file, read when it was opened; :meth:`get` computes a missing
    one and records it. ``key`` is None for a file too recently modified to record."""

    def __init__(self, entry_path: Path | None, key: dict[str, Any] | None) -> None:
        self._entry_path = entry_path
        self._key = key
        self._facts: dict[str, Any] = {}
        if entry_path is not None and key is not None:
            self._facts = _read_entry(entry_path, key)

    def get(self, name: str, compute: Callable[[], T], valid: Callable[[Any], bool]) -> T:
        """The fact ``name``: the recorded value if ``valid`` accepts it, else ``compute()``,
        then recorded. ``compute`` must return JSON values (lists come back as lists)."""
        value = self._facts.get(name)
        if value is not None and valid(value):
            return value  # type: ignore[no-any-return]
        value = compute()
        self.record(name, value)
        return value

    @property
    def caching(self) -> bool:
        """Whether the file was read with the cache on (its facts may not be recordable)."""
        return self._entry_path is not None

    def recorded(self, name: str) -> Any:
        """The recorded value of ``name`` (None if none): check it before use."""
        return self._facts.get(name)

    def record(self, name: str, value: Any) -> None:
        """Record a fact (silently not, where the cache cannot be written)."""
        self._facts[name] = value
        if self._entry_path is not None and self._key is not None:
            _write_entry(self._entry_path, {"key": self._key, "facts": self._facts})


class _NoFacts(FileFacts):
    """Facts of an array that is not a cached file: always computed, never recorded."""

    def __init__(self) -> None:
        super().__init__(None, None)

    def record(self, name: str, value: Any) -> None:
        pass


NO_FACTS: FileFacts = _NoFacts()

# id(array) -> (a weak reference to it, its file's facts): an array read by for_file
_ARRAYS: dict[int, tuple[weakref.ref[Any], FileFacts]] = {}


def for_file(path: Path) -> tuple[FileFacts, os.stat_result] | None:
    """The cached facts of ``path`` and the file's status, or None when the cache is off or
    the file cannot be read. Call :func:`still_same` after reading the file."""
    if not enabled():
        return None
    try:
        resolved = path.resolve()
        status = resolved.stat()
    except (OSError, RuntimeError):
        return None
    key = {
        "format": _FORMAT,
        "evaluator": EVALUATOR_VERSION,
        "path": str(resolved),
        "size": status.st_size,
        "mtime_ns": status.st_mtime_ns,
        "ctime_ns": status.st_ctime_ns,
        "inode": status.st_ino,
        "device": status.st_dev,
    }
    racy = time.time_ns() - status.st_mtime_ns < RACY_SECONDS * 1e9
    name = hashlib.sha256(str(resolved).encode()).hexdigest()[:32] + ".json"
    return FileFacts(cache_folder() / name, None if racy else key), status


def still_same(path: Path, status: os.stat_result) -> bool:
    """Whether ``path`` still has the status :func:`for_file` saw (not rewritten meanwhile)."""
    try:
        now = path.resolve().stat()
    except (OSError, RuntimeError):
        return False
    fields = ("st_size", "st_mtime_ns", "st_ctime_ns", "st_ino", "st_dev")
    return all(getattr(now, name) == getattr(status, name) for name in fields)


def attach(array: object, facts: FileFacts) -> None:
    """Remember that ``array`` holds the whole content of the file ``facts`` describe (the
    array must be read-only: the facts would not follow a change)."""
    key = id(array)

    def forget(_: object) -> None:
        _ARRAYS.pop(key, None)

    _ARRAYS[key] = (weakref.ref(array, forget), facts)


def of_array(array: object) -> FileFacts:
    """The facts attached to ``array`` (the very object, not a view), else :data:`NO_FACTS`."""
    found = _ARRAYS.get(id(array))
    if found is None or found[0]() is not array:
        return NO_FACTS
    return found[1]


def stored_array(
    facts: FileFacts,
    name: str,
    compute: Callable[[], npt.NDArray[Any]],
    valid: Callable[[npt.NDArray[Any]], bool],
) -> npt.NDArray[Any]:
    """An array computed from the code alone (``name`` says from what, versions included),
    kept in the cache beside the facts of the files read with it: loaded if ``valid``
    accepts it, else computed and stored. Without the cache, ``compute()``."""
    if not facts.caching:
        return compute()
    import numpy as np  # here: this module is imported before numpy is needed

    path = cache_folder().parent / "arrays" / f"{name}-{EVALUATOR_VERSION}-{_FORMAT}.npy"
    try:
        loaded: npt.NDArray[Any] = np.load(path, allow_pickle=False)
        if valid(loaded):
            return loaded
    except (OSError, ValueError, EOFError):
        pass
    array = compute()

    def save(file: Any) -> None:
        np.save(file, array, allow_pickle=False)

    _write_atomically(path, save, binary=True, keep=_KEEP_ARRAYS)
    return array


def _read_entry(entry_path: Path, key: dict[str, Any]) -> dict[str, Any]:
    try:
        stored = json.loads(entry_path.read_bytes())
    except (OSError, ValueError):
        return {}
    if not isinstance(stored, dict) or stored.get("key") != key:
        return {}
    facts = stored.get("facts")
    return dict(facts) if isinstance(facts, dict) else {}


def _write_entry(entry_path: Path, entry: dict[str, Any]) -> None:
    def write(file: Any) -> None:
        json.dump(entry, file)

    _write_atomically(entry_path, write, binary=False, keep=_KEEP_ENTRIES)


def _write_atomically(
    path: Path, write: Callable[[Any], object], *, binary: bool, keep: int
) -> None:
    """Write a new version of ``path`` whole: a reader sees the old one or the new one."""
    import tempfile  # here: only a first load writes, and the module costs start-up time

    try:
        folder = path.parent
        folder.mkdir(parents=True, exist_ok=True)
        new = not path.exists()
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb" if binary else "w") as file:
                write(file)
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        if new:
            _prune(folder, keep)
    except (OSError, TypeError, ValueError):
        pass  # a cache that cannot be written is a cache that is empty


def _prune(folder: Path, keep: int) -> None:
    """Keep the folder small: past twice ``keep`` files, remove the oldest."""
    entries = [entry for entry in folder.iterdir() if not entry.name.startswith(".")]
    if len(entries) <= 2 * keep:
        return
    ages = []
    for entry in entries:
        with contextlib.suppress(OSError):
            ages.append((entry.stat().st_mtime_ns, entry))
    for _, entry in sorted(ages)[: len(ages) - keep]:
        with contextlib.suppress(OSError):
            entry.unlink()
