"""The `tomobench` command line: a thin shell over the libraries and the service.

Each subcommand lives in its own module and is imported only when it is called, so
`tomobench evaluate` never pays for importing the web stack or PyTorch, and `tomobench
--help` lists the subcommands from the help texts below without importing any of them.
"""

from __future__ import annotations

import gc
import importlib
import os
import sys

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

# subcommand name -> the first paragraph of its help (a test checks they match the commands)
HELP: dict[str, str] = {
    "evaluate": "Score SUBMISSION against the ground truth GT (a folder, or for shrec19 also the "
    "particle_locations_model_N.txt file; for czii a Kaggle solution CSV or a copick project "
    "folder, and SUBMISSION a Kaggle CSV or copick picks).",
    "convert": "Convert the picks in IN to FORMAT and write them to OUT (- for standard output).",
    "simulate": "Simulate a SHREC-style dataset: OUT/model_0 ... OUT/model_{T-1} and "
    "OUT/dataset.json.",
    "serve": "Run the web app, a worker and the dispatcher (SQLite and no broker server by "
    "default).",
    "worker": "Run a Celery worker consuming QUEUES (evaluation, simulation, gpu).",
    "submit": "Upload FILE (a result file, in any format the evaluator reads) to the service at "
    "URL.",
    "baseline": "Train the reference baselines (dog, template, unet) and pick particles with them.",
    "db": "Database schema (Alembic migrations shipped with the package).",
    "users": "Accounts: create, list, change role, reset a password.",
    "datasets": "Dataset versions: rebuild one from the server's records.",
    "templates": "Rebuild the class templates (potentials in volts) at VOXEL_SIZE nm.",
}

# subcommand name -> the extra its imports need beyond the core (`pip install tomobench`)
EXTRAS: dict[str, str] = {
    "serve": "service",
    "worker": "service",
    "db": "service",
    "users": "service",
    "datasets": "service",
    "baseline": "baselines",
}

# extra -> the top-level modules it installs (its packages and what they pull in): only a
# missing one of these is answered with the extra to install; anything else is a bug
_SERVICE_MODULES = (
    "fastapi", "fastapi_offline", "starlette", "uvicorn", "jinja2", "multipart",
    "python_multipart", "sqlalchemy", "alembic", "pydantic", "pydantic_settings", "psycopg",
    "redis", "celery", "kombu", "argon2", "itsdangerous", "zxcvbn", "confusable_homoglyphs",
    "markdown_it", "copick", "zarr", "matplotlib", "orjson",
)  # fmt: skip
EXTRA_MODULES: dict[str, frozenset[str]] = {
    "service": frozenset(_SERVICE_MODULES),
    "baselines": frozenset({"torch"}),
}

# Short subcommands that use no BLAS. Started with one OpenBLAS thread, numpy imports about
# 15 ms of CPU faster (the pool of threads it would start, idle, also spins on a busy
# machine). Their process runs with the cyclic garbage collector off: it lives a fraction of
# a second, and the collections that importing numpy and the evaluator would trigger, and the
# last one at exit (the command freezes its objects first), cost about 15 ms together.
SHORT_SINGLE_THREADED = frozenset({"evaluate"})


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(SUBCOMMANDS)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list of `--help`, as click writes it, from :data:`HELP`: importing
        every subcommand (the web stack, PyTorch) only to read its help took seconds."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            text = HELP.get(name)
            if text is None:  # not listed: ask the command itself
                command = self.get_command(ctx, name)
                if command is None or command.hidden:
                    continue
                rows.append((name, command.get_short_help_str(limit)))
            else:
                # shortened exactly as the command would shorten its own help
                rows.append((name, click.Command(name, help=text).get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = SUBCOMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        if cmd_name in SHORT_SINGLE_THREADED and "numpy" not in sys.modules:  # a fresh process
            os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
            if sys.stdout is sys.__stdout__:  # its own, not a test runner's or a caller's
                gc.disable()
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            extra = EXTRAS.get(cmd_name)
            missing = (error.name or "").partition(".")[0]
            if extra is None or missing not in EXTRA_MODULES[extra]:
                raise  # not an optional package: a broken install or a bug, shown as it is
            raise click.ClickException(
                f"`tomobench {cmd_name}` needs the {extra} extra (the module {missing!r} is "
                f"not installed): pip install 'tomobench[{extra}]'"
            ) from error
        command: click.Command = getattr(module, attribute)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="tomobench")
def main() -> None:
    """tomobench: the continuous online benchmark for particle picking in cryo-ET."""
