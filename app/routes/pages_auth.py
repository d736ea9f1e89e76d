"""Account pages: register, log in, log out (CSRF-protected forms over the user services)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.routes.pages_errors import HTMLErrorRoute
from app.routes.pages_render import CsrfChecked, PageDep, field_errors, safe_next
from app.services import sessions
from app.services.errors import ServiceError
from app.services.login_throttle import TooManyAttempts, authenticate_request
from app.services.users import register_user

router = APIRouter(route_class=HTMLErrorRoute)

# Form fields are bounded here so that no input, however long, reaches the services unchecked.
TextField = Annotated[str, Form(max_length=2000)]


def _auth_form(
    page: PageDep,
    *,
    register: bool,
    form: dict[str, str] | None = None,
    error: ServiceError | None = None,
    next_url: str = "/",
) -> HTMLResponse:
    fields = ("username", "email", "password") if register else ("username", "password")
    context = {
        "heading": "Register" if register else "Log in",
        "action": "/register" if register else "/login",
        "register": register,
        "form": form or {},
        "errors": [error.message] if error else [],
        "field_errors": field_errors(error.message, fields) if error else {},
        "next_url": next_url if next_url != "/" else "",
    }
    return page.render("auth_form.html", context, error.status_code if error else 200)


@router.get("/register", response_class=HTMLResponse)
def register_form(page: PageDep) -> HTMLResponse:
    """The registration form."""
    return _auth_form(page, register=True)


@router.post("/register", response_class=HTMLResponse, dependencies=[CsrfChecked])
def register(
    page: PageDep, username: TextField = "", email: TextField = "", password: TextField = ""
) -> Response:
    """Create the account and log it in; on a problem, show the form again with the reason."""
    try:
        user = register_user(page.db, username.strip(), email.strip(), password)
        page.db.commit()
    except ServiceError as error:
        page.db.rollback()
        return _auth_form(
            page, register=True, form={"username": username, "email": email}, error=error
        )
    sessions.login(page.request, user)
    return page.redirect("/submit", f"Welcome, {user.username}: your account is ready.")


@router.get("/login", response_class=HTMLResponse)
def login_form(page: PageDep, next: str = "/") -> HTMLResponse:
    """The login form; `next` is where to go afterwards."""
    return _auth_form(page, register=False, next_url=safe_next(next))


@router.post("/login", response_class=HTMLResponse, dependencies=[CsrfChecked])
def login(
    page: PageDep, username: TextField = "", password: TextField = "", next: TextField = "/"
) -> Response:
    """Check the password and start a session; a wrong pair gets one message for both fields.
    Too many failures for the account or from the address answer 429 on the form."""
    try:
        user = authenticate_request(page.request, page.db, username.strip(), password)
    except TooManyAttempts as error:
        response = _auth_form(
            page, register=False, form={"username": username}, error=error, next_url=safe_next(next)
        )
        response.headers.update(error.headers)
        return response
    if user is None:
        wrong = ServiceError("wrong username or password")
        return _auth_form(
            page, register=False, form={"username": username}, error=wrong, next_url=safe_next(next)
        )
    sessions.login(page.request, user)
    return page.redirect(safe_next(next), f"Logged in as {user.username}.")


@router.post("/logout", dependencies=[CsrfChecked])
def logout(page: PageDep) -> RedirectResponse:
    """End the session."""
    sessions.logout(page.request)
    return page.redirect("/", "Logged out.")
