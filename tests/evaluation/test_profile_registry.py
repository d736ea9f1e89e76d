"""The profile registry: one entry per profile, from which loading, the command line and the
specification's list of profiles all derive."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from app.cli import main
from evaluation import load_ground_truth
from evaluation.examples import GROUND_TRUTH, SUBMISSION
from evaluation.profiles import (
    CZII,
    PROFILE_CHOICES,
    PROFILES,
    UnknownProfileError,
    get_profile,
    profiles_with_option,
)

SPECIFICATION = Path(__file__).parents[2] / "docs" / "evaluation.md"


def test_an_unknown_profile_names_the_known_ones() -> None:
    with pytest.raises(UnknownProfileError) as raised:
        get_profile("shrec22")
    assert isinstance(raised.value, ValueError)  # callers that catch ValueError still do
    assert raised.value.known == ("native", "shrec19", "shrec20", "shrec21")
    assert str(raised.value) == (
        "unknown profile 'shrec22' (expected one of native, shrec19, shrec20, shrec21)"
    )
    with pytest.raises(UnknownProfileError, match="unknown profile 'czii'"):
        load_ground_truth(GROUND_TRUTH, CZII)  # czii has no hitbox ground truth


@pytest.mark.parametrize("name", list(PROFILES))
def test_each_profile_loads_with_its_own_loader_and_options(name: str) -> None:
    profile = PROFILES[name]
    assert profile.name == name
    assert profile.option_defaults == {
        field.name: field.default for field in dataclasses.fields(profile.options)
    }
    assert profile.make_options({}) == profile.options()  # the defaults are valid
    with pytest.raises(ValueError, match=f"unknown option 'colour' for profile {name} "):
        profile.load(GROUND_TRUTH, colour="red")  # options are checked before any file is read
    if profile.boxes_option is not None:
        option, _ = profile.boxes_option
        assert option in profile.option_defaults


def test_the_native_profile_loads_the_example() -> None:
    truth = PROFILES["native"].load(GROUND_TRUTH, memory_map=True)
    assert (truth.profile, truth.class_names) == ("native", PROFILES["native"].classes)
    assert truth.options == {"hitbox": "occupancy", "memory_map": True}
    assert truth.checksum == load_ground_truth(GROUND_TRUTH, memory_map=True).checksum


def test_options_are_found_by_name() -> None:
    assert profiles_with_option("memory_map") == ("native", "shrec19")
    assert profiles_with_option("excluded") == ("shrec21",)
    assert profiles_with_option("colour") == ()


def test_the_command_line_offers_the_registry() -> None:
    command = main.get_command(None, "evaluate")  # type: ignore[arg-type]
    assert command is not None
    (choice,) = [p for p in command.params if p.name == "profile"]
    assert tuple(choice.type.choices) == PROFILE_CHOICES == (*PROFILES, "czii")  # type: ignore[attr-defined]
    helps = {p.name: getattr(p, "help", None) for p in command.params}
    assert helps["z_offset"] == "shrec19: subtracted from submitted Z [156]."
    assert helps["exclude"] == "shrec21: excluded class (repeat) [4v94 vesicle]."
    result = CliRunner().invoke(
        main, ["evaluate", str(GROUND_TRUTH), str(SUBMISSION), "--profile", "shrec20", "--boxes"]
    )
    assert result.exit_code == 2
    assert "--boxes applies to the native and shrec19 profiles only" in result.output


def _sections() -> dict[str, str]:
    """The subsections of the specification's "Ground truths and profiles", by first word."""
    text = SPECIFICATION.read_text(encoding="utf-8")
    part = text.split("\n## Ground truths and profiles\n", 1)[1].split("\n## ", 1)[0]
    chunks = re.split(r"^### ", part, flags=re.MULTILINE)[1:]
    return {chunk.split()[0]: chunk for chunk in chunks}


def test_the_specification_lists_every_profile_and_its_options() -> None:
    sections = _sections()
    # one section per profile, in the registry's order, before the sections on checks
    assert tuple(sections)[: len(PROFILE_CHOICES)] == PROFILE_CHOICES
    for name, profile in PROFILES.items():
        for option, default in profile.option_defaults.items():
            shown = repr(default).replace("'", '"')  # as the text writes Python values
            assert f"`{option}={shown}`" in sections[name], (name, option)
    synopsis = f"--profile {'|'.join(PROFILE_CHOICES)}]"
    assert synopsis in SPECIFICATION.read_text(encoding="utf-8")
