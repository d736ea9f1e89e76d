"""Browser sessions: a signed cookie (Starlette's SessionMiddleware) with the user and CSRF token.

The HTML pages call `login`/`logout` after checking a password form, put `csrf_token(request)`
in every form, and call `verify_csrf(request, submitted)` when a form is posted.
"""

from __future__ import annotations

from starlette.requests import Request

from app.models import User
from app.security import new_csrf_token, tokens_match
from app.services.errors import PermissionDenied

USER_KEY = "user_id"
CSRF_KEY = "csrf"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FORM_FIELD = "csrf_token"


def login(request: Request, user: User) -> None:
    """Start a session for `user`, with a fresh CSRF token (defeats session fixation)."""
    request.session.clear()
    request.session[USER_KEY] = user.id
    request.session[CSRF_KEY] = new_csrf_token()


def logout(request: Request) -> None:
    """End the session: the cookie is cleared on the response."""
    request.session.clear()


def session_user_id(request: Request) -> int | None:
    """The id of the logged-in user of this browser session, or None."""
    user_id = request.session.get(USER_KEY)
    return user_id if isinstance(user_id, int) else None


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
