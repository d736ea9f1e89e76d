"""Report figures drawn from a real evaluation: which exist, and that each is valid SVG."""

from __future__ import annotations

import copy
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from app.services.report_figures import FIGURES, render_figure, report_figures
from evaluation import load_ground_truth, parse_submission, score
from evaluation.examples import GROUND_TRUTH, SUBMISSION

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def result() -> dict[str, Any]:
    truth = load_ground_truth(GROUND_TRUTH)
    return score(truth, parse_submission(SUBMISSION), bootstrap=0).to_dict()


def shown_text(svg: str) -> set[str]:
    return {"".join(node.itertext()).strip() for node in ET.fromstring(svg).iter(f"{SVG}text")}


def test_every_figure_of_a_scored_file_with_scores_renders(result: dict[str, Any]) -> None:
    assert list(report_figures(result)) == ["f1", "confusion", "precision-recall"]
    for name in FIGURES:
        svg = render_figure(name, result)
        assert svg is not None
        assert svg.lstrip().startswith("<?xml")
    assert {"1bxn", "4d8q", "F1 per class (Table 2)"} <= shown_text(
        render_figure("f1", result) or ""
    )
    assert {"localization", "classification"} <= shown_text(
        render_figure("precision-recall", result) or ""
    )


def test_without_scores_there_is_no_precision_recall_figure(result: dict[str, Any]) -> None:
    unscored = copy.deepcopy(result)
    unscored["ranking"] = None
    assert "precision-recall" not in report_figures(unscored)
    assert render_figure("precision-recall", unscored) is None


def test_unknown_figure_names_raise_key_error(result: dict[str, Any]) -> None:
    with pytest.raises(KeyError):
        render_figure("pie", result)
