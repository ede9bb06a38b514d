"""Billing's reads."""

import datetime as dt
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import QuerySet
from django.utils import timezone

from msp_portal.tenancy.models import Organisation
from msp_portal.tenancy.selectors import one_or_not_found

from .models import ImportProblem, ImportState, ReconciliationImport

# How long an import may stay queued or loading before the page offers to run it again.
RETRY_AFTER = dt.timedelta(minutes=10)


def import_problems(*, reconciliation_import: ReconciliationImport) -> QuerySet:
    """Why a file was refused, by line (the header is line 1)."""
    return ImportProblem.objects.for_tenant(reconciliation_import.organisation).filter(
        reconciliation_import=reconciliation_import
    )


def reconciliation_import_list(*, organisation: Organisation) -> QuerySet:
    """The MSP's imports, newest first, with who uploaded each (the list page, its CSV and the
    API; filtered by billing/filters.py)."""
    return ReconciliationImport.objects.for_tenant(organisation).select_related(
        "organisation", "created_by", "replaces"
    )


def reconciliation_import_get(*, organisation: Organisation, import_id: int) -> ReconciliationImport:
    """One import of the MSP, or NotFound (another organisation's id reads as a missing one)."""
    return one_or_not_found(reconciliation_import_list(organisation=organisation), pk=import_id)


def import_progress_key(import_id: int) -> str:
    """The cache key under which a running import's worker writes the bytes it has read."""
    return f"billing:import:{import_id}:bytes_read"


@dataclass(frozen=True)
class ImportProgress:
    bytes_read: int
    size_bytes: int

    @property
    def percent(self) -> int:
        if not self.size_bytes:
            return 0
        return min(100, self.bytes_read * 100 // self.size_bytes)


def import_progress(*, reconciliation_import: ReconciliationImport) -> ImportProgress:
    """How far the worker has read the file: all of it once the import has ended, what the
    worker last wrote to the cache while it runs (nothing yet: 0)."""
    size = reconciliation_import.size_bytes
    if reconciliation_import.state not in (ImportState.QUEUED, ImportState.RUNNING):
        return ImportProgress(size, size)
    bytes_read = cache.get(import_progress_key(reconciliation_import.pk)) or 0
    return ImportProgress(min(int(bytes_read), size), size)


def import_can_be_retried(*, reconciliation_import: ReconciliationImport, now=None) -> bool:
    """An import still queued or loading RETRY_AFTER after its upload has lost its worker (a
    worker killed mid-import leaves it so, its rows rolled back): it may be run again."""
    now = now or timezone.now()
    return (
        reconciliation_import.state in (ImportState.QUEUED, ImportState.RUNNING)
        and reconciliation_import.created_at <= now - RETRY_AFTER
    )
