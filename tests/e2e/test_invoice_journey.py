"""Invoices in a real browser: the distributor's reviewer approves a submitted report; the MSP
admin finds its invoice in the list, opens it, and downloads the PDF, which holds the invoice's
number and total."""

import io

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from invoicing.models import Invoice

from ..factories import PASSWORD
from ..invoicing.invoice_world import submitted_report

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def signed_in(browser, live_server, email):
    context = browser.new_context(
        viewport={"width": 1366, "height": 900},
        base_url=live_server.url,
        locale="en-US",
        accept_downloads=True,
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto("/accounts/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("h1")).to_be_visible()
    return context, page


def test_approval_issues_the_invoice_that_the_msp_opens_and_downloads(world, browser, live_server, shot):
    report = submitted_report(world.a)

    rev_context, rev = signed_in(browser, live_server, world.a.users["dist_reviewer"].email)
    rev.goto(f"/o/{world.a.distributor.slug}/reports/{report.pk}/")
    rev.get_by_role("button", name="Approve").click()
    rev.get_by_role("dialog", name="Please confirm").get_by_role("button", name="Approve").click()
    expect(rev.locator("h1")).to_contain_text("Approved")
    shot(rev, "1-reviewer-approved")
    rev_context.close()

    invoice = Invoice.objects.for_tenant(world.a.msp).get(report=report)
    msp_context, msp = signed_in(browser, live_server, world.a.users["msp_admin"].email)
    msp.goto(f"/o/{world.a.msp.slug}/")
    msp.get_by_role("link", name="Invoices", exact=True).click()
    row = msp.locator("#invoice-table tbody tr", has_text=invoice.number)
    expect(row).to_contain_text(f"{invoice.total} USD")
    shot(msp, "2-msp-invoice-list")
    row.get_by_role("link", name=invoice.number).click()
    expect(msp.locator("h1")).to_contain_text(f"Invoice {invoice.number}")
    expect(msp.locator(".invoice-doc")).to_contain_text("Microsoft 365 Business Premium")
    shot(msp, "3-msp-invoice")

    with msp.expect_download() as waiting:
        msp.locator("#invoice-pdf").click()
    download = waiting.value
    assert download.suggested_filename == f"{invoice.number}.pdf"
    content = open(download.path(), "rb").read()
    msp_context.close()
    assert content.startswith(b"%PDF-")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    assert invoice.number in text
    assert f"{invoice.total} USD" in text
