"""The app factory: `create_app(settings)` wires routers, sessions, static files and templates."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.middleware.sessions import SessionMiddleware

from app.core.config import Settings
from app.core.secret_key import session_secret
from app.db import session_factory
from app.errors import install_error_handlers
from app.middleware import BodyReadDeadline, BodySizeLimit, SecurityHeaders
from app.queues.celery_app import create_celery_app
from app.routes import api, pages
from app.routes.api import docs, health

APP_DIR = Path(__file__).resolve().parent
API_PREFIX = "/api/v1"
# room for the multipart envelope and the form's text fields around the file itself
MULTIPART_OVERHEAD_BYTES = 256 * 1024


def create_app(settings: Settings | None = None) -> FastAPI:
    """A ready-to-serve app for `settings` (read from the environment when omitted).

    Nothing is migrated or seeded here; `tomobench serve` and `tomobench db upgrade` do that.
    """
    settings = settings or Settings()
    app = FastAPI(
        title="tomobench",
        summary="Continuous benchmark for particle picking in cryo-electron tomograms",
        version="0.1.0",
        docs_url=None,  # app.routes.api.docs serves /docs and /redoc without a CDN
        redoc_url=None,
        openapi_url=f"{API_PREFIX}/openapi.json",
    )
    app.state.settings = settings
    app.state.session_factory = session_factory(settings.sqlalchemy_url)
    app.state.celery = create_celery_app(settings)
    app.state.templates = Jinja2Templates(directory=APP_DIR / "templates")

    install_error_handlers(app)
    app.add_middleware(
        SessionMiddleware,
        secret_key=session_secret(settings),
        session_cookie="tomobench_session",
        max_age=settings.session_max_age_s,
        same_site="lax",
        https_only=settings.session_cookie_secure,
    )
    app.add_middleware(
        BodySizeLimit, max_body_bytes=settings.max_upload_bytes + MULTIPART_OVERHEAD_BYTES
    )
    app.add_middleware(BodyReadDeadline, timeout_s=settings.http_body_timeout_s)
    app.add_middleware(SecurityHeaders)  # added last: outermost, so every answer has them

    app.include_router(health.router)
    app.include_router(docs.router)
    app.include_router(api.router, prefix=API_PREFIX)
    # mounted before /static, which would otherwise catch its paths
    app.mount(docs.ASSETS_URL, docs.assets, name="docs-assets")
    app.mount("/static", StaticFiles(directory=APP_DIR / "static"), name="static")
    app.include_router(pages.router)
    return app
