"""Escalating reminders before a report's deadline (docs/reports.md, docs/jobs.md).

An account's schedule lists days before the deadline (7, 3 and 1 by default). When a run finds a
step due for a report still with the MSP (``msp_preparation`` or ``rejected``), the MSP admins
are reminded, once per report, deadline and step: the reminder row's unique key is the claim, so
two runs at once, or a retry, send nothing twice. A rejection sets a new deadline, and the steps
start again for it. When several steps are due at once (a report rejected 2 days before its new
deadline, or runs missed while the workers were down), only the most urgent is sent: nobody needs
"7 days left" after "1 day left". At the deadline itself the report is submitted automatically
and the admins are told (see reports.auto_submit).
"""

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from msp_portal.jobs.services import JobRunLog
from msp_portal.notifications.services import notify
from msp_portal.tenancy.choices import Role
from msp_portal.tenancy.selectors import users_with_roles

from . import notifications, selectors
from .choices import EDITABLE_STATES
from .links import cycle_label, deadline_label, report_url
from .models import MspAccountSettings, ReportReminder, UsageReport

LONGEST_STEP = dt.timedelta(days=90)  # the most an account's schedule may ask for


def due_step(deadline: dt.datetime, steps: list[int], now: dt.datetime) -> int | None:
    """The most urgent step (fewest days before the deadline) whose moment has come, or None
    (none yet, or the deadline itself has passed)."""
    if now >= deadline:
        return None
    reached = [days for days in steps if deadline - dt.timedelta(days=days) <= now]
    return min(reached) if reached else None


def _candidates(now: dt.datetime) -> list[tuple[UsageReport, int]]:
    reports = list(
        UsageReport.objects.across_tenants()
        .filter(state__in=EDITABLE_STATES, deadline__gt=now, deadline__lte=now + LONGEST_STEP)
        .select_related("organisation")
        .order_by("deadline", "pk")
    )
    schedules = {
        account.organisation_id: account.reminder_days
        for account in MspAccountSettings.objects.across_tenants().filter(
            organisation_id__in={report.organisation_id for report in reports}
        )
    }
    sent = set(
        ReportReminder.objects.across_tenants()
        .filter(report__in=reports)
        .values_list("report_id", "deadline", "days_before")
    )
    due = []
    for report in reports:
        steps = schedules.get(report.organisation_id, MspAccountSettings().reminder_days)
        step = due_step(report.deadline, steps, now)
        if step is not None and (report.pk, report.deadline, step) not in sent:
            due.append((report, step))
    return due


def reminders_send_due(*, log: JobRunLog, now: dt.datetime | None = None) -> None:
    """Send every reminder that is due and not sent yet (see the module's docstring)."""
    now = now or timezone.now()
    for report, step in _candidates(now):
        if log.dry_run:
            log.would(f"remind {report.organisation.name} {cycle_label(report)}: {step} day(s) before")
            log.add("reminders")
            continue
        if _remind(report, step):
            log.add("reminders")
        else:
            log.add("already_sent")


def _remind(report: UsageReport, step: int) -> bool:
    """Claim the (report, deadline, step) reminder and tell the MSP admins; False when another
    run claimed it first or the report left the MSP's hands meanwhile."""
    try:
        with transaction.atomic():
            locked = (
                UsageReport.objects.for_tenant(report.organisation)
                .select_for_update()
                .filter(pk=report.pk, state__in=EDITABLE_STATES, deadline=report.deadline)
                .first()
            )
            if locked is None:
                return False
            ReportReminder.objects.create(
                organisation=report.organisation, report=report, deadline=report.deadline, days_before=step
            )
            preview = selectors.penalty_preview(
                report=report,
                lines=selectors.report_lines(report=report),
                policy=selectors.penalty_policy(msp=report.organisation),
            )
            notify(
                organisation=report.organisation,
                recipients=users_with_roles(organisation=report.organisation, roles=[Role.MSP_ADMIN]),
                kind=notifications.REPORT_REMINDER,
                params={
                    "cycle": cycle_label(report),
                    "deadline": deadline_label(report),
                    "days": step,
                    "amount": f"{preview.total:.2f}",
                    "currency": report.currency,
                },
                url=report_url(report, report.organisation),
            )
    except IntegrityError:  # the unique key: another run sent this step a moment ago
        return False
    return True
