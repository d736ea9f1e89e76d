"""The HTML pages: home, and the page routers of accounts, tokens, submissions, the
leaderboard, datasets and administration, gathered into the one `router` the app includes.

Every page router uses `HTMLErrorRoute`, so failures answer with HTML error pages; the last
route answers unknown paths outside the API with the HTML "not found" page.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from app.routes.pages import (
    admin,
    admin_log,
    admin_moderation,
    admin_phases,
    auth,
    datasets,
    leaderboard,
    method_cards,
    phases,
    selection,
    submissions,
    teams,
    tokens,
)
from app.routes.pages.errors import HTMLErrorRoute
from app.routes.pages.render import PageDep
from app.services.errors import NotFound
from evaluation.classes import CLASSES

router = APIRouter(route_class=HTMLErrorRoute, include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(page: PageDep) -> HTMLResponse:
    """What the benchmark is and how to take part."""
    return page.render("home.html", {"classes": CLASSES})


for module in (
    auth,
    tokens,
    submissions,
    teams,
    method_cards,
    selection,
    leaderboard,
    phases,
    datasets,
    admin,
    admin_moderation,
    admin_log,
    admin_phases,
):
    router.include_router(module.router, include_in_schema=False)


@router.get("/{path:path}", response_class=HTMLResponse)
def not_found(request: Request, path: str) -> Response:
    """Unknown paths: the HTML page for browsers, the API's JSON shape under /api."""
    if path.startswith("api/"):
        return JSONResponse({"detail": "Not Found"}, status_code=404)
    raise NotFound(f"there is no page at /{path}")
