"""Local development and the one-command demo run: debug on, e-mail to the console."""

import os

os.environ.setdefault("DEBUG", "True")
os.environ.setdefault("SECRET_KEY", "dev-only-insecure-key-change-me-for-any-deployment-000000")
os.environ.setdefault("LOG_FORMAT", "console")

from .base import *  # noqa: E402,F403

ALLOWED_HOSTS = ["*"]
