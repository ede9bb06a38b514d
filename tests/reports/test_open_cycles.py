"""Opening cycles (docs/reports.md, docs/jobs.md): the month that ended, in each MSP's own time zone; re-runs
change nothing; new accounts and missed months are caught up at the next run."""

import datetime as dt
import threading

import pytest
from django.db import connection

from licensing.demo_fixtures import licensing_objects
from msp_portal.jobs.services import JobRunLog
from msp_portal.notifications.models import Notification
from msp_portal.tenancy.models import Organisation
from reports import notifications
from reports.choices import EventKind, ReportState
from reports.cycles import cycles_open_due
from reports.models import MspAccountSettings, ReportEvent, UsageReport, UsageReportLine

from ..factories import MspFactory

UTC = dt.UTC
# The organisations and their licensing data are made during November 2026; the runs below
# happen on the days they name.
pytestmark = pytest.mark.now("2026-11-20T10:00:00+00:00")


def run(now, dry_run=False) -> JobRunLog:
    log = JobRunLog(dry_run=dry_run)
    cycles_open_due(log=log, now=now)
    return log


def cycles_of(msp) -> list[dt.date]:
    return list(UsageReport.objects.for_tenant(msp).order_by("cycle").values_list("cycle", flat=True))


def created_on(msp, moment: dt.datetime) -> None:
    Organisation.objects.filter(pk=msp.pk).update(created_at=moment)
    msp.refresh_from_db()


def test_on_the_first_the_month_that_ended_opens_with_its_lines_from_licensing(world):
    licensing_objects(world.a.msp)  # one license assigned now, in November 2026
    MspAccountSettings.objects.for_tenant(world.a.msp).create(organisation=world.a.msp, auto_submit_days=5)
    now = dt.datetime(2026, 12, 1, 0, 5, tzinfo=UTC)
    log = run(now)
    report = UsageReport.objects.for_tenant(world.a.msp).get()
    assert report.cycle == dt.date(2026, 11, 1) and report.state == ReportState.MSP_PREPARATION
    assert report.opened_at == now
    assert report.deadline == dt.datetime(2026, 12, 7, 0, 0, tzinfo=UTC)  # 5 whole days after 1 Dec
    (line,) = UsageReportLine.objects.for_tenant(world.a.msp).filter(report=report)
    assert (line.product_code, line.provided_units, line.used_units, line.billable_units) == (
        "FIXTURE-365",
        1,
        None,
        1,
    )
    assert ReportEvent.objects.for_tenant(world.a.msp).get(report=report).kind == EventKind.OPENED
    ready = Notification.objects.for_tenant(world.a.msp).get(kind=notifications.REPORT_READY)
    assert ready.recipient == world.a.users["msp_admin"]
    # MSP B (no licensing data) gets its report too, with no lines.
    assert cycles_of(world.b.msp) == [dt.date(2026, 11, 1)]
    assert log.counts["reports_opened"] == 2 and log.counts["msps"] == 2


def test_running_again_changes_nothing(world):
    licensing_objects(world.a.msp)
    now = dt.datetime(2026, 12, 1, 0, 5, tzinfo=UTC)
    run(now)
    before = (
        UsageReport.objects.for_tenant(world.a.msp).get(),
        UsageReportLine.objects.for_tenant(world.a.msp).count(),
    )
    again = run(now + dt.timedelta(hours=1))
    assert again.counts["reports_opened"] == 0
    assert (
        UsageReport.objects.for_tenant(world.a.msp).get(),
        UsageReportLine.objects.for_tenant(world.a.msp).count(),
    ) == before
    assert Notification.objects.for_tenant(world.a.msp).filter(kind=notifications.REPORT_READY).count() == 1


def test_nothing_opens_before_the_month_has_ended_for_the_msp(world):
    assert run(dt.datetime(2026, 11, 30, 23, 59, tzinfo=UTC)).counts["reports_opened"] == 0
    assert cycles_of(world.a.msp) == []


def test_the_month_ends_at_the_msps_local_midnight(world):
    Organisation.objects.filter(pk=world.a.msp.pk).update(timezone="America/Los_Angeles")
    # 07:59 UTC on 1 December is still 30 November, 23:59 in Los Angeles (UTC−8).
    run(dt.datetime(2026, 12, 1, 7, 59, tzinfo=UTC))
    assert cycles_of(world.a.msp) == [] and cycles_of(world.b.msp) == [dt.date(2026, 11, 1)]
    run(dt.datetime(2026, 12, 1, 8, 0, tzinfo=UTC))
    assert cycles_of(world.a.msp) == [dt.date(2026, 11, 1)]
    report = UsageReport.objects.for_tenant(world.a.msp).get()
    # Ten whole days after 1 December end at midnight in Los Angeles: 08:00 UTC on 12 December.
    assert report.deadline == dt.datetime(2026, 12, 12, 8, 0, tzinfo=UTC)


def test_months_missed_while_the_workers_were_down_are_caught_up(world):
    licensing_objects(world.a.msp)
    run(dt.datetime(2026, 12, 1, 0, 5, tzinfo=UTC))
    now = dt.datetime(2027, 3, 4, 10, 0, tzinfo=UTC)  # December, January and February were missed
    log = run(now)
    assert cycles_of(world.a.msp) == [dt.date(2026, m, 1) for m in (11, 12)] + [
        dt.date(2027, 1, 1),
        dt.date(2027, 2, 1),
    ]
    caught_up = UsageReport.objects.for_tenant(world.a.msp).filter(cycle__gte=dt.date(2026, 12, 1))
    # Each deadline counts from now, so nothing caught up is overdue on arrival.
    assert {r.deadline for r in caught_up} == {dt.datetime(2027, 3, 15, 0, 0, tzinfo=UTC)}
    assert [
        line.provided_units
        for line in UsageReportLine.objects.for_tenant(world.a.msp).order_by("report__cycle")
    ] == [1, 1, 1, 1]  # the license assigned in November is still assigned: carried into each month
    assert log.counts["reports_opened"] == 6  # three months for each of the two MSPs


def test_a_new_account_gets_its_first_report_at_the_next_run(world):
    run(dt.datetime(2026, 12, 1, 0, 5, tzinfo=UTC))
    newcomer = MspFactory(name="Newcomer", slug="newcomer", distributor=world.a.distributor)
    created_on(newcomer, dt.datetime(2026, 12, 15, 12, 0, tzinfo=UTC))
    run(dt.datetime(2026, 12, 20, tzinfo=UTC))
    assert cycles_of(newcomer) == []
    run(dt.datetime(2027, 1, 1, 0, 5, tzinfo=UTC))
    assert cycles_of(newcomer) == [dt.date(2026, 12, 1)]


def test_february_of_a_leap_year(world):
    for msp in (world.a.msp, world.b.msp):
        created_on(msp, dt.datetime(2028, 1, 20, tzinfo=UTC))
    run(dt.datetime(2028, 2, 29, 23, 59, tzinfo=UTC))
    assert cycles_of(world.a.msp) == [dt.date(2028, 1, 1)]
    run(dt.datetime(2028, 3, 1, 0, 0, tzinfo=UTC))
    assert cycles_of(world.a.msp) == [dt.date(2028, 1, 1), dt.date(2028, 2, 1)]
    february = UsageReport.objects.for_tenant(world.a.msp).get(cycle=dt.date(2028, 2, 1))
    assert february.deadline == dt.datetime(2028, 3, 12, 0, 0, tzinfo=UTC)


def test_inactive_accounts_and_the_msps_of_inactive_distributors_are_left_alone(world):
    Organisation.objects.filter(pk=world.a.msp.pk).update(is_active=False)
    Organisation.objects.filter(pk=world.b.distributor.pk).update(is_active=False)
    assert run(dt.datetime(2026, 12, 1, 0, 5, tzinfo=UTC)).counts["reports_opened"] == 0


def test_a_dry_run_lists_the_reports_it_would_open_and_opens_none(world):
    log = run(dt.datetime(2026, 12, 1, 0, 5, tzinfo=UTC), dry_run=True)
    assert sorted(log.lines) == ["open MSP A 2026-11", "open MSP B 2026-11"]
    assert not UsageReport.objects.for_tenant(world.a.msp).exists()


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_open_each_report_once(world):
    licensing_objects(world.a.msp)
    now = dt.datetime(2027, 2, 1, 0, 5, tzinfo=UTC)
    barrier = threading.Barrier(2, timeout=30)
    errors = []

    def go():
        try:
            barrier.wait()
            run(now)
        except Exception as exc:  # noqa: BLE001 - the assertion below shows it
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=go) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    for msp in (world.a.msp, world.b.msp):
        assert cycles_of(msp) == [dt.date(2026, 11, 1), dt.date(2026, 12, 1), dt.date(2027, 1, 1)]
    assert ReportEvent.objects.for_tenant(world.a.msp).filter(kind=EventKind.OPENED).count() == 3
    assert Notification.objects.for_tenant(world.a.msp).filter(kind=notifications.REPORT_READY).count() == 3
