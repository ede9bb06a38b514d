"""Accounting exports of a distributor's invoice list (docs/invoicing.md, "Accounting exports"):
requested from the list with its filters, built as export requests by the worker's function,
downloaded from the Exports page; Xero's and QuickBooks Online's columns, one row per invoice
line, checked value by value."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from invoicing import accounting
from invoicing.models import InvoiceLine
from invoicing.services import tax_setting_save
from msp_portal.exports import files
from msp_portal.exports.models import ExportRequest

from .invoice_world import approved_invoice, lines_of, tenant_of

pytestmark = pytest.mark.now("2026-11-20T10:00:00+00:00")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def invoices(world):
    tax_setting_save(tenant=tenant_of(world.a, "dist_admin"), country="US", rate_percent="20", method="total")
    september = approved_invoice(world.a, cycle=dt.date(2026, 9, 1))
    october = approved_invoice(world.a)
    other = approved_invoice(world.b)
    return september, october, other


def requested(client, distributor, software, **filters) -> ExportRequest:
    address = reverse("invoicing:accounting-export-request", kwargs={"org_slug": distributor.slug})
    query = "&".join(f"{key}={value}" for key, value in filters.items())
    response = client.post(f"{address}?{query}", {"software": software})
    assert response.status_code == 302 and response.url == f"/o/{distributor.slug}/exports/"
    return ExportRequest.objects.for_tenant(distributor).latest("pk")


def built_rows(client, export) -> list[list[str]]:
    assert files.export_build(export.pk) is True
    response = client.get(f"/o/{export.organisation.slug}/exports/{export.pk}/download/")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_xero_rows_of_the_filtered_invoices(world, invoices, login):
    september, october, other = invoices
    client = login(world.a.users["dist_reviewer"])
    export = requested(client, world.a.distributor, "xero", period_from="2026-10")
    assert export.params == {"period_from": "2026-10-01"}
    rows = built_rows(client, export)
    assert rows[0] == accounting.XERO_COLUMNS
    assert rows[0][:2] == ["ContactName", "EmailAddress"] and "InvoiceNumber" in rows[0]
    lines = lines_of(october)
    assert len(rows) == 1 + len(lines)  # October's lines only; not September's, not MSP B's
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row == {
        "ContactName": "MSP A", "EmailAddress": "",
        "POAddressLine1": "", "POAddressLine2": "", "POAddressLine3": "", "POAddressLine4": "",
        "POCity": "", "PORegion": "", "POPostalCode": "", "POCountry": "US",
        "InvoiceNumber": october.number, "Reference": "Usage 2026-10",
        "InvoiceDate": "20/11/2026", "DueDate": "20/12/2026",
        "InventoryItemCode": "MS-365-BP", "Description": "Microsoft 365 Business Premium",
        "Quantity": "36", "UnitAmount": "22.00", "Discount": "",
        "AccountCode": "200", "TaxType": "20%",
        "TrackingName1": "", "TrackingOption1": "", "TrackingName2": "", "TrackingOption2": "",
        "Currency": "USD", "BrandingTheme": "",
    }  # fmt: skip
    # Every row's quantity × unit amount is its line's amount: the invoice adds up in Xero.
    for values, line in zip(rows[1:], lines, strict=True):
        row = dict(zip(rows[0], values, strict=True))
        assert Decimal(row["Quantity"]) * Decimal(row["UnitAmount"]) == line.amount


def test_quickbooks_rows(world, invoices, login):
    september, october, other = invoices
    client = login(world.a.users["dist_admin"])
    export = requested(client, world.a.distributor, "quickbooks", msp=world.a.msp.slug, status="issued")
    rows = built_rows(client, export)
    assert rows[0] == [
        "InvoiceNo", "Customer", "InvoiceDate", "DueDate", "Terms", "Location", "Memo",
        "Item(Product/Service)", "ItemDescription", "ItemQuantity", "ItemRate", "ItemAmount",
        "Taxable", "TaxRate", "ServiceDate",
    ]  # fmt: skip
    assert len(rows) == 1 + len(lines_of(september)) + len(lines_of(october))
    assert [r[0] for r in rows[1:]] == [september.number] * 3 + [october.number] * 3
    assert rows[1] == [
        september.number, "MSP A", "11/20/2026", "12/20/2026", "Net 30", "", "2026-09 USD",
        "MS-365-BP", "Microsoft 365 Business Premium", "36", "22.00", "792.00", "Y", "20%", "09/01/2026",
    ]  # fmt: skip


def test_a_line_whose_quantity_and_price_do_not_give_its_amount_is_one_unit():
    line = InvoiceLine(
        description="Proration", quantity=5, unit_price=Decimal("10.00000000"), amount=Decimal("33.33")
    )
    assert accounting.quantity_and_price(line) == (1, Decimal("33.33"), "Proration (5 × 10)")
    line = InvoiceLine(
        description="Storage", quantity=3, unit_price=Decimal("0.01250000"), amount=Decimal("0.04")
    )
    assert accounting.quantity_and_price(line) == (3, Decimal("0.0125"), "Storage")


def test_exports_are_for_distributors_who_see_invoices(world, invoices, login):
    september, october, other = invoices
    address = reverse("invoicing:accounting-export-request", kwargs={"org_slug": world.a.msp.slug})
    assert login(world.a.users["msp_admin"]).post(address, {"software": "xero"}).status_code == 404
    client = login(world.a.users["dist_admin"])
    address = reverse("invoicing:accounting-export-request", kwargs={"org_slug": world.a.distributor.slug})
    response = client.post(address, {"software": "sage"})
    assert response.status_code == 302 and not ExportRequest.objects.for_tenant(world.a.distributor).exists()
    response = client.post(f"{address}?period_from=never", {"software": "xero"})
    assert response.status_code == 302 and not ExportRequest.objects.for_tenant(world.a.distributor).exists()


def test_a_name_typed_like_a_formula_is_text_in_the_file(world, invoices, login):
    from msp_portal.tenancy.models import Organisation

    Organisation.objects.filter(pk=world.a.msp.pk).update(name='=HYPERLINK("http://evil.example")')
    client = login(world.a.users["dist_admin"])
    rows = built_rows(client, requested(client, world.a.distributor, "quickbooks"))
    assert {row[1] for row in rows[1:]} == {'\'=HYPERLINK("http://evil.example")'}
