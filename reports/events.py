"""The one writer of report history rows (one row per domain event)."""

from collections.abc import Iterable

from .models import ReportEvent, UsageReport, UsageReportLine


def event_row(
    *,
    report: UsageReport,
    kind: str,
    actor,
    line: UsageReportLine | None = None,
    from_state: str = "",
    to_state: str = "",
    old_value="",
    new_value="",
    reason: str = "",
    details: dict | None = None,
) -> ReportEvent:
    """An unsaved history row; ``actor`` None means the system acted."""
    return ReportEvent(
        organisation_id=report.organisation_id,
        report=report,
        line=line,
        kind=kind,
        actor=actor,
        from_state=from_state,
        to_state=to_state,
        old_value=str(old_value),
        new_value=str(new_value),
        reason=reason,
        details=details or {},
    )


def record_event(**fields) -> ReportEvent:
    """Append one history row (the arguments of :func:`event_row`)."""
    row = event_row(**fields)
    row.save()
    return row


def record_events(rows: Iterable[ReportEvent]) -> list[ReportEvent]:
    """Append many rows built with :func:`event_row` in one statement (the batch jobs)."""
    return ReportEvent.objects.bulk_create(list(rows))
