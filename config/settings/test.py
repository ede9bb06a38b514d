"""Settings for the test suite: the real PostgreSQL and Redis of DATABASE_URL / REDIS_URL."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-insecure-key-000000000000000000000000000000000")
os.environ.setdefault("LOG_FORMAT", "console")
os.environ.setdefault("LOG_LEVEL", "WARNING")

from .base import *  # noqa: E402,F403
from .base import CACHES, STATIC_ROOT, STORAGES

STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns when it is missing

DEBUG = False
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Each test run gets its own key space, so parallel runs on one Redis never see each other.
CACHES["default"]["KEY_PREFIX"] = f"msp_portal_test_{os.getpid()}"
CELERY_TASK_DEFAULT_QUEUE = f"msp_portal_test_{os.getpid()}"
# Lets two test runs share one PostgreSQL server without dropping each other's database.
DATABASES["default"]["TEST"] = {"NAME": os.environ.get("TEST_DATABASE_NAME", "test_msp_portal")}  # noqa: F405
# The test database need not survive a crash of the server: commits do not wait for the disk
# (the transaction=True tests and the worker processes commit often: ~0.4 ms less a commit on
# this machine). The processes a test starts read these settings too (tests/processes.py).
DATABASES["default"]["OPTIONS"] = {  # noqa: F405
    **DATABASES["default"].get("OPTIONS", {}),  # noqa: F405
    "options": "-c synchronous_commit=off",
}
