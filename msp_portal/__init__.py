"""MSP License Usage Portal: the project package (settings, Celery app, URLs, tenancy core)."""

from .celery import app as celery_app

__all__ = ("celery_app",)
