"""The "due soon" banner of every MSP page: the reports the MSP still has to submit whose deadline
is near (or already passed, while the worker submits them)."""

import datetime as dt
from dataclasses import dataclass

from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from msp_portal.tenancy.choices import Perm
from msp_portal.tenancy.resolve import TenantContext

from .choices import EDITABLE_STATES
from .models import UsageReport

DUE_SOON = dt.timedelta(days=7)
MAX_SHOWN = 12  # one report per month: more than a year of open reports is not a banner's job


@dataclass(frozen=True)
class DueReport:
    report: UsageReport
    time_left: dt.timedelta
    url: str

    @property
    def is_overdue(self) -> bool:
        return self.time_left <= dt.timedelta(0)


def due_report_list(*, tenant: TenantContext, now: dt.datetime | None = None) -> list[DueReport]:
    """The tenant's editable reports (being prepared or rejected) due within DUE_SOON or already
    past their deadline, soonest first, in one query. Empty for anyone who cannot see the
    organisation's own reports (a distributor, a role without the permission)."""
    organisation = tenant.organisation
    if not organisation.is_msp or not tenant.can(Perm.VIEW_OWN_REPORTS):
        return []
    now = now or timezone.now()
    reports = (
        UsageReport.objects.for_tenant(organisation)
        .filter(state__in=EDITABLE_STATES, deadline__lte=now + DUE_SOON)
        .order_by("deadline", "cycle")[:MAX_SHOWN]
    )
    # The report URLs differ only by id: reverse once, not per report.
    base = reverse("reports:report-detail", kwargs={"org_slug": organisation.slug, "report_id": 0})[:-2]
    return [
        DueReport(report=report, time_left=report.deadline - now, url=f"{base}{report.pk}/")
        for report in reports
    ]


def due_reports(request) -> dict:
    """``due_reports``: the banner's rows, queried only when a template reads them (full pages
    include the banner; htmx fragments do not, and cost nothing)."""
    tenant = getattr(request, "tenant", None)
    if tenant is None or not tenant.organisation.is_msp or not tenant.can(Perm.VIEW_OWN_REPORTS):
        return {}
    return {
        "due_reports": SimpleLazyObject(lambda: due_report_list(tenant=tenant)),
        "due_reports_timezone": tenant.organisation.timezone,
    }
