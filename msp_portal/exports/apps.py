from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExportsConfig(AppConfig):
    name = "msp_portal.exports"
    label = "exports"
    verbose_name = _("Exports")

    def ready(self):
        from msp_portal.tenancy.navigation import NavEntry, register_nav_entries

        register_nav_entries(NavEntry(_("Exports"), "exports:list", "download", order=85))
