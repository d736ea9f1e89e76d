"""The report figures: valid, deterministic SVG with the numbers in it, and no global state."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable

import matplotlib
import pytest

from app.services.plots import (
    GROUP_COLOURS,
    confusion_heatmap_svg,
    f1_bars_svg,
    precision_recall_svg,
)

SVG = "{http://www.w3.org/2000/svg}"


def texts(svg: str) -> list[str]:
    """All text the SVG shows (fonttype none keeps text as <text> elements)."""
    root = ET.fromstring(svg)
    return ["".join(node.itertext()).strip() for node in root.iter(f"{SVG}text")]


def test_f1_bars_label_every_class_and_mark_undefined() -> None:
    svg = f1_bars_svg(
        {"1bxn": 0.904, "1qvr": None, "4b4t": 0.5},
        {"1bxn": "medium", "1qvr": "medium", "4b4t": "large"},
    )
    shown = texts(svg)
    assert {"1bxn", "1qvr", "4b4t", "0.904", "n/a", "0.500", "medium", "large"} <= set(shown)
    assert "0.000" not in shown  # undefined is never drawn as a measured zero
    assert GROUP_COLOURS["large"] in svg
    assert GROUP_COLOURS["medium"] in svg
    assert "tiny" not in shown  # legend lists only the groups present


def test_figures_are_byte_identical_for_identical_numbers() -> None:
    first = f1_bars_svg({"1bxn": 0.25, "3qm1": 0.75})
    second = f1_bars_svg({"1bxn": 0.25, "3qm1": 0.75})
    other = f1_bars_svg({"1bxn": 0.25, "3qm1": 0.5})
    assert first == second
    assert first != other
    assert "<dc:date>" not in first


def test_figures_leave_no_pyplot_figures_nor_changed_settings() -> None:
    import matplotlib.pyplot as plt

    before = dict(matplotlib.rcParams)
    f1_bars_svg({"1bxn": 0.5})
    confusion_heatmap_svg(["a", "none"], [[1, 0], [0, 0]])
    precision_recall_svg({"localization": ([0.5], [1.0])})
    assert plt.get_fignums() == []
    assert dict(matplotlib.rcParams) == before


def test_confusion_heatmap_prints_nonzero_counts_only() -> None:
    svg = confusion_heatmap_svg(["1bxn", "1qvr", "none"], [[7, 2, 0], [0, 5, 1], [3, 0, 0]])
    shown = texts(svg)
    for count in ("7", "2", "5", "1", "3"):
        assert count in shown
    assert "0" not in shown  # zero cells stay blank (axis ticks are fractions 0.0 ... 1.0)
    assert {"predicted class", "true class", "none"} <= set(shown)


def test_precision_recall_curve_names_each_curve() -> None:
    svg = precision_recall_svg(
        {"localization": ([0.1, 0.5, 0.8], [1.0, 0.9, 0.7]), "classification": ([0.2], [0.6])},
        best_points={"localization": (0.5, 0.9)},
    )
    assert {"localization", "classification", "recall", "precision"} <= set(texts(svg))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: f1_bars_svg({}), "empty"),
        (lambda: f1_bars_svg({"1bxn": 1.5}), "1bxn"),
        (lambda: confusion_heatmap_svg(["a", "b"], [[1, 2]]), "2x2"),
        (lambda: confusion_heatmap_svg([], []), "0x0"),
        (lambda: precision_recall_svg({}), "no precision-recall"),
        (lambda: precision_recall_svg({"loc": ([0.1, 0.2], [1.0])}), "loc"),
        (lambda: precision_recall_svg({"loc": ([float("nan")], [1.0])}), "outside"),
    ],
)
def test_bad_numbers_are_refused_with_a_message(call: Callable[[], str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()
