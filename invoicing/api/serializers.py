"""What the invoicing API answers: invoices (with their lines and credit notes on the detail
route) and credit notes. Every amount is a decimal string, never a JSON number."""

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..choices import InvoiceStatus
from ..models import CreditNote, CreditNoteLine, Invoice, InvoiceLine

MONEY = {"max_digits": 16, "decimal_places": 2, "coerce_to_string": True, "read_only": True}
URLS_SCHEMA = {"type": "object", "properties": {"self": {"type": "string"}, "page": {"type": "string"}}}


def _urls(kind: str, org_slug: str, **kwargs) -> dict:
    return {
        "self": reverse(f"api-{kind}-detail", kwargs={"org_slug": org_slug, **kwargs}),
        "page": reverse(f"invoicing:{kind}-detail", kwargs={"org_slug": org_slug, **kwargs}),
    }


class InvoiceSerializer(serializers.ModelSerializer):
    msp = serializers.SlugRelatedField(source="organisation", slug_field="slug", read_only=True)
    msp_name = serializers.CharField(source="organisation.name", read_only=True)
    distributor = serializers.CharField(source="distributor.name", read_only=True)
    credited = serializers.DecimalField(**MONEY)
    left_to_credit = serializers.DecimalField(**MONEY)
    status = serializers.ChoiceField(choices=InvoiceStatus.choices, read_only=True)
    tax_rate_percent = serializers.DecimalField(
        max_digits=6, decimal_places=3, coerce_to_string=True, read_only=True
    )
    urls = serializers.SerializerMethodField()

    class Meta:
        model = Invoice
        fields = [
            "id", "number", "msp", "msp_name", "distributor", "cycle", "issued_at", "currency",
            "subtotal", "tax", "total", "credited", "left_to_credit", "status",
            "tax_country", "tax_rate_percent", "tax_method", "tax_rate_missing", "urls",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(URLS_SCHEMA)
    def get_urls(self, invoice) -> dict:
        return _urls("invoice", self.context["org_slug"], invoice_id=invoice.pk)


class InvoiceLineSerializer(serializers.ModelSerializer):
    unit_price = serializers.DecimalField(
        max_digits=18, decimal_places=8, coerce_to_string=True, read_only=True
    )

    class Meta:
        model = InvoiceLine
        fields = ["id", "position", "kind", "description", "product_code", "sku_code", "quantity",
                  "unit_price", "amount", "tax"]  # fmt: skip
        read_only_fields = fields


class CreditNoteLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = CreditNoteLine
        fields = ["position", "invoice_line", "description", "amount", "tax"]
        read_only_fields = fields


class CreditNoteSerializer(serializers.ModelSerializer):
    msp = serializers.SlugRelatedField(source="organisation", slug_field="slug", read_only=True)
    invoice_number = serializers.CharField(source="invoice.number", read_only=True)
    issued_by = serializers.EmailField(source="issued_by.email", read_only=True)
    urls = serializers.SerializerMethodField()

    class Meta:
        model = CreditNote
        fields = ["id", "number", "msp", "invoice", "invoice_number", "issued_at", "issued_by", "currency",
                  "reason", "subtotal", "tax", "total", "urls"]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(URLS_SCHEMA)
    def get_urls(self, note) -> dict:
        return _urls("credit-note", self.context["org_slug"], credit_note_id=note.pk)


class CreditNoteDetailSerializer(CreditNoteSerializer):
    lines = CreditNoteLineSerializer(many=True, read_only=True, source="detail_lines")

    class Meta(CreditNoteSerializer.Meta):
        fields = [*CreditNoteSerializer.Meta.fields, "lines"]
        read_only_fields = fields


class InvoiceDetailSerializer(InvoiceSerializer):
    lines = InvoiceLineSerializer(many=True, read_only=True, source="detail_lines")
    credit_notes = CreditNoteDetailSerializer(many=True, read_only=True, source="detail_credit_notes")

    class Meta(InvoiceSerializer.Meta):
        fields = [*InvoiceSerializer.Meta.fields, "lines", "credit_notes"]
        read_only_fields = fields
