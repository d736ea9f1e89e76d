"""The public leaderboard page: the API's rows laid out as the paper's tables, side by side.

Sorting happens on the server (`?sort=&order=` links work without JavaScript; the script
only re-sorts in place). Rows come from `build_leaderboard`, the same service as the JSON
and CSV exports, so the page never disagrees with them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from app.deps import MAX_ID
from app.models import DatasetStatus
from app.routes.pages.errors import HTMLErrorRoute
from app.routes.pages.render import PageDep
from app.services.board_figures import CZII_SCORE, CZII_TYPES
from app.services.datasets import list_datasets
from app.services.leaderboard import COLUMNS, Leaderboard, build_leaderboard
from app.services.leaderboard import Column as BoardColumn
from app.services.phases import list_phases
from app.services.report import LOCALIZATION_COLUMNS
from app.services.report_format import Cell, cell, interval_text
from evaluation.classes import CLASSES, SIZE_GROUPS
from evaluation.profiles import CZII

router = APIRouter(route_class=HTMLErrorRoute)

_BOARD_COLUMNS = {column.key: column for column in COLUMNS}
# Table 1 as the report shows it, less AD_first (the leaderboard's rows do not carry it).
LOCALIZATION_KEYS = tuple(c.key for c in LOCALIZATION_COLUMNS if c.key in _BOARD_COLUMNS)
DIGITS = {column.key: column.digits for column in LOCALIZATION_COLUMNS}


@dataclass(frozen=True)
class HeaderView:
    """A sortable column header: its label, tooltip, link and current sort state."""

    key: str
    label: str
    title: str
    href: str
    aria_sort: str | None


@dataclass(frozen=True)
class CellView:
    """One leaderboard value: formatted text, raw sort key, interval, best-in-column flag."""

    cell: Cell
    interval: str | None
    best: bool


CLASS_KEYS = tuple(f"f1_{name}" for name in CLASSES)
# a real-data track (czii profile): the Kaggle CZII score and its F-beta per particle type
CZII_GROUPS = (
    ("CZII score", (CZII_SCORE,)),
    ("F-beta per particle type", tuple(f"fbeta_{name}" for name in CZII_TYPES)),
)


def is_czii(board: Leaderboard) -> bool:
    """Whether the board ranks a czii version (the CZII score, not the hitbox tables)."""
    return board.dataset_version is not None and board.dataset_version.profile == CZII


def _metric_keys(with_classes: bool) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Column groups in display order: (group title, keys); the 12 per-class columns only
    when asked for, so the table fits a laptop screen by default."""
    groups = (
        ("Localization (Table 1)", LOCALIZATION_KEYS),
        ("Size groups, mean F1 (Table 4)", tuple(SIZE_GROUPS)),
    )
    return (*groups, ("F1 per class (Table 2)", CLASS_KEYS)) if with_classes else groups


def _digits(key: str) -> int | None:
    return DIGITS.get(key, 3)


def _interval_of(key: str, row: dict[str, Any]) -> str | None:
    if key == "f1" or key in SIZE_GROUPS:
        return interval_text([row.get(f"{key}_low"), row.get(f"{key}_high")])
    return None


def _best_values(board: Leaderboard, keys: tuple[str, ...]) -> dict[str, Any]:
    """The best value of each column whose direction is known and whose values differ
    (bold, as in the paper; a column where all agree has nothing to point out)."""
    best: dict[str, Any] = {}
    for key in keys:
        column: BoardColumn = _BOARD_COLUMNS[key]
        values = [row[key] for row in board.rows if cell(row.get(key)).value is not None]
        if column.higher_is_better is not None and len(set(values)) > 1:
            best[key] = max(values) if column.higher_is_better else min(values)
    return best


def _headers(board: Leaderboard, keys: tuple[str, ...], query: dict[str, Any]) -> list[HeaderView]:
    headers = []
    for key in ("rank", "method", *keys):
        column = _BOARD_COLUMNS[key]
        current = board.sort == key
        default: Literal["asc", "desc"] = "desc" if column.higher_is_better else "asc"
        order = ("asc" if board.order == "desc" else "desc") if current else default
        aria = ("descending" if board.order == "desc" else "ascending") if current else None
        href = "?" + urlencode({**query, "sort": key, "order": order})
        label = column.label.removeprefix("F1 ").removeprefix("F-beta ")
        direction = {True: "higher is better", False: "lower is better", None: ""}
        title = f"{column.label}: {direction[column.higher_is_better]}".rstrip(": ")
        headers.append(HeaderView(key, label, title, href, aria))
    return headers


def leaderboard_view(
    board: Leaderboard, query: dict[str, Any], with_classes: bool = True
) -> dict[str, Any]:
    """Template context of the leaderboard table."""
    groups = CZII_GROUPS if is_czii(board) else _metric_keys(with_classes)
    keys = tuple(key for _, members in groups for key in members)
    best = _best_values(board, keys)
    rows = [
        {
            "row": row,
            "cells": [
                CellView(
                    cell(row.get(key), _digits(key)),
                    _interval_of(key, row),
                    key in best and row.get(key) == best[key],
                )
                for key in keys
            ],
        }
        for row in board.rows
    ]
    return {
        "groups": [(title, len(members)) for title, members in groups],
        "headers": _headers(board, keys, query),
        "rows": rows,
    }


@router.get("/leaderboard", response_class=HTMLResponse)
def leaderboard(
    page: PageDep,
    dataset: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    mode: Literal["best", "latest"] = "best",
    sort: str = "rank",
    order: Literal["asc", "desc"] | None = None,
    classes: bool = False,
    phase: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    split: Literal["public", "private"] | None = None,
) -> HTMLResponse:
    """The public leaderboard of a phase (default: the default phase of the version, by
    default the active one); `classes` adds the per-class F1 columns (also shown when sorting
    by one of them). The private split of an open phase is for organizers only."""
    board = build_leaderboard(
        page.db, dataset, mode, sort, order, phase_id=phase, split=split, viewer=page.user
    )
    with_classes = classes or sort in CLASS_KEYS
    query: dict[str, Any] = {"mode": mode}
    if dataset is not None:
        query["dataset"] = dataset
    if phase is not None:
        query["phase"] = phase
    if split is not None:
        query["split"] = split
    if with_classes:
        query["classes"] = "true"
    toggle = {key: value for key, value in query.items() if key != "classes"}
    if not with_classes:
        toggle["classes"] = "true"
    versions = [v for v in list_datasets(page.db) if v.status == DatasetStatus.READY]
    context = {
        "board": board,
        "dataset_versions": versions,
        "selected_dataset": board.dataset_version.id if board.dataset_version else None,
        "mode": mode,
        "export_query": urlencode(
            {key: value for key, value in query.items() if key != "classes"}
            | {"sort": board.sort, "order": board.order}
        ),
        "with_classes": with_classes,
        "czii": is_czii(board),
        "phases": list_phases(page.db),
        "phase_state": board.phase.state if board.phase else None,
        "classes_toggle": "?" + urlencode({**toggle, "sort": board.sort, "order": board.order}),
        **leaderboard_view(board, query, with_classes),
    }
    return page.render("leaderboard.html", context)
