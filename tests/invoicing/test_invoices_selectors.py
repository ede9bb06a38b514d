"""Who reads which invoices and credit notes (docs/invoicing.md, "Invoices"): the MSP's admins and
billing admins, its distributor's reviewers and admins; nobody else. Filters and totals."""

import datetime as dt
from decimal import Decimal

import pytest

from invoicing import selectors
from invoicing.choices import InvoiceStatus
from invoicing.services import CreditRequest, credit_note_issue, tax_setting_delete, tax_setting_save
from msp_portal.errors import Invalid, NotAllowed, NotFound

from .invoice_world import LINES_TOTAL, approved_invoice, lines_of, tenant_of

pytestmark = pytest.mark.now("2026-11-20T10:00:00+00:00")
READERS = ["msp_admin", "msp_billing", "dist_reviewer", "dist_admin"]


@pytest.fixture
def invoices(world):
    """Two invoices of MSP A (September, October; October partly credited) and one of MSP B."""
    september = approved_invoice(world.a, cycle=dt.date(2026, 9, 1))
    october = approved_invoice(world.a)
    note = credit_note_issue(
        tenant=tenant_of(world.a, "dist_admin"),
        acting_user=world.a.users["dist_admin"],
        invoice_id=october.pk,
        reason="Goodwill",
        lines=[CreditRequest(lines_of(october)[0].pk, "10.00")],
    )
    other = approved_invoice(world.b)
    return september, october, note, other


@pytest.mark.parametrize("role", READERS)
def test_each_reader_sees_its_own_invoices_and_not_the_others(world, invoices, role):
    september, october, note, other = invoices
    tenant = tenant_of(world.a, role)
    assert list(selectors.invoice_list(tenant=tenant)) == [october, september]
    assert selectors.invoice_get(tenant=tenant, invoice_id=october.pk).invoice == october
    assert list(selectors.credit_note_list(tenant=tenant)) == [note]
    assert selectors.credit_note_get(tenant=tenant, credit_note_id=note.pk)[0] == note
    with pytest.raises(NotFound):
        selectors.invoice_get(tenant=tenant, invoice_id=other.pk)
    other_note = credit_note_issue(
        tenant=tenant_of(world.b, "dist_admin"),
        acting_user=world.b.users["dist_admin"],
        invoice_id=other.pk,
        reason="Goodwill",
    )
    with pytest.raises(NotFound):
        selectors.credit_note_get(tenant=tenant, credit_note_id=other_note.pk)


@pytest.mark.parametrize(
    "call",
    [
        lambda t, ids: selectors.invoice_list(tenant=t),
        lambda t, ids: selectors.invoice_get(tenant=t, invoice_id=ids[1].pk),
        lambda t, ids: selectors.credit_note_list(tenant=t),
        lambda t, ids: selectors.credit_note_get(tenant=t, credit_note_id=ids[2].pk),
    ],
)
def test_an_msp_viewer_reads_no_invoice(world, invoices, call):
    with pytest.raises(NotAllowed):
        call(tenant_of(world.a, "msp_viewer"), invoices)


def test_filters_and_totals(world, invoices):
    september, october, _, _ = invoices
    tenant = tenant_of(world.a, "dist_admin")
    assert list(selectors.invoice_list(tenant=tenant, period_from=dt.date(2026, 10, 15))) == [october]
    assert list(selectors.invoice_list(tenant=tenant, period_to=dt.date(2026, 9, 30))) == [september]
    assert list(selectors.invoice_list(tenant=tenant, status=InvoiceStatus.PARTIALLY_CREDITED)) == [october]
    assert list(selectors.invoice_list(tenant=tenant, number="0001")) == [september]
    assert list(selectors.invoice_list(tenant=tenant, msp_id=world.b.msp.pk)) == []
    (totals,) = selectors.invoice_totals(selectors.invoice_list(tenant=tenant))
    assert (totals["currency"], totals["count"], totals["total"], totals["credited"]) == (
        "USD",
        2,
        2 * LINES_TOTAL,
        Decimal("10.00"),
    )
    (per_msp,) = selectors.invoice_totals_by_msp(selectors.invoice_list(tenant=tenant))
    assert (
        per_msp["organisation__name"],
        per_msp["count"],
        per_msp["first_cycle"],
        per_msp["last_cycle"],
    ) == (
        "MSP A",
        2,
        dt.date(2026, 9, 1),
        dt.date(2026, 10, 1),
    )


def test_tax_settings_are_the_distributor_admins(world):
    admin = tenant_of(world.a, "dist_admin")
    setting = tax_setting_save(tenant=admin, country="fr", rate_percent="20", method="total")
    assert (setting.country, setting.rate_percent) == ("FR", Decimal("20"))
    assert tax_setting_save(tenant=admin, country="FR", rate_percent="5.5", method="line").pk == setting.pk
    assert list(selectors.tax_setting_list(tenant=tenant_of(world.a, "dist_reviewer"))) == [setting]
    with pytest.raises(Invalid) as refused:
        tax_setting_save(tenant=admin, country="France", rate_percent="101", method="x")
    assert set(refused.value.field_errors) == {"country", "rate_percent", "method"}
    for role in ("dist_reviewer", "msp_admin"):
        with pytest.raises(NotAllowed):
            tax_setting_save(tenant=tenant_of(world.a, role), country="FR", rate_percent="1", method="total")
    with pytest.raises(NotAllowed):
        selectors.tax_setting_list(tenant=tenant_of(world.a, "msp_admin"))
    with pytest.raises(NotFound):
        tax_setting_delete(tenant=tenant_of(world.b, "dist_admin"), setting_id=setting.pk)
    tax_setting_delete(tenant=admin, setting_id=setting.pk)
    assert not selectors.tax_setting_list(tenant=admin).exists()
