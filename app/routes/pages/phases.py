"""The report page of a closed phase: the paper's tables, the per-class figure of every
entry, each entry's method card and the rank groups."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from app.deps import IdPath, SettingsDep
from app.routes.pages.errors import HTMLErrorRoute
from app.routes.pages.render import PageDep
from app.services.phase_report import phase_report
from app.services.phases import get_phase
from app.services.report_figure_cache import phase_report_svg

router = APIRouter(route_class=HTMLErrorRoute)


@router.get("/phases/{phase_id}/report", response_class=HTMLResponse)
def phase_report_page(page: PageDep, phase_id: IdPath) -> HTMLResponse:
    """The edition's paper, from its frozen snapshot (409 while the phase is open)."""
    report = phase_report(page.db, get_phase(page.db, phase_id))
    return page.render("phase_report.html", {"report": report})


@router.get("/phases/{phase_id}/report/f1.svg")
def phase_report_figure(page: PageDep, settings: SettingsDep, phase_id: IdPath) -> Response:
    """The per-class F1 of every entry as SVG (fixed once the phase is closed: drawn once)."""
    report = phase_report(page.db, get_phase(page.db, phase_id))
    headers = {"Cache-Control": "public, max-age=3600", "ETag": f'"{report.snapshot_sha256}"'}
    svg = phase_report_svg(settings.resolved_data_dir, report)
    return Response(svg, media_type="image/svg+xml", headers=headers)
