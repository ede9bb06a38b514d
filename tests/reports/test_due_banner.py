"""The "due soon" banner on every MSP page: the reports still to submit whose deadline is within
7 days or past, in the MSP's time zone, and never anything of another organisation."""

import datetime as dt
import zoneinfo

from django.utils import timezone

from msp_portal.tenancy.resolve import resolve_tenant
from reports.context_processors import due_reports
from reports.models import UsageReport
from reports.selectors import due_report_list

BANNER = "due-banner"


def set_report(report, **fields):
    """Move a report's deadline or state directly (the services never would)."""
    UsageReport.objects.for_tenant(report.organisation).filter(pk=report.pk).update(**fields)


def dashboard(client, org) -> str:
    return client.get(f"/o/{org.slug}/").content.decode()


def test_banner_lists_a_report_due_within_a_week_with_a_link(world, login, open_report):
    report = open_report(world.a.msp, cycle=dt.date(2026, 9, 1))
    set_report(report, deadline=timezone.now() + dt.timedelta(days=2, hours=3))
    client = login(world.a.users["msp_viewer"])
    for path in ("", "members/", f"reports/{report.pk}/"):
        html = client.get(f"/o/{world.a.msp.slug}/{path}").content.decode()
        assert BANNER in html, path
    html = dashboard(client, world.a.msp)
    assert "A usage report is due soon" in html
    assert "Report of September 2026" in html
    assert f'href="/o/{world.a.msp.slug}/reports/{report.pk}/"' in html
    assert "2 days 3 hours left" in html or "2 days 2 hours left" in html


def test_no_banner_when_nothing_is_due_soon(world, login, open_report):
    far = open_report(world.a.msp, cycle=dt.date(2026, 9, 1))
    set_report(far, deadline=timezone.now() + dt.timedelta(days=8))
    submitted = open_report(world.a.msp, cycle=dt.date(2026, 8, 1))
    set_report(submitted, deadline=timezone.now() + dt.timedelta(days=1), state="under_review")
    approved = open_report(world.a.msp, cycle=dt.date(2026, 7, 1))
    set_report(approved, deadline=timezone.now() - dt.timedelta(days=1), state="approved")
    assert BANNER not in dashboard(login(world.a.users["msp_admin"]), world.a.msp)


def test_rejected_and_overdue_reports_are_listed_soonest_first(world, login, open_report):
    rejected = open_report(world.a.msp, cycle=dt.date(2026, 9, 1))
    set_report(rejected, deadline=timezone.now() + dt.timedelta(days=5), state="rejected")
    overdue = open_report(world.a.msp, cycle=dt.date(2026, 8, 1))
    set_report(overdue, deadline=timezone.now() - dt.timedelta(minutes=5))
    html = dashboard(login(world.a.users["msp_billing"]), world.a.msp)
    assert "2 usage reports are due soon" in html
    assert "rejected: correct and resubmit" in html
    assert "being submitted automatically" in html
    assert html.index("Report of August 2026") < html.index("Report of September 2026")


def test_deadline_reads_in_the_msps_time_zone(world, login, open_report):
    world.a.msp.timezone = "Pacific/Auckland"
    world.a.msp.save()
    report = open_report(world.a.msp, cycle=dt.date(2026, 9, 1))
    # 12:00 UTC on 1 March 2030 is 01:00 on 2 March in Auckland (UTC+13 in summer).
    set_report(report, deadline=dt.datetime(2030, 3, 1, 12, tzinfo=dt.UTC))
    now = dt.datetime(2030, 2, 27, tzinfo=dt.UTC)
    tenant = resolve_tenant(user=world.a.users["msp_admin"], org_slug=world.a.msp.slug)
    [due] = due_report_list(tenant=tenant, now=now)
    assert due.report.pk == report.pk and due.time_left == dt.timedelta(days=2, hours=12)

    set_report(report, deadline=timezone.now() + dt.timedelta(days=1))
    local = timezone.localtime(
        timezone.now() + dt.timedelta(days=1), timezone=zoneinfo.ZoneInfo("Pacific/Auckland")
    )
    html = dashboard(login(world.a.users["msp_admin"]), world.a.msp)
    assert local.strftime("%m/%d/%Y") in html and "(Pacific/Auckland)" in html


def test_other_organisations_reports_never_show(world, login, open_report):
    theirs = open_report(world.b.msp, cycle=dt.date(2026, 9, 1))
    set_report(theirs, deadline=timezone.now() + dt.timedelta(days=1))
    assert BANNER not in dashboard(login(world.a.users["msp_admin"]), world.a.msp)
    # Distributors (theirs or another) see no banner, even for the MSPs they serve.
    assert BANNER not in dashboard(login(world.b.users["dist_admin"]), world.b.distributor)
    assert BANNER not in dashboard(login(world.a.users["dist_admin"]), world.a.distributor)
    assert BANNER in dashboard(login(world.b.users["msp_viewer"]), world.b.msp)


def test_banner_costs_one_query_and_none_when_not_rendered(world, open_report, rf, django_assert_num_queries):
    for month in (7, 8, 9):
        report = open_report(world.a.msp, cycle=dt.date(2026, month, 1))
        set_report(report, deadline=timezone.now() + dt.timedelta(days=month - 6))
    request = rf.get("/")
    request.tenant = resolve_tenant(user=world.a.users["msp_admin"], org_slug=world.a.msp.slug)
    with django_assert_num_queries(0):
        context = due_reports(request)
    with django_assert_num_queries(1):
        assert len(context["due_reports"]) == 3
        assert [due.report.cycle.month for due in context["due_reports"]] == [7, 8, 9]
    request.tenant = resolve_tenant(user=world.a.users["dist_admin"], org_slug=world.a.distributor.slug)
    assert due_reports(request) == {}
