"""Helpers shared by the service's subcommands: settings from the environment and options."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError

from app.core.config import Settings


def load_settings(**overrides: Any) -> Settings:
    """Settings from `TOMOBENCH_*` variables, with the given non-None overrides.

    Raises:
        click.ClickException: naming each invalid setting, instead of a traceback.
    """
    values = {key: value for key, value in overrides.items() if value is not None}
    try:
        return Settings(**values)
    except ValidationError as error:
        problems = "; ".join(
            f"TOMOBENCH_{'_'.join(str(part) for part in issue['loc']).upper() or 'SETTINGS'}: "
            f"{issue['msg']}"
            for issue in error.errors()
        )
        raise click.ClickException(f"invalid settings: {problems}") from error


data_dir_option = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Data folder (database, uploads, datasets); default $TOMOBENCH_DATA_DIR or ./data.",
)
