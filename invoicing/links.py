"""How invoices and credit notes are linked in notifications.

The pages are named ``invoicing:invoice-detail`` and ``invoicing:credit-note-detail`` (kwargs
``org_slug`` and ``invoice_id`` / ``credit_note_id``); until they are wired, a notice carries no
link rather than failing the approval that issues the invoice.
"""

from django.urls import NoReverseMatch, reverse

from msp_portal.tenancy.models import Organisation


def _url(name: str, **kwargs) -> str:
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return ""


def invoice_url(invoice, organisation: Organisation) -> str:
    """The invoice's page as ``organisation`` (the MSP or its distributor) opens it, or ""."""
    return _url("invoicing:invoice-detail", org_slug=organisation.slug, invoice_id=invoice.pk)


def credit_note_url(credit_note, organisation: Organisation) -> str:
    """The credit note's page as ``organisation`` opens it, or ""."""
    return _url("invoicing:credit-note-detail", org_slug=organisation.slug, credit_note_id=credit_note.pk)
