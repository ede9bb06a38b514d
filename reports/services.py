"""Writes of usage reports. Each service locks what it changes, checks the permission, applies
the rule, saves, writes the history row and notifies once the transaction commits (STYLE
habit 4). Pages, API and workers all go through these functions."""

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from licensing.selectors import provided_units_by_cycle
from msp_portal.errors import Conflict, Invalid, NotAllowed, NotFound
from msp_portal.money import CurrencyMismatch
from msp_portal.notifications.services import notify, notify_many
from msp_portal.numbers import whole_number
from msp_portal.tenancy.choices import Perm, Role
from msp_portal.tenancy.models import Organisation, User
from msp_portal.tenancy.resolve import TenantContext
from msp_portal.tenancy.selectors import users_with_roles

from . import notifications, selectors
from .approval_hooks import reports_approved
from .choices import EDITABLE_STATES, EventKind, ReportState, SubmissionKind
from .events import record_event
from .links import cycle_label, deadline_label, report_url
from .models import LineComment, ReportEvent, UsageReport, UsageReportLine
from .rules import LineSpec, deadline_after, line_spec_from_licensing, report_approves_automatically
from .transitions import auto_approve_step, auto_approved_notice, submit_step

logger = logging.getLogger(__name__)

MAX_UNITS = 10_000_000
COMMENT_MAX = 4000
DUPLICATE_COMMENT_WINDOW = dt.timedelta(seconds=30)


def _require(tenant: TenantContext, perm: str) -> None:
    if not tenant.can(perm):
        raise NotAllowed()


def _lock_report(tenant: TenantContext, report_id: int) -> UsageReport:
    try:
        return selectors.usage_report_get(tenant=tenant, report_id=report_id, for_update=True)
    except UsageReport.DoesNotExist as exc:
        raise NotFound from exc


@transaction.atomic
def usage_report_open(
    *, msp: Organisation, cycle: dt.date, lines: Sequence[LineSpec], opened_at: dt.datetime | None = None
) -> tuple[UsageReport, bool]:
    """Open the MSP's report for ``cycle`` with ``lines``; returns (report, created).

    Safe to run again or concurrently: the (MSP, cycle) unique key lets exactly one report
    exist; a second call returns it unchanged. Billable units start at the used units where the
    product reports them, else at the provided units. Tells the MSP admins on commit.

    The report is in the MSP's billing currency; a line priced in another one raises
    CurrencyMismatch and nothing is opened (docs/currency.md): a report is never shown with a
    price under another currency's name, nor opened without a product the MSP holds.
    """
    opened_at = opened_at or timezone.now()
    account = selectors.account_settings(msp=msp)
    report, created = UsageReport.objects.for_tenant(msp).get_or_create(
        organisation=msp,
        cycle=cycle.replace(day=1),
        defaults={
            "opened_at": opened_at,
            "deadline": deadline_after(opened_at, account.auto_submit_days, msp.timezone),
            "currency": msp.currency,
        },
    )
    if not created:
        return report, False
    _check_line_currencies(msp=msp, cycle=cycle, lines=lines)  # raising undoes the report's row
    UsageReportLine.objects.bulk_create(
        [
            UsageReportLine(
                organisation=msp,
                report=report,
                position=position,
                product_code=spec.product_code,
                sku_code=spec.sku_code,
                product_name=spec.product_name,
                unit_type=spec.unit_type,
                unit_price=spec.unit_price,
                provided_units=spec.provided_units,
                used_units=spec.used_units,
                billable_units=spec.used_units if spec.used_units is not None else spec.provided_units,
            )
            for position, spec in enumerate(lines)
        ]
    )
    record_event(report=report, kind=EventKind.OPENED, actor=None, to_state=report.state)
    notify(
        organisation=msp,
        recipients=users_with_roles(organisation=msp, roles=[Role.MSP_ADMIN]),
        kind=notifications.REPORT_READY,
        params={"cycle": cycle_label(report), "deadline": deadline_label(report)},
        url=report_url(report, msp),
    )
    return report, True


def _check_line_currencies(*, msp: Organisation, cycle: dt.date, lines: Sequence[LineSpec]) -> None:
    foreign = [spec for spec in lines if spec.currency != msp.currency]
    if not foreign:
        return
    message = _(
        "The usage report of %(msp)s for %(cycle)s was not opened: %(msp)s is billed in %(currency)s, "
        "and these products are priced in another currency: %(products)s."
    ) % {
        "msp": msp.name,
        "cycle": f"{cycle:%Y-%m}",
        "products": ", ".join(f"{spec.product_name} ({spec.currency})" for spec in foreign),
        "currency": msp.currency,
    }
    # Loud for the operator as well as for the caller (a job records it as the run's error).
    logger.error("%s", message)
    raise CurrencyMismatch(message)


@dataclass(frozen=True)
class OpenedReport:
    report: UsageReport
    created: bool  # False: the report was open already, and is unchanged
    line_count: int  # the lines it was opened with (0 when not created)


def usage_reports_open_from_licensing(
    *, msp: Organisation, cycles: Sequence[dt.date], opened_at: dt.datetime | None = None
) -> list[OpenedReport]:
    """Open the MSP's reports of ``cycles`` (oldest first) with their provided units from
    licensing (docs/licensing.md): one line per product the MSP holds, the peak assigned in the cycle
    (license-based) or the imported quantities (usage-based), read for all the cycles at once.
    Returns what happened per cycle. Idempotent like usage_report_open. What the hourly job
    (reports.cycles) runs for each MSP."""
    if not cycles:
        return []
    provided = provided_units_by_cycle(msp=msp, first_cycle=cycles[0], last_cycle=cycles[-1])
    opened = []
    for cycle in cycles:
        lines = [line_spec_from_licensing(figures) for figures in provided[cycle]]
        report, created = usage_report_open(msp=msp, cycle=cycle, lines=lines, opened_at=opened_at)
        opened.append(OpenedReport(report=report, created=created, line_count=len(lines) if created else 0))
    return opened


def _parse_units(value) -> int:
    """Whole, non-negative units; anything else is refused with a sentence naming the field."""
    if isinstance(value, bool):
        value = None
    if isinstance(value, str):
        value = whole_number(value)
    if not isinstance(value, int) or value < 0 or value > MAX_UNITS:
        raise Invalid(
            _("Billable units must be a whole number from 0 to %(max)s.") % {"max": f"{MAX_UNITS:,}"},
            field_errors={"billable_units": [_("Enter a whole number of units, 0 or more.")]},
        )
    return value


@transaction.atomic
def usage_report_line_update(
    *, tenant: TenantContext, acting_user: User, report_id: int, line_id: int, billable_units, version: int
) -> UsageReportLine:
    """Save the billable units of one line (save draft).

    ``version`` is the line version the editor started from: if someone saved the line since,
    nothing is overwritten and Conflict (409) carries the current value. Re-sending the value
    the line already has is a no-op (a double click saves once).
    """
    _require(tenant, Perm.EDIT_REPORTS)
    billable_units = _parse_units(billable_units)
    report = _lock_report(tenant, report_id)
    if report.state not in EDITABLE_STATES:
        raise Conflict(
            _("This report is %(state)s: its lines can no longer be edited.")
            % {"state": report.get_state_display()},
            code="not_editable",
        )
    try:
        line = (
            UsageReportLine.objects.for_tenant(report.organisation)
            .select_for_update()
            .get(pk=line_id, report=report)
        )
    except UsageReportLine.DoesNotExist as exc:
        raise NotFound from exc
    if line.billable_units == billable_units:
        return line
    if line.version != version:
        raise Conflict(
            _(
                "Someone else saved this line a moment ago: it now has %(units)s billable units. "
                "Check the current value and save again if you still want to change it."
            )
            % {"units": line.billable_units},
            code="edit_conflict",
            extra={"current": {"billable_units": line.billable_units, "version": line.version}},
        )
    old = line.billable_units
    line.billable_units = billable_units
    line.version += 1
    line.save(update_fields=["billable_units", "version", "updated_at"])
    record_event(
        report=report,
        kind=EventKind.LINE_EDIT,
        actor=acting_user,
        line=line,
        old_value=old,
        new_value=billable_units,
    )
    return line


@transaction.atomic
def line_comment_add(
    *, tenant: TenantContext, acting_user: User, report_id: int, line_id: int, body: str
) -> LineComment:
    """Add a comment to a line's thread, by the MSP (admins, while the report is editable) or
    by the serving distributor (reviewers and admins, until the report is approved)."""
    if tenant.organisation.is_distributor:
        _require(tenant, Perm.REVIEW_REPORTS)
    else:
        _require(tenant, Perm.EDIT_REPORTS)
    body = (body or "").strip()
    if not body:
        raise Invalid(
            _("Write a comment before sending it."), field_errors={"body": [_("This field is required.")]}
        )
    if len(body) > COMMENT_MAX:
        raise Invalid(
            _("A comment holds at most %(max)s characters.") % {"max": COMMENT_MAX},
            field_errors={"body": [_("Shorten the comment.")]},
        )
    report = _lock_report(tenant, report_id)
    if report.state == ReportState.APPROVED:
        raise Conflict(_("This report is approved: its comments are closed."), code="not_editable")
    if not tenant.organisation.is_distributor and report.state not in EDITABLE_STATES:
        raise Conflict(
            _("This report is under review: you can comment again if it is rejected."), code="not_editable"
        )
    try:
        line = UsageReportLine.objects.for_tenant(report.organisation).get(pk=line_id, report=report)
    except UsageReportLine.DoesNotExist as exc:
        raise NotFound from exc
    recent_twin = (
        LineComment.objects.for_tenant(report.organisation)
        .filter(
            line=line,
            author=acting_user,
            body=body,
            created_at__gte=timezone.now() - DUPLICATE_COMMENT_WINDOW,
        )
        .first()
    )
    if recent_twin is not None:  # a double click or a retried request: keep one comment
        return recent_twin
    return LineComment.objects.create(
        organisation=report.organisation,
        line=line,
        author=acting_user,
        author_organisation=tenant.organisation,
        body=body,
    )


def _refuse_unexplained(report: UsageReport) -> None:
    missing = selectors.unexplained_lines(report=report)
    if missing:
        names = [line.product_name for line in missing]
        raise Invalid(
            ngettext(
                "Explain the discrepancy of %(count)d line in a comment before submitting: %(lines)s.",
                "Explain the discrepancies of %(count)d lines in a comment before submitting: %(lines)s.",
                len(missing),
            )
            % {"count": len(missing), "lines": ", ".join(names)},
            code="unexplained_discrepancies",
            field_errors={"lines": names},
            extra={"lines": [line.pk for line in missing]},
        )


@transaction.atomic
def usage_report_submit(
    *, tenant: TenantContext, acting_user: User, report_id: int, po_number: str = "", note: str = ""
) -> UsageReport:
    """Submit the report to the distributor (MSP admins). Refused while a discrepant line has
    no MSP comment (the error lists them)."""
    _require(tenant, Perm.EDIT_REPORTS)
    po_number, note = (po_number or "").strip(), (note or "").strip()
    if len(po_number) > 64:
        raise Invalid(
            _("A PO number holds at most 64 characters."), field_errors={"po_number": [_("Shorten it.")]}
        )
    if len(note) > 4000:
        raise Invalid(_("The note holds at most 4000 characters."), field_errors={"note": [_("Shorten it.")]})
    report = _lock_report(tenant, report_id)
    if report.state not in EDITABLE_STATES:
        raise Conflict(
            _("This report is already %(state)s.") % {"state": report.get_state_display()},
            code="transition_not_allowed",
        )
    _refuse_unexplained(report)
    now = timezone.now()
    submitted = submit_step(
        report,
        by=acting_user,
        at=now,
        kind=SubmissionKind.MANUAL,
        po_number=po_number,
        note=note,
        details={"po_number": po_number, "note": note},
    )
    report.save()
    UsageReportLine.objects.for_tenant(report.organisation).filter(report=report, flagged=True).update(
        flagged=False
    )
    submitted.save()
    distributor = report.organisation.distributor
    notify(
        organisation=distributor,
        recipients=users_with_roles(organisation=distributor, roles=[Role.DIST_REVIEWER, Role.DIST_ADMIN]),
        kind=notifications.REPORT_SUBMITTED,
        params={"msp": report.organisation.name, "cycle": cycle_label(report)},
        url=report_url(report, distributor),
    )
    _approve_automatically(report, now)
    return report


def _approve_automatically(report: UsageReport, now: dt.datetime) -> None:
    """The system approves a just-submitted report at once where the rule says so (docs/reports.md,
    approve): the same steps as the deadline sweep's (reports.transitions), written at once."""
    account = selectors.account_settings(msp=report.organisation)
    if not report_approves_automatically(account=account, lines=selectors.report_lines(report=report)):
        return
    approved = auto_approve_step(report, at=now)
    report.save()
    approved.save()
    reports_approved([report])  # e.g. the invoice, in this transaction
    recipients = users_with_roles(organisation=report.organisation, roles=[Role.MSP_ADMIN, Role.MSP_BILLING])
    notify_many([auto_approved_notice(report, recipients=recipients, params={})])


def _check_reviewer(tenant: TenantContext, report: UsageReport, acting_user: User) -> None:
    """Distributor reviewers and admins of the serving distributor, and never a person who
    submitted or edited this report (segregation of duties)."""
    _require(tenant, Perm.REVIEW_REPORTS)
    if not tenant.organisation.is_distributor or report.organisation.distributor_id != tenant.organisation.pk:
        raise NotAllowed()
    took_part = (
        ReportEvent.objects.for_tenant(report.organisation)
        .filter(report=report, actor=acting_user, kind__in=[EventKind.SUBMITTED, EventKind.LINE_EDIT])
        .exists()
    )
    if took_part:
        raise NotAllowed(
            _("You submitted or edited this report, so another reviewer must approve or reject it."),
            code="segregation_of_duties",
        )


def _refuse_unless_under_review(report: UsageReport) -> None:
    if report.state != ReportState.UNDER_REVIEW:
        raise Conflict(
            _("This report is %(state)s, not under review: reload to see where it stands.")
            % {"state": report.get_state_display()},
            code="transition_not_allowed",
        )


@transaction.atomic
def usage_report_approve(*, tenant: TenantContext, acting_user: User, report_id: int) -> UsageReport:
    report = _lock_report(tenant, report_id)
    _check_reviewer(tenant, report, acting_user)
    _refuse_unless_under_review(report)
    report.approve(by=acting_user, at=timezone.now())
    report.save()
    reports_approved([report])  # e.g. the invoice, in this transaction
    record_event(
        report=report,
        kind=EventKind.APPROVED,
        actor=acting_user,
        from_state=ReportState.UNDER_REVIEW,
        to_state=report.state,
    )
    notify(
        organisation=report.organisation,
        recipients=users_with_roles(
            organisation=report.organisation, roles=[Role.MSP_ADMIN, Role.MSP_BILLING]
        ),
        kind=notifications.REPORT_APPROVED,
        params={"distributor": tenant.organisation.name, "cycle": cycle_label(report)},
        url=report_url(report, report.organisation),
    )
    return report


@transaction.atomic
def usage_report_reject(
    *, tenant: TenantContext, acting_user: User, report_id: int, reason: str, line_ids: Sequence[int] = ()
) -> UsageReport:
    """Send the report back to the MSP with a reason (required), optionally naming the lines at
    fault; a new deadline starts from now with the account's delay."""
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(
            _("Give the reason for the rejection: the MSP sees it."),
            field_errors={"reason": [_("This field is required.")]},
        )
    if len(reason) > 4000:
        raise Invalid(
            _("The reason holds at most 4000 characters."), field_errors={"reason": [_("Shorten it.")]}
        )
    report = _lock_report(tenant, report_id)
    _check_reviewer(tenant, report, acting_user)
    _refuse_unless_under_review(report)
    line_ids = sorted({int(pk) for pk in line_ids})
    lines = UsageReportLine.objects.for_tenant(report.organisation).filter(report=report)
    known = set(lines.filter(pk__in=line_ids).values_list("pk", flat=True))
    unknown = [pk for pk in line_ids if pk not in known]
    if unknown:
        raise Invalid(
            _("These lines are not in this report: %(ids)s.") % {"ids": ", ".join(map(str, unknown))},
            field_errors={"line_ids": [_("Choose lines of this report.")]},
        )
    now = timezone.now()
    account = selectors.account_settings(msp=report.organisation)
    report.reject(
        by=acting_user,
        at=now,
        reason=reason,
        new_deadline=deadline_after(now, account.auto_submit_days, report.organisation.timezone),
    )
    report.save()
    lines.update(flagged=False)
    lines.filter(pk__in=line_ids).update(flagged=True)
    record_event(
        report=report,
        kind=EventKind.REJECTED,
        actor=acting_user,
        from_state=ReportState.UNDER_REVIEW,
        to_state=report.state,
        reason=reason,
        details={"lines": line_ids, "deadline": report.deadline.isoformat()},
    )
    notify(
        organisation=report.organisation,
        recipients=users_with_roles(organisation=report.organisation, roles=[Role.MSP_ADMIN]),
        kind=notifications.REPORT_REJECTED,
        params={
            "distributor": tenant.organisation.name,
            "cycle": cycle_label(report),
            "reason": reason,
            "deadline": deadline_label(report),
        },
        url=report_url(report, report.organisation),
    )
    return report
