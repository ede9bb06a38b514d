from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TenancyConfig(AppConfig):
    name = "msp_portal.tenancy"
    label = "tenancy"
    verbose_name = _("Organisations and members")

    def ready(self):
        from . import services  # noqa: F401  registers the invitation e-mail with the outbox
        from .customers import CustomerTab, members_tab, register_customer_tabs
        from .demo import register_demo_part, tenancy_demo_load
        from .navigation import NavEntry, register_nav_entries

        register_nav_entries(
            NavEntry(_("Dashboard"), "tenancy:dashboard", "home", order=10),
            NavEntry(_("MSP accounts"), "tenancy:msp-list", "building", kind="distributor", order=30),
            NavEntry(_("Members"), "tenancy:member-list", "users", order=80),
        )
        register_customer_tabs(CustomerTab("members", _("Members"), members_tab, order=90))
        # Order 0: every other app's demo data belongs to these organisations and users.
        register_demo_part(tenancy_demo_load, order=0)
