from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvoicingConfig(AppConfig):
    """Invoices from a distributor to the MSPs it serves (docs/invoicing.md): built when a report
    is approved, with penalties, true-ups and proration, taxed, numbered and immutable."""

    name = "invoicing"
    verbose_name = _("Invoicing")

    def ready(self):
        from . import navigation_proration  # noqa: F401 (registers the proration calculator's menu entry)
