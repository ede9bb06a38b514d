"""The invoicing part of a distributor's customer page (msp_portal/tenancy/customers.py): what is
left on the MSP's invoices not credited in full, in the summary; the invoices tab. The rows are
read ``for_tenant(msp)``; the kernel has already checked that the distributor serves it."""

from django.utils.translation import gettext_lazy as _

from msp_portal.tenancy.choices import Perm
from msp_portal.tenancy.customers import CustomerTab, register_customer_summary, register_customer_tabs
from msp_portal.tenancy.dashboard import Panel
from msp_portal.tenancy.links import url_if_allowed
from msp_portal.tenancy.models import Organisation
from msp_portal.tenancy.resolve import TenantContext

from .choices import InvoiceStatus
from .models import Invoice
from .selectors import invoice_totals, with_credits

INVOICES_IN_TAB = 50


def _invoices(msp: Organisation):
    return with_credits(Invoice.objects.for_tenant(msp)).order_by("-cycle", "-sequence")


def invoices_summary(tenant: TenantContext, msp: Organisation) -> Panel | None:
    if not tenant.can(Perm.VIEW_INVOICES):
        return None
    outstanding = invoice_totals(_invoices(msp).exclude(status=InvoiceStatus.CREDITED))
    return Panel(
        template="invoicing/customer/_summary.html",
        context={
            "outstanding": [
                {"currency": row["currency"], "count": row["count"], "left": row["total"] - row["credited"]}
                for row in outstanding
            ],
            "outstanding_count": sum(row["count"] for row in outstanding),
        },
    )


def invoices_tab(tenant: TenantContext, msp: Organisation) -> Panel:
    rows = [
        {
            "invoice": invoice,
            "status": InvoiceStatus(invoice.status).label,
            "url": url_if_allowed(tenant, "invoicing:invoice-detail", invoice_id=invoice.pk),
        }
        for invoice in _invoices(msp)[:INVOICES_IN_TAB]
    ]
    return Panel(template="invoicing/customer/_invoices.html", context={"rows": rows})


def register() -> None:
    register_customer_summary(invoices_summary, order=30)
    register_customer_tabs(
        CustomerTab("invoices", _("Invoices"), invoices_tab, perm=Perm.VIEW_INVOICES, order=50),
    )
