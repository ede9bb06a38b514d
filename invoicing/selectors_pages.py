"""Reads the invoice pages and exports need beyond invoicing.selectors (which they do not change):
the MSPs a list can be narrowed to, whether a named document is the tenant's, the lines of a list."""

from django.db.models import QuerySet

from msp_portal.tenancy.choices import OrganisationKind
from msp_portal.tenancy.models import Organisation
from msp_portal.tenancy.resolve import TenantContext

from .models import InvoiceLine


def invoice_msp_choices(*, tenant: TenantContext) -> QuerySet:
    """The MSPs whose invoices the tenant may list: those a distributor serves, or the MSP itself."""
    if tenant.organisation.is_distributor:
        return Organisation.objects.filter(
            distributor=tenant.organisation, kind=OrganisationKind.MSP
        ).order_by("name")
    return Organisation.objects.filter(pk=tenant.organisation.pk)


def invoice_msp_id(*, tenant: TenantContext, slug: str) -> int:
    """The id of the MSP ``slug`` among the tenant's (0 when it is not one: the list is then
    empty, as for any other filter that matches nothing)."""
    found = invoice_msp_choices(tenant=tenant).filter(slug=slug).values_list("pk", flat=True).first()
    return found or 0


def document_exists(*, tenant: TenantContext, model, pk: int) -> bool:
    """Whether the invoice or credit note ``pk`` is one of the tenant's (its own, or its served
    MSPs'), whatever the role: a page asks it first, so another organisation's id is a 404 even
    for a role that may not read invoices (403 for its own)."""
    if tenant.organisation.is_distributor:
        rows = model.objects.for_served_msps_of(tenant.organisation)
    else:
        rows = model.objects.for_tenant(tenant.organisation)
    return rows.filter(pk=pk).exists()


def invoice_lines_of(*, tenant: TenantContext, invoices: QuerySet) -> QuerySet:
    """The lines of the invoices ``invoices`` selects (a list from invoice_list), by invoice
    number and position, each with its invoice and MSP: what the accounting exports write."""
    if tenant.organisation.is_distributor:
        lines = InvoiceLine.objects.for_served_msps_of(tenant.organisation)
    else:
        lines = InvoiceLine.objects.for_tenant(tenant.organisation)
    return (
        lines.filter(invoice__in=invoices.order_by().values("pk"))
        .select_related("invoice", "invoice__organisation", "invoice__distributor")
        .order_by("invoice__sequence", "position")
    )
