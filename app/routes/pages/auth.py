"""Account pages: register, log in, log out, change the password (CSRF-protected forms over
the user services)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.deps import SettingsDep
from app.routes.pages.errors import HTMLErrorRoute
from app.routes.pages.render import (
    CsrfChecked,
    PageDep,
    PageUser,
    field_errors,
    problems,
    safe_next,
)
from app.services import sessions
from app.services.errors import InvalidInput, ServiceError
from app.services.login_throttle import authenticate_request
from app.services.names import USERNAME_RULE
from app.services.passwords import PASSWORD_RULES
from app.services.registration import register_from_request
from app.services.users import change_password

router = APIRouter(route_class=HTMLErrorRoute)

# Form fields are bounded here so that no input, however long, reaches the services unchecked.
TextField = Annotated[str, Form(max_length=2000)]
REGISTRATION_NOTES = {
    "open": "",
    "approval": "New accounts are checked by an admin: you can log in once yours is approved.",
    "invite": "Registration is by invitation: you need an invite code from the organizers.",
}


def _auth_form(
    page: PageDep,
    *,
    register: bool,
    mode: str = "open",
    form: dict[str, str] | None = None,
    error: ServiceError | None = None,
    next_url: str = "/",
) -> HTMLResponse:
    fields = ("username", "email", "password", "invite_code")
    context = {
        "heading": "Register" if register else "Log in",
        "action": "/register" if register else "/login",
        "register": register,
        "invite": register and mode == "invite",
        "registration_note": REGISTRATION_NOTES[mode] if register else "",
        "username_rule": USERNAME_RULE,
        "password_rules": PASSWORD_RULES,
        "form": form or {},
        "errors": problems(error.message) if error else [],
        "field_errors": field_errors(error.message, fields) if error else {},
        "next_url": next_url if next_url != "/" else "",
    }
    response = page.render("auth_form.html", context, error.status_code if error else 200)
    response.headers.update(getattr(error, "headers", None) or {})
    return response


@router.get("/register", response_class=HTMLResponse)
def register_form(page: PageDep, settings: SettingsDep) -> HTMLResponse:
    """The registration form, with the username and password rules shown up front."""
    return _auth_form(page, register=True, mode=settings.registration)


@router.post("/register", response_class=HTMLResponse, dependencies=[CsrfChecked])
def register(
    page: PageDep,
    settings: SettingsDep,
    username: TextField = "",
    email: TextField = "",
    password: TextField = "",
    invite_code: TextField = "",
) -> Response:
    """Create the account and log it in (or, awaiting approval, say so); on a problem, show
    the form again with the reason."""
    try:
        user = register_from_request(
            page.request,
            page.db,
            settings,
            username=username,
            email=email.strip(),
            password=password,
            invite_code=invite_code,
        )
    except ServiceError as error:
        form = {"username": username, "email": email, "invite_code": invite_code}
        return _auth_form(page, register=True, mode=settings.registration, form=form, error=error)
    if not user.is_active:
        return page.redirect(
            "/", f"Thanks, {user.username}: an admin will approve your account; then log in."
        )
    sessions.login(page.request, page.db, user)
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
    Too many failures for the account from this address, or from the address, answer 429."""
    try:
        user = authenticate_request(page.request, page.db, username.strip(), password)
    except ServiceError as error:  # throttled, or an account that is not active
        return _auth_form(
            page, register=False, form={"username": username}, error=error, next_url=safe_next(next)
        )
    if user is None:
        wrong = ServiceError("wrong username or password")
        return _auth_form(
            page, register=False, form={"username": username}, error=wrong, next_url=safe_next(next)
        )
    sessions.login(page.request, page.db, user)
    return page.redirect(safe_next(next), f"Logged in as {user.username}.")


@router.post("/logout", dependencies=[CsrfChecked])
def logout(page: PageDep) -> RedirectResponse:
    """End the session, on the server too: a copy of the cookie no longer works."""
    sessions.logout(page.request, page.db)
    return page.redirect("/", "Logged out.")


def _account_page(page: PageDep, error: ServiceError | None = None) -> HTMLResponse:
    fields = ("current_password", "new_password")
    context = {
        "password_rules": PASSWORD_RULES,
        "errors": [error.message] if error else [],
        "field_errors": field_errors(error.message, fields) if error else {},
    }
    response = page.render("account.html", context, error.status_code if error else 200)
    response.headers.update(getattr(error, "headers", None) or {})
    return response


@router.get("/account", response_class=HTMLResponse)
def account(page: PageDep, user: PageUser) -> HTMLResponse:
    """The account page: change the password."""
    return _account_page(page)


@router.post("/account/password", response_class=HTMLResponse, dependencies=[CsrfChecked])
def account_password(
    page: PageDep,
    user: PageUser,
    current_password: TextField = "",
    new_password: TextField = "",
) -> Response:
    """Change the password; every other session and every API token of the account end."""
    try:
        if authenticate_request(page.request, page.db, user.username, current_password) is None:
            raise InvalidInput("current_password: wrong password")
        keep = sessions.current_session(page.request, page.db)
        ended, revoked = change_password(page.db, user, new_password, keep_session=keep)
    except ServiceError as error:
        page.db.rollback()
        return _account_page(page, error)
    return page.redirect(
        "/account",
        f"Password changed; {ended} other session(s) ended and {revoked} token(s) revoked.",
    )
