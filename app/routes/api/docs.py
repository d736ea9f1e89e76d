"""The API documentation pages, `/docs` (Swagger UI) and `/redoc`, served without a CDN.

The Swagger UI and ReDoc bundles come with the `fastapi-offline` package and are served
under `/static/docs`, so the pages work offline and their Content-Security-Policy admits
scripts from this site only, plus the one inline script that starts Swagger UI (by its
hash). Both viewers inject their own styles, hence `'unsafe-inline'` for styles on these
pages alone; ReDoc runs its search index in a worker built from a `blob:` URL, and shows
its maker's logo from their site (the only image not served from here).
"""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS_DIR = Path(fastapi_offline.__file__).resolve().parent / "static"
ASSETS_URL = "/static/docs"
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"
DOCS_POLICY = (
    "default-src 'self'; script-src {script_src}; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: {images}; font-src 'self' data:; connect-src 'self'; "
    "worker-src 'self' blob:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)

router = APIRouter(include_in_schema=False)
assets = StaticFiles(directory=ASSETS_DIR)


REDOC_LOGO_ORIGIN = "https://cdn.redoc.ly"


def with_policy(page: HTMLResponse, images: str = "") -> HTMLResponse:
    """`page` with a policy that admits exactly its own inline scripts (by SHA-256) and
    images from this site and from `images` (space-separated origins)."""
    digests = (hashlib.sha256(script).digest() for script in INLINE_SCRIPT.findall(page.body))
    sources = ["'self'", *(f"'sha256-{base64.b64encode(digest).decode()}'" for digest in digests)]
    policy = DOCS_POLICY.format(script_src=" ".join(sources), images=images)
    page.headers["Content-Security-Policy"] = policy.replace(" ;", ";")
    return page


@router.get("/docs")
def swagger_ui(request: Request) -> HTMLResponse:
    """Swagger UI on the service's OpenAPI document."""
    return with_policy(
        get_swagger_ui_html(
            openapi_url=request.app.openapi_url,
            title=f"{request.app.title} - Swagger UI",
            oauth2_redirect_url=OAUTH2_REDIRECT_URL,
            swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS_URL}/favicon.png",
        )
    )


@router.get(OAUTH2_REDIRECT_URL)
def swagger_ui_redirect() -> HTMLResponse:
    """The page Swagger UI's OAuth2 flow returns to."""
    return with_policy(get_swagger_ui_oauth2_redirect_html())


@router.get("/redoc")
def redoc(request: Request) -> HTMLResponse:
    """ReDoc on the service's OpenAPI document."""
    return with_policy(
        get_redoc_html(
            openapi_url=request.app.openapi_url,
            title=f"{request.app.title} - ReDoc",
            redoc_js_url=f"{ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{ASSETS_URL}/favicon.png",
            with_google_fonts=False,
        ),
        images=REDOC_LOGO_ORIGIN,
    )
