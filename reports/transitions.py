"""The per-report steps of the submit and automatic-approval transitions, shared by a person's
submit (reports.services) and the deadline sweep (reports.auto_submit).

Each step runs the model's transition on a report its caller holds locked and returns what to
write: the history row, the notice. The caller writes them: a person's submit at once, the sweep
a batch at a time in a fixed number of statements. So the sweep batches the writes but never
restates what a transition does.
"""

import datetime as dt
from collections.abc import Iterable

from msp_portal.notifications.services import Notice
from msp_portal.tenancy.models import User

from . import notifications
from .choices import EventKind, ReportState
from .events import event_row
from .links import cycle_label, report_url
from .models import ReportEvent, UsageReport


def submit_step(
    report: UsageReport,
    *,
    by: User | None,
    at: dt.datetime,
    kind: str,
    po_number: str,
    note: str,
    details: dict,
) -> ReportEvent:
    """Submit the report (``by`` None: the system did) and return its unsaved history row.
    The caller saves the report and clears the lines' "at fault" flags."""
    from_state = report.state
    report.submit(by=by, at=at, kind=kind, po_number=po_number, note=note)
    return event_row(
        report=report,
        kind=EventKind.SUBMITTED,
        actor=by,
        from_state=from_state,
        to_state=report.state,
        details={"how": kind, **details},
    )


def auto_approve_step(report: UsageReport, *, at: dt.datetime) -> ReportEvent:
    """Approve a just-submitted report by the system (where
    rules.report_approves_automatically says so) and return its unsaved history row."""
    report.approve(by=None, at=at)
    return event_row(
        report=report,
        kind=EventKind.APPROVED,
        actor=None,
        from_state=ReportState.UNDER_REVIEW,
        to_state=report.state,
        details={"automatic": True},
    )


def auto_approved_notice(report: UsageReport, *, recipients: Iterable[User], params: dict) -> Notice:
    """What the MSP hears when the system approved its report: its admins and its billing admins
    (who bill from approved reports) are the ``recipients``. ``params`` adds to the cycle."""
    return Notice(
        organisation=report.organisation,
        recipients=recipients,
        kind=notifications.REPORT_AUTO_APPROVED,
        params={"cycle": cycle_label(report), **params},
        url=report_url(report, report.organisation),
    )
