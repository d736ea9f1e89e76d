"""Turn uploaded bytes (or a file, or a string) into checked lines of text."""

from __future__ import annotations

import os
import re
from pathlib import Path

from evaluation.errors import SubmissionError

# C0 controls other than tab, line feed and carriage return, and DEL: never in a text table.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f]")
# every byte but those controls: deleting them from UTF-8 bytes leaves only the controls
# (in UTF-8 a byte below 0x80 is always an ASCII character), a check ten times faster
# than the regular expression, which then only locates the first one
_NOT_CONTROL = bytes(sorted(set(range(256)) - {*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F}))
_NEWLINE = re.compile(r"\r\n|\r|\n")


def read_text(data: bytes | str | os.PathLike[str], *, max_bytes: int | None) -> str:
    """Return the text of a submission given as bytes, as a string, or as a file path.

    A UTF-8 byte-order mark is dropped; CRLF and CR line ends are accepted later.

    Raises:
        SubmissionError: over ``max_bytes``, not UTF-8, or binary (NUL or control bytes).
        OSError: the path cannot be read.
    """
    if isinstance(data, str):
        raw = data.encode("utf-8", errors="surrogatepass")
    elif isinstance(data, bytes | bytearray | memoryview):
        raw = bytes(data)
    else:
        path = Path(data)
        if max_bytes is not None and path.stat().st_size > max_bytes:
            _raise_too_large(path.stat().st_size, max_bytes)
        raw = path.read_bytes()
    if max_bytes is not None and len(raw) > max_bytes:
        _raise_too_large(len(raw), max_bytes)
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    nul = raw.find(b"\x00")
    if nul >= 0:
        raise SubmissionError("NUL byte: this is binary data, not a text file", _line_of(raw, nul))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        bad = raw[error.start]
        raise SubmissionError(
            f"not UTF-8 text (byte 0x{bad:02x}); save the file as UTF-8 plain text",
            _line_of(raw, error.start),
        ) from None
    control = _CONTROL.search(text) if raw.translate(None, _NOT_CONTROL) else None
    if control is not None:
        code = ord(control.group())
        raise SubmissionError(
            f"control character U+{code:04X}: this is binary data, not a text file",
            text.count("\n", 0, control.start()) + 1,
        )
    return text


def split_lines(text: str, *, max_lines: int | None) -> list[str]:
    """Split ``text`` at LF, CRLF or CR line ends (a final line end adds no line).

    Raises:
        SubmissionError: more than ``max_lines`` lines (names the first line over the limit).
    """
    if max_lines is not None:
        # counted before splitting: millions of tiny lines must not become millions of strings
        breaks = text.count("\n") + text.count("\r") - text.count("\r\n")
        count = breaks + (0 if text.endswith(("\n", "\r")) or not text else 1)
        if count > max_lines:
            raise SubmissionError(
                f"the file has {count:,} lines; the limit is {max_lines:,}", max_lines + 1
            )
    # str.split is several times faster than the regular expression, which CR needs
    lines = _NEWLINE.split(text) if "\r" in text else text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _line_of(raw: bytes, offset: int) -> int:
    return raw.count(b"\n", 0, offset) + 1


def _raise_too_large(size: int, max_bytes: int) -> None:
    raise SubmissionError(f"the file is {size:,} bytes; the limit is {max_bytes:,} bytes")
