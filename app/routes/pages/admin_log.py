"""The moderation page: organizers rename teams and methods and merge entries, and read the
log of every rename, hide, show and merge (who, when, what, why)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse, RedirectResponse

from app.deps import IdForm
from app.routes.pages.admin import PageStaff
from app.routes.pages.errors import HTMLErrorRoute
from app.routes.pages.render import CsrfChecked, PageDep, add_flash
from app.services.errors import InvalidInput, ServiceError
from app.services.moderation import (
    find_submission,
    merge_into_team,
    moderation_log,
    rename_method,
    rename_team_entry,
)

router = APIRouter(route_class=HTMLErrorRoute)

Text = Annotated[str, Form(max_length=2000)]


@router.get("/admin/moderation", response_class=HTMLResponse)
def admin_moderation(page: PageDep, user: PageStaff) -> HTMLResponse:
    """The moderation forms and the log, newest first."""
    return page.render("admin/moderation.html", {"log": moderation_log(page.db)})


def _act(page: PageDep, action: Callable[[], str]) -> RedirectResponse:
    """Run a moderation action; back to the page with its outcome or its problem."""
    try:
        add_flash(page.request, action())
    except ServiceError as error:
        page.db.rollback()
        add_flash(page.request, error.message, "error")
    return RedirectResponse("/admin/moderation", status_code=303)


@router.post("/admin/moderation/rename-team", dependencies=[CsrfChecked])
def rename_team_form(
    page: PageDep, user: PageStaff, team_id: IdForm, name: Text = "", reason: Text = ""
) -> RedirectResponse:
    """Give a team another name."""

    def rename() -> str:
        team = rename_team_entry(page.db, user, team_id, name, reason)
        return f"Team {team.id} is now '{team.name}'."

    return _act(page, rename)


@router.post("/admin/moderation/rename-method", dependencies=[CsrfChecked])
def rename_method_form(
    page: PageDep, user: PageStaff, submission_id: IdForm, method: Text = "", reason: Text = ""
) -> RedirectResponse:
    """Give a submission's method another name."""

    def rename() -> str:
        found = find_submission(page.db, submission_id)
        submission = rename_method(page.db, user, found, method, reason)
        return f"Submission {submission.id} is now '{submission.method}'."

    return _act(page, rename)


@router.post("/admin/moderation/merge", dependencies=[CsrfChecked])
def merge_form(
    page: PageDep,
    user: PageStaff,
    into_team_id: IdForm,
    source: Text = "",
    reason: Text = "",
) -> RedirectResponse:
    """Merge a team (`team:ID` or its id) or a participant (a username) into a team."""

    def merge() -> str:
        text = source.strip()
        if not text:
            raise InvalidInput("source: a team id or a username to merge")
        team_id = text.removeprefix("team:")
        by_team = team_id.isdigit()
        team = merge_into_team(
            page.db,
            user,
            into_team_id,
            source_team_id=int(team_id) if by_team else None,
            source_username=None if by_team else text,
            reason=reason,
        )
        return f"Merged {text} into team '{team.name}'."

    return _act(page, merge)
