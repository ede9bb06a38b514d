"""The invoice builder costs the same number of SQL statements whatever the number of lines
(docs/invoicing.md, "Invoices"): the lead records the figure in the benchmark notes."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from invoicing.models import Invoice, InvoiceLine
from invoicing.services import invoices_build_for_reports
from reports import approval_hooks

from .invoice_world import approve, submitted_report

pytestmark = pytest.mark.now("2026-11-20T10:00:00+00:00")


def rows(count):
    return [(f"P-{n}", f"Product {n}", "seat", "1.2345", 10, 10) for n in range(count)]


def statements_to_build(side, count, monkeypatch) -> int:
    with monkeypatch.context() as patched:
        patched.setattr(approval_hooks, "_HOOKS", [])  # approve without building, to time it alone
        report = approve(side, submitted_report(side, rows=rows(count)))
    with CaptureQueriesContext(connection) as queries:
        (invoice,) = invoices_build_for_reports([report])
    assert InvoiceLine.objects.for_tenant(side.msp).filter(invoice=invoice).count() == count
    return len(queries)


def test_the_builder_is_flat_in_statements(world, monkeypatch):
    thirty = statements_to_build(world.a, 30, monkeypatch)
    three_hundred = statements_to_build(world.b, 300, monkeypatch)
    print(f"\nSQL statements per invoice: 30 lines → {thirty}, 300 lines → {three_hundred}")
    assert thirty == three_hundred <= 16
    # 10 × 1.2345 = 12.345, rounded half-up per line to 12.35
    assert Invoice.objects.for_tenant(world.b.msp).get().subtotal == 300 * Decimal("12.35")
