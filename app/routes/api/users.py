"""`/api/v1/users`: registration, the caller's own account and password."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, status

from app.deps import MAX_ID, CurrentUser, SessionDep, SettingsDep
from app.schemas import PasswordChange, PasswordChanged, QuotaPublic, UserCreate, UserPublic
from app.services.errors import InvalidInput
from app.services.login_throttle import authenticate_request
from app.services.phases import phase_quota
from app.services.registration import register_from_request
from app.services.users import change_password

router = APIRouter(prefix="/users", tags=["users"])


@router.post(
    "", response_model=UserPublic, status_code=status.HTTP_201_CREATED, responses={409: {}, 429: {}}
)
def register(
    body: UserCreate, request: Request, db: SessionDep, settings: SettingsDep
) -> UserPublic:
    """Register a participant (409 if the username, a look-alike of it, or the e-mail is
    taken; 429 past the accounts per address). With `TOMOBENCH_REGISTRATION=approval` the
    account is inactive (`is_active` false) until an admin approves it; with `invite`,
    `invite_code` is required."""
    user = register_from_request(
        request,
        db,
        settings,
        username=body.username,
        email=body.email,
        password=body.password,
        invite_code=body.invite_code,
    )
    return UserPublic.model_validate(user)


@router.get("/me", response_model=UserPublic)
def me(user: CurrentUser) -> UserPublic:
    """The authenticated account."""
    return UserPublic.model_validate(user)


@router.get("/me/quota", response_model=QuotaPublic)
def my_quota(
    user: CurrentUser,
    db: SessionDep,
    settings: SettingsDep,
    phase: Annotated[int | None, Query(ge=1, le=MAX_ID, description="phase id")] = None,
) -> QuotaPublic:
    """Today's remaining submissions to the hidden test in a phase (default: the phase
    uploads without one go to)."""
    quota = phase_quota(db, user, settings, phase)
    return QuotaPublic(**vars(quota))


@router.post("/me/password", response_model=PasswordChanged, responses={422: {}, 429: {}})
def new_password(
    body: PasswordChange, request: Request, user: CurrentUser, db: SessionDep
) -> PasswordChanged:
    """Change the caller's password (the current one is checked, and throttled like a login);
    every other browser session and every API token but the one making this call end."""
    if authenticate_request(request, db, user.username, body.current_password) is None:
        raise InvalidInput("current_password: wrong password")
    ended, revoked = change_password(
        db,
        user,
        body.new_password,
        keep_session=request.state.user_session,
        keep_token=request.state.api_token,
    )
    return PasswordChanged(sessions_ended=ended, tokens_revoked=revoked)
