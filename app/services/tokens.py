"""API tokens: created and shown once, stored hashed, revocable."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from app.models import ApiToken, User, utcnow
from app.security import hash_api_token, new_api_token
from app.services.errors import InvalidInput, NotFound

# a token's last use is written at most this often, so reads do not all become writes
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)
MAX_TOKEN_NAME = 100


def create_token(db: Session, user: User, name: str = "") -> tuple[ApiToken, str]:
    """A new token for `user`: the stored row and the plaintext, which is never stored.

    Raises:
        InvalidInput: if the name is longer than 100 characters.
    """
    if len(name) > MAX_TOKEN_NAME:
        raise InvalidInput(f"name: at most {MAX_TOKEN_NAME} characters")
    plaintext = new_api_token()
    token = ApiToken(
        user_id=user.id,
        name=name,
        token_hash=hash_api_token(plaintext),
        token_prefix=plaintext[:10],
    )
    db.add(token)
    db.flush()
    return token, plaintext


def list_tokens(db: Session, user: User) -> list[ApiToken]:
    """The user's tokens, newest first, revoked ones included."""
    query = select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())
    return list(db.scalars(query))


def revoke_token(db: Session, user: User, token_id: int) -> ApiToken:
    """Revoke one of the user's tokens (idempotent).

    Raises:
        NotFound: if the token does not exist or belongs to someone else.
    """
    token = db.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound(f"token {token_id} not found")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.flush()
    return token


def user_for_token(db: Session, plaintext: str) -> User | None:
    """The active owner of an unrevoked token, or None; records when it was last used."""
    query = select(ApiToken).where(ApiToken.token_hash == hash_api_token(plaintext))
    token = db.scalar(query.options(joinedload(ApiToken.user)))  # one query per request
    if token is None or token.revoked_at is not None or not token.user.is_active:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        token.last_used_at = now
        db.commit()
    return token.user
