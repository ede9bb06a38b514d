"""The reconciliation results page: flags and causes, per-customer totals that add up, the
reconcile button, export requests, roles and organisations (docs/billing.md)."""

from decimal import Decimal

from billing.columns import FileKind
from billing.models import ReconciliationRun
from msp_portal.exports.models import ExportRequest

from .files import INVOICE_HEADER, csv_bytes, daily_usage_row, invoice_row
from .test_import import run_import


def page_url(side, query=""):
    return f"/o/{side.msp.slug}/billing/reconciliation/{query}"


def imported(msp):
    run_import(
        msp,
        csv_bytes(
            [
                daily_usage_row(
                    CustomerId="c1",
                    CustomerName="Alpha",
                    BillingPreTaxTotal="100.00",
                    Quantity="24",
                    EffectiveUnitPrice="4.1666666667",
                ),
                daily_usage_row(
                    CustomerId="c2",
                    CustomerName="Beta",
                    ProductId="P2",
                    BillingPreTaxTotal="10.00",
                    Quantity="10",
                    EffectiveUnitPrice="1",
                ),
            ]
        ),
    )
    run_import(
        msp,
        csv_bytes(
            [
                invoice_row(CustomerId="c1", CustomerName="Alpha", Subtotal="80.00", Quantity="24"),
                invoice_row(
                    CustomerId="c2", CustomerName="Beta", ProductId="P2", Subtotal="10.00", Quantity="10"
                ),
            ],
            INVOICE_HEADER,
        ),
        kind=FileKind.INVOICE,
    )


def test_reconcile_then_read_the_flags_causes_and_customer_totals(world, login):
    imported(world.a.msp)
    admin = login(world.a.users["msp_admin"])

    response = admin.post(page_url(world.a, "run/"), {"period": "2025-07"})
    assert response.status_code == 302
    run = ReconciliationRun.objects.for_tenant(world.a.msp).get()
    assert run.flag_count == 1

    page = admin.get(page_url(world.a, "?period=2025-07")).content.decode()
    assert "Amount differs beyond the tolerance" in page
    assert "The invoice is 20.0000000000 lower" in page or "The invoice is 20" in page
    # Per customer: 80.00 + 10.00 invoiced, 100.00 + 10.00 daily; the totals row adds up.
    assert page.count("Alpha") >= 2 and "Beta" in page
    assert "90.00" in page and "110.00" in page
    assert run.invoice_total == Decimal("90") and run.usage_total == Decimal("110")

    filtered = admin.get(page_url(world.a, "?period=2025-07&kind=quantity")).content.decode()
    assert "Nothing matches these filters" in filtered


def test_exports_are_requested_from_the_page(world, login):
    imported(world.a.msp)
    billing = login(world.a.users["msp_billing"])
    billing.post(page_url(world.a, "run/"), {"period": "2025-07"})

    billing.post(page_url(world.a, "export/"), {"period": "2025-07", "export": "results"})
    billing.post(page_url(world.a, "export/"), {"period": "2025-07", "export": "billed"})
    refused = billing.post(
        page_url(world.a, "export/"), {"period": "2025-07", "export": "unbilled"}, follow=True
    )

    titles = sorted(ExportRequest.objects.for_tenant(world.a.msp).values_list("title", flat=True))
    assert titles == ["Billed usage, 2025-07", "Reconciliation results, 2025-07"]
    assert "is billed: its invoice is imported" in refused.content.decode()


def test_roles_and_organisations(world, login):
    imported(world.a.msp)
    viewer = login(world.a.users["msp_viewer"])
    assert viewer.get(page_url(world.a)).status_code == 200
    assert viewer.post(page_url(world.a, "run/"), {"period": "2025-07"}).status_code == 403
    assert (
        login(world.a.users["dist_admin"])
        .get(f"/o/{world.a.distributor.slug}/billing/reconciliation/")
        .status_code
        == 404
    )
    other = login(world.b.users["msp_admin"])
    assert other.get(page_url(world.a)).status_code == 404
    assert "Nothing to reconcile yet" in other.get(page_url(world.b)).content.decode()
    other.post(page_url(world.b, "run/"), {"period": "2025-07"})
    assert not ReconciliationRun.objects.for_tenant(world.b.msp).exists()


def test_the_tolerance_is_set_on_the_page_and_refused_when_it_is_not_a_percentage(world, login):
    from billing.models import ReconciliationSettings

    imported(world.a.msp)
    admin = login(world.a.users["msp_admin"])
    for bad in ("101", "-1", "5,5", "1e2", "abc", "2.555"):
        page = admin.post(page_url(world.a, "tolerance/"), {"tolerance_percent": bad}, follow=True)
        assert "The tolerance is a percentage from 0 to 100" in page.content.decode(), bad
    assert not ReconciliationSettings.objects.for_tenant(world.a.msp).exists()

    admin.post(page_url(world.a, "tolerance/"), {"tolerance_percent": "25"})
    admin.post(page_url(world.a, "run/"), {"period": "2025-07"})
    assert ReconciliationRun.objects.for_tenant(world.a.msp).get().flag_count == 0  # 20 % < 25 %
    viewer = login(world.a.users["msp_viewer"])
    assert viewer.post(page_url(world.a, "tolerance/"), {"tolerance_percent": "1"}).status_code == 403
