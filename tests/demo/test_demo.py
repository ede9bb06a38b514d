import datetime as dt
import io
import zoneinfo
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.test import Client
from django.utils import timezone
from django_scopes import scopes_disabled

from config.demo import demo_data_load
from licensing import demo as licensing_demo
from licensing import selectors as licensing_selectors
from licensing.choices import BillingType, HistoryKind, Program
from licensing.cycle_peaks import peaks_by_cycle
from licensing.models import (
    AssignmentEvent,
    CostCenter,
    License,
    Product,
    Purchase,
    PurchaseAllocation,
    PurchaseLine,
    Subscription,
    TrueUpCharge,
)
from msp_portal.notifications.models import Notification
from msp_portal.tenancy.demo import DEMO_PASSWORD, DEMO_USERS
from msp_portal.tenancy.models import Membership, Organisation, User
from reports.choices import ReportState, SubmissionKind
from reports.demo import DEMO_ACCOUNTS
from reports.models import (
    LineComment,
    MspAccountSettings,
    ReportEvent,
    ReportPenalty,
    UsageReport,
    UsageReportLine,
)
from reports.selectors import report_lines

from ..billing.demo_checks import check_the_last_ended_month, latest_run_flags
from .conftest import SEEN_AT

DEMO_MSPS = ("contoso", "fabrikam")
pytestmark = pytest.mark.now(SEEN_AT)


def counts():
    with scopes_disabled():
        return (Organisation.objects.count(), User.objects.count(), Membership.objects.count())


REPORT_MODELS = (UsageReport, UsageReportLine, LineComment, ReportEvent, MspAccountSettings, Notification)
LICENSING_MODELS = (
    Product,
    CostCenter,
    Subscription,
    Purchase,
    PurchaseLine,
    PurchaseAllocation,
    License,
    AssignmentEvent,
)


def report_counts():
    with scopes_disabled():
        return {model.__name__: model.objects.count() for model in REPORT_MODELS}


def licensing_counts():
    with scopes_disabled():
        return {model.__name__: model.objects.count() for model in LICENSING_MODELS}


def unexplained(report, *, under_declared_only=False):
    """Lines still red for want of an MSP comment."""
    return [
        line
        for line in report_lines(report=report)
        if (line.is_under_declared if under_declared_only else line.is_discrepant)
        and not line.has_msp_comment
    ]


def test_demo_data_twice_leaves_the_same_counts(demo):
    first = counts()
    first_reports = report_counts()
    first_licensing = licensing_counts()
    call_command("demo_data", stdout=io.StringIO())
    assert counts() == first
    assert report_counts() == first_reports
    assert licensing_counts() == first_licensing
    assert first[0] == 3 and first[1] == len(DEMO_USERS)


def test_every_demo_login_works(demo):
    for spec in DEMO_USERS:
        response = Client().post("/accounts/login/", {"username": spec.email, "password": DEMO_PASSWORD})
        assert response.status_code == 302, spec.email


def test_each_demo_msp_has_a_year_of_reports_in_every_state(demo):
    for slug in DEMO_MSPS:
        msp = Organisation.objects.get(slug=slug)
        reports = UsageReport.objects.for_tenant(msp)
        assert reports.count() == 12, slug
        assert set(reports.values_list("state", flat=True)) == set(ReportState.values), slug
        assert UsageReportLine.objects.for_tenant(msp).filter(report=reports.first()).count() >= 6
        # the month being prepared still has unexplained discrepancies and a deadline ahead
        latest = reports.order_by("-cycle").first()
        assert latest.state == ReportState.MSP_PREPARATION
        assert latest.deadline > timezone.now()
        assert any(unexplained(latest, under_declared_only=True))
        # every approved report went through submit and approve, some after a rejection
        approved = reports.filter(state=ReportState.APPROVED)
        assert approved.filter(rejection_count__gte=1).exists(), slug
        for report in approved:
            assert not unexplained(report)


def test_each_demo_msp_has_a_report_the_system_submitted_with_penalties(demo):
    for slug in DEMO_MSPS:
        msp = Organisation.objects.get(slug=slug)
        report = UsageReport.objects.for_tenant(msp).get(submission_kind=SubmissionKind.AUTOMATIC_PENALISED)
        assert report.state == ReportState.APPROVED and report.needs_review_flag
        assert report.submitted_at > report.deadline and report.submitted_by is None
        penalties = ReportPenalty.objects.for_tenant(msp).filter(report=report)
        assert penalties.count() == 2  # three discrepancies, one explained in time
        assert all(p.deadline == report.deadline and p.total > 0 for p in penalties)
        if slug == "contoso":  # 5 % surcharge with a 2.00 minimum per line
            assert all(p.surcharge >= Decimal("2.00") for p in penalties)
        else:  # Fabrikam: the reset only
            assert all(p.surcharge == 0 for p in penalties)


def test_demo_account_settings(demo):
    contoso = MspAccountSettings.objects.for_tenant(Organisation.objects.get(slug="contoso")).get()
    fabrikam = MspAccountSettings.objects.for_tenant(Organisation.objects.get(slug="fabrikam")).get()
    assert (contoso.auto_submit_days, contoso.penalty_percent, contoso.penalty_minimum) == (
        10,
        Decimal("5"),
        Decimal("2"),
    )
    assert (fabrikam.auto_submit_days, fabrikam.penalty_percent, fabrikam.penalty_minimum) == (7, 0, 0)


def test_a_resubmitted_demo_report_shows_its_changes_since_the_rejection(demo):
    client = Client()
    client.force_login(User.objects.get(email="reviewer@northwind.example"))
    contoso = Organisation.objects.get(slug="contoso")
    report = UsageReport.objects.for_tenant(contoso).get(state=ReportState.UNDER_REVIEW, rejection_count=1)
    response = client.get(f"/o/northwind/reports/{report.pk}/")
    assert response.status_code == 200
    assert response.context["page"].changes


# --- licensing ----------------------------------------------------------------------------------


def statuses_of(slug):
    return licensing_selectors.subscription_statuses(organisation=Organisation.objects.get(slug=slug))


def test_licensing_loads_before_the_reports(demo):
    keys = list(demo_data_load())
    assert keys.index("assignment_events") < keys.index("usage_reports")


def test_the_catalog_shares_product_ids_and_skus_with_the_demo_reports(demo):
    northwind = Organisation.objects.get(slug="northwind")
    catalog = {(p.product_code, p.sku_code): p for p in Product.objects.for_tenant(northwind)}
    for account in DEMO_ACCOUNTS:
        for product in account.products:
            assert (product.code, product.sku) in catalog, product.code
            assert catalog[(product.code, product.sku)].name == product.name
            assert catalog[(product.code, product.sku)].unit_price == Decimal(product.price)
    products = [catalog[(item.code, item.sku)] for item in licensing_demo.CATALOG]
    assert {p.currency for p in products} == {"EUR"}
    assert {p.program for p in products if p.billing_type == BillingType.LICENSE} == set(Program.values)
    assert {p.unit_type for p in products if p.billing_type == BillingType.USAGE} == {"GB", "hour"}


def test_each_demo_msp_has_one_over_allocation_with_a_true_up_and_one_near_capacity(demo):
    for slug in DEMO_MSPS:
        statuses = statuses_of(slug)
        over = [s for s in statuses if s.excess > 0]
        assert len(over) == 1, slug
        assert over[0].product.program == Program.TRUE_UP
        assert over[0].true_up_units >= over[0].excess > 0 and over[0].true_up_amount > 0
        assert len([s for s in statuses if s.near_capacity]) == 1, slug
        for status in statuses:
            if status.product.program == Program.NO_OVERALLOCATION:
                assert status.assigned <= status.owned
            assert status.peak_year.units >= status.assigned
    contoso = {s.product.product_code: s for s in statuses_of("contoso")}
    # Visio went over what was owned before the anniversary two months ago and came back: that
    # year's true-up billed it anyway (the demo runs the job), and the new year expects nothing.
    visio = contoso["MS-VISIO-P2"]
    assert visio.excess == 0 and visio.true_up_units == 0
    (charge,) = TrueUpCharge.objects.for_tenant(visio.subscription.organisation).filter(
        subscription=visio.subscription
    )
    assert (charge.peak_units, charge.owned_units, charge.units) == (8, 6, 2)
    assert charge.amount == 2 * visio.product.unit_price


def test_each_demo_msp_has_a_cost_center_tree_and_purchases_split_over_it(demo):
    for slug in DEMO_MSPS:
        msp = Organisation.objects.get(slug=slug)
        centers = CostCenter.objects.for_tenant(msp)
        assert {"HQ", "SALES", "SUP", "RND"} <= set(centers.values_list("code", flat=True))
        assert centers.filter(parent__isnull=False).count() >= 4
        split = (
            PurchaseLine.objects.for_tenant(msp)
            .filter(allocations__isnull=False)
            .values("pk")
            .annotate(n=Count("allocations"))
            .filter(n__gte=2)
        )
        assert split.exists(), slug
        assert Purchase.objects.for_tenant(msp).count() >= 3
        assert not License.objects.for_tenant(msp).filter(cost_center__isnull=True).exists()


def test_each_demo_msp_has_a_few_hundred_assignments_over_fourteen_months(demo):
    now = timezone.now()
    for slug in DEMO_MSPS:
        msp = Organisation.objects.get(slug=slug)
        assigned = License.objects.for_tenant(msp).filter(assigned_at__isnull=False)
        assert 100 <= assigned.count() <= 400, slug
        assert assigned.exclude(assignee_email="").count() >= assigned.count() - 5
        assert assigned.exclude(assignee_extension="").exists()
        events = AssignmentEvent.objects.for_tenant(msp)
        first, last = events.order_by("at").first().at, events.order_by("-at").first().at
        assert now - dt.timedelta(days=440) <= first <= now - dt.timedelta(days=400)
        assert last < now
        assert events.filter(kind=HistoryKind.UNASSIGNED).count() >= 10
        assert events.filter(kind=HistoryKind.PURCHASED).count() >= 5
        # people with a license are people: names and e-mails that look like their company's
        sample = assigned.exclude(assignee_email="").first()
        assert sample.assignee_email.endswith(f"@{slug}.example") and " " in sample.assignee_name


def test_the_demo_history_never_over_allocates_where_the_program_forbids_it(demo):
    for slug in DEMO_MSPS:
        msp = Organisation.objects.get(slug=slug)
        for subscription in Subscription.objects.for_tenant(msp).select_related("product"):
            running = 0
            for event in licensing_selectors.assignment_history(organisation=msp, subscription=subscription):
                running += event.assigned_delta
                if subscription.product.program == Program.NO_OVERALLOCATION:
                    assert running <= event.owned_after, (slug, subscription.product.name, event.at)


def test_demo_peaks_per_cycle_follow_the_history(demo):
    """The monthly peaks usage reports will take from the demo history: the same as asking
    cycle by cycle; over the whole history, each subscription's highest is its full-term peak,
    above what is owned for the over-allocated E3."""
    contoso = Organisation.objects.get(slug="contoso")
    today = timezone.localdate(timezone=zoneinfo.ZoneInfo(contoso.timezone))
    first = (today.replace(day=1) - dt.timedelta(days=450)).replace(day=1)
    found = peaks_by_cycle(organisation=contoso, first_cycle=first, last_cycle=today)
    statuses = {s.subscription.pk: s for s in statuses_of("contoso")}
    cycles = sorted({cycle for _sub, cycle in found})
    assert len(cycles) >= 15 and len(found) == len(cycles) * len(statuses)
    for pk, status in statuses.items():
        assert max(units for (sub, _cycle), units in found.items() if sub == pk) == status.peak_term.units
    e3 = next(s for s in statuses.values() if s.product.product_code == "MS-M365-E3")
    assert e3.peak_term.units > e3.owned
    for cycle in cycles:
        start, end = licensing_selectors.cycle_bounds(contoso, cycle)
        provided = licensing_selectors.peaks(
            organisation=contoso, subscription_ids=list(statuses), start=start, end=end
        )
        assert {pk: peak.units for pk, peak in provided.items()} == {
            pk: found[(pk, cycle)] for pk in statuses
        }, cycle


def test_the_demo_licensing_pages_open(demo):
    for slug, email in (("contoso", "admin@contoso.example"), ("fabrikam", "admin@fabrikam.example")):
        client = Client()
        client.force_login(User.objects.get(email=email))
        assert client.get(f"/o/{slug}/").status_code == 200
        response = client.get(f"/o/{slug}/licensing/")
        assert response.status_code == 200
        assert response.context["overallocated_subscriptions"] == 1
        assert response.context["near_capacity_count"] == 1


# --- the billing part (tests/billing/demo_checks.py) ---------------------------------------------


def test_the_last_ended_month_shows_every_kind_of_flag_and_cause(demo):
    check_the_last_ended_month(demo, dt.date(2026, 10, 1))


def test_loading_the_demo_twice_leaves_the_same_billing_counts(demo):
    first = demo  # the first load: the module's
    again = demo_data_load()
    assert {key: again[key] for key in first} == first
    assert (first["reconciliation_imports"], first["reconciliation_flags"]) == (
        4,
        len(latest_run_flags(dt.date(2026, 10, 1))[1]) + 1,
    )


def test_the_billing_member_finds_the_demo_files_among_the_imports(demo):
    client = Client()
    client.force_login(User.objects.get(email="billing@contoso.example"))
    page = client.get("/o/contoso/billing/imports/").content.decode()
    for name in (
        "contoso-daily-usage-2026-10.csv",
        "contoso-invoice-2026-10.csv",
        "contoso-invoice-2026-09.csv",
    ):
        assert name in page
