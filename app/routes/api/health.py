"""`GET /healthz`: 200 once the web app, the database and a worker are ready, else 503."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from app.deps import SessionDep, SettingsDep
from app.schemas import HealthPublic
from app.services.health import check_health

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=HealthPublic, responses={503: {"model": HealthPublic}})
def healthz(db: SessionDep, settings: SettingsDep) -> JSONResponse:
    """Readiness of the whole service (web, database, at least one live worker)."""
    health = check_health(db, settings)
    body = HealthPublic(
        status="ok" if health.ready else "starting",
        database="ok" if health.database else "unreachable",
        workers=health.workers,
        dataset=health.dataset,
    )
    return JSONResponse(body.model_dump(), status_code=200 if health.ready else 503)
