"""The Celery app, its queues and routing, and the worker heartbeat: the one place both the web
app (which sends tasks) and the task modules in `workers.tasks` (which run them) import."""
