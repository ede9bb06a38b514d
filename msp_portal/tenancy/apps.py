from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TenancyConfig(AppConfig):
    name = "msp_portal.tenancy"
    label = "tenancy"
    verbose_name = _("Organisations and members")

    def ready(self):
        from . import services  # noqa: F401  registers the invitation e-mail with the outbox
