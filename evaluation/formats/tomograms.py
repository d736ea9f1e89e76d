"""Submissions for a hidden test of several tomograms.

Each prediction names its tomogram: a ``tomogram`` column in a CSV table, ``rlnTomoName`` in
STAR, the run or experiment of the field's formats (copick, Kaggle ``experiment``, ...). Or
the upload is a zip or tar archive of one file per tomogram, each named after its tomogram
(``TS_1.csv``, ``TS_2.star``: the name up to the first dot of the file's extension).
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from evaluation.errors import SubmissionError
from evaluation.submission import Submission

# the column of a CSV table that names each prediction's tomogram
TOMOGRAM_COLUMNS = ("tomogram", "tomo_name")


def name_tomograms(
    submission: Submission, named: Sequence[str] | None, expected: Sequence[str]
) -> Submission:
    """``submission`` with each prediction's tomogram set from ``named`` (as the file said,
    None when it said nothing), checked against the test's ``expected`` names.

    With one test tomogram the names are not needed and set aside (None).

    Raises:
        SubmissionError: several test tomograms and a file naming none, or a name that is
            not a test tomogram (names the line).
    """
    import dataclasses

    if len(expected) < 2:
        return dataclasses.replace(submission, tomograms=None)
    known = ", ".join(expected)
    if named is None:
        raise SubmissionError(
            f"the hidden test has {len(expected)} tomograms ({known}): name the tomogram of "
            "each prediction (a 'tomogram' column, rlnTomoName in STAR) or upload a zip or tar "
            "of one file per tomogram, named after it"
        )
    names = np.asarray([str(name).strip() for name in named], dtype=np.str_)
    unknown = ~np.isin(names, np.asarray(list(expected), dtype=np.str_))
    if unknown.any():
        row = int(np.flatnonzero(unknown)[0])
        raise SubmissionError(
            f"unknown tomogram {str(names[row])!r} (test tomograms: {known})",
            int(submission.line_numbers[row]),
        )
    return dataclasses.replace(submission, tomograms=names)


def archive_kind(data: bytes | str | os.PathLike[str]) -> str | None:
    """ "zip" or "tar" when ``data`` (bytes or a path, never text) is such an archive."""
    if isinstance(data, str):
        return None
    import zipfile  # here and below: archives are rare, and these modules slow start-up

    if isinstance(data, bytes | bytearray | memoryview):
        head = bytes(data[:512])
        if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
            return "zip"
        return "tar" if _is_tar(io.BytesIO(bytes(data))) else None
    path = Path(data)
    if not path.is_file():
        return None
    if zipfile.is_zipfile(path):
        return "zip"
    with path.open("rb") as handle:
        return "tar" if _is_tar(handle) else None


def _is_tar(handle: io.BufferedIOBase | io.BytesIO) -> bool:
    import tarfile

    try:
        with tarfile.open(fileobj=handle, mode="r:*"):
            return True
    except (tarfile.TarError, EOFError, OSError):
        return False


def parse_archive(
    data: bytes | os.PathLike[str],
    expected: Sequence[str],
    parse_one: Callable[[bytes, str], Submission],
    *,
    max_bytes: int | None,
) -> Submission:
    """One submission from an archive of one file per test tomogram; ``parse_one(bytes,
    member name)`` parses each file. Line numbers stay those of each file; a rejected file
    is named in the message.

    Raises:
        SubmissionError: not a readable archive, a file named after no test tomogram, two
            files of one tomogram, files larger than ``max_bytes`` together, no file.
    """
    if isinstance(data, bytes | bytearray | memoryview):
        raw = bytes(data)
    else:
        raw = Path(data).read_bytes()
    members = _members(raw, max_bytes)
    known = ", ".join(expected)
    parts: list[tuple[str, Submission]] = []
    seen: dict[str, str] = {}
    for member, content in members:
        base = member.rsplit("/", 1)[-1]
        tomogram = next(
            (name for name in expected if base == name or base.startswith(name + ".")), None
        )
        if tomogram is None:
            raise SubmissionError(
                f"archive file {member!r} is named after no test tomogram ({known}); name "
                "each file after its tomogram (e.g. TOMOGRAM.csv)"
            )
        if tomogram in seen:
            raise SubmissionError(
                f"archive files {seen[tomogram]!r} and {member!r} are both for tomogram "
                f"{tomogram!r}; give one file per tomogram"
            )
        seen[tomogram] = member
        try:
            parts.append((tomogram, parse_one(content, base)))
        except SubmissionError as error:
            raise SubmissionError(f"{member}: {error.reason}", error.line) from None
    if not parts:
        raise SubmissionError("no predictions: the archive holds no file")
    return _concatenate(parts)


def _members(raw: bytes, max_bytes: int | None) -> list[tuple[str, bytes]]:
    """(name, bytes) of each regular file of a zip or tar, skipping folders and hidden
    files (``__MACOSX/``, ``.DS_Store``); their sizes are checked before reading."""
    import tarfile
    import zipfile

    files: list[tuple[str, bytes]] = []
    total = 0

    def admit(name: str, size: int) -> bool:
        nonlocal total
        parts = name.split("/")
        if any(part.startswith((".", "__MACOSX")) for part in parts if part):
            return False
        total += size
        if max_bytes is not None and total > max_bytes:
            raise SubmissionError(
                f"the archive's files hold more than {max_bytes} bytes together (the limit)"
            )
        return True

    try:
        if raw.startswith(b"PK"):
            with zipfile.ZipFile(io.BytesIO(raw)) as zipped:
                for info in zipped.infolist():
                    if not info.is_dir() and admit(info.filename, info.file_size):
                        files.append((info.filename, zipped.read(info)))
        else:
            with tarfile.open(fileobj=io.BytesIO(raw), mode="r:*") as archive:
                for entry in archive:
                    if entry.isfile() and admit(entry.name, entry.size):
                        handle = archive.extractfile(entry)
                        assert handle is not None  # a regular file
                        files.append((entry.name, handle.read(entry.size + 1)[: entry.size]))
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError, ValueError) as error:
        raise SubmissionError(f"not a readable zip or tar archive ({error})") from None
    return files


def _concatenate(parts: list[tuple[str, Submission]]) -> Submission:
    """The files' predictions one after another (archive order), each with its tomogram."""
    import dataclasses

    first = parts[0][1]
    subs = [sub for _, sub in parts]
    angles = None
    if all(sub.angles is not None for sub in subs):
        conventions = {sub.angle_convention for sub in subs}
        if len(conventions) > 1:
            raise SubmissionError("the archive's files give angles in different conventions")
        angles = np.concatenate([sub.angles for sub in subs if sub.angles is not None])
    scores = None
    if all(sub.scores is not None for sub in subs):
        scores = np.concatenate([sub.scores for sub in subs if sub.scores is not None])
    formats = {sub.format for sub in subs}
    conversion = tuple(
        dict.fromkeys(f"{name}: {note}" for name, sub in parts for note in sub.conversion)
    )
    return dataclasses.replace(
        first,
        classes=np.concatenate([sub.classes for sub in subs]),
        coords=np.concatenate([sub.coords for sub in subs]),
        angles=angles,
        scores=scores,
        line_numbers=np.concatenate([sub.line_numbers for sub in subs]),
        format=first.format if len(formats) == 1 else "text",
        conversion=conversion,
        tomograms=np.asarray([name for name, sub in parts for _ in range(len(sub))], dtype=np.str_),
    )
