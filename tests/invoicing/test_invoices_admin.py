"""The operator's admin pages of invoicing open, and offer no way to change an issued document."""

import pytest

from invoicing.services import credit_note_issue

from ..factories import UserFactory
from .invoice_world import approved_invoice, tenant_of

pytestmark = pytest.mark.now("2026-11-20T10:00:00+00:00")


def test_the_admin_lists_and_shows_invoices_and_credit_notes_read_only(world, client):
    invoice = approved_invoice(world.a)
    note = credit_note_issue(
        tenant=tenant_of(world.a, "dist_admin"),
        acting_user=world.a.users["dist_admin"],
        invoice_id=invoice.pk,
        reason="Goodwill",
    )
    client.force_login(UserFactory(email="operator@example.com", is_staff=True, is_superuser=True))
    for url in (
        "/admin/invoicing/invoice/",
        f"/admin/invoicing/invoice/{invoice.pk}/change/",
        "/admin/invoicing/creditnote/",
        f"/admin/invoicing/creditnote/{note.pk}/change/",
        "/admin/invoicing/documentcounter/",
        "/admin/invoicing/taxsetting/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
    assert invoice.number.encode() in client.get("/admin/invoicing/invoice/").content
    assert client.get(f"/admin/invoicing/invoice/{invoice.pk}/delete/").status_code == 403
