"""HTTP routers: `app.routes.api` (the REST API under /api/v1, the health check, the API
docs) and `app.routes.pages` (the HTML pages)."""
