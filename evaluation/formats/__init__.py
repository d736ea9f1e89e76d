"""Submission formats: plain text, CSV with a header, RELION STAR, and the field's pick
formats (copick, Data Portal, Kaggle/CZII, RELION 4/5, pytom-match-pick, Dynamo,
DeepFinder). Entry: :func:`parse_submission`.

Limits and messages are documented in ``docs/evaluation.md``; every rejection is a
:class:`~evaluation.errors.SubmissionError` naming the line when there is one.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from evaluation.errors import SubmissionError
from evaluation.formats.decode import read_text, split_lines
from evaluation.formats.detect import FIELD_FORMATS, detect_format, read_picks
from evaluation.formats.header import is_header, parse_with_header, refuse_unknown_header
from evaluation.formats.picks import Frame, rescale, to_submission
from evaluation.formats.plain import Row, parse_plain, parse_plain_table
from evaluation.formats.rows import split_fields
from evaluation.formats.tomograms import archive_kind, name_tomograms, parse_archive
from evaluation.profiles import Profile, get_profile
from evaluation.submission import SUBMISSION_FORMATS, Submission, SubmissionFormat

__all__ = ["Frame", "parse_submission"]


def parse_submission(
    data: bytes | str | os.PathLike[str],
    *,
    profile: str = "native",
    max_bytes: int | None = None,
    max_lines: int | None = None,
    filename: str | None = None,
    format: SubmissionFormat | None = None,
    class_name: str | None = None,
    pixel_size: float | None = None,
    frame: Frame | None = None,
    tomograms: Sequence[str] | None = None,
) -> Submission:
    """Parse and validate a submission without any ground truth.

    ``data`` is the file's bytes (as uploaded), its text (a ``str`` is content, never a
    path), or a path (``pathlib.Path``). The format is recognised from the content: a STAR
    file starts with ``data_``; a CSV table's first line names the columns x, y and z;
    anything else is plain text (``CLASS X Y Z [angles] [SCORE]``; ``CLASS Z Y X ...`` under
    the shrec19 profile); the field's formats are listed in :func:`detect_format`.
    ``filename`` only serves messages and ``.star``/``.tbl`` hints. ``format`` forces a
    format; ``class_name`` is the class of a file without a class column (it overrides a
    numeric class column); ``pixel_size`` (Å) the pixel size of voxel coordinates of another
    binning; ``frame`` the voxel size and shape of the ground truth, which Å and centred
    coordinates need. Conversions are listed in ``Submission.conversion``. ``tomograms``
    names the test tomograms of the ground truth: with two or more, each prediction must
    name one of them (``Submission.tomograms``), or ``data`` is a zip or tar archive of one
    file per tomogram (evaluation/formats/tomograms.py); with one or None, as a single
    tomogram.

    Raises:
        SubmissionError: the file is rejected (empty, binary, not UTF-8, over a limit, a
            wrong number of fields, an unknown class, a value that is not a finite number...).
        ValueError: ``profile`` is unknown (a programming error, not a bad file).
        OSError: a path that cannot be read.
    """
    chosen = get_profile(profile)
    if format is not None and format not in SUBMISSION_FORMATS:
        known = ", ".join(SUBMISSION_FORMATS)
        raise SubmissionError(f"unknown format {format!r} (known formats: {known})")
    if pixel_size is not None and not pixel_size > 0:
        raise SubmissionError(f"pixel size must be a positive number of Å, got {pixel_size!r}")
    expected = tuple(tomograms or ())
    several = len(expected) > 1
    if several and archive_kind(data) is not None:
        assert not isinstance(data, str)  # text is never an archive

        def parse_one(content: bytes, name: str) -> Submission:
            return parse_submission(
                content,
                profile=profile,
                max_bytes=max_bytes,
                max_lines=max_lines,
                filename=name,
                format=format,
                class_name=class_name,
                pixel_size=pixel_size,
                frame=frame,
            )

        return parse_archive(data, expected, parse_one, max_bytes=max_bytes)
    text = read_text(data, max_bytes=max_bytes)
    lines = split_lines(text, max_lines=max_lines)
    file_format = format or detect_format(lines, filename)
    if file_format in FIELD_FORMATS:
        picks = read_picks(file_format, text, lines)
        parsed = to_submission(
            picks, chosen, frame, class_name=class_name, pixel_size=pixel_size, several=several
        )
        if not several:
            return parsed
        return name_tomograms(parsed, picks.tomograms, expected)
    parsed = rescale(_parse_native(text, lines, chosen, file_format), pixel_size, frame)
    if not several and parsed.tomograms is None:
        return parsed
    named = None if parsed.tomograms is None else [str(name) for name in parsed.tomograms]
    return name_tomograms(parsed, named, expected)


def _parse_native(
    text: str, lines: list[str], chosen: Profile, file_format: SubmissionFormat
) -> Submission:
    if file_format == "text":  # the common case first: a regular table, read column-wise
        regular = parse_plain_table(text, lines, chosen)
        if regular is not None:
            return regular
    rows: list[Row] = []
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            rows.append((number, split_fields(stripped)))
    if not rows:
        what = "is empty" if not text.strip() else "holds only comments and blank lines"
        raise SubmissionError(f"no predictions: the file {what}")
    first_fields = rows[0][1]
    if file_format == "star":
        from evaluation.formats.star import parse_star  # not needed by other files

        return parse_star(text, lines, chosen)
    if file_format == "csv" and is_header(first_fields):
        if len(rows) == 1:
            raise SubmissionError("no predictions: the table has a header but no rows")
        return parse_with_header(rows[0], rows[1:], chosen)
    refuse_unknown_header(first_fields, rows[0][0], chosen)
    return parse_plain(rows, chosen)
