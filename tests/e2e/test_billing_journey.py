"""Billing as an MSP admin sees it in a real browser, with a real worker: upload the daily-rated
usage and the invoice files, watch each import finish, reconcile the period, read the flag and
its likeliest cause, prepare the results export and download it from the Exports page."""

import pytest
from celery.contrib.testing.worker import start_worker
from playwright.sync_api import expect

from config import celery_app

from ..billing.files import INVOICE_HEADER, csv_bytes, daily_usage_row, invoice_row
from .test_report_journey import signed_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def upload(page, slug, kind, name, data):
    page.goto(f"/o/{slug}/billing/imports/upload/")
    page.locator(f"input[name=kind][value={kind}]").check()
    page.set_input_files("input[name=file]", files=[{"name": name, "mimeType": "text/csv", "buffer": data}])
    page.get_by_role("button", name="Upload and import").click()
    expect(page.locator("body")).to_contain_text("Imported", timeout=30_000)


def test_upload_reconcile_and_download_the_results(browser, live_server, world, shot, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    slug = world.a.msp.slug
    usage = csv_bytes(
        [daily_usage_row(BillingPreTaxTotal="100.00", Quantity="24", EffectiveUnitPrice="4.1666666667")]
    )
    invoice = csv_bytes([invoice_row(Subtotal="80.00", Quantity="24")], INVOICE_HEADER)
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        context, page = signed_in(browser, live_server, world.a.users["msp_admin"].email)
        upload(page, slug, "daily-usage", "usage-2025-07.csv", usage)
        shot(page, "1-daily-usage-imported")
        upload(page, slug, "invoice", "invoice-2025-07.csv", invoice)

        page.goto(f"/o/{slug}/billing/reconciliation/")
        page.get_by_role("button", name="Reconcile now").click()
        expect(page.locator("#messages")).to_contain_text("2025-07 reconciled: 1 flag to look at")
        expect(page.locator("table").first).to_contain_text("Amount differs beyond the tolerance")
        expect(page.locator("table").first).to_contain_text("The invoice is 20.00 lower")
        shot(page, "2-reconciliation")

        page.locator("select[name=export]").select_option("results")
        page.get_by_role("button", name="Prepare export").click()
        page.goto(f"/o/{slug}/exports/")
        link = page.get_by_role("link", name="Download")
        expect(link).to_be_visible(timeout=30_000)
        shot(page, "3-exports")
        with page.expect_download() as waiting:
            link.click()
        content = open(waiting.value.path(), encoding="utf-8-sig").read()
        context.close()
    assert content.splitlines()[0].startswith("Customer id,Customer,Reseller,Product id")
    assert "Amount differs beyond the tolerance" in content
