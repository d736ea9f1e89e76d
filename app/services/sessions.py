"""Browser sessions: a signed cookie (Starlette's SessionMiddleware) that carries a random
session key and the CSRF token; the key names a row of `user_sessions`, checked on every
request.

The signature alone cannot be revoked, so the row is what makes a session valid: logging out
deletes it (a copy of the cookie is then worthless), and a password change, a password reset
or a deactivation deletes the account's other rows. The HTML pages call `login`/`logout`
after checking a password form, put `csrf_token(request)` in every form, and call
`verify_csrf(request, submitted)` when a form is posted.
"""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, joinedload
from starlette.requests import Request

from app.models import User, UserSession, utcnow
from app.security import hash_api_token, new_csrf_token, tokens_match
from app.services.errors import PermissionDenied

SESSION_KEY = "session"
CSRF_KEY = "csrf"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FORM_FIELD = "csrf_token"


def login(request: Request, db: Session, user: User) -> None:
    """Start a session for `user` (committed), with a fresh key and CSRF token (defeats
    session fixation); the browser's previous session and the account's expired ones end."""
    now = utcnow()
    max_age = dt.timedelta(seconds=request.app.state.settings.session_max_age_s)
    key = secrets.token_urlsafe(32)
    previous = _key_hash(request)
    if previous is not None:
        db.execute(delete(UserSession).where(UserSession.key_hash == previous))
    db.execute(
        delete(UserSession).where(UserSession.user_id == user.id, UserSession.expires_at <= now)
    )
    db.add(UserSession(user_id=user.id, key_hash=hash_api_token(key), expires_at=now + max_age))
    db.commit()
    request.session.clear()
    request.session[SESSION_KEY] = key
    request.session[CSRF_KEY] = new_csrf_token()


def _key_hash(request: Request) -> str | None:
    key = request.session.get(SESSION_KEY)
    return hash_api_token(key) if isinstance(key, str) else None


def current_session(request: Request, db: Session) -> UserSession | None:
    """The live session row of this browser (with its user loaded), or None."""
    key_hash = _key_hash(request)
    if key_hash is None:
        return None
    query = select(UserSession).where(UserSession.key_hash == key_hash)
    row = db.scalar(query.options(joinedload(UserSession.user)))
    if row is None or row.expires_at <= utcnow():
        return None
    return row


def session_user(request: Request, db: Session) -> User | None:
    """The active user logged in with this browser session, or None."""
    row = current_session(request, db)
    return row.user if row is not None and row.user.is_active else None


def logout(request: Request, db: Session) -> None:
    """End the session on the server (committed) and clear the cookie."""
    key_hash = _key_hash(request)
    if key_hash is not None:
        db.execute(delete(UserSession).where(UserSession.key_hash == key_hash))
        db.commit()
    request.session.clear()


def end_sessions(db: Session, user: User, keep: UserSession | None = None) -> int:
    """Delete the account's sessions but `keep` (flushed, not committed); how many ended."""
    statement = delete(UserSession).where(UserSession.user_id == user.id)
    if keep is not None:
        statement = statement.where(UserSession.id != keep.id)
    return db.execute(statement).rowcount or 0  # type: ignore[attr-defined]


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use (anonymous sessions get one too)."""
    token = request.session.get(CSRF_KEY)
    if not isinstance(token, str):
        token = new_csrf_token()
        request.session[CSRF_KEY] = token
    return token


def verify_csrf(request: Request, submitted: str | None) -> None:
    """Check a form's or header's CSRF token against the session's.

    Raises:
        PermissionDenied: if it is missing or does not match.
    """
    if not tokens_match(request.session.get(CSRF_KEY), submitted):
        raise PermissionDenied("missing or invalid CSRF token; reload the page and try again")
