from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LicensingConfig(AppConfig):
    name = "licensing"
    verbose_name = _("Licensing")

    def ready(self):
        from . import dashboard  # noqa: F401  (registers the dashboard panel)
        from .notifications import register_texts

        register_texts()
