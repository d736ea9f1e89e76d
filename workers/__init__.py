"""Celery task modules of the evaluation, simulation and gpu queues, and the worker's health
check; the Celery app and routing they share with the web app are in `app.queues`."""
