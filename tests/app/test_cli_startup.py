"""`tomobench --help` lists every subcommand without importing any of them, and
`tomobench evaluate` loads only what scoring a plain-text file needs."""

from __future__ import annotations

import importlib
import subprocess
import sys

import click
from click.testing import CliRunner

from app.cli import HELP, SUBCOMMANDS, main


def _imported_after(code: str, *, top_level: bool = True) -> set[str]:
    """Modules (top-level names, or all) imported by ``code`` in a fresh interpreter."""
    names = "m.split('.')[0]" if top_level else "m"
    probe = f"{code}\nimport sys\nprint(' '.join(sorted({{{names} for m in sys.modules}})))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    return set(done.stdout.split())


def test_help_lists_each_command_as_its_own_help_would() -> None:
    shown = CliRunner().invoke(main, ["--help"], terminal_width=80)
    assert shown.exit_code == 0
    listed = shown.output.split("Commands:\n", 1)[1].splitlines()
    width = max(len(name) for name in SUBCOMMANDS)
    expected = []
    for name in sorted(SUBCOMMANDS):
        module, attribute = SUBCOMMANDS[name].split(":")
        command: click.Command = getattr(importlib.import_module(module), attribute)
        help_line = command.get_short_help_str(80 - 6 - width)
        expected.append(f"  {name.ljust(width)}  {help_line}")
        assert name in HELP, f"add the help of {name} to app.cli.HELP"
    assert listed == expected


def test_help_imports_no_subcommand() -> None:
    code = (
        "from click.testing import CliRunner\nfrom app.cli import main\n"
        "CliRunner().invoke(main, ['--help'])\n"
        "import sys\nassert not [m for m in sys.modules if m.startswith('app.cli.')], 'imported'"
    )
    heavy = _imported_after(code) & {"numpy", "fastapi", "torch", "sqlalchemy", "celery"}
    assert heavy == set()


def test_evaluate_loads_no_heavy_library_for_a_text_file() -> None:
    code = (
        "from click.testing import CliRunner\nfrom app.cli import main\n"
        "result = CliRunner().invoke(main, ['evaluate', 'evaluation/examples/tiny', "
        "'evaluation/examples/tiny_submission.txt', '--json'])\n"
        "assert result.exit_code == 0, result.output\n"
        "import os\nassert os.environ['OPENBLAS_NUM_THREADS'] == '1'  # no BLAS pool to start"
    )
    heavy = {"scipy", "pandas", "starfile", "matplotlib", "fastapi", "torch", "skimage"}
    assert _imported_after(code) & heavy == set()
    assert "numpy.ma" not in _imported_after(code, top_level=False)


def test_import_evaluation_loads_names_on_first_use() -> None:
    code = (
        "import sys\nimport evaluation\nassert 'numpy' not in sys.modules\n"
        "from evaluation import *\n"
        "assert score is evaluation.scoring.score and evaluation.metrics.fbeta.fbeta\n"
        "assert TABLE1_KEYS[0] == 'RR' and parse_submission and load_ground_truth\n"
        "try:\n    evaluation.no_such_name\nexcept AttributeError:\n    pass\n"
        "else:\n    raise AssertionError('no AttributeError')"
    )
    assert _imported_after(code) & {"pandas", "scipy", "starfile", "matplotlib"} == set()
