"""The API token page: create a token (shown once) and revoke tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse, RedirectResponse

from app.deps import IdPath, SettingsDep
from app.models import TokenScope, User
from app.routes.pages.errors import HTMLErrorRoute
from app.routes.pages.render import CsrfChecked, PageDep, PageUser
from app.services.errors import InvalidInput, ServiceError
from app.services.tokens import create_token, list_tokens, revoke_token

router = APIRouter(route_class=HTMLErrorRoute)


def _tokens_page(
    page: PageDep,
    user: User,
    new_token: str | None = None,
    form: dict[str, str] | None = None,
    error: ServiceError | None = None,
) -> HTMLResponse:
    context = {
        "tokens": list_tokens(page.db, user),
        "new_token": new_token,
        "form": form or {},
        "errors": [error.message] if error else [],
        "lifetime_days": page.request.app.state.settings.token_lifetime_days,
    }
    return page.render("tokens.html", context, error.status_code if error else 200)


@router.get("/tokens", response_class=HTMLResponse)
def tokens(page: PageDep, user: PageUser) -> HTMLResponse:
    """The user's tokens and the form to create one."""
    return _tokens_page(page, user)


@router.post("/tokens", response_class=HTMLResponse, dependencies=[CsrfChecked])
def create_token_form(
    page: PageDep,
    user: PageUser,
    settings: SettingsDep,
    name: Annotated[str, Form(max_length=2000)] = "",
    scope: Annotated[str, Form(max_length=20)] = TokenScope.FULL.value,
    expires_in_days: Annotated[str, Form(max_length=20)] = "",
) -> HTMLResponse:
    """Create a token and show its plaintext this one time (never stored, never shown again)."""
    form = {"name": name, "scope": scope, "expires_in_days": expires_in_days}
    try:
        if scope not in {s.value for s in TokenScope}:
            raise InvalidInput(f"scope: 'full' or 'submit', got {scope!r}")
        days = expires_in_days.strip()
        if days and not days.isdigit():
            raise InvalidInput(f"expires_in_days: a whole number of days, got {days!r}")
        _, plaintext = create_token(
            page.db,
            user,
            name.strip(),
            scope=TokenScope(scope),
            expires_in_days=int(days) if days else None,
            default_days=settings.token_lifetime_days,
        )
    except ServiceError as error:
        page.db.rollback()
        return _tokens_page(page, user, form=form, error=error)
    return _tokens_page(page, user, new_token=plaintext)


@router.post("/tokens/{token_id}/revoke", dependencies=[CsrfChecked])
def revoke_token_form(page: PageDep, user: PageUser, token_id: IdPath) -> RedirectResponse:
    """Revoke one of the user's tokens (someone else's answers 404)."""
    token = revoke_token(page.db, user, token_id)
    return page.redirect("/tokens", f"Token {token.name or token.token_prefix} revoked.")
