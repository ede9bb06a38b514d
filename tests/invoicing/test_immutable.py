"""An issued invoice or credit note cannot be changed or deleted, by the ORM or by raw SQL."""

from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import ProtectedError

from invoicing.models import CreditNote, CreditNoteLine, Invoice, InvoiceLine
from invoicing.services import credit_note_issue

from .invoice_world import approved_invoice, tenant_of

pytestmark = pytest.mark.now("2026-11-20T10:00:00+00:00")


@pytest.fixture
def issued(world):
    invoice = approved_invoice(world.a)
    note = credit_note_issue(
        tenant=tenant_of(world.a, "dist_admin"),
        acting_user=world.a.users["dist_admin"],
        invoice_id=invoice.pk,
        reason="Goodwill",
    )
    return invoice, note


def rows_of(model, msp):
    return model.objects.for_tenant(msp)


@pytest.mark.parametrize("model", [Invoice, InvoiceLine, CreditNote, CreditNoteLine])
def test_the_orm_can_neither_update_nor_delete(world, issued, model):
    rows = rows_of(model, world.a.msp)
    assert rows.exists()
    with pytest.raises(DatabaseError, match="immutable"), transaction.atomic():
        rows.update(organisation=world.a.msp)
    # A row others point at is first refused by its PROTECT keys, the others by the trigger.
    with pytest.raises((DatabaseError, ProtectedError)), transaction.atomic():
        rows.first().delete()
    with pytest.raises(DatabaseError, match="immutable"), transaction.atomic():
        rows.all()._raw_delete(rows.db)  # what a cascade would run, past the PROTECT check
    assert rows.exists()


def test_saving_a_changed_invoice_is_refused(world, issued):
    invoice, _ = issued
    invoice.total = Decimal("1.00")
    invoice.subtotal = Decimal("1.00")
    invoice.tax = Decimal("0.00")
    with pytest.raises(DatabaseError, match="immutable"), transaction.atomic():
        invoice.save()
    assert Invoice.objects.for_tenant(world.a.msp).get().total != Decimal("1.00")


@pytest.mark.parametrize(
    "table",
    ["invoicing_invoice", "invoicing_invoiceline", "invoicing_creditnote", "invoicing_creditnoteline"],
)
def test_raw_sql_can_neither_update_nor_delete(world, issued, table):
    for statement in (f"UPDATE {table} SET organisation_id = organisation_id", f"DELETE FROM {table}"):
        with (
            pytest.raises(DatabaseError, match="immutable"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")
        assert cursor.fetchone()[0] > 0
