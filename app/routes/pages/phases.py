"""The report page of a closed phase: the paper's tables, the per-class figure of every
entry, each entry's method card and the rank groups."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from app.deps import IdPath
from app.routes.pages.errors import HTMLErrorRoute
from app.routes.pages.render import PageDep
from app.services.phase_report import entries_f1_svg, phase_report
from app.services.phases import get_phase

router = APIRouter(route_class=HTMLErrorRoute)


@router.get("/phases/{phase_id}/report", response_class=HTMLResponse)
def phase_report_page(page: PageDep, phase_id: IdPath) -> HTMLResponse:
    """The edition's paper, from its frozen snapshot (409 while the phase is open)."""
    report = phase_report(page.db, get_phase(page.db, phase_id))
    return page.render("phase_report.html", {"report": report})


@router.get("/phases/{phase_id}/report/f1.svg")
def phase_report_figure(page: PageDep, phase_id: IdPath) -> Response:
    """The per-class F1 of every entry as SVG (fixed once the phase is closed)."""
    report = phase_report(page.db, get_phase(page.db, phase_id))
    headers = {"Cache-Control": "public, max-age=3600", "ETag": f'"{report.snapshot_sha256}"'}
    return Response(entries_f1_svg(report), media_type="image/svg+xml", headers=headers)
