"""Invoice and credit-note pages of MSPs and distributors (docs/invoicing.md, "Invoices"): the
lists with their filters, totals and CSV, an invoice (page, printable page, PDF, its lines as
CSV), a credit note. Read by the MSP's admins and billing admins and by its distributor's
reviewers and admins (Perm.VIEW_INVOICES). Views parse, call one selector, and render."""

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.http import content_disposition_header
from django.views.generic import TemplateView, View

from msp_portal.api.filters import compact_query
from msp_portal.csv_export import csv_response
from msp_portal.tenancy.choices import Perm
from msp_portal.tenancy.views_base import TenantViewMixin

from . import selectors, selectors_pages, tables
from .filters import CreditNoteFilter, InvoiceFilter
from .pdf import invoice_pdf
from .presenting import invoice_context
from .url_objects import documents_named_in_url

PER_PAGE = 25


class InvoicingViewMixin(TenantViewMixin):
    """The invoice or credit note named in the URL is looked up first: another organisation's
    is a 404 for every role; a role that may not read invoices then gets a 403."""

    required_perm = Perm.VIEW_INVOICES

    def load_objects(self):
        for attribute, value in documents_named_in_url(tenant=self.tenant, url_kwargs=self.kwargs).items():
            setattr(self, attribute, value)

    def list_query(self):
        data = compact_query(self.request.GET)
        data.pop("page", None)
        data.pop("format", None)
        return data


class InvoiceListView(InvoicingViewMixin, TemplateView):
    """The invoices the organisation sees, newest cycle first, with the API's filters, the
    totals of the filtered set (per currency; per MSP for a distributor); ``?format=csv``
    downloads the filtered set."""

    template_name = "invoicing/invoice_list.html"

    def get(self, request, *args, **kwargs):
        organisation = self.tenant.organisation
        data = self.list_query()
        unfiltered = selectors.invoice_list(tenant=self.tenant)
        filters = InvoiceFilter(data, queryset=unfiltered, request=request)
        selected = filters.qs if filters.is_valid() else unfiltered.none()
        if request.GET.get("format") == "csv":
            return csv_response(
                f"invoices-{organisation.slug}.csv",
                tables.INVOICES.csv_header(),
                tables.INVOICES.csv_rows(selected.iterator(chunk_size=500)),
            )
        page = Paginator(selected, PER_PAGE).get_page(request.GET.get("page"))
        is_distributor = organisation.is_distributor
        return self.render_to_response(
            self.get_context_data(
                filters=filters,
                page_obj=page,
                invoices=list(page),
                table_columns=tables.INVOICES.page_columns,
                is_filtered=bool(data),
                is_distributor=is_distributor,
                msp_choices=list(selectors_pages.invoice_msp_choices(tenant=self.tenant))
                if is_distributor
                else [],
                chosen_msp=data.get("msp", ""),
                totals=selectors.invoice_totals(selected),
                totals_by_msp=selectors.invoice_totals_by_msp(selected) if is_distributor else [],
            )
        )


class InvoiceDetailView(InvoicingViewMixin, TemplateView):
    """One invoice as the MSP receives it, with its credit notes and what is left to credit."""

    template_name = "invoicing/invoice_detail.html"

    def get(self, request, *args, **kwargs):
        organisation = self.tenant.organisation
        invoice = self.detail.invoice
        can_credit = (
            organisation.is_distributor
            and self.tenant.can(Perm.ISSUE_INVOICES)
            and invoice.left_to_credit > 0
        )
        return self.render_to_response(
            self.get_context_data(
                **invoice_context(self.detail),
                line_columns=tables.INVOICE_LINES.page_columns,
                can_credit=can_credit,
            )
        )


def _printable(request, tenant, detail) -> str:
    return render_to_string(
        "invoicing/invoice_print.html",
        {**invoice_context(detail), "tenant": tenant, "organisation": tenant.organisation},
        request=request,
    )


class InvoicePrintView(InvoicingViewMixin, View):
    """The invoice alone on the page, laid out for paper (the PDF is this page rendered)."""

    def get(self, request, *args, **kwargs):
        return HttpResponse(_printable(request, self.tenant, self.detail))


class InvoicePdfView(InvoicingViewMixin, View):
    """The printable page as a PDF download named after the invoice (INV-000123.pdf)."""

    def get(self, request, *args, **kwargs):
        pdf = invoice_pdf(_printable(request, self.tenant, self.detail))
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = content_disposition_header(
            True, f"{self.detail.invoice.number}.pdf"
        )
        return response


class InvoiceLinesCsvView(InvoicingViewMixin, View):
    """The invoice's lines as CSV (the page's line table, with product and SKU)."""

    def get(self, request, *args, **kwargs):
        return csv_response(
            f"{self.detail.invoice.number}-lines.csv",
            tables.INVOICE_LINES.csv_header(),
            tables.INVOICE_LINES.csv_rows(self.detail.lines),
        )


class CreditNoteListView(InvoicingViewMixin, TemplateView):
    """The credit notes the organisation sees, newest first (by number; by MSP for a
    distributor); ``?format=csv`` downloads them."""

    template_name = "invoicing/credit_note_list.html"

    def get(self, request, *args, **kwargs):
        organisation = self.tenant.organisation
        data = self.list_query()
        unfiltered = selectors.credit_note_list(tenant=self.tenant)
        filters = CreditNoteFilter(data, queryset=unfiltered, request=request)
        selected = filters.qs if filters.is_valid() else unfiltered.none()
        if request.GET.get("format") == "csv":
            return csv_response(
                f"credit-notes-{organisation.slug}.csv",
                tables.CREDIT_NOTES.csv_header(),
                tables.CREDIT_NOTES.csv_rows(selected.iterator(chunk_size=500)),
            )
        page = Paginator(selected, PER_PAGE).get_page(request.GET.get("page"))
        return self.render_to_response(
            self.get_context_data(
                filters=filters,
                page_obj=page,
                notes=list(page),
                table_columns=tables.CREDIT_NOTES.page_columns,
                is_filtered=bool(data),
                is_distributor=organisation.is_distributor,
                msp_choices=list(selectors_pages.invoice_msp_choices(tenant=self.tenant))
                if organisation.is_distributor
                else [],
                chosen_msp=data.get("msp", ""),
            )
        )


class CreditNoteDetailView(InvoicingViewMixin, View):
    """One credit note: the invoice it corrects, its reason, its lines and totals."""

    def get(self, request, *args, **kwargs):
        context = {
            "tenant": self.tenant,
            "organisation": self.tenant.organisation,
            "note": self.note,
            "lines": self.note_lines,
            "invoice": self.note.invoice,
        }
        return render(request, "invoicing/credit_note_detail.html", context)
