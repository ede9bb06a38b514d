"""The distributor's invoicing pages (docs/invoicing.md): a credit note against an invoice
(distributor admins), the true-ups charged to its MSPs, its tax settings (distributor admins),
and the accounting exports of its invoice list (built by a worker as export requests)."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.generic import TemplateView, View

from licensing.api.filters import TrueUpChargeFilter
from licensing.selectors import true_up_charge_list
from msp_portal.csv_export import csv_response
from msp_portal.exceptions import DomainError, apply_to_form, error_message
from msp_portal.tenancy.choices import OrganisationKind, Perm
from msp_portal.tenancy.selectors import one_or_not_found

from . import accounting, selectors, selectors_pages, services, tables
from .filters import InvoiceFilter
from .forms import CreditNoteForm, TaxSettingForm
from .presenting import invoice_context
from .views import PER_PAGE, InvoicingViewMixin


class DistributorViewMixin(InvoicingViewMixin):
    required_kind = OrganisationKind.DISTRIBUTOR


class CreditNoteIssueView(DistributorViewMixin, TemplateView):
    """A credit note against one invoice: the whole of it, or chosen lines with amounts."""

    template_name = "invoicing/credit_note_form.html"
    required_perm = Perm.ISSUE_INVOICES

    def _form(self, data=None):
        context = invoice_context(self.detail)
        lines = [line for group in context["groups"] for line in group["lines"] if line.left != 0]
        return CreditNoteForm(data, lines=lines), context

    def get(self, request, *args, **kwargs):
        form, context = self._form()
        return self.render_to_response(self.get_context_data(form=form, **context))

    def post(self, request, *args, **kwargs):
        form, context = self._form(request.POST)
        if form.is_valid():
            try:
                note = services.credit_note_issue(
                    tenant=self.tenant,
                    acting_user=request.user,
                    invoice_id=self.detail.invoice.pk,
                    reason=form.cleaned_data["reason"],
                    lines=form.requests(),
                )
            except DomainError as exc:
                form.place_errors(exc)
            else:
                messages.success(request, _("Credit note %(number)s is issued.") % {"number": note.number})
                return redirect(
                    "invoicing:credit-note-detail",
                    org_slug=self.tenant.organisation.slug,
                    credit_note_id=note.pk,
                )
        return self.render_to_response(self.get_context_data(form=form, **context), status=422)


class TrueUpListView(DistributorViewMixin, TemplateView):
    """The yearly true-ups charged to the distributor's MSPs (the licensing API's list and
    filters: year, MSP), with a CSV of the filtered set."""

    template_name = "invoicing/true_up_list.html"

    def get(self, request, *args, **kwargs):
        organisation = self.tenant.organisation
        data = self.list_query()
        charges = true_up_charge_list(organisation=organisation)
        filters = TrueUpChargeFilter(data, queryset=charges, request=request)
        selected = filters.qs if filters.is_valid() else charges.none()
        if request.GET.get("format") == "csv":
            return csv_response(
                f"true-ups-{organisation.slug}.csv",
                tables.TRUE_UPS.csv_header(),
                tables.TRUE_UPS.csv_rows(selected.iterator(chunk_size=500)),
            )
        page = Paginator(selected, PER_PAGE).get_page(request.GET.get("page"))
        return self.render_to_response(
            self.get_context_data(
                filters=filters,
                page_obj=page,
                charges=list(page),
                table_columns=tables.TRUE_UPS.page_columns,
                is_filtered=bool(data),
                msp_choices=list(selectors_pages.invoice_msp_choices(tenant=self.tenant)),
                chosen_msp=data.get("msp", ""),
            )
        )


class TaxSettingMixin(DistributorViewMixin):
    required_perm = Perm.ISSUE_INVOICES

    def load_objects(self):
        super().load_objects()
        if "tax_setting_id" in self.kwargs:
            self.setting = one_or_not_found(
                selectors.tax_setting_list(tenant=self.tenant), pk=self.kwargs["tax_setting_id"]
            )

    def save(self, form, *, country: str):
        try:
            setting = services.tax_setting_save(
                tenant=self.tenant,
                country=country,
                rate_percent=form.cleaned_data["rate_percent"],
                method=form.cleaned_data["method"],
            )
        except DomainError as exc:
            apply_to_form(form, exc)
            return None
        messages.success(self.request, _("The tax for %(country)s is saved.") % {"country": setting.country})
        return redirect("invoicing:tax-setting-list", org_slug=self.tenant.organisation.slug)


class TaxSettingListView(TaxSettingMixin, TemplateView):
    """The tax of each country the distributor's MSPs are in, and a form to add one (saving a
    country that has a setting changes it)."""

    template_name = "invoicing/tax_setting_list.html"

    def page(self, form, status=200):
        settings = list(selectors.tax_setting_list(tenant=self.tenant))
        return self.render_to_response(self.get_context_data(form=form, settings=settings), status=status)

    def get(self, request, *args, **kwargs):
        return self.page(TaxSettingForm())

    def post(self, request, *args, **kwargs):
        form = TaxSettingForm(request.POST)
        if form.is_valid():
            done = self.save(form, country=form.cleaned_data["country"])
            if done:
                return done
        return self.page(form, status=422)


class TaxSettingEditView(TaxSettingMixin, TemplateView):
    template_name = "invoicing/tax_setting_form.html"

    def get(self, request, *args, **kwargs):
        form = TaxSettingForm(
            initial={"rate_percent": self.setting.rate_percent.normalize(), "method": self.setting.method},
            fixed_country=self.setting.country,
        )
        return self.render_to_response(self.get_context_data(form=form, setting=self.setting))

    def post(self, request, *args, **kwargs):
        form = TaxSettingForm(request.POST, fixed_country=self.setting.country)
        if form.is_valid():
            done = self.save(form, country=self.setting.country)
            if done:
                return done
        return self.render_to_response(self.get_context_data(form=form, setting=self.setting), status=422)


class TaxSettingDeleteView(TaxSettingMixin, View):
    def post(self, request, *args, **kwargs):
        services.tax_setting_delete(tenant=self.tenant, setting_id=self.setting.pk)
        messages.success(
            request,
            _("The tax for %(country)s is removed: its MSPs are invoiced at 0 %% from now on.")
            % {"country": self.setting.country},
        )
        return redirect("invoicing:tax-setting-list", org_slug=self.tenant.organisation.slug)


class AccountingExportView(DistributorViewMixin, View):
    """Request the listed invoices (the list's filters, in the query string) in Xero's or
    QuickBooks Online's import format; a worker builds the file for the Exports page."""

    def post(self, request, *args, **kwargs):
        slug = self.tenant.organisation.slug
        filters = InvoiceFilter(
            self.list_query(), queryset=selectors.invoice_list(tenant=self.tenant).none(), request=request
        )
        if not filters.is_valid():
            messages.error(request, _("Correct the list's filters first."))
            return redirect("invoicing:invoice-list", org_slug=slug)
        try:
            accounting.accounting_export_request(
                tenant=self.tenant,
                acting_user=request.user,
                software=request.POST.get("software", ""),
                filters=filters.form.cleaned_data,
            )
        except DomainError as exc:
            messages.error(request, error_message(exc))
            return redirect("invoicing:invoice-list", org_slug=slug)
        messages.success(request, _("The export is requested: it appears below when it is ready."))
        return redirect("exports:list", org_slug=slug)
