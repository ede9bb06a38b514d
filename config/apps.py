from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ShellConfig(AppConfig):
    """The project shell as an app only so that its management commands (demo_data) are
    found; it has no models."""

    name = "config"
    label = "shell"
    verbose_name = _("Portal")
