"""Celery task modules, one per queue: thin wrappers that call the service's use cases."""
