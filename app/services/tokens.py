"""API tokens: created and shown once, stored hashed, revocable, expiring, optionally scoped
to submitting (`submit`: upload and read back one's own submissions, nothing else)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload

from app.models import ApiToken, TokenScope, User, utcnow
from app.security import hash_api_token, new_api_token
from app.services.errors import InvalidInput, NotAuthenticated, NotFound

# a token's last use is written at most this often, so reads do not all become writes
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)
MAX_TOKEN_NAME = 100
DEFAULT_LIFETIME_DAYS = 90  # as TOMOBENCH_TOKEN_LIFETIME_DAYS; callers pass the setting
MAX_LIFETIME_DAYS = 3650


def create_token(
    db: Session,
    user: User,
    name: str = "",
    *,
    scope: TokenScope = TokenScope.FULL,
    expires_in_days: int | None = None,
    default_days: int = DEFAULT_LIFETIME_DAYS,
) -> tuple[ApiToken, str]:
    """A new token for `user` (committed): the stored row and the plaintext, which is never
    stored.

    It expires after `expires_in_days`, or `default_days` when that is None.

    Raises:
        InvalidInput: if the name is longer than 100 characters or the lifetime is out of range.
    """
    if len(name) > MAX_TOKEN_NAME:
        raise InvalidInput(f"name: at most {MAX_TOKEN_NAME} characters")
    days = default_days if expires_in_days is None else expires_in_days
    if not 1 <= days <= MAX_LIFETIME_DAYS:
        raise InvalidInput(f"expires_in_days: from 1 to {MAX_LIFETIME_DAYS} days, got {days}")
    plaintext = new_api_token()
    token = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=hash_api_token(plaintext),
        token_prefix=plaintext[:10],
        scope=TokenScope(scope),
        expires_at=utcnow() + dt.timedelta(days=days),
    )
    db.add(token)
    db.commit()
    return token, plaintext


def list_tokens(db: Session, user: User) -> list[ApiToken]:
    """The user's tokens, newest first, revoked ones included."""
    query = select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
    return list(db.scalars(query))


def revoke_token(db: Session, user: User, token_id: int) -> ApiToken:
    """Revoke one of the user's tokens (idempotent, committed).

    Raises:
        NotFound: if the token does not exist or belongs to someone else.
    """
    token = db.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound(f"token {token_id} not found")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.commit()
    return token


def revoke_all_tokens(db: Session, user: User, keep: ApiToken | None = None) -> int:
    """Revoke every live token of `user` but `keep` (flushed, not committed); how many."""
    statement = (
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    if keep is not None:
        statement = statement.where(ApiToken.id != keep.id)
    return db.execute(statement).rowcount or 0  # type: ignore[attr-defined]


def token_for_request(db: Session, plaintext: str) -> ApiToken:
    """The live token with this secret, its active owner loaded; records when it was used.

    Raises:
        NotAuthenticated: if it is unknown, revoked, expired or its account is inactive.
    """
    query = select(ApiToken).where(ApiToken.token_hash == hash_api_token(plaintext))
    token = db.scalar(query.options(joinedload(ApiToken.user)))  # one query per request
    if token is None or token.revoked_at is not None or not token.user.is_active:
        raise NotAuthenticated("invalid or revoked token")
    now = utcnow()
    if token.expires_at is not None and token.expires_at <= now:
        raise NotAuthenticated(
            f"token expired on {token.expires_at:%Y-%m-%d %H:%M} UTC; create a new one"
        )
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        token.last_used_at = now
        db.commit()
    return token


def user_for_token(db: Session, plaintext: str) -> User | None:
    """The active owner of a live token, or None."""
    try:
        return token_for_request(db, plaintext).user
    except NotAuthenticated:
        return None
