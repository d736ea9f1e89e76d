"""Celery workers: the evaluation, simulation and gpu queues."""
