"""The invoice or credit note a URL names (``/invoices/<invoice_id>/…``), looked up the same way
for the pages and the API: another organisation's document is NotFound for every role (the
answer never says it exists); only then does a role that may not read invoices get NotAllowed.
Both end as their 404 and 403 through the one mapping (docs/errors.md)."""

from collections.abc import Mapping

from msp_portal.errors import NotAllowed, NotFound
from msp_portal.tenancy.choices import Perm
from msp_portal.tenancy.resolve import TenantContext

from . import selectors, selectors_pages
from .models import CreditNote, Invoice

_NAMED = {"invoice_id": Invoice, "credit_note_id": CreditNote}


def documents_named_in_url(*, tenant: TenantContext, url_kwargs: Mapping) -> dict:
    """``{"detail": InvoiceDetail}`` and/or ``{"note": CreditNote, "note_lines": [...]}``."""
    if not tenant.can(Perm.VIEW_INVOICES):
        for keyword, model in _NAMED.items():
            if keyword in url_kwargs and not selectors_pages.document_exists(
                tenant=tenant, model=model, pk=url_kwargs[keyword]
            ):
                raise NotFound()
        raise NotAllowed()
    found = {}
    if "invoice_id" in url_kwargs:
        found["detail"] = selectors.invoice_get(tenant=tenant, invoice_id=url_kwargs["invoice_id"])
    if "credit_note_id" in url_kwargs:
        found["note"], found["note_lines"] = selectors.credit_note_get(
            tenant=tenant, credit_note_id=url_kwargs["credit_note_id"]
        )
    return found
