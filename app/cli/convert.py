"""`tomobench convert IN OUT --to FORMAT`: the evaluator's readers and writers for
participants' own pipelines (every pick format it reads, in both directions).

Exit codes: 0 written; 1 the input was rejected or cannot be written in that format (one
line naming the line and the problem); 2 bad command-line usage.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import click
import numpy as np

from evaluation import SubmissionError, parse_submission
from evaluation.formats import Frame
from evaluation.formats.writers import WRITABLE, ConversionError, write_submission
from evaluation.profiles import PROFILES
from evaluation.submission import SUBMISSION_FORMATS


@click.command()
@click.argument(
    "source", metavar="IN", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.argument("target", metavar="OUT", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--to", "to_format", required=True, type=click.Choice(WRITABLE), help="Output format."
)
@click.option(
    "--from", "from_format", type=click.Choice(SUBMISSION_FORMATS), help="Input format [detected]."
)
@click.option(
    "--pixel-size",
    type=click.FloatRange(min=0, min_open=True),
    help="Voxel size in Å of the voxel frame (Å formats need it; pixel files of another "
    "binning are scaled to it).",
)
@click.option(
    "--size",
    nargs=3,
    type=click.IntRange(min=1),
    metavar="X Y Z",
    help="Tomogram size in voxels (RELION 5 centred coordinates need it).",
)
@click.option("--class", "class_name", help="Class of every pick (files without a class column).")
@click.option("--only-class", help="Write only the picks of this class (copick holds one).")
@click.option("--tomogram", default="test", show_default=True, help="Run / tomogram name.")
@click.option("--profile", type=click.Choice(list(PROFILES)), default="native", show_default=True)
def convert(
    source: Path,
    target: Path,
    to_format: str,
    from_format: str | None,
    pixel_size: float | None,
    size: tuple[int, int, int] | None,
    class_name: str | None,
    only_class: str | None,
    tomogram: str,
    profile: str,
) -> None:
    """Convert the picks in IN to FORMAT and write them to OUT (- for standard output)."""
    frame = Frame(voxel_size=pixel_size, shape=None if not size else (size[2], size[1], size[0]))
    try:
        submission = parse_submission(
            source,
            profile=profile,
            filename=source.name,
            format=from_format,  # type: ignore[arg-type]
            class_name=class_name,
            frame=frame,
        )
    except SubmissionError as error:
        _fail(f"rejected {source.name}: {error}")
    if only_class is not None:
        keep = np.array([name == only_class.lower() for name in submission.class_names])
        if not keep.any():
            _fail(f"no picks of class {only_class!r} in {source.name}")
        submission = submission.select(keep)
    try:
        text = write_submission(submission, to_format, frame, tomogram=tomogram)  # type: ignore[arg-type]
    except ConversionError as error:
        _fail(str(error))
    if str(target) == "-":
        click.echo(text, nl=False)
    else:
        target.write_text(text, encoding="utf-8")
    for note in submission.conversion:
        click.echo(f"tomobench convert: {note}", err=True)


def _fail(message: str) -> NoReturn:
    click.echo(f"tomobench convert: {message}", err=True)
    sys.exit(1)
