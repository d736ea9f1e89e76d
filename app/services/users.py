"""Accounts: registration, password login, the first admin."""

from __future__ import annotations

import functools
import re
import secrets

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.models import Role, User
from app.security import hash_password, verify_password
from app.services.errors import Conflict, InvalidInput

USERNAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{2,63}")
EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s]+")
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024


def validate_registration(username: str, email: str, password: str) -> None:
    """Check the fields of a new account.

    Raises:
        InvalidInput: naming the field and what is wrong with it.
    """
    if not USERNAME_PATTERN.fullmatch(username):
        raise InvalidInput(
            "username: 3 to 64 characters, letters, digits, '_', '.' or '-', "
            "starting with a letter or digit"
        )
    if len(email) > 254 or not EMAIL_PATTERN.fullmatch(email):
        raise InvalidInput("email: not an e-mail address")
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise InvalidInput(
            f"password: must be {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters"
        )


def register_user(
    db: Session, username: str, email: str, password: str, role: Role = Role.PARTICIPANT
) -> User:
    """Create an account with an argon2-hashed password (flushed, not committed).

    Raises:
        InvalidInput: if a field is malformed.
        Conflict: if the username or e-mail is taken (case-insensitively).
    """
    validate_registration(username, email, password)
    taken = db.scalar(
        select(User.id).where(
            or_(
                func.lower(User.username) == username.lower(),
                func.lower(User.email) == email.lower(),
            )
        )
    )
    if taken is not None:
        raise Conflict("username or email is already registered")
    user = User(username=username, email=email, password_hash=hash_password(password), role=role)
    db.add(user)
    db.flush()
    return user


def authenticate(db: Session, username: str, password: str) -> User | None:
    """The active user with this username and password, or None (never says which was wrong)."""
    user = db.scalar(select(User).where(User.username == username))
    if user is None or not user.is_active:
        # hash anyway so timing does not reveal which usernames exist
        verify_password(_dummy_hash(), password)
        return None
    return user if verify_password(user.password_hash, password) else None


def ensure_admin(db: Session, username: str, email: str) -> tuple[User, str | None]:
    """The admin account, created with a random password on first call.

    Returns the admin and the new password, which is returned only when the account was
    just created (it is stored hashed and can never be shown again).
    """
    existing = db.scalar(select(User).where(User.role == Role.ADMIN).order_by(User.id))
    if existing is not None:
        return existing, None
    password = secrets.token_urlsafe(18)
    admin = register_user(db, username, email, password, role=Role.ADMIN)
    return admin, password


def set_role(db: Session, user: User, role: Role) -> User:
    """Give `user` a new role (flushed, not committed)."""
    user.role = role
    db.flush()
    return user


@functools.cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))
