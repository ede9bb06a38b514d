"""Auto-submission (docs/reports.md, docs/jobs.md) and auto-approval.

Every report past its deadline in ``msp_preparation`` or ``rejected`` goes to ``under_review``
as submitted by the system. Each discrepant line without an MSP comment is penalised: its
billable units go back to the provided units, plus the surcharge of the account's policy, each
kept as a :class:`~reports.models.ReportPenalty` row. The report is marked "automatically
submitted — may require review" and recorded as automatic with or without penalties; the MSP
admins and the distributor are told. Then, where the account approves clean reports
automatically and no line was discrepant, the report is approved by the system.

Why it is safe whatever the workers do:

- reports are claimed a batch at a time with ``SELECT … FOR UPDATE SKIP LOCKED``: two sweeps at
  once take different reports, and the WHERE clause (editable state, deadline passed) is checked
  again on the row's latest version, so a report submitted meanwhile is not taken;
- one batch is one transaction: a worker killed mid-batch leaves its reports as they were (never
  a half-submitted report) and the next sweep takes them again;
- a penalty's unique key (line, deadline) refuses a second penalty for one deadline even to code
  that would bypass the claim.

A batch costs a fixed number of SQL statements, whatever its number of reports and lines.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import DatabaseError, transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone

from msp_portal.errors import DomainError
from msp_portal.jobs.services import JobRunLog
from msp_portal.jobs.tasks import TRANSIENT_ERRORS
from msp_portal.notifications.services import Notice, notify_many
from msp_portal.tenancy.choices import Role
from msp_portal.tenancy.selectors import users_with_roles_by_organisation

from . import notifications
from .approval_hooks import reports_approved
from .choices import EDITABLE_STATES, EventKind, ReportState, SubmissionKind
from .events import event_row, record_events
from .links import cycle_label, report_url, review_queue_url
from .models import MspAccountSettings, ReportPenalty, UsageReport, UsageReportLine
from .rules import (
    DISCREPANT,
    LinePenalty,
    penalty_policy_of,
    report_approves_automatically,
    report_line_penalties,
    with_msp_comment,
)
from .transitions import auto_approve_step, auto_approved_notice, submit_step

BATCH_SIZE = 250


@dataclass
class Submission:
    """What auto-submitting one report does: computed first, written with its batch."""

    report: UsageReport
    lines: list[UsageReportLine]
    penalties: list[tuple[UsageReportLine, LinePenalty]] = field(default_factory=list)
    approve: bool = False

    @property
    def kind(self) -> str:
        return SubmissionKind.AUTOMATIC_PENALISED if self.penalties else SubmissionKind.AUTOMATIC

    @property
    def penalty_total(self) -> Decimal:
        return sum((penalty.total for _, penalty in self.penalties), Decimal("0.00"))


def plan_submission(
    report: UsageReport, lines: list[UsageReportLine], account: MspAccountSettings
) -> Submission:
    """The penalties of the report's unexplained discrepant lines and whether it is then
    approved. Pure: changes nothing (so a dry run prints exactly what a real run does)."""
    return Submission(
        report=report,
        lines=lines,
        penalties=report_line_penalties(lines, penalty_policy_of(account)),
        approve=report_approves_automatically(account=account, lines=lines),
    )


def _due_reports(
    now: dt.datetime, *, limit: int, skip: set[int], lock: bool, only: list[int] | None = None
) -> list[UsageReport]:
    queryset = (
        UsageReport.objects.across_tenants()
        .filter(state__in=EDITABLE_STATES, deadline__lte=now)
        .exclude(pk__in=skip)
        .select_related("organisation", "organisation__distributor")
        .order_by("deadline", "pk")
    )
    if only is not None:
        queryset = queryset.filter(pk__in=only)
    if lock:
        # SKIP LOCKED: a report another sweep holds is its business; OF self: the MSP and
        # distributor rows joined for their names are not locked.
        queryset = queryset.select_for_update(skip_locked=True, of=("self",))
    return list(queryset[:limit])


def _discrepant_lines_by_report(reports: list[UsageReport]) -> dict[int, list[UsageReportLine]]:
    """Only the lines that declare something else than provided: the others can be neither
    penalised nor stop an automatic approval, and most lines of most reports are like that."""
    found: dict[int, list[UsageReportLine]] = {report.pk: [] for report in reports}
    lines = UsageReportLine.objects.across_tenants().filter(DISCREPANT, report_id__in=list(found))
    for line in with_msp_comment(lines).order_by("report_id", "position", "pk"):
        found[line.report_id].append(line)
    return found


def _accounts(reports: list[UsageReport]) -> dict[int, MspAccountSettings]:
    org_ids = {report.organisation_id for report in reports}
    found = {
        account.organisation_id: account
        for account in MspAccountSettings.objects.across_tenants().filter(organisation_id__in=org_ids)
    }
    return {org_id: found.get(org_id) or MspAccountSettings(organisation_id=org_id) for org_id in org_ids}


def _plan_batch(reports: list[UsageReport]) -> list[Submission]:
    lines = _discrepant_lines_by_report(reports)
    accounts = _accounts(reports)
    return [plan_submission(report, lines[report.pk], accounts[report.organisation_id]) for report in reports]


def _write(submissions: list[Submission], now: dt.datetime) -> None:
    """Apply a batch of planned submissions in a fixed number of statements (the caller holds
    the reports' row locks inside one transaction)."""
    events, penalty_rows, penalised_line_ids = [], [], []
    for sub in submissions:
        report = sub.report
        for line, penalty in sub.penalties:
            penalty_rows.append(
                ReportPenalty(
                    organisation_id=report.organisation_id,
                    report=report,
                    line=line,
                    deadline=report.deadline,
                    provided_units=line.provided_units,
                    billable_before=line.billable_units,
                    reset_amount=penalty.reset_amount,
                    surcharge=penalty.surcharge,
                    total=penalty.total,
                    currency=report.currency,
                )
            )
            events.append(
                event_row(
                    report=report,
                    kind=EventKind.PENALTY,
                    actor=None,
                    line=line,
                    old_value=line.billable_units,
                    new_value=penalty.reset_units,
                    details={
                        "reset_amount": str(penalty.reset_amount),
                        "surcharge": str(penalty.surcharge),
                        "total": str(penalty.total),
                        "currency": report.currency,
                    },
                )
            )
            penalised_line_ids.append(line.pk)
        events.append(
            submit_step(
                report,
                by=None,
                at=now,
                kind=sub.kind,
                po_number=report.po_number,
                note=report.note,
                details={"penalties": len(sub.penalties), "penalty_total": str(sub.penalty_total)},
            )
        )
        if sub.approve:
            events.append(auto_approve_step(report, at=now))
    _save(submissions, penalised_line_ids, now)
    ReportPenalty.objects.bulk_create(penalty_rows)
    record_events(events)
    # The approved reports are saved (state, reviewer): their invoices etc. join this batch's
    # transaction. The sweep's UPDATE left the in-memory lines behind, so hooks read rows afresh.
    reports_approved([sub.report for sub in submissions if sub.approve])
    _tell(submissions)


def _save(submissions: list[Submission], penalised_line_ids: list[int], now: dt.datetime) -> None:
    """Store what the transitions changed with one UPDATE per table, whatever the batch size
    (``bulk_update`` would build a CASE per object and field: most of a sweep's time). The
    transition methods already ran on each report, so the state machine checked every move."""
    report_ids = [sub.report.pk for sub in submissions]
    penalised = [sub.report.pk for sub in submissions if sub.penalties]
    approved = [sub.report.pk for sub in submissions if sub.approve]
    UsageReport.objects.across_tenants().filter(pk__in=report_ids).update(
        state=Case(
            When(pk__in=approved, then=Value(ReportState.APPROVED)), default=Value(ReportState.UNDER_REVIEW)
        ),
        submitted_by=None,
        submitted_at=now,
        submission_kind=Case(
            When(pk__in=penalised, then=Value(SubmissionKind.AUTOMATIC_PENALISED)),
            default=Value(SubmissionKind.AUTOMATIC),
        ),
        needs_review_flag=True,
        reviewed_by=Case(When(pk__in=approved, then=None), default=F("reviewed_by")),
        reviewed_at=Case(When(pk__in=approved, then=Value(now)), default=F("reviewed_at")),
    )
    lines = UsageReportLine.objects.across_tenants()
    lines.filter(report_id__in=report_ids, flagged=True).update(flagged=False)
    if penalised_line_ids:  # a penalty always resets the billable units to the provided ones
        lines.filter(pk__in=penalised_line_ids).update(
            billable_units=F("provided_units"), version=F("version") + 1, updated_at=now
        )


def _tell(submissions: list[Submission]) -> None:
    """Each MSP's admins hear about their own report; each distributor gets one digest per
    batch rather than one message per report."""
    msps = {sub.report.organisation_id: sub.report.organisation for sub in submissions}
    distributors = {msp.distributor_id: msp.distributor for msp in msps.values()}
    msp_admins = users_with_roles_by_organisation(organisation_ids=msps, roles=[Role.MSP_ADMIN])
    # Approval notices also reach the billing admins, who bill from approved reports.
    msp_billing = users_with_roles_by_organisation(organisation_ids=msps, roles=[Role.MSP_BILLING])
    reviewers = users_with_roles_by_organisation(
        organisation_ids=distributors, roles=[Role.DIST_REVIEWER, Role.DIST_ADMIN]
    )
    notices = []
    digest: dict[int, dict] = {}
    for sub in submissions:
        report = sub.report
        admins = msp_admins.get(report.organisation_id, [])
        params = {
            "penalties": len(sub.penalties),
            "amount": f"{sub.penalty_total:.2f}",
            "currency": report.currency,
        }
        if sub.approve:
            recipients = admins + msp_billing.get(report.organisation_id, [])
            notices.append(auto_approved_notice(report, recipients=recipients, params=params))
        else:
            notices.append(
                Notice(
                    organisation=report.organisation,
                    recipients=admins,
                    kind=notifications.REPORT_AUTO_SUBMITTED,
                    params={"cycle": cycle_label(report), **params},
                    url=report_url(report, report.organisation),
                )
            )
        counts = digest.setdefault(
            report.organisation.distributor_id, {"count": 0, "penalised": 0, "approved": 0}
        )
        counts["count"] += 1
        counts["penalised"] += bool(sub.penalties)
        counts["approved"] += sub.approve
    for distributor_id, counts in digest.items():
        distributor = distributors[distributor_id]
        notices.append(
            Notice(
                organisation=distributor,
                recipients=reviewers.get(distributor_id, []),
                kind=notifications.REPORTS_AUTO_SUBMITTED,
                params=counts,
                url=review_queue_url(distributor, submission_kind=SubmissionKind.AUTOMATIC_PENALISED)
                if counts["penalised"]
                else review_queue_url(distributor),
            )
        )
    notify_many(notices)


def _describe(sub: Submission) -> str:
    report = sub.report
    text = f"report {report.pk} ({report.organisation.name}, {cycle_label(report)}): {sub.kind}"
    if sub.penalties:
        text += f", {len(sub.penalties)} penalties, {sub.penalty_total:.2f} {report.currency}"
    if sub.approve:
        text += ", then approved"
    return text


def _count(log: JobRunLog, submissions: list[Submission]) -> None:
    for sub in submissions:
        log.add("submitted")
        log.add("penalised_reports", bool(sub.penalties))
        log.add("penalties", len(sub.penalties))
        log.add("approved", sub.approve)


def auto_submit_due(
    *,
    log: JobRunLog,
    now: dt.datetime | None = None,
    batch_size: int = BATCH_SIZE,
    report_ids: list[int] | None = None,
) -> None:
    """Auto-submit every report whose deadline has passed (see the module's docstring).

    Safe to run again, or at once from several processes. A dry run (``log.dry_run``) writes
    nothing and lists what it would do in ``log.lines``. A batch that fails for a reason other
    than a lost connection is retried one report at a time, so one bad report is logged and
    skipped instead of holding back the others (so is one whose approval hook refuses it, e.g. an
    invoice that cannot be issued); transient errors propagate (the task retries).
    """
    now = now or timezone.now()
    if log.dry_run:
        for sub in _plan_batch(_due_reports(now, limit=10**9, skip=set(), lock=False, only=report_ids)):
            log.would(_describe(sub))
            _count(log, [sub])
        return
    failed: set[int] = set()
    while True:
        reports: list[UsageReport] = []
        try:
            with transaction.atomic():
                reports = _due_reports(now, limit=batch_size, skip=failed, lock=True, only=report_ids)
                if not reports:
                    return
                submissions = _plan_batch(reports)
                _write(submissions, now)
        except TRANSIENT_ERRORS:
            raise
        except (DatabaseError, DomainError):  # a domain error: an approval hook refused one report
            if not reports:
                raise
            _one_at_a_time([report.pk for report in reports], now, log, failed)
            continue
        _count(log, submissions)


def _one_at_a_time(report_ids: list[int], now: dt.datetime, log: JobRunLog, failed: set[int]) -> None:
    for report_id in report_ids:
        try:
            with transaction.atomic():
                reports = list(
                    UsageReport.objects.across_tenants()
                    .filter(pk=report_id, state__in=EDITABLE_STATES, deadline__lte=now)
                    .select_related("organisation", "organisation__distributor")
                    .select_for_update(skip_locked=True, of=("self",))
                )
                if not reports:
                    continue
                submissions = _plan_batch(reports)
                _write(submissions, now)
        except TRANSIENT_ERRORS:
            raise
        except (DatabaseError, DomainError) as exc:
            failed.add(report_id)
            log.error(f"report {report_id}: {type(exc).__name__}: {exc}")
            continue
        _count(log, submissions)
