"""`tomobench evaluate GT SUBMISSION`: score one submission, print the report or JSON.

Exit codes: 0 scored; 1 the submission was rejected (one line naming the line and the
problem); 2 bad command-line usage; 3 the ground truth could not be loaded.
"""

from __future__ import annotations

import gc
import json
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from evaluation import (
    GroundTruthError,
    SubmissionError,
    load_ground_truth,
    parse_submission,
    score,
)
from evaluation.formats import Frame
from evaluation.misframing import check_frame
from evaluation.profiles import CZII, PROFILE_CHOICES, PROFILES, profiles_with_option
from evaluation.submission import SUBMISSION_FORMATS

_POSITIVE = click.FloatRange(min=0, min_open=True)
# command-line option -> profile option, where the names differ
_OPTION_NAMES = {"exclude": "excluded"}
_BOXES_PROFILES = tuple(name for name, profile in PROFILES.items() if profile.boxes_option)


def _option_help(option: str, text: str) -> str:
    """Help of a profile option: the profiles that take it and its default, from the registry."""
    owners = profiles_with_option(option)
    default = PROFILES[owners[0]].option_defaults[option]
    shown = " ".join(default) if isinstance(default, tuple) else str(default)
    return f"{' and '.join(owners)}: {text} [{shown}]."


@click.command()
@click.argument("ground_truth", type=click.Path(exists=True, path_type=Path))
@click.argument("submission", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--profile",
    type=click.Choice(PROFILE_CHOICES),
    default="native",
    show_default=True,
    help="Dataset layout and scoring rules (czii: the Kaggle CZII score).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.option("--z-offset", type=int, help=_option_help("z_offset", "subtracted from submitted Z"))
@click.option(
    "--padding", type=int, help=_option_help("padding", "subtracted from all coordinates")
)
@click.option(
    "--boxes",
    is_flag=True,
    help="native: SHREC'19 boxes instead of the occupancy mask; shrec19: rebuild the boxes "
    "even if hitbox_N.mrc exists.",
)
@click.option("--memory-map", is_flag=True, default=None, help="Map the hitbox file.")
@click.option(
    "--slab-padding", type=int, help=_option_help("slab_padding", "empty slices each side")
)
@click.option("--exclude", multiple=True, help=_option_help("excluded", "excluded class (repeat)"))
@click.option(
    "--bootstrap",
    type=click.IntRange(min=0),
    default=1000,
    show_default=True,
    help="Bootstrap resamples (0: none).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Bootstrap seed.")
@click.option("--beta", type=_POSITIVE, default=4.0, show_default=True, help="F-beta's beta.")
@click.option(
    "--multiplier",
    type=_POSITIVE,
    default=0.5,
    show_default=True,
    help="F-beta's match distance, times the class radius.",
)
@click.option("--paper-digits", is_flag=True, help="Truncate figures as the paper printed them.")
@click.option(
    "--format",
    "file_format",
    type=click.Choice(SUBMISSION_FORMATS),
    help="Submission format [detected from the content].",
)
@click.option("--class", "class_name", help="Class of every pick (files without a class column).")
@click.option(
    "--pixel-size",
    type=_POSITIVE,
    help="Pixel size (Å) of voxel coordinates picked at another binning.",
)
@click.option(
    "--allow-misframed", is_flag=True, help="Score a file even if its coordinates look misframed."
)
@click.option(
    "--no-cache",
    is_flag=True,
    help="Recompute the hitbox file's checksum and checks instead of reading them from the "
    "user cache (also: TOMOBENCH_NO_CACHE=1).",
)
@click.option(
    "--czii-radius", multiple=True, metavar="TYPE=Å", help="czii: a particle type's radius."
)
@click.option(
    "--czii-weight", multiple=True, metavar="TYPE=W", help="czii: a particle type's weight."
)
def evaluate(
    ground_truth: Path,
    submission: Path,
    profile: str,
    as_json: bool,
    boxes: bool,
    bootstrap: int,
    seed: int,
    beta: float,
    multiplier: float,
    paper_digits: bool,
    file_format: str | None,
    class_name: str | None,
    pixel_size: float | None,
    allow_misframed: bool,
    no_cache: bool,
    czii_radius: tuple[str, ...],
    czii_weight: tuple[str, ...],
    **given: Any,
) -> None:
    """Score SUBMISSION against the ground truth GT (a folder, or for shrec19 also the
    particle_locations_model_N.txt file; for czii a Kaggle solution CSV or a copick
    project folder, and SUBMISSION a Kaggle CSV or copick picks)."""
    if profile == CZII:
        _evaluate_czii(
            ground_truth, submission, as_json, beta, multiplier, czii_radius, czii_weight
        )
        return
    options = _profile_options(profile, boxes, given)
    try:
        truth = load_ground_truth(ground_truth, profile, cache=not no_cache, **options)
    except GroundTruthError as error:
        _fail(f"bad ground truth: {error}", 3)
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    frame = Frame(voxel_size=truth.voxel_size, shape=truth.submission_shape)
    try:
        parsed = parse_submission(
            submission,
            profile=profile,
            filename=submission.name,
            format=file_format,  # type: ignore[arg-type]
            class_name=class_name,
            pixel_size=pixel_size,
            frame=frame,
        )
        truth, parsed = check_frame(
            truth,
            parsed,
            allow_misframed=allow_misframed,
            detect_slab="z_offset" not in options,
        )
    except SubmissionError as error:
        _fail(f"rejected {submission.name}: {error}", 1)
    result = score(truth, parsed, bootstrap=bootstrap, seed=seed, beta=beta, multiplier=multiplier)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2))
    else:
        click.echo(result.to_text(truncate=paper_digits), nl=False)
    if not gc.isenabled() and sys.stdout is sys.__stdout__:
        gc.freeze()  # a process of its own (app.cli) ends: nothing for the last collection


def _evaluate_czii(
    solution_path: Path,
    submission_path: Path,
    as_json: bool,
    beta: float,
    multiplier: float,
    radii: tuple[str, ...],
    weights: tuple[str, ...],
) -> None:
    from evaluation.czii import CziiParameters, czii_score, parse_table, read_czii_points

    try:
        defaults = CziiParameters()
        parameters = CziiParameters(
            radii={**defaults.radii, **parse_table(radii, "--czii-radius")},
            weights={**defaults.weights, **parse_table(weights, "--czii-weight")},
            multiplier=multiplier,
            beta=beta,
        )
    except ValueError as error:
        raise click.UsageError(str(error)) from None
    try:
        solution = read_czii_points(solution_path, what="solution")
    except (SubmissionError, OSError) as error:
        _fail(f"bad ground truth: {error}", 3)
    try:
        picks = read_czii_points(submission_path)
        result = czii_score(solution, picks, parameters)
    except SubmissionError as error:
        _fail(f"rejected {submission_path.name}: {error}", 1)
    except ValueError as error:
        _fail(f"bad ground truth: {error}", 3)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2))
    else:
        click.echo(result.to_text(), nl=False)


def _profile_options(profile: str, boxes: bool, given: dict[str, Any]) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for flag, value in given.items():
        if value is None or value == ():
            continue
        name = _OPTION_NAMES.get(flag, flag)
        profiles = profiles_with_option(name)
        if profile not in profiles:
            option = "--" + flag.replace("_", "-")
            raise click.UsageError(f"{option} applies to the {' and '.join(profiles)} profile only")
        options[name] = value
    boxes_option = PROFILES[profile].boxes_option
    if boxes:
        if boxes_option is None:
            owners = " and ".join(_BOXES_PROFILES)
            raise click.UsageError(f"--boxes applies to the {owners} profiles only")
        name, value = boxes_option
        options[name] = value
    return options


def _fail(message: str, code: int) -> NoReturn:
    click.echo(f"tomobench evaluate: {message}", err=True)
    sys.exit(code)
