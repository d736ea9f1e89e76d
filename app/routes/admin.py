"""`/api/v1/admin`: organizer and admin actions (all submissions, hiding, re-scoring, roles)."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.deps import AdminUser, CeleryDep, IdPath, OrganizerUser, PageDep, SessionDep
from app.models import Role, User
from app.routes.submissions import present, submissions_page
from app.schemas import (
    HideRequest,
    QuotaUpdate,
    RoleUpdate,
    SubmissionPublic,
    SubmissionsPublic,
    UserPublic,
    UsersPublic,
)
from app.services.errors import NotFound
from app.services.moderation import find_submission, rescore, set_hidden
from app.services.users import set_role

router = APIRouter(prefix="/admin", tags=["admin"])


@router.get("/submissions", response_model=SubmissionsPublic)
def all_submissions(db: SessionDep, _: OrganizerUser, page: PageDep) -> SubmissionsPublic:
    """Everyone's submissions, newest first."""
    return submissions_page(db, None, page)


@router.post("/submissions/{submission_id}/hide", response_model=SubmissionPublic)
def hide(
    submission_id: IdPath, body: HideRequest, db: SessionDep, _: OrganizerUser
) -> SubmissionPublic:
    """Take a submission off the leaderboard, saying why."""
    return present(set_hidden(db, find_submission(db, submission_id), body.reason))


@router.post("/submissions/{submission_id}/unhide", response_model=SubmissionPublic)
def unhide(submission_id: IdPath, db: SessionDep, _: OrganizerUser) -> SubmissionPublic:
    """Put a hidden submission back on the leaderboard."""
    return present(set_hidden(db, find_submission(db, submission_id), None))


@router.post("/submissions/{submission_id}/rescore", response_model=SubmissionPublic)
def rescore_submission(
    submission_id: IdPath, db: SessionDep, celery: CeleryDep, _: OrganizerUser
) -> SubmissionPublic:
    """Queue a finished submission for scoring again."""
    return present(rescore(db, celery, find_submission(db, submission_id)))


@router.get("/users", response_model=UsersPublic)
def all_users(db: SessionDep, _: AdminUser) -> UsersPublic:
    """Every account."""
    users = [UserPublic.model_validate(user) for user in db.scalars(select(User).order_by(User.id))]
    return UsersPublic(data=users, count=len(users))


def _find_user(db: Session, user_id: int) -> User:
    """An account by id; NotFound if there is none."""
    user = db.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} not found")
    return user


@router.put("/users/{user_id}/role", response_model=UserPublic)
def change_role(user_id: IdPath, body: RoleUpdate, db: SessionDep, _: AdminUser) -> UserPublic:
    """Make an account a participant, organizer or admin."""
    user = _find_user(db, user_id)
    set_role(db, user, Role(body.role))
    db.commit()
    return UserPublic.model_validate(user)


@router.put("/users/{user_id}/quota", response_model=UserPublic)
def change_quota(user_id: IdPath, body: QuotaUpdate, db: SessionDep, _: AdminUser) -> UserPublic:
    """Set a participant's own daily quota (0 stops their submissions for the day; null
    returns them to `TOMOBENCH_DAILY_QUOTA`)."""
    user = _find_user(db, user_id)
    user.daily_quota = body.daily_quota
    db.commit()
    return UserPublic.model_validate(user)
