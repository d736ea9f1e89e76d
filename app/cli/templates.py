"""`tomobench templates --voxel-size V`: rebuild the 12 class templates for a voxel size.

The templates are computed from the bundled structures (atomic models, or shape masks for
classes without one) and written as the .npz the simulator loads: into the package's
template folder by default, so later simulations at that voxel size use them, or into
``--out``. ``--mrc DIR`` also writes one MRC file per class for inspection.
"""

from __future__ import annotations

from pathlib import Path

import click
import numpy as np
from tqdm import tqdm

from evaluation.classes import CLASSES
from simulation.output import write_volume
from simulation.templates import (
    PDB_DIR,
    TEMPLATE_DIR,
    build_templates,
    footprint,
    save_templates,
    template_path,
)


@click.command()
@click.option(
    "--voxel-size",
    type=click.FloatRange(min=0.1, max=5.0),
    required=True,
    help="Voxel size in nm (the shipped templates are 1.0).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help=f"Folder for the .npz [{TEMPLATE_DIR}].",
)
@click.option(
    "--mrc",
    "mrc_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Also write <class>.mrc files here.",
)
def templates(voxel_size: float, out_dir: Path | None, mrc_dir: Path | None) -> None:
    """Rebuild the class templates (potentials in volts) at VOXEL_SIZE nm."""
    bar = tqdm(total=len(CLASSES), desc="templates", unit="class")

    def advance(class_name: str) -> None:
        bar.set_postfix_str(class_name, refresh=False)
        bar.update(1)

    try:
        built = build_templates(voxel_size, progress=advance)
    except (ValueError, OSError) as error:
        raise click.ClickException(str(error)) from None
    finally:
        bar.close()
    target = template_path(voxel_size, out_dir if out_dir is not None else TEMPLATE_DIR)
    save_templates(built, voxel_size, target)
    if mrc_dir is not None:
        mrc_dir.mkdir(parents=True, exist_ok=True)
        for name, potential in built.items():
            write_volume(mrc_dir / f"{name}.mrc", potential, voxel_size)
    click.echo(f"wrote {target}")
    click.echo(f"{'class':6} {'source':6} {'box':>5} {'footprint':>10} {'sum (V·nm³)':>12}")
    for name, potential in built.items():
        source = "atomic" if (PDB_DIR / f"{name}.pdb.gz").exists() else "mask"
        integral = float(np.sum(potential, dtype=np.float64)) * voxel_size**3
        click.echo(
            f"{name:6} {source:6} {potential.shape[0]:5d} {int(footprint(potential).sum()):10d} "
            f"{integral:12.1f}"
        )
