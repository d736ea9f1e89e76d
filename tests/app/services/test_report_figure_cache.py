"""Report figures are drawn once per result view and served from their file afterwards."""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from app.services import report_figure_cache, report_figures
from app.services.report_figure_cache import KEPT, cached_svg, result_figure_svg
from app.services.report_figures import render_figure
from evaluation import load_ground_truth, parse_submission, score
from evaluation.examples import GROUND_TRUTH, SUBMISSION


@pytest.fixture(scope="module")
def result() -> dict[str, Any]:
    truth = load_ground_truth(GROUND_TRUTH)
    return score(truth, parse_submission(SUBMISSION), bootstrap=0).to_dict()


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every F1 bar chart the plotting code draws (the names of their titles)."""
    calls: list[str] = []
    original: Callable[..., str] = report_figures.f1_bars_svg

    def counting(*args: Any, **kwargs: Any) -> str:
        calls.append(kwargs.get("title", ""))
        return original(*args, **kwargs)

    monkeypatch.setattr(report_figures, "f1_bars_svg", counting)
    return calls


def test_second_request_is_read_not_drawn(
    tmp_path: Path, result: dict[str, Any], drawn: list[str]
) -> None:
    first = result_figure_svg(tmp_path, 7, "f1", result)
    second = result_figure_svg(tmp_path, 7, "f1", result)
    assert len(drawn) == 1  # the second request read the file: no plotting code ran
    assert first == second == render_figure("f1", result)
    assert len(list((tmp_path / "figures" / "result-7").glob("*.svg"))) == 1


def test_rescored_result_or_other_view_draws_afresh(
    tmp_path: Path, result: dict[str, Any], drawn: list[str]
) -> None:
    result_figure_svg(tmp_path, 7, "f1", result)
    rescored = copy.deepcopy(result)
    name = next(key for key in rescored["classification"] if key != "confusion_matrix")
    rescored["classification"][name]["f1"] = 0.5
    svg = result_figure_svg(tmp_path, 7, "f1", rescored)
    again = result_figure_svg(tmp_path, 7, "f1", result)  # the first view is still kept
    assert len(drawn) == 2
    assert svg == render_figure("f1", rescored)
    assert again == render_figure("f1", result) != svg


def test_new_plotting_code_draws_afresh(
    tmp_path: Path, result: dict[str, Any], drawn: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    result_figure_svg(tmp_path, 7, "f1", result)
    monkeypatch.setattr(report_figure_cache, "plotting_version", lambda: "changed")
    result_figure_svg(tmp_path, 7, "f1", result)
    assert len(drawn) == 2


def test_nothing_to_draw_is_not_stored(tmp_path: Path, result: dict[str, Any]) -> None:
    unscored = {**result, "ranking": None}
    assert result_figure_svg(tmp_path, 7, "precision-recall", unscored) is None
    assert not (tmp_path / "figures").exists()
    with pytest.raises(KeyError):
        result_figure_svg(tmp_path, 7, "pie", result)


def test_folder_keeps_the_newest_figures(tmp_path: Path) -> None:
    for index in range(KEPT + 5):
        digest = hashlib.sha256(str(index).encode()).hexdigest()
        cached_svg(tmp_path, "f1", digest, lambda index=index: f"<svg>{index}</svg>")
    kept = {path.read_text() for path in tmp_path.glob("*.svg")}
    assert len(kept) == KEPT
    assert f"<svg>{KEPT + 4}</svg>" in kept
