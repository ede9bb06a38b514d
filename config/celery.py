"""The Celery application: broker and result backend on Redis, configuration from Django settings."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = Celery("msp_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The beat's heartbeat (for /healthz) is stamped by signal handlers in the beat process.
import msp_portal.jobs.beat  # noqa: E402,F401
