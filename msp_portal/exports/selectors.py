"""Reads of export requests."""

from django.db.models import QuerySet

from msp_portal.tenancy.models import Organisation
from msp_portal.tenancy.resolve import TenantContext
from msp_portal.tenancy.selectors import one_or_not_found

from .models import ExportRequest
from .registry import export_kind


def export_list(*, tenant: TenantContext) -> list[ExportRequest]:
    """The organisation's exports whose kind the reader may download, newest first."""
    return [
        export
        for export in ExportRequest.objects.for_tenant(tenant.organisation).select_related("created_by")[:500]
        if tenant.can(export_kind(export.kind).perm)
    ]


def export_get(*, organisation: Organisation, export_id: int) -> ExportRequest:
    return one_or_not_found(ExportRequest.objects.for_tenant(organisation), pk=export_id)


def exports_in_progress(*, organisation: Organisation) -> QuerySet:
    return ExportRequest.objects.for_tenant(organisation).filter(state__in=["queued", "running"])
