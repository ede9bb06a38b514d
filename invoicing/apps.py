from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvoicingConfig(AppConfig):
    """Invoices from a distributor to the MSPs it serves (docs/invoicing.md): built when a report
    is approved, with penalties, true-ups and proration, taxed, numbered and immutable."""

    name = "invoicing"
    verbose_name = _("Invoicing")

    def ready(self):
        from msp_portal.tenancy.demo import register_demo_part
        from msp_portal.tenancy.navigation import register_nav_entries
        from reports.approval_hooks import register_approval_hook

        from . import (
            accounting,
            customer,
            dashboard,  # noqa: F401 (registers the invoices panel)
            navigation_proration,  # noqa: F401 (registers the proration calculator's menu entry)
        )
        from .demo import invoicing_demo_load, invoicing_tax_demo_load
        from .navigation import NAV_ENTRIES
        from .notifications import register_texts
        from .services import invoices_build_for_reports

        register_texts()
        register_nav_entries(*NAV_ENTRIES)
        customer.register()  # the customer page's invoices figure and tab
        accounting.register()  # the Xero and QuickBooks export kinds
        # The invoice is built in the approval's own transaction (docs/invoicing.md, "Invoices").
        register_approval_hook(invoices_build_for_reports)
        register_demo_part(invoicing_tax_demo_load, order=15)  # before the reports approve
        register_demo_part(invoicing_demo_load, order=40)
