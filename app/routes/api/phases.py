"""`/api/v1/phases` (public) and `/api/v1/admin/phases` (admins): phases of dataset versions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from fastapi.responses import PlainTextResponse

from app.deps import MAX_ID, AdminUser, CeleryDep, IdPath, SessionDep
from app.schemas import (
    DatasetVersionPublic,
    EditionCreate,
    EditionQueued,
    PhaseCreate,
    PhasePublic,
    PhasesPublic,
)
from app.services.closing import close_phase
from app.services.phase_report import phase_report, report_csv, report_tex
from app.services.phases import create_phase, get_phase, list_phases, open_edition

router = APIRouter(tags=["phases"])


@router.get("/phases", response_model=PhasesPublic)
def phases(
    db: SessionDep,
    dataset: Annotated[int | None, Query(ge=1, le=MAX_ID, description="one version's")] = None,
) -> PhasesPublic:
    """Every phase, newest first, with its state."""
    rows = [PhasePublic.model_validate(phase) for phase in list_phases(db, dataset)]
    return PhasesPublic(data=rows, count=len(rows))


@router.get("/phases/{phase_id}", response_model=PhasePublic)
def phase_detail(phase_id: IdPath, db: SessionDep) -> PhasePublic:
    """One phase."""
    return PhasePublic.model_validate(get_phase(db, phase_id))


@router.post("/admin/phases", response_model=PhasePublic, status_code=status.HTTP_201_CREATED)
def new_phase(body: PhaseCreate, db: SessionDep, admin: AdminUser) -> PhasePublic:
    """Open a phase on a dataset version: `continuous` (no end needed) or `edition`."""
    return PhasePublic.model_validate(create_phase(db, admin, body))


@router.post("/admin/phases/{phase_id}/close", response_model=PhasePublic)
def close(phase_id: IdPath, db: SessionDep, admin: AdminUser) -> PhasePublic:
    """Close a phase now: uploads end, its leaderboard is frozen as a snapshot
    (`snapshot_sha256`) and its private split revealed; 409 if it is closed already. While
    submissions uploaded before the close are still being scored the phase is closing
    (`state` closed, `closed_at` and `snapshot_sha256` null): the beat freezes it when they
    are done."""
    phase = get_phase(db, phase_id)
    close_phase(db, phase, admin)
    return PhasePublic.model_validate(phase)


def _download(text: str, media_type: str, filename: str) -> PlainTextResponse:
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return PlainTextResponse(text, media_type=media_type, headers=headers)


@router.get("/phases/{phase_id}/report.tex", response_class=PlainTextResponse, responses={409: {}})
def report_latex(phase_id: IdPath, db: SessionDep) -> PlainTextResponse:
    """A closed phase's paper tables (Tables 1, 2 and 4 of SHREC'19, best values in bold) as
    a LaTeX document; 409 while the phase is open."""
    report = phase_report(db, get_phase(db, phase_id))
    return _download(report_tex(report), "application/x-tex", f"phase-{phase_id}.tex")


@router.get("/phases/{phase_id}/report.csv", response_class=PlainTextResponse, responses={409: {}})
def report_table(phase_id: IdPath, db: SessionDep) -> PlainTextResponse:
    """The same figures as CSV, one row per ranked entry; 409 while the phase is open."""
    report = phase_report(db, get_phase(db, phase_id))
    return _download(report_csv(report), "text/csv", f"phase-{phase_id}.csv")


@router.post("/admin/editions", response_model=EditionQueued, status_code=status.HTTP_202_ACCEPTED)
def new_edition(
    body: EditionCreate, db: SessionDep, celery: CeleryDep, admin: AdminUser
) -> EditionQueued:
    """A fresh edition in one action: a new version simulated with the same settings and a
    new secret seed, activated when ready, and the edition phase on it, which opens then."""
    phase, version = open_edition(db, celery, admin, body)
    return EditionQueued(
        phase=PhasePublic.model_validate(phase),
        dataset_version=DatasetVersionPublic.model_validate(version),
    )
