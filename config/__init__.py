"""The project shell: settings, the URL root, the Celery app, the WSGI entry point, the launcher
of ``make run`` / ``make test`` with its embedded PostgreSQL and Redis, and the demo loader.
It sits above every app and composes them; nothing imports it but entry points."""

from .celery import app as celery_app

__all__ = ("celery_app",)
