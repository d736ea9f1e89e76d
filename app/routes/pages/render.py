"""What every HTML page needs: the shared template context, flash messages, redirects, CSRF.

Handlers take a `PageDep` (request, database session, user) and call `page.render(...)`;
pages that need an account take a `PageUser`, which sends anonymous visitors to the login
form and back. Forms are checked with the `CsrfChecked` dependency.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from app.deps import OptionalUser, SessionDep
from app.models import Role, User
from app.services.datasets import active_dataset
from app.services.errors import ServiceError
from app.services.sessions import CSRF_FORM_FIELD, csrf_token, verify_csrf

FLASH_KEY = "flashes"


class LoginRequired(Exception):
    """An anonymous visitor asked for a page that needs an account."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


@functools.cache
def _package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "unknown"


def evaluator_version() -> str:
    """The evaluator's version string, as it stamps results."""
    from evaluation.version import EVALUATOR_VERSION

    return EVALUATOR_VERSION


def safe_next(path: str | None) -> str:
    """A same-site path to return to after login; anything else (other hosts) becomes "/"."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path


def login_url(next_path: str) -> str:
    """The login form that sends the visitor back to `next_path` afterwards."""
    return f"/login?next={quote(safe_next(next_path), safe='/')}"


def add_flash(request: Request, message: str, category: str = "success") -> None:
    """Queue a message shown once on the next page rendered for this browser session."""
    request.session[FLASH_KEY] = [*request.session.get(FLASH_KEY, []), [category, message]]


def pop_flashes(request: Request) -> list[tuple[str, str]]:
    """The queued messages, removed from the session."""
    return [(category, message) for category, message in request.session.pop(FLASH_KEY, [])]


def render_page(
    request: Request,
    db: Session | None,
    user: User | None,
    template: str,
    context: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """Render `template` with the layout's context (user, CSRF token, flashes, the footer's
    `site_versions`); a page's own context may not reuse those names."""
    templates: Jinja2Templates = request.app.state.templates
    dataset = active_dataset(db) if db is not None else None
    base = {
        "path_for": request.app.url_path_for,  # site-relative links, right behind any proxy
        "user": user,
        "is_admin": user is not None and user.role == Role.ADMIN,
        "is_staff": user is not None and user.role in (Role.ADMIN, Role.ORGANIZER),
        "csrf_token": csrf_token(request),
        "flashes": pop_flashes(request),
        "site_versions": {
            "tomobench": _package_version("tomobench"),
            "evaluator": evaluator_version(),
            "dataset": dataset.name if dataset else None,
        },
        "active_dataset": dataset,
        "form": {},
        "errors": [],
        "field_errors": {},
    }
    headers = {"Cache-Control": "no-store"}  # pages show per-user, live state
    return templates.TemplateResponse(
        request, template, {**base, **(context or {})}, status_code=status_code, headers=headers
    )


# a service message may list several "field: problem" parts, joined by "; "
_NEXT_PROBLEM = re.compile(r"; (?=[a-z_]+: )")


def problems(message: str) -> list[str]:
    """The separate problems of a service message, one per line of the error box."""
    return _NEXT_PROBLEM.split(message)


def field_errors(message: str, fields: tuple[str, ...]) -> dict[str, str]:
    """Attach each "field: problem" part of a service message to its form field."""
    attached: dict[str, str] = {}
    for part in problems(message):
        field, separator, problem = part.partition(": ")
        if separator and field in fields:
            attached.setdefault(field, problem)
    return attached


@dataclass(frozen=True)
class Page:
    """One page request: what a handler needs to answer with HTML."""

    request: Request
    db: Session
    user: User | None

    def render(
        self, template: str, context: dict[str, Any] | None = None, status_code: int = 200
    ) -> HTMLResponse:
        """The template rendered inside the site layout."""
        return render_page(self.request, self.db, self.user, template, context, status_code)

    def redirect(self, path: str, message: str | None = None) -> RedirectResponse:
        """A 303 to `path` (after a POST), optionally with a flash message for that page."""
        if message:
            add_flash(self.request, message)
        return RedirectResponse(path, status_code=303)

    def act(self, action: Callable[[], str], back_to: str) -> RedirectResponse:
        """Run a form's action and go back to `back_to` with its outcome as a message: what
        it says on success (its services committed), the service's refusal as an error
        (rolled back)."""
        try:
            message, category = action(), "success"
        except ServiceError as error:
            self.db.rollback()
            message, category = error.message, "error"
        add_flash(self.request, message, category)
        return RedirectResponse(back_to, status_code=303)


def get_page(request: Request, db: SessionDep, user: OptionalUser) -> Page:
    """The page context of this request."""
    return Page(request, db, user)


def get_page_user(request: Request, user: OptionalUser) -> User:
    """The logged-in user.

    Raises:
        LoginRequired: for anonymous visitors (answered with a redirect to the login form).
    """
    if user is None:
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(path)
    return user


def check_csrf(
    request: Request, submitted: Annotated[str | None, Form(alias=CSRF_FORM_FIELD)] = None
) -> None:
    """Refuse a posted form whose CSRF token does not match the session's.

    Raises:
        PermissionDenied: if the token is missing or wrong.
    """
    verify_csrf(request, submitted)


PageDep = Annotated[Page, Depends(get_page)]
PageUser = Annotated[User, Depends(get_page_user)]
CsrfChecked = Depends(check_csrf)
