"""Scheduled work as people see it in a real browser: the distributor admin sets an account's
penalty policy; the MSP admin is warned by the banner that the report is due; once the deadline
has passed the sweep submits it, and both sides read the penalties on the report."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from msp_portal.jobs.services import JobRunLog
from reports.auto_submit import auto_submit_due
from reports.models import MspAccountSettings, UsageReport
from reports.services import usage_report_open

from ..reports.conftest import line_specs
from .test_report_journey import signed_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_policy_banner_sweep_and_penalties(browser, live_server, world, shot):
    # The distributor admin sets MSP A's policy: 10 % surcharge, reminders 5 and 2 days before.
    context, page = signed_in(browser, live_server, world.a.users["dist_admin"].email)
    page.goto(f"/o/{world.a.distributor.slug}/reports/accounts/")
    row = page.locator("tr", has_text="MSP A")
    row.get_by_role("link").first.click()
    page.get_by_label("A percentage of the discrepancy's value").check()
    page.get_by_label("Surcharge percentage").fill("10")
    page.get_by_label("Reminders (days before the deadline)").fill("5, 2")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#messages")).to_contain_text("Settings of MSP A saved")
    shot(page, "1-account-settings")
    context.close()
    account = MspAccountSettings.objects.for_tenant(world.a.msp).get()
    assert (account.penalty_percent, account.reminder_days) == (Decimal("10.00"), [5, 2])

    # A report opened 9 days ago is due within two days: the MSP admin sees the banner everywhere.
    report, _ = usage_report_open(
        msp=world.a.msp,
        cycle=dt.date(2026, 10, 1),
        lines=line_specs(),
        opened_at=timezone.now() - dt.timedelta(days=9),
    )
    context, page = signed_in(browser, live_server, world.a.users["msp_admin"].email)
    banner = page.locator(".due-banner")
    expect(banner).to_contain_text("A usage report is due soon")
    expect(banner).to_contain_text("Report of October 2026")
    shot(page, "2-due-banner")

    # The deadline passes; the beat's sweep submits it with the penalty of the unexplained line.
    auto_submit_due(log=JobRunLog(), now=report.deadline)
    page.goto(f"/o/{world.a.msp.slug}/reports/{report.pk}/")
    expect(page.locator("body")).to_contain_text("Automatically submitted — may require review")
    penalties = page.locator("#penalties")
    expect(penalties).to_contain_text("Microsoft 365 Business Premium")
    expect(penalties).to_contain_text("96.80 USD")  # 4 × 22.00 reset + 10 % surcharge
    expect(page.locator(".due-banner")).to_have_count(0)
    shot(page, "3-penalties-msp")
    context.close()

    context, page = signed_in(browser, live_server, world.a.users["dist_reviewer"].email)
    page.goto(f"/o/{world.a.distributor.slug}/reports/?submission_kind=automatic_penalised")
    expect(page.locator("table")).to_contain_text("MSP A")
    expect(page.locator("table")).to_contain_text("Automatic, with penalties")
    page.goto(f"/o/{world.a.distributor.slug}/reports/{report.pk}/")
    expect(page.locator("#penalties")).to_contain_text("96.80 USD")
    shot(page, "4-penalties-reviewer")
    context.close()
    assert UsageReport.objects.for_tenant(world.a.msp).get(pk=report.pk).state == "under_review"
