"""The usage-report figures of the dashboard."""

from django.db.models import Count, Min, Q
from django.utils import timezone

from msp_portal.tenancy.choices import Perm
from msp_portal.tenancy.dashboard import Panel, register_panel
from msp_portal.tenancy.resolve import TenantContext

from . import selectors
from .choices import EDITABLE_STATES, ReportState


@register_panel
def reports_panel(tenant: TenantContext) -> Panel | None:
    if not (tenant.can(Perm.VIEW_OWN_REPORTS) or tenant.can(Perm.VIEW_SERVED_REPORTS)):
        return None
    reports = selectors.report_queryset(tenant=tenant)
    now = timezone.now()
    counts = reports.aggregate(
        under_review=Count("pk", filter=Q(state=ReportState.UNDER_REVIEW)),
        open=Count("pk", filter=Q(state__in=EDITABLE_STATES)),
        overdue=Count("pk", filter=Q(state__in=EDITABLE_STATES, deadline__lt=now)),
        rejected=Count("pk", filter=Q(state=ReportState.REJECTED)),
        oldest_waiting=Min("submitted_at", filter=Q(state=ReportState.UNDER_REVIEW)),
    )
    context = {"counts": counts, "is_distributor": tenant.organisation.is_distributor}
    if not tenant.organisation.is_distributor:
        current = reports.filter(state__in=EDITABLE_STATES).order_by("deadline").first()
        if current is not None:
            page = selectors.report_page(tenant=tenant, report=current)
            context.update(current=current, current_page=page)
    return Panel(template="reports/_dashboard_panel.html", context=context)
