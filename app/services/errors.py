"""Domain errors of the use cases, each with the HTTP status the web layer answers with.

Routes never catch these: one exception handler turns them into JSON `{"detail": ...}`;
the HTML pages may catch `ServiceError` to show `str(error)` next to a form.
"""

from __future__ import annotations


class ServiceError(Exception):
    """A request the service refuses, with a message safe to show to the user."""

    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(ServiceError):
    """A field or file whose content is wrong (names the field or line and the problem)."""

    status_code = 422


class NotAuthenticated(ServiceError):
    """No valid credentials were given."""

    status_code = 401


class PermissionDenied(ServiceError):
    """The user is known but may not do this."""

    status_code = 403


class NotFound(ServiceError):
    """The object does not exist, or exists but belongs to someone else."""

    status_code = 404


class Conflict(ServiceError):
    """The request clashes with existing state (e.g. a taken username)."""

    status_code = 409


class PayloadTooLarge(ServiceError):
    """An upload over the configured size limit."""

    status_code = 413


class QuotaExceeded(ServiceError):
    """The daily submission quota is used up."""

    status_code = 429


class Unavailable(ServiceError):
    """The service cannot take this now (e.g. no dataset is ready)."""

    status_code = 503
