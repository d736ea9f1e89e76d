"""Exception handlers: every error leaves as JSON `{"detail": ...}`, never a bare 500."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from app.services.errors import NotAuthenticated, ServiceError

log = logging.getLogger(__name__)

_LOCATION_ROOTS = frozenset({"body", "query", "path", "header", "cookie"})


async def service_error_handler(request: Request, error: Exception) -> JSONResponse:
    """A domain error becomes its status code and message."""
    assert isinstance(error, ServiceError)
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(error, NotAuthenticated) else None
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


async def unexpected_error_handler(request: Request, error: Exception) -> JSONResponse:
    """A bug: logged with its traceback; the client learns nothing internal."""
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return JSONResponse({"detail": "internal server error"}, status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on `app`."""
    app.add_exception_handler(ServiceError, service_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(Exception, unexpected_error_handler)
