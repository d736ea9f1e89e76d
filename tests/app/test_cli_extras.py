"""A subcommand whose import fails names the extra to install only when the missing module
is one of that extra's packages; any other missing module is shown as the error it is."""

from __future__ import annotations

import importlib.metadata
import re
from typing import Any

import click
import pytest
from packaging.requirements import Requirement

import app.cli
from app.cli import EXTRA_MODULES, EXTRAS, main


def _failing_import(missing: str) -> Any:
    def import_module(name: str) -> None:
        raise ModuleNotFoundError(f"No module named {missing!r}", name=missing)

    return import_module


@pytest.mark.parametrize(
    ("command", "missing"), [("serve", "fastapi.routing"), ("baseline", "torch")]
)
def test_a_missing_package_of_the_extra_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, command: str, missing: str
) -> None:
    monkeypatch.setattr(app.cli.importlib, "import_module", _failing_import(missing))
    with pytest.raises(click.ClickException) as raised:
        main.get_command(click.Context(main), command)
    assert f"pip install 'tomobench[{EXTRAS[command]}]'" in raised.value.message


@pytest.mark.parametrize(
    ("command", "missing"),
    [("serve", "app.services.gone"), ("serve", "torch"), ("db", "numpy"), ("evaluate", "scipy")],
)
def test_any_other_missing_module_is_raised_as_it_is(
    monkeypatch: pytest.MonkeyPatch, command: str, missing: str
) -> None:
    monkeypatch.setattr(app.cli.importlib, "import_module", _failing_import(missing))
    with pytest.raises(ModuleNotFoundError) as raised:
        main.get_command(click.Context(main), command)
    assert raised.value.name == missing


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_package_of_an_extra_is_known_by_its_modules() -> None:
    """A package added to an extra in pyproject.toml must be added to `EXTRA_MODULES`."""
    modules_of: dict[str, set[str]] = {}
    for module, distributions in importlib.metadata.packages_distributions().items():
        for distribution in distributions:
            modules_of.setdefault(_normal(distribution), set()).add(module)
    for text in importlib.metadata.requires("tomobench") or []:
        requirement = Requirement(text)
        for extra, known in EXTRA_MODULES.items():
            if requirement.marker is not None and requirement.marker.evaluate({"extra": extra}):
                provided = modules_of[_normal(requirement.name)]
                assert provided & known, (extra, requirement.name, provided)
