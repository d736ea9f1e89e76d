"""Accounts: registration, password login, password changes, roles, deactivation, the admin.

Usernames and passwords follow `app.services.names` and `app.services.passwords`. There is
always an active admin: the last one can be neither demoted nor deactivated (409), and if the
database has none at start-up (edited by hand) a new admin is created rather than failing.
"""

from __future__ import annotations

import functools
import logging
import re
import secrets

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import ApiToken, Role, User, UserSession
from app.security import hash_password, verify_password
from app.services.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from app.services.names import clean_username, username_key
from app.services.passwords import check_new_password, normalize_password
from app.services.sessions import end_sessions
from app.services.tokens import revoke_all_tokens

log = logging.getLogger(__name__)

EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s]+")
TAKEN = "username or email is already registered (or the username looks like a registered one)"


class AccountInactive(PermissionDenied):
    """The right password for an account that is not active (pending approval or deactivated)."""

    def __init__(self) -> None:
        super().__init__(
            "this account is not active: it is waiting for an admin's approval, or an admin "
            "deactivated it"
        )


def validate_registration(
    username: str, email: str, password: str, *, privileged: bool = False
) -> tuple[str, str]:
    """Check the fields of a new account; the normalised username and password.

    Every field is checked, so that one answer names all that needs fixing.

    Raises:
        InvalidInput: "field: problem" for each field that is wrong, joined by "; ".
    """
    problems = []
    try:
        username = clean_username(username, privileged=privileged)
    except InvalidInput as error:
        problems.append(error.message)
    if len(email) > 254 or not EMAIL_PATTERN.fullmatch(email):
        problems.append("email: not an e-mail address")
    try:
        password = check_new_password(password, username=username, email=email)
    except InvalidInput as error:
        problems.append(error.message)
    if problems:
        raise InvalidInput("; ".join(problems))
    return username, password


def register_user(
    db: Session,
    username: str,
    email: str,
    password: str,
    role: Role = Role.PARTICIPANT,
    *,
    active: bool = True,
    privileged: bool = False,
) -> User:
    """Create an account with an argon2-hashed password (flushed, not committed).

    `privileged` (an admin's command line, the first admin) may use reserved names; an
    inactive account waits for an admin's approval.

    Raises:
        InvalidInput: if a field is malformed or the password too weak.
        Conflict: if the username (or a look-alike of it) or the e-mail is taken, also when
            the same name is registered concurrently.
    """
    username, password = validate_registration(username, email, password, privileged=privileged)
    same_name = User.username_key == username_key(username)
    taken = db.scalar(
        select(User.id).where(or_(same_name, func.lower(User.email) == email.lower()))
    )
    if taken is not None:
        raise Conflict(TAKEN)
    user = User(
        username=username,
        username_key=username_key(username),
        email=email,
        password_hash=hash_password(password),
        role=role,
        is_active=active,
    )
    db.add(user)
    try:
        db.flush()  # a concurrent twin fails here, on the unique constraints
    except IntegrityError as error:
        db.rollback()
        raise Conflict(TAKEN) from error
    return user


def check_password(db: Session, username: str, password: str) -> User | None:
    """The account with this username and password, active or not, or None."""
    user = db.scalar(select(User).where(User.username == username))
    if user is None:
        # hash anyway so timing does not reveal which usernames exist
        verify_password(_dummy_hash(), password)
        return None
    normalized = normalize_password(password)
    if verify_password(user.password_hash, normalized):
        return user
    # passwords set before normalisation was introduced were hashed as typed
    legacy = normalized != password and verify_password(user.password_hash, password)
    return user if legacy else None


def authenticate(db: Session, username: str, password: str) -> User | None:
    """The active user with this username and password, or None (never says which was wrong).

    Raises:
        AccountInactive: if the password is right but the account is not active.
    """
    user = check_password(db, username, password)
    if user is not None and not user.is_active:
        raise AccountInactive()
    return user


def _lock_active_admins(db: Session) -> list[int]:
    """The ids of the active admins, locked until the end of the transaction (PostgreSQL),
    so two admins cannot demote each other at the same moment."""
    query = select(User.id).where(User.role == Role.ADMIN, User.is_active.is_(True))
    return list(db.scalars(query.with_for_update()))


def _refuse_losing_last_admin(db: Session, user: User, what: str) -> None:
    if user.role == Role.ADMIN and user.is_active and _lock_active_admins(db) == [user.id]:
        raise Conflict(
            f"cannot {what} {user.username}: it is the last active admin; make another account "
            "admin first"
        )


def ensure_admin(db: Session, username: str, email: str) -> tuple[User, str | None]:
    """An active admin account, created with a random password when there is none.

    Returns the admin and the new password, which is returned only when the account was
    just created (it is stored hashed and can never be shown again). Never fails because the
    name or e-mail is taken: it then tries `NAME-2` (`NAME-2@localhost`), `NAME-3`, ...
    """
    query = select(User).where(User.role == Role.ADMIN, User.is_active.is_(True))
    existing = db.scalar(query.order_by(User.id))
    if existing is not None:
        return existing, None
    password = secrets.token_urlsafe(18)
    while username.casefold() in password.casefold():  # random, yet be sure
        password = secrets.token_urlsafe(18)
    name, address = username, email
    for attempt in range(2, 1000):
        same_name = User.username_key == username_key(name)
        same_email = func.lower(User.email) == address.lower()
        if db.scalar(select(User.id).where(or_(same_name, same_email))) is None:
            break
        name, address = f"{username}-{attempt}", f"{username}-{attempt}@localhost"
    log.info("no active admin account; creating %r", name)
    admin = register_user(db, name, address, password, role=Role.ADMIN, privileged=True)
    return admin, password


def list_users(db: Session) -> list[User]:
    """Every account, oldest first."""
    return list(db.scalars(select(User).order_by(User.id)))


def get_user(db: Session, user_id: int) -> User:
    """The account with this id.

    Raises:
        NotFound: if there is none.
    """
    user = db.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} not found")
    return user


def set_role(db: Session, user: User, role: Role) -> User:
    """Give `user` a new role (committed).

    Raises:
        Conflict: if that would leave no active admin.
    """
    if role != Role.ADMIN:
        _refuse_losing_last_admin(db, user, "demote")
    user.role = role
    db.commit()
    return user


def end_access(
    db: Session,
    user: User,
    *,
    keep_session: UserSession | None = None,
    keep_token: ApiToken | None = None,
) -> tuple[int, int]:
    """End the account's browser sessions and API tokens but the ones to keep (flushed);
    how many sessions and tokens ended."""
    ended = end_sessions(db, user, keep_session), revoke_all_tokens(db, user, keep_token)
    db.flush()
    return ended


def set_active(db: Session, user: User, active: bool) -> User:
    """Approve or re-activate an account, or deactivate it, which ends its sessions and
    tokens at once (committed).

    Raises:
        Conflict: if that would leave no active admin.
    """
    if not active:
        _refuse_losing_last_admin(db, user, "deactivate")
        end_access(db, user)
    user.is_active = active
    db.commit()
    return user


def change_password(
    db: Session,
    user: User,
    new_password: str,
    *,
    keep_session: UserSession | None = None,
    keep_token: ApiToken | None = None,
) -> tuple[int, int]:
    """Set a new password (the current one was checked by the caller) and end every other
    session and token of the account (committed); how many of each ended.

    Raises:
        InvalidInput: if the new password breaks a rule.
    """
    try:
        password = check_new_password(new_password, username=user.username, email=user.email)
    except InvalidInput as error:  # the form and the API call this field new_password
        raise InvalidInput(f"new_{error.message}") from error
    if verify_password(user.password_hash, password):
        raise InvalidInput("new_password: must differ from the current password")
    user.password_hash = hash_password(password)
    ended = end_access(db, user, keep_session=keep_session, keep_token=keep_token)
    db.commit()
    return ended


def reset_password(db: Session, user: User, new_password: str | None = None) -> str:
    """An admin's reset: the given or a random password, all sessions and tokens ended
    (committed); the password to hand over."""
    if new_password is None:
        new_password = secrets.token_urlsafe(15)
        while user.username.casefold() in new_password.casefold():  # random, yet be sure
            new_password = secrets.token_urlsafe(15)
    password = check_new_password(new_password, username=user.username, email=user.email)
    user.password_hash = hash_password(password)
    end_access(db, user)
    db.commit()
    return password


@functools.cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))
