"""The leaderboard table's layout: sort links, best-in-column marks, intervals, blanks."""

from __future__ import annotations

from typing import Any

from app.routes.pages.leaderboard import leaderboard_view
from app.services.board_figures import metric_row
from app.services.leaderboard import Leaderboard


def board_row(
    rank: int, method: str, f1: float | None, fp: int, tiny: float | None
) -> dict[str, Any]:
    metrics = {
        "localization": {"RR": 10, "TP": 5, "FP": fp, "FN": 5, "f1": f1},
        "classification": {"1bxn": {"f1": 0.5}},
        "size_groups": {"tiny": tiny},
        "bootstrap": {"localization_f1": {"low": 0.25, "high": 0.75}},
    }
    return {"rank": rank, "method": method, "submission_id": rank, **metric_row(metrics)}


def view(sort: str = "rank", order: str = "asc") -> dict[str, Any]:
    rows = [board_row(1, "alpha", 0.8, 7, None), board_row(2, "beta", 0.6, 3, 0.25)]
    board = Leaderboard(None, "best", sort, order, rows)  # type: ignore[arg-type]
    return leaderboard_view(board, {"mode": "best", "dataset": 4})


def test_headers_link_to_server_side_sorting() -> None:
    headers = {header.key: header for header in view()["headers"]}
    assert list(headers)[:3] == ["rank", "method", "RR"]
    assert headers["rank"].aria_sort == "ascending"
    assert headers["rank"].href == "?mode=best&dataset=4&sort=rank&order=desc"  # toggles
    assert headers["f1"].aria_sort is None
    assert headers["f1"].href.endswith("sort=f1&order=desc")  # higher is better first
    assert headers["FP"].href.endswith("sort=FP&order=asc")  # lower is better first
    assert headers["f1_1bxn"].label == "1bxn"
    assert "higher is better" in headers["f1"].title


def test_cells_mark_the_best_value_and_show_intervals() -> None:
    context = view(sort="f1", order="desc")
    keys = [header.key for header in context["headers"]][2:]
    alpha, beta = (
        {key: cell for key, cell in zip(keys, row["cells"], strict=True)} for row in context["rows"]
    )
    assert (alpha["f1"].cell.text, alpha["f1"].best, alpha["f1"].interval) == (
        "0.8000",
        True,
        "0.250–0.750",
    )
    assert (beta["f1"].best, beta["FP"].best, alpha["FP"].best) == (False, True, False)
    assert (alpha["tiny"].cell.text, alpha["tiny"].best, alpha["tiny"].interval) == (
        "–",
        False,
        "–",
    )
    assert not beta["tiny"].best  # a single defined value has nothing to beat
    assert not alpha["TP"].best  # all equal: nothing to point out
    assert alpha["RR"].best is False  # RR has no better direction
    assert alpha["RR"].interval is None
    assert next(title for title, _ in context["groups"]) == "Localization (Table 1)"
    assert sum(span for _, span in context["groups"]) == len(keys)
