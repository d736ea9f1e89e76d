"""The `tomobench` command line: a thin shell over the libraries and the service.

Each subcommand lives in its own module and is imported only when it is called, so
`tomobench evaluate` never pays for importing the web stack or PyTorch.
"""

from __future__ import annotations

import importlib

import click

# subcommand name -> "module:attribute" of a click command or group
SUBCOMMANDS: dict[str, str] = {
    "evaluate": "app.cli.evaluate:evaluate",
    "convert": "app.cli.convert:convert",
    "simulate": "app.cli.simulate:simulate",
    "serve": "app.cli.serve:serve",
    "worker": "app.cli.worker:worker",
    "submit": "app.cli.submit:submit",
    "baseline": "app.cli.baseline:baseline",
    "db": "app.cli.db:db",
    "users": "app.cli.users:users",
    "datasets": "app.cli.datasets:datasets",
    "templates": "app.cli.templates:templates",
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(SUBCOMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = SUBCOMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name != module_name:
                raise
            return None  # subcommand not built yet
        command: click.Command = getattr(module, attribute)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="tomobench")
def main() -> None:
    """tomobench: the continuous online benchmark for particle picking in cryo-ET."""
