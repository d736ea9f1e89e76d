"""Submission pages: the upload form, my submissions with live status, and the report page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import HTMLResponse, Response

from app.deps import CeleryDep, IdPath, SettingsDep
from app.models import Phase, Submission, SubmissionStatus, User
from app.routes.pages.errors import HTMLErrorRoute
from app.routes.pages.render import CsrfChecked, PageDep, PageUser, field_errors
from app.services.disclosure import sees_everything, visible_metrics
from app.services.errors import NotFound, ServiceError
from app.services.method_cards import method_card_for
from app.services.phases import open_phases, parse_phase_id
from app.services.quota import quota_status, until
from app.services.report import build_czii_report, build_report, headline_of
from app.services.report_figure_cache import result_figure_svg
from app.services.report_figures import FIGURES, report_figures
from app.services.report_format import cell
from app.services.storage import read_limited
from app.services.submissions import (
    accept_upload,
    get_submission,
    list_submissions,
    upload_options,
)

router = APIRouter(route_class=HTMLErrorRoute)


def _chosen_phase(phases: list[Phase], wanted: str) -> Phase | None:
    """The phase the form has selected: the one asked for, else the first (the default)."""
    return next((p for p in phases if str(p.id) == wanted), phases[0] if phases else None)


PENDING = frozenset({SubmissionStatus.RECEIVED, SubmissionStatus.QUEUED, SubmissionStatus.RUNNING})
SUBMIT_FIELDS = ("file", "method", "description", "format", "class", "pixel_size", "phase")
TextField = Annotated[str, Form(max_length=20000)]


def _submit_page(
    page: PageDep,
    user: User,
    settings: SettingsDep,
    form: dict[str, str] | None = None,
    error: ServiceError | None = None,
) -> HTMLResponse:
    phases = open_phases(page.db)
    chosen = _chosen_phase(phases, (form or {}).get("phase", ""))
    quota = quota_status(page.db, user, settings, phase=chosen)
    context = {
        "phases": phases,
        "chosen_phase": chosen,
        "quota_left": "unlimited" if quota.remaining is None else quota.remaining,
        "quota_limit": quota.limit,
        "quota_resets_at": quota.resets_at,
        "quota_resets_in": until(quota.resets_at),
        "quota_team": quota.team,
        "form": form or {},
        "errors": [error.message] if error else [],
        "field_errors": field_errors(error.message, SUBMIT_FIELDS) if error else {},
    }
    return page.render("submit.html", context, error.status_code if error else 200)


@router.get("/submit", response_class=HTMLResponse)
def submit_form(page: PageDep, user: PageUser, settings: SettingsDep) -> HTMLResponse:
    """The upload form with today's remaining quota."""
    return _submit_page(page, user, settings)


@router.post("/submit", response_class=HTMLResponse, dependencies=[CsrfChecked])
def submit_upload(
    page: PageDep,
    user: PageUser,
    settings: SettingsDep,
    celery: CeleryDep,
    file: Annotated[UploadFile | None, File()] = None,
    method: TextField = "",
    description: TextField = "",
    format: TextField = "",
    class_name: Annotated[str, Form(alias="class", max_length=20000)] = "",
    pixel_size: TextField = "",
    allow_misframed: Annotated[bool, Form()] = False,
    phase: TextField = "",
) -> Response:
    """Validate, store and queue the file; a refused file is explained on the kept form."""
    filename = (file.filename or "") if file is not None else ""
    form = {"method": method, "description": description, "filename": filename}
    form.update({"format": format, "class": class_name, "pixel_size": pixel_size, "phase": phase})
    try:
        if file is None or not filename:
            raise ServiceError("file: choose a predictions file to upload")
        options = upload_options(format, class_name, pixel_size, allow_misframed)
        phase_id = parse_phase_id(phase)
        data = read_limited(file.file, settings.max_upload_bytes)
        submission, _ = accept_upload(
            page.db,
            settings,
            celery,
            user,
            data,
            filename=filename,
            method=method,
            description=description,
            options=options,
            phase_id=phase_id,
        )
    except ServiceError as error:
        page.db.rollback()
        return _submit_page(page, user, settings, form, error)
    message = f"Submission {submission.id} received: {submission.predictions} predictions."
    return page.redirect("/submissions", message)


def _f1_of(submission: Submission, viewer: User) -> object:
    result = submission.current_result
    if result is None:
        return None
    return headline_of(visible_metrics(result, viewer, submission))


@router.get("/submissions", response_class=HTMLResponse)
def my_submissions(page: PageDep, user: PageUser) -> HTMLResponse:
    """The user's submissions, newest first, refreshed while any is pending."""
    submissions, _ = list_submissions(page.db, user, limit=200)
    rows = [
        {
            "submission": submission,
            "dataset_name": submission.dataset_version.name,
            "phase_name": submission.phase.name,
            "f1": cell(_f1_of(submission, user), 4),
        }
        for submission in submissions
    ]
    pending = any(submission.status in PENDING for submission in submissions)
    return page.render("submissions.html", {"submissions": rows, "pending": pending})


@router.get("/submissions/{submission_id}", response_class=HTMLResponse)
def submission_report(page: PageDep, user: PageUser, submission_id: IdPath) -> HTMLResponse:
    """The report of one submission (owner, organizers, admins); its status while pending."""
    submission = get_submission(page.db, user, submission_id)
    result = submission.current_result
    metrics = visible_metrics(result, user, submission) if result else None
    czii = build_czii_report(metrics) if metrics is not None else None  # a real-data track
    card = method_card_for(page.db, submission)
    context = {
        "submission": submission,
        "method_card_id": card.id if card is not None else None,
        "czii": czii,
        "report": build_report(metrics) if metrics is not None and czii is None else None,
        "figures": report_figures(metrics) if metrics is not None and czii is None else {},
        "pending": submission.status in PENDING,
        "public_part": metrics is not None and metrics.get("split") == "public",
    }
    return page.render("report.html", context)


@router.get("/submissions/{submission_id}/figures/{name}.svg")
def submission_figure(
    page: PageDep, user: PageUser, settings: SettingsDep, submission_id: IdPath, name: str
) -> Response:
    """One report figure as SVG, drawn once per view of a result and then read from its file
    (app/services/report_figure_cache.py). Figures are deterministic, so a result's figure
    keeps its ETag (result id and last update): browsers revalidate with a cheap 304."""
    submission = get_submission(page.db, user, submission_id)
    result = submission.current_result
    if result is None or name not in FIGURES:
        raise NotFound(f"no figure {name} for submission {submission_id}")
    view = "full" if sees_everything(user, submission.phase) else "participant"
    etag = f'"{result.id}-{result.updated_at.timestamp():.0f}-{name}-{view}"'
    headers = {"Cache-Control": "private, max-age=300", "ETag": etag}
    if page.request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    document = visible_metrics(result, user, submission)
    svg = result_figure_svg(settings.resolved_data_dir, result.id, name, document)
    if svg is None:
        raise NotFound(f"submission {submission_id} has no data for the {name} figure")
    return Response(svg, media_type="image/svg+xml", headers=headers)
