"""`/api/v1/admin`: organizer and admin actions (all submissions, hiding, re-scoring, roles)."""

from __future__ import annotations

from fastapi import APIRouter

from app.deps import (
    AdminUser,
    CeleryDep,
    IdPath,
    OrganizerUser,
    PaginationDep,
    SessionDep,
    SettingsDep,
)
from app.models import Role
from app.schemas import (
    ActiveUpdate,
    HideRequest,
    InviteCreate,
    InviteCreated,
    InvitePublic,
    InvitesPublic,
    QuotaUpdate,
    RoleUpdate,
    SubmissionPublic,
    SubmissionsPublic,
    UserPublic,
    UsersPublic,
)
from app.services.invites import create_invite, delete_invite, list_invites
from app.services.moderation import find_submission, rescore, set_hidden
from app.services.quota import set_daily_quota
from app.services.submissions import list_submissions
from app.services.users import get_user, list_users, set_active, set_role

router = APIRouter(prefix="/admin", tags=["admin"])


@router.get("/submissions", response_model=SubmissionsPublic)
def all_submissions(
    db: SessionDep, staff: OrganizerUser, pagination: PaginationDep
) -> SubmissionsPublic:
    """Everyone's submissions, newest first."""
    rows, count = list_submissions(db, None, limit=pagination.limit, offset=pagination.offset)
    return SubmissionsPublic.seen_by(rows, count, staff)


@router.post("/submissions/{submission_id}/hide", response_model=SubmissionPublic)
def hide(
    submission_id: IdPath, body: HideRequest, db: SessionDep, staff: OrganizerUser
) -> SubmissionPublic:
    """Take a submission off the leaderboard, saying why."""
    submission = find_submission(db, submission_id)
    return SubmissionPublic.seen_by(
        set_hidden(db, submission, body.reason, staff, whole_entry=body.whole_entry), staff
    )


@router.post("/submissions/{submission_id}/unhide", response_model=SubmissionPublic)
def unhide(submission_id: IdPath, db: SessionDep, staff: OrganizerUser) -> SubmissionPublic:
    """Put a hidden submission back on the leaderboard."""
    return SubmissionPublic.seen_by(
        set_hidden(db, find_submission(db, submission_id), None, staff), staff
    )


@router.post("/submissions/{submission_id}/rescore", response_model=SubmissionPublic)
def rescore_submission(
    submission_id: IdPath, db: SessionDep, celery: CeleryDep, staff: OrganizerUser
) -> SubmissionPublic:
    """Queue a finished submission for scoring again."""
    return SubmissionPublic.seen_by(rescore(db, celery, find_submission(db, submission_id)), staff)


@router.get("/users", response_model=UsersPublic)
def all_users(db: SessionDep, _: AdminUser) -> UsersPublic:
    """Every account."""
    users = [UserPublic.model_validate(user) for user in list_users(db)]
    return UsersPublic(data=users, count=len(users))


@router.put("/users/{user_id}/role", response_model=UserPublic, responses={409: {}})
def change_role(user_id: IdPath, body: RoleUpdate, db: SessionDep, _: AdminUser) -> UserPublic:
    """Make an account a participant, organizer or admin (409 for the last active admin)."""
    return UserPublic.model_validate(set_role(db, get_user(db, user_id), Role(body.role)))


@router.put("/users/{user_id}/quota", response_model=UserPublic)
def change_quota(user_id: IdPath, body: QuotaUpdate, db: SessionDep, _: AdminUser) -> UserPublic:
    """Set a participant's own daily quota (0 stops their submissions for the day; null
    returns them to `TOMOBENCH_DAILY_QUOTA`)."""
    return UserPublic.model_validate(set_daily_quota(db, get_user(db, user_id), body.daily_quota))


@router.put("/users/{user_id}/active", response_model=UserPublic, responses={409: {}})
def change_active(user_id: IdPath, body: ActiveUpdate, db: SessionDep, _: AdminUser) -> UserPublic:
    """Approve or re-activate an account (`is_active` true), or deactivate it (false): its
    browser sessions and API tokens end at once (409 for the last active admin)."""
    return UserPublic.model_validate(set_active(db, get_user(db, user_id), body.is_active))


@router.get("/invites", response_model=InvitesPublic)
def all_invites(db: SessionDep, _: AdminUser) -> InvitesPublic:
    """Every invitation, newest first, without codes."""
    invites = [InvitePublic.model_validate(invite) for invite in list_invites(db)]
    return InvitesPublic(data=invites, count=len(invites))


@router.post("/invites", response_model=InviteCreated, status_code=201)
def new_invite(
    db: SessionDep, settings: SettingsDep, admin: AdminUser, body: InviteCreate | None = None
) -> InviteCreated:
    """A single-use invitation to register; its `code` is shown this once."""
    body = body or InviteCreate()
    days = body.expires_in_days or settings.invite_lifetime_days
    invite, code = create_invite(db, admin, body.note, days)
    return InviteCreated(code=code, **InvitePublic.model_validate(invite).model_dump())


@router.delete("/invites/{invite_id}", status_code=204, responses={409: {}})
def withdraw_invite(invite_id: IdPath, db: SessionDep, _: AdminUser) -> None:
    """Withdraw an unused invitation (409 once used)."""
    delete_invite(db, invite_id)
