from decimal import Decimal

from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_scopes import scopes_disabled

from msp_portal.demo import DEMO_PASSWORD, DEMO_USERS
from msp_portal.notifications.models import Notification
from msp_portal.tenancy.models import Membership, Organisation, User
from reports.choices import ReportState
from reports.models import LineComment, MspAccountSettings, ReportEvent, UsageReport, UsageReportLine
from reports.selectors import report_lines

DEMO_MSPS = ("contoso", "fabrikam")


def counts():
    with scopes_disabled():
        return (Organisation.objects.count(), User.objects.count(), Membership.objects.count())


REPORT_MODELS = (UsageReport, UsageReportLine, LineComment, ReportEvent, MspAccountSettings, Notification)


def report_counts():
    with scopes_disabled():
        return {model.__name__: model.objects.count() for model in REPORT_MODELS}


def unexplained(report, *, under_declared_only=False):
    """Lines still red for want of an MSP comment."""
    return [
        line
        for line in report_lines(report=report)
        if (line.is_under_declared if under_declared_only else line.is_discrepant)
        and not line.has_msp_comment
    ]


def test_demo_data_twice_leaves_the_same_counts(db):
    call_command("demo_data")
    first = counts()
    first_reports = report_counts()
    call_command("demo_data")
    assert counts() == first
    assert report_counts() == first_reports
    assert first[0] == 3 and first[1] == len(DEMO_USERS)


def test_every_demo_login_works(db):
    call_command("demo_data")
    for spec in DEMO_USERS:
        response = Client().post("/accounts/login/", {"username": spec.email, "password": DEMO_PASSWORD})
        assert response.status_code == 302, spec.email


def test_each_demo_msp_has_a_year_of_reports_in_every_state(db):
    call_command("demo_data")
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


def test_demo_account_settings(db):
    call_command("demo_data")
    contoso = MspAccountSettings.objects.for_tenant(Organisation.objects.get(slug="contoso")).get()
    fabrikam = MspAccountSettings.objects.for_tenant(Organisation.objects.get(slug="fabrikam")).get()
    assert (contoso.auto_submit_days, contoso.penalty_percent, contoso.penalty_minimum) == (
        10,
        Decimal("5"),
        Decimal("2"),
    )
    assert (fabrikam.auto_submit_days, fabrikam.penalty_percent, fabrikam.penalty_minimum) == (7, 0, 0)


def test_a_resubmitted_demo_report_shows_its_changes_since_the_rejection(db):
    call_command("demo_data")
    client = Client()
    client.force_login(User.objects.get(email="reviewer@northwind.example"))
    contoso = Organisation.objects.get(slug="contoso")
    report = UsageReport.objects.for_tenant(contoso).get(state=ReportState.UNDER_REVIEW, rejection_count=1)
    response = client.get(f"/o/northwind/reports/{report.pk}/")
    assert response.status_code == 200
    assert response.context["page"].changes
