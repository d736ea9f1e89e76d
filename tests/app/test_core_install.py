"""`pip install tomobench` (the core, no extras) gives working `evaluate`, `simulate` and
`convert` commands; the service's and the baselines' commands say which extra they need.

The extras' packages are hidden from a child process by an import hook, as if they were not
installed, so the test needs no second virtual environment."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "evaluation" / "examples"
TINY_DIR, TINY_SUBMISSION = EXAMPLES / "tiny", EXAMPLES / "tiny_submission.txt"

# what the `service` and `baselines` extras bring (pyproject.toml)
EXTRAS_ONLY = (
    "fastapi", "starlette", "uvicorn", "sqlalchemy", "alembic", "pydantic", "pydantic_settings",
    "psycopg", "redis", "celery", "kombu", "argon2", "itsdangerous", "jinja2", "matplotlib",
    "zxcvbn", "confusable_homoglyphs", "copick", "zarr", "torch", "fastapi_offline",
)  # fmt: skip

HIDE = textwrap.dedent(
    f"""
    import importlib.abc, sys
    class Hidden(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.partition(".")[0] in {EXTRAS_ONLY!r}:
                raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
            return None
    sys.meta_path.insert(0, Hidden())
    from app.cli import main
    sys.exit(main())
    """
)


def _core_only(*arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`tomobench ARGUMENTS` in a process where no extra is installed."""
    return subprocess.run(
        [sys.executable, "-c", HIDE, *arguments],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
    )


def test_the_core_evaluates_simulates_and_converts(tmp_path: Path) -> None:
    evaluated = _core_only("evaluate", str(TINY_DIR), str(TINY_SUBMISSION), "--json", cwd=tmp_path)
    assert evaluated.returncode == 0, evaluated.stderr
    assert '"localization"' in evaluated.stdout
    simulated = _core_only(
        "simulate", "--out", str(tmp_path / "sim"), "--size", "48", "--slab", "32",
        "--particles", "2", "--tomograms", "1", "--tilt-step", "30", "--quiet",
        cwd=tmp_path,
    )  # fmt: skip
    assert simulated.returncode == 0, simulated.stderr
    assert (tmp_path / "sim" / "model_0" / "reconstruction.mrc").is_file()
    converted = _core_only(
        "convert", str(TINY_SUBMISSION), str(tmp_path / "picks.csv"), "--to", "csv", cwd=tmp_path
    )
    assert converted.returncode == 0, converted.stderr


@pytest.mark.parametrize(("command", "extra"), [("serve", "service"), ("db", "service")])
def test_service_commands_name_their_extra(command: str, extra: str, tmp_path: Path) -> None:
    result = _core_only(command, "--help", cwd=tmp_path)
    assert result.returncode == 1
    assert f"needs the {extra} extra" in result.stderr
    assert f"pip install 'tomobench[{extra}]'" in result.stderr
    assert "Traceback" not in result.stderr
