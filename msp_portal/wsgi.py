"""WSGI entry point (gunicorn msp_portal.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "msp_portal.settings.production")

application = get_wsgi_application()
