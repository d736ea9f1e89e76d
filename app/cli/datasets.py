"""`tomobench datasets`: organizers' operations on dataset versions from the command line."""

from __future__ import annotations

from pathlib import Path

import click

from app.cli._common import data_dir_option, load_settings


@click.group()
def datasets() -> None:
    """Dataset versions: rebuild one from the server's records."""


@datasets.command()
@click.argument("version_id", metavar="VERSION", type=click.IntRange(min=1))
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Empty output folder for the rebuilt tomograms (created if missing).",
)
@data_dir_option
def rebuild(version_id: int, out_dir: Path, data_dir: Path | None) -> None:
    """Simulate dataset VERSION again from the server's records, hidden test included, and
    check every file against the recorded SHA-256 (exit status 1 if any differs).

    OUT then holds the hidden ground truth: keep it on the server.
    """
    from app.db import session_factory
    from app.services.datasets import get_dataset, rebuild_dataset
    from app.services.errors import ServiceError

    if out_dir.exists() and any(out_dir.iterdir()):
        raise click.ClickException(f"{out_dir} is not empty; give an empty or new folder")
    settings = load_settings(data_dir=data_dir)
    with session_factory(settings.sqlalchemy_url)() as db:
        try:
            version = get_dataset(db, version_id)
            differing = rebuild_dataset(version, out_dir)
        except ServiceError as error:
            raise click.ClickException(error.message) from error
        recorded = sum(len(entry["files"]) for entry in version.files.values())
    if differing:
        click.echo(f"{len(differing)} of {recorded} files differ: " + ", ".join(differing))
        raise SystemExit(1)
    click.echo(f"rebuilt {version.name} into {out_dir}: all {recorded} files identical")


@datasets.command("import-copick")
@click.argument("project", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--test",
    "tests",
    multiple=True,
    required=True,
    help="A run of the hidden test (repeat it for a test of several tomograms).",
)
@click.option("--name", default=None, help="Version name [v<id>].")
@click.option(
    "--voxel-spacing", type=float, default=None, help="Voxel spacing (Å) to import [smallest]."
)
@click.option(
    "--profile",
    type=click.Choice(["auto", "czii", "native"]),
    default="auto",
    show_default=True,
    help="Scoring: czii (the Kaggle CZII score on the picks, Å) or native (hitboxes); auto "
    "takes native when every particle object is a native class, czii otherwise.",
)
@click.option("--activate", is_flag=True, help="Make it the version submissions are scored on.")
@data_dir_option
def import_copick(
    project: Path,
    tests: tuple[str, ...],
    name: str | None,
    voxel_spacing: float | None,
    profile: str,
    activate: bool,
    data_dir: Path | None,
) -> None:
    """Make a dataset version from the local copick project PROJECT (its config file, or the
    folder holding copick_config.json): its runs become tomograms, its picks the ground
    truth (spheres of each object's radius), the --test runs (one or more) the hidden test."""
    from app.db import session_factory
    from app.services.copick_import import import_copick_version
    from app.services.errors import ServiceError

    settings = load_settings(data_dir=data_dir)
    with session_factory(settings.sqlalchemy_url)() as db:
        try:
            version, runs = import_copick_version(
                db,
                settings,
                project,
                list(tests),
                name=name,
                voxel_spacing=voxel_spacing,
                profile=profile,
                activate=activate,
            )
        except ServiceError as error:
            raise click.ClickException(error.message) from error
        for run in runs:
            click.echo(
                f"{run.name} ({run.role}): {run.particles} particles, "
                f"{run.shape[2]}x{run.shape[1]}x{run.shape[0]} voxels of {run.voxel_size:g} Å"
            )
        state = "active" if activate else "ready"
        click.echo(
            f"dataset version {version.name} (id {version.id}) {state}, scored with the "
            f"{version.profile} profile"
        )
