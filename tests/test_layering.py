"""The packages import one way: the libraries import neither the service nor its workers, and
the web app never imports the task modules (they import the app, so the reverse would be a
cycle). Read from the source, so that an import inside a function counts too."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def imported_packages(path: Path) -> set[tuple[int, str]]:
    """(line, top-level package) of every absolute import in the file at `path`."""
    found: set[tuple[int, str]] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update((node.lineno, alias.name.split(".")[0]) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add((node.lineno, node.module.split(".")[0]))
    return found


def forbidden_imports(package: str, forbidden: set[str]) -> list[str]:
    """`file:line imports name` for every import of a `forbidden` package under `package`."""
    return [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in sorted((ROOT / package).rglob("*.py"))
        for line, name in sorted(imported_packages(path))
        if name in forbidden
    ]


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("app", {"workers"}),
        ("evaluation", {"app", "workers", "simulation", "baselines"}),
        ("simulation", {"app", "workers", "baselines"}),
    ],
)
def test_package_does_not_import(package: str, forbidden: set[str]) -> None:
    assert forbidden_imports(package, forbidden) == []


def test_the_check_sees_imports_inside_functions(tmp_path: Path) -> None:
    source = tmp_path / "module.py"
    source.write_text(
        "import os\n\ndef run():\n    from workers.tasks import evaluation\n"
        "    import workers.health\n"
    )
    assert imported_packages(source) == {(1, "os"), (4, "workers"), (5, "workers")}
