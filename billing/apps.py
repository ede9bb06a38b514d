from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = _("Billing")

    def ready(self):
        from msp_portal.tenancy.navigation import register_nav_entries

        from . import usage  # noqa: F401 (registers the usage sources)
        from .demo import register as register_demo
        from .exports import register as register_exports
        from .navigation import NAV_ENTRIES

        register_nav_entries(*NAV_ENTRIES)
        register_exports()
        register_demo()
