"""The heart of the product in a real browser: the MSP admin corrects and explains, submits; the
reviewer rejects; the MSP fixes and resubmits; the reviewer sees what changed and approves."""

import datetime as dt

import pytest
from playwright.sync_api import expect

from reports.choices import ReportState
from reports.models import UsageReport

from ..factories import PASSWORD
from ..reports.conftest import line_specs

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def report(world):
    from reports.services import usage_report_open

    report, _ = usage_report_open(msp=world.a.msp, cycle=dt.date(2026, 10, 1), lines=line_specs())
    return report


def signed_in(browser, live_server, email):
    context = browser.new_context(
        viewport={"width": 1366, "height": 900}, base_url=live_server.url, locale="en-US"
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto("/accounts/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("h1")).to_be_visible()
    return context, page


def line_row(page, product):
    return page.locator("tr.line-row", has_text=product)


def comment(page, product, text):
    row = line_row(page, product)
    thread = page.locator(f"#comments-{row.get_attribute('id').split('-')[1]}")
    if not thread.is_visible():  # a discrepant line's thread is already open beside it
        row.locator(".comment-toggle").click()
    thread.locator("textarea").fill(text)
    thread.get_by_role("button", name="Add comment").click()
    expect(thread).to_contain_text(text)


def test_report_cycle_reject_fix_resubmit_approve(world, report, browser, live_server, shot):
    msp_context, msp = signed_in(browser, live_server, world.a.users["msp_admin"].email)
    msp.goto(f"/o/{world.a.msp.slug}/reports/")
    msp.get_by_role("link", name="October 2026").click()
    expect(msp.locator("h1")).to_contain_text("Usage report October 2026")

    # Microsoft 365 opens at its used units (36 of 40 provided): red, with the exclamation mark.
    m365 = line_row(msp, "Microsoft 365")
    expect(m365.locator(".comment-alert")).to_be_visible()

    # The MSP lowers Endpoint protection from 55 to 50 inline: saved without a page reload.
    msp.evaluate("window.__marker = 'same page'")
    endpoint = line_row(msp, "Endpoint protection")
    endpoint.locator("input.billable-input").fill("50")
    endpoint.locator("input.billable-input").press("Tab")
    expect(line_row(msp, "Endpoint protection").locator(".comment-alert")).to_be_visible()
    expect(line_row(msp, "Endpoint protection").locator("input.billable-input")).to_have_value("50")
    assert msp.evaluate("window.__marker") == "same page"
    expect(msp.locator("#report-summary")).to_contain_text("2 lines need an explanation")
    shot(msp, "01-msp-edited-two-lines-unexplained")

    # Submitting now is refused, naming both lines.
    msp.get_by_role("button", name="Submit", exact=True).click()
    msp.locator("#submit-dialog").get_by_role("button", name="Submit report").click()
    refusal = msp.locator("#messages .alert-danger")
    expect(refusal).to_contain_text("Microsoft 365 Business Premium")
    expect(refusal).to_contain_text("Endpoint protection")

    comment(msp, "Microsoft 365", "Four seats were provisioned for leavers and removed on the 3rd.")
    comment(msp, "Endpoint protection", "Five devices were decommissioned mid-month.")
    expect(msp.locator("#report-summary")).to_contain_text("0 without an MSP comment")
    expect(line_row(msp, "Endpoint protection").locator(".comment-alert")).to_have_count(0)
    shot(msp, "02-msp-explained")

    msp.get_by_role("button", name="Submit", exact=True).click()
    # The dialog agrees with the page without a reload.
    expect(msp.locator("#submit-dialog")).to_contain_text("Every discrepancy is explained.")
    msp.locator("#submit-dialog input[name=po_number]").fill("PO-2026-10-001")
    msp.locator("#submit-dialog").get_by_role("button", name="Submit report").click()
    expect(msp.locator("#messages .alert-success")).to_contain_text("submitted")
    expect(msp.locator("h1")).to_contain_text("Under review")

    # The reviewer finds it in the queue, rejects it, naming the Endpoint protection line.
    rev_context, rev = signed_in(browser, live_server, world.a.users["dist_reviewer"].email)
    rev.goto(f"/o/{world.a.distributor.slug}/reports/")
    expect(rev.locator("table")).to_contain_text("MSP A")
    rev.get_by_role("link", name="Review", exact=True).click()
    shot(rev, "03-reviewer-opens-report")
    rev.get_by_role("button", name="Reject").click()
    dialog = rev.locator("#reject-dialog")
    dialog.locator("textarea[name=reason]").fill("Endpoint protection must match the 55 devices enrolled.")
    dialog.get_by_label("Endpoint protection").check()
    dialog.get_by_role("button", name="Reject report").click()
    expect(rev.locator("h1")).to_contain_text("Rejected")

    # The MSP sees the reason and the line at fault, fixes it and resubmits.
    msp.reload()
    expect(msp.locator("main > .alert-danger")).to_contain_text("must match the 55 devices")
    expect(line_row(msp, "Endpoint protection")).to_contain_text("At fault")
    endpoint = line_row(msp, "Endpoint protection")
    endpoint.locator("input.billable-input").fill("55")
    endpoint.locator("input.billable-input").press("Tab")
    expect(line_row(msp, "Endpoint protection").locator("input.billable-input")).to_have_value("55")
    comment(msp, "Endpoint protection", "Corrected to the 55 enrolled devices.")
    shot(msp, "04-msp-fixed-after-rejection")
    msp.get_by_role("button", name="Submit", exact=True).click()
    msp.locator("#submit-dialog").get_by_role("button", name="Submit report").click()
    expect(msp.locator("h1")).to_contain_text("Under review")

    # The reviewer sees what changed since the rejection, then approves.
    rev.reload()
    changes = rev.locator("#changes")
    expect(changes).to_contain_text("Endpoint protection")
    expect(changes).to_contain_text("50 → 55")
    expect(changes).to_contain_text("Corrected to the 55 enrolled devices.")
    shot(rev, "05-reviewer-sees-changes")
    # Approving asks in the portal's dialog: Escape leaves the report as it was.
    rev.get_by_role("button", name="Approve").click()
    confirm = rev.get_by_role("dialog", name="Please confirm")
    expect(confirm).to_contain_text("Approve this report? It becomes final.")
    expect(confirm.get_by_role("button", name="Cancel")).to_be_focused()
    shot(rev, "05b-approve-asks-in-the-portals-dialog")
    rev.keyboard.press("Escape")
    expect(confirm).to_be_hidden()
    expect(rev.locator("h1")).to_contain_text("Under review")
    rev.get_by_role("button", name="Approve").click()
    confirm.get_by_role("button", name="Approve").click()
    expect(rev.locator("h1")).to_contain_text("Approved")
    shot(rev, "06-approved")

    report = UsageReport.objects.for_tenant(world.a.msp).get(pk=report.pk)
    assert report.state == ReportState.APPROVED
    assert report.po_number == "PO-2026-10-001"
    msp_context.close()
    rev_context.close()
