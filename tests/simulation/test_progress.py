"""Progress: stage weights onto one monotone scale, throttled, and scaled for datasets."""

from __future__ import annotations

import pytest

from simulation.progress import StageProgress, scaled


def test_stages_map_onto_one_monotone_scale() -> None:
    heard: list[tuple[str, float]] = []
    progress = StageProgress(lambda stage, f: heard.append((stage, f)), {"a": 1.0, "b": 3.0})
    progress.report("a")
    progress.report("a", 0.5)
    progress.report("b", 0.0)
    progress.report("a", 1.0)  # going back never lowers the figure
    progress.report("b", 0.5)
    progress.finish()
    assert heard == [
        ("a", 0.0),
        ("a", 0.125),
        ("b", 0.25),
        ("a", 0.25),
        ("b", 0.625),
        ("done", 1.0),
    ]


def test_small_steps_within_a_stage_are_not_reported() -> None:
    heard: list[float] = []
    progress = StageProgress(lambda _, f: heard.append(f), {"only": 1.0})
    for step in range(1001):
        progress.report("only", step / 1000)
    assert len(heard) == 101
    assert heard[-1] == pytest.approx(1.0)


def test_unknown_stage_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        StageProgress(None, {"a": 1.0}).report("b")


def test_scaled_maps_a_sub_task_into_its_share() -> None:
    heard: list[tuple[str, float]] = []
    report = scaled(lambda stage, f: heard.append((stage, f)), 0.5, 0.25, "model_2")
    report("water", 0.0)
    report("done", 1.0)
    assert heard == [("model_2: water", 0.5), ("model_2: done", 0.75)]
