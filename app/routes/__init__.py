"""HTTP routers: the REST API under /api/v1, the health check, and the HTML pages."""
