"""`/api/v1/tokens`: API tokens, created with HTTP Basic credentials and shown once."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Request, status
from fastapi.security import HTTPBasic, HTTPBasicCredentials

from app.deps import CurrentUser, IdPath, SessionDep, SettingsDep
from app.models import TokenScope, User
from app.schemas import TokenCreate, TokenCreated, TokenPublic, TokensPublic
from app.services.errors import NotAuthenticated
from app.services.login_throttle import authenticate_request
from app.services.tokens import create_token, list_tokens, revoke_token

router = APIRouter(prefix="/tokens", tags=["tokens"])
basic = HTTPBasic(auto_error=False)


def basic_user(
    request: Request,
    db: SessionDep,
    credentials: Annotated[HTTPBasicCredentials | None, Depends(basic)],
) -> User:
    """The user named by HTTP Basic credentials.

    Raises:
        NotAuthenticated: if they are missing or wrong.
        TooManyAttempts: after too many failures for the account or from the address (429).
    """
    if credentials is None:
        raise NotAuthenticated("send your username and password with HTTP Basic authentication")
    user = authenticate_request(request, db, credentials.username, credentials.password)
    if user is None:
        raise NotAuthenticated("wrong username or password")
    return user


@router.post(
    "", response_model=TokenCreated, status_code=status.HTTP_201_CREATED, responses={429: {}}
)
def new_token(
    db: SessionDep,
    user: Annotated[User, Depends(basic_user)],
    settings: SettingsDep,
    body: Annotated[TokenCreate | None, Body()] = None,
) -> TokenCreated:
    """Create a token; its secret is in `token` and is never shown again. It expires after
    `expires_in_days` (default `TOMOBENCH_TOKEN_LIFETIME_DAYS`); scope `submit` may only
    upload and read back the owner's own submissions."""
    body = body or TokenCreate()
    token, plaintext = create_token(
        db,
        user,
        body.name,
        scope=TokenScope(body.scope),
        expires_in_days=body.expires_in_days,
        default_days=settings.token_lifetime_days,
    )
    return TokenCreated(token=plaintext, **TokenPublic.model_validate(token).model_dump())


@router.get("", response_model=TokensPublic)
def my_tokens(db: SessionDep, user: CurrentUser) -> TokensPublic:
    """The caller's tokens (without secrets), revoked ones included."""
    tokens = [TokenPublic.model_validate(token) for token in list_tokens(db, user)]
    return TokensPublic(data=tokens, count=len(tokens))


@router.delete("/{token_id}", response_model=TokenPublic)
def revoke(token_id: IdPath, db: SessionDep, user: CurrentUser) -> TokenPublic:
    """Revoke one of the caller's tokens; it stops working at once."""
    return TokenPublic.model_validate(revoke_token(db, user, token_id))
