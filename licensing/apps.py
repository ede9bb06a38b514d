from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LicensingConfig(AppConfig):
    name = "licensing"
    verbose_name = _("Licensing")

    def ready(self):
        from msp_portal.money import register_billed_rows

        from . import dashboard  # noqa: F401  (registers the dashboard panel)
        from .currency import billed_rows
        from .notifications import register_texts

        register_texts()
        register_billed_rows(billed_rows)
