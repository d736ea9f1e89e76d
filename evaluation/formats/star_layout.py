"""Where things are in a STAR file, as ``starfile`` reads it: data blocks, the columns of
their loops, and the lines of their rows, so that messages can name lines."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from evaluation.errors import SubmissionError

COORDINATES = ("rlnCoordinateX", "rlnCoordinateY", "rlnCoordinateZ")


@dataclass(frozen=True)
class StarLoop:
    """One loop: its block's name (after ``data_``), its columns (no leading ``_``) and the
    1-based line numbers of its rows (non-blank lines not starting with ``#``)."""

    name: str
    columns: tuple[str, ...]
    rows: tuple[int, ...]


def star_loops(lines: Sequence[str]) -> list[StarLoop]:
    """Every loop of the file, in order.

    Raises:
        SubmissionError: a data block name that appears twice.
    """
    stripped = [line.strip() for line in lines]
    loops: list[StarLoop] = []
    seen: set[str] = set()
    block: str | None = None
    index = 0
    while index < len(stripped):
        text = stripped[index]
        index += 1
        if text.startswith("data_"):
            block = text[5:]
            if block in seen:
                raise SubmissionError(f"data block 'data_{block}' appears twice", index)
            seen.add(block)
        elif text.startswith("loop_") and block is not None:
            columns = []
            while index < len(stripped) and stripped[index].startswith("_"):
                columns.append(stripped[index].split()[0][1:])
                index += 1
            rows = []
            while index < len(stripped) and not stripped[index].startswith("data_"):
                if stripped[index] and not stripped[index].startswith("#"):
                    rows.append(index + 1)
                index += 1
            loops.append(StarLoop(block, tuple(columns), tuple(rows)))
    return loops


def particle_loop(lines: Sequence[str]) -> StarLoop:
    """The first loop with ``_rlnCoordinateX``, checked row by row.

    Raises:
        SubmissionError: no such loop, a coordinate column missing, no rows, or a row whose
            number of fields differs from the loop's columns.
    """
    loop = next((loop for loop in star_loops(lines) if COORDINATES[0] in loop.columns), None)
    if loop is None:
        raise SubmissionError(
            "no particle loop: no data block has _rlnCoordinateX, _rlnCoordinateY, "
            "_rlnCoordinateZ (in voxels)"
        )
    missing = [column for column in COORDINATES if column not in loop.columns]
    if missing:
        raise SubmissionError(f"data block 'data_{loop.name}' lacks _{missing[0]}")
    check_rows(loop, lines)
    return loop


def check_rows(loop: StarLoop, lines: Sequence[str]) -> None:
    """Refuse a loop without rows, or with a row whose field count is not its columns'.

    Raises:
        SubmissionError: naming the first such row's line.
    """
    if not loop.rows:
        raise SubmissionError(f"no predictions: data block 'data_{loop.name}' has no rows")
    for line in loop.rows:
        fields = len(lines[line - 1].split())
        if fields != len(loop.columns):
            raise SubmissionError(
                f"{fields} fields, but the loop of 'data_{loop.name}' names "
                f"{len(loop.columns)} columns",
                line,
            )
