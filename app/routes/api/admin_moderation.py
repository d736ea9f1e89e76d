"""`/api/v1/admin`: organizers rename teams and methods, merge entries, read the log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.deps import MAX_ID, IdPath, OrganizerUser, SessionDep
from app.schemas import (
    MergeRequest,
    MethodRename,
    ModerationActionPublic,
    ModerationLogPublic,
    SubmissionPublic,
    TeamPublic,
    TeamRename,
)
from app.services.moderation import (
    find_submission,
    merge_into_team,
    moderation_log,
    rename_method,
    rename_team_entry,
)

router = APIRouter(prefix="/admin", tags=["admin"])


@router.get("/moderation", response_model=ModerationLogPublic)
def log(
    db: SessionDep,
    _: OrganizerUser,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> ModerationLogPublic:
    """Every rename, hide, show and merge, newest first: who, when, what and why."""
    rows = [
        ModerationActionPublic.model_validate(row)
        for row in moderation_log(db, limit=limit, offset=offset)
    ]
    return ModerationLogPublic(data=rows, count=len(rows))


@router.post("/teams/{team_id}/rename", response_model=TeamPublic, responses={409: {}})
def rename_team(
    team_id: IdPath, body: TeamRename, db: SessionDep, staff: OrganizerUser
) -> TeamPublic:
    """Give a team another name (logged)."""
    return TeamPublic.model_validate(rename_team_entry(db, staff, team_id, body.name, body.reason))


@router.post("/submissions/{submission_id}/rename", response_model=SubmissionPublic)
def rename_submission_method(
    submission_id: IdPath, body: MethodRename, db: SessionDep, staff: OrganizerUser
) -> SubmissionPublic:
    """Give a submission's method another name on the leaderboard (logged)."""
    submission = rename_method(
        db, staff, find_submission(db, submission_id), body.method, body.reason
    )
    return SubmissionPublic.seen_by(submission, staff)


@router.post("/teams/{team_id}/merge", response_model=TeamPublic, responses={409: {}})
def merge(team_id: IdPath, body: MergeRequest, db: SessionDep, staff: OrganizerUser) -> TeamPublic:
    """Merge another team (`team_id`) or a participant (`username`) into this team: one
    leaderboard row and one quota from now on (logged, with the reason required)."""
    team = merge_into_team(
        db,
        staff,
        team_id,
        source_team_id=body.team_id,
        source_username=body.username,
        reason=body.reason,
    )
    return TeamPublic.model_validate(team)
