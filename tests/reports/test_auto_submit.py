"""Auto-submission with penalties, and auto-approval (docs/reports.md, docs/jobs.md), run as the job runs it."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from msp_portal.jobs.choices import JobName, JobStatus
from msp_portal.jobs.models import JobRun
from msp_portal.jobs.services import JobRunLog, job_run
from msp_portal.notifications.models import Notification
from msp_portal.tenancy.resolve import resolve_tenant
from reports import notifications, services
from reports.auto_submit import auto_submit_due
from reports.choices import EventKind, PenaltyKind, ReportState, SubmissionKind
from reports.models import MspAccountSettings, ReportEvent, ReportPenalty, UsageReport, UsageReportLine

from ..factories import MembershipFactory, MspFactory, UserFactory
from .conftest import line_specs

UTC = dt.UTC
OPENED = dt.datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def sweep(now, **kwargs) -> JobRunLog:
    log = JobRunLog()
    auto_submit_due(log=log, now=now, **kwargs)
    return log


def line(report, code) -> UsageReportLine:
    return UsageReportLine.objects.for_tenant(report.organisation).get(report=report, product_code=code)


def reload(report) -> UsageReport:
    return UsageReport.objects.for_tenant(report.organisation).get(pk=report.pk)


def set_policy(msp, **fields):
    MspAccountSettings.objects.for_tenant(msp).update_or_create(organisation=msp, defaults=fields)


def comment(side, report, code, body="Seats on a trial, not billable."):
    tenant = resolve_tenant(user=side.users["msp_admin"], org_slug=side.msp.slug)
    services.line_comment_add(
        tenant=tenant,
        acting_user=side.users["msp_admin"],
        report_id=report.pk,
        line_id=line(report, code).pk,
        body=body,
    )


@pytest.fixture
def due_report(world, open_report):
    """MSP A's October report opened on 1 November at 09:00 UTC with the 10-day default: due at
    the midnight (UTC) that ends 11 November. Line MS-365-BP declares 36 of 40 seats and is not
    explained; the others match."""
    set_policy(world.a.msp, penalty_kind=PenaltyKind.PERCENT, penalty_percent=Decimal("10"))
    report, _ = services.usage_report_open(
        msp=world.a.msp,
        cycle=dt.date(2026, 10, 1),
        lines=line_specs(),
        opened_at=OPENED,
    )
    assert report.deadline == dt.datetime(2026, 11, 12, 0, 0, tzinfo=UTC)
    return report


def test_nothing_happens_before_the_deadline(due_report):
    log = sweep(due_report.deadline - dt.timedelta(seconds=1))
    assert log.counts["submitted"] == 0
    assert reload(due_report).state == ReportState.MSP_PREPARATION


def test_past_the_deadline_the_report_is_submitted_with_exactly_the_expected_penalty(world, due_report):
    log = sweep(due_report.deadline)
    report = reload(due_report)
    assert report.state == ReportState.UNDER_REVIEW
    assert report.submission_kind == SubmissionKind.AUTOMATIC_PENALISED
    assert report.needs_review_flag and report.submitted_by is None
    assert report.submitted_at == due_report.deadline
    # 40 provided, 36 declared at 22.00: reset adds 4 × 22.00 = 88.00; 10 % surcharge = 8.80.
    (penalty,) = ReportPenalty.objects.for_tenant(world.a.msp).filter(report=report)
    assert (penalty.provided_units, penalty.billable_before) == (40, 36)
    assert (penalty.reset_amount, penalty.surcharge, penalty.total) == (
        Decimal("88.00"),
        Decimal("8.80"),
        Decimal("96.80"),
    )
    assert penalty.deadline == due_report.deadline and penalty.currency == "USD"
    assert penalty.get_reason_display() == "Discrepancy not explained by the deadline"
    m365 = line(report, "MS-365-BP")
    assert (m365.billable_units, m365.version) == (40, 2)
    assert line(report, "AZ-BACKUP").billable_units == 1200  # untouched
    events = ReportEvent.objects.for_tenant(world.a.msp).filter(report=report)
    penalty_event = events.get(kind=EventKind.PENALTY)
    assert (penalty_event.old_value, penalty_event.new_value, penalty_event.actor) == ("36", "40", None)
    submitted = events.get(kind=EventKind.SUBMITTED)
    assert submitted.actor is None and submitted.details["how"] == SubmissionKind.AUTOMATIC_PENALISED
    assert dict(log.counts) == {"submitted": 1, "penalised_reports": 1, "penalties": 1, "approved": 0}


def test_the_msp_admins_and_the_distributor_are_told(world, due_report):
    sweep(due_report.deadline)
    msp_notice = Notification.objects.for_tenant(world.a.msp).get(
        recipient=world.a.users["msp_admin"], kind=notifications.REPORT_AUTO_SUBMITTED
    )
    assert msp_notice.title == "Usage report for 2026-10 was submitted automatically"
    assert "1 line, 96.80 USD" in msp_notice.body
    digests = Notification.objects.for_tenant(world.a.distributor)
    assert {n.recipient for n in digests} == {world.a.users["dist_admin"], world.a.users["dist_reviewer"]}
    assert digests.first().title == "Usage reports submitted automatically: 1"
    assert "submission_kind=automatic_penalised" in digests.first().url
    assert not Notification.objects.for_tenant(world.b.distributor).exists()


def test_a_second_sweep_changes_nothing(world, due_report):
    sweep(due_report.deadline)
    again = sweep(due_report.deadline + dt.timedelta(hours=1))
    assert again.counts["submitted"] == 0
    assert ReportPenalty.objects.for_tenant(world.a.msp).count() == 1
    assert ReportEvent.objects.for_tenant(world.a.msp).filter(kind=EventKind.SUBMITTED).count() == 1


def test_explained_discrepancies_are_not_penalised(world, due_report):
    comment(world.a, due_report, "MS-365-BP")
    sweep(due_report.deadline)
    report = reload(due_report)
    assert report.state == ReportState.UNDER_REVIEW
    assert report.submission_kind == SubmissionKind.AUTOMATIC
    assert not ReportPenalty.objects.for_tenant(world.a.msp).exists()
    assert line(report, "MS-365-BP").billable_units == 36


def test_a_distributor_comment_does_not_explain_a_line(world, due_report):
    tenant = resolve_tenant(user=world.a.users["dist_reviewer"], org_slug=world.a.distributor.slug)
    services.line_comment_add(
        tenant=tenant,
        acting_user=world.a.users["dist_reviewer"],
        report_id=due_report.pk,
        line_id=line(due_report, "MS-365-BP").pk,
        body="Please explain these four seats.",
    )
    sweep(due_report.deadline)
    assert ReportPenalty.objects.for_tenant(world.a.msp).count() == 1


@pytest.mark.parametrize("surcharge_over_declared, surcharge", [(False, "0.00"), (True, "5.00")])
def test_declaring_more_than_provided_unexplained_is_lowered_and_surcharged_only_if_the_policy_says(
    world, open_report, surcharge_over_declared, surcharge
):
    set_policy(
        world.a.msp,
        penalty_kind=PenaltyKind.PERCENT,
        penalty_percent=Decimal("10"),
        penalty_minimum=Decimal("5.00"),
        surcharge_over_declared=surcharge_over_declared,
    )
    report = open_report(world.a.msp, rows=[("EDR-1", "Endpoint", "device", "3.50", 55, 60)])
    sweep(report.deadline)
    (penalty,) = ReportPenalty.objects.for_tenant(world.a.msp).all()
    # 60 declared, 55 provided: back to 55 adds nothing (it lowers the bill); the surcharge, when
    # the policy charges over-declared lines, is 10 % of 5 × 3.50 = 1.75, minimum 5.00.
    assert (penalty.reset_amount, penalty.surcharge, penalty.total) == (
        Decimal("0.00"),
        Decimal(surcharge),
        Decimal(surcharge),
    )
    assert line(report, "EDR-1").billable_units == 55


def test_no_surcharge_policy_resets_only(world, due_report):
    set_policy(world.a.msp, penalty_kind=PenaltyKind.NONE, penalty_percent=Decimal("10"))
    sweep(due_report.deadline)
    (penalty,) = ReportPenalty.objects.for_tenant(world.a.msp).all()
    assert (penalty.surcharge, penalty.total) == (Decimal("0.00"), Decimal("88.00"))


@pytest.mark.parametrize("auto_approve", [True, False])
def test_auto_approve_applies_only_where_allowed_and_nothing_is_discrepant(world, open_report, auto_approve):
    set_policy(world.a.msp, auto_approve_clean=auto_approve)
    clean = open_report(
        world.a.msp, cycle=dt.date(2026, 9, 1), rows=[("EDR-1", "Endpoint", "device", "3.50", 5, 5)]
    )
    explained = open_report(world.a.msp, cycle=dt.date(2026, 10, 1))
    comment(world.a, explained, "MS-365-BP")
    log = sweep(max(clean.deadline, explained.deadline))
    clean, explained = reload(clean), reload(explained)
    assert explained.state == ReportState.UNDER_REVIEW  # a discrepancy, even explained, is reviewed
    if auto_approve:
        assert clean.state == ReportState.APPROVED and clean.reviewed_by is None
        assert clean.submission_kind == SubmissionKind.AUTOMATIC
        approved = ReportEvent.objects.for_tenant(world.a.msp).get(report=clean, kind=EventKind.APPROVED)
        assert approved.actor is None and approved.details == {"automatic": True}
        notice = Notification.objects.for_tenant(world.a.msp).get(
            recipient=world.a.users["msp_billing"], kind=notifications.REPORT_AUTO_APPROVED
        )
        assert notice.title == "Usage report for 2026-09 was approved automatically"
    else:
        assert clean.state == ReportState.UNDER_REVIEW
    assert log.counts["approved"] == (1 if auto_approve else 0)


def test_a_clean_report_submitted_by_hand_is_approved_at_once_where_allowed(world, open_report):
    set_policy(world.a.msp, auto_approve_clean=True)
    report = open_report(world.a.msp, rows=[("EDR-1", "Endpoint", "device", "3.50", 5, 5)])
    tenant = resolve_tenant(user=world.a.users["msp_admin"], org_slug=world.a.msp.slug)
    services.usage_report_submit(tenant=tenant, acting_user=world.a.users["msp_admin"], report_id=report.pk)
    report = reload(report)
    assert report.state == ReportState.APPROVED
    assert report.submission_kind == SubmissionKind.MANUAL and report.reviewed_by is None


def test_a_rejected_report_is_auto_submitted_at_its_new_deadline_and_penalised_again(world, due_report):
    sweep(due_report.deadline)
    reviewer = world.a.users["dist_reviewer"]
    tenant = resolve_tenant(user=reviewer, org_slug=world.a.distributor.slug)
    rejected = services.usage_report_reject(
        tenant=tenant, acting_user=reviewer, report_id=due_report.pk, reason="Seats look wrong."
    )
    admin_tenant = resolve_tenant(user=world.a.users["msp_admin"], org_slug=world.a.msp.slug)
    m365 = line(rejected, "MS-365-BP")
    services.usage_report_line_update(
        tenant=admin_tenant,
        acting_user=world.a.users["msp_admin"],
        report_id=rejected.pk,
        line_id=m365.pk,
        billable_units=38,
        version=m365.version,
    )
    sweep(rejected.deadline - dt.timedelta(minutes=1))
    assert reload(rejected).state == ReportState.REJECTED
    sweep(rejected.deadline)
    report = reload(rejected)
    assert report.state == ReportState.UNDER_REVIEW
    assert report.reviewed_by == reviewer  # who rejected it is kept until someone reviews again
    penalties = ReportPenalty.objects.for_tenant(world.a.msp).order_by("deadline")
    assert [(p.deadline, p.billable_before, p.total) for p in penalties] == [
        (due_report.deadline, 36, Decimal("96.80")),
        (rejected.deadline, 38, Decimal("48.40")),  # 2 × 22.00 = 44.00 + 4.40
    ]


def test_the_deadline_is_the_msps_local_midnight_not_utc(world, open_report):
    auckland = MspFactory(
        name="Kiwi MSP", slug="kiwi", distributor=world.a.distributor, timezone="Pacific/Auckland"
    )
    report, _ = services.usage_report_open(
        msp=auckland,
        cycle=dt.date(2026, 10, 1),
        lines=line_specs(),
        opened_at=OPENED,  # 22:00 on 1 November in Auckland (UTC+13)
    )
    # Ten whole days after 1 November end at midnight starting 12 November, Auckland time:
    # 11:00 UTC on 11 November, thirteen hours before the UTC midnight.
    assert report.deadline == dt.datetime(2026, 11, 11, 11, 0, tzinfo=UTC)
    sweep(dt.datetime(2026, 11, 11, 10, 59, tzinfo=UTC))
    assert reload(report).state == ReportState.MSP_PREPARATION
    sweep(dt.datetime(2026, 11, 11, 11, 0, tzinfo=UTC))
    assert reload(report).state == ReportState.UNDER_REVIEW


def test_reports_of_every_msp_are_swept_in_small_batches(world, open_report):
    reports = [
        open_report(msp, cycle=dt.date(2026, month, 1))
        for msp in (world.a.msp, world.b.msp)
        for month in (7, 8, 9, 10)
    ]
    log = sweep(max(r.deadline for r in reports), batch_size=3)
    assert log.counts["submitted"] == 8 and log.counts["penalties"] == 8
    assert {reload(r).state for r in reports} == {ReportState.UNDER_REVIEW}
    # Each distributor hears of its own four reports, in one digest per batch (batches of 3).
    for side in (world.a, world.b):
        digests = list(
            Notification.objects.for_tenant(side.distributor).filter(recipient=side.users["dist_admin"])
        )
        assert {d.kind for d in digests} == {notifications.REPORTS_AUTO_SUBMITTED}
        assert sum(d.params["count"] for d in digests) == 4 and 2 <= len(digests) <= 3


def test_a_dry_run_lists_what_it_would_do_and_changes_nothing(world, due_report):
    log = JobRunLog(dry_run=True)
    auto_submit_due(log=log, now=due_report.deadline)
    assert log.lines == [
        f"report {due_report.pk} (MSP A, 2026-10): automatic_penalised, 1 penalties, 96.80 USD"
    ]
    assert reload(due_report).state == ReportState.MSP_PREPARATION
    assert not ReportPenalty.objects.for_tenant(world.a.msp).exists()


def test_penalties_can_never_be_changed_or_applied_twice_for_one_deadline(world, due_report):
    sweep(due_report.deadline)
    penalty = ReportPenalty.objects.for_tenant(world.a.msp).get()
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        ReportPenalty.objects.for_tenant(world.a.msp).filter(pk=penalty.pk).update(surcharge=0)
    penalty.pk = None
    with pytest.raises(IntegrityError, match="once_per_line_and_deadline"), transaction.atomic():
        penalty.save()


def test_each_run_is_recorded_in_the_job_run_log(due_report):
    job_run(JobName.AUTO_SUBMIT, auto_submit_due)
    run = JobRun.objects.get(job=JobName.AUTO_SUBMIT)
    assert run.status == JobStatus.SUCCEEDED and run.finished_at is not None
    assert run.counts == {"submitted": 1, "penalised_reports": 1, "penalties": 1, "approved": 0}
    assert run.duration_seconds >= 0


def test_the_report_page_and_the_api_show_the_penalties_applied(world, due_report, login):
    sweep(due_report.deadline)
    for role, org in (("msp_admin", world.a.msp), ("dist_reviewer", world.a.distributor)):
        client = login(world.a.users[role])
        page = client.get(f"/o/{org.slug}/reports/{due_report.pk}/")
        assert page.status_code == 200
        html = page.content.decode()
        assert "Penalties applied" in html and "96.80 USD" in html
        assert "Automatically submitted — may require review" in html
        data = client.get(f"/api/v1/orgs/{org.slug}/usage-reports/{due_report.pk}/").json()
        (penalty,) = data["penalties"]
        assert (penalty["billable_before"], penalty["provided_units"], penalty["total"]) == (36, 40, "96.80")
        assert penalty["reason"] == "unexplained_discrepancy"
    other = login(world.b.users["dist_admin"])
    assert (
        other.get(f"/api/v1/orgs/{world.b.distributor.slug}/usage-reports/{due_report.pk}/").status_code
        == 404
    )


def test_pages_show_moments_in_the_organisations_time_zone(world, login):
    kiwi = MspFactory(
        name="Kiwi MSP", slug="kiwi", distributor=world.a.distributor, timezone="Pacific/Auckland"
    )
    admin = UserFactory(email="admin@kiwi.example")
    MembershipFactory(organisation=kiwi, user=admin, role="msp_admin")
    report, _ = services.usage_report_open(
        msp=kiwi, cycle=dt.date(2026, 10, 1), lines=line_specs(), opened_at=OPENED
    )
    sweep(report.deadline)
    html = login(admin).get(f"/o/kiwi/reports/{report.pk}/").content.decode()
    # The deadline is 11:00 UTC on 11 November: midnight starting 12 November in Auckland.
    assert "11/12/2026 midnight" in html and "11/11/2026 11 a.m." not in html
