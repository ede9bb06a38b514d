"""Reads of usage reports. Every function takes the acting tenant first: an MSP reads its own
reports, a distributor the reports of the MSPs it serves (the greppable cross-tenant read)."""

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Max,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce, Round
from django.urls import reverse
from django.utils import timezone

from msp_portal.errors import NotFound
from msp_portal.money import round_money
from msp_portal.tenancy.choices import Perm
from msp_portal.tenancy.models import Organisation
from msp_portal.tenancy.resolve import TenantContext
from msp_portal.tenancy.selectors import one_or_not_found

from .choices import EDITABLE_STATES, STATE_TONES, EventKind, ReportState
from .models import LineComment, MspAccountSettings, ReportEvent, ReportPenalty, UsageReport, UsageReportLine
from .rules import (
    DISCREPANT,
    Declaration,
    LinePenalty,
    PenaltyPolicy,
    line_needs_explanation,
    needs_explanation_filter,
    penalty_policy_of,
    report_line_penalties,
    with_msp_comment,
)


def report_queryset(*, tenant: TenantContext) -> QuerySet:
    """The reports this tenant may see at all."""
    organisation = tenant.organisation
    if organisation.is_distributor:
        return UsageReport.objects.for_served_msps_of(organisation)
    return UsageReport.objects.for_tenant(organisation)


def usage_report_list(*, tenant: TenantContext) -> QuerySet:
    return (
        report_queryset(tenant=tenant)
        .select_related("organisation", "submitted_by")
        .order_by("-cycle", "organisation__name")
    )


def usage_report_list_with_totals(*, tenant: TenantContext) -> QuerySet:
    """The reports of the list page, its CSV and the API's list (filter with UsageReportFilter),
    each with its totals (with_totals). A distributor's review queue comes oldest submission
    first, an MSP's reports newest cycle first; the id breaks ties so pages never overlap."""
    reports = with_totals(usage_report_list(tenant=tenant))
    if tenant.organisation.is_distributor:
        return reports.order_by("submitted_at", "cycle", "pk")
    return reports.order_by("-cycle", "pk")


def usage_report_export(reports: QuerySet) -> Iterator[UsageReport]:
    """The reports of a (filtered) list for its CSV, read in chunks: a download of years of
    reports never holds them all in memory."""
    return reports.iterator(chunk_size=500)


def no_usage_reports() -> QuerySet:
    """An empty queryset of reports: what the API schema reads the list's model from."""
    return UsageReport.objects.none()


def no_line_comments() -> QuerySet:
    """An empty queryset of comments, for the API schema (as no_usage_reports)."""
    return LineComment.objects.none()


def no_organisations() -> QuerySet:
    """An empty queryset of organisations, for the API schema of the MSP accounts list."""
    return Organisation.objects.none()


def report_get(*, tenant: TenantContext, report_id: int) -> UsageReport:
    """The report with that id among those the tenant may see (its own, or a served MSP's), or
    NotFound: another organisation's id reads exactly like a missing one (docs/tenancy.md)."""
    queryset = report_queryset(tenant=tenant).select_related(
        "organisation", "organisation__distributor", "submitted_by", "reviewed_by"
    )
    return one_or_not_found(queryset, pk=report_id)


def line_get(*, report: UsageReport, line_id: int) -> UsageReportLine:
    """One line of the report, with its comments and whether the MSP explained it (as
    report_lines gives them), or NotFound when the report has no such line."""
    return one_or_not_found(_lines_with_comments(report), pk=line_id)


def usage_report_get(*, tenant: TenantContext, report_id: int, for_update: bool = False) -> UsageReport:
    """The report, or UsageReport.DoesNotExist when it is not visible to this tenant."""
    queryset = report_queryset(tenant=tenant)
    if for_update:
        return queryset.select_for_update(of=("self",)).get(pk=report_id)
    return queryset.select_related(
        "organisation", "organisation__distributor", "submitted_by", "reviewed_by"
    ).get(pk=report_id)


def _lines_with_comments(report: UsageReport) -> QuerySet:
    comments = LineComment.objects.for_tenant(report.organisation).select_related(
        "author", "author_organisation"
    )
    return with_msp_comment(
        UsageReportLine.objects.for_tenant(report.organisation).filter(report=report)
    ).prefetch_related(Prefetch("comments", queryset=comments))


def report_lines(*, report: UsageReport) -> list[UsageReportLine]:
    """The report's lines with their comment threads and whether the MSP explained them, in a
    fixed number of queries whatever the number of lines."""
    return list(_lines_with_comments(report).order_by("position", "pk"))


def report_lines_for_export(*, report: UsageReport) -> list[UsageReportLine]:
    """The report's lines (report_lines) for its CSV, each holding its report, so that the
    currency of a line's amount costs no query per line."""
    lines = report_lines(report=report)
    for line in lines:
        line.report = report
    return lines


def unexplained_lines(*, report: UsageReport) -> list[UsageReportLine]:
    """Discrepant lines without any comment from the MSP (they block a submit)."""
    return list(
        UsageReportLine.objects.for_tenant(report.organisation)
        .filter(needs_explanation_filter(), report=report)
        .order_by("position", "pk")
    )


def account_settings(*, msp: Organisation) -> MspAccountSettings:
    """The MSP account's settings (defaults when the distributor never changed them)."""
    found = MspAccountSettings.objects.for_tenant(msp).first()
    return found or MspAccountSettings(organisation=msp)


def penalty_policy(*, msp: Organisation) -> PenaltyPolicy:
    return penalty_policy_of(account_settings(msp=msp))


@dataclass(frozen=True)
class PenaltyPreview:
    lines: dict[int, LinePenalty]  # line id → its penalty
    total: Decimal


def penalty_preview(
    *, report: UsageReport, lines: list[UsageReportLine], policy: PenaltyPolicy
) -> PenaltyPreview:
    """What auto-submission would charge now: every discrepant line the MSP has not explained."""
    penalties = {line.pk: penalty for line, penalty in report_line_penalties(lines, policy)}
    return PenaltyPreview(lines=penalties, total=sum((p.total for p in penalties.values()), Decimal("0.00")))


def report_penalties(*, report: UsageReport) -> list[ReportPenalty]:
    """The penalties applied to the report, each with its line (oldest deadline first)."""
    return list(
        ReportPenalty.objects.for_tenant(report.organisation)
        .filter(report=report)
        .select_related("line")
        .order_by("deadline", "line__position", "pk")
    )


def report_history(*, report: UsageReport) -> QuerySet:
    return (
        ReportEvent.objects.for_tenant(report.organisation)
        .filter(report=report)
        .select_related("actor", "line")
        .order_by("created_at", "pk")
    )


@dataclass
class LineChange:
    line: UsageReportLine
    old_billable: int | None
    new_billable: int
    new_comments: list[LineComment]


def changes_since_rejection(
    *, report: UsageReport, lines: list[UsageReportLine]
) -> tuple[ReportEvent | None, list[LineChange]]:
    """For a report rejected before: what the MSP changed after the last rejection (billable
    units old → new, and new comments), line by line."""
    last_rejection = (
        ReportEvent.objects.for_tenant(report.organisation)
        .filter(report=report, kind=EventKind.REJECTED)
        .order_by("-created_at", "-pk")
        .first()
    )
    if last_rejection is None:
        return None, []
    edits = (
        ReportEvent.objects.for_tenant(report.organisation)
        .filter(report=report, kind=EventKind.LINE_EDIT, created_at__gte=last_rejection.created_at)
        .order_by("created_at", "pk")
    )
    first_old_value: dict[int, int] = {}
    for edit in edits:
        first_old_value.setdefault(edit.line_id, int(edit.old_value))
    changes = []
    for line in lines:
        new_comments = [c for c in line.comments.all() if c.created_at >= last_rejection.created_at]
        old = first_old_value.get(line.pk)
        if (old is not None and old != line.billable_units) or new_comments:
            changes.append(
                LineChange(
                    line=line, old_billable=old, new_billable=line.billable_units, new_comments=new_comments
                )
            )
    return last_rejection, changes


def time_left(deadline: dt.datetime, now: dt.datetime | None = None) -> dt.timedelta:
    return deadline - (now or timezone.now())


@dataclass(frozen=True)
class AnnualRow:
    product_code: str
    product_name: str
    unit_type: str
    cycles: int
    provided_units: int
    billable_units: int
    amount: Decimal


def line_queryset(*, tenant: TenantContext) -> QuerySet:
    """The report lines this tenant may see (same rule as report_queryset)."""
    organisation = tenant.organisation
    if organisation.is_distributor:
        return UsageReportLine.objects.for_served_msps_of(organisation)
    return UsageReportLine.objects.for_tenant(organisation)


MONEY = DecimalField(max_digits=20, decimal_places=2)
# line_amount in SQL, so that a total summed in the database is the sum of the amounts the lines
# show (docs/money.md). PostgreSQL's round(numeric, 2) rounds half away from zero, which is
# half-up here: units and prices are never negative.
LINE_AMOUNT = Round(
    ExpressionWrapper(
        F("billable_units") * F("unit_price"), output_field=DecimalField(max_digits=20, decimal_places=4)
    ),
    2,
)


def annual_record(*, tenant: TenantContext, year: int, msp: Organisation | None = None) -> list[AnnualRow]:
    """A calendar year's totals per product over the year's cycles (the sum of the lines'
    amounts, each rounded to the cent), aggregated in the database."""
    lines = line_queryset(tenant=tenant).filter(report__cycle__year=year)
    if msp is not None:
        lines = lines.filter(organisation=msp)
    rows = (
        lines.values("product_code")
        .annotate(
            product_name=Max("product_name"),
            unit_type=Max("unit_type"),
            cycles=Count("report", distinct=True),
            provided=Sum("provided_units"),
            billable=Sum("billable_units"),
            amount=Sum(LINE_AMOUNT, output_field=MONEY),
        )
        .order_by("product_name")
    )
    return [
        AnnualRow(
            product_code=row["product_code"],
            product_name=row["product_name"],
            unit_type=row["unit_type"],
            cycles=row["cycles"],
            provided_units=row["provided"],
            billable_units=row["billable"],
            amount=round_money(row["amount"]),
        )
        for row in rows
    ]


def line_amount(line: UsageReportLine) -> Decimal:
    """Billable units × unit price, rounded half-up to the cent (LINE_AMOUNT in SQL)."""
    return round_money(line.billable_units * line.unit_price)


def with_totals(reports: QuerySet) -> QuerySet:
    """Annotate each report with its line count, discrepancies and amount, by subqueries so a
    page of reports costs one query whatever its size."""
    # Correlated to the outer (already tenant-filtered) report rows, so it cannot reach others.
    lines = UsageReportLine.objects.with_scopes_disabled().filter(report=OuterRef("pk")).values("report")
    return reports.annotate(
        line_count=Coalesce(Subquery(lines.annotate(n=Count("pk")).values("n")), 0),
        discrepancy_count=Coalesce(Subquery(lines.filter(DISCREPANT).annotate(n=Count("pk")).values("n")), 0),
        amount=Coalesce(
            Subquery(lines.annotate(total=Sum(LINE_AMOUNT, output_field=MONEY)).values("total")),
            Decimal("0.00"),
            output_field=MONEY,
        ),
    )


@dataclass(frozen=True)
class ReportRow:
    report: UsageReport
    tone: str
    time_left: dt.timedelta | None
    amount: Decimal


def report_row(report: UsageReport) -> ReportRow:
    open_ = report.is_editable
    return ReportRow(
        report=report,
        tone=STATE_TONES[report.state],
        time_left=time_left(report.deadline) if open_ else None,
        amount=round_money(getattr(report, "amount", Decimal("0"))),
    )


def report_cycles(*, tenant: TenantContext) -> list[dt.date]:
    """The months that have a report, newest first: the review queue's cycle filter."""
    return list(report_queryset(tenant=tenant).dates("cycle", "month", order="DESC"))


def report_years(*, tenant: TenantContext) -> list[int]:
    return sorted({d.year for d in report_queryset(tenant=tenant).dates("cycle", "year")}, reverse=True)


@dataclass(frozen=True)
class LineRow:
    line: UsageReportLine
    amount: Decimal
    needs_comment: bool  # discrepant and not explained by the MSP
    penalty: LinePenalty | None

    @property
    def declaration(self) -> Declaration:
        """Match, under or over: what the page's colours and legend say of the line."""
        return self.line.declaration


@dataclass(frozen=True)
class LineCounts:
    """The report page's counts of lines: every part of the page (summary, lines filter, submit
    dialog) reads them from here, so they cannot disagree."""

    lines: int
    discrepant: int
    unexplained: int  # discrepant and not explained by the MSP


def line_counts(rows: list[LineRow]) -> LineCounts:
    return LineCounts(
        lines=len(rows),
        discrepant=sum(1 for row in rows if row.line.is_discrepant),
        unexplained=sum(1 for row in rows if row.needs_comment),
    )


@dataclass(frozen=True)
class ReportPage:
    """Everything the report page shows, prepared in a fixed number of queries."""

    lines: list[UsageReportLine]
    rows: list[LineRow]
    total_amount: Decimal
    counts: LineCounts
    unexplained_count: int
    discrepancy_count: int
    penalty: PenaltyPreview
    penalties: list[ReportPenalty]  # applied at auto-submissions
    history: list[ReportEvent]
    last_rejection: ReportEvent | None
    changes: list[LineChange]
    time_left: dt.timedelta | None
    can_edit: bool
    can_review: bool
    can_comment: bool


def report_page(*, tenant: TenantContext, report: UsageReport) -> ReportPage:
    lines = report_lines(report=report)
    policy = penalty_policy(msp=report.organisation)
    preview = penalty_preview(report=report, lines=lines, policy=policy)
    rows = [
        LineRow(
            line=line,
            amount=line_amount(line),
            needs_comment=line_needs_explanation(line),
            penalty=preview.lines.get(line.pk),
        )
        for line in lines
    ]
    is_own = report.organisation_id == tenant.organisation.pk
    editable = report.state in EDITABLE_STATES
    last_rejection, changes = changes_since_rejection(report=report, lines=lines)
    counts = line_counts(rows)
    return ReportPage(
        lines=lines,
        rows=rows,
        total_amount=sum((row.amount for row in rows), Decimal("0.00")),
        counts=counts,
        unexplained_count=counts.unexplained,
        discrepancy_count=counts.discrepant,
        penalty=preview,
        penalties=report_penalties(report=report),
        history=list(report_history(report=report)),
        last_rejection=last_rejection,
        changes=changes,
        time_left=time_left(report.deadline) if editable else None,
        can_edit=is_own and editable and tenant.can(Perm.EDIT_REPORTS),
        can_review=not is_own
        and report.state == ReportState.UNDER_REVIEW
        and tenant.can(Perm.REVIEW_REPORTS),
        can_comment=(is_own and editable and tenant.can(Perm.EDIT_REPORTS))
        or (not is_own and report.state != ReportState.APPROVED and tenant.can(Perm.REVIEW_REPORTS)),
    )


def line_row_get(page: ReportPage, line_id: int) -> LineRow:
    """The row of ``line_id`` on a prepared report page, or NotFound (the line is not in it)."""
    row = next((row for row in page.rows if row.line.pk == line_id), None)
    if row is None:
        raise NotFound()
    return row


# --- the due-soon banner ------------------------------------------------------------------------

DUE_SOON = dt.timedelta(days=7)
MAX_SHOWN = 12  # one report per month: more than a year of open reports is not a banner's job


@dataclass(frozen=True)
class DueReport:
    report: UsageReport
    time_left: dt.timedelta
    url: str

    @property
    def is_overdue(self) -> bool:
        return self.time_left <= dt.timedelta(0)


def due_report_list(*, tenant: TenantContext, now: dt.datetime | None = None) -> list[DueReport]:
    """The tenant's editable reports (being prepared or rejected) due within DUE_SOON or already
    past their deadline, soonest first, in one query. Empty for anyone who cannot see the
    organisation's own reports (a distributor, a role without the permission)."""
    organisation = tenant.organisation
    if not organisation.is_msp or not tenant.can(Perm.VIEW_OWN_REPORTS):
        return []
    now = now or timezone.now()
    reports = (
        UsageReport.objects.for_tenant(organisation)
        .filter(state__in=EDITABLE_STATES, deadline__lte=now + DUE_SOON)
        .order_by("deadline", "cycle")[:MAX_SHOWN]
    )
    # The report URLs differ only by id: reverse once, not per report.
    base = reverse("reports:report-detail", kwargs={"org_slug": organisation.slug, "report_id": 0})[:-2]
    return [
        DueReport(report=report, time_left=report.deadline - now, url=f"{base}{report.pk}/")
        for report in reports
    ]
