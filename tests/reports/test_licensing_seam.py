"""Usage reports take their provided units from licensing (docs/licensing.md), through the hourly job
production runs (reports.cycles → services.usage_reports_open_from_licensing)."""

import datetime as dt
import zoneinfo

from django.utils import timezone

from licensing.demo_fixtures import licensing_objects
from licensing.models import AssignmentEvent
from msp_portal.jobs.services import JobRunLog
from reports.cycles import cycles_open_due
from reports.models import UsageReport, UsageReportLine


def test_report_lines_take_the_peak_assigned_during_the_cycle(world):
    objects = licensing_objects(world.a.msp)  # 2 owned, 1 assigned just now
    subscription = objects["subscription"]
    moment = timezone.now()
    # Within the same moment's month: 3 more assigned (count 4), then 2 unassigned: peak stays 4.
    for offset, delta in ((1, 1), (2, 1), (3, 1), (4, -1), (5, -1)):
        AssignmentEvent.objects.create(
            organisation=world.a.msp,
            subscription=subscription,
            kind="assigned" if delta > 0 else "unassigned",
            assigned_delta=delta,
            owned_after=2,
            at=moment + dt.timedelta(microseconds=offset),
        )
    cycle = moment.astimezone(zoneinfo.ZoneInfo(world.a.msp.timezone)).date().replace(day=1)
    # Once that month has ended everywhere, the job opens its report.
    after_the_month = dt.datetime.combine(cycle.replace(day=28) + dt.timedelta(days=6), dt.time(12), dt.UTC)
    log = JobRunLog()
    cycles_open_due(log=log, now=after_the_month)
    report = UsageReport.objects.for_tenant(world.a.msp).get(cycle=cycle)
    line = UsageReportLine.objects.for_tenant(world.a.msp).get(report=report)
    assert (line.product_code, line.sku_code) == ("FIXTURE-365", "FIXTURE-365-P1M")
    assert line.provided_units == 4
    assert line.used_units is None and line.billable_units == 4
    assert log.counts["lines"] == 1

    again = JobRunLog()
    cycles_open_due(log=again, now=after_the_month + dt.timedelta(hours=1))
    assert again.counts.get("reports_opened", 0) == 0
    assert list(UsageReport.objects.for_tenant(world.a.msp)) == [report]
