from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Usage reports")

    def ready(self):
        from . import dashboard  # noqa: F401  (registers the dashboard panel)
        from .notifications import register_texts

        register_texts()
