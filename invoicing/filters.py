"""The invoice list's filters, shared by its pages and the API (one FilterSet; the pages drop
their empty fields first with ``compact_query``).

The fields are validated here and applied by ``invoicing.selectors.invoice_list``, which
holds the filtering rules (a month's any day counts for the month; a number matches in part):
``filter_queryset`` hands the cleaned values to it instead of filtering a second way."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from msp_portal.api.filters import StrictFilterSet

from .choices import InvoiceStatus
from .models import CreditNote, Invoice
from .selectors import credit_note_list, invoice_list
from .selectors_pages import invoice_msp_id

MONTH_FORMATS = ["%Y-%m", "%Y-%m-%d"]


class MonthInput(forms.DateInput):
    input_type = "month"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m")


def _keep(queryset, name, value):
    return queryset  # applied all at once by filter_queryset


class InvoiceFilter(StrictFilterSet):
    period_from = django_filters.DateFilter(
        method=_keep,
        input_formats=MONTH_FORMATS,
        widget=MonthInput,
        label=_("From cycle"),
        help_text=_("First cycle listed: a month (2026-10) or any day of it."),
    )
    period_to = django_filters.DateFilter(
        method=_keep,
        input_formats=MONTH_FORMATS,
        widget=MonthInput,
        label=_("To cycle"),
        help_text=_("Last cycle listed: a month (2026-10) or any day of it."),
    )
    status = django_filters.ChoiceFilter(
        method=_keep, choices=InvoiceStatus.choices, label=_("Status"), empty_label=_("All statuses")
    )
    number = django_filters.CharFilter(
        method=_keep, max_length=32, label=_("Number"), help_text=_("All or part of the invoice number.")
    )
    msp = django_filters.CharFilter(
        method=_keep, max_length=60, label=_("MSP (slug)"), help_text=_("One of a distributor's MSPs.")
    )

    class Meta:
        model = Invoice
        fields = ["period_from", "period_to", "status", "number", "msp"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for form_field in self.form.fields.values():
            form_field.widget.attrs.setdefault("aria-label", str(form_field.label))
        self.form.fields["number"].widget.attrs.setdefault("placeholder", _("INV-000123"))

    def filter_queryset(self, queryset):
        """The tenant's invoices (``request.tenant``) the cleaned values select; the queryset
        given is the unfiltered list of the same tenant and is not needed."""
        data = self.form.cleaned_data
        tenant = self.request.tenant
        msp_id = invoice_msp_id(tenant=tenant, slug=data["msp"]) if data.get("msp") else None
        return invoice_list(
            tenant=tenant,
            period_from=data.get("period_from"),
            period_to=data.get("period_to"),
            status=data.get("status") or None,
            number=data.get("number") or "",
            msp_id=msp_id if msp_id is None else (msp_id or -1),
        )


class CreditNoteFilter(StrictFilterSet):
    """Credit notes by number, invoice (id) and MSP (slug); applied by credit_note_list."""

    number = django_filters.CharFilter(
        method=_keep, max_length=32, label=_("Number"), help_text=_("All or part of the credit note number.")
    )
    invoice = django_filters.NumberFilter(
        method=_keep, min_value=1, max_value=2**63 - 1, label=_("Invoice (id)"), help_text=_("One invoice's.")
    )
    msp = django_filters.CharFilter(
        method=_keep, max_length=60, label=_("MSP (slug)"), help_text=_("One of a distributor's MSPs.")
    )

    class Meta:
        model = CreditNote
        fields = ["number", "invoice", "msp"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for form_field in self.form.fields.values():
            form_field.widget.attrs.setdefault("aria-label", str(form_field.label))
        self.form.fields["number"].widget.attrs.setdefault("placeholder", _("CN-000001"))

    def filter_queryset(self, queryset):
        data = self.form.cleaned_data
        tenant = self.request.tenant
        msp_id = invoice_msp_id(tenant=tenant, slug=data["msp"]) if data.get("msp") else None
        invoice_id = int(data["invoice"]) if data.get("invoice") else None
        return credit_note_list(
            tenant=tenant,
            invoice_id=invoice_id,
            msp_id=msp_id if msp_id is None else (msp_id or -1),
            number=data.get("number") or "",
        )
