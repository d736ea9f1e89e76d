"""Administration pages for people: everyone's submissions (organizers may hide one from the
leaderboard, with a reason) and the accounts with their roles (admins). The forms call the
same services as `/api/v1/admin`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.deps import MAX_ID, IdPath
from app.models import Role
from app.routes.pages.admin import PageAdmin, PageStaff
from app.routes.pages.errors import HTMLErrorRoute
from app.routes.pages.render import CsrfChecked, PageDep, add_flash
from app.routes.pages.submissions import _f1_of as f1_of
from app.services.errors import ServiceError
from app.services.invites import create_invite, delete_invite, list_invites
from app.services.moderation import find_submission, set_hidden
from app.services.quota import parse_daily_quota, set_daily_quota
from app.services.report_format import cell
from app.services.submissions import list_submissions
from app.services.users import get_user, list_users, reset_password, set_active, set_role

router = APIRouter(route_class=HTMLErrorRoute)

PAGE_SIZE = 100


@router.get("/admin/submissions", response_class=HTMLResponse)
def admin_submissions(
    page: PageDep, user: PageStaff, offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0
) -> HTMLResponse:
    """Everyone's submissions, newest first, with their reports and the hide forms."""
    submissions, count = list_submissions(page.db, None, limit=PAGE_SIZE, offset=offset)
    rows = [{"submission": row, "f1": cell(f1_of(row, user), 4)} for row in submissions]
    context = {
        "rows": rows,
        "count": count,
        "offset": offset,
        "next_offset": offset + PAGE_SIZE if offset + PAGE_SIZE < count else None,
        "previous_offset": max(offset - PAGE_SIZE, 0) if offset else None,
    }
    return page.render("admin/submissions.html", context)


def _moderate(
    page: PageDep, submission_id: int, reason: str | None, whole_entry: bool = False
) -> RedirectResponse:
    """Hide (with a reason) or show a submission, then return to the list with the outcome."""
    try:
        found = find_submission(page.db, submission_id)
        submission = set_hidden(page.db, found, reason, page.user, whole_entry=whole_entry)
        shown = "hidden from" if submission.hidden else "back on"
        add_flash(page.request, f"Submission {submission.id} is {shown} the leaderboard.")
    except ServiceError as error:
        page.db.rollback()
        add_flash(page.request, f"Submission {submission_id}: {error.message}", "error")
    return RedirectResponse(f"/admin/submissions#submission-{submission_id}", status_code=303)


@router.post("/admin/submissions/{submission_id}/hide", dependencies=[CsrfChecked])
def admin_hide(
    page: PageDep,
    user: PageStaff,
    submission_id: IdPath,
    reason: Annotated[str, Form(max_length=2000)] = "",
    whole_entry: Annotated[bool, Form()] = False,
) -> RedirectResponse:
    """Take a submission (or its whole entry in its phase) off the leaderboard, saying why."""
    return _moderate(page, submission_id, reason, whole_entry)


@router.post("/admin/submissions/{submission_id}/unhide", dependencies=[CsrfChecked])
def admin_unhide(page: PageDep, user: PageStaff, submission_id: IdPath) -> RedirectResponse:
    """Put a hidden submission back on the leaderboard."""
    return _moderate(page, submission_id, None)


def _users_page(
    page: PageDep, new_invite: str | None = None, new_password: tuple[str, str] | None = None
) -> HTMLResponse:
    settings = page.request.app.state.settings
    context = {
        "new_password": new_password,
        "site_quota": settings.daily_quota,
        "users": list_users(page.db),
        "roles": [r.value for r in Role],
        "registration": settings.registration,
        "invites": list_invites(page.db),
        "new_invite": new_invite,
        "invite_lifetime_days": settings.invite_lifetime_days,
    }
    return page.render("admin/users.html", context)


@router.get("/admin/users", response_class=HTMLResponse)
def admin_users(page: PageDep, user: PageAdmin) -> HTMLResponse:
    """Every account with its role and state; invitations."""
    return _users_page(page)


@router.post("/admin/users/{user_id}/active", dependencies=[CsrfChecked])
def admin_change_active(
    page: PageDep, user: PageAdmin, user_id: IdPath, active: Annotated[bool, Form()]
) -> RedirectResponse:
    """Approve or re-activate an account, or deactivate it (its sessions and tokens end)."""
    account = get_user(page.db, user_id)

    def change() -> str:
        set_active(page.db, account, active)
        if active:
            return f"{account.username} is active."
        return f"{account.username} is deactivated; its sessions and tokens ended."

    return page.act(change, "/admin/users")


@router.post("/admin/users/{user_id}/quota", dependencies=[CsrfChecked])
def admin_change_quota(
    page: PageDep,
    user: PageAdmin,
    user_id: IdPath,
    daily_quota: Annotated[str, Form(max_length=20)] = "",
) -> RedirectResponse:
    """Give a participant a daily quota of their own; empty: the site's setting."""
    account = get_user(page.db, user_id)

    def change() -> str:
        set_daily_quota(page.db, account, parse_daily_quota(daily_quota))
        shown = daily_quota.strip() or f"the site's {page.request.app.state.settings.daily_quota}"
        return f"{account.username}'s daily quota is now {shown}."

    return page.act(change, "/admin/users")


@router.post(
    "/admin/users/{user_id}/reset-password",
    response_class=HTMLResponse,
    dependencies=[CsrfChecked],
)
def admin_reset_password(page: PageDep, user: PageAdmin, user_id: IdPath) -> Response:
    """Give an account a new random password, shown this once; its sessions and tokens end."""
    account = get_user(page.db, user_id)
    password = reset_password(page.db, account)
    return _users_page(page, new_password=(account.username, password))


@router.post("/admin/invites", response_class=HTMLResponse, dependencies=[CsrfChecked])
def admin_new_invite(
    page: PageDep, user: PageAdmin, note: Annotated[str, Form(max_length=2000)] = ""
) -> Response:
    """Create a single-use invitation and show its code this once."""
    try:
        days = page.request.app.state.settings.invite_lifetime_days
        _, code = create_invite(page.db, user, note, days)
    except ServiceError as error:
        page.db.rollback()
        add_flash(page.request, error.message, "error")
        return RedirectResponse("/admin/users", status_code=303)
    return _users_page(page, new_invite=code)


@router.post("/admin/invites/{invite_id}/delete", dependencies=[CsrfChecked])
def admin_delete_invite(page: PageDep, user: PageAdmin, invite_id: IdPath) -> RedirectResponse:
    """Withdraw an unused invitation."""

    def withdraw() -> str:
        delete_invite(page.db, invite_id)
        return f"Invite {invite_id} withdrawn."

    return page.act(withdraw, "/admin/users")


@router.post("/admin/users/{user_id}/role", dependencies=[CsrfChecked])
def admin_change_role(
    page: PageDep,
    user: PageAdmin,
    user_id: IdPath,
    role: Annotated[Role, Form()],
) -> RedirectResponse:
    """Make an account a participant, organizer or admin (never the last admin less)."""
    account = get_user(page.db, user_id)

    def change() -> str:
        set_role(page.db, account, role)
        return f"{account.username} is now {role.value}."

    return page.act(change, "/admin/users")
