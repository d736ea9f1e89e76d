"""`/api/v1/submissions`: upload result files, follow their status, download their scores."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile, status
from fastapi.responses import PlainTextResponse

from app.deps import (
    CeleryDep,
    CurrentUser,
    IdPath,
    PaginationDep,
    SessionDep,
    SettingsDep,
)
from app.schemas import QuotaPublic, SubmissionCreated, SubmissionPublic, SubmissionsPublic
from app.services.disclosure import visible_metrics
from app.services.phases import parse_phase_id
from app.services.results import result_csv, scored_result
from app.services.storage import read_limited
from app.services.submissions import (
    accept_upload,
    get_submission,
    list_submissions,
    upload_options,
)

router = APIRouter(prefix="/submissions", tags=["submissions"])


@router.post(
    "",
    response_model=SubmissionCreated,
    status_code=status.HTTP_201_CREATED,
    responses={413: {}, 422: {}, 429: {}, 503: {}},
)
def submit(
    db: SessionDep,
    settings: SettingsDep,
    celery: CeleryDep,
    user: CurrentUser,
    file: Annotated[UploadFile, File(description="the result file (docs/evaluation.md)")],
    method: Annotated[str, Form(max_length=1000)],
    description: Annotated[str, Form(max_length=20000)] = "",
    team: Annotated[
        str, Form(max_length=1000, description="optional; if given, must name your team")
    ] = "",
    format: Annotated[str, Form(max_length=100, description="force a format")] = "",
    class_name: Annotated[
        str, Form(alias="class", max_length=1000, description="class of a class-less file")
    ] = "",
    pixel_size: Annotated[
        str, Form(max_length=100, description="Å per pixel of coordinates at another binning")
    ] = "",
    allow_misframed: Annotated[
        bool, Form(description="score a file whose coordinates look misframed")
    ] = False,
    phase: Annotated[
        str, Form(max_length=100, description="phase id (default: the open continuous phase)")
    ] = "",
) -> SubmissionCreated:
    """Upload a result file to a phase (default: the open continuous phase of the active
    dataset version); it is validated, then queued. A phase that takes no uploads now refuses
    it with 409 and no quota cost.

    A bad file is refused with 422 naming the line and the problem, and costs no quota; so
    is a file whose coordinates look misframed (in Å, Z first, the wrong Z offset, binned),
    with the diagnosis, unless `allow_misframed`.
    """
    options = upload_options(format, class_name, pixel_size, allow_misframed)
    phase_id = parse_phase_id(phase)
    data = read_limited(file.file, settings.max_upload_bytes)
    submission, quota = accept_upload(
        db,
        settings,
        celery,
        user,
        data,
        filename=file.filename,
        method=method,
        description=description,
        team=team,
        options=options,
        phase_id=phase_id,
    )
    shown = QuotaPublic(**vars(quota))
    return SubmissionCreated(id=submission.id, status=submission.status, quota=shown)


@router.get("", response_model=SubmissionsPublic, response_model_exclude_unset=True)
def my_submissions(
    db: SessionDep, user: CurrentUser, pagination: PaginationDep
) -> SubmissionsPublic:
    """The caller's submissions, newest first, with live status."""
    rows, count = list_submissions(db, user, limit=pagination.limit, offset=pagination.offset)
    return SubmissionsPublic.seen_by(rows, count, user)


@router.get("/{submission_id}", response_model=SubmissionPublic, response_model_exclude_unset=True)
def submission_detail(submission_id: IdPath, db: SessionDep, user: CurrentUser) -> SubmissionPublic:
    """One submission: status, reason if failed, and the evaluator's JSON under `result`."""
    return SubmissionPublic.seen_by(get_submission(db, user, submission_id), user)


@router.get("/{submission_id}/result.json", responses={409: {}})
def result_json(submission_id: IdPath, db: SessionDep, user: CurrentUser) -> dict[str, object]:
    """The evaluator's JSON of the current result (409 while not scored); participants get it
    without curves and rounded while the dataset version is open (`disclosure` says so)."""
    submission, result = scored_result(db, user, submission_id)
    return visible_metrics(result, user, submission)


@router.get("/{submission_id}/result.csv", response_class=PlainTextResponse, responses={409: {}})
def result_csv_download(
    submission_id: IdPath, db: SessionDep, user: CurrentUser
) -> PlainTextResponse:
    """The current result flattened to `metric,value` CSV rows (409 while not scored)."""
    submission, result = scored_result(db, user, submission_id)
    metrics = visible_metrics(result, user, submission)
    return PlainTextResponse(
        result_csv(submission, result, metrics),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="submission-{submission.id}.csv"'},
    )
