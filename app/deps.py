"""FastAPI dependencies as `Annotated` aliases: settings, database session, the current user.

A user is recognised by `Authorization: Bearer TOKEN` (the API) or by the signed session
cookie (the HTML pages). A cookie-authenticated unsafe request to `/api/` must also carry the
session's CSRF token in the `X-CSRF-Token` header; HTML form handlers call
`app.services.sessions.verify_csrf` with their form field instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from celery import Celery
from fastapi import Depends, Form, Path, Query, Request
from sqlalchemy.orm import Session, sessionmaker

from app.core.config import Settings
from app.models import ApiToken, Role, Submission, TokenScope, User
from app.services.errors import NotAuthenticated, NotFound, PermissionDenied
from app.services.sessions import CSRF_HEADER, current_session, verify_csrf
from app.services.tokens import token_for_request

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_ID = 2**31 - 1  # the databases' INTEGER primary keys

# a database id in a URL path: out-of-range values are a 422, never a database error
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
# the same bounds for an id posted in a form field
IdForm = Annotated[int, Form(ge=1, le=MAX_ID)]


def get_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


def get_celery(request: Request) -> Celery:
    """The Celery app used to send tasks."""
    celery: Celery = request.app.state.celery
    return celery


def get_db(request: Request) -> Iterator[Session]:
    """A database session for one request, rolled back if not committed, always closed."""
    factory: sessionmaker[Session] = request.app.state.session_factory
    with factory() as session:
        yield session


@dataclass(frozen=True)
class Pagination:
    """Which slice of a long list to return."""

    limit: int
    offset: int


def get_pagination(
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> Pagination:
    """The `limit` and `offset` query parameters of a list route."""
    return Pagination(limit=limit, offset=offset)


PaginationDep = Annotated[Pagination, Depends(get_pagination)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
CeleryDep = Annotated[Celery, Depends(get_celery)]
SessionDep = Annotated[Session, Depends(get_db)]


def _bearer_token(request: Request) -> str | None:
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        raise NotAuthenticated("the Authorization header must be 'Bearer TOKEN'")
    return credentials.strip()


def get_optional_user(request: Request, db: SessionDep) -> User | None:
    """The user behind the request's token or session cookie, or None when anonymous.

    The token or browser session used is kept in `request.state.api_token` /
    `request.state.user_session` (None when not used).

    Raises:
        NotAuthenticated: if a bearer token is given but is unknown, revoked or expired.
        PermissionDenied: for a cookie-authenticated unsafe API call without its CSRF header,
            or a `submit`-scoped token outside submitting.
    """
    request.state.api_token = request.state.user_session = None
    plaintext = _bearer_token(request)
    if plaintext is not None:
        token = token_for_request(db, plaintext)
        check_token_scope(request, db, token)
        request.state.api_token = token
        return token.user
    session = current_session(request, db)
    if session is None or not session.user.is_active:
        return None
    if request.method not in SAFE_METHODS and request.url.path.startswith("/api/"):
        verify_csrf(request, request.headers.get(CSRF_HEADER))
    request.state.user_session = session
    return session.user


OptionalUser = Annotated[User | None, Depends(get_optional_user)]


def get_current_user(user: OptionalUser) -> User:
    """The authenticated user.

    Raises:
        NotAuthenticated: when the request carries no valid credentials.
    """
    if user is None:
        raise NotAuthenticated("authentication required: send 'Authorization: Bearer TOKEN'")
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def get_organizer(user: CurrentUser) -> User:
    """The current user if an organizer or admin.

    Raises:
        PermissionDenied: for participants.
    """
    if user.role not in (Role.ORGANIZER, Role.ADMIN):
        raise PermissionDenied("organizer or admin role required")
    return user


def get_admin(user: CurrentUser) -> User:
    """The current user if an admin.

    Raises:
        PermissionDenied: for everyone else.
    """
    if user.role != Role.ADMIN:
        raise PermissionDenied("admin role required")
    return user


OrganizerUser = Annotated[User, Depends(get_organizer)]
AdminUser = Annotated[User, Depends(get_admin)]


# --- token scope -------------------------------------------------------------------------

# what a `submit` token may call: the handlers (module, name) of uploading a submission and
# reading one's own back; the rest answers 403. Handlers, not paths: they do not move with
# the prefixes a router is mounted under.
SUBMIT_SCOPE_HANDLERS = frozenset(
    ("app.routes.api.submissions", name)
    for name in (
        "submit",
        "my_submissions",
        "submission_detail",
        "result_json",
        "result_csv_download",
    )
)


def check_token_scope(request: Request, db: Session, token: ApiToken) -> None:
    """Keep a `submit` token to uploading and reading back its owner's own submissions.

    Raises:
        PermissionDenied: for any other route.
        NotFound: for someone else's submission (even if the owner is an organizer).
    """
    if token.scope != TokenScope.SUBMIT:
        return
    handler = request.scope.get("endpoint")
    name = (getattr(handler, "__module__", ""), getattr(handler, "__name__", ""))
    if name not in SUBMIT_SCOPE_HANDLERS:
        raise PermissionDenied(
            "this token's scope is 'submit': it may only upload submissions and read your own "
            "submissions and results; use a token with full scope for anything else"
        )
    submission_id = request.path_params.get("submission_id")
    if submission_id is not None:
        text = str(submission_id)
        # checked before the path is validated, so a malformed or huge id must not reach the db
        in_range = text.isdigit() and 0 < int(text) <= 2**31 - 1
        submission = db.get(Submission, int(text)) if in_range else None
        if submission is None or submission.user_id != token.user_id:
            raise NotFound(f"submission {submission_id} not found")
