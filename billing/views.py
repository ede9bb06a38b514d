"""Pages of reconciliation imports (docs/billing.md, "Imports"): the list with its CSV, the
upload, one import with its progress (polled by htmx) or its refusal, the problems' CSV, and
running again an import whose worker was lost. Views parse, call one service or selector, and
render."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.generic import TemplateView, View

from msp_portal.api.filters import compact_query
from msp_portal.csv_export import csv_response
from msp_portal.exceptions import DomainError, apply_to_form, error_message
from msp_portal.tenancy.choices import OrganisationKind, Perm
from msp_portal.tenancy.views_base import TenantViewMixin

from . import selectors, services, tables
from .columns import FileKind
from .filters import ImportFilter
from .forms import ImportUploadForm
from .models import ImportState

IMPORTS_PER_PAGE = 25
PROBLEMS_SHOWN = 100


class BillingViewMixin(TenantViewMixin):
    """An MSP's billing: whoever may see billing reads; the import named in the URL is looked up
    in the organisation first (another organisation's id is a 404)."""

    required_kind = OrganisationKind.MSP
    required_perm = Perm.VIEW_BILLING

    def load_objects(self):
        if "import_id" in self.kwargs:
            self.record = selectors.reconciliation_import_get(
                organisation=self.tenant.organisation, import_id=self.kwargs["import_id"]
            )

    @property
    def can_manage(self) -> bool:
        return self.tenant.can(Perm.MANAGE_BILLING)


class ImportListView(BillingViewMixin, TemplateView):
    """The MSP's imports, newest first, filtered by kind and state with the API's filter set;
    ``?format=csv`` downloads the imports the filter selects."""

    template_name = "billing/import_list.html"

    def get(self, request, *args, **kwargs):
        organisation = self.tenant.organisation
        data = compact_query(request.GET)
        data.pop("page", None)
        data.pop("format", None)
        imports = selectors.reconciliation_import_list(organisation=organisation)
        filters = ImportFilter(data, queryset=imports)
        selected = filters.qs if filters.is_valid() else imports.none()
        if request.GET.get("format") == "csv":
            return csv_response(
                f"reconciliation-imports-{organisation.slug}.csv",
                tables.IMPORTS.csv_header(),
                tables.IMPORTS.csv_rows(selected.iterator(chunk_size=500)),
            )
        page = Paginator(selected, IMPORTS_PER_PAGE).get_page(request.GET.get("page"))
        return self.render_to_response(
            self.get_context_data(
                filters=filters,
                page_obj=page,
                imports=list(page),
                table_columns=tables.IMPORTS.page_columns,
                is_filtered=bool(data),
                can_manage=self.can_manage,
            )
        )


class ImportUploadView(BillingViewMixin, TemplateView):
    """Upload a file: recorded as queued, stored, and handed to a worker once committed."""

    template_name = "billing/import_form.html"
    required_perm = Perm.MANAGE_BILLING

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(form=ImportUploadForm()))

    def post(self, request, *args, **kwargs):
        form = ImportUploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                record = services.reconciliation_import_upload(
                    tenant=self.tenant,
                    acting_user=request.user,
                    kind=FileKind(form.cleaned_data["kind"]),
                    upload=form.cleaned_data["file"],
                )
            except DomainError as exc:
                apply_to_form(form, exc)
            else:
                messages.success(
                    request, _("%(name)s is uploaded: it is being imported.") % {"name": record.file_name}
                )
                return redirect(
                    "billing:import-detail", org_slug=self.tenant.organisation.slug, import_id=record.pk
                )
        return self.render_to_response(self.get_context_data(form=form), status=422)


class ImportStatusMixin(BillingViewMixin):
    def status_context(self) -> dict:
        record = self.record
        problems = list(selectors.import_problems(reconciliation_import=record)[:PROBLEMS_SHOWN])
        return {
            "record": record,
            "progress": selectors.import_progress(reconciliation_import=record),
            "is_running": record.state in (ImportState.QUEUED, ImportState.RUNNING),
            "problems": problems,
            "more_problems": max(0, record.problem_count - len(problems)),
            "problem_columns": tables.PROBLEMS.page_columns,
            "can_retry": self.can_manage and selectors.import_can_be_retried(reconciliation_import=record),
        }


class ImportDetailView(ImportStatusMixin, TemplateView):
    """One import: its progress while a worker loads it, then its result or its refusal."""

    template_name = "billing/import_detail.html"

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(**self.status_context()))


class ImportStatusFragmentView(ImportStatusMixin, TemplateView):
    """The part of the import's page that the page polls every second while the file loads."""

    template_name = "billing/_import_status.html"

    def get(self, request, *args, **kwargs):
        return self.render_to_response(self.get_context_data(**self.status_context()))


class ImportProblemsCsvView(BillingViewMixin, View):
    """Every problem that refused the file, as CSV (the page shows the first 100)."""

    def get(self, request, *args, **kwargs):
        problems = selectors.import_problems(reconciliation_import=self.record)
        return csv_response(
            f"import-{self.record.pk}-problems.csv",
            tables.PROBLEMS.csv_header(),
            tables.PROBLEMS.csv_rows(problems.iterator(chunk_size=2000)),
        )


class ImportRetryView(BillingViewMixin, View):
    """Hand again to a worker an import whose worker was lost."""

    required_perm = Perm.MANAGE_BILLING

    def post(self, request, *args, **kwargs):
        try:
            services.reconciliation_import_retry(tenant=self.tenant, import_id=self.record.pk)
        except DomainError as exc:
            messages.error(request, error_message(exc))
        else:
            messages.success(request, _("The import is handed to a worker again."))
        return redirect(
            "billing:import-detail", org_slug=self.tenant.organisation.slug, import_id=self.record.pk
        )
