"""Export requests: written with the request, built by a worker (msp_portal/exports/files.py),
downloaded until they expire (docs/exports.md). The request never waits for the broker: the
beat's sweep builds whatever a worker was not handed."""

import datetime as dt
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from msp_portal.errors import NotAllowed
from msp_portal.jobs.handover import hand_over
from msp_portal.tenancy.models import User
from msp_portal.tenancy.resolve import TenantContext

from .models import ExportRequest, ExportState
from .registry import export_kind

LIFETIME = dt.timedelta(days=7)  # a download link works this long after the request
STUCK_AFTER = dt.timedelta(minutes=30)  # a build not finished by then is taken over
SWEEP_AFTER = dt.timedelta(minutes=1)  # a queued request not started by then is built by the sweep


def export_request_create(
    *, tenant: TenantContext, acting_user: User | None, kind: str, title: str, params: dict
) -> ExportRequest:
    if not tenant.can(export_kind(kind).perm):
        raise NotAllowed()
    export = ExportRequest.objects.create(
        organisation=tenant.organisation,
        kind=kind,
        title=title[:200],
        params=params,
        created_by=acting_user,
        expires_at=timezone.now() + LIFETIME,
    )

    transaction.on_commit(lambda: hand_over("exports.build", (export.pk,), f"Export {export.pk}"))
    return export


def export_claim(export_id: int, now: dt.datetime | None = None) -> bool:
    """Take the build: queued, or running but stuck. Exactly one caller gets True."""
    now = now or timezone.now()
    return bool(
        ExportRequest.objects.across_tenants()
        .filter(Q(state=ExportState.QUEUED) | Q(state=ExportState.RUNNING, started_at__lt=now - STUCK_AFTER))
        .filter(pk=export_id)
        .update(state=ExportState.RUNNING, started_at=now, progress=0, row_count=0)
    )


def export_progress(export_id: int, *, rows: int, total: int | None) -> None:
    progress = min(99, rows * 100 // total) if total else 0
    ExportRequest.objects.across_tenants().filter(pk=export_id).update(row_count=rows, progress=progress)


def export_finish(export_id: int, *, rows: int, size: int, file_name: str) -> None:
    ExportRequest.objects.across_tenants().filter(pk=export_id).update(
        state=ExportState.DONE,
        progress=100,
        row_count=rows,
        size_bytes=size,
        file_name=file_name,
        finished_at=timezone.now(),
    )


def export_fail(export_id: int, error: str) -> None:
    ExportRequest.objects.across_tenants().filter(pk=export_id).update(
        state=ExportState.FAILED, error=error[:2000], finished_at=timezone.now()
    )


def export_file_path(export: ExportRequest) -> Path:
    return Path(settings.MEDIA_ROOT) / "exports" / str(export.organisation_id) / f"{export.pk}.csv"


def exports_due(now: dt.datetime | None = None) -> list[int]:
    """What the sweep builds: queued for over a minute, or stuck."""
    now = now or timezone.now()
    return list(
        ExportRequest.objects.across_tenants()
        .filter(
            Q(state=ExportState.QUEUED, created_at__lt=now - SWEEP_AFTER)
            | Q(state=ExportState.RUNNING, started_at__lt=now - STUCK_AFTER)
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:100]
    )


def exports_expired_remove(now: dt.datetime | None = None) -> int:
    """Delete the files of the exports past their date; they stay listed as expired."""
    now = now or timezone.now()
    expired = list(ExportRequest.objects.across_tenants().filter(expires_at__lt=now, state=ExportState.DONE))
    for export in expired:
        export_file_path(export).unlink(missing_ok=True)
    ExportRequest.objects.across_tenants().filter(pk__in=[e.pk for e in expired]).update(
        state=ExportState.EXPIRED
    )
    return len(expired)
