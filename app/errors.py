"""Exception handlers: every error leaves as JSON `{"detail": ...}`, never a bare 500.

A database that is down (or a connection pool that is exhausted) answers 503 with a clear
message and `Retry-After`: JSON under `/api/` and `/healthz`, the site's error page elsewhere.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from app.services.errors import NotAuthenticated, ServiceError

log = logging.getLogger(__name__)

_LOCATION_ROOTS = frozenset({"body", "query", "path", "header", "cookie"})
DATABASE_DOWN = (
    "the database is unreachable, so the service is temporarily unavailable; nothing was "
    "changed by this request, please retry in a minute"
)
RETRY_AFTER_S = 30


async def service_error_handler(request: Request, error: Exception) -> JSONResponse:
    """A domain error becomes its status code and message."""
    assert isinstance(error, ServiceError)
    headers = dict(getattr(error, "headers", None) or {})
    if isinstance(error, NotAuthenticated):
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse({"detail": error.message}, status_code=error.status_code, headers=headers)


def describe_validation_error(error: RequestValidationError) -> str:
    """One line per problem, `field: message`, e.g. `method: Field required`."""
    problems = []
    for issue in error.errors():
        location = [str(part) for part in issue.get("loc", ()) if part not in _LOCATION_ROOTS]
        problems.append(f"{'.'.join(location) or 'request'}: {issue.get('msg', 'invalid')}")
    return "; ".join(problems)


async def validation_error_handler(request: Request, error: Exception) -> JSONResponse:
    """A malformed request (missing field, wrong type) becomes a readable 422."""
    assert isinstance(error, RequestValidationError)
    return JSONResponse({"detail": describe_validation_error(error)}, status_code=422)


async def database_down_handler(request: Request, error: Exception) -> Response:
    """The database is away (or too busy to hand out a connection): 503, never a 500."""
    log.warning("database unavailable on %s %s: %s", request.method, request.url.path, error)
    headers = {"Retry-After": str(RETRY_AFTER_S)}
    path = request.url.path
    if path.startswith("/api/") or path == "/healthz":
        return JSONResponse({"detail": DATABASE_DOWN}, status_code=503, headers=headers)
    from app.routes.pages.render import render_page

    context = {"status_code": 503, "heading": "Temporarily unavailable", "message": DATABASE_DOWN}
    page = render_page(request, None, None, "error.html", context, 503)
    page.headers.update(headers)
    return page


async def out_of_range_handler(request: Request, error: Exception) -> JSONResponse:
    """A value the database cannot hold (e.g. an id past its integer range) is bad input."""
    log.info("value refused by the database on %s %s: %s", request.method, request.url.path, error)
    return JSONResponse({"detail": "a value in the request is out of range"}, status_code=422)


async def unexpected_error_handler(request: Request, error: Exception) -> JSONResponse:
    """A bug: logged with its traceback; the client learns nothing internal."""
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return JSONResponse({"detail": "internal server error"}, status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on `app`."""
    app.add_exception_handler(ServiceError, service_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(DataError, out_of_range_handler)
    app.add_exception_handler(OperationalError, database_down_handler)
    app.add_exception_handler(PoolTimeout, database_down_handler)
    app.add_exception_handler(Exception, unexpected_error_handler)
