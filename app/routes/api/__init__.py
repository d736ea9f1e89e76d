"""The REST API's routers (mounted under /api/v1), the health check and the API docs pages:
each answers JSON, or the docs' HTML shell, never a site page."""
