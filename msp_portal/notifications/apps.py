from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "msp_portal.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        from . import services  # noqa: F401  registers the notification e-mail with the outbox
