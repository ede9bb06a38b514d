"""The invoices panel of the dashboard (members who see invoices): the invoices not credited in
full, what is left on them per currency, and the latest invoice."""

from msp_portal.tenancy.choices import Perm
from msp_portal.tenancy.dashboard import Panel, register_panel
from msp_portal.tenancy.resolve import TenantContext

from .choices import InvoiceStatus
from .selectors import invoice_list, invoice_totals


@register_panel
def invoices_panel(tenant: TenantContext) -> Panel | None:
    if not tenant.can(Perm.VIEW_INVOICES):
        return None
    invoices = invoice_list(tenant=tenant)
    outstanding = invoice_totals(invoices.exclude(status=InvoiceStatus.CREDITED))
    return Panel(
        template="invoicing/_dashboard_panel.html",
        context={
            "outstanding": [
                {"currency": row["currency"], "count": row["count"], "left": row["total"] - row["credited"]}
                for row in outstanding
            ],
            "latest_invoice": invoices.first(),
        },
    )
