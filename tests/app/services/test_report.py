"""The report view model, built from a real evaluation of the bundled tiny example.

The example (evaluation/examples): 12 particles, one per class; 12 predictions with one
misclassification (a 1s3x called 3qm1), a second hit on the 1bxn particle, a background pick
and a pick outside the volume; 3qm1, 4b4t and 4d8q are missed. By hand: RR 12, TP 9, FP 2,
FN 3, MH 1, RO 1; recall = precision = F1 = 9/12; AD = (√2 + 1)/10 over all ten hits
(the 3cf3 pick is √2 off, the repeated 1bxn pick 1 off), AD first = √2/9.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import pytest

from app.services.report import build_report
from app.services.report_format import UNDEFINED
from evaluation import load_ground_truth, parse_submission, score
from evaluation.examples import GROUND_TRUTH, SUBMISSION


@pytest.fixture(scope="module")
def result() -> dict[str, Any]:
    scored = score(load_ground_truth(GROUND_TRUTH), parse_submission(SUBMISSION), bootstrap=200)
    return scored.to_dict()


def texts(report_row: Any) -> dict[str, str]:
    return {column.key: value.text for column, value in report_row}


def test_table1_row_is_formatted_as_in_the_paper(result: dict[str, Any]) -> None:
    report = build_report(result)
    assert texts(report.localization) == {
        "RR": "12",
        "TP": "9",
        "FP": "2",
        "FN": "3",
        "MH": "1",
        "RO": "1",
        "AD": f"{(math.sqrt(2) + 1) / 10:.4f}",  # 0.2414
        "AD_first": f"{math.sqrt(2) / 9:.4f}",  # 0.1571
        "recall": "0.7500",
        "precision": "0.7500",
        "miss_rate": "0.2500",
        "f1": "0.7500",
    }
    assert [column.header for column, _ in report.localization][:6] == [
        "RR",
        "TP",
        "FP",
        "FN",
        "MH",
        "RO",
    ]
    assert report.particles.text == "12"
    assert report.f1_interval != UNDEFINED


def test_per_class_table_and_size_groups(result: dict[str, Any]) -> None:
    report = build_report(result)
    rows = {row.name: row for row in report.per_class}
    assert list(rows)[:3] == ["1bxn", "1qvr", "1s3x"]  # the paper's class order
    assert (rows["1bxn"].tp.text, rows["1bxn"].f1.text, rows["1bxn"].group) == (
        "1",
        "1.000",
        "medium",
    )
    # the 1s3x particle was called 3qm1: a false negative of 1s3x, a false positive of 3qm1
    assert (rows["1s3x"].fn.text, rows["1s3x"].f1.text) == ("1", "0.000")
    assert (rows["3qm1"].fp.text, rows["3qm1"].fn.text, rows["3qm1"].precision.text) == (
        "1",
        "1",
        "0.000",
    )
    groups = {group.name: group for group in report.size_groups}
    assert list(groups) == ["tiny", "small", "medium", "large"]
    # tiny = mean(1s3x 0, 3qm1 0, 3gl1 1); large = mean(4b4t 0, 4d8q 0)
    assert [groups[name].f1.text for name in groups] == ["0.333", "1.000", "1.000", "0.000"]
    assert groups["tiny"].classes == ("1s3x", "3qm1", "3gl1")
    assert report.f1_by_class["1bxn"] == 1.0


def test_confusion_matrix_rows_are_true_classes(result: dict[str, Any]) -> None:
    confusion = build_report(result).confusion
    assert confusion is not None
    assert confusion.labels[-1] == "none"
    index = {label: i for i, label in enumerate(confusion.labels)}
    assert confusion.matrix[index["1s3x"]][index["3qm1"]] == 1
    assert confusion.matrix[index["3qm1"]][index["none"]] == 1
    assert sum(map(sum, confusion.matrix)) == 12  # every particle once


def test_added_metrics(result: dict[str, Any]) -> None:
    added = build_report(result).added
    assert added.strict is not None
    strict = {row.label: [cell.text for cell in row.cells] for row in added.strict.rows}
    # TP FP FN, FP background / duplicate / wrong class, precision recall F1
    assert strict["1bxn"][:6] == ["1", "1", "0", "0", "1", "0"]  # the repeated hit
    assert strict["4d8q"][:6] == ["0", "1", "1", "1", "0", "0"]  # the background pick
    assert strict["3qm1"][:6] == ["0", "1", "1", "0", "0", "1"]  # the misclassified 1s3x
    assert added.strict.summary is not None
    assert added.strict.summary.label == "all classes"

    assert added.orientation is not None
    orientation = {row.label: [cell.text for cell in row.cells] for row in added.orientation.rows}
    assert orientation["1qvr"] == ["1", "5.00", "5.00"]  # PHI 35 instead of 30
    assert orientation["3qm1"] == ["0", UNDEFINED, UNDEFINED]  # never found
    assert added.orientation.summary is not None
    assert [cell.text for cell in added.orientation.summary.cells] == ["9", "0.56", "0.00"]

    assert added.ranking is not None
    localization = added.ranking.curves[0]
    # keeping the 9 picks scored >= 0.40 finds 9 particles: F1 = 2·9 / (9 + 12)
    assert (localization.curve, localization.threshold.text) == ("localization", "0.400")
    assert localization.f1.text == f"{18 / 21:.3f}"
    assert localization.predictions.text == "9"

    assert added.fbeta is not None
    assert added.fbeta_settings.startswith("β = 4.00, match radius = 0.50 × class radius")
    assert "200 resamples" in added.bootstrap_settings
    assert "95%" in added.bootstrap_settings
    assert any("clamped" in warning for warning in added.warnings)


def test_undefined_and_absent_sections_read_as_undefined(result: dict[str, Any]) -> None:
    bare = copy.deepcopy(result)
    bare["ranking"] = bare["orientation"] = bare["bootstrap"] = None
    bare["localization"]["AD"] = None  # nothing hit
    bare["classification"]["3qm1"]["f1"] = None
    del bare["classification"]["4d8q"]
    report = build_report(bare)
    assert texts(report.localization)["AD"] == UNDEFINED
    rows = {row.name: row for row in report.per_class}
    assert rows["3qm1"].f1.text == UNDEFINED
    assert rows["4d8q"].tp.text == UNDEFINED
    assert report.f1_by_class["3qm1"] is None
    assert report.f1_interval == UNDEFINED
    assert {group.interval for group in report.size_groups} == {UNDEFINED}
    assert report.added.ranking is None
    assert report.added.orientation is None
    assert report.added.bootstrap_settings == "no bootstrap was run"


@pytest.mark.parametrize("missing", ["localization", "classification"])
def test_a_result_without_its_core_sections_is_refused(
    result: dict[str, Any], missing: str
) -> None:
    broken = {key: value for key, value in result.items() if key != missing}
    with pytest.raises(ValueError, match=missing):
        build_report(broken)
