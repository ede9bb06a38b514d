"""Billing's reads."""

from django.db.models import QuerySet

from .models import ImportProblem, ReconciliationImport


def import_problems(*, reconciliation_import: ReconciliationImport) -> QuerySet:
    """Why a file was refused, by line (the header is line 1)."""
    return ImportProblem.objects.for_tenant(reconciliation_import.organisation).filter(
        reconciliation_import=reconciliation_import
    )
