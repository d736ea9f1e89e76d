"""One tar archive per tomogram, streamed: headers from `tarfile`, contents read in chunks,
so memory stays flat whatever the size; a `SHA256SUMS` file closes every archive."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from app.services.downloads import DownloadFile, checked_stat
from app.services.errors import Unavailable

CHUNK_BYTES = 1 << 20
BLOCK = tarfile.BLOCKSIZE
RECORD = tarfile.RECORDSIZE


def checksums_file(files: list[DownloadFile]) -> bytes:
    """A `SHA256SUMS` listing (`sha256sum -c` format) of the files."""
    return "".join(f"{file.sha256}  {file.name}\n" for file in files).encode("ascii")


def _padded(size: int, unit: int) -> int:
    return -(-size // unit) * unit


def _member(name: str, size: int, mtime: float) -> bytes:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = size, int(mtime), 0o644
    return info.tobuf(format=tarfile.USTAR_FORMAT)


def archive_size(files: list[DownloadFile]) -> int:
    """The exact length of `archive_chunks(files, ...)`."""
    sizes = [file.bytes for file in files] + [len(checksums_file(files))]
    members = sum(BLOCK + _padded(size, BLOCK) for size in sizes)
    return _padded(members + 2 * BLOCK, RECORD)


def _exactly(stream: BinaryIO, size: int) -> Iterator[bytes]:
    """`size` bytes of `stream` in chunks; a file cut short ends the download with an error.

    Raises:
        Unavailable: if the stream ends early.
    """
    remaining = size
    while remaining:
        chunk = stream.read(min(CHUNK_BYTES, remaining))
        if not chunk:
            raise Unavailable("a dataset file shrank while it was being sent")
        remaining -= len(chunk)
        yield chunk


def archive_chunks(files: list[DownloadFile], folder: str, mtime: float) -> Iterator[bytes]:
    """A tar archive of `files` and their `SHA256SUMS` under `folder/`, produced piece by
    piece (headers from `tarfile`, contents streamed), so memory stays flat for any size.

    Raises:
        Unavailable: at once (before any byte) if a file is missing or changed size.
    """
    for file in files:
        checked_stat(file)
    return _archive_stream(files, folder, mtime)


def _archive_stream(files: list[DownloadFile], folder: str, mtime: float) -> Iterator[bytes]:
    sums = checksums_file(files)
    # (name, size, where the content comes from: a file, or bytes made here)
    members: list[tuple[str, int, Path | bytes]] = [(f.name, f.bytes, f.path) for f in files]
    members.append(("SHA256SUMS", len(sums), sums))
    written = 0
    for name, size, source in members:
        header = _member(f"{folder}/{name}", size, mtime)
        padding = _padded(size, BLOCK) - size
        yield header
        with source.open("rb") if isinstance(source, Path) else io.BytesIO(source) as stream:
            yield from _exactly(stream, size)
        yield b"\0" * padding
        written += len(header) + size + padding
    yield b"\0" * (_padded(written + 2 * BLOCK, RECORD) - written)
