"""How a report is named and linked in notifications (the same for people and for jobs)."""

import zoneinfo
from urllib.parse import urlencode

from django.urls import reverse

from msp_portal.tenancy.models import Organisation

from .models import UsageReport


def cycle_label(report: UsageReport) -> str:
    return f"{report.cycle:%Y-%m}"


def deadline_label(report: UsageReport) -> str:
    """The deadline as the MSP reads it: in its own time zone."""
    local = report.deadline.astimezone(zoneinfo.ZoneInfo(report.organisation.timezone))
    return f"{local:%Y-%m-%d %H:%M} ({report.organisation.timezone})"


def report_url(report: UsageReport, organisation: Organisation) -> str:
    """The report's page as ``organisation`` (the MSP or its distributor) opens it."""
    return reverse("reports:report-detail", kwargs={"org_slug": organisation.slug, "report_id": report.pk})


def review_queue_url(distributor: Organisation, **query) -> str:
    """The distributor's report list (its review queue), optionally filtered."""
    url = reverse("reports:report-list", kwargs={"org_slug": distributor.slug})
    return f"{url}?{urlencode(query)}" if query else url
