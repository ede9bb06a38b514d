"""Pages of usage reports: the MSP's list and report page, the distributor's review queue and
review page (one report page, with what the role may do). Views parse, call one service or
selector, and render."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views import View
from django.views.generic import TemplateView

from msp_portal.csv_export import csv_response
from msp_portal.exceptions import DomainError, error_message
from msp_portal.numbers import whole_number
from msp_portal.tenancy.choices import Perm
from msp_portal.tenancy.selectors import served_msp_get
from msp_portal.tenancy.views_base import TenantViewMixin

from . import selectors, services, tables
from .choices import STATE_TONES, ReportState
from .filters import UsageReportFilter, filtered, msp_choices, report_list_query
from .forms import COMMENT_MAX_LENGTH, CommentForm, RejectForm, SubmitForm

REPORTS_PER_PAGE = 25


def line_base_url(org_slug: str, report_id: int) -> str:
    """``/o/<org>/reports/<id>/lines/``: line URLs are this plus ``<line id>/``, built once per
    page rather than reversed for each of hundreds of lines."""
    return reverse(
        "reports:line-update", kwargs={"org_slug": org_slug, "report_id": report_id, "line_id": 0}
    )[:-2]


def line_version(raw) -> int:
    """The line version a form sent back; -1 (matching no version: the edit is refused as
    stale) when it is missing or not a number."""
    version = whole_number(raw)
    return -1 if version is None else version


class ReportAccessMixin(TenantViewMixin):
    """Reports are readable by an MSP's members and by the serving distributor's reviewers."""

    def load_objects(self):
        # Another organisation's report or line, or a line of another report: NotFound, the 404
        # page (msp_portal.exceptions.DomainErrorMiddleware), whatever the method or the role.
        if "report_id" in self.kwargs:
            self.report = self.get_report()
            if "line_id" in self.kwargs:
                selectors.line_get(report=self.report, line_id=self.kwargs["line_id"])

    def check_read(self):
        if not (self.tenant.can(Perm.VIEW_OWN_REPORTS) or self.tenant.can(Perm.VIEW_SERVED_REPORTS)):
            raise PermissionDenied

    def get_report(self):
        return selectors.report_get(tenant=self.tenant, report_id=self.kwargs["report_id"])


class ReportListView(ReportAccessMixin, TemplateView):
    """MSP: its reports (last 12 months or a calendar year with the annual record).
    Distributor: the review queue across the MSPs it serves, oldest first. The page and its CSV
    list the same reports (one filter set, shared with the API) under the same columns
    (tables.MSP_REPORTS / tables.REVIEW_QUEUE)."""

    def get(self, request, *args, **kwargs):
        self.check_read()
        is_distributor = self.tenant.organisation.is_distributor
        table = tables.report_list_table(is_distributor=is_distributor)
        data = report_list_query(request.GET, is_distributor=is_distributor)
        filters = UsageReportFilter(
            data, queryset=selectors.usage_report_list_with_totals(tenant=self.tenant)
        )
        reports = filtered(filters)
        if request.GET.get("format") == "csv":
            return csv_response(
                f"usage-reports-{self.tenant.organisation.slug}.csv",
                table.csv_header(),
                table.csv_rows(selectors.usage_report_export(reports)),
            )
        page = Paginator(reports, REPORTS_PER_PAGE).get_page(request.GET.get("page"))
        period = filters.chosen_period()
        context = self.get_context_data(
            filters=filters,
            page_obj=page,
            rows=[selectors.report_row(report) for report in page],
            table_columns=table.page_columns,
            period=period,
            years=selectors.report_years(tenant=self.tenant),
            cycles=selectors.report_cycles(tenant=self.tenant) if is_distributor else [],
            annual=self.annual_record(filters, period) if period.isdigit() else None,
            msp_options=msp_choices(self.tenant.organisation) if is_distributor else [],
            states=ReportState.choices,
            selected_states=data.getlist("state"),
            is_distributor=is_distributor,
        )
        template = "reports/review_queue.html" if is_distributor else "reports/report_list.html"
        return render(request, template, context)

    def annual_record(self, filters: UsageReportFilter, period: str):
        """The year's totals per product: a distributor's across its MSPs, or one MSP's."""
        distributor = self.tenant.organisation if self.tenant.organisation.is_distributor else None
        msp_slug = filters.form.cleaned_data.get("msp") if distributor else ""
        msp = served_msp_get(distributor=distributor, msp_slug=msp_slug) if msp_slug else None
        # An MSP this distributor does not serve has no record here (not everyone's totals).
        if msp_slug and msp is None:
            return []
        return selectors.annual_record(tenant=self.tenant, year=int(period), msp=msp)


class ReportDetailView(ReportAccessMixin, TemplateView):
    """One report: its lines' grid, and its CSV (tables.REPORT_LINES gives both their columns)."""

    template_name = "reports/report_detail.html"

    def get(self, request, *args, **kwargs):
        self.check_read()
        report = self.report
        if request.GET.get("format") == "csv":
            lines = selectors.report_lines_for_export(report=report)
            return csv_response(
                f"usage-report-{report.organisation.slug}-{report.cycle:%Y-%m}.csv",
                tables.REPORT_LINES.csv_header(),
                # Written now, in the request's language ("yes" in the Explained column).
                list(tables.REPORT_LINES.csv_rows(lines)),
            )
        return render(request, self.template_name, self.report_context(report))

    def report_context(self, report, **extra):
        page = selectors.report_page(tenant=self.tenant, report=report)
        # ?lines=discrepant: only the lines whose billable units differ from the provided ones.
        discrepant_only = self.request.GET.get("lines") == "discrepant"
        return self.get_context_data(
            report=report,
            page=page,
            discrepant_only=discrepant_only,
            shown_rows=[row for row in page.rows if row.line.is_discrepant] if discrepant_only else page.rows,
            line_columns=tables.report_line_page_columns(currency=report.currency),
            state_tone=STATE_TONES[report.state],
            submit_form=SubmitForm(initial={"po_number": report.po_number, "note": report.note}),
            reject_form=RejectForm(lines=page.lines),
            comment_form=CommentForm(),
            comment_max=COMMENT_MAX_LENGTH,
            line_base=line_base_url(self.tenant.organisation.slug, report.pk),
            **extra,
        )


class LineUpdateView(ReportAccessMixin, View):
    """Saves one line's billable units (htmx: answers with the row and the summary)."""

    required_perm = Perm.EDIT_REPORTS

    def post(self, request, *args, **kwargs):
        line_id = kwargs["line_id"]
        prefix = f"line-{line_id}-"
        value = request.POST.get(prefix + "billable", request.POST.get("billable_units"))
        version = request.POST.get(prefix + "version", request.POST.get("version"))
        error = None
        status = 200
        try:
            services.usage_report_line_update(
                tenant=self.tenant,
                acting_user=request.user,
                report_id=kwargs["report_id"],
                line_id=line_id,
                billable_units=value,
                version=line_version(version),
            )
        except DomainError as exc:
            error, status = error_message(exc), 422
        if not request.htmx:
            if error:
                messages.error(request, error)
            else:
                messages.success(request, _("Billable units saved."))
            return redirect(
                "reports:report-detail", org_slug=self.tenant.organisation.slug, report_id=kwargs["report_id"]
            )
        report = self.get_report()
        page = selectors.report_page(tenant=self.tenant, report=report)
        row = selectors.line_row_get(page, line_id)
        return render(
            request,
            "reports/_line_update_response.html",
            {
                "report": report,
                "page": page,
                "row": row,
                "saved": error is None,
                "error": error,
                "attempted": value,
                "tenant": self.tenant,
                "line_base": line_base_url(self.tenant.organisation.slug, report.pk),
            },
            status=status,
        )


class DraftSaveView(ReportAccessMixin, View):
    """Save draft: every changed billable figure of the grid in one click."""

    required_perm = Perm.EDIT_REPORTS

    def post(self, request, *args, **kwargs):
        report = self.get_report()
        saved, problems = 0, []
        for line in selectors.report_lines(report=report):
            raw = request.POST.get(f"line-{line.pk}-billable")
            if raw is None or raw.strip() == str(line.billable_units):
                continue
            version = request.POST.get(f"line-{line.pk}-version", "")
            try:
                services.usage_report_line_update(
                    tenant=self.tenant,
                    acting_user=request.user,
                    report_id=report.pk,
                    line_id=line.pk,
                    billable_units=raw,
                    version=line_version(version),
                )
                saved += 1
            except DomainError as exc:
                problems.append(f"{line.product_name}: {error_message(exc)}")
        if saved:
            messages.success(
                request,
                ngettext(
                    "Draft saved: %(count)d line changed.", "Draft saved: %(count)d lines changed.", saved
                )
                % {"count": saved},
            )
        elif not problems:
            messages.info(request, _("Nothing to save: no billable figure changed."))
        for problem in problems:
            messages.error(request, problem)
        return redirect("reports:report-detail", org_slug=self.tenant.organisation.slug, report_id=report.pk)


class CommentAddView(ReportAccessMixin, View):
    """A line's comment thread: GET shows it (loaded when the row is opened), POST adds one."""

    def get(self, request, *args, **kwargs):
        self.check_read()
        return self.thread(status=200)

    def post(self, request, *args, **kwargs):
        if not (self.tenant.can(Perm.EDIT_REPORTS) or self.tenant.can(Perm.REVIEW_REPORTS)):
            raise PermissionDenied
        form = CommentForm(request.POST)
        error = None
        if form.is_valid():
            try:
                services.line_comment_add(
                    tenant=self.tenant,
                    acting_user=request.user,
                    report_id=kwargs["report_id"],
                    line_id=kwargs["line_id"],
                    body=form.cleaned_data["body"],
                )
            except DomainError as exc:
                error = error_message(exc)
        else:
            error = " ".join(form.errors["body"])
        if not request.htmx:
            if error:
                messages.error(request, error)
            return redirect(
                "reports:report-detail", org_slug=self.tenant.organisation.slug, report_id=kwargs["report_id"]
            )
        return self.thread(
            status=422 if error else 200,
            comment_error=error,
            comment_body=request.POST.get("body", "") if error else "",
            with_row=True,
        )

    def thread(
        self, *, status: int, comment_error: str | None = None, comment_body: str = "", with_row: bool = False
    ):
        """The open thread (and, after a new comment, the line row and summary out of band)."""
        report = self.report
        page = selectors.report_page(tenant=self.tenant, report=report)
        row = selectors.line_row_get(page, self.kwargs["line_id"])
        template = "reports/_comment_response.html" if with_row else "reports/_line_comments.html"
        context = {
            "report": report,
            "page": page,
            "row": row,
            "comment_error": comment_error,
            "comment_body": comment_body,
            "comment_max": COMMENT_MAX_LENGTH,
            "tenant": self.tenant,
            "open": True,
            "line_base": line_base_url(self.tenant.organisation.slug, report.pk),
        }
        return render(self.request, template, context, status=status)


class TransitionView(ReportAccessMixin, View):
    """Submit, approve or reject (POST); the service decides, the page says what happened."""

    action = ""
    ACTION_PERMS = {
        "submit": Perm.EDIT_REPORTS,
        "approve": Perm.REVIEW_REPORTS,
        "reject": Perm.REVIEW_REPORTS,
    }

    def post(self, request, *args, **kwargs):
        if not self.tenant.can(self.ACTION_PERMS[self.action]):
            raise PermissionDenied
        report_id = kwargs["report_id"]
        org_slug = self.tenant.organisation.slug
        try:
            if self.action == "submit":
                form = SubmitForm(request.POST)
                if not form.is_valid():
                    for errors in form.errors.values():
                        messages.error(request, " ".join(errors))
                    return redirect("reports:report-detail", org_slug=org_slug, report_id=report_id)
                services.usage_report_submit(
                    tenant=self.tenant,
                    acting_user=request.user,
                    report_id=report_id,
                    po_number=form.cleaned_data.get("po_number", ""),
                    note=form.cleaned_data.get("note", ""),
                )
                messages.success(request, _("Report submitted to your distributor for review."))
            elif self.action == "approve":
                services.usage_report_approve(
                    tenant=self.tenant, acting_user=request.user, report_id=report_id
                )
                messages.success(request, _("Report approved. The MSP has been told."))
            elif self.action == "reject":
                report = self.get_report()
                form = RejectForm(request.POST, lines=selectors.report_lines(report=report))
                if not form.is_valid():
                    messages.error(request, _("Give the reason for the rejection: the MSP sees it."))
                    return redirect("reports:report-detail", org_slug=org_slug, report_id=report_id)
                services.usage_report_reject(
                    tenant=self.tenant,
                    acting_user=request.user,
                    report_id=report_id,
                    reason=form.cleaned_data["reason"],
                    line_ids=form.cleaned_data["line_ids"],
                )
                messages.success(request, _("Report rejected. The MSP has been told, with your reason."))
        except DomainError as exc:
            messages.error(request, error_message(exc))
        return redirect("reports:report-detail", org_slug=org_slug, report_id=report_id)
