"""The admins' phases page: every phase with its state, close one, and open a fresh edition
(a new hidden test with the same training data) in one action."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from app.deps import CeleryDep, IdPath
from app.routes.pages.admin import PageAdmin, posted_fields
from app.routes.pages.errors import HTMLErrorRoute
from app.routes.pages.render import CsrfChecked, PageDep, add_flash
from app.schemas import EditionCreate
from app.services.closing import close_phase
from app.services.errors import InvalidInput, ServiceError
from app.services.phases import get_phase, list_phases, open_edition

router = APIRouter(route_class=HTMLErrorRoute)


def _phases_page(
    page: PageDep, form: dict[str, str] | None = None, error: ServiceError | None = None
) -> HTMLResponse:
    phases = [{"phase": phase, "state": phase.state} for phase in list_phases(page.db)]
    context = {
        "phases": phases,
        "form": form or {},
        "errors": error.message.split("; ") if error else [],
    }
    return page.render("admin/phases.html", context, error.status_code if error else 200)


@router.get("/admin/phases", response_class=HTMLResponse)
def admin_phases(page: PageDep, user: PageAdmin) -> HTMLResponse:
    """Every phase with its window and state; the fresh-edition form."""
    return _phases_page(page)


def edition_request(fields: dict[str, str]) -> EditionCreate:
    """The API's request model filled from the form (the closing time is UTC).

    Raises:
        InvalidInput: one `field: problem` line per invalid field.
    """
    values: dict[str, Any] = {"name": fields.get("name", ""), "closes_at": fields.get("closes_at")}
    if fields.get("daily_quota"):
        values["daily_quota"] = fields["daily_quota"]
    ladder = fields.get("ladder", "")
    values["ladder"] = {"": None, "bootstrap": "bootstrap"}.get(ladder, ladder or None)
    try:
        return EditionCreate.model_validate(values)
    except ValidationError as error:
        problems = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()]
        raise InvalidInput("; ".join(problems)) from error


@router.post("/admin/phases/edition", response_class=HTMLResponse, dependencies=[CsrfChecked])
def admin_open_edition(
    page: PageDep,
    user: PageAdmin,
    celery: CeleryDep,
    fields: Annotated[dict[str, str], Depends(posted_fields)],
) -> Response:
    """Open an edition on a freshly simulated version; a refused request is explained."""
    try:
        phase, version = open_edition(page.db, celery, user, edition_request(fields))
    except ServiceError as error:
        page.db.rollback()
        return _phases_page(page, fields, error)
    message = (
        f"Edition {phase.name} is recorded; it opens when dataset version {version.name} "
        "is simulated and active."
    )
    return page.redirect("/admin/phases", message)


@router.post("/admin/phases/{phase_id}/close", dependencies=[CsrfChecked])
def admin_close_phase(page: PageDep, user: PageAdmin, phase_id: IdPath) -> RedirectResponse:
    """Close a phase now: its board frozen, its private split revealed."""
    try:
        phase = get_phase(page.db, phase_id)
        snapshot = close_phase(page.db, phase, user)
        message, category = (
            f"Phase {phase.name} is closed; its snapshot's SHA-256 is {snapshot.sha256[:16]}…."
            if snapshot is not None
            else f"Phase {phase.name} takes no more uploads; its board is frozen as soon as "
            "the submissions uploaded before the close are scored.",
            "success",
        )
    except ServiceError as error:
        page.db.rollback()
        message, category = error.message, "error"
    add_flash(page.request, message, category)
    return RedirectResponse("/admin/phases", status_code=303)
