"""The scheduled jobs through real processes: a Celery worker on the real Redis broker, two
sweeps at once from two processes, and a worker killed in the middle of a sweep.

The rules themselves (penalty amounts, time zones, month ends, leap years) are tested at a fixed
moment in tests/reports/test_auto_submit.py, test_open_cycles.py and test_reminders.py; here the
moment is the real one, and what is checked is what the processes do to the database."""

import datetime as dt
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.utils import timezone

from config import celery_app
from msp_portal.jobs.choices import JobName, JobStatus
from msp_portal.jobs.models import JobRun
from msp_portal.tenancy.models import Organisation
from msp_portal.tenancy.resolve import resolve_tenant
from reports import services
from reports.choices import EventKind, PenaltyKind, ReportState, SubmissionKind
from reports.models import (
    MspAccountSettings,
    ReportEvent,
    ReportPenalty,
    ReportReminder,
    UsageReport,
    UsageReportLine,
)
from reports.tasks import auto_submit_task, open_cycles_task, send_reminders_task

from .processes import (
    backends_waiting_for_a_lock,
    other_backends_in_a_transaction,
    own_connection,
    process_env,
    worker_process,
)
from .reports.conftest import line_specs

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parent.parent
PRICE = Decimal("22.00")


@pytest.fixture
def worker():
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=10) as running:
        yield running


def wait_for(condition, timeout=60.0, every=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return False


def overdue_report(msp, cycle, rows=None, days_ago=20):
    """A report opened ``days_ago`` days ago: with the 10-day default its deadline has passed."""
    report, _ = services.usage_report_open(
        msp=msp,
        cycle=cycle,
        lines=line_specs(rows) if rows else line_specs(),
        opened_at=timezone.now() - dt.timedelta(days=days_ago),
    )
    return report


def state_of(report) -> str:
    return UsageReport.objects.for_tenant(report.organisation).get(pk=report.pk).state


# --- through the in-process worker --------------------------------------------------------------


def test_the_worker_auto_submits_with_the_expected_penalties_and_auto_approves_where_allowed(world, worker):
    MspAccountSettings.objects.for_tenant(world.a.msp).create(
        organisation=world.a.msp, penalty_kind=PenaltyKind.PERCENT, penalty_percent=Decimal("10")
    )
    MspAccountSettings.objects.for_tenant(world.b.msp).create(
        organisation=world.b.msp, auto_approve_clean=True
    )
    penalised = overdue_report(world.a.msp, dt.date(2026, 9, 1))  # MS-365-BP: 36 of 40, unexplained
    explained = overdue_report(world.a.msp, dt.date(2026, 10, 1))
    admin = world.a.users["msp_admin"]
    services.line_comment_add(
        tenant=resolve_tenant(user=admin, org_slug=world.a.msp.slug),
        acting_user=admin,
        report_id=explained.pk,
        line_id=UsageReportLine.objects.for_tenant(world.a.msp)
        .get(report=explained, product_code="MS-365-BP")
        .pk,
        body="Four seats were on a trial.",
    )
    clean = overdue_report(
        world.b.msp, dt.date(2026, 10, 1), rows=[("EDR-1", "Endpoint", "device", "3.50", 5, 5)]
    )
    not_clean_b = overdue_report(world.b.msp, dt.date(2026, 9, 1))
    not_yet = overdue_report(world.a.msp, dt.date(2026, 8, 1), days_ago=2)

    counts = auto_submit_task.delay().get(timeout=60)

    assert counts == {"submitted": 4, "penalised_reports": 2, "penalties": 2, "approved": 1}
    assert state_of(penalised) == ReportState.UNDER_REVIEW
    (penalty,) = ReportPenalty.objects.for_tenant(world.a.msp).all()
    assert penalty.report_id == penalised.pk
    assert (penalty.reset_amount, penalty.surcharge, penalty.total) == (
        Decimal("88.00"),
        Decimal("8.80"),
        Decimal("96.80"),
    )
    assert (
        UsageReport.objects.for_tenant(world.a.msp).get(pk=explained.pk).submission_kind
        == SubmissionKind.AUTOMATIC
    )
    assert state_of(clean) == ReportState.APPROVED
    assert state_of(not_clean_b) == ReportState.UNDER_REVIEW  # auto-approve on, but discrepant
    assert state_of(not_yet) == ReportState.MSP_PREPARATION
    run = JobRun.objects.get(job=JobName.AUTO_SUBMIT)
    assert run.status == JobStatus.SUCCEEDED and run.counts == counts
    # The notices go out by e-mail from the worker, after the sweep's transactions committed.
    assert wait_for(
        lambda: any(m.to == [admin.email] and "submitted automatically" in m.subject for m in mail.outbox)
    )
    assert wait_for(
        lambda: any(
            m.to == [world.a.users["dist_reviewer"].email] and "submitted automatically" in m.subject
            for m in mail.outbox
        )
    )


def test_the_worker_sends_each_reminder_step_once(world, worker):
    report = overdue_report(world.a.msp, dt.date(2026, 10, 1), days_ago=9)  # deadline within a day
    assert send_reminders_task.delay().get(timeout=60) == {"reminders": 1}
    assert send_reminders_task.delay().get(timeout=60) == {}
    (reminder,) = ReportReminder.objects.for_tenant(world.a.msp).all()
    # Opened 9 days ago with the 10-day delay: due at the midnight after tomorrow, so the
    # 3-day step is the most urgent one reached.
    assert (reminder.report_id, reminder.days_before, reminder.deadline) == (report.pk, 3, report.deadline)
    admin = world.a.users["msp_admin"]
    assert wait_for(
        lambda: any(m.to == [admin.email] and m.subject.startswith("Reminder:") for m in mail.outbox)
    )
    time.sleep(0.5)
    assert sum(1 for m in mail.outbox if m.to == [admin.email] and m.subject.startswith("Reminder:")) == 1


def test_the_worker_opens_missed_cycles_once(world, worker):
    three_months_ago = timezone.now() - dt.timedelta(days=95)
    Organisation.objects.filter(pk__in=[world.a.msp.pk, world.b.msp.pk]).update(created_at=three_months_ago)
    first = open_cycles_task.delay().get(timeout=60)
    opened = UsageReport.objects.for_tenant(world.a.msp).count()
    assert opened >= 3 and first["reports_opened"] == 2 * opened
    assert open_cycles_task.delay().get(timeout=60) == {}
    assert UsageReport.objects.for_tenant(world.a.msp).count() == opened
    assert [r.status for r in JobRun.objects.filter(job=JobName.OPEN_CYCLES)] == [JobStatus.SUCCEEDED] * 2


# --- separate processes -------------------------------------------------------------------------


def _many_overdue_reports(world, count_per_msp: int, lines: int) -> dict[UsageReport, bool]:
    """``count_per_msp`` overdue reports for each of MSP A and B, each of ``lines`` lines; in
    every other report the first line declares 7 of 10 provided seats without a word. Returns
    each report with whether it is so discrepant."""
    rows = [(f"P{n}", f"Product {n}", "seat", "22.00", 10, 10) for n in range(lines)]
    discrepant = [("P0", "Product 0", "seat", "22.00", 10, 7), *rows[1:]]
    reports = {}
    for msp in (world.a.msp, world.b.msp):
        for index in range(count_per_msp):
            cycle = dt.date(2000 + index // 12, index % 12 + 1, 1)
            reports[overdue_report(msp, cycle, rows=discrepant if index % 2 else rows)] = bool(index % 2)
    return reports


def _assert_each_report_is_whole(reports: dict[UsageReport, bool]) -> int:
    """Every report is either untouched, or submitted exactly once with exactly its penalty;
    returns how many were submitted."""
    ids = [report.pk for report in reports]
    states = dict(UsageReport.objects.across_tenants().filter(pk__in=ids).values_list("pk", "state"))
    events = Counter(
        ReportEvent.objects.across_tenants()
        .filter(report_id__in=ids, kind=EventKind.SUBMITTED)
        .values_list("report_id", flat=True)
    )
    penalties = Counter(
        ReportPenalty.objects.across_tenants().filter(report_id__in=ids).values_list("report_id", flat=True)
    )
    first_line = dict(
        UsageReportLine.objects.across_tenants()
        .filter(report_id__in=ids, product_code="P0")
        .values_list("report_id", "billable_units")
    )
    submitted = 0
    for report, discrepant in reports.items():
        if states[report.pk] == ReportState.UNDER_REVIEW:
            submitted += 1
            assert (events[report.pk], penalties[report.pk], first_line[report.pk]) == (
                1,
                int(discrepant),
                10,
            )
        else:
            assert states[report.pk] == ReportState.MSP_PREPARATION
            assert (events[report.pk], penalties[report.pk]) == (0, 0)
            assert first_line[report.pk] == (7 if discrepant else 10)
    return submitted


def test_two_sweeps_at_once_from_two_processes_submit_and_penalise_once(world):
    reports = _many_overdue_reports(world, count_per_msp=30, lines=4)
    command = [sys.executable, "manage.py", "auto_submit", "--batch-size", "3"]
    processes = [
        subprocess.Popen(
            command, cwd=ROOT, env=process_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=120) for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs
    submitted_by = [
        int(re.search(r"\bsubmitted=(\d+)", out).group(1)) if "submitted=" in out else 0 for out, _ in outputs
    ]
    assert sum(submitted_by) == 60
    assert _assert_each_report_is_whole(reports) == 60
    assert ReportPenalty.objects.for_tenant(world.a.msp).count() == 15
    # And a third run, after both: nothing left to do.
    again = subprocess.run(command, cwd=ROOT, env=process_env(), capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and again.stdout.strip().endswith("nothing to do"), again.stdout


def _under_review(reports) -> int:
    ids = [r.pk for r in reports]
    return UsageReport.objects.across_tenants().filter(pk__in=ids, state=ReportState.UNDER_REVIEW).count()


def _a_discrepant_report_half_way(reports: dict[UsageReport, bool], batch_size: int) -> UsageReport:
    """A discrepant report that the sweep reaches neither in its first batch nor in its last,
    in the order the sweep takes them (deadline, then id)."""
    order = list(
        UsageReport.objects.across_tenants()
        .filter(pk__in=[r.pk for r in reports])
        .order_by("deadline", "pk")
        .values_list("pk", flat=True)
    )
    by_id = {report.pk: report for report in reports}
    middle = [by_id[pk] for pk in order[len(order) // 2 : -batch_size]]
    return next(report for report in middle if reports[report])


def test_a_worker_killed_mid_sweep_leaves_every_report_whole_and_the_next_sweep_finishes(world):
    reports = _many_overdue_reports(world, count_per_msp=10, lines=5)
    # The test holds the row of one penalised line half-way through the sweep: the batch that
    # resets it waits, its reports' rows already updated, and the worker is killed right there.
    target = _a_discrepant_report_half_way(reports, batch_size=2)
    holder = own_connection()
    try:
        with holder.cursor() as cursor:
            cursor.execute("BEGIN")
            cursor.execute(
                "SELECT id FROM reports_usagereportline WHERE report_id = %s AND product_code = 'P0' FOR UPDATE",
                [target.pk],
            )
        first = worker_process()
        try:
            auto_submit_task.apply_async(kwargs={"batch_size": 2})
            assert wait_for(
                lambda: backends_waiting_for_a_lock("%UPDATE%reports_usagereportline%") > 0, timeout=90
            ), "the sweep never reached the held line"
            os.killpg(first.pid, signal.SIGKILL)  # no goodbye: the batch in flight is cut mid-transaction
            first.wait(timeout=30)
        finally:
            if first.poll() is None:
                os.killpg(first.pid, signal.SIGKILL)
        with holder.cursor() as cursor:
            cursor.execute("ROLLBACK")
    finally:
        holder.close()
    # The killed worker's backend, let go, finds its client gone and rolls its transaction back.
    assert wait_for(lambda: other_backends_in_a_transaction() == 0, timeout=30)
    done_when_killed = _assert_each_report_is_whole(reports)
    assert 0 < done_when_killed < len(reports), "the worker was not stopped mid-sweep"
    assert state_of(target) == ReportState.MSP_PREPARATION
    killed_run = JobRun.objects.get(job=JobName.AUTO_SUBMIT)
    assert killed_run.status == JobStatus.RUNNING and killed_run.finished_at is None

    second = worker_process()  # the restarted worker takes the beat's next tick
    try:
        result = auto_submit_task.apply_async(kwargs={"batch_size": 50})
        counts = result.get(timeout=120)
    finally:
        os.killpg(second.pid, signal.SIGTERM)
        second.wait(timeout=30)
    assert counts["submitted"] == len(reports) - done_when_killed
    assert _assert_each_report_is_whole(reports) == len(reports)
    assert ReportPenalty.objects.across_tenants().filter(report__in=reports).count() == len(reports) // 2
    assert ReportEvent.objects.across_tenants().filter(
        report__in=reports, kind=EventKind.SUBMITTED
    ).count() == len(reports)
