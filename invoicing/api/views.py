"""Invoices and credit notes through the API (docs/invoicing.md, "Invoices"): an MSP's own, or
for a distributor those of every MSP it serves. Read by the roles that see invoices; another
organisation's id is a 404 (for every role), a role without the permission gets a 403."""

from drf_spectacular.utils import extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from msp_portal.api.schema import error_responses
from msp_portal.tenancy.choices import Perm
from msp_portal.tenancy.views_base import TenantAPIMixin

from .. import selectors
from ..filters import CreditNoteFilter, InvoiceFilter
from ..models import CreditNote, Invoice
from ..url_objects import documents_named_in_url
from .serializers import (
    CreditNoteDetailSerializer,
    CreditNoteSerializer,
    InvoiceDetailSerializer,
    InvoiceSerializer,
)


class InvoicingAPIMixin(TenantAPIMixin):
    required_perms = {"*": Perm.VIEW_INVOICES}

    def load_objects(self):
        for attribute, value in documents_named_in_url(tenant=self.tenant, url_kwargs=self.kwargs).items():
            setattr(self, attribute, value)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "org_slug": self.tenant.organisation.slug}


class InvoiceListView(InvoicingAPIMixin, ListAPIView):
    """Invoices, newest cycle first. Filters: period_from, period_to (a month, 2026-10, or any
    day of it), status (issued, partially_credited, credited), number (part of it), msp (slug,
    a distributor's MSP)."""

    serializer_class = InvoiceSerializer
    queryset = Invoice.objects.none()  # for the schema only
    filterset_class = InvoiceFilter

    def get_queryset(self):
        return selectors.invoice_list(tenant=self.tenant)

    @extend_schema(responses={200: InvoiceSerializer(many=True), **error_responses(400, 401, 403, 404)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class InvoiceDetailView(InvoicingAPIMixin, APIView):
    """One invoice with its lines (in order) and the credit notes against it (with theirs)."""

    @extend_schema(responses={200: InvoiceDetailSerializer, **error_responses(401, 403, 404)})
    def get(self, request, org_slug, invoice_id):
        invoice = self.detail.invoice
        invoice.detail_lines = self.detail.lines
        for note in self.detail.credit_notes:
            note.detail_lines = list(note.lines.all())
        invoice.detail_credit_notes = self.detail.credit_notes
        return Response(InvoiceDetailSerializer(invoice, context={"org_slug": org_slug}).data)


class CreditNoteListView(InvoicingAPIMixin, ListAPIView):
    """Credit notes, newest first. Filters: number (part of it), invoice (id), msp (slug)."""

    serializer_class = CreditNoteSerializer
    queryset = CreditNote.objects.none()  # for the schema only
    filterset_class = CreditNoteFilter

    def get_queryset(self):
        return selectors.credit_note_list(tenant=self.tenant)

    @extend_schema(responses={200: CreditNoteSerializer(many=True), **error_responses(400, 401, 403, 404)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class CreditNoteDetailView(InvoicingAPIMixin, APIView):
    """One credit note with its lines (each naming the invoice line it credits)."""

    @extend_schema(responses={200: CreditNoteDetailSerializer, **error_responses(401, 403, 404)})
    def get(self, request, org_slug, credit_note_id):
        self.note.detail_lines = self.note_lines
        return Response(CreditNoteDetailSerializer(self.note, context={"org_slug": org_slug}).data)
