"""`/api/v1/users`: registration and the caller's own account."""

from __future__ import annotations

from fastapi import APIRouter, status

from app.deps import CurrentUser, SessionDep, SettingsDep
from app.schemas import QuotaPublic, UserCreate, UserPublic
from app.services.quota import quota_status
from app.services.users import register_user

router = APIRouter(prefix="/users", tags=["users"])


@router.post("", response_model=UserPublic, status_code=status.HTTP_201_CREATED)
def register(body: UserCreate, db: SessionDep) -> UserPublic:
    """Register a participant (409 if the username or e-mail is taken)."""
    user = register_user(db, body.username, body.email, body.password)
    db.commit()
    return UserPublic.model_validate(user)


@router.get("/me", response_model=UserPublic)
def me(user: CurrentUser) -> UserPublic:
    """The authenticated account."""
    return UserPublic.model_validate(user)


@router.get("/me/quota", response_model=QuotaPublic)
def my_quota(user: CurrentUser, db: SessionDep, settings: SettingsDep) -> QuotaPublic:
    """Today's remaining submissions to the hidden test."""
    quota = quota_status(db, user, settings)
    return QuotaPublic(**vars(quota))
