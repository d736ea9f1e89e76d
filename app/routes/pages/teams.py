"""The team page: create a team, invite members, accept or decline invitations, leave."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse, Response

from app.deps import IdPath, SettingsDep
from app.models import User
from app.routes.pages.errors import HTMLErrorRoute
from app.routes.pages.render import CsrfChecked, PageDep, PageUser, field_errors
from app.services.errors import ServiceError
from app.services.quota import quota_status
from app.services.teams import (
    create_team,
    decline_invite,
    invite_member,
    join_team,
    leave_team,
    my_team,
    withdraw_invite,
)

router = APIRouter(route_class=HTMLErrorRoute)

NameField = Annotated[str, Form(max_length=2000)]


def _team_page(
    page: PageDep,
    user: User,
    settings: SettingsDep,
    form: dict[str, str] | None = None,
    error: ServiceError | None = None,
) -> HTMLResponse:
    context = {
        "mine": my_team(page.db, user),
        "quota": quota_status(page.db, user, settings),
        "form": form or {},
        "errors": [error.message] if error else [],
        "field_errors": field_errors(error.message, ("name", "username")) if error else {},
    }
    return page.render("team.html", context, error.status_code if error else 200)


@router.get("/team", response_class=HTMLResponse)
def team_page(page: PageDep, user: PageUser, settings: SettingsDep) -> HTMLResponse:
    """The user's team, its members and the invitations waiting for an answer."""
    return _team_page(page, user, settings)


def _act(
    page: PageDep,
    user: User,
    settings: SettingsDep,
    form: dict[str, str],
    action: Callable[[], str],
) -> Response:
    """Run a team action; back to the page with its outcome, or the form with the problem."""
    try:
        message = action()
    except ServiceError as error:
        page.db.rollback()
        return _team_page(page, user, settings, form, error)
    return page.redirect("/team", message)


@router.post("/team", response_class=HTMLResponse, dependencies=[CsrfChecked])
def create_team_form(
    page: PageDep, user: PageUser, settings: SettingsDep, name: NameField = ""
) -> Response:
    """Create a team with the user as its first member."""
    return _act(
        page,
        user,
        settings,
        {"name": name},
        lambda: f"Team {create_team(page.db, user, name).name} created.",
    )


@router.post("/team/{team_id}/invite", response_class=HTMLResponse, dependencies=[CsrfChecked])
def invite_form(
    page: PageDep, user: PageUser, settings: SettingsDep, team_id: IdPath, username: NameField = ""
) -> Response:
    """Invite a user to the team by username."""

    def invite() -> str:
        invite_member(page.db, user, team_id, username)
        return f"{username.strip()} is invited; they join when they accept on their Team page."

    return _act(page, user, settings, {"username": username}, invite)


@router.post(
    "/team/{team_id}/invites/{invite_id}/withdraw",
    response_class=HTMLResponse,
    dependencies=[CsrfChecked],
)
def withdraw_form(
    page: PageDep, user: PageUser, settings: SettingsDep, team_id: IdPath, invite_id: IdPath
) -> Response:
    """A member withdraws an invitation of the team that waits for an answer."""

    def withdraw() -> str:
        invite = withdraw_invite(page.db, user, team_id, invite_id)
        return f"The invitation of {invite.user.username} is withdrawn."

    return _act(page, user, settings, {}, withdraw)


@router.post("/team/{team_id}/join", response_class=HTMLResponse, dependencies=[CsrfChecked])
def join_form(page: PageDep, user: PageUser, settings: SettingsDep, team_id: IdPath) -> Response:
    """Accept an invitation."""
    return _act(
        page, user, settings, {}, lambda: f"You joined {join_team(page.db, user, team_id).name}."
    )


@router.post("/team/{team_id}/decline", response_class=HTMLResponse, dependencies=[CsrfChecked])
def decline_form(page: PageDep, user: PageUser, settings: SettingsDep, team_id: IdPath) -> Response:
    """Decline an invitation."""

    def decline() -> str:
        decline_invite(page.db, user, team_id)
        return "Invitation declined."

    return _act(page, user, settings, {}, decline)


@router.post("/team/{team_id}/leave", dependencies=[CsrfChecked])
def leave_form(page: PageDep, user: PageUser, settings: SettingsDep, team_id: IdPath) -> Response:
    """Leave the team; its entries stay with it."""
    return _act(
        page, user, settings, {}, lambda: f"You left {leave_team(page.db, user, team_id).name}."
    )
