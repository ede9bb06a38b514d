"""The one writer of report history rows (one row per domain event)."""

from .models import ReportEvent, UsageReport, UsageReportLine


def record_event(
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
    """Append a history row; ``actor`` None means the system acted."""
    return ReportEvent.objects.create(
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
