"""`/api/v1/leaderboard`: public rankings per dataset version, as JSON or CSV."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import PlainTextResponse

from app.deps import MAX_ID, OptionalUser, SessionDep
from app.schemas import DatasetVersionPublic, LeaderboardColumn, LeaderboardPublic, PhasePublic
from app.services.leaderboard import COLUMNS, Leaderboard, build_leaderboard, leaderboard_csv

router = APIRouter(tags=["leaderboard"])

DatasetQuery = Annotated[
    int | None, Query(ge=1, le=MAX_ID, description="dataset version id (default: active)")
]
ModeQuery = Annotated[Literal["best", "latest"], Query(description="best or latest per entry")]
SortQuery = Annotated[str, Query(description="column key to sort by")]
OrderQuery = Annotated[Literal["asc", "desc"] | None, Query(description="default: better first")]
PhaseQuery = Annotated[
    int | None, Query(ge=1, le=MAX_ID, description="phase id (default: the default phase)")
]
SplitQuery = Annotated[
    Literal["public", "private"] | None,
    Query(description="default: public while the phase is open, private once closed"),
]


def board_from_query(
    db: SessionDep,
    viewer: OptionalUser,
    dataset: DatasetQuery = None,
    mode: ModeQuery = "best",
    sort: SortQuery = "rank",
    order: OrderQuery = None,
    phase: PhaseQuery = None,
    split: SplitQuery = None,
) -> Leaderboard:
    """The leaderboard the query parameters ask for (shared by the JSON and CSV routes);
    the private split of an open phase answers 403 to participants."""
    return build_leaderboard(
        db, dataset, mode, sort, order, phase_id=phase, split=split, viewer=viewer
    )


BoardDep = Annotated[Leaderboard, Depends(board_from_query)]


@router.get("/leaderboard", response_model=LeaderboardPublic)
def leaderboard_rows(board: BoardDep) -> LeaderboardPublic:
    """One row per team (or participant without a team) with the SHREC'19 columns and size
    groups; `team` is the team's name or null."""
    version = board.dataset_version
    return LeaderboardPublic(
        dataset_version=DatasetVersionPublic.model_validate(version) if version else None,
        phase=PhasePublic.model_validate(board.phase) if board.phase else None,
        split=board.split,
        frozen=board.frozen,
        mode=board.mode,
        sort=board.sort,
        order=board.order,
        columns=[LeaderboardColumn(**vars(column)) for column in COLUMNS],
        rows=board.rows,
        count=len(board.rows),
    )


@router.get("/leaderboard.csv", response_class=PlainTextResponse)
def leaderboard_as_csv(board: BoardDep) -> PlainTextResponse:
    """The same rows as CSV."""
    return PlainTextResponse(
        leaderboard_csv(board),
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="leaderboard.csv"'},
    )
