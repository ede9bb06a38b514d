from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "msp_portal.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        from msp_portal.tenancy.navigation import NavEntry, register_nav_entries

        from . import services  # noqa: F401  registers the notification e-mail with the outbox

        register_nav_entries(NavEntry(_("Notifications"), "notifications:list", "bell", order=90))
