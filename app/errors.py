"""Exception handlers: every error leaves as JSON `{"detail": ...}`, never a bare 500."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from app.services.errors import NotAuthenticated, ServiceError

log = logging.getLogger(__name__)


async def service_error_handler(request: Request, error: Exception) -> JSONResponse:
    """A domain error becomes its status code and message."""
    assert isinstance(error, ServiceError)
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(error, NotAuthenticated) else None
    return JSONResponse({"detail": error.message}, status_code=error.status_code, headers=headers)


async def unexpected_error_handler(request: Request, error: Exception) -> JSONResponse:
    """A bug: logged with its traceback; the client learns nothing internal."""
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return JSONResponse({"detail": "internal server error"}, status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers on `app`."""
    app.add_exception_handler(ServiceError, service_error_handler)
    app.add_exception_handler(Exception, unexpected_error_handler)
