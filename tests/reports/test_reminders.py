"""Escalating reminders before the deadline (docs/reports.md, docs/jobs.md): each step once per deadline, to the
MSP admins, for reports still with the MSP, rejected ones included."""

import datetime as dt
from decimal import Decimal

import pytest

from msp_portal.jobs.services import JobRunLog
from msp_portal.notifications.models import Notification
from msp_portal.tenancy.resolve import resolve_tenant
from reports import notifications, services
from reports.auto_submit import auto_submit_due
from reports.choices import PenaltyKind
from reports.models import MspAccountSettings, ReportReminder, UsageReportLine
from reports.reminders import due_step, reminders_send_due

from .conftest import line_specs

UTC = dt.UTC
DAY = dt.timedelta(days=1)


def remind(now, dry_run=False) -> JobRunLog:
    log = JobRunLog(dry_run=dry_run)
    reminders_send_due(log=log, now=now)
    return log


def reminders_to(user, msp) -> list[Notification]:
    return list(
        Notification.objects.for_tenant(msp)
        .filter(recipient=user, kind=notifications.REPORT_REMINDER)
        .order_by("pk")
    )


@pytest.fixture
def report(world):
    opened = dt.datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    report, _ = services.usage_report_open(
        msp=world.a.msp, cycle=dt.date(2026, 10, 1), lines=line_specs(), opened_at=opened
    )
    return report  # due 2026-11-12 00:00 UTC


def test_the_rule_picks_the_most_urgent_step_reached():
    deadline = dt.datetime(2026, 11, 12, tzinfo=UTC)
    assert due_step(deadline, [7, 3, 1], deadline - 8 * DAY) is None
    assert due_step(deadline, [7, 3, 1], deadline - 7 * DAY) == 7
    assert due_step(deadline, [7, 3, 1], deadline - 2 * DAY) == 3
    assert due_step(deadline, [1, 7, 3], deadline - dt.timedelta(hours=1)) == 1
    assert due_step(deadline, [7, 3, 1], deadline) is None  # at the deadline it is auto-submitted
    assert due_step(deadline, [], deadline - DAY) is None


def test_each_step_is_sent_once_per_deadline_to_the_msp_admins(world, report):
    admin = world.a.users["msp_admin"]
    assert remind(report.deadline - 8 * DAY).counts["reminders"] == 0
    for days in (7, 3, 1):
        moment = report.deadline - days * DAY + dt.timedelta(minutes=5)
        assert remind(moment).counts["reminders"] == 1
        assert remind(moment + dt.timedelta(hours=1)).counts["reminders"] == 0  # the hourly re-run
    sent = reminders_to(admin, world.a.msp)
    assert len(sent) == 3
    assert sent[0].title == "Reminder: submit the usage report for 2026-10 before 2026-11-12 00:00 (UTC)"
    assert [r.days_before for r in ReportReminder.objects.for_tenant(world.a.msp).order_by("sent_at")] == [
        7,
        3,
        1,
    ]
    # Only the MSP admins: not the viewer, not the billing admin, nobody of the other side.
    assert (
        not Notification.objects.for_tenant(world.a.msp)
        .filter(
            kind=notifications.REPORT_REMINDER,
            recipient__in=[world.a.users["msp_viewer"], world.a.users["msp_billing"]],
        )
        .exists()
    )
    assert not Notification.objects.for_tenant(world.b.msp).exists()


def test_the_reminder_says_what_auto_submission_would_charge_now(world, report):
    MspAccountSettings.objects.for_tenant(world.a.msp).create(
        organisation=world.a.msp, penalty_kind=PenaltyKind.PERCENT, penalty_percent=Decimal("10")
    )
    remind(report.deadline - DAY)
    (notice,) = reminders_to(world.a.users["msp_admin"], world.a.msp)
    assert "(as it stands: 96.80 USD)" in notice.body


def test_a_late_first_run_sends_only_the_most_urgent_step(world, report):
    remind(report.deadline - 2 * DAY)
    remind(report.deadline - dt.timedelta(hours=20))
    assert [r.days_before for r in ReportReminder.objects.for_tenant(world.a.msp).order_by("sent_at")] == [
        3,
        1,
    ]


def test_the_accounts_own_schedule_is_followed(world, report):
    MspAccountSettings.objects.for_tenant(world.a.msp).create(organisation=world.a.msp, reminder_days=[5])
    remind(report.deadline - 6 * DAY)
    remind(report.deadline - 5 * DAY)
    remind(report.deadline - DAY)
    assert [r.days_before for r in ReportReminder.objects.for_tenant(world.a.msp)] == [5]


def test_submitted_reports_are_not_reminded(world, report):
    tenant = resolve_tenant(user=world.a.users["msp_admin"], org_slug=world.a.msp.slug)
    line = UsageReportLine.objects.for_tenant(world.a.msp).get(report=report, product_code="MS-365-BP")
    services.line_comment_add(
        tenant=tenant,
        acting_user=world.a.users["msp_admin"],
        report_id=report.pk,
        line_id=line.pk,
        body="Trial seats.",
    )
    services.usage_report_submit(tenant=tenant, acting_user=world.a.users["msp_admin"], report_id=report.pk)
    assert remind(report.deadline - DAY).counts["reminders"] == 0


def test_a_rejected_report_is_reminded_again_for_its_new_deadline(world, report):
    remind(report.deadline - DAY)
    auto_submit_due(log=JobRunLog(), now=report.deadline)
    reviewer = world.a.users["dist_reviewer"]
    rejected = services.usage_report_reject(
        tenant=resolve_tenant(user=reviewer, org_slug=world.a.distributor.slug),
        acting_user=reviewer,
        report_id=report.pk,
        reason="Please check the seats.",
    )
    assert rejected.deadline != report.deadline
    remind(rejected.deadline - DAY)
    steps = list(
        ReportReminder.objects.for_tenant(world.a.msp)
        .order_by("sent_at")
        .values_list("deadline", "days_before")
    )
    assert steps == [(report.deadline, 1), (rejected.deadline, 1)]


def test_a_dry_run_lists_and_sends_nothing(world, report):
    log = remind(report.deadline - DAY, dry_run=True)
    assert log.lines == ["remind MSP A 2026-10: 1 day(s) before"]
    assert not ReportReminder.objects.for_tenant(world.a.msp).exists()
    assert reminders_to(world.a.users["msp_admin"], world.a.msp) == []
