"""Errors on HTML pages answer with an HTML page, not the API's JSON.

`HTMLErrorRoute` is the route class of every page router: it turns a domain error, a bad
query or path parameter, an HTTP exception or a bug into the site's error page with the
right status code, and an anonymous visitor of a members-only page into a redirect to the
login form. The REST API keeps its JSON handlers; this class only wraps page routes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from sqlalchemy.exc import DataError
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException

from app.routes.pages.render import LoginRequired, login_url, render_page
from app.services.errors import ServiceError
from app.services.sessions import session_user

log = logging.getLogger(__name__)

HEADINGS: dict[int, str] = {
    400: "Bad request",
    401: "Please log in",
    403: "Not allowed",
    404: "Page not found",
    405: "Method not allowed",
    409: "Not ready yet",
    413: "File too large",
    422: "Invalid input",
    429: "Daily quota used up",
    500: "Something went wrong",
    503: "Temporarily unavailable",
}


def error_page(request: Request, status_code: int, message: str) -> HTMLResponse:
    """The site's error page for `status_code`, showing `message` (safe for users)."""
    factory: sessionmaker[Session] = request.app.state.session_factory
    with factory() as db:
        user = session_user(request, db)
        context = {
            "status_code": status_code,
            "heading": HEADINGS.get(status_code, "Error"),
            "message": message,
        }
        return render_page(request, db, user, "error.html", context, status_code)


def validation_message(error: RequestValidationError) -> str:
    """One readable line per invalid parameter, e.g. "submission_id: Input should be ..."."""
    parts = []
    for problem in error.errors():
        where = ".".join(str(part) for part in problem.get("loc", ())[1:]) or "request"
        parts.append(f"{where}: {problem.get('msg', 'invalid value')}")
    return "; ".join(parts) or "invalid request"


class HTMLErrorRoute(APIRoute):
    """A page route whose failures are rendered as HTML error pages."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginRequired as redirect:
                return RedirectResponse(login_url(redirect.next_path), status_code=303)
            except ServiceError as error:
                return error_page(request, error.status_code, error.message)
            except RequestValidationError as error:
                return error_page(request, 422, validation_message(error))
            except HTTPException as error:
                return error_page(request, error.status_code, str(error.detail))
            except DataError:  # e.g. an id past the database's integer range
                return error_page(request, 422, "A value in the address is out of range.")
            except Exception:
                log.exception("unhandled error on page %s", request.url.path)
                return error_page(request, 500, "The error was logged; please try again later.")

        return handle
