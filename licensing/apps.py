from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LicensingConfig(AppConfig):
    name = "licensing"
    verbose_name = _("Licensing")

    def ready(self):
        from msp_portal.money import register_billed_rows
        from msp_portal.tenancy.demo import register_demo_part
        from msp_portal.tenancy.navigation import register_nav_entries

        from . import customer, dashboard  # noqa: F401  (dashboard: registers the dashboard panel)
        from .currency import billed_rows
        from .demo import licensing_demo_load
        from .navigation import NAV_ENTRIES
        from .notifications import register_texts

        register_texts()
        customer.register()
        register_billed_rows(billed_rows)
        register_nav_entries(*NAV_ENTRIES)
        register_demo_part(licensing_demo_load, order=10)
