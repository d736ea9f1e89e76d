"""Submission formats: plain text, CSV with a header, RELION STAR. Entry: :func:`parse_submission`.

Limits and messages are documented in ``docs/evaluation.md``; every rejection is a
:class:`~evaluation.errors.SubmissionError` naming the line when there is one.
"""

from __future__ import annotations

import os

from evaluation.errors import SubmissionError
from evaluation.formats.decode import read_text, split_lines
from evaluation.formats.header import is_header, parse_with_header
from evaluation.formats.plain import Row, parse_plain
from evaluation.formats.rows import split_fields
from evaluation.formats.star import parse_star
from evaluation.profiles import get_profile
from evaluation.submission import Submission

__all__ = ["parse_submission"]


def parse_submission(
    data: bytes | str | os.PathLike[str],
    *,
    profile: str = "native",
    max_bytes: int | None = None,
    max_lines: int | None = None,
    filename: str | None = None,
) -> Submission:
    """Parse and validate a submission without any ground truth.

    ``data`` is the file's bytes (as uploaded), its text (a ``str`` is content, never a
    path), or a path (``pathlib.Path``). The format is recognised from the content: a STAR
    file starts with ``data_``; a CSV table's first line names the columns x, y and z;
    anything else is plain text (``CLASS X Y Z [angles] [SCORE]``; ``CLASS Z Y X ...`` under
    the shrec19 profile). ``filename`` only serves messages and a ``.star`` hint.

    Raises:
        SubmissionError: the file is rejected (empty, binary, not UTF-8, over a limit, a
            wrong number of fields, an unknown class, a value that is not a finite number...).
        ValueError: ``profile`` is unknown (a programming error, not a bad file).
        OSError: a path that cannot be read.
    """
    chosen = get_profile(profile)
    text = read_text(data, max_bytes=max_bytes)
    lines = split_lines(text, max_lines=max_lines)
    rows: list[Row] = []
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            rows.append((number, split_fields(stripped)))
    if not rows:
        what = "is empty" if not text.strip() else "holds only comments and blank lines"
        raise SubmissionError(f"no predictions: the file {what}")
    first_fields = rows[0][1]
    star_name = filename is not None and filename.lower().endswith(".star")
    if first_fields[0].startswith("data_") or (star_name and first_fields[0] == "loop_"):
        return parse_star(text, lines, chosen)
    if is_header(first_fields):
        if len(rows) == 1:
            raise SubmissionError("no predictions: the table has a header but no rows")
        return parse_with_header(rows[0], rows[1:], chosen)
    return parse_plain(rows, chosen)
