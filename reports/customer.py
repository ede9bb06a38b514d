"""The usage-report part of a distributor's customer page (msp_portal/tenancy/customers.py): the
state of the last cycles, overdue reports and penalties applied in the summary; the reports and
the account settings tabs. Every read names the MSP (``for_tenant(msp)``); the kernel has
already checked that the requesting distributor serves it."""

from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from msp_portal.tenancy.choices import Perm
from msp_portal.tenancy.customers import CustomerTab, register_customer_summary, register_customer_tabs
from msp_portal.tenancy.dashboard import Panel
from msp_portal.tenancy.links import url_if_allowed
from msp_portal.tenancy.models import Organisation
from msp_portal.tenancy.resolve import TenantContext

from . import selectors
from .choices import EDITABLE_STATES, STATE_TONES
from .models import ReportPenalty, UsageReport

LAST_CYCLES = 3
REPORTS_IN_TAB = 24  # two years of monthly cycles


def _rows(tenant: TenantContext, reports) -> list[dict]:
    now = timezone.now()
    return [
        {
            "report": report,
            "tone": STATE_TONES.get(report.state, ""),
            "overdue": report.state in EDITABLE_STATES and report.deadline < now,
            "url": url_if_allowed(tenant, "reports:report-detail", report_id=report.pk),
        }
        for report in reports
    ]


def reports_summary(tenant: TenantContext, msp: Organisation) -> Panel | None:
    if not tenant.can(Perm.VIEW_SERVED_REPORTS):
        return None
    reports = UsageReport.objects.for_tenant(msp)
    overdue = reports.filter(state__in=EDITABLE_STATES, deadline__lt=timezone.now()).count()
    penalties = list(
        ReportPenalty.objects.for_tenant(msp)
        .values("currency")
        .annotate(count=Count("pk"), total=Sum("total"))
        .order_by("currency")
    )
    return Panel(
        template="reports/customer/_summary.html",
        context={
            "last_cycles": _rows(tenant, reports.order_by("-cycle", "-pk")[:LAST_CYCLES]),
            "overdue": overdue,
            "penalties": penalties,
            "penalty_count": sum(row["count"] for row in penalties),
            "settings_url": url_if_allowed(tenant, "reports:account-settings-edit", msp_id=msp.pk),
        },
    )


def reports_tab(tenant: TenantContext, msp: Organisation) -> Panel:
    reports = (
        UsageReport.objects.for_tenant(msp)
        .annotate(penalty_count=Count("penalties"))
        .order_by("-cycle", "-pk")[:REPORTS_IN_TAB]
    )
    return Panel(
        template="reports/customer/_reports.html",
        context={
            "rows": _rows(tenant, reports),
            "all_url": url_if_allowed(tenant, "reports:report-list"),
        },
    )


def settings_tab(tenant: TenantContext, msp: Organisation) -> Panel:
    return Panel(
        template="reports/customer/_settings.html",
        context={
            "account": selectors.account_settings(msp=msp),
            "edit_url": url_if_allowed(tenant, "reports:account-settings-edit", msp_id=msp.pk),
            "can_manage": tenant.can(Perm.MANAGE_ACCOUNTS),
        },
    )


def register() -> None:
    register_customer_summary(reports_summary, order=10)
    register_customer_tabs(
        CustomerTab("reports", _("Reports"), reports_tab, perm=Perm.VIEW_SERVED_REPORTS, order=10),
        CustomerTab("settings", _("Account settings"), settings_tab, perm=Perm.VIEW_SERVED_REPORTS, order=80),
    )
