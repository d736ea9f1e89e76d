"""Content-addressed storage of uploaded files: the name is the SHA-256 of the bytes.

Upload filenames never become paths; a stored file is checked against its name on read.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path
from typing import BinaryIO

from app.services.errors import InvalidInput, PayloadTooLarge, Unavailable

log = logging.getLogger(__name__)

READ_CHUNK_BYTES = 1024 * 1024


class StorageUnavailable(Unavailable):
    """An upload that could not be written to the data folder (full disk, I/O error)."""


class CorruptedFile(Exception):
    """A stored file is missing or its bytes no longer match its checksum."""


def read_limited(stream: BinaryIO, max_bytes: int) -> bytes:
    """Read a whole upload, chunk by chunk, refusing it once it passes `max_bytes`.

    Raises:
        PayloadTooLarge: if the stream holds more than `max_bytes`.
        InvalidInput: if the stream is empty.
    """
    chunks: list[bytes] = []
    total = 0
    while chunk := stream.read(READ_CHUNK_BYTES):
        total += len(chunk)
        if total > max_bytes:
            raise PayloadTooLarge(f"file: larger than the limit of {max_bytes} bytes")
        chunks.append(chunk)
    if total == 0:
        raise InvalidInput("file: the file is empty")
    return b"".join(chunks)


def _path_for(root: Path, sha256: str) -> Path:
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
    return root / sha256[:2] / sha256


def write_atomically(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Write `data` to `path` through a temporary file renamed into place, synced to disk
    first when `durable` (a cache that can be rebuilt skips the sync: it costs ~5 ms).

    A reader never sees a half-written file; on any failure (a full disk, say) the
    temporary file is removed, so nothing half-written remains.

    Raises:
        OSError: if the folder cannot be written.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile(dir=path.parent, delete=False)  # noqa: SIM115
    try:
        with handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise


def store_bytes(root: Path, data: bytes) -> str:
    """Store `data` under its SHA-256 (atomically; storing the same bytes twice is a no-op).

    Raises:
        StorageUnavailable: if the storage folder cannot be written (e.g. the disk is full);
            nothing of the file is left behind.
    """
    sha256 = hashlib.sha256(data).hexdigest()
    path = _path_for(root, sha256)
    if path.exists():
        return sha256
    try:
        write_atomically(path, data)
    except OSError as error:
        log.error("could not store an upload of %d bytes: %s", len(data), error)
        raise StorageUnavailable(
            "the server could not store the file right now (its storage is full or failing); "
            "nothing was kept and no quota was used, please try again later"
        ) from error
    return sha256


def read_stored(root: Path, sha256: str) -> bytes:
    """The bytes stored under `sha256`, verified.

    Raises:
        CorruptedFile: if the file is missing or its content does not match the checksum.
    """
    path = _path_for(root, sha256)
    try:
        data = path.read_bytes()
    except FileNotFoundError as error:
        raise CorruptedFile(f"stored file {sha256} is missing") from error
    if hashlib.sha256(data).hexdigest() != sha256:
        raise CorruptedFile(f"stored file {sha256} does not match its checksum")
    return data
