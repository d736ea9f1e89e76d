"""The private-board selection page: the entry's scored submissions of a phase, which one
stands for it on the private board, and the buttons to choose or return to the default."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, RedirectResponse

from app.deps import MAX_ID, IdForm
from app.routes.pages.errors import HTMLErrorRoute
from app.routes.pages.render import CsrfChecked, PageDep, PageUser, add_flash
from app.services.disclosure import split_metrics
from app.services.errors import ServiceError
from app.services.phases import list_phases
from app.services.report import headline_of
from app.services.report_format import cell
from app.services.selection import (
    clear_selection,
    phase_or_default,
    select_for_private,
    selection_for,
)

router = APIRouter(route_class=HTMLErrorRoute)


@router.get("/selection", response_class=HTMLResponse)
def selection_page(
    page: PageDep, user: PageUser, phase: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None
) -> HTMLResponse:
    """Which of the entry's submissions stands on the phase's private board."""
    chosen = selection_for(page.db, user, phase_or_default(page.db, phase))
    rows = []
    for submission in chosen.candidates:
        result = submission.current_result
        metrics = split_metrics(result, "public") if result is not None else None
        f1 = headline_of(metrics or {})
        rows.append({"submission": submission, "public_f1": cell(f1, 4)})
    context = {"selection": chosen, "rows": rows, "phases": list_phases(page.db)}
    return page.render("selection.html", context)


def _back(phase_id: int) -> RedirectResponse:
    return RedirectResponse(f"/selection?phase={phase_id}", status_code=303)


@router.post("/selection", dependencies=[CsrfChecked])
def select_form(
    page: PageDep,
    user: PageUser,
    submission_id: IdForm,
    phase: IdForm,
) -> RedirectResponse:
    """Select a submission for the private board."""
    try:
        chosen = select_for_private(page.db, user, submission_id)
        add_flash(page.request, f"Submission {submission_id} stands for you on the private board.")
        return _back(chosen.phase.id)
    except ServiceError as error:
        page.db.rollback()
        add_flash(page.request, error.message, "error")
        return _back(phase)


@router.post("/selection/default", dependencies=[CsrfChecked])
def default_form(page: PageDep, user: PageUser, phase: IdForm) -> RedirectResponse:
    """Drop the choice: the best public submission stands again."""
    try:
        clear_selection(page.db, user, phase)
        add_flash(page.request, "Your best public submission stands on the private board.")
    except ServiceError as error:
        page.db.rollback()
        add_flash(page.request, error.message, "error")
    return _back(phase)
